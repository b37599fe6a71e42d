import { isWs, LBRACE, LBRACKET, RBRACE, RBRACKET, Scan, ValueScan } from './valueScan.js';

/**
 * JSON values written back to back on one line (`{...}{...}`: CloudWatch Logs subscription records as Firehose writes
 * them to S3, `cat` of files without a final newline), cut out one by one as the line's bytes arrive, so memory is
 * bounded by one value, not the line. Each value is scanned byte by byte (valueScan.ts: strings, escapes, brackets);
 * JSON.parse, in the sink, judges what is cut out.
 *
 * A value cut short or broken is one piece, up to where the next value starts: an object or array opening right after
 * one closed (`}{`, `]{`, `} [`...), which valid JSON never holds outside a string (its elements take commas). Its
 * bytes are read again from its second byte to find that start, so a record cut in the middle of a line costs that
 * record alone (within a budget of the bytes pushed: hostile input cannot make the reading quadratic). Bytes between
 * values that start no value (`{...},{...}`) are a piece of their own, up to the next such start.
 */
export interface CutSink {
  /**
   * A piece begins with byte `c`, the `index`th of the line (1-based). False stops the cutter: nothing more is cut
   * out or handed over.
   */
  begin(index: number, c: number): boolean;
  /** A piece's text: `complete` when its brackets and strings closed (JSON.parse may still refuse it). */
  piece(text: string, index: number, complete: boolean): void;
  /** A piece over the size limit, counted and dropped as it came. */
  tooLarge(bytes: number, index: number, complete: boolean): void;
}

const enum St {
  BETWEEN,
  VALUE,
  JUNK,
}

export class ValueCutter {
  private state = St.BETWEEN;
  private index = 0;
  private stopped = false;
  /** The piece's bytes from earlier buffers, and how many it has (counted on when over the limit, not kept). */
  private parts: Buffer[] = [];
  private bytes = 0;
  private over = false;
  /** Where the piece starts in the buffer being read (0 when it began in an earlier one). */
  private from = 0;
  /** The last byte other than white space (a piece of junk ends where an opener follows a closer). */
  private last = 0;
  /**
   * Bytes that may still be read a second time (a broken value's, to find the next value's start in them): as many as
   * were pushed, so no input is read more than twice over in all.
   */
  private budget = 0;
  private readonly scan = new ValueScan(() => false);

  constructor(
    private readonly sink: CutSink,
    private readonly max: number,
  ) {}

  push(chunk: Buffer): void {
    this.budget += chunk.length;
    this.run([chunk]);
  }

  /** The line ended: a value still open is cut short (its bytes read again for a value starting in them). */
  end(): void {
    const none = Buffer.alloc(0);
    while (this.state !== St.BETWEEN && !this.stopped) {
      this.from = 0;
      const again = this.state === St.VALUE && !this.over ? this.reread(this.take(none, 0)) : undefined;
      if (again) this.run(again);
      else this.finish(none, 0, false);
    }
  }

  /** Read buffers in order; a buffer's bytes to read again come before the rest. */
  private run(buffers: Buffer[]): void {
    const stack = buffers.reverse();
    while (stack.length && !this.stopped) {
      const again = this.read(stack.pop()!);
      for (let k = (again?.length ?? 0) - 1; k >= 0; k--) stack.push(again![k]!);
    }
  }

  /** Read one buffer; gives buffers to read before the rest when a broken value's bytes are read again. */
  private read(buf: Buffer): Buffer[] | undefined {
    const n = buf.length;
    this.scan.chunk();
    this.from = 0;
    let i = 0;
    while (i < n) {
      if (this.state === St.BETWEEN) {
        while (i < n && isWs(buf[i]!)) i++;
        if (i >= n) return undefined;
        const c = buf[i]!;
        this.from = i;
        if (!this.sink.begin(++this.index, c)) {
          this.stopped = true;
          return undefined;
        }
        const at = this.scan.start(buf, i);
        if (this.scan.status === Scan.FAIL) {
          this.state = St.JUNK;
          this.last = c;
          i = at + 1;
        } else {
          this.state = St.VALUE;
          i = at;
        }
      } else if (this.state === St.VALUE) {
        i = this.scan.scan(buf, i, n);
        const st = this.scan.status;
        if (st === Scan.DONE) {
          this.finish(buf, i, true);
          continue;
        }
        if (st === Scan.MORE) break;
        // A break of JSON's grammar: the value is broken; its bytes are read again for the next value's start.
        if (!this.over) {
          const again = this.reread(this.take(buf, i));
          if (again) return [...again, buf.subarray(i)];
        }
        this.state = St.JUNK;
        this.last = 0;
      } else {
        for (; i < n; i++) {
          const c = buf[i]!;
          if ((c === LBRACE || c === LBRACKET) && (this.last === RBRACE || this.last === RBRACKET)) {
            this.finish(buf, i, false);
            break;
          }
          if (!isWs(c)) this.last = c;
        }
      }
    }
    if (this.state !== St.BETWEEN) this.keep(buf.subarray(this.from, n));
    return undefined;
  }

  /**
   * A broken value's bytes as junk from its second byte: its first byte kept as the piece's start, the rest to be read
   * again. Undefined when the budget is spent (the piece then goes on as junk from where it broke).
   */
  private reread(bytes: Buffer): Buffer[] | undefined {
    if (bytes.length < 2 || bytes.length > this.budget) return undefined;
    this.budget -= bytes.length;
    this.state = St.JUNK;
    this.last = bytes[0]!;
    this.parts = [bytes.subarray(0, 1)];
    this.bytes = 1;
    return [bytes.subarray(1)];
  }

  /** The piece's bytes so far, up to `end` of the buffer being read. */
  private take(buf: Buffer, end: number): Buffer {
    const tail = buf.subarray(this.from, end);
    return this.parts.length ? Buffer.concat([...this.parts, tail]) : tail;
  }

  /** The piece ends at `end` of the buffer being read: to the sink, and the next one begins. */
  private finish(buf: Buffer, end: number, complete: boolean): void {
    const bytes = this.bytes + (end - this.from);
    if (this.over || bytes > this.max) this.sink.tooLarge(bytes, this.index, complete);
    else this.sink.piece(this.take(buf, end).toString('utf8'), this.index, complete);
    this.state = St.BETWEEN;
    this.parts = [];
    this.bytes = 0;
    this.over = false;
    this.from = end;
  }

  /** The rest of a buffer belongs to the piece: kept (a view: buffers are never reused), or counted when over. */
  private keep(tail: Buffer): void {
    this.bytes += tail.length;
    if (this.over) return;
    if (this.bytes > this.max) {
      this.over = true;
      this.parts = [];
    } else if (tail.length) this.parts.push(tail);
  }
}
