// Records saved as JSON strings of their JSON text. The AWS CLI prints a query of the messages alone as an array of
// strings, json.dump(…, indent=4), one string per line (`aws logs filter-log-events --log-group-name
// /aws/eks/C/cluster --query 'events[].message'`, `aws cloudtrail lookup-events --query 'Events[].CloudTrailEvent'`),
// and `--output text` as the strings tab-separated, a line per page ("multiple lines of tab-separated string values";
// with --query on a paginated command the query applies to each page); `jq '.events[].message'` prints one JSON
// string per line; Filebeat without decode_json_fields keeps the line as it came in the document's `message`. Each is
// read as the records it holds, the same profile as the records themselves; a string that is no record is one issue
// naming its file and line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serializeProfile } from '../src/profile/io.js';
import { cli, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const lines = (path: string, n: number) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n);
const AUDIT = lines('fixtures/demo/k8s-audit/kube-apiserver-audit-2026-11-09.log', 60);
const TRAIL = lines('fixtures/demo/cloudtrail/lake-export-2026-11-09.jsonl', 40);

/** The AWS CLI's JSON output of a list of strings (awscli's JSONFormatter: json.dump with indent=4). */
const cliJson = (strings: string[]) => JSON.stringify(strings, null, 4) + '\n';
/** `jq '.events[].message'`: one JSON string per line. */
const jqLines = (strings: string[]) => strings.map((s) => JSON.stringify(s)).join('\n') + '\n';
/** `--output text`: each page's strings tab-separated on a line of their own. */
const cliText = (strings: string[], page: number) => {
  const out: string[] = [];
  for (let i = 0; i < strings.length; i += page) out.push(strings.slice(i, i + page).join('\t'));
  return out.join('\n') + '\n';
};

type Flag = '--k8s-audit' | '--cloudtrail';

