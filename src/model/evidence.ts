/** Audit stages, in the order a request passes through them. */
export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type Stage = (typeof STAGES)[number];

/** Which stage's count stands for the number of requests: the latest one seen. */
/** The stage whose counter is an evidence's count: the first of these with one (`countOf`). */
export const STAGE_PRIORITY: readonly Stage[] = ['ResponseComplete', 'Panic', 'ResponseStarted', 'RequestReceived'];

/** One sample record behind an edge: its id and time, so samples merge exactly. */
export interface Sample {
  id: string;
  /** Normalised RFC 3339 UTC time with microseconds, or '' when the record had none. */
  time: string;
}

/** Why an edge exists: how often, when, and which records. */
export interface Evidence {
  /** Number of requests: the count of the latest stage seen (ResponseComplete over ResponseStarted...). */
  count: number;
  /** Earliest and latest record time ('' when unknown). */
  firstSeen: string;
  lastSeen: string;
  /** Records seen per audit stage; `count` is derived from it. */
  stages: Partial<Record<Stage, number>>;
  /** The earliest records (at most SAMPLE_LIMIT), ordered by time then id. */
  samples: Sample[];
}

/**
 * Evidence as a profile line holds it (docs/formats.md): count, first and last seen, the samples as id, time pairs,
 * and the stages only where they are not ResponseComplete alone.
 */
export type CompactEvidence =
  [number, string, string, string[]] | [number, string, string, string[], Evidence['stages']];

export const SAMPLE_LIMIT = 3;

function compareSamples(a: Sample, b: Sample): number {
  // Unknown times sort last.
  if (a.time !== b.time) {
    if (a.time === '') return 1;
    if (b.time === '') return -1;
    return a.time < b.time ? -1 : 1;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether samples are as evidence keeps them: at most SAMPLE_LIMIT, each with an id, each strictly before the next. */
export function samplesKept(samples: readonly Sample[]): boolean {
  if (samples.length > SAMPLE_LIMIT) return false;
  for (let i = 0; i < samples.length; i++)
    if (samples[i]!.id === '' || (i > 0 && compareSamples(samples[i - 1]!, samples[i]!) >= 0)) return false;
  return true;
}

/** Insert a sample, keeping the earliest SAMPLE_LIMIT distinct ones in order. */
export function addSample(samples: Sample[], s: Sample): void {
  if (s.id === '') return;
  let i = samples.length;
  while (i > 0 && compareSamples(s, samples[i - 1]!) < 0) i--;
  if (i > 0 && compareSamples(s, samples[i - 1]!) === 0) return;
  if (i >= SAMPLE_LIMIT) return;
  samples.splice(i, 0, s);
  if (samples.length > SAMPLE_LIMIT) samples.pop();
}

/**
 * Two counts added, stopping at 2^53 - 1: the largest whole number JSON and JavaScript hold exactly, and the
 * largest a profile may carry (src/profile/schema.ts). Past it a merged profile could not be read back.
 */
export function addCounts(a: number, b: number): number {
  return Math.min(a + b, Number.MAX_SAFE_INTEGER);
}

export function countOf(stages: Partial<Record<Stage, number>>): number {
  for (const st of STAGE_PRIORITY) {
    const n = stages[st];
    if (n) return n;
  }
  return 0;
}

/** Merge b into a copy of a. Associative and commutative. */
export function mergeEvidence(a: Evidence, b: Evidence): Evidence {
  const stages: Partial<Record<Stage, number>> = {};
  for (const st of STAGES) {
    const n = addCounts(a.stages[st] ?? 0, b.stages[st] ?? 0);
    if (n) stages[st] = n;
  }
  const samples: Sample[] = [];
  for (const s of a.samples) addSample(samples, s);
  for (const s of b.samples) addSample(samples, s);
  return {
    count: countOf(stages),
    firstSeen: minTime(a.firstSeen, b.firstSeen),
    lastSeen: maxTime(a.lastSeen, b.lastSeen),
    stages,
    samples,
  };
}

export function minTime(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return a < b ? a : b;
}

export function maxTime(a: string, b: string): string {
  return a > b ? a : b;
}

/** Evidence in its canonical key order, for serialisation. */
export function canonicalEvidence(ev: Evidence): Evidence {
  const stages: Partial<Record<Stage, number>> = {};
  for (const st of STAGES) if (ev.stages[st]) stages[st] = ev.stages[st];
  return {
    count: ev.count,
    firstSeen: ev.firstSeen,
    lastSeen: ev.lastSeen,
    stages,
    samples: ev.samples.map((s) => ({ id: s.id, time: s.time })),
  };
}
