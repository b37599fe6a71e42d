import { put } from './own.js';

/**
 * Text from a log, a policy or a file name, made safe for a terminal or a CI log: every control character is
 * written as a visible escape, so no value can start a line of its own (`::error::` or `::add-mask::` in GitHub
 * Actions), move the cursor, set the window title or clear the screen. Escaped: C0 (U+0000–U+001F, ESC and the
 * line breaks among them: `\n`, `\r`, `\t`, else `\xHH`), DEL and C1 (U+007F–U+009F, NEL and the 8-bit CSI
 * included), the Unicode line and paragraph separators (U+2028, U+2029) and the bidirectional overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows (`\uHHHH`). Everything else is kept,
 * the backslash included. Idempotent: escaping twice changes nothing more.
 *
 * The output boundary calls it once per value: the CLI's summary and issue lines, and the reports' human formats
 * (text, GitHub annotations, Markdown, SARIF messages) through escapeStrings. JSON outputs keep their data and
 * write the same characters as JSON escapes (jsonSafe).
 */
export function escapeControls(s: string, max = Number.POSITIVE_INFINITY): string {
  let cut = s.length > max ? Math.max(0, Math.floor(max)) : s.length;
  // Never split a surrogate pair.
  if (cut < s.length && cut > 0 && isHighSurrogate(s.charCodeAt(cut - 1))) cut--;
  let out = '';
  let from = 0;
  for (let i = 0; i < cut; i++) {
    const c = s.charCodeAt(i);
    if (!isUnsafe(c)) continue;
    out += s.slice(from, i) + escapeOne(c);
    from = i + 1;
  }
  out += from === 0 && cut === s.length ? s : s.slice(from, cut);
  if (cut < s.length) out += `…(${(s.length - cut).toLocaleString('en-US')} more characters)`;
  return out;
}

/** Whether a UTF-16 code unit is one escapeControls escapes. */
export function isUnsafe(c: number): boolean {
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x2028 ||
    c === 0x2029 ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069)
  );
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

function escapeOne(c: number): string {
  if (c === 10) return '\\n';
  if (c === 13) return '\\r';
  if (c === 9) return '\\t';
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/**
 * A copy of a report (plain objects, arrays, strings, numbers) with every string escaped, keys included, for a
 * human format: the formatter then lays out lines of its own and no value can add one.
 */
export function escapeStrings<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (typeof v === 'string') return escapeControls(v);
  if (Array.isArray(v)) return v.map(copy);
  if (v === null || typeof v !== 'object') return v;
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) put(out, escapeControls(k), copy(x));
  return out;
}

/**
 * JSON text (JSON.stringify's) with the characters escapeControls escapes that JSON.stringify leaves raw (DEL, C1,
 * the separators and the bidirectional controls) written as `\uHHHH` escapes: the same values once parsed, and no
 * raw control character when the JSON is printed to a terminal or a CI log.
 */
export function jsonSafe(json: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    // C0 characters never stand raw inside JSON.stringify's strings; outside them a line break is layout.
    if (c < 0x7f || !isUnsafe(c)) continue;
    out += json.slice(from, i) + `\\u${c.toString(16).padStart(4, '0')}`;
    from = i + 1;
  }
  return from === 0 ? json : out + json.slice(from);
}
