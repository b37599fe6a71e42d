import { createWriteStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue } from '../src/ingest/cloudTrail/decode.js';
import { recordBoundaries } from '../src/ingest/cloudTrail/ranges.js';
import { CloudTrailStream } from '../src/ingest/cloudTrail/stream.js';
import { ingest } from '../src/ingest/index.js';
import type { InputIssue } from '../src/model/issue.js';
import type { Profile } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { CORPUS, HAS_CORPUS, ROOT, cli, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const rec = (id: string, over: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/s-1',
    accountId: '111122223333',
    sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/shop-cart' } },
  },
  eventTime: '2026-11-02T08:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'eu-west-1',
  requestParameters: { bucketName: 'acme-carts', key: `c/${id}.json` },
  eventID: id,
  recipientAccountId: '111122223333',
  ...over,
});

interface Got {
  values: [unknown, number][];
  issues: InputIssue[];
  heads: unknown[];
}

/** Feed `text` to the stream in chunks of `size` bytes. */
function scan(text: string | Buffer, size = 1 << 20, maxBytes?: number): Got {
  const got: Got = { values: [], issues: [], heads: [] };
  const s = new CloudTrailStream(
    'f.json',
    (v, line) => got.values.push([v, line]),
    (i) => got.issues.push(i),
    maxBytes ? { maxBytes } : {},
    (h) => got.heads.push(h),
  );
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < b.length; i += size) s.push(Buffer.from(b.subarray(i, i + size)));
  s.end();
  return got;
}
const ids = (g: Got) => g.values.map(([v]) => (v as { eventID?: string }).eventID);

const tricky = [
  rec('a', { requestParameters: { bucketName: 'b', key: 'quote " and \\ and \\" end', extra: '{[}]' } }),
  rec('b', { Records: [{ Records: [] }], responseElements: { note: 'Records: [ ] { "x": 1 }' } }),
  rec('c', { requestParameters: { bucketName: 'b', key: 'é 日本 😀 ünïcödé' } }),
  rec('d', { additionalEventData: { s: '\\\\', t: '\\"', u: '\n\t\u0001' } }),
];

