import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/ingest/lines.js';

function split(chunks: Buffer[], opts = {}): [string, number][] {
  const out: [string, number][] = [];
  const s = new LineSplitter((t, n) => out.push([t, n]), opts);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

const text = 'alpha\r\nbeta\n\ngamma δ\nlast-without-newline';

describe('LineSplitter', () => {
  it('splits on LF, strips a CR before it, keeps blank lines numbered, flushes the last line', () => {
    expect(split([Buffer.from(text)])).toEqual([
      ['alpha', 1],
      ['beta', 2],
      ['', 3],
      ['gamma δ', 4],
      ['last-without-newline', 5],
    ]);
  });

  it('gives the same lines whatever the chunk boundaries, including inside a multi-byte character', () => {
    const bytes = Buffer.from(text);
    const whole = split([bytes]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    }
    expect(split([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('byte ranges cover every line exactly once, wherever the range boundaries fall', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 7)}"}`);
    const bytes = Buffer.from(lines.join('\n') + '\n');
    for (const parts of [2, 3, 5, 9]) {
      const step = Math.ceil(bytes.length / parts);
      const seen: string[] = [];
      for (let start = 0; start < bytes.length; start += step) {
        const end = Math.min(bytes.length, start + step);
        const base = start === 0 ? 0 : start - 1;
        const got = split([bytes.subarray(base)], { skipFirstPartial: start > 0, base, limit: end });
        seen.push(...got.map(([t]) => t));
      }
      expect(seen).toEqual(lines);
    }
  });
});
