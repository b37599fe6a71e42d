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
}

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
  private skipping: boolean;
  private pos: number;
  private readonly limit: number;

  constructor(
    private readonly onLine: LineHandler,
    opts: SplitterOptions = {},
  ) {
    this.skipping = !!opts.skipFirstPartial;
    this.pos = opts.base ?? 0;
    this.limit = opts.limit ?? Infinity;
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
    if (this.carry) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) {
        this.carry.push(chunk.subarray(start));
        return;
      }
      this.carry.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.carry);
      this.carry = null;
      this.emit(line, 0, line.length);
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
    if (start < chunk.length) this.carry = [chunk.subarray(start)];
  }

  /** Flush a last line without a trailing newline. */
  end(): void {
    if (this.carry && !this.done) {
      const line = Buffer.concat(this.carry);
      this.carry = null;
      this.emit(line, 0, line.length);
    }
  }

  private emit(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    this.lineNo++;
    this.onLine(buf.toString('utf8', s, e), this.lineNo);
  }
}
