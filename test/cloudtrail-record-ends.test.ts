// The record scanner's guessed ends (src/ingest/cloudTrail/recordEnds.ts): a record of a compact `{"Records":[...]}`
// document is cut at the next `},{"<its first key>"` and kept only when it parses as one value. These tests hold the
// scanner with guesses to the scanner without them, byte for byte in what the sink receives (values, lines, issues),
// on documents built to make guesses wrong, in every chunk size; and check that guesses are taken where they can be.
import { describe, expect, it } from 'vitest';
import { CloudTrailStream } from '../src/ingest/cloudTrail/stream.js';
import { RecordScanner, type ScanSink } from '../src/ingest/cloudTrail/scanner.js';
import type { InputIssue } from '../src/model/issue.js';
import { rng } from './helpers/cli.js';

interface Got {
  values: [unknown, number][];
  issues: [string, number, string][];
}

/** `text` read by the stream in chunks of `size` bytes, with guessed ends or without. */
function read(text: string, size: number, guessEnds: boolean, maxBytes?: number): Got {
  const got: Got = { values: [], issues: [] };
  const s = new CloudTrailStream(
    'f.json',
    (v, line) => got.values.push([v, line]),
    (i: InputIssue) => got.issues.push([i.code, i.line, i.message]),
    { guessEnds, ...(maxBytes ? { maxBytes } : {}) },
  );
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) s.push(Buffer.from(b.subarray(i, i + size)));
  s.end();
  return got;
}

const record = (id: string, more: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/u-${id}`, accountId: '111122223333' },
  eventTime: '2026-11-02T08:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  requestParameters: { bucketName: 'b', key: `k/${id}` },
  eventID: id,
  ...more,
});

/** Records made to trip a guess: nested objects that start with the records' first key, text that looks like a
 * record's start, other first keys, non-ASCII text. */
function trickyRecord(r: () => number, id: string): Record<string, unknown> {
  switch (Math.floor(r() * 8)) {
    case 0:
      return record(id, { requestParameters: { items: [{ eventVersion: 'x' }, { eventVersion: 'y' }] } });
    case 1:
      return record(id, { responseElements: { note: '},{"eventVersion":"1.0"}]} and "},{\\"eventVersion\\"' } });
    case 2: {
      // Another key first: the next record's start is not `},{"eventVersion"`.
      const { eventID, ...rest } = record(id);
      return { eventID, ...rest };
    }
    case 3:
      return record(id, {
        requestParameters: { key: 'é 日本 😀', nested: [[{ eventVersion: [{ eventVersion: 1 }] }]] },
      });
    case 4:
      return record(id, { additionalEventData: { eventVersion: { eventVersion: '},{' } } });
    default:
      return record(id);
  }
}

describe('guessed record ends: the same reading as the byte scanner', () => {
  it('seeded documents of tricky records, every chunk size: the same values, lines and issues', () => {
    const r = rng(20261207);
    let guessed = 0;
    for (let doc = 0; doc < 60; doc++) {
      const recs = Array.from({ length: 1 + Math.floor(r() * 12) }, (_, i) => trickyRecord(r, `d${doc}r${i}`));
      // Compact as CloudTrail writes it, or with other keys around the Records, or one document per line.
      const body = `{"Records":[${recs.map((x) => JSON.stringify(x)).join(',')}]}`;
      const text = [
        body,
        `{"a":{"eventVersion":1},"Records":[${recs.map((x) => JSON.stringify(x)).join(',')}],"z":[]}`,
      ][doc % 2]!;
      const whole = doc % 3 === 0 ? `${text}\n${body}\n` : text;
      const want = read(whole, whole.length, false);
      expect(want.values.length).toBe(doc % 3 === 0 ? 2 * recs.length : recs.length);
      expect(want.issues).toEqual([]);
      for (const size of [1, 3, 17, 64, 333, 4096, whole.length]) {
        const got = read(whole, size, true);
        expect(got).toEqual(want);
      }
      guessed += countGuesses(whole);
    }
    // Guesses were made (and kept) on these documents: the comparison above is of the fast path, not of the scanner
    // against itself.
    expect(guessed).toBeGreaterThanOrEqual(60);
  });

  it('bad records and line breaks in a compact document: the same issues and lines, the records around them read', () => {
    const a = JSON.stringify(record('a'));
    const b = JSON.stringify(record('b'));
    const deep = `{"eventVersion":${'['.repeat(600)}${']'.repeat(600)}}`;
    const big = JSON.stringify(record('big', { requestParameters: { key: 'k'.repeat(5000) } }));
    const cases = [
      `{"Records":[${a},${deep},${b}]}`,
      `{"Records":[${a},${big},${b}]}`,
      `{"Records":[${a},{"eventVersion":"1.0","x":[1,2},${b}]}`,
      `{"Records":[${a},{"eventVersion":"1.0","x":tru},${b}]}`,
      `{"Records":[${a},{"eventVersion":"1.0"}}},${b}]}\n{"Records":[${b}]}`,
      `{"Records":[${a},${b}`,
      `{"Records":[${a},\n${b},${a}]}`,
      // A line break inside a record: its lines are counted, so the records after it keep theirs.
      `{"Records":[${a},{"eventVersion":"1.0",\n"eventID":"n"},${b},${a}]}`,
    ];
    for (const text of cases) {
      const want = read(text, text.length, false, 4096);
      expect(want.issues.length + want.values.length).toBeGreaterThan(1);
      for (const size of [1, 7, 100, text.length]) expect(read(text, size, true, 4096)).toEqual(want);
    }
  });

  it('a record nesting objects that start like records is read whole, never as its parts', () => {
    const outer = record('outer', { requestParameters: { items: [{ eventVersion: '1.0', eventID: 'inner' }] } });
    const text = `{"Records":[${JSON.stringify(outer)},{"eventVersion":"1.0","eventID":"next"}]}`;
    const got = read(text, text.length, true);
    expect(got.issues).toEqual([]);
    expect(got.values.map(([v]) => (v as { eventID: string }).eventID)).toEqual(['outer', 'next']);
    expect(got.values[0]![0]).toEqual(outer);
  });
});

/** How many records the scanner cut by a guessed end in `text`, read as one chunk (each guess that parsed). */
function countGuesses(text: string): number {
  let n = 0;
  const sink: ScanSink = {
    value: () => {},
    // Every line of these documents holds "Records", so the sink's fast path is asked only for guessed records.
    line: (t) => {
      n++;
      try {
        JSON.parse(t);
      } catch {
        n--;
        return false;
      }
      return true;
    },
    stream: () => {},
    issue: () => {},
  };
  const s = new RecordScanner(sink);
  s.push(Buffer.from(text));
  s.end();
  return n;
}

describe('guesses are made where they can be', () => {
  it('a compact document in one chunk: every record but the last by its guessed end; none without guesses', () => {
    const recs = Array.from({ length: 50 }, (_, i) => record(`r${i}`));
    const text = JSON.stringify({ Records: recs });
    const lines: string[] = [];
    const sink = (): ScanSink => ({
      value: () => {},
      line: (t) => (lines.push(t), true),
      stream: () => {},
      issue: () => {},
    });
    const on = new RecordScanner(sink());
    on.push(Buffer.from(text));
    on.end();
    expect(lines).toEqual(recs.slice(0, -1).map((x) => JSON.stringify(x)));
    lines.length = 0;
    const off = new RecordScanner(sink(), { guessEnds: false });
    off.push(Buffer.from(text));
    off.end();
    expect(lines).toEqual([]);
  });
});
