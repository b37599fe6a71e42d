/**
 * Parts of resource paths that change from run to run: dates in any common layout, times, UUIDs, long
 * hex or base32 ids, numeric run ids, EC2 host names. `nightly/2026-11-08/volumes.tar.zst`, `2026/11/08/app.log`,
 * `runs/7f9c2b1e-.../out.json`, `build-18342/`, `node-logs/ip-10-0-1-23.eu-west-1.compute.internal/`: the next run
 * (or node) writes under another name, so a policy naming the one seen breaks. Words and versions (`db`, `v2`,
 * `reports`) are not variable.
 */

const TOKEN_SPLIT = /[-_.+=,@:]/;
const DATE = /^(19|20)\d{2}[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(t\d{2}(:?\d{2}){0,2}(\.\d+)?z?)?$/;
const UUID_INSIDE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const DATE_INSIDE = /(^|[-_.])(19|20)\d{2}[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(t\d{2,6}z?)?($|[-_.])/;
const YEAR = /^(19|20)\d{2}$/;
/** EC2's private DNS host name, `ip-` and the address's four numbers (`ip-10-0-1-23`, then `.ec2.internal` or not). */
const HOST = /(?:^|[^a-z0-9])(ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?![a-z0-9])/d;
const MONTH = /^(0[1-9]|1[0-2])$/;

/**
 * Random ids in letters and digits: nanoid and other base64url ids (split here at their `-` and `_`), Stripe-style
 * `cus_NffrFeUfNV2Hib`, short lower-case ids `x7k2m9q4`. Eight or more characters of at least two of upper case, lower
 * case and digits, the class changing between most neighbours: words, camelCase names and versions change class
 * rarely (`S3Bucket`, `OAuth2Token`, `sha256sum`, `Html5Game`). `t` as written: case is half the evidence.
 */
function mixedId(t: string): boolean {
  if (t.length < 8 || !/^[0-9a-z]+$/i.test(t)) return false;
  const cls = (c: number) => (c <= 0x39 ? 0 : c <= 0x5a ? 1 : 2);
  const seen = new Set<number>();
  let changes = 0;
  for (let i = 0; i < t.length; i++) {
    const c = cls(t.charCodeAt(i));
    seen.add(c);
    if (i > 0 && c !== cls(t.charCodeAt(i - 1))) changes++;
  }
  return seen.size >= 2 && changes * 2 > t.length - 1;
}

/** Why a single token (between separators) is one of a kind that varies per run, or undefined. */
function variableToken(t: string, written = t): string | undefined {
  if (DATE.test(t)) return 'a date';
  if (/^(1[5-9]\d{8}|1[5-9]\d{11})$/.test(t)) return 'a Unix time';
  if (/^\d{5,}$/.test(t)) return 'a numeric id';
  // Git SHAs and other hex ids: seven or more hex digits, with both a digit and a letter.
  if (/^[0-9a-f]{7,}$/.test(t) && /\d/.test(t) && /[a-f]/.test(t)) return 'a hex id';
  // Base32/base62 ids (ULIDs, KSUIDs, random keys): sixteen or more letters and digits, mixed.
  if (/^[0-9a-z]{16,}$/i.test(t) && /\d/.test(t) && /[a-z]/i.test(t)) return 'a generated id';
  if (mixedId(written)) return 'a generated id';
  return undefined;
}

/**
 * How a variable part varies. `time`: a date or a Unix time, which the next run's key holds another of whatever else
 * it names. `host`: an EC2 host name (`ip-10-0-1-23.eu-west-1.compute.internal`), another once the node is replaced.
 * `id`: a UUID, a hex, generated or numeric id, which may be a run's (another each run) or a tenant's, an account's, a
 * dataset's (the same in every run): only the keys seen can tell (knowledge/aws/objectKeys.ts).
 */
export type VariableKind = 'time' | 'host' | 'id';

/**
 * Whether segment `i` of `segments` varies per run: why (as firstVariableSegment says it) and how (`time` or `host` if
 * any of its parts is, else `id`); undefined when it looks stable.
 */
export function variableSegment(segments: string[], i: number): { why: string; kind: VariableKind } | undefined {
  const found = variableParts(segments[i]!, segments[i + 1]);
  if (found.length === 0) return undefined;
  const kind = found.some((f) => f.kind === 'time') ? 'time' : found.some((f) => f.kind === 'host') ? 'host' : 'id';
  return { why: found[0]!.why, kind };
}

/**
 * The index of the first segment of `segments` that varies per run, with why; undefined when every
 * segment looks stable. `2026/11/08` is a date over three segments: the year is the first.
 */
export function firstVariableSegment(segments: string[]): { index: number; why: string } | undefined {
  for (let i = 0; i < segments.length; i++) {
    const v = variableSegment(segments, i);
    if (v) return { index: i, why: v.why };
  }
  return undefined;
}

/**
 * Where the first variable part of `segments` starts: the segment, the character within it (`kube-apiserver-audit-`
 * is stable before the hex id at 21) and why; undefined when every segment looks stable. The same judgement as
 * firstVariableSegment, to the character: a log stream's name is often one segment with a stable start.
 */
export function firstVariablePart(segments: string[]): { index: number; at: number; why: string } | undefined {
  for (let i = 0; i < segments.length; i++) {
    const found = variableParts(segments[i]!, segments[i + 1]);
    if (found.length > 0) {
      const first = found.reduce((a, b) => (b.at < a.at ? b : a));
      // Offsets are into the lower-cased segment: where lower-casing changed its length (a few non-ASCII letters),
      // the whole segment counts as variable.
      const at = segments[i]!.toLowerCase().length === segments[i]!.length ? first.at : 0;
      return { index: i, at, why: first.why };
    }
  }
  return undefined;
}

/**
 * Every kind of variable part found in one segment, in the order firstVariableSegment asks (its `why` is the first's),
 * each with the character of the lower-cased segment where it starts. `next` is the segment after it, for a date
 * spread over segments.
 */
function variableParts(segment: string, next: string | undefined): { at: number; why: string; kind: VariableKind }[] {
  const lower = segment.toLowerCase();
  const s = partitionValue(lower);
  const base = lower.length - s.length;
  const out: { at: number; why: string; kind: VariableKind }[] = [];
  if (YEAR.test(s) && MONTH.test(partitionValue(next ?? '')))
    out.push({ at: base, why: 'a date (year/month/day)', kind: 'time' });
  // As before this took offsets: a UUID inside a segment counts when the segment is one line.
  const uuid = /[\n\r\u2028\u2029]/.test(s) ? null : UUID_INSIDE.exec(s);
  if (uuid) out.push({ at: base + uuid.index, why: 'a UUID', kind: 'id' });
  const date = DATE.test(s) ? 0 : DATE_INSIDE.exec(s);
  if (date !== null) {
    const at = date === 0 ? 0 : date.index + (date[1] ? 1 : 0);
    out.push({ at: base + at, why: 'a date', kind: 'time' });
  }
  if (/^\d{4,}$/.test(s) && !YEAR.test(s)) {
    const why = variableToken(s) ?? 'a numeric id';
    out.push({ at: base, why, kind: kindOf(why) });
  }
  // The same tokens as written (lower-casing keeps the length of all but a few non-ASCII letters).
  const written = (lower.length === segment.length ? partitionValue(segment) : s).split(TOKEN_SPLIT);
  let at = 0;
  for (const [i, t] of s.split(TOKEN_SPLIT).entries()) {
    const why = variableToken(t, written[i]);
    if (why) {
      out.push({ at: base + at, why, kind: kindOf(why) });
      break;
    }
    at += t.length + 1;
  }
  // An EC2 host name, as kubelet and the VPC CNI name nodes: stable in shape, another once the node is replaced.
  const host = HOST.exec(s);
  if (host) out.push({ at: base + host.indices![1]![0], why: "an EC2 host name (a node's IP)", kind: 'host' });
  return out;
}

/** A token's kind, from its why: dates and Unix times are `time`, the rest ids. */
const kindOf = (why: string): VariableKind => (why.startsWith('a date') || why === 'a Unix time' ? 'time' : 'id');

/**
 * A Hive-style partition `key=value` (Athena's `dt=2026-11-08/`, `year=2026/month=11/day=08/`; Firehose and Glue write
 * them too) is judged by its value: the key is a column name, the value the run's date or id. Other segments as they
 * are.
 */
function partitionValue(segment: string): string {
  const m = /^[a-z_][a-z0-9_]*=(.+)$/i.exec(segment);
  return m ? m[1]! : segment;
}
