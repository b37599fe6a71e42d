import type { InputIssue } from '../model/issue.js';
import { deeperThan } from '../util/json.js';
import { MAX_LINE_BYTES } from './lines.js';
import { ValueCutter } from './valueCutter.js';

/** Most a single pretty-printed document may hold before it is refused (memory stays bounded). */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a record may have (512 levels): far past any audit Event, CloudTrail
 * record or flow (a Kubernetes object in a RequestResponse event is a few dozen deep), and far below what a
 * recursive reader of the value could take. A deeper record is an input issue (`json.too-deep`), never read.
 */
export const MAX_DEPTH = 512;

/** A value and its line; `index`, its number among the values of its line when the line holds several. */
export type ValueHandler = (value: unknown, line: number, index?: number) => void;

/**
 * Turns lines into JSON values: one value per line (JSON lines), or, when the first line opens a
 * value it does not close, the file as pretty-printed documents: one, or several one after another.
 */
export class JsonLineDecoder {
  private mode: 'unknown' | 'lines' | 'document' = 'unknown';
  private doc: string[] = [];
  private docBytes = 0;
  private docLine = 0;
  private docTooLarge = false;
  /** The document's lines after its first that hold an object each, and that are not blank (see `asLines`). */
  private docObjects = 0;
  private docFilled = 0;
  /** The document's last line that is not blank is a `}` or `]` alone at its first column (see `line`). */
  private docClosed = false;
  private firstError = '';

  constructor(
    private readonly file: string,
    private readonly onValue: ValueHandler,
    private readonly onIssue: (i: InputIssue) => void,
    /** Byte ranges after the first of a file never switch to document mode. */
    private readonly allowDocument = true,
  ) {}

  /** True while collecting a pretty-printed document: its lines belong to it whatever they start with. */
  get inDocument(): boolean {
    return this.mode === 'document';
  }

