import { BSLASH, LBRACE, NL, QUOTE } from '../valueScan.js';

/** The longest first key a guess is made with (CloudTrail's own: `eventVersion`). */
const MAX_KEY = 64;
const CLOSE_COMMA = Buffer.from('},');

/**
 * Where a record of a streamed `Records` array ends, guessed without scanning it byte by byte: records of one
 * document mostly start with the same key (`{"eventVersion":`, as CloudTrail writes them), so the next one's start,
 * `},{"eventVersion"`, is found by one native search. A guess is only a candidate: the record scanner hands the text
 * to JSON.parse and keeps it only when it parses as one value, and a JSON object that parses from its `{` to a `}`
 * ends there in the document too (the same bytes tokenize the same way). A wrong guess (a record nesting an object
 * with that key, records whose first keys differ) fails to parse, and the record is scanned as before; so are a
 * record with a line break in it (the scanner counts lines), one over the size limit, one that runs past the chunk,
 * and every record after a failed search or a wrong guess in the same chunk.
 */
export class RecordEnds {
  /** `},{"KEY"`: the end of a record and the start of the next, made from the last record's first key. */
  private sep = Buffer.alloc(0);
  /** The next line break in the chunk, -1 when not searched yet. */
  private nextNl = -1;
  /** No more guesses in this chunk. */
  private off = false;

  /** A new chunk: its searches start afresh. */
  chunk(): void {
    this.nextNl = -1;
    this.off = false;
  }

  /** The last guess did not parse: none more in this chunk. */
  wrong(): void {
    this.off = true;
  }

  /**
   * The index of the `}` that may close the record whose `{` is at `i` (the next record's start follows it within
   * the chunk's `n` bytes, with no line break before it, at most `max` bytes from `i`), or -1.
   */
  guess(buf: Buffer, i: number, n: number, max: number): number {
    if (this.off || buf[i] !== LBRACE || buf[i + 1] !== QUOTE) return -1;
    let k = i + 2;
    const stop = Math.min(n, k + MAX_KEY);
    while (k < stop && buf[k] !== QUOTE && buf[k] !== BSLASH) k++;
    if (k >= stop || buf[k] !== QUOTE) return -1;
    const sep = this.sep;
    if (sep.length !== k + 3 - i || buf.compare(sep, 2, sep.length, i, k + 1) !== 0)
      this.sep = Buffer.concat([CLOSE_COMMA, buf.subarray(i, k + 1)]);
    const e = buf.indexOf(this.sep, k + 1);
    if (e < 0 || e >= n) {
      this.off = true;
      return -1;
    }
    if (this.nextNl < i) {
      const nl = buf.indexOf(NL, i);
      this.nextNl = nl < 0 ? n : nl;
    }
    return this.nextNl < e || e + 1 - i > max ? -1 : e;
  }
}