/** `audit2policy profile` of one file: the profile without its sources, and what it said. */
async function profile(flag: Flag, dir: string, name: string, content: string | Buffer) {
  const file = join(dir, name);
  writeFileSync(file, content);
  const out = join(dir, `${name}.profile`);
  const r = cli(['profile', flag, file, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  const p = await readProfileFile(out);
  return { text: serializeProfile({ ...p, sources: [] }), stderr: r.stderr, source: p.sources[0]! };
}

describe('records saved as JSON strings of their text', () => {
  it.each<[Flag, string[]]>([
    ['--k8s-audit', AUDIT],
    ['--cloudtrail', TRAIL],
  ])(
    '%s: the AWS CLI query of the messages (json, text), jq per line and gzip give the records themselves',
    async (flag, records) => {
      const dir = tmp('jstr-');
      const plain = await profile(flag, dir, 'plain.jsonl', records.join('\n') + '\n');
      expect(plain.text).toMatch(flag === '--k8s-audit' ? /"k8s"/ : /"aws"/);
      const shapes: [string, string | Buffer][] = [
        ['query.json', cliJson(records)],
        ['query-one-line.json', JSON.stringify(records) + '\n'],
        ['query.txt', cliText(records, 7)],
        ['jq.json', jqLines(records)],
        ['jq.json.gz', gzipSync(jqLines(records))],
      ];
      for (const [name, content] of shapes) {
        const got = await profile(flag, dir, name, content);
        expect(got.stderr, name).not.toMatch(/input issue|notice: skipped/);
        expect(got.source.records, name).toBe(plain.source.records);
        expect(got.text, name).toBe(plain.text);
      }
    },
  );

  it('a line longer than the head read to sniff a file (a large Event) is read all the same', async () => {
    const big = JSON.parse(AUDIT[0]!) as Record<string, unknown>;
    big['annotations'] = { 'example.com/note': 'x'.repeat(100_000) };
    const records = [JSON.stringify(big), ...AUDIT.slice(1, 5)];
    const dir = tmp('jstr-big-');
    const plain = await profile('--k8s-audit', dir, 'plain.jsonl', records.join('\n') + '\n');
    for (const [name, content] of [
      ['jq.json', jqLines(records)],
      ['jq.json.gz', gzipSync(jqLines(records))],
    ] as const) {
      const got = await profile('--k8s-audit', dir, name, content);
      expect(got.stderr, name).not.toMatch(/not a log|input issue/);
      expect(got.text, name).toBe(plain.text);
    }
  });

  it('a string that is no record is one issue naming its file and its own line; the others are read', async () => {
    const dir = tmp('jstr-bad-');
    const audit = [
      AUDIT[0]!,
      'I1109 00:00:01.000000 1 trace.go:236] Trace[1]: "List" (not JSON)',
      AUDIT[1]!.slice(0, 90),
      AUDIT[2]!,
    ];
    const a = await profile('--k8s-audit', dir, 'audit.json', cliJson(audit));
    expect(a.source.records).toBe(2);
    expect(a.source.issues).toBe(2);
    expect(a.stderr).toMatch(/audit\.json:3: k8s\.not-an-event: a JSON string whose text is no JSON object/);
    expect(a.stderr).toMatch(
      /audit\.json:4: json\.malformed: a JSON string whose text \(90 characters\) is not valid JSON/,
    );
    const jq = await profile('--k8s-audit', dir, 'audit-jq.json', jqLines(audit));
    expect(jq.stderr).toMatch(/audit-jq\.json:2: k8s\.not-an-event/);
    expect(jq.stderr).toMatch(/audit-jq\.json:3: json\.malformed/);

    const trail = [TRAIL[0]!, 'hello', TRAIL[1]!.slice(0, 50), TRAIL[2]!];
    const t = await profile('--cloudtrail', dir, 'trail.json', cliJson(trail));
    expect(t.source.records).toBe(2);
    expect(t.source.issues).toBe(2);
    expect(t.stderr).toMatch(/trail\.json:3: cloudtrail\.not-a-record: a JSON string whose text is no JSON object/);
    expect(t.stderr).toMatch(/trail\.json:4: json\.malformed: a JSON string whose text \(50 characters\)/);
  });

  it('strings of one source given to the other flag are skipped with the notice naming the flag', () => {
    const dir = tmp('jstr-foreign-');
    const file = join(dir, 'events.json');
    writeFileSync(file, cliJson(TRAIL));
    const r = cli(['profile', '--k8s-audit', file, '-o', join(dir, 'p.json')]);
    expect(r.stderr).toContain('looks like CloudTrail: read it with --cloudtrail');
    writeFileSync(file, jqLines(AUDIT));
    const s = cli(['profile', '--cloudtrail', file, '-o', join(dir, 'p.json')]);
    expect(s.stderr).toContain('looks like a Kubernetes audit log: read it with --k8s-audit');
  });

  it("an Elasticsearch document whose message is the record's JSON text (Filebeat, not decoded) is read", async () => {
    const dir = tmp('jstr-es-');
    const doc = (text: string, i: number) =>
      JSON.stringify({
        _index: '.ds-logs-generic-default-2026.11.09-000001',
        _id: `d${i}`,
        _source: {
          '@timestamp': '2026-11-09T00:00:00.000Z',
          message: text,
          input: { type: 'filestream' },
          log: { file: { path: '/var/log/kubernetes/audit/audit.log' }, offset: i * 1000 },
        },
      });
    const plain = await profile('--k8s-audit', dir, 'plain.jsonl', AUDIT.join('\n') + '\n');
    const got = await profile('--k8s-audit', dir, 'es.jsonl', AUDIT.map(doc).join('\n') + '\n');
    expect(got.stderr).not.toMatch(/input issue/);
    expect(got.source.envelopes).toEqual({ elasticsearch: AUDIT.length });
    expect(got.text).toBe(plain.text);
    const trail = await profile('--cloudtrail', dir, 'plain-trail.jsonl', TRAIL.join('\n') + '\n');
    const esTrail = await profile('--cloudtrail', dir, 'es-trail.jsonl', TRAIL.map(doc).join('\n') + '\n');
    expect(esTrail.stderr).not.toMatch(/input issue/);
    expect(esTrail.text).toBe(trail.text);
  });
});