describe('the byte scanner: records of a document one at a time', () => {
  it.each([1, 2, 3, 5, 7, 64, 1 << 20])('chunks of %i bytes: every record, strings and UTF-8 intact', (size) => {
    const doc = JSON.stringify({ Records: tricky });
    const g = scan(doc, size);
    expect(g.issues).toEqual([]);
    expect(g.values.map(([v]) => v)).toEqual(tricky);
    expect(g.heads).toEqual([{ Records: [] }]);
  });

  it('Records not the first key, keys after it skipped, an empty Records, nested Records in a record', () => {
    const doc =
      '{"digest": {"a": [1, {"b": "}"}]}, "n": 5, "s": "x\\"y", "Records": [' +
      tricky.map((r) => JSON.stringify(r)).join(', ') +
      '], "after": {"Records": [1, 2]}, "z": null}\n{"Records": []}\n';
    for (const size of [1, 4, 1 << 20]) {
      const g = scan(doc, size);
      expect(g.issues).toEqual([]);
      expect(ids(g)).toEqual(['a', 'b', 'c', 'd']);
      expect(g.values.map(([, l]) => l)).toEqual([1, 1, 1, 1]);
      expect(g.heads).toEqual([{ digest: { a: [1, { b: '}' }] }, n: 5, s: 'x"y', Records: [] }, { Records: [] }]);
    }
  });

  it('pretty-printed: each record keeps the line it starts on', () => {
    const doc = JSON.stringify({ Records: [rec('a'), rec('b'), rec('c')] }, null, 2);
    const starts = doc.split('\n').flatMap((l, i) => (l === '    {' ? [i + 1] : []));
    const g = scan(doc, 3);
    expect(g.issues).toEqual([]);
    expect(ids(g)).toEqual(['a', 'b', 'c']);
    expect(g.values.map(([, l]) => l)).toEqual(starts);
    expect(starts[0]).toBe(3);
  });

  it('JSON lines as before: one value per line, concatenated values, a bad line confined to its line', () => {
    const lines = [
      JSON.stringify(rec('a')),
      JSON.stringify(rec('b')) + JSON.stringify(rec('c')),
      '{"eventVersion": "1.0", "userIdentity": {',
      JSON.stringify({ Records: [rec('d')] }),
      '',
      '  ' + JSON.stringify(rec('e')) + '\r',
      'not json',
      JSON.stringify(rec('f')),
    ];
    for (const size of [1, 5, 1 << 20]) {
      const g = scan(lines.join('\n') + '\n', size);
      expect(ids(g)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(g.values.map(([, l]) => l)).toEqual([1, 2, 2, 4, 6, 8]);
      expect(g.issues.map((i) => [i.code, i.line])).toEqual([
        ['json.malformed', 3],
        ['json.malformed', 7],
      ]);
    }
  });

  it('a document cut short: the records before the cut are read, the cut is one issue', () => {
    const doc = JSON.stringify({ Records: [rec('a'), rec('b'), rec('c')] }, null, 1);
    const cut = doc.slice(0, doc.indexOf('"c/c.json"'));
    for (const size of [1, 1 << 20]) {
      const g = scan(cut, size);
      expect(ids(g)).toEqual(['a', 'b']);
      expect(g.issues).toHaveLength(1);
      const line = cut.split('\n').findLastIndex((l) => l === '  {') + 1;
      expect(g.issues[0]).toMatchObject({ code: 'json.truncated', file: 'f.json', line });
      expect(g.issues[0]!.message).toMatch(/the records before the cut are read, the one it cuts is left out/);
    }
    // Cut between records, and right after the opening bracket.
    expect(scan('{"Records":[' + JSON.stringify(rec('a')) + ',').issues.map((i) => i.code)).toEqual(['json.truncated']);
    expect(scan('{"Records":[').issues.map((i) => i.code)).toEqual(['json.truncated']);
  });

  it('malformed documents: a clear issue with its line, the records before it kept', () => {
    const a = JSON.stringify(rec('a'));
    // A record closed by the wrong bracket, in a document over several lines: the rest of the file is not read.
    const g1 = scan(`{\n"Records": [\n${a},\n{"eventID": "x"],\n${a}\n]}\n`);
    expect(ids(g1)).toEqual(['a']);
    expect(g1.issues.map((i) => [i.code, i.line])).toEqual([['json.malformed', 4]]);
    expect(g1.issues[0]!.message).toMatch(/"]" closes a different bracket; the rest of the file is not read/);
    // On one line: the next line is read.
    const g2 = scan(`{"Records": [${a} ${a}]}\n${a}\n`);
    expect(ids(g2)).toEqual(['a', 'a']);
    expect(g2.issues.map((i) => [i.code, i.line])).toEqual([['json.malformed', 1]]);
    expect(g2.issues[0]!.message).toMatch(/expected "," or "]" after a record/);
    // A record that is not JSON inside a valid envelope: that record alone.
    const g3 = scan(`{"Records": [${a}, {"eventID": tru}, ${a}]}`);
    expect(ids(g3)).toEqual(['a', 'a']);
    expect(g3.issues.map((i) => i.code)).toEqual(['json.malformed']);
    // Records not an array, and a document that is not an object: the decoder says so.
    for (const text of ['{"Records": {"a": 1}}', '"Records"', '[1]']) {
      const g = scan(text);
      const out: InputIssue[] = [];
      for (const [v, line] of g.values)
        decodeCloudTrailValue(v, { file: 'f.json', line }, (x) => x.kind === 'issue' && out.push(x));
      expect(
        out.map((i) => [i.code, i.line]),
        text,
      ).toEqual([['cloudtrail.not-a-record', 1]]);
      if (text.startsWith('{')) expect(out[0]!.message).toBe('Records is an object, not a list of CloudTrail records');
    }
    expect(scan('{"Records": {"a": 1}}').values).toHaveLength(1);
  });

  it('a record over the size limit or nested past 512 levels: an issue at its line, the next record read', () => {
    const big = rec('big', { requestParameters: { bucketName: 'b', key: 'k'.repeat(5000) } });
    const deep = '['.repeat(600) + ']'.repeat(600);
    const doc = `{"Records": [\n${JSON.stringify(rec('a'))},\n${JSON.stringify(big)},\n${deep},\n${JSON.stringify(rec('b'))}\n]}`;
    for (const size of [7, 1 << 20]) {
      const g = scan(doc, size, 4096);
      expect(ids(g)).toEqual(['a', 'b']);
      expect(g.issues.map((i) => [i.code, i.line])).toEqual([
        ['json.too-large', 3],
        ['json.too-deep', 4],
      ]);
      expect(g.issues[0]!.message).toMatch(/a record of 5,\d{3} bytes, over the 4,096/);
    }
  });
});

const scope = () => new Scope(defaultScope());
/** The profile without its sources (paths, line numbers, byte counts). */
const graph = (p: Profile) => serializeProfile({ ...p, sources: [] });

/** Today's reading of a document: JSON.parse of the whole, each record decoded. */
function wholeParse(docs: unknown[]): string {
  const b = new ProfileBuilder(scope());
  for (const d of docs) decodeCloudTrailValue(d, { file: 'x', line: 1 }, (o) => o.kind !== 'issue' && b.add(o));
  return graph(b.toProfile());
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && /\.(json|jsonl)(\.gz)?$/.test(f));
}

