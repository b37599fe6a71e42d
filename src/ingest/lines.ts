/**
 * The ingest hot path: split bytes into lines and decode each line on its own. Measured faster
 * than readline or a streaming JSON parser (docs/adr/0002-line-splitter.md), and a bad byte
 * sequence or a malformed line stays confined to its own line.
 */
import { ValueCutter, type CutSink } from './valueCutter.js';

export type LineHandler = (text: string, lineNo: number) => void;

export interface SplitterOptions {
  /** Drop everything up to and including the first newline (a byte range that starts mid-line). */
  skipFirstPartial?: boolean;
  /** Absolute byte offset of the first byte pushed. */
  base?: number;
  /** Lines that start at or after this absolute offset are not emitted: they belong to the next range. */
  limit?: number;
  /**
   * A line longer than this many bytes is not kept: its bytes are counted and dropped as they come, and
   * `onLineTooLong` is told its number and length (memory stays bounded whatever a file or a gzip bomb holds).
   */
  maxLineBytes?: number;
  onLineTooLong?: (lineNo: number, bytes: number) => void;
  /** A line that grows long, of JSON values back to back, is cut into them as it streams (see `CutLines`). */
  cut?: CutLines;
}

/**
 * A line longer than `after` bytes whose first value closes and is followed by an object or array (`{...}{...}`:
 * Firehose's objects of CloudWatch Logs records, up to 128 MiB on one line) is cut into its values as its bytes arrive
 * (valueCutter.ts): each value is handed over alone, memory is bounded by one value, and `maxLineBytes` bounds a value,
 * not the line. Any other long line is kept whole, as before.
 */
export interface CutLines {
  after: number;
  /** False: lines are not cut now (a multi-line document is being collected: its lines are its own). */
  accept(): boolean;
  /** A value of the line (`complete`: its brackets and strings closed), its number among the line's pieces. */
  value(text: string, lineNo: number, index: number, complete: boolean): void;
  /** A value over `maxLineBytes`, left out. */
  tooLarge(lineNo: number, index: number, bytes: number): void;
}

/** Lines this long that are values back to back are cut into them as they stream. */
export const CUT_AFTER_BYTES = 8 * 1024 * 1024;

/**
 * The longest line read (256 MiB): well under the longest string V8 can make (2^29 characters), and far above any
 * record a log holds (a CloudTrail delivery file, one JSON document on one line, is a few MB).
 */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const NL = 0x0a;
const CR = 0x0d;
const CR_BYTE = Buffer.from([CR]);

export class LineSplitter {
  /** Lines emitted so far (also the number of the last one). */
  lineNo = 0;
  /** True once a line starting at or past `limit` was reached: the reader may stop. */
  done = false;
  /**
   * The pieces of a line that spans chunks, joined once when it ends (a 100 MB one-line document costs one copy, not
   * one per chunk).
   */
  private carry: Buffer[] | null = null;
  private carryBytes = 0;
  /** The length so far of a line over maxLineBytes being dropped; -1 when none. */
  private overlong = -1;
  /** The long line being cut into its values, or being scanned to see whether it is values back to back. */
  private cutting: LineValues | null = null;
  /** The long line is no values back to back: kept whole. */
  private uncut = false;
  private readonly cut: CutLines | undefined;
  private skipping: boolean;
  private pos: number;
  private readonly limit: number;
  private readonly max: number;
  private readonly onTooLong: (lineNo: number, bytes: number) => void;

