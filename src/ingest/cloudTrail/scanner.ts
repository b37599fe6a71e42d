/**
 * A byte scanner for CloudTrail files: the records of a `{"Records":[...]}` document (or a top-level array) are cut
 * out one by one as they stream, so memory is bounded by one record, not the document. Any other value is cut out
 * whole, with the line splitter's semantics (docs/adr/0002-line-splitter.md): a value that does not close on its line
 * is malformed, unless it is the file's first (a pretty-printed document). JSON.parse checks each unit; a line that
 * holds no `"Records"` and ends within the chunk takes a fast path (JSON.parse of the line), and so does a record
 * whose end is found by a search for the next one's start (recordEnds.ts).
 */
import { MAX_LINE_BYTES } from '../lines.js';
import { Capture } from './capture.js';
import { RecordEnds } from './recordEnds.js';
import { BSLASH, isWs, LBRACE, LBRACKET, NL, QUOTE, RBRACE, RBRACKET, Scan, shown, ValueScan } from '../valueScan.js';
import type { ScanMode, ScanOptions, ScanSink, UnitRole } from './scanTypes.js';

export type { ScanMode, ScanOptions, ScanResume, ScanSink, UnitRole } from './scanTypes.js';

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

const RECORDS = Buffer.from('Records');
const RECORDS_KEY = Buffer.from('"Records"');
const at = (x: number, n: number) => (x < 0 ? n : x);

export class RecordScanner {
  /** Line of the byte being read (1-based; a range counts from its first byte). */
  line = 1;
  done = false;
  mode: ScanMode;
  private state: S = S.TOP;
  private pos: number;
  private readonly limit: number;
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
  // The value scanned in VAL: what it is, where to go after it, its line.
  private readonly v = new ValueScan(() => this.openNewline());
  private role: UnitRole | 'inner' = 'inner';
  private ret: S = S.TOP;
  private unitLine = 1;
  private readonly cap: Capture;
  // Next line break and next `"Records"` in the current chunk (fast path), -1 when not searched yet.
  private nextNl = -1;
  private nextRec = -1;
  private readonly ends: RecordEnds | undefined;

