import { dump } from 'js-yaml';
import { dumpDocument, needsQuoting, yamlQuoted, YAML_OPTIONS as OPTIONS } from './yamlQuote.js';

/**
 * Multi-document YAML that `kubectl apply -f -` reads back unchanged: each document dumped on its
 * own with no line folding, joined with `---`. Key order is the order objects were built in.
 *
 * A string a reader could not see as it is is written double-quoted with escapes (src/emit/yamlQuote.ts); every
 * other string as js-yaml's `dump` writes it with these options. The block layout of plain objects, arrays, strings,
 * integers, booleans and null is written here, since evidence files hold hundreds of thousands of entries and `dump`
 * spent most of `generate`'s time on them; each string's style (plain, quoted) is still the one `dump` chooses, asked
 * of it once per distinct string, except for three shapes whose style is known without it. A document with anything
 * else (a key `dump` writes as `? `, an object of a class...) is written by `dumpDocument`, js-yaml with the quoted
 * strings swapped in. test/yaml-emit.test.ts holds the two to the same bytes (but for `markerKey`'s case).
 */
export function toYamlDocuments(docs: unknown[]): string {
  return docs.map(yamlDocument).join('---\n');
}

/** One document, as `dumpDocument` writes it. */
export function yamlDocument(doc: unknown): string {
  try {
    if (isArray(doc)) return doc.length === 0 ? '[]\n' : sequence(doc, '', false);
    if (isPlainObject(doc)) return isEmptyObject(doc) ? '{}\n' : mapping(doc, '', false);
    return dumpDocument(doc);
  } catch (e) {
    if (e !== UNSUPPORTED) throw e;
    if (isPlainObject(doc) && Object.keys(doc).some((k) => MARKER.test(k)))
      throw new Error(`a top-level YAML key would read as a document marker: ${JSON.stringify(Object.keys(doc))}`, {
        cause: e,
      });
    return dumpDocument(doc);
  }
}

/** Thrown where the layout here does not cover a value: the document is then written by `dumpDocument`. */
const UNSUPPORTED = new Error('not written here');

// The text is joined with `+=`, not pushed to an array and joined once: V8 keeps a concatenation as a rope, which is
// copied once when written. An evidence file of 1,000 accesses: 2.3x faster to make, 1.3x with writing it as UTF-8.

/** A mapping's entries at `indent`; the first on the current line when `inline` (an item of a sequence). */
function mapping(o: Record<string, unknown>, indent: string, inline: boolean): string {
  let out = '';
  let first = true;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) throw UNSUPPORTED;
    const key = indent === '' && MARKER.test(k) ? markerKey(k) : keyText(k);
    out += (first && inline ? '' : indent) + key + ':' + after(v, indent, false);
    first = false;
  }
  return out;
}

/** A sequence's items at `indent`; the first on the current line when `inline` (an item of a sequence). */
function sequence(a: unknown[], indent: string, inline: boolean): string {
  let out = '';
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === undefined) throw UNSUPPORTED;
    out += (i === 0 && inline ? '-' : `${indent}-`) + after(v, indent, true);
  }
  return out;
}

/** A value after `key:` or `-` at `indent`, to the end of its last line. */
function after(v: unknown, indent: string, item: boolean): string {
  const list = isArray(v);
  if (!list && !isPlainObject(v)) return ' ' + scalarText(v) + '\n';
  if (list ? v.length === 0 : isEmptyObject(v)) return list ? ' []\n' : ' {}\n';
  // An item's collection starts on the item's line; a mapping value's on the next.
  const more = `${indent}  `;
  return (item ? ' ' : '\n') + (list ? sequence(v, more, item) : mapping(v, more, item));
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return stringText(v);
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return String(v);
    // A number's style does not depend on where it stands.
    const d = dump(v, OPTIONS);
    if (d.indexOf('\n') !== d.length - 1) throw UNSUPPORTED;
    return d.slice(0, -1);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  throw UNSUPPORTED;
}

/**
 * Three shapes whose style is known: a word of letters, digits and `._/-` that starts with a letter and is at least
 * six long (plain: no indicator, nothing YAML would read as another type; the words it would, `true`, `null`,
 * `yes`, `off`..., are shorter), a lower-case UUID (plain), and a canonical time (single-quoted: plain, it would be
 * read as a timestamp).
 */
const PLAIN_WORD = /^[A-Za-z][A-Za-z0-9._/-]{5,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

/** Styles js-yaml chose, per distinct string; bounded (past the limit the memory starts over). */
const LIMIT = 1 << 16;
let values = new Map<string, string>();
let keys = new Map<string, string>();

function stringText(s: string): string {
  if (PLAIN_WORD.test(s) || UUID.test(s)) return s;
  if (TIME.test(s)) return `'${s}'`;
  let t = values.get(s);
  if (t === undefined) {
    if (needsQuoting(s)) t = yamlQuoted(s);
    else {
      // A mapping value: in any block mapping or sequence, a one-line string takes the same style.
      const d = dump({ k: s }, OPTIONS);
      if (!d.startsWith('k: ') || d.indexOf('\n') !== d.length - 1) throw UNSUPPORTED;
      t = d.slice(3, -1);
    }
    if (values.size >= LIMIT) values = new Map();
    values.set(s, t);
  }
  return t;
}

function keyText(k: string): string {
  if (PLAIN_WORD.test(k) && k.length <= 256) return k;
  let t = keys.get(k);
  if (t === undefined) {
    if (needsQuoting(k)) {
      // (A key of 1,024 characters or more is written `? key` by js-yaml: left to it.)
      if (k.length >= 1024) throw UNSUPPORTED;
      t = yamlQuoted(k);
    } else {
      const d = dump({ [k]: 0 }, OPTIONS);
      if (!d.endsWith(': 0\n') || d.startsWith('? ') || d.indexOf('\n') !== d.length - 1) throw UNSUPPORTED;
      t = d.slice(0, -4);
    }
    if (keys.size >= LIMIT) keys = new Map();
    keys.set(k, t);
  }
  return t;
}

/**
 * A key at the start of a line of the document's top level that YAML would read as a document marker (`--- x`,
 * `... x`): js-yaml writes it plain, which no reader reads back. Quoted here (the one place where the text is not
 * js-yaml's: a safer one). Our documents' top-level keys are their schema's own, never a log's; this is defence.
 */
const MARKER = /^(?:---|\.\.\.)(?=$|[ \t])/;

function markerKey(k: string): string {
  const d = dump(k, { ...OPTIONS, forceQuotes: true });
  if (d.indexOf('\n') !== d.length - 1) throw UNSUPPORTED;
  return d.slice(0, -1);
}

function isArray(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isEmptyObject(o: Record<string, unknown>): boolean {
  return Object.keys(o).length === 0;
}
