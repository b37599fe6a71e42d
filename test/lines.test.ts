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
      [{ a: 1 }, 2],
    ]);
    expect(issues).toMatchObject([
      { code: 'json.malformed', line: 2, message: /^value 2 of the line: not valid JSON/ },
    ]);
  });

  /** Values and issues of lines given to a decoder, each value with its line and its number on the line. */
  async function decoded(lines: string[]) {
    const { JsonLineDecoder } = await import('../src/ingest/jsonLines.js');
    const values: [unknown, number, number | undefined][] = [];
    const issues: [number, string, string][] = [];
    const d = new JsonLineDecoder(
      'f',
      (v, n, index) => values.push([v, n, index]),
      (i) => issues.push([i.line, i.code, i.message]),
    );
    lines.forEach((l, i) => d.line(l, i + 1));
    d.end();
    return { values, issues };
  }

  it('keeps every whole value of a line of values back to back; a broken one is its issue alone, named', async () => {
    const rec = (i: number) =>
      JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents: [{ id: String(i), message: `{"n":${i}}` }] });
    // The last cut short (a copy stopped mid-record), one cut in the middle (the next record glued to its bytes).
    const last = [1, 2, 3].map(rec).join('') + rec(4).slice(0, 30);
    const middle = rec(1) + rec(2).slice(0, 40) + rec(3) + rec(4);
    const { values, issues } = await decoded([last, middle]);
    expect(values.map(([v, n, i]) => [(v as { logEvents: { id: string }[] }).logEvents[0]!.id, n, i])).toEqual([
      ['1', 1, 1],
      ['2', 1, 2],
      ['3', 1, 3],
      ['1', 2, 1],
      // Record 3 begins where record 2 was cut: no value starts there, so it goes with it; record 4 is read.
      ['4', 2, 3],
    ]);
    expect(issues).toEqual([
      [1, 'json.malformed', expect.stringMatching(/^value 4 of the line: not valid JSON: /)],
      [2, 'json.malformed', expect.stringMatching(/^value 2 of the line: not valid JSON: /)],
    ]);
  });

  it('reads any number of values on one line (100,050 here; it gave up past 100,000)', async () => {
    const { values, issues } = await decoded(['{"a":1}'.repeat(100_050)]);
    expect(issues).toEqual([]);
    expect(values.length).toBe(100_050);
    expect(values[100_049]).toEqual([{ a: 1 }, 1, 100_050]);
  });

  it('a value followed by other text, or bits with no whole value, is one malformed line, as before', async () => {
    const lines = ['{"a":1} trailing', '{"a":1},{"b":2}', '}{"a":[}{', '{"a":1}'];
    const { values, issues } = await decoded(lines);
    expect(values).toEqual([[{ a: 1 }, 4, undefined]]);
    expect(issues.map(([n, code, message]) => [n, code, /^value/.test(message)])).toEqual([
      [1, 'json.malformed', false],
      [2, 'json.malformed', false],
      [3, 'json.malformed', false],
    ]);
  });
});

describe('LineSplitter: a long line of values back to back', () => {
  /** Lines and cut values a splitter gives for `bytes` pushed in chunks of `size`. */
  function cut(bytes: Buffer, size: number, after: number, maxLineBytes: number) {
    const out: (string | number)[][] = [];
    let held = 0;
    const s = new LineSplitter((t, n) => out.push(['line', n, t]), {
      maxLineBytes,
      onLineTooLong: (n, b) => out.push(['too-long', n, b]),
      cut: {
        after,
        accept: () => true,
        value: (t, n, index, complete) => out.push(['value', n, index, complete ? t : `cut:${t}`]),
        tooLarge: (n, index, b) => out.push(['too-large', n, index, b]),
      },
    });
    for (let i = 0; i < bytes.length; i += size) {
      s.push(Buffer.from(bytes.subarray(i, i + size)));
      // What the splitter holds of the line: a value at most (the carried pieces, reached through its fields).
      const carry = (s as unknown as { carryBytes: number; carry: Buffer[] | null }).carry;
      held = Math.max(held, carry ? carry.reduce((a, b) => a + b.length, 0) : 0);
    }
    s.end();
    return { out, held };
  }

  const value = (i: number, pad = 20) => JSON.stringify({ n: i, pad: 'x'.repeat(pad), s: '}{"' });

  it('cuts it into its values as it streams, past maxLineBytes, each numbered, the line after it numbered on', () => {
    const values = Array.from({ length: 200 }, (_, i) => value(i));
    const line = values.join('');
    const bytes = Buffer.from(`${value(-1)}\n${line}\n${value(-2)}\n`);
    const { out, held } = cut(bytes, 64, 256, 1024);
    expect(line.length).toBeGreaterThan(8 * 1024);
    expect(out).toEqual([
      ['line', 1, value(-1)],
      ...values.map((v, i) => ['value', 2, i + 1, v]),
      ['line', 3, value(-2)],
    ]);
    // The line was never held whole: what was carried stayed near where cutting began.
    expect(held).toBeLessThan(1024);
  });

  it('gives the same values whatever the chunk boundaries, inside a multi-byte character or an escape included', () => {
    const values = [value(1), JSON.stringify({ s: 'δ\\"}{"é', t: [1, { u: '\u2028' }] }), value(2), '{"cut":"δ'];
    const bytes = Buffer.from(values.join('') + '\r\n');
    // (A line within one chunk is not carried: the decoder cuts it, JsonLineDecoder above.)
    const whole = cut(bytes, 13, 10, 1 << 20).out;
    expect(whole).toEqual([
      ['value', 1, 1, values[0]],
      ['value', 1, 2, values[1]],
      ['value', 1, 3, values[2]],
      ['value', 1, 4, `cut:${values[3]}`],
    ]);
    for (const size of [1, 2, 3, 5, 7, 11, 64]) expect(cut(bytes, size, 10, 1 << 20).out).toEqual(whole);
  });

  it('a value over maxLineBytes is left out alone; a value cut short at the end of the line is handed over cut', () => {
    const values = [value(1), value(2, 3000), value(3), value(4).slice(0, 25)];
    const { out } = cut(Buffer.from(values.join('') + '\n'), 100, 50, 1024);
    expect(out).toEqual([
      ['value', 1, 1, values[0]],
      ['too-large', 1, 2, values[1]!.length],
      ['value', 1, 3, values[2]],
      ['value', 1, 4, `cut:${values[3]}`],
    ]);
  });

  it('a long line that is one value, or a value followed by other text, is a line as before', () => {
    const one = JSON.stringify({ a: 'y'.repeat(3000) });
    const after = value(1) + ',' + value(2);
    const { out } = cut(Buffer.from(`${one}\n${after}\n${one}${one}x`), 100, 50, 1 << 20);
    expect(out).toEqual([
      ['line', 1, one],
      ['line', 2, after],
      // Values back to back: cut, the text after them a piece of its own (its reader judges it).
      ['value', 3, 1, one],
      ['value', 3, 2, one],
      ['value', 3, 3, 'cut:x'],
    ]);
  });
});
