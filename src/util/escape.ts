import { put } from './own.js';

/**
 * Text from a log, a policy or a file name, made safe for a terminal or a CI log: every control character is
 * written as a visible escape, so no value can start a line of its own (`::error::` or `::add-mask::` in GitHub
 * Actions), move the cursor, set the window title or clear the screen; and every character a reader cannot see is
 * written as one too, so no value can pass for another (`b\u200bob` for `bob`) or hide text. Escaped: C0
 * (U+0000–U+001F, ESC and the line breaks among them: `\n`, `\r`, `\t`, else `\xHH`), DEL and C1 (U+007F–U+009F,
 * NEL and the 8-bit CSI included), the Unicode line and paragraph separators (U+2028, U+2029), the format characters
 * (category Cf: the bidirectional overrides, isolates and marks that reorder what a terminal shows, zero width spaces
 * and joiners, the byte order mark, the soft hyphen, tag characters), the other default-ignorable code points (Hangul
 * fillers, variation selectors) and unpaired surrogates, as `\uHHHH` (`\u{HHHHH}` past U+FFFF). Everything else is
 * kept, the backslash included. Idempotent: escaping twice changes nothing more (a formatter may escape what
 * escapeText already did).
 *
 * The reports' human formats write values through escapeText, which also escapes the backslash. JSON outputs keep
 * their data and write the same characters as JSON escapes (jsonSafe).
 */
export function escapeControls(s: string, max = Number.POSITIVE_INFINITY): string {
  return escape(s, max, false);
}

/**
 * escapeControls, and a literal backslash written as `\\`: so no value can pass for another by spelling an escape out
 * (`pay\u202egnp` typed with a backslash reads `pay\\u202egnp`, the character U+202E `pay\u202egnp`). Not
 * idempotent: the output boundary calls it once per value, through escapeStrings: the human formats of verify, check,
 * diff and backtest (text, GitHub annotations, Markdown, SARIF messages) and the reviewer's report. The CLI's own
 * lines on stderr (summaries, input issues, errors) use escapeControls: input issues quote the values they name as
 * JSON does, backslashes escaped already.
 */
export function escapeText(s: string, max = Number.POSITIVE_INFINITY): string {
  return escape(s, max, true);
}

function escape(s: string, max: number, backslash: boolean): string {
  let cut = s.length > max ? Math.max(0, Math.floor(max)) : s.length;
  // Never split a surrogate pair.
  if (cut < s.length && cut > 0 && isHighSurrogate(s.charCodeAt(cut - 1))) cut--;
  const head = cut === s.length ? s : s.slice(0, cut);
  const [any, all] = backslash ? [TEXT_ANY, TEXT_ALL] : [UNSAFE_ANY, UNSAFE_ALL];
  let out = any.test(head) ? head.replace(all, escapeOne) : head;
  out = notCommand(out);
  if (cut < s.length) out += `…(${(s.length - cut).toLocaleString('en-US')} more characters)`;
  return out;
}

/**
 * The two ways a GitHub Actions runner reads a workflow command in a line of a step's log (actions/runner,
 * ActionCommand.cs): `::name props::data` when the line, its leading white space trimmed, starts with `::`, and the
 * legacy `##[name props]data` anywhere in the line. Either can set a step output (`set-output`), mask text
 * (`add-mask`), stop every later command (`stop-commands`) or add an annotation. A value is written so it can start
 * neither: its first `:` as `\x3a` when it starts (after blanks) with `::`, the second `#` of `##[` as `\x23`.
 */
function notCommand(s: string): string {
  let out = s.includes('##[') ? s.replace(LEGACY_COMMAND, '\\x23[') : s;
  if (LEADING_COMMAND.test(out)) out = out.replace(LEADING_COMMAND, '$1\\x3a:');
  return out;
}

const LEGACY_COMMAND = /(?<=#)#\[/g;
const LEADING_COMMAND = /^(\s*)::/u;

/**
 * What escapeControls escapes, one code point at a time (`u` mode: a pair is one code point, `\p{Cs}` matches an
 * unpaired surrogate only).
 */
const UNSAFE_SOURCE = '[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Default_Ignorable_Code_Point}]|\\p{Cs}';
const UNSAFE_ANY = new RegExp(UNSAFE_SOURCE, 'u');
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, 'gu');
const TEXT_ANY = new RegExp(`${UNSAFE_SOURCE}|\\\\`, 'u');
const TEXT_ALL = new RegExp(`${UNSAFE_SOURCE}|\\\\`, 'gu');

/** Whether a string holds a character (a code point, or an unpaired surrogate) that escapeControls escapes. */
export function isUnsafe(ch: string): boolean {
  return UNSAFE_ANY.test(ch);
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

function escapeOne(ch: string): string {
  if (ch === '\\') return '\\\\';
  const c = ch.codePointAt(0)!;
  if (c === 10) return '\\n';
  if (c === 13) return '\\r';
  if (c === 9) return '\\t';
  if (c <= 0xff) return `\\x${c.toString(16).padStart(2, '0')}`;
  return c <= 0xffff ? `\\u${c.toString(16).padStart(4, '0')}` : `\\u{${c.toString(16)}}`;
}

/**
 * A copy of a report (plain objects, arrays, strings, numbers) with every string escaped (escapeText), keys included,
 * for a human format: the formatter then lays out lines of its own and no value can add one. The strings of a key in
 * `quoted` (an input issue's `message`) hold the values they name as JSON writes them, their backslashes escaped
 * already: escapeControls writes them.
 */
export function escapeStrings<T>(value: T, quoted: ReadonlySet<string> = NONE): T {
  return copy(value, quoted, false) as T;
}

const NONE: ReadonlySet<string> = new Set();

function copy(v: unknown, quoted: ReadonlySet<string>, inQuoted: boolean): unknown {
  if (typeof v === 'string') return inQuoted ? escapeControls(v) : escapeText(v);
  if (Array.isArray(v)) return v.map((x) => copy(x, quoted, inQuoted));
  if (v === null || typeof v !== 'object') return v;
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) put(out, escapeText(k), copy(x, quoted, quoted.has(k)));
  return out;
}

/**
 * JSON text (JSON.stringify's) with the characters escapeControls escapes that JSON.stringify leaves raw (DEL, C1,
 * the separators, the format and other invisible characters) written as `\uHHHH` escapes (a pair of them past
 * U+FFFF): the same values once parsed, and nothing raw that a terminal or a CI log would act on or hide.
 * JSON.stringify writes C0 characters and unpaired surrogates inside strings as escapes itself; outside them a line
 * break is layout.
 */
export function jsonSafe(json: string): string {
  const out = UNSAFE_ANY.test(json) ? json.replace(UNSAFE_ALL, jsonEscape) : json;
  // A legacy workflow command (`##[add-mask]...`, see notCommand) is read anywhere in a line of a CI log, so also
  // in a JSON string; no JSON line starts with `::`.
  return out.includes('##[') ? out.replace(LEGACY_COMMAND, '\\u0023[') : out;
}

function jsonEscape(ch: string): string {
  if (ch.charCodeAt(0) < 0x7f) return ch;
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** At most n UTF-16 units, `…` last when cut; never inside a surrogate pair. */
export function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  let cut = n - 1;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…`;
}
