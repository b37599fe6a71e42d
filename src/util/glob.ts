/**
 * Globs as subject filters and IAM policies write them (one meaning, one implementation): `*` matches
 * any run of characters (colons and slashes included), `?` one character (a UTF-16 code unit); everything
 * else is literal. `system:serviceaccount:shop:*` matches every service account in shop.
 *
 * Matched without backtracking: the pattern is cut at its `*`s into segments; the first must start the
 * value, the last end it, and each one between is taken at its leftmost place after the previous one (for
 * `*` globs the leftmost place is never worse than a later one). A value of n characters against a pattern
 * of m costs at most n·m steps, whatever the pattern (a regex `^.*a.*b…$` backtracks exponentially).
 */
export interface Glob {
  test(value: string): boolean;
}

export interface GlobOptions {
  /** Letters match either case (IAM actions), code unit by code unit as a regex's `i` flag does. */
  caseInsensitive?: boolean;
  /**
   * IAM's special characters are literals: `${*}` a `*`, `${?}` a `?`, `${$}` a `$` (a Resource that names an S3
   * key holding `*`). Without it they are read as written (`$`, `{`, a wildcard, `}`).
   */
  iamEscapes?: boolean;
}

/** A run of a pattern between its `*`s: text, and where it holds a `?` wildcard (undefined: nowhere). */
interface Seg {
  s: string;
  any?: boolean[];
}

/** IAM's three escapes, and whether a string holds one. */
const IAM_ESCAPE = /\$\{([*?$])\}/g;

/** A pattern cut at its wildcard `*`s into runs, each with its `?` wildcards marked. */
function segments(pattern: string, escapes: boolean): Seg[] {
  if (!escapes || !pattern.includes('${'))
    return pattern
      .split('*')
      .map((s) =>
        s.includes('?') ? { s, any: Array.from({ length: s.length }, (_, k) => s.charCodeAt(k) === 63) } : { s },
      );
  const out: Seg[] = [{ s: '' }];
  const add = (ch: string, wild: boolean) => push(out[out.length - 1]!, ch, wild);
  const text = (t: string) => {
    for (const ch of t)
      if (ch === '*') out.push({ s: '' });
      else add(ch, ch === '?');
  };
  let last = 0;
  for (const m of pattern.matchAll(IAM_ESCAPE)) {
    text(pattern.slice(last, m.index));
    add(m[1]!, false);
    last = m.index + m[0].length;
  }
  text(pattern.slice(last));
  return out;
}

function push(seg: Seg, ch: string, wild: boolean): void {
  if (wild || seg.any) {
    seg.any ??= new Array<boolean>(seg.s.length).fill(false);
    for (let k = 0; k < ch.length; k++) seg.any.push(wild);
  }
  seg.s += ch;
}

export function compileGlob(pattern: string, opts: GlobOptions = {}): Glob {
  const ci = opts.caseInsensitive === true;
  const parts = segments(ci ? foldCase(pattern) : pattern, opts.iamEscapes === true);
  if (parts.length === 1) {
    const whole = parts[0]!;
    if (!whole.any) return { test: (v) => (ci ? foldCase(v) : v) === whole.s };
    return { test: (v) => v.length === whole.s.length && at(whole, ci ? foldCase(v) : v, 0) };
  }
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p.s !== '');
  const fixed = first.s.length + last.s.length;
  return {
    test(value) {
      if (value.length < fixed) return false;
      const v = ci ? foldCase(value) : value;
      const end = v.length - last.s.length;
      if (!at(first, v, 0) || !at(last, v, end)) return false;
      let pos = first.s.length;
      for (const seg of middle) {
        const i = find(seg, v, pos, end - seg.s.length);
        if (i < 0) return false;
        pos = i + seg.s.length;
      }
      return true;
    },
  };
}

/** Whether `value` matches `pattern` (see compileGlob). */
export function globMatch(pattern: string, value: string, opts: GlobOptions = {}): boolean {
  if (pattern === '*') return true;
  return compileGlob(pattern, opts).test(value);
}

