import { dump } from 'js-yaml';
import { isUnsafe } from '../util/escape.js';

/**
 * Strings a reader could not see as they are, written double-quoted with escapes in generated YAML. js-yaml writes C0,
 * C1 and the line separators so, but keeps the bidirectional overrides, zero width and other invisible characters raw
 * (`evil\u202eoc.exe` reads as `evilexe.co` in a terminal or a review), and a `##[` that a CI log would read as a
 * workflow command (src/util/escape.ts).
 */
export const needsQuoting = (s: string): boolean => s.includes('##[') || isUnsafe(s);

export const YAML_OPTIONS = { lineWidth: -1, noRefs: true } as const;

/**
 * A document as js-yaml dumps it, but every string that `needsQuoting` written by `yamlQuoted`: each such string is
 * dumped as a placeholder (a plain scalar, a prefix no string of the document holds), then replaced by its
 * double-quoted form (js-yaml has no per-string style). What src/emit/yaml.ts writes where its own layout does not
 * reach, and what its test holds that layout to.
 */
export function dumpDocument(doc: unknown): string {
  if (!hasHidden(doc)) return dump(doc, YAML_OPTIONS);
  const all = JSON.stringify(doc);
  let prefix = 'a2pQ';
  while (all.includes(prefix)) prefix += 'Q';
  const held: string[] = [];
  const swapped = swap(doc, (s) => (needsQuoting(s) ? `${prefix}${held.push(s) - 1}Z` : s));
  return dump(swapped, YAML_OPTIONS).replace(new RegExp(`${prefix}(\\d+)Z`, 'g'), (_, i: string) =>
    yamlQuoted(held[Number(i)]!),
  );
}

function hasHidden(v: unknown): boolean {
  if (typeof v === 'string') return needsQuoting(v);
  if (Array.isArray(v)) return v.some(hasHidden);
  if (v === null || typeof v !== 'object') return false;
  return Object.entries(v).some(([k, x]) => needsQuoting(k) || hasHidden(x));
}

function swap(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => swap(x, f));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    Object.defineProperty(out, f(k), { value: swap(x, f), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * A YAML double-quoted scalar of `s`: `"` and `\` escaped, every character escapeControls would escape (controls,
 * separators, format and other invisible characters) as `\xHH`, `\uHHHH` or `\UHHHHHHHH`, and the second `#` of `##[`
 * as `\x23`. The same string once read.
 */
export function yamlQuoted(s: string): string {
  let out = '"';
  let prev = '';
  let i = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (isUnsafe(ch)) out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    else if (ch === '#' && prev === '#' && s[i + 1] === '[') out += '\\x23';
    else out += ch;
    prev = ch;
    i += ch.length;
  }
  return out + '"';
}

const hex = (c: number, n: number) => c.toString(16).toUpperCase().padStart(n, '0');