/** Every value a CloudTrail file holds: one document, or one value per line. */
function valuesOf(file: string): unknown[] {
  const raw = readFileSync(file);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').flatMap((l) => (l.trim() ? [JSON.parse(l)] : []));
  }
}

const run = (path: string, workers: number) =>
  ingest({ k8sAudit: [], cloudtrail: [path], scope: scope(), workers, cwd: '/', splitBytes: 16 * 1024 });

const SETS: [string, string, boolean][] = [
  ['fixtures/demo/cloudtrail', join(ROOT, 'fixtures/demo/cloudtrail'), true],
  ['test/fixtures/cloudtrail-lake', join(ROOT, 'test/fixtures/cloudtrail-lake'), true],
  ['test/fixtures/cloudtrail-identities', join(ROOT, 'test/fixtures/cloudtrail-identities'), true],
  ['../shared/corpus/cloudtrail', join(CORPUS, 'cloudtrail'), HAS_CORPUS],
];

describe('streamed documents read as the whole-document parse did, with 1 or 2 workers', () => {
  it.each(SETS)(
    '%s: as files, and as one large document (one line, pretty, gzip), 1 and 2 workers',
    async (_n, dir, has) => {
      if (!has) {
        console.warn(`NOTICE: ${dir} not found: skipped`);
        return;
      }
      const values = filesUnder(dir).flatMap(valuesOf);
      const expected = wholeParse(values);
      const asFiles = await run(dir, 1);
      expect(graph(asFiles.profile)).toBe(expected);
      // Every record of the set in one document, several times over so the document is split into ranges.
      const records = values.flatMap((v) => {
        const r = (v as { Records?: unknown[] }).Records;
        return Array.isArray(r) ? r : [v];
      });
      const many = Array.from({ length: 6 }, () => records).flat();
      const out = tmp('a2p-ctstream-');
      const docs: [string, string | Buffer][] = [
        ['one-line.json', JSON.stringify({ Records: many })],
        ['pretty.json', JSON.stringify({ eventVersion: 'x', Records: many, more: { Records: [1] } }, null, 2)],
        ['doc.json.gz', gzipSync(JSON.stringify({ Records: many }))],
      ];
      for (const [name, body] of docs) {
        const file = join(out, name);
        writeFileSync(file, body);
        const one = await run(file, 1);
        const two = await run(file, 2);
        expect(graph(one.profile), name).toBe(wholeParse([{ Records: many }]));
        expect(serializeProfile(two.profile), name).toBe(serializeProfile(one.profile));
        expect(two.issues, name).toEqual(one.issues);
        if (!name.endsWith('.gz')) expect((await recordBoundaries(file, statSync(file).size, 2)).length, name).toBe(1);
      }
    },
  );

  it('a malformed and a truncated document: the same issues and records with 1 and 2 workers', async () => {
    const out = tmp('a2p-ctstream-');
    const recs = Array.from({ length: 400 }, (_, i) => rec(`r${i}`, { eventName: i % 2 ? 'GetObject' : 'PutObject' }));
    const pretty = JSON.stringify({ Records: recs }, null, 2);
    const cut = pretty.slice(0, Math.floor(pretty.length * 0.8));
    const bad = pretty.replace('"eventID": "r350"', '"eventID": r350');
    for (const [name, body, records] of [
      ['cut.json', cut, undefined],
      ['bad.json', bad, 399],
    ] as const) {
      writeFileSync(join(out, name), body);
      const one = await run(join(out, name), 1);
      const two = await run(join(out, name), 2);
      expect(serializeProfile(two.profile), name).toBe(serializeProfile(one.profile));
      expect(two.issues, name).toEqual(one.issues);
      expect(one.issueCount, name).toBe(1);
      const src = one.profile.sources[0]!;
      if (records) expect(src.records).toBe(records);
      else expect(src.records).toBeGreaterThan(300);
      // The line the bad record starts on (V8 names no position in the record).
      const line = body.slice(0, body.lastIndexOf('\n    {', body.indexOf('r350')) + 1).split('\n').length;
      if (name === 'bad.json') expect(one.issues[0]).toMatchObject({ code: 'json.malformed', line });
      else expect(one.issues[0]).toMatchObject({ code: 'json.truncated' });
    }
  });

  it('the CLI: a truncated gzip document keeps the records before the cut, one issue at file:line, exit 0 under skip', async () => {
    const out = tmp('a2p-ctstream-');
    const doc = JSON.stringify({ Records: Array.from({ length: 50 }, (_, i) => rec(`r${i}`)) });
    writeFileSync(join(out, 'trail.json.gz'), gzipSync(doc.slice(0, doc.indexOf('"r40"'))));
    const r = cli(['profile', '--cloudtrail', 'trail.json.gz', '-o', 'p.json', '--on-error', 'skip'], { cwd: out });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trail\.json\.gz:1: json\.truncated/);
    const p = await readProfileFile(join(out, 'p.json'));
    expect(p.sources[0]).toMatchObject({ records: 40, issues: 1 });
  });

  it('the CLI: a delivery file is one line of many records, so an issue of a record names its eventID too', async () => {
    const out = tmp('a2p-ctstream-');
    // As CloudTrail writes each S3 object: compact, one line. A record with eventID and one without, each broken.
    const records = [
      rec('r0'),
      rec('r1', { errorCode: 403 }),
      rec('r2'),
      { ...rec('r3', { eventSource: 7 }), eventID: undefined },
    ];
    writeFileSync(join(out, 'delivery.json.gz'), gzipSync(JSON.stringify({ Records: records })));
    const r = cli(['profile', '--cloudtrail', 'delivery.json.gz', '-o', 'p.json'], { cwd: out });
    expect(r.code, r.stderr).toBe(0);
    const issues = r.stderr.split('\n').filter((l) => l.includes('delivery.json.gz:'));
    expect(issues).toEqual([
      '  delivery.json.gz:1: cloudtrail.bad-type: event "r1": errorCode is a number, not a string',
      '  delivery.json.gz:1: cloudtrail.not-a-record: not a CloudTrail record: eventSource, eventName or userIdentity missing',
    ]);
    expect((await readProfileFile(join(out, 'p.json'))).sources[0]).toMatchObject({ records: 2, issues: 2 });
  });

  it('the CLI: a record of 300 MB in a gzip document is one json.too-large issue at its line, the next record read', async () => {
    const out = tmp('a2p-ctstream-');
    const gz = createGzip({ level: 1 });
    const done = once(gz.pipe(createWriteStream(join(out, 'big.json.gz'))), 'finish');
    gz.write('{"Records": [\n' + JSON.stringify(rec('a')) + ',\n{"eventID": "huge", "pad": "');
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 300; i++) if (!gz.write(chunk)) await once(gz, 'drain');
    gz.end('"},\n' + JSON.stringify(rec('b')) + '\n]}\n');
    await done;
    const r = cli(['profile', '--cloudtrail', 'big.json.gz', '-o', 'p.json'], { cwd: out });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/big\.json\.gz:3: json\.too-large/);
    expect((await readProfileFile(join(out, 'p.json'))).sources[0]).toMatchObject({ records: 2, issues: 1 });
  }, 120_000);
});
