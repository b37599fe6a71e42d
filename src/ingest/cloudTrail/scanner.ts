/**
 * A byte scanner for CloudTrail files: the records of a `{"Records":[...]}` document (or of a top-level array) are
 * cut out one by one as they stream, so memory is bounded by one record, not the document (a LookupEvents dump or a
 * Lake export can be hundreds of MB on one line). Everything else a CloudTrail file holds is cut into its top-level
 * values, with the line semantics of the line splitter (docs/adr/0002-line-splitter.md): a value that does not
 * close on its line is malformed, unless it is the file's first (a pretty-printed document).
 *
 * The scanner tracks strings, escapes and the nesting of brackets byte by byte; JSON.parse checks each unit it
 * hands out. A line that holds no `"Records"` and ends within the chunk takes a fast path (JSON.parse of the line).
 */
import { MAX_LINE_BYTES } from '../lines.js';

/** `unknown` until the first value ends on its line (`lines`) or spans a line break (`document`). */
export type ScanMode = 'unknown' | 'lines' | 'document';
/** A top-level value, one element of a streamed array, or a value of another key of a streamed document. */
export type UnitRole = 'value' | 'element' | 'skipped';

export interface ScanSink {
  /** A unit's text, the line it starts on and its nesting (1 for `{}`, 0 for a scalar). */
  value(text: string, line: number, depth: number, role: UnitRole): void;
  /** Fast path: a whole line. False when it is not one valid JSON value: the scanner then reads it byte by byte. */
  line(text: string, line: number): boolean;
  /** A document's Records are about to stream: the keys before them as `{...,"Records":[]}` (undefined: too large). */
  stream(head: string | undefined, line: number): void;
  issue(line: number, code: string, message: string): void;
}

/** Where a byte range of a document starts: at an element of the first value's streamed array. */
export interface ScanResume {
  container: 'records' | 'array';
  mode: ScanMode;
}

export interface ScanOptions {
  /** Absolute offset of the first byte pushed. */
  base?: number;
  /** Stop at the first element starting at or past this absolute offset (it belongs to the next range). */
  limit?: number;
  resume?: ScanResume;
  /** A unit larger than this is counted and dropped as it streams (default MAX_LINE_BYTES). */
  maxBytes?: number;
  /** Boundary pre-scan: called at the first byte of each element of the file's first value; true stops the scan. */
  onElement?: (offset: number, resume: ScanResume) => boolean;
  /** False: elements are scanned, never cut out nor handed over (the boundary pre-scan). */
  captureElements?: boolean;
}

