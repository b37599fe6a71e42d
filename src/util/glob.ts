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
}

export function compileGlob(pattern: string, opts: GlobOptions = {}): Glob {
  const ci = opts.caseInsensitive === true;
  const norm = ci ? foldCase(pattern) : pattern;
  const parts = norm.split('*');
  if (parts.length === 1) {
    const whole = parts[0]!;
    if (!whole.includes('?')) return { test: (v) => (ci ? foldCase(v) : v) === whole };
    return { test: (v) => v.length === whole.length && at(whole, ci ? foldCase(v) : v, 0) };
  }
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const fixed = first.length + last.length;
  return {
    test(value) {
      if (value.length < fixed) return false;
      const v = ci ? foldCase(value) : value;
      const end = v.length - last.length;
      if (!at(first, v, 0) || !at(last, v, end)) return false;
      let pos = first.length;
      for (const seg of middle) {
        const i = find(seg, v, pos, end - seg.length);
        if (i < 0) return false;
        pos = i + seg.length;
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

/** Whether the segment (`?` one code unit, else literal) matches `v` at `i`. */
function at(seg: string, v: string, i: number): boolean {
  if (i < 0 || i + seg.length > v.length) return false;
  for (let k = 0; k < seg.length; k++) {
    const c = seg.charCodeAt(k);
    if (c !== 63 /* ? */ && c !== v.charCodeAt(i + k)) return false;
  }
  return true;
}

/** The leftmost index in [from, to] where the segment matches, or -1. */
function find(seg: string, v: string, from: number, to: number): number {
  if (to < from) return -1;
  if (!seg.includes('?')) {
    const i = v.indexOf(seg, from);
    return i >= 0 && i <= to ? i : -1;
  }
  // Anchor on the longest literal run of the segment, found by indexOf, then check the rest around it.
  const runs = seg.split('?');
  let best = 0;
  for (let k = 1; k < runs.length; k++) if (runs[k]!.length > runs[best]!.length) best = k;
  const lit = runs[best]!;
  if (lit === '') {
    for (let i = from; i <= to; i++) if (at(seg, v, i)) return i;
    return -1;
  }
  const offset = runs.slice(0, best).reduce((n, r) => n + r.length + 1, 0);
  for (let j = v.indexOf(lit, from + offset); j >= 0 && j - offset <= to; j = v.indexOf(lit, j + 1))
    if (at(seg, v, j - offset)) return j - offset;
  return -1;
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
export function globWithin(inner: string, outer: string): boolean {
  const a = [...inner];
  const b = [...outer];
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
