import { microsToTime, timeToMicros } from '../util/time.js';
import {
  countOf,
  SAMPLE_LIMIT,
  STAGE_PRIORITY,
  STAGES,
  type CompactEvidence,
  type Evidence,
  type Sample,
  type Stage,
} from './evidence.js';

/**
 * Many evidence accumulators in columns (issue 16, item 2): counters, first and last time and the kept samples of
 * each live in typed arrays indexed by the accumulator's number, and only the sample ids are strings. A profile
 * being built holds one accumulator per edge and decision, so this is most of its memory: about 100 bytes each
 * plus the sample ids, against about 600 as objects (EvidenceAccumulator, Sample objects, time strings).
 *
 * Times are microseconds since the epoch; a record without a time is +Infinity, which sorts it after every timed
 * one as the profile's order of samples wants (`compareSamples` in evidence.ts). `toEvidence(i)` gives the same
 * Evidence as adding the same records to an EvidenceAccumulator did.
 */
export class EvidenceStore {
  private size = 0;
  private cap: number;
  /** Per accumulator, 4 counters in STAGE order: RequestReceived, ResponseStarted, ResponseComplete, Panic. */
  private stages: Float64Array;
  /** Earliest and latest time; +Infinity / -Infinity while unknown. */
  private first: Float64Array;
  private last: Float64Array;
  /** SAMPLE_LIMIT slots per accumulator: times (+Infinity: none), ids, and how many are used. */
  private sampleTime: Float64Array;
  private readonly sampleId: string[] = [];
  private sampleCount: Uint8Array;

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.stages = new Float64Array(this.cap * 4);
    this.first = new Float64Array(this.cap);
    this.last = new Float64Array(this.cap);
    this.sampleTime = new Float64Array(this.cap * SAMPLE_LIMIT);
    this.sampleCount = new Uint8Array(this.cap);
  }

  /** Number of accumulators made. */
  get length(): number {
    return this.size;
  }

  /** A new, empty accumulator's number. */
  create(): number {
    if (this.size === this.cap) this.grow();
    const i = this.size++;
    this.first[i] = Infinity;
    this.last[i] = -Infinity;
    for (let k = 0; k < SAMPLE_LIMIT; k++) this.sampleId.push('');
    return i;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const more = <T extends Float64Array | Uint8Array>(a: T, per: number, make: (n: number) => T): T => {
      const b = make(cap * per);
      b.set(a);
      return b;
    };
    this.stages = more(this.stages, 4, (n) => new Float64Array(n));
    this.first = more(this.first, 1, (n) => new Float64Array(n));
    this.last = more(this.last, 1, (n) => new Float64Array(n));
    this.sampleTime = more(this.sampleTime, SAMPLE_LIMIT, (n) => new Float64Array(n));
    this.sampleCount = more(this.sampleCount, 1, (n) => new Uint8Array(n));
    this.cap = cap;
  }

  /** Count one record of `stage` at `time` ('' when the record had none) with id `id` on accumulator `i`. */
  add(i: number, stage: Stage, time: string, id: string): void {
    const s = i * 4 + STAGE_SLOT[stage];
    this.stages[s] = this.stages[s]! + 1;
    let t = Infinity;
    if (time !== '') {
      t = timeToMicros(time);
      if (t > this.last[i]!) this.last[i] = t;
      if (t < this.first[i]!) this.first[i] = t;
    }
    // The latest kept sample, once the list is full: a later record cannot enter it (logs are mostly in time order).
    const n = this.sampleCount[i]!;
    if (n === SAMPLE_LIMIT && t > this.sampleTime[i * SAMPLE_LIMIT + SAMPLE_LIMIT - 1]!) return;
    this.addSample(i, t, id);
  }

  /** Keep the earliest SAMPLE_LIMIT distinct samples by (time, id); an empty id is never a sample. */
  private addSample(i: number, t: number, id: string): void {
    if (id === '') return;
    const base = i * SAMPLE_LIMIT;
    const times = this.sampleTime;
    const ids = this.sampleId;
    const n = this.sampleCount[i]!;
    let k = n;
    while (k > 0 && before(t, id, times[base + k - 1]!, ids[base + k - 1]!)) k--;
    if (k > 0 && times[base + k - 1] === t && ids[base + k - 1] === id) return;
    if (k >= SAMPLE_LIMIT) return;
    for (let j = Math.min(n, SAMPLE_LIMIT - 1); j > k; j--) {
      times[base + j] = times[base + j - 1]!;
      ids[base + j] = ids[base + j - 1]!;
    }
    times[base + k] = t;
    ids[base + k] = id;
    if (n < SAMPLE_LIMIT) this.sampleCount[i] = n + 1;
  }

  /** Earliest time of accumulator `i` in microseconds, +Infinity when unknown. */
  firstOf(i: number): number {
    return this.first[i]!;
  }

  /** Latest time of accumulator `i` in microseconds, -Infinity when unknown. */
  lastOf(i: number): number {
    return this.last[i]!;
  }

  /** The canonical Evidence of accumulator `i`. */
  toEvidence(i: number): Evidence {
    const stages: Partial<Record<Stage, number>> = {};
    for (const st of STAGES) {
      const n = this.stages[i * 4 + STAGE_SLOT[st]]!;
      if (n) stages[st] = n;
    }
    const samples: Sample[] = [];
    const base = i * SAMPLE_LIMIT;
    for (let k = 0; k < this.sampleCount[i]!; k++) {
      const t = this.sampleTime[base + k]!;
      samples.push({ id: this.sampleId[base + k]!, time: t === Infinity ? '' : microsToTime(t) });
    }
    const first = this.first[i]!;
    const last = this.last[i]!;
    // The first and last times are most often a sample's: its text is reused, not made again.
    const text = (t: number): string => {
      for (let k = 0; k < samples.length; k++) if (this.sampleTime[base + k] === t) return samples[k]!.time;
      return microsToTime(t);
    };
    return {
      count: countOf(stages),
      firstSeen: first === Infinity ? '' : text(first),
      lastSeen: last === -Infinity ? '' : text(last),
      stages,
      samples,
    };
  }

  /** `tuple(i)`, or undefined for -1 (no accumulator). */
  tupleOf(i: number): CompactEvidence | undefined {
    return i >= 0 ? this.tuple(i) : undefined;
  }

  /**
   * The compact tuple of accumulator `i` as a profile line has it (lines.ts): the tuple of `toEvidence(i)`, made
   * without it.
   */
  tuple(i: number): CompactEvidence {
    const st = this.stages;
    let count = 0;
    for (const k of COUNT_SLOTS) if ((count = st[i * 4 + k]!)) break;
    const first = this.first[i]!;
    const last = this.last[i]!;
    // The first and last times are most often a sample's: its text is reused, not made again (as in toEvidence).
    const base = i * SAMPLE_LIMIT;
    const n = this.sampleCount[i]!;
    const flat: string[] = [];
    let firstText = first === Infinity ? '' : undefined;
    let lastText = last === -Infinity ? '' : undefined;
    for (let k = 0; k < n; k++) {
      const t = this.sampleTime[base + k]!;
      const text = t === Infinity ? '' : microsToTime(t);
      if (t === first) firstText ??= text;
      if (t === last) lastText ??= text;
      flat.push(this.sampleId[base + k]!, text);
    }
    firstText ??= microsToTime(first);
    lastText ??= microsToTime(last);
    // Stages other than ResponseComplete alone, as their object (lines.ts leaves that one out).
    const rc = st[i * 4 + 2]!;
    if (rc === count && !st[i * 4]! && !st[i * 4 + 1]! && !st[i * 4 + 3]! && rc)
      return [count, firstText, lastText, flat];
    const stages: Partial<Record<Stage, number>> = {};
    for (const s of STAGES) if (st[i * 4 + STAGE_SLOT[s]]) stages[s] = st[i * 4 + STAGE_SLOT[s]];
    return [count, firstText, lastText, flat, stages];
  }
}

/** A stage's counter among an accumulator's 4: the order of STAGES, which is also the key order in a profile. */
const STAGE_SLOT: Record<Stage, number> = { RequestReceived: 0, ResponseStarted: 1, ResponseComplete: 2, Panic: 3 };

/** The counters' slots in `countOf`'s order of preference. */
const COUNT_SLOTS = STAGE_PRIORITY.map((s) => STAGE_SLOT[s]);

/** (t, id) before (u, jd): by time (no time last), then by id. */
function before(t: number, id: string, u: number, jd: string): boolean {
  return t < u || (t === u && id < jd);
}

/** One accumulator on its own: a store of one (tests, and the odd edge outside a builder). */
export class EvidenceAccumulator {
  private readonly store = new EvidenceStore(16);
  private readonly i = this.store.create();

  add(stage: Stage, time: string, id: string): void {
    this.store.add(this.i, stage, time, id);
  }

  toEvidence(): Evidence {
    return this.store.toEvidence(this.i);
  }
}