  line(text: string, n: number): void {
    if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (this.mode === 'document') {
      // Pretty-printed documents one after another (jq's output, pages appended to a file): a line opening one at its
      // first column, after a line that closes one at its first column, starts the next. Inside one document the two
      // never meet (an array's elements take a comma), and nested lines are indented.
      if (this.docClosed && (text.charCodeAt(0) === 0x7b || text.charCodeAt(0) === 0x5b)) {
        this.finishDocument();
        if (this.mode === 'document') this.mode = 'unknown';
        return this.line(text, n);
      }
      if (!isBlank(text)) this.docClosed = closesDocument(text);
      if (this.docTooLarge) return;
      if (!isBlank(text)) {
        this.docFilled++;
        if (holdsObject(text)) this.docObjects++;
      }
      this.docBytes += text.length + 1;
      if (this.docBytes > MAX_DOCUMENT_BYTES) {
        this.doc.push(text);
        if (this.asLines()) return;
        this.docTooLarge = true;
        this.doc = [];
        this.onIssue(
          this.issue(
            this.docLine,
            'json.document-too-large',
            `a multi-line JSON document over ${MAX_DOCUMENT_BYTES} bytes; write one value per line instead`,
          ),
        );
        return;
      }
      this.doc.push(text);
      return;
    }
    if (isBlank(text)) return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      // Several values on one line (Firehose's objects, `cat *.json` of files without a final newline): each on its
      // own, a broken one alone an issue.
      if (this.concatenated(text, n)) return;
      if (this.mode === 'unknown' && this.allowDocument && opensDocument(text)) {
        this.mode = 'document';
        this.docLine = n;
        this.doc.push(text);
        this.docBytes = text.length;
        this.firstError = errorText(e);
        return;
      }
      this.mode = 'lines';
      this.onIssue(this.issue(n, 'json.malformed', `not valid JSON: ${errorText(e)}`));
      return;
    }
    this.mode = 'lines';
    this.value(v, n, opensMoreThan(text, MAX_DEPTH));
  }

  /**
   * One of the values of a line that holds several back to back (valueCutter.ts; lines.ts cuts a long one as it
   * streams): parsed and judged alone, its issues naming it (`value 3 of the line`).
   */
  cutValue(text: string, n: number, index: number): void {
    this.mode = 'lines';
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      this.onIssue(this.issue(n, 'json.malformed', `value ${index} of the line: not valid JSON: ${errorText(e)}`));
      return;
    }
    this.value(v, n, opensMoreThan(text, MAX_DEPTH), index);
  }

  /** A value of a line of several that is over the size limit: left out. */
  tooLargeValue(n: number, index: number, bytes: number): void {
    this.mode = 'lines';
    const [b, max] = [bytes, MAX_LINE_BYTES].map((x) => x.toLocaleString('en-US'));
    this.onIssue(
      this.issue(
        n,
        'json.too-large',
        `value ${index} of the line: ${b} bytes, over the ${max} a record may take: left out`,
      ),
    );
  }

  /**
   * A line that is values back to back: at least two pieces, one after the first opening an object or array, and one
   * whole (a value followed by other text is not, nor are broken bits). Each is read; false, and nothing done, when
   * the line is no such. Only a line where a value may open right after one closed is cut (a line cut short is not).
   */
  private concatenated(text: string, n: number): boolean {
    if (!BACK_TO_BACK.test(text)) return false;
    const pieces: { text: string; index: number }[] = [];
    let opens = false;
    let whole = false;
    const cutter = new ValueCutter(
      {
        begin: (index, c) => {
          if (index > 1 && (c === 0x7b || c === 0x5b)) opens = true;
          return true;
        },
        piece: (t, index, complete) => {
          whole ||= complete;
          pieces.push({ text: t, index });
        },
        tooLarge: () => {},
      },
      Infinity,
    );
    cutter.push(Buffer.from(text, 'utf8'));
    cutter.end();
    if (pieces.length < 2 || !opens || !whole) return false;
    for (const p of pieces) this.cutValue(p.text, n, p.index);
    return true;
  }

  /**
   * A parsed value to its reader, unless it nests deeper than MAX_DEPTH. `mayBeDeep`: the text opens more objects
   * and arrays than the limit (a line with fewer cannot nest deeper, and is not walked: the common case costs a few
   * native searches, not a visit of every value).
   */
  private value(v: unknown, line: number, mayBeDeep: boolean, index?: number): void {
    if (mayBeDeep && deeperThan(v, MAX_DEPTH)) {
      const what = index === undefined ? 'a JSON value' : `value ${index} of the line: a JSON value`;
      this.onIssue(
        this.issue(line, 'json.too-deep', `${what} nested deeper than ${MAX_DEPTH} levels of objects and arrays`),
      );
    } else this.onValue(v, line, index);
  }

  /** Call after the last line. */
  end(): void {
    if (this.mode === 'document') this.finishDocument();
  }

  /** The document collected, read; the next one starts afresh. */
  private finishDocument(): void {
    if (!this.docTooLarge) this.readDocument();
    this.doc = [];
    this.docBytes = this.docObjects = this.docFilled = 0;
    this.docTooLarge = this.docClosed = false;
  }

  private readDocument(): void {
    const text = this.doc.join('\n');
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      if (this.asLines()) return;
      const pos = /position (\d+)/.exec(errorText(e));
      const line = pos ? this.docLine + countNewlines(text, Number(pos[1])) : this.docLine;
      this.onIssue(this.issue(line, 'json.malformed', `not valid JSON: ${errorText(e)}`));
      return;
    }
    const lines = this.doc;
    this.doc = [];
    if (Array.isArray(v) && this.stringPerLine(v, lines)) return;
    this.value(v, this.docLine, true);
  }

  /**
   * A document that is an array of strings, one per line, as the AWS CLI prints a query of the messages alone
   * (`--query 'events[].message'`, `'Events[].CloudTrailEvent'`: `json.dump(…, indent=4)`): each string to the reader
   * at its own line, so that what is wrong with a record names its line. False, and nothing done, for any other.
   */
  private stringPerLine(v: unknown[], lines: string[]): boolean {
    const at: number[] = [];
    lines.forEach((l, i) => {
      if (!isBlank(l)) at.push(i);
    });
    if (v.length === 0 || at.length !== v.length + 2 || lines[at[0]!]!.trim() !== '[') return false;
    for (let i = 0; i < v.length; i++)
      if (typeof v[i] !== 'string' || lines[at[i + 1]!]!.trimStart().charCodeAt(0) !== 0x22) return false;
    for (let i = 0; i < v.length; i++) this.onValue(v[i], this.docLine + at[i + 1]!);
    return true;
  }

  /**
   * A "document" that is JSON lines whose first record is cut short (a writer killed mid-line, a copy cut at a byte):
   * most of its other lines hold an object each, where a pretty-printed document's hold parts of one. Its lines are
   * read as JSON lines, the first an issue; false, and nothing done, when it is not such.
   */
  private asLines(): boolean {
    if (this.docObjects * 2 <= this.docFilled) return false;
    const lines = this.doc;
    this.doc = [];
    this.mode = 'lines';
    this.onIssue(this.issue(this.docLine, 'json.malformed', `not valid JSON: ${this.firstError}`));
    for (let i = 1; i < lines.length; i++) this.line(lines[i]!, this.docLine + i);
    return true;
  }

  private issue(line: number, code: string, message: string): InputIssue {
    return { kind: 'issue', code, file: this.file, line, message };
  }
}

/** A value closing and another opening right after it (what no one JSON value holds outside its strings). */
const BACK_TO_BACK = /[}\]]\s*[{[]/;

/** Whether the text holds more than `max` of `{` and `[` (in strings or not: an upper bound of the nesting). */
function opensMoreThan(s: string, max: number): boolean {
  let n = 0;
  for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) if (++n > max) return true;
  for (let i = s.indexOf('['); i >= 0; i = s.indexOf('[', i + 1)) if (++n > max) return true;
  return false;
}

function isBlank(s: string): boolean {
  if (s.length === 0) return true;
  const c = s.charCodeAt(0);
  if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  return s.trim().length === 0;
}

/** Whether a line is one whole JSON object or array, by its ends (`asLines` counts them; no parse). */
function holdsObject(text: string): boolean {
  const t = text.trim();
  return (t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'));
}

/** A line that is `}` or `]` alone, at its first column: the end of a pretty-printed document. */
function closesDocument(text: string): boolean {
  const c = text.charCodeAt(0);
  return (c === 0x7d || c === 0x5d) && text.trimEnd().length === 1;
}

function opensDocument(text: string): boolean {
  const t = text.trim();
  return (t.startsWith('{') || t.startsWith('[')) && !(t.endsWith('}') || t.endsWith(']'));
}

export function countNewlines(s: string, upTo: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < upTo; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 200 ? m.slice(0, 200) + '…' : m;
}
