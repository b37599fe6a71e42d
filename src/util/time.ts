import { InputError, type InputIssue } from '../model/issue.js';
/**
 * Times are carried as normalised RFC 3339 UTC strings with exactly six fractional digits
 * (`2026-11-02T08:00:00.123456Z`), so they compare correctly as strings and keep the
 * microseconds Kubernetes writes.
 *
 * Records are read in RFC 3339 and in the forms that query engines and SIEM exports give
 * (CloudTrail Lake and Athena result sets, Splunk, Panther, Snowflake): a space for the `T`
 * (RFC 3339 allows it, section 5.6), lower-case `t` and `z`, any number of fractional digits
 * (nanoseconds are cut to microseconds, never rounded, so order is kept), and, outside RFC
 * 3339, no zone at all (read as UTC, the zone CloudTrail and the API server write in), an offset
 * without its colon or with hours only, a space before the zone, or the zone named `UTC`.
 */
const TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?( ?)(Z|z|UTC|[+-]\d\d(?::?\d\d)?)?$/;

/** A record time read: its normal form, and whether it was written in RFC 3339. */
export interface ReadTime {
  time: string;
  rfc3339: boolean;
}

/** Whether a profile's time is one as the profile writer writes it: RFC 3339 UTC with microseconds, or '' (none). */
export function isProfileTime(t: string): boolean {
  return t === '' || (t.length === 27 && t.charCodeAt(26) === 90 && isCanonical(t, 26));
}

/** Normalise an RFC 3339 time; undefined when it is not one (`--since`, `--until`, flows). */
export function normalizeTime(s: string): string | undefined {
  const r = readTime(s);
  return r?.rfc3339 ? r.time : undefined;
}

/** The forms that are already normal, or nearly (no allocation beyond the result: the ingest hot path). */
function fastTime(s: string): string | undefined {
  // The API server's own MicroTime form is already normal.
  if (s.length === 27 && s.charCodeAt(26) === 90 && isCanonical(s, 26)) return s;
  if (s.length === 24 && s.charCodeAt(23) === 90 && isCanonical(s, 23)) return s.slice(0, 23) + '000Z';
  // Nanoseconds, as Go's protobuf JSON writes a Timestamp (Hubble flows, GKE's LogEntry): cut to microseconds.
  if (s.length === 30 && s.charCodeAt(29) === 90 && isCanonical(s, 29)) return s.slice(0, 26) + 'Z';
  // CloudTrail's form: whole seconds.
  if (s.length === 20 && s.charCodeAt(19) === 90 && isCanonical(s, 19)) return s.slice(0, 19) + '.000000Z';
  return undefined;
}

/** Read a record's time in any of the forms above; undefined when it is none of them or no real instant. */
export function readTime(s: string): ReadTime | undefined {
  const fast = fastTime(s);
  if (fast !== undefined) return { time: fast, rfc3339: true };
  const m = TIME.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  // Date.UTC rolls 02-31 over into March and 24:00 into the next day: a field out of its range is no time.
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  if (!dayExists(year!, month!, day!)) return undefined;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0 to 99 as 1900 to 1999.
  d.setUTCFullYear(year!, month! - 1, day!);
  d.setUTCHours(hour!, minute!, second!, 0);
  const ms = d.getTime();
  const frac = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  const zone = m[9] ?? '';
  const rfc3339 = m[8] === '' && (zone === 'Z' || zone === 'z' || /^[+-]\d\d:\d\d$/.test(zone));
  let offsetMin = 0;
  if (zone.startsWith('+') || zone.startsWith('-')) {
    const digits = zone.slice(1).replace(':', '');
    const h = Number(digits.slice(0, 2));
    const mm = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (h > 23 || mm > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (h * 60 + mm);
  }
  const utc = new Date(ms - offsetMin * 60_000).toISOString();
  // Years before 0 or after 9999 have no four-digit form.
  if (utc.length !== 24) return undefined;
  return { time: `${utc.slice(0, 19)}.${frac}Z`, rfc3339 };
}

/** What the decoders need to report a time: the source's issue prefix and the field's name. */
export interface TimeField {
  /** `cloudtrail`, `k8s`: the prefix of the issue codes. */
  source: string;
  field: string;
}

/**
 * A record's time for a decoder. Time is evidence, not authorization: a record is never dropped for
 * its time. A missing or unreadable time gives '' (the record is kept, its time unknown) and a
 * notice naming the file and line (`<source>.no-time`, `<source>.bad-time`); a time in a form other
 * than RFC 3339 gives its normal form and a notice counted once per file (`<source>.time-form`).
 */
export function recordTime(
  raw: unknown,
  f: TimeField,
  loc: { file: string; line: number },
  emit: (i: InputIssue) => void,
  shipped?: unknown,
): string {
  if (typeof raw === 'string') {
    const fast = fastTime(raw);
    if (fast !== undefined) return fast;
  }
  const notice = (code: string, message: string, perFile?: true) =>
    emit({
      kind: 'issue',
      level: 'notice',
      ...(perFile ? { perFile } : {}),
      code,
      file: loc.file,
      line: loc.line,
      message,
    });
  if (raw === undefined || raw === null || raw === '') {
    // A log shipper (Logstash, Filebeat, Fluent Bit's es output) that moved the record's own time into its
    // `@timestamp`: read it, and say so once per file, as it may be when the record was shipped, not made.
    const s = typeof shipped === 'string' ? readTime(shipped) : undefined;
    if (s) {
      notice(
        `${f.source}.shipper-time`,
        `no ${f.field}: read the shipper's @timestamp ${JSON.stringify(shipped)} as the record's time (it may be when the record was shipped)`,
        true,
      );
      return s.time;
    }
    notice(`${f.source}.no-time`, `no ${f.field}: the record is kept, its time unknown`);
    return '';
  }
  const r = typeof raw === 'string' ? readTime(raw) : undefined;
  if (!r) {
    const what = typeof raw === 'string' ? JSON.stringify(raw.slice(0, 120)) : `of type ${typeof raw}`;
    notice(`${f.source}.bad-time`, `${f.field} ${what} is not a time: the record is kept, its time unknown`);
    return '';
  }
  if (!r.rfc3339)
    notice(
      `${f.source}.time-form`,
      `${f.field} ${JSON.stringify(raw)} is not RFC 3339 (a zone missing or written otherwise): read as ${r.time}`,
      true,
    );
  return r.time;
}

/**
 * The first of a record's time fields (up to four, in order) that holds a non-empty string, else the first that
 * holds anything. Fixed parameters, no rest array: called once per record.
 */
export function firstTime(a: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
  if (typeof a === 'string' && a !== '') return a;
  if (typeof b === 'string' && b !== '') return b;
  if (typeof c === 'string' && c !== '') return c;
  if (typeof d === 'string' && d !== '') return d;
  for (const v of [a, b, c, d]) if (v !== undefined && v !== null && v !== '') return v;
  return undefined;
}

/** Whether the day is in its month (no 02-30, no 02-29 outside leap years). */
function dayExists(year: number, month: number, day: number): boolean {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return day >= 1 && d.getUTCDate() === day;
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
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && two(11) < 24 && two(14) < 60 && two(17) < 60))
    return false;
  // 02-30, 04-31...: no such day (the slow path says so too).
  return day <= 28 || dayExists(Number(s.slice(0, 4)), month, day);
}

