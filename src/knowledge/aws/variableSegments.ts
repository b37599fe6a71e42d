/**
 * Parts of resource paths that change from run to run: dates in any common layout, times, UUIDs, long
 * hex or base32 ids, numeric run ids. `nightly/2026-11-08/volumes.tar.zst`, `2026/11/08/app.log`,
 * `runs/7f9c2b1e-.../out.json`, `build-18342/`: the next run writes under another name, so a policy
 * naming the one seen breaks. Words and versions (`db`, `v2`, `reports`) are not variable.
 */

const TOKEN_SPLIT = /[-_.+=,@:]/;
const DATE = /^(19|20)\d{2}[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(t\d{2}(:?\d{2}){0,2}(\.\d+)?z?)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE_INSIDE = /(^|[-_.])(19|20)\d{2}[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(t\d{2,6}z?)?($|[-_.])/;
const YEAR = /^(19|20)\d{2}$/;
const MONTH = /^(0[1-9]|1[0-2])$/;

/** Why a single token (between separators) is one of a kind that varies per run, or undefined. */
function variableToken(t: string): string | undefined {
  if (DATE.test(t)) return 'a date';
  if (/^(1[5-9]\d{8}|1[5-9]\d{11})$/.test(t)) return 'a Unix time';
  if (/^\d{5,}$/.test(t)) return 'a numeric id';
  // Git SHAs and other hex ids: seven or more hex digits, with both a digit and a letter.
  if (/^[0-9a-f]{7,}$/.test(t) && /\d/.test(t) && /[a-f]/.test(t)) return 'a hex id';
  // Base32/base62 ids (ULIDs, KSUIDs, random keys): sixteen or more letters and digits, mixed.
  if (/^[0-9a-z]{16,}$/i.test(t) && /\d/.test(t) && /[a-z]/i.test(t)) return 'a generated id';
  return undefined;
}

/**
 * The index of the first segment of `segments` that varies per run, with why; undefined when every
 * segment looks stable. `2026/11/08` is a date over three segments: the year is the first.
 */
export function firstVariableSegment(segments: string[]): { index: number; why: string } | undefined {
  for (let i = 0; i < segments.length; i++) {
    const s = partitionValue(segments[i]!.toLowerCase());
    if (YEAR.test(s) && MONTH.test(partitionValue(segments[i + 1] ?? '')))
      return { index: i, why: 'a date (year/month/day)' };
    if (
      UUID.test(s) ||
      UUID.test(s.replace(/^.*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}).*$/, '$1'))
    )
      return { index: i, why: 'a UUID' };
    if (DATE.test(s) || DATE_INSIDE.test(s)) return { index: i, why: 'a date' };
    if (/^\d{4,}$/.test(s) && !YEAR.test(s)) return { index: i, why: variableToken(s) ?? 'a numeric id' };
    for (const t of s.split(TOKEN_SPLIT)) {
      const why = variableToken(t);
      if (why) return { index: i, why };
    }
  }
  return undefined;
}

/**
 * A Hive-style partition `key=value` (Athena's `dt=2026-11-08/`, `year=2026/month=11/day=08/`; Firehose and Glue write
 * them too) is judged by its value: the key is a column name, the value the run's date or id. Other segments as they
 * are.
 */
function partitionValue(segment: string): string {
  const m = /^[a-z_][a-z0-9_]*=(.+)$/i.exec(segment);
  return m ? m[1]! : segment;
}