export function matchesAny(value: string, globs: readonly Glob[]): boolean {
  for (const g of globs) if (g.test(value)) return true;
  return false;
}

/** Whether the run (its `?` wildcards one code unit each, else literal) matches `v` at `i`. */
function at(seg: Seg, v: string, i: number): boolean {
  const s = seg.s;
  if (i < 0 || i + s.length > v.length) return false;
  if (!seg.any) return v.startsWith(s, i);
  for (let k = 0; k < s.length; k++) if (!seg.any[k] && s.charCodeAt(k) !== v.charCodeAt(i + k)) return false;
  return true;
}

/** The leftmost index in [from, to] where the run matches, or -1. */
function find(seg: Seg, v: string, from: number, to: number): number {
  if (to < from) return -1;
  if (!seg.any) {
    const i = v.indexOf(seg.s, from);
    return i >= 0 && i <= to ? i : -1;
  }
  // Anchor on the run's longest literal stretch, found by indexOf, then check the rest around it.
  let best = 0;
  let bestLen = 0;
  for (let k = 0, start = 0; k <= seg.s.length; k++) {
    if (k < seg.s.length && !seg.any[k]) continue;
    if (k - start > bestLen) [best, bestLen] = [start, k - start];
    start = k + 1;
  }
  if (bestLen === 0) {
    for (let i = from; i <= to; i++) if (at(seg, v, i)) return i;
    return -1;
  }
  const lit = seg.s.slice(best, best + bestLen);
  for (let j = v.indexOf(lit, from + best); j >= 0 && j - best <= to; j = v.indexOf(lit, j + 1))
    if (at(seg, v, j - best)) return j - best;
  return -1;
}

/** A literal written as IAM reads it in a Resource: `*`, `?` and the `$` of `${` as `${*}`, `${?}`, `${$}`. */
export function iamEscape(literal: string): string {
  return literal.replace(/\$\{|[*?]/g, (m) => (m === '*' ? '${*}' : m === '?' ? '${?}' : '${$}{'));
}

/** An IAM pattern with its escapes read back as the characters they stand for; its wildcards stay as written. */
export function iamUnescape(pattern: string): string {
  return pattern.includes('${') ? pattern.replace(IAM_ESCAPE, '$1') : pattern;
}

/** What a wildcard of a pattern asked as a value becomes: a private-use character no policy's literal is. */
const WILD = '\uE000';

/**
 * An IAM pattern as the value a diff asks of the other side's policies (ADR 0007): its escapes as the characters they
 * stand for, its wildcards as a character only a wildcard matches. So `q3*.csv` is no use of a grant on the one key
 * `q3${*}.csv`, while a grant on `q3*` covers both.
 */
export function iamAsValue(pattern: string): string {
  if (!/[*?$]/.test(pattern)) return pattern;
  return pattern
    .split(/(\$\{[*?$]\})/)
    .map((t, i) => (i % 2 ? t[2]! : t.replace(/[*?]/g, WILD)))
    .join('');
}

/** Whether an IAM pattern holds a wildcard (`*` or `?` outside the escapes `${*}`, `${?}`). */
export function hasIamWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern.includes('${') ? pattern.replace(IAM_ESCAPE, '') : pattern);
}

/** Whether an IAM pattern holds a policy variable (a `${` that is none of the escapes). */
export function hasPolicyVariable(pattern: string): boolean {
  return pattern.includes('${') && pattern.replace(IAM_ESCAPE, '').includes('${');
}

const folded = new Map<number, number>();

/**
 * Case folding that keeps every code unit in place (so indexes in the folded value are indexes in the value): the
 * regex `i` flag's canonicalization without `u`, upper case where it is one code unit and does not map a non-ASCII
 * letter into ASCII.
 */
export function foldCase(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  let out = '';
  for (let k = 0; k < s.length; k++) out += String.fromCharCode(fold(s.charCodeAt(k)));
  return out;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 127) return false;
  return true;
}

function fold(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  let hit = folded.get(c);
  if (hit === undefined) {
    const up = String.fromCharCode(c).toUpperCase();
    hit = up.length === 1 && up.charCodeAt(0) >= 128 ? up.charCodeAt(0) : c;
    folded.set(c, hit);
  }
  return hit;
}