  constructor(
    private readonly sink: ScanSink,
    private readonly opts: ScanOptions = {},
  ) {
    this.pos = opts.base ?? 0;
    this.limit = opts.limit ?? Infinity;
    this.cap = new Capture(opts.maxBytes ?? MAX_LINE_BYTES);
    this.captureElements = opts.captureElements ?? true;
    this.ends = this.captureElements && opts.guessEnds !== false ? new RecordEnds() : undefined;
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
    this.nextNl = this.nextRec = -1;
    this.v.chunk();
    this.ends?.chunk();
    while (i < n && !this.done) i = this.step(buf, i, n);
    if (!this.done) this.cap.chunkEnd(buf);
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
      return this.emit(null, 0, this.topLine, this.topDepth, 'value');
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
        return this.val(buf, this.v.scan(buf, i, n), n);
      case S.BARE:
      case S.SKIP: {
        const nl = buf.indexOf(NL, i);
        if (nl < 0) return n;
        if (this.state === S.BARE) this.emit(buf, nl, this.topLine, this.topDepth, 'value', true);
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
          this.keyStart = this.cap.offset(i);
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
      case S.ARR_ELEM: {
        if (c === RBRACKET && this.state === S.ARR_OPEN) return this.endArray(i);
        if (this.pos + i >= this.limit) {
          this.done = true;
          return n;
        }
        const container = this.container === 'array' ? 'array' : 'records';
        if (this.first && this.opts.onElement?.(this.pos + i, { container, mode: this.mode })) {
          this.done = true;
          return n;
        }
        // A record whose end is guessed and parses as one value (the sink's fast path, as for a line) is read whole.
        const e = this.ends ? this.ends.guess(buf, i, n, this.cap.max) : -1;
        if (e >= 0) {
          if (this.sink.line(buf.toString('utf8', i, e + 1), this.line)) {
            this.state = S.ARR_NEXT;
            return e + 1;
          }
          this.ends?.wrong();
        }
        return this.startValue(buf, i, n, this.captureElements ? 'element' : 'inner', S.ARR_NEXT);
      }
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
      if (nl < n && this.nextRec > nl && nl - i <= this.cap.max) {
        if (this.sink.line(buf.toString('utf8', i, nl), this.line)) {
          this.valueDone();
          this.line++;
          return nl + 1;
        }
      }
    }
    this.cap.begin(i);
    if (c === LBRACE) {
      this.container = 'object';
      this.topDepth = 1;
      this.state = S.OBJ_OPEN;
      return i + 1;
    }
    if (c === LBRACKET) {
      this.container = 'array';
      this.streamed = true;
      this.cap.drop();
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
    const keys = this.cap.head(buf, i, this.keyStart);
    this.cap.drop();
    this.streamed = true;
    this.container = 'records';
    this.sink.stream(keys === undefined ? undefined : keys + '"Records":[]}', this.topLine);
    this.state = S.ARR_OPEN;
    return i + 1;
  }

  private endObject(buf: Buffer, i: number): number {
    if (!this.streamed) this.emit(buf, i + 1, this.topLine, this.topDepth, 'value');
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
    this.cap.drop();
    this.first = false;
    if (this.mode === 'unknown') this.mode = 'lines';
  }

  private startValue(buf: Buffer, i: number, n: number, role: UnitRole | 'inner', ret: S): number {
    this.role = role;
    this.ret = ret;
    this.unitLine = this.line;
    if (role !== 'inner') this.cap.begin(i);
    this.state = S.VAL;
    return this.val(buf, this.v.start(buf, i), n);
  }

  /** After the value scanner stopped at `i`: the value's end, a fault, or the chunk's end. */
  private val(buf: Buffer, i: number, n: number): number {
    const st = this.v.status;
    if (st === Scan.FAIL) return this.fail(buf, i, n, this.v.error);
    if (st !== Scan.DONE) return i;
    this.state = this.ret;
    if (this.role === 'inner') {
      if (this.v.maxDepth + 1 > this.topDepth) this.topDepth = this.v.maxDepth + 1;
    } else this.emit(buf, i, this.unitLine, this.v.maxDepth, this.role);
    return i;
  }

  /** Hand a unit to the sink, or say it is over the size limit. */
  private emit(buf: Buffer | null, end: number, line: number, depth: number, role: UnitRole, trimCr = false): void {
    const text = this.cap.take(buf, end, trimCr);
    if (typeof text === 'string') this.sink.value(text, line, depth, role);
    else this.tooLarge(line, text);
  }

  private tooLarge(line: number, bytes: number): void {
    const [b, max] = [bytes, this.cap.max].map((x) => x.toLocaleString('en-US'));
    this.sink.issue(line, 'json.too-large', `a record of ${b} bytes, over the ${max} one record may take: left out`);
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
    if (this.mode === 'document') {
      this.sink.issue(this.line, 'json.malformed', `not valid JSON: ${what}; the rest of the file is not read`);
      this.done = true;
      return n;
    }
    this.mode = 'lines';
    this.first = false;
    if (!this.streamed && this.container === 'object') {
      const text = this.cap.take(buf, i);
      if (buf[i] !== NL && typeof text === 'string') {
        // Keep the rest of the line with it.
        this.cap.restart(text, i);
        this.state = S.BARE;
        return i;
      }
      if (typeof text === 'string') this.sink.value(text, this.topLine, this.topDepth, 'value');
      else this.tooLarge(this.topLine, text);
      return this.skipLine(buf, i);
    }
    this.sink.issue(this.line, 'json.malformed', `not valid JSON: ${what}; the rest of the line is not read`);
    this.cap.drop();
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
}
