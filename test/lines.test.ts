import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/ingest/lines.js';
import { normalizeTime } from '../src/util/time.js';

function split(chunks: Buffer[], opts = {}): [string, number][] {
  const out: [string, number][] = [];
  const s = new LineSplitter((t, n) => out.push([t, n]), opts);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

const text = 'alpha\r\nbeta\n\ngamma δ\nlast-without-newline';

describe('LineSplitter', () => {
  it('joins a line spread over thousands of chunks (a one-line S3 delivery document) once, intact', () => {
    const big =
      '{"Records":[' + Array.from({ length: 20000 }, (_, i) => `{"eventID":"e-${i}","x":"δ"}`).join(',') + ']}';
    const bytes = Buffer.from(`${big}\nnext\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 97) chunks.push(Buffer.from(bytes.subarray(i, i + 97)));
    expect(split(chunks)).toEqual([
      [big, 1],
      ['next', 2],
    ]);
  });

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

describe('normalizeTime', () => {
  it.each([
    ['2026-11-02T08:00:00Z', '2026-11-02T08:00:00.000000Z'],
    ['2026-11-02T08:00:00.123Z', '2026-11-02T08:00:00.123000Z'],
    ['2026-11-02T08:00:00.123456Z', '2026-11-02T08:00:00.123456Z'],
    ['2026-11-02T09:00:00+01:00', '2026-11-02T08:00:00.000000Z'],
    ['2026-11-02 08:00:00.5z', '2026-11-02T08:00:00.500000Z'],
    ['2026-13-02T08:00:00Z', undefined],
    ['2026-11-02T24:00:00Z', undefined],
    ['2026-11-02T08:00Z', undefined],
    ['noon', undefined],
  ])('%s → %s (CloudTrail whole seconds, API server micro and milli times, offsets)', (input, want) => {
    expect(normalizeTime(input)).toBe(want);
  });
});

describe('JsonLineDecoder', () => {
  it('reads several values on one line (files concatenated without a final newline), and reports a broken one', async () => {
    const { JsonLineDecoder } = await import('../src/ingest/jsonLines.js');
    const values: [unknown, number][] = [];
    const issues: { code: string; line: number }[] = [];
    const d = new JsonLineDecoder(
      'f',
      (v, n) => values.push([v, n]),
      (i) => issues.push(i),
    );
    d.line('{"Records":[1]}{"Records":[2]} {"Records":[3]}', 1);
    d.line('{"a":1}{"b":', 2);
    d.end();
    expect(values).toEqual([
      [{ Records: [1] }, 1],
      [{ Records: [2] }, 1],
      [{ Records: [3] }, 1],
    ]);
    expect(issues).toMatchObject([{ code: 'json.malformed', line: 2 }]);
  });
});