/** Characters of a DNS label as Cilium's matchPattern allows them (after lower-casing). */
const DNS_LABEL = /^[-a-z0-9_]*$/;
/** Characters a matchPattern may hold: anything else and Cilium refuses the policy. */
const DNS_PATTERN = /^[-a-z0-9_.*]+$/;
/** Cilium refuses a matchName or matchPattern longer than this. */
export const MAX_FQDN_LENGTH = 255;

/** A DNS name as Cilium compares it: lower case, one trailing dot (the fully qualified form) dropped. */
export function dnsName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/**
 * CiliumNetworkPolicy's `toFQDNs.matchPattern` (Cilium's pkg/fqdn/matchpattern), without a regular expression:
 * a pattern of `*`s alone (`*`, `**.`) matches every name (labels of DNS characters) and the root; a leading `**.`
 * matches one or more whole labels; any other run of `*` matches zero or more DNS characters (`-`, `_`, letters,
 * digits) and never a dot; the rest is literal, in any case. So a name matches label by label: a pattern of k
 * labels (after a leading `**.`) needs k labels (at least k + 1), each matched by a `*` glob. A pattern Cilium
 * refuses (over 255 characters, a character other than those and `.` and `*`) matches nothing. Linear: no
 * backtracking whatever the `*`s.
 */
export function compileDnsPattern(pattern: string): Glob {
  const p = dnsName(pattern);
  if (pattern.trim().length > MAX_FQDN_LENGTH || !DNS_PATTERN.test(pattern.trim().toLowerCase()))
    return { test: () => false };
  const labelsOk = (ls: string[]) => ls.every((l) => l !== '' && DNS_LABEL.test(l));
  if (/^\*+$/.test(p)) return { test: (name) => dnsName(name) === '' || labelsOk(dnsName(name).split('.')) };
  const multi = /^\*{2,}\./.exec(p);
  const labels = (multi ? p.slice(multi[0].length) : p).split('.').map((l) => compileGlob(l.replace(/\*+/g, '*')));
  return {
    test(name) {
      const parts = dnsName(name).split('.');
      const extra = parts.length - labels.length;
      if (multi ? extra < 1 || !labelsOk(parts.slice(0, extra)) : extra !== 0) return false;
      for (let i = 0; i < labels.length; i++) {
        const part = parts[extra + i]!;
        if (!DNS_LABEL.test(part) || !labels[i]!.test(part)) return false;
      }
      return true;
    },
  };
}

/**
 * Whether every string the IAM pattern `inner` matches (`*` any run of characters, `?` one) the pattern `outer`
 * matches too: `repo:acme/shop:ref:refs/tags/v*` is within `repo:acme/*`. Sound, not complete only where no answer
 * is needed: an `inner` wildcard is matched by an `outer` wildcard that takes at least as much (`*` takes anything,
 * `?` one `?`), a literal only by itself, `?` or `*`.
 */
export function globWithin(inner: string, outer: string, opts: Pick<GlobOptions, 'iamEscapes'> = {}): boolean {
  const a = tokens(inner, opts.iamEscapes === true);
  const b = tokens(outer, opts.iamEscapes === true);
  // within[i][j]: inner from i is within outer from j.
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = i * (b.length + 1) + j;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === b.length) r = i === a.length;
    else if (b[j] === '*') r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || a[i] === '*') r = false;
    else if (b[j] === '?' || b[j] === a[i]) r = (b[j] === '?' || a[i] !== '?') && go(i + 1, j + 1);
    else r = false;
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

/** A pattern's characters and wildcards; with IAM's escapes, a literal `*` or `?` is a backslash and the character. */
function tokens(pattern: string, escapes: boolean): string[] {
  if (!escapes || !pattern.includes('${')) return [...pattern];
  return pattern.split(/(\$\{[*?$]\})/).flatMap((t, i) => (i % 2 === 0 ? [...t] : [t[2] === '$' ? '$' : `\\${t[2]!}`]));
}