const enum S {
  TOP,
  BARE,
  SKIP,
  OBJ_OPEN,
  OBJ_KEY_REQ,
  OBJ_KEY,
  OBJ_COLON,
  OBJ_VALUE,
  OBJ_NEXT,
  ARR_OPEN,
  ARR_ELEM,
  ARR_NEXT,
  VAL,
}

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RECORDS = Buffer.from('Records');
const RECORDS_KEY = Buffer.from('"Records"');

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === CR || c === NL;
const shown = (c: number) => (c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16)}`);

export class RecordScanner {
  /** Line of the byte being read (1-based; a range counts from its first byte). */
  line = 1;
  done = false;
  mode: ScanMode;
  private state: S = S.TOP;
  private pos: number;
  private readonly limit: number;
  private readonly max: number;
  private readonly captureElements: boolean;
  // The top-level value being read.
  private container: 'records' | 'array' | 'object' = 'object';
  private streamed = false;
  private topLine = 1;
  private topDepth = 0;
  private first = true;
  private keyMatch = 0;
  private keyEsc = false;
  private keyStart = 0;
  // The value being scanned in VAL.
  private role: UnitRole | 'inner' = 'inner';
  private ret: S = S.TOP;
  private depth = 0;
  private maxDepth = 0;
  private stack = new Uint8Array(64);
  private inStr = false;
  private esc = false;
  private scalar = false;
  private unitLine = 1;
  // The bytes being kept: pieces of earlier chunks, and where the kept part of this chunk starts (-1: none).
  private capStart = -1;
  private pieces: Buffer[] = [];
  private capBytes = 0;
  private overflow = false;
  // Next line break and next `"Records"` in the current chunk (fast path), -1 when unknown.
  private nextNl = -1;
  private nextRec = -1;
  private nextBs = -1;

  constructor(
    private readonly sink: ScanSink,
    private readonly opts: ScanOptions = {},
  ) {
    this.pos = opts.base ?? 0;
    this.limit = opts.limit ?? Infinity;
    this.max = opts.maxBytes ?? MAX_LINE_BYTES;
    this.captureElements = opts.captureElements ?? true;
    this.mode = opts.resume?.mode ?? 'unknown';
    if (opts.resume) {
      this.container = opts.resume.container;
      this.streamed = true;
      this.state = S.ARR_ELEM;
    }
  }

  /** Line breaks read so far (a range's line count). */
  get lines(): number {
    return this.line - 1;
  }

  push(buf: Buffer): void {
    if (this.done) return;
    const n = buf.length;
    let i = 0;
    if (this.pos === 0 && !this.opts.resume && n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    this.nextNl = this.nextRec = this.nextBs = -1;
    while (i < n && !this.done) i = this.step(buf, i, n);
    if (this.capStart >= 0 && !this.done) {
      this.keep(buf.subarray(this.capStart, n));
      this.capStart = 0;
    }
    this.pos += n;
  }

  /** Call after the last chunk: a value left open is cut short. */
  end(): void {
    if (this.done) return;
    this.done = true;
    const s = this.state;
    if (s === S.TOP || s === S.SKIP) return;
    if (s === S.BARE || (!this.streamed && this.container === 'object')) {
      // Not streamed: JSON.parse of what there is says what is wrong with it ("Unexpected end of JSON input").
      const text = this.take(null, 0, this.topLine);
      if (text !== undefined) this.sink.value(text, this.topLine, this.topDepth, 'value');
      return;
    }
    const cut = s === S.VAL && this.role === 'element';
    this.sink.issue(
      cut ? this.unitLine : this.line,
      'json.truncated',
      `the document ends before it closes: the records before the cut are read${cut ? ', the one it cuts is left out' : ''}`,
    );
  }

  private step(buf: Buffer, i: number, n: number): number {
    switch (this.state) {
      case S.TOP:
        return this.top(buf, i, n);
      case S.VAL:
        return this.val(buf, i, n);
      case S.BARE:
      case S.SKIP: {
        const nl = buf.indexOf(NL, i);
        if (nl < 0) return n;
        if (this.state === S.BARE) {
          const text = this.take(buf, nl, this.topLine);
          if (text !== undefined) this.sink.value(text, this.topLine, this.topDepth, 'value');
        }
        this.line++;
        this.state = S.TOP;
        return nl + 1;
      }
    }
    // The structure of a top-level object or streamed array: one token, after white space.
    const c = buf[i]!;
    if (isWs(c)) {
      if (c === NL && !this.openNewline()) return this.fail(buf, i, n, 'a value that does not end on its line');
      return i + 1;
    }
    switch (this.state) {
      case S.OBJ_OPEN:
      case S.OBJ_KEY_REQ:
        if (c === QUOTE) {
          this.state = S.OBJ_KEY;
          this.keyMatch = 0;
          this.keyEsc = false;
          this.keyStart = this.capBytes + (i - this.capStart);
          return i + 1;
        }
        if (c === RBRACE && this.state === S.OBJ_OPEN) return this.endObject(buf, i);
        return this.fail(buf, i, n, `expected a key, found ${shown(c)}`);
      case S.OBJ_KEY:
        return this.key(buf, i, n);
      case S.OBJ_COLON:
        if (c === 0x3a) {
          this.state = S.OBJ_VALUE;
          return i + 1;
        }
        return this.fail(buf, i, n, `expected ":" after a key, found ${shown(c)}`);
      case S.OBJ_VALUE:
        if (c === LBRACKET && this.keyMatch === RECORDS.length && !this.streamed) return this.startRecords(buf, i);
        return this.startValue(buf, i, n, this.streamed ? 'skipped' : 'inner', S.OBJ_NEXT);
      case S.OBJ_NEXT:
        if (c === 0x2c) {
          this.state = S.OBJ_KEY_REQ;
          return i + 1;
        }
        if (c === RBRACE) return this.endObject(buf, i);
        return this.fail(buf, i, n, `expected "," or "}" in an object, found ${shown(c)}`);
      case S.ARR_OPEN:
      case S.ARR_ELEM:
        if (c === RBRACKET && this.state === S.ARR_OPEN) return this.endArray(i);
        if (this.pos + i >= this.limit) {
          this.done = true;
          return n;
        }
        if (this.first && this.opts.onElement?.(this.pos + i, { container: this.recordsOf(), mode: this.mode })) {
          this.done = true;
          return n;
        }
        return this.startValue(buf, i, n, this.captureElements ? 'element' : 'inner', S.ARR_NEXT);
      case S.ARR_NEXT:
        if (c === 0x2c) {
          this.state = S.ARR_ELEM;
          return i + 1;
        }
        if (c === RBRACKET) return this.endArray(i);
        return this.fail(buf, i, n, `expected "," or "]" after a record, found ${shown(c)}`);
    }
    return n;
  }

  private recordsOf(): 'records' | 'array' {
    return this.container === 'array' ? 'array' : 'records';
  }

  /** Between top-level values: white space, then a value; a whole line that holds no Records goes the fast way. */
  private top(buf: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c === NL) this.line++;
      else if (!isWs(c)) break;
    }
    if (i >= n) return n;
    const c = buf[i]!;
    this.topLine = this.line;
    this.topDepth = 0;
    this.streamed = false;
    if ((c === LBRACE || c === LBRACKET) && this.mode !== 'document') {
      if (this.nextNl < i) this.nextNl = at(buf.indexOf(NL, i), n);
      if (this.nextRec < i) this.nextRec = at(buf.indexOf(RECORDS_KEY, i), n);
      const nl = this.nextNl;
      if (nl < n && this.nextRec > nl && nl - i <= this.max) {
        if (this.sink.line(buf.toString('utf8', i, nl), this.line)) {
          this.valueDone();
          this.line++;
          return nl + 1;
        }
      }
    }
    this.capStart = i;
    this.capBytes = 0;
    this.pieces = [];
    this.overflow = false;
    if (c === LBRACE) {
      this.container = 'object';
      this.topDepth = 1;
      this.state = S.OBJ_OPEN;
      return i + 1;
    }
    if (c === LBRACKET) {
      this.container = 'array';
      this.streamed = true;
      this.capStart = -1;
      this.sink.stream(undefined, this.line);
      this.state = S.ARR_OPEN;
      return i + 1;
    }
    this.state = S.BARE;
    return i;
  }

  private key(buf: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.keyEsc) {
        this.keyEsc = false;
        this.keyMatch = -1;
      } else if (c === BSLASH) this.keyEsc = true;
      else if (c === QUOTE) {
        this.state = S.OBJ_COLON;
        return i + 1;
      } else if (c === NL) return this.fail(buf, i, n, 'a line break inside a key');
      else if (this.keyMatch >= 0) this.keyMatch = RECORDS[this.keyMatch] === c ? this.keyMatch + 1 : -1;
    }
    return n;
  }

  private startRecords(buf: Buffer, i: number): number {
    let head: string | undefined;
    if (!this.overflow) {
      this.keep(buf.subarray(this.capStart, i));
      head = Buffer.concat(this.pieces).toString('utf8', 0, this.keyStart) + '"Records":[]}';
    }
    this.capStart = -1;
    this.pieces = [];
    this.streamed = true;
    this.container = 'records';
    this.sink.stream(head, this.topLine);
    this.state = S.ARR_OPEN;
    return i + 1;
  }

  private endObject(buf: Buffer, i: number): number {
    if (!this.streamed) {
      const text = this.take(buf, i + 1, this.topLine);
      if (text !== undefined) this.sink.value(text, this.topLine, this.topDepth, 'value');
    }
    this.valueDone();
    return i + 1;
  }

  private endArray(i: number): number {
    if (this.container === 'array') this.valueDone();
    else this.state = S.OBJ_NEXT;
    return i + 1;
  }

  private valueDone(): void {
    this.state = S.TOP;
    this.capStart = -1;
    this.pieces = [];
    this.first = false;
    if (this.mode === 'unknown') this.mode = 'lines';
  }

  private startValue(buf: Buffer, i: number, n: number, role: UnitRole | 'inner', ret: S): number {
    const c = buf[i]!;
    this.role = role;
    this.ret = ret;
    this.depth = 0;
    this.maxDepth = 0;
    this.inStr = this.esc = this.scalar = false;
    this.unitLine = this.line;
    if (role !== 'inner') {
      this.capStart = i;
      this.capBytes = 0;
      this.pieces = [];
      this.overflow = false;
    }
    this.state = S.VAL;
    if (c === LBRACE || c === LBRACKET) {
      this.stack[0] = c;
      this.depth = this.maxDepth = 1;
    } else if (c === QUOTE) this.inStr = true;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.scalar = true;
      return i;
    } else return this.fail(buf, i, n, `expected a value, found ${shown(c)}`);
    return i + 1;
  }

  /** Inside a value: strings, escapes and brackets, until it closes. */
  private val(buf: Buffer, i: number, n: number): number {
    if (this.scalar) {
      for (; i < n; i++) {
        const c = buf[i]!;
        if (c === 0x2c || c === RBRACKET || c === RBRACE || isWs(c)) return this.valEnd(buf, i);
      }
      return n;
    }
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (inStr) {
        if (esc) {
          esc = false;
          continue;
        }
        // A short string byte by byte (a native call costs more), a long one to its closing quote in one native search;
        // a backslash or a line break before the quote is found the same way.
        let d = c;
        if (d !== QUOTE && d !== BSLASH && d !== NL) {
          const stop = i + 24 < n ? i + 24 : n;
          while (++i < stop) {
            d = buf[i]!;
            if (d === QUOTE || d === BSLASH || d === NL) break;
          }
          if (i === n) break;
          if (i === stop) {
            const q = at(buf.indexOf(QUOTE, i), n);
            if (this.nextBs < i) this.nextBs = at(buf.indexOf(BSLASH, i), n);
            if (this.nextNl < i) this.nextNl = at(buf.indexOf(NL, i), n);
            i = Math.min(q, this.nextBs, this.nextNl);
            if (i === n) break;
            d = buf[i]!;
          }
        }
        if (d === BSLASH) {
          esc = true;
          continue;
        }
        if (d === NL) return this.fail(buf, i, n, 'a line break inside a string');
        inStr = false;
        if (depth === 0) {
          this.inStr = false;
          this.esc = false;
          return this.valEnd(buf, i + 1);
        }
        continue;
      }
      if (c === QUOTE) inStr = true;
      else if (c === LBRACE || c === LBRACKET) {
        if (depth === this.stack.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(this.stack);
          this.stack = grown;
        }
        this.stack[depth++] = c;
        if (depth > this.maxDepth) this.maxDepth = depth;
      } else if (c === RBRACE || c === RBRACKET) {
        if (this.stack[--depth] !== c - 2) {
          this.depth = depth;
          return this.fail(buf, i, n, `${shown(c)} closes ${depth < 0 ? 'nothing' : 'a different bracket'}`);
        }
        if (depth === 0) {
          this.depth = 0;
          return this.valEnd(buf, i + 1);
        }
      } else if (c === NL) {
        this.depth = depth;
        if (!this.openNewline()) return this.fail(buf, i, n, 'a record that does not end on its line');
      }
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    return n;
  }

  private valEnd(buf: Buffer, end: number): number {
    this.state = this.ret;
    if (this.role === 'inner') {
      if (this.maxDepth + 1 > this.topDepth) this.topDepth = this.maxDepth + 1;
      return end;
    }
    const text = this.take(buf, end, this.unitLine);
    if (text !== undefined) this.sink.value(text, this.unitLine, this.maxDepth, this.role);
    return end;
  }

  /**
   * A line break inside an open value: white space in a document, an open value's end in JSON lines. False when it
   * ends the value (the caller reports it).
   */
  private openNewline(): boolean {
    if (this.mode === 'lines') return false;
    this.mode = 'document';
    this.line++;
    return true;
  }

  /**
   * A value that breaks JSON's grammar. In a document (a value over several lines) the rest of the file cannot be
   * read with any certainty: one issue, and reading stops. On one line: the value that is not streamed goes to
   * JSON.parse up to the end of the line (its own message), a streamed one is one issue; the next line is read.
   */
  private fail(buf: Buffer, i: number, n: number, what: string): number {
    const atNl = buf[i] === NL;
    if (this.mode === 'document') {
      this.sink.issue(this.line, 'json.malformed', `not valid JSON: ${what}; the rest of the file is not read`);
      this.done = true;
      return n;
    }
    this.mode = 'lines';
    this.first = false;
    if (!this.streamed && this.container === 'object') {
      const text = this.take(buf, i, this.topLine);
      if (atNl || text === undefined) {
        if (text !== undefined) this.sink.value(text, this.topLine, this.topDepth, 'value');
        return this.skipLine(buf, i);
      }
      // Keep the rest of the line with it.
      this.capStart = i;
      this.pieces = [Buffer.from(text)];
      this.capBytes = this.pieces[0]!.length;
      this.state = S.BARE;
      return i;
    }
    this.sink.issue(this.line, 'json.malformed', `not valid JSON: ${what}; the rest of the line is not read`);
    this.capStart = -1;
    this.pieces = [];
    return this.skipLine(buf, i);
  }

  /** Go on after the line break at or after `i`. */
  private skipLine(buf: Buffer, i: number): number {
    if (buf[i] === NL) {
      this.line++;
      this.state = S.TOP;
      return i + 1;
    }
    this.state = S.SKIP;
    return i;
  }

  /** Keep a piece of the unit being cut out, or count it once the unit is over the limit. */
  private keep(piece: Buffer): void {
    this.capBytes += piece.length;
    if (this.overflow) return;
    if (this.capBytes > this.max) {
      this.overflow = true;
      this.pieces = [];
      return;
    }
    if (piece.length) this.pieces.push(piece);
  }

  /** The unit's text, from its start to `end` of `buf` (undefined, with its issue, when it was over the limit). */
  private take(buf: Buffer | null, end: number, line: number): string | undefined {
    const start = this.capStart;
    this.capStart = -1;
    if (buf && start >= 0 && !this.pieces.length && !this.overflow && end - start <= this.max) {
      let e = end;
      if (this.state === S.BARE && e > start && buf[e - 1] === CR) e--;
      return buf.toString('utf8', start, e);
    }
    if (buf && start >= 0) this.keep(buf.subarray(start, end));
    const bytes = this.capBytes;
    const pieces = this.pieces;
    this.pieces = [];
    if (this.overflow) {
      this.sink.issue(
        line,
        'json.too-large',
        `a record of ${bytes.toLocaleString('en-US')} bytes, over the ${this.max.toLocaleString('en-US')} one record may take: left out`,
      );
      return undefined;
    }
    return Buffer.concat(pieces).toString('utf8');
  }
}

const at = (x: number, n: number) => (x < 0 ? n : x);
