/**
 * The bytes of one unit being cut out of the stream: views of the chunks it spans (chunks are fresh buffers, never
 * reused), joined once when it ends. Past `max` bytes the pieces are dropped and only counted: memory stays bounded
 * whatever one record holds.
 */
export class Capture {
  /** Where the unit starts in the current chunk (0 once it spans chunks); -1 when nothing is kept. */
  start = -1;
  /** Bytes of the unit in earlier chunks. */
  bytes = 0;
  overflow = false;
  private pieces: Buffer[] = [];

  constructor(readonly max: number) {}

  get active(): boolean {
    return this.start >= 0;
  }

  begin(i: number): void {
    this.start = i;
    this.bytes = 0;
    this.pieces = [];
    this.overflow = false;
  }

  /** Begin again with `text` kept (the rest of a line goes on from `i`). */
  restart(text: string, i: number): void {
    this.begin(i);
    this.add(Buffer.from(text));
  }

  drop(): void {
    this.start = -1;
    this.pieces = [];
  }

  /** The chunk ends: keep its part of the unit. */
  chunkEnd(buf: Buffer): void {
    if (this.start < 0) return;
    this.add(buf.subarray(this.start));
    this.start = 0;
  }

  /** Offset within the unit of index `i` of the current chunk. */
  offset(i: number): number {
    return this.bytes + (i - this.start);
  }

  /** The first `len` bytes kept so far and up to `i` (undefined once over the limit). */
  head(buf: Buffer, i: number, len: number): string | undefined {
    if (this.overflow) return undefined;
    return Buffer.concat([...this.pieces, buf.subarray(this.start, i)]).toString('utf8', 0, len);
  }

  /** The unit's text up to `end` of `buf` (null: the stream ended); a string, or the byte count when over the limit. */
  take(buf: Buffer | null, end: number, trimCr = false): string | number {
    const start = this.start;
    this.start = -1;
    if (buf && start >= 0 && !this.pieces.length && !this.overflow && end - start <= this.max) {
      const e = trimCr && end > start && buf[end - 1] === 0x0d ? end - 1 : end;
      return buf.toString('utf8', start, e);
    }
    if (buf && start >= 0) this.add(buf.subarray(start, end));
    const pieces = this.pieces;
    this.pieces = [];
    return this.overflow ? this.bytes : Buffer.concat(pieces).toString('utf8');
  }

  private add(piece: Buffer): void {
    this.bytes += piece.length;
    if (this.overflow) return;
    if (this.bytes > this.max) {
      this.overflow = true;
      this.pieces = [];
    } else if (piece.length) this.pieces.push(piece);
  }
}