/** 10000-01-01T00:00:00Z in microseconds since the epoch: the first instant a four-digit year cannot write. */
const YEAR_10000_MICROS = 253_402_300_800_000_000;

/**
 * A time given as a number since the epoch (CloudWatch Logs' `timestamp` in milliseconds, a VPC flow log's `start` in
 * seconds: `unitMicros` 1000 or 1e6), normalised; undefined for one before the epoch, past the year 9999 or no number
 * at all. Fractions below a microsecond are cut, never rounded, as in readTime.
 */
export function epochTime(n: number, unitMicros: number): string | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const us = Math.floor(n * unitMicros);
  return us < YEAR_10000_MICROS ? microsToTime(us) : undefined;
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

/**
 * Resolve a spec against the newest event time, to the microsecond (the newest record's own, and a duration's
 * fraction of a millisecond), so both ends of the window hold the record exactly a duration before the newest.
 */
export function resolveTimeSpec(spec: TimeSpec, newest: string): string {
  if (spec.kind === 'absolute') return spec.time;
  if (newest === '') throw new InputError(`cannot apply "${spec.text}": no event in the input carries a time`);
  // No earlier than 0000-01-01, the first day a normalised time can write.
  return microsToTime(Math.max(timeToMicros(newest) - Math.round(spec.ms * 1000), FIRST_DAY * 86_400_000_000));
}

/**
 * A normalised time as whole microseconds since the epoch: exact from 1685 to 2255 (below 2^53); before and after,
 * rounded to a few microseconds (at most 16 in the year 9999), order kept. Evidence keeps its times this way.
 * Numbers update in place where strings would allocate, which keeps per-record evidence updates
 * free of garbage.
 */
export function timeToMicros(t: string): number {
  const d = (i: number) => t.charCodeAt(i) - 48;
  // Records come in bursts within the same hour: reuse that hour's start.
  if (!t.startsWith(hourKey)) {
    hourKey = t.slice(0, 13);
    const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
    // Date.UTC reads years 0 to 99 as 1900 to 1999: such a year is taken 400 years (one whole Gregorian cycle) later.
    const early = year < 100;
    hourMs =
      Date.UTC(early ? year + 400 : year, d(5) * 10 + d(6) - 1, d(8) * 10 + d(9), d(11) * 10 + d(12)) -
      (early ? GREGORIAN_CYCLE_MS : 0);
  }
  const ms = hourMs + (d(14) * 10 + d(15)) * 60_000 + (d(17) * 10 + d(18)) * 1000;
  return ms * 1000 + (d(20) * 100000 + d(21) * 10000 + d(22) * 1000 + d(23) * 100 + d(24) * 10 + d(25));
}
let hourKey = '\u0000';
/** 400 Gregorian years: 146,097 days. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;
let hourMs = 0;

/**
 * The normalised time of whole microseconds since the epoch. The date part comes from a one-day cache (a profile's
 * times fall on a few days), the rest is arithmetic: no Date per call, which writing a large profile made millions of.
 */
export function microsToTime(us: number): string {
  const secs = Math.floor(us / 1e6);
  const day = Math.floor(secs / 86_400);
  // Years 0 to 9999 only (toISOString writes others with six digits and a sign).
  if (day < FIRST_DAY || day > LAST_DAY) return slowMicrosToTime(us);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  const s = secs - day * 86_400;
  const m = Math.floor(s / 60);
  return (
    cachedDate +
    TWO_DIGITS[Math.floor(m / 60)] +
    ':' +
    TWO_DIGITS[m % 60] +
    ':' +
    TWO_DIGITS[s % 60] +
    '.' +
    String(us - secs * 1e6).padStart(6, '0') +
    'Z'
  );
}
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** 0000-01-01 and 9999-12-31 as days since the epoch. */
const FIRST_DAY = -719_528;
const LAST_DAY = 2_932_896;
let cachedDay = NaN;
let cachedDate = '';

function slowMicrosToTime(us: number): string {
  const secs = Math.floor(us / 1e6);
  return new Date(secs * 1000).toISOString().slice(0, 19) + '.' + String(us - secs * 1e6).padStart(6, '0') + 'Z';
}