  constructor(
    private readonly onLine: LineHandler,
    opts: SplitterOptions = {},
  ) {
    this.skipping = !!opts.skipFirstPartial;
    this.pos = opts.base ?? 0;
    this.limit = opts.limit ?? Infinity;
    this.max = opts.maxLineBytes ?? MAX_LINE_BYTES;
    this.onTooLong = opts.onLineTooLong ?? (() => {});
    this.cut = opts.cut;
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    let start = 0;
    const chunkBase = this.pos;
    this.pos += chunk.length;
    if (this.skipping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) return;
      this.skipping = false;
      start = nl + 1;
    }
    if (this.carry || this.overlong >= 0 || this.cutting) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) {
        this.extend(chunk.subarray(start));
        return;
      }
      this.extend(chunk.subarray(start, nl));
      this.finishCarried();
      start = nl + 1;
    }
    for (;;) {
      if (chunkBase + start >= this.limit) {
        this.done = true;
        return;
      }
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.emit(chunk, start, nl);
      start = nl + 1;
    }
    // Chunks are fresh buffers from the stream, never reused: keeping a view of one is safe.
    if (start < chunk.length) {
      this.carry = [];
      this.carryBytes = 0;
      this.extend(chunk.subarray(start));
    }
  }

  /** Add a piece to the line being carried across chunks, or count it when the line is over the limit. */
  private extend(piece: Buffer): void {
    if (this.cutting) {
      this.cutting.push(piece);
      if (this.decided()) return;
    }
    if (this.overlong >= 0) {
      this.overlong += piece.length;
      return;
    }
    this.carry!.push(piece);
    this.carryBytes += piece.length;
    if (this.cut && !this.cutting && !this.uncut && this.carryBytes > this.cut.after && this.cut.accept()) {
      this.cutting = new LineValues(this.cut, this.lineNo + 1, this.max);
      for (const p of this.carry!) this.cutting.push(p);
      if (this.decided()) return;
    }
    if (this.carryBytes > this.max) {
      this.overlong = this.carryBytes;
      this.carry = null;
    }
  }

  /** True once the line is being cut into its values: nothing of it is kept here any more. */
  private decided(): boolean {
    const state = this.cutting!.state;
    if (state === 'cut') {
      this.carry = null;
      this.overlong = -1;
      return true;
    }
    if (state === 'whole') {
      this.cutting = null;
      this.uncut = true;
    }
    return false;
  }

  private finishCarried(): void {
    const cutting = this.cutting;
    this.cutting = null;
    this.uncut = false;
    if (cutting?.state === 'cut') {
      cutting.end();
      this.lineNo++;
      return;
    }
    if (this.overlong >= 0) {
      const bytes = this.overlong;
      this.overlong = -1;
      this.tooLong(bytes);
      return;
    }
    const line = Buffer.concat(this.carry!);
    this.carry = null;
    this.emit(line, 0, line.length);
  }

  private tooLong(bytes: number): void {
    this.lineNo++;
    this.onTooLong(this.lineNo, bytes);
  }

  /** Flush a last line without a trailing newline. */
  end(): void {
    if ((this.carry || this.overlong >= 0 || this.cutting) && !this.done) this.finishCarried();
  }

  private emit(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    if (e - s > this.max) return this.tooLong(e - s);
    this.lineNo++;
    this.onLine(buf.toString('utf8', s, e), this.lineNo);
  }
}

/**
 * One long line as values back to back: undecided until its second piece begins (values back to back when the first
 * closed and the second opens an object or array; the first is held until then), then cut, or else kept whole.
 */
class LineValues implements CutSink {
  state: 'undecided' | 'cut' | 'whole' = 'undecided';
  private readonly cutter: ValueCutter;
  private first: { text: string; complete: boolean } | { bytes: number; complete: boolean } | undefined;
  private cr = false;

  constructor(
    private readonly to: CutLines,
    private readonly lineNo: number,
    max: number,
  ) {
    this.cutter = new ValueCutter(this, max);
  }

  push(b: Buffer): void {
    if (this.state === 'whole' || b.length === 0) return;
    // A CR is held back until more follows: before the line's LF it is not the line's (as `emit` drops it).
    if (this.cr) this.cutter.push(CR_BYTE);
    this.cr = b[b.length - 1] === CR;
    this.cutter.push(this.cr ? b.subarray(0, b.length - 1) : b);
  }

  end(): void {
    this.cutter.end();
  }

  begin(index: number, c: number): boolean {
    if (this.state !== 'undecided') return true;
    const opens = c === 0x7b || c === 0x5b;
    if (index === 1 && opens) return true;
    if (index === 1 || !this.first!.complete || !opens) {
      this.state = 'whole';
      return false;
    }
    this.state = 'cut';
    const first = this.first!;
    if ('text' in first) this.to.value(first.text, this.lineNo, 1, true);
    else this.to.tooLarge(this.lineNo, 1, first.bytes);
    return true;
  }

  piece(text: string, index: number, complete: boolean): void {
    if (this.state === 'undecided') this.first = { text, complete };
    else this.to.value(text, this.lineNo, index, complete);
  }

  tooLarge(bytes: number, index: number, complete: boolean): void {
    if (this.state === 'undecided') this.first = { bytes, complete };
    else this.to.tooLarge(this.lineNo, index, bytes);
  }
}
