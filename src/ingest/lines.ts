/**
 * The ingest hot path: split bytes into lines and decode each line on its own. Measured faster
 * than readline or a streaming JSON parser (docs/adr/0002-line-splitter.md), and a bad byte
 * sequence or a malformed line stays confined to its own line.
 */
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
}

/**
 * The longest line read (256 MiB): well under the longest string V8 can make (2^29 characters), and far above any
 * record a log holds (a CloudTrail delivery file, one JSON document on one line, is a few MB).
 */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const NL = 0x0a;
const CR = 0x0d;

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
    if (this.carry || this.overlong >= 0) {
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
    if (this.overlong >= 0) {
      this.overlong += piece.length;
      return;
    }
    this.carry!.push(piece);
    this.carryBytes += piece.length;
    if (this.carryBytes > this.max) {
      this.overlong = this.carryBytes;
      this.carry = null;
    }
  }

  private finishCarried(): void {
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
    if ((this.carry || this.overlong >= 0) && !this.done) this.finishCarried();
  }

  private emit(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    if (e - s > this.max) return this.tooLong(e - s);
    this.lineNo++;
    this.onLine(buf.toString('utf8', s, e), this.lineNo);
  }
}
