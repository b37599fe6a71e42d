/**
 * One JSON value scanned byte by byte (the CloudTrail record scanner, cloudTrail/scanner.ts; values back to back on one
 * line, valueCutter.ts) as chunks arrive: strings and escapes, the nesting of brackets (each closer
 * checked against its opener), scalars to their delimiter. Nothing is parsed: JSON.parse checks what is cut out.
 */
export const NL = 0x0a;
export const QUOTE = 0x22;
export const BSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;

export const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === NL;
export const shown = (c: number) =>
  c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16)}`;
const at = (x: number, n: number) => (x < 0 ? n : x);

/** What `scan` stopped at: the chunk's end (more to come), the value's end, or a break of JSON's grammar. */
export const enum Scan {
  MORE,
  DONE,
  FAIL,
}

export class ValueScan {
  /** Deepest nesting of the value (1 for `{}`, 0 for a scalar). */
  maxDepth = 0;
  status = Scan.MORE;
  /** What broke the grammar (status FAIL). */
  error = '';
  private depth = 0;
  private stack = new Uint8Array(64);
  private inStr = false;
  private esc = false;
  private scalar = false;
  // Next backslash and line break in the chunk (-1: not searched yet).
  private nextBs = -1;
  private nextNl = -1;

  /** @param onNewline a line break between tokens: false when it ends the value (JSON lines) */
  constructor(private readonly onNewline: () => boolean) {}

  /** A new chunk: the searches of the last one are stale. */
  chunk(): void {
    this.nextBs = this.nextNl = -1;
  }

  /** Start at the value's first byte; gives the index to go on from (status FAIL when no value starts there). */
  start(buf: Buffer, i: number): number {
    const c = buf[i]!;
    this.depth = this.maxDepth = 0;
    this.inStr = this.esc = this.scalar = false;
    this.status = Scan.MORE;
    if (c === LBRACE || c === LBRACKET) {
      this.stack[0] = c;
      this.depth = this.maxDepth = 1;
    } else if (c === QUOTE) this.inStr = true;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.scalar = true;
      return i;
    } else return this.fail(i, `expected a value, found ${shown(c)}`);
    return i + 1;
  }

  /** Go on to the value's end (status DONE, the index past it), the chunk's end (MORE) or a fault (FAIL, its index). */
  scan(buf: Buffer, i: number, n: number): number {
    if (this.scalar) {
      for (; i < n; i++) {
        const c = buf[i]!;
        if (c === 0x2c || c === RBRACKET || c === RBRACE || isWs(c)) return this.done(i);
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
        // A short string byte by byte (a native call costs more), a long one to its closing quote in one native
        // search; a backslash or a line break before the quote is found the same way.
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
        if (d === NL) return this.fail(i, 'a line break inside a string');
        inStr = false;
        if (depth === 0) {
          this.inStr = this.esc = false;
          return this.done(i + 1);
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
        // `}` is `{` + 2, `]` is `[` + 2.
        if (this.stack[--depth] !== c - 2) return this.fail(i, `${shown(c)} closes a different bracket`);
        if (depth === 0) {
          this.depth = 0;
          return this.done(i + 1);
        }
      } else if (c === NL && !this.onNewline()) return this.fail(i, 'a record that does not end on its line');
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    return n;
  }

  private done(i: number): number {
    this.status = Scan.DONE;
    return i;
  }

  private fail(i: number, what: string): number {
    this.status = Scan.FAIL;
    this.error = what;
    return i;
  }
}
