import { InputError } from '../model/issue.js';
/**
 * Times are carried as normalised RFC 3339 UTC strings with exactly six fractional digits
 * (`2026-11-02T08:00:00.123456Z`), so they compare correctly as strings and keep the
 * microseconds Kubernetes writes.
 */
const RFC3339 = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:?\d\d)$/;

/** Normalise an RFC 3339 time; undefined when it is not one. */
export function normalizeTime(s: string): string | undefined {
  // Fast path: the API server's own MicroTime form is already normal.
  if (s.length === 27 && s.charCodeAt(26) === 90 && isCanonical(s, 26)) return s;
  if (s.length === 24 && s.charCodeAt(23) === 90 && isCanonical(s, 23)) return s.slice(0, 23) + '000Z';
  // CloudTrail's form: whole seconds.
  if (s.length === 20 && s.charCodeAt(19) === 90 && isCanonical(s, 19)) return s.slice(0, 19) + '.000000Z';
  const m = RFC3339.exec(s);
  // Date.parse takes 24:00:00 as the next midnight; RFC 3339 hours end at 23.
  if (!m || Number(m[2]!.slice(0, 2)) > 23) return undefined;
  const frac = (m[3] ?? '').slice(0, 6).padEnd(6, '0');
  const zone = m[4]!;
  if (zone === 'Z' || zone === 'z') {
    const ms = Date.parse(`${m[1]}T${m[2]}Z`);
    if (Number.isNaN(ms)) return undefined;
    return `${m[1]}T${m[2]}.${frac}Z`;
  }
  const ms = Date.parse(`${m[1]}T${m[2]}${zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone}`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().slice(0, 19) + `.${frac}Z`;
}

const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** `YYYY-MM-DDTHH:MM:SS.fff…Z` (fraction up to `zAt`) with plausible field ranges. */
function isCanonical(s: string, zAt: number): boolean {
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return false;
  if (zAt > 19 && s.charCodeAt(19) !== 46) return false;
  for (const i of DIGIT_AT) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  for (let i = 20; i < zAt; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const two = (i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const month = two(5);
  const day = two(8);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && two(11) < 24 && two(14) < 60 && two(17) < 61;
}

/** Milliseconds since the epoch of a normalised time. */
export function timeToMs(t: string): number {
  return Date.parse(t.slice(0, 23) + 'Z');
}

/** A normalised time from epoch milliseconds. */
export function msToTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23) + '000Z';
}

/** `--since`/`--until`: an absolute time, or a duration back from the newest event. */
export type TimeSpec = { kind: 'absolute'; time: string } | { kind: 'relative'; ms: number; text: string };

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parse TIME as the CLI takes it; throws an Error with a one-line message when it is neither form. */
export function parseTimeSpec(text: string): TimeSpec {
  const abs = normalizeTime(text);
  if (abs) return { kind: 'absolute', time: abs };
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text);
  if (m) return { kind: 'relative', ms: Number(m[1]) * UNITS[m[2]!]!, text };
  throw new InputError(`"${text}" is neither an RFC 3339 time (2026-11-02T08:00:00Z) nor a duration (7d, 36h, 90m)`);
}

/** Resolve a spec against the newest event time. */
export function resolveTimeSpec(spec: TimeSpec, newest: string): string {
  if (spec.kind === 'absolute') return spec.time;
  if (newest === '') throw new InputError(`cannot apply "${spec.text}": no event in the input carries a time`);
  return msToTime(timeToMs(newest) - spec.ms);
}

/**
 * A normalised time as whole microseconds since the epoch (exact: below 2^53 until the year 2255).
 * Numbers update in place where strings would allocate, which keeps per-record evidence updates
 * free of garbage.
 */
export function timeToMicros(t: string): number {
  const d = (i: number) => t.charCodeAt(i) - 48;
  // Records come in bursts within the same hour: reuse that hour's start.
  if (!t.startsWith(hourKey)) {
    hourKey = t.slice(0, 13);
    hourMs = Date.UTC(
      d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3),
      d(5) * 10 + d(6) - 1,
      d(8) * 10 + d(9),
      d(11) * 10 + d(12),
    );
  }
  const ms = hourMs + (d(14) * 10 + d(15)) * 60_000 + (d(17) * 10 + d(18)) * 1000;
  return ms * 1000 + (d(20) * 100000 + d(21) * 10000 + d(22) * 1000 + d(23) * 100 + d(24) * 10 + d(25));
}
let hourKey = '\u0000';
let hourMs = 0;

export function microsToTime(us: number): string {
  const secs = Math.floor(us / 1e6);
  return new Date(secs * 1000).toISOString().slice(0, 19) + '.' + String(us - secs * 1e6).padStart(6, '0') + 'Z';
}
