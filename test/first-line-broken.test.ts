// A file whose first record is bad loses that record alone: found by test/envelopes-property.test.ts. The first line
// used to decide what the whole file was, so a bad one took the good records after it along:
// - JSON lines whose first record is cut short (a writer killed mid-line, a copy cut at a byte) read as the start of
//   a pretty-printed document, and the file was one `json.malformed` issue (src/ingest/jsonLines.ts);
// - a file whose first line is the tail of a record (a log cut at a byte offset, `split -b`, a copy begun after a
//   rotation) or a value that is no object (`42`) was "not a log: text that is not JSON", a notice (inputs.ts `sniff`);
// - a VPC flow log without a header whose first record lacks a value was "not a log" too (`looksLikeVpcFlowLog`).
// docs/error-handling.md: a record left out is an issue at its file and line; the others are read.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';

const AUDIT = readFileSync(join(ROOT, 'fixtures/demo/k8s-audit/kube-apiserver-audit-2026-11-09.log'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 3);
const TRAIL = readFileSync(join(ROOT, 'fixtures/demo/cloudtrail/lake-export-2026-11-09.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 3);
const HUBBLE = readFileSync(join(ROOT, 'fixtures/demo/flows/hubble/hubble-2026-11-09.json'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 3);
/** Three records of AWS's default VPC flow log format (no header line). */
const VPC = [
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.0.50 10.0.1.105 50001 8080 6 10 2000 1762527600 1762527660 ACCEPT OK',
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.105 10.0.0.50 8080 50001 6 9 9000 1762527600 1762527660 ACCEPT OK',
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.105 10.0.1.102 50100 8081 6 4 900 1762527600 1762527660 ACCEPT OK',
];

type Kind = '--k8s-audit' | '--cloudtrail' | '--flows';
const INV = ['--inventory', join(ROOT, 'fixtures/demo/inventory')];

function profile(kind: Kind, name: string, body: string | Buffer) {
  const dir = tmp('first-line-');
  const file = join(dir, name);
  writeFileSync(file, body);
  const r = cli(['profile', kind, file, ...(kind === '--flows' ? INV : []), '-o', join(dir, 'p.json')]);
  const read = /read (\d+) files?[^,]*, (\d+) records/.exec(r.stderr);
  const issues = [...r.stderr.matchAll(new RegExp(`${name}:(\\d+): ([a-z0-9.-]+):`, 'g'))].map((m) => [
    Number(m[1]),
    m[2],
  ]);
  return { code: r.code, files: Number(read?.[1]), records: Number(read?.[2]), issues, stderr: r.stderr, file };
}

const lines = (xs: string[]) => xs.join('\n') + '\n';
/** A CloudWatch Logs export to S3: each line the event's time, then its message. */
const exported = (xs: string[]) => lines(xs.map((x, i) => `2026-11-09T00:00:4${i}.200Z ${x}`));

describe('a bad first record is an issue at line 1, and the records after it are read', () => {
  it.each([
    ['--k8s-audit', AUDIT],
    ['--cloudtrail', TRAIL],
    ['--flows', HUBBLE],
  ] as const)('%s: the first record cut short, in JSON lines and in an export', (kind, records) => {
    const cut = [records[0]!.slice(0, 300), ...records.slice(1)];
    for (const [name, body] of [
      ['cut.jsonl', lines(cut)],
      ['cut.jsonl.gz', gzipSync(lines(cut))],
      ['cut-export.log', exported(cut)],
    ] as const) {
      const r = profile(kind, name, body);
      expect([r.files, r.records, r.issues], `${kind} ${name}: ${r.stderr}`).toEqual([1, 2, [[1, 'json.malformed']]]);
    }
  });

  it.each([
    ['--k8s-audit', AUDIT, 'k8s.not-an-event'],
    ['--cloudtrail', TRAIL, 'cloudtrail.not-a-record'],
  ] as const)('%s: a first line that is a number, or the tail of a record', (kind, records, code) => {
    const number = profile(kind, 'number.jsonl', lines(['42', ...records.slice(1)]));
    expect([number.files, number.records, number.issues], number.stderr).toEqual([1, 2, [[1, code]]]);
    // A file of the number alone (gzip or not) is read too: one issue, no record.
    for (const [name, body] of [
      ['alone.jsonl', '42\n'],
      ['alone.jsonl.gz', gzipSync('42\n')],
    ] as const) {
      const r = profile(kind, name, body);
      expect([r.files, r.records, r.issues], r.stderr).toEqual([1, 0, [[1, code]]]);
    }
    const tail = records[0]!.slice(120);
    for (const [name, body] of [
      ['tail.jsonl', lines([tail, ...records.slice(1)])],
      ['tail.jsonl.gz', gzipSync(lines([tail, ...records.slice(1)]))],
      ['tail-export.log', exported([tail, ...records.slice(1)])],
    ] as const) {
      const r = profile(kind, name, body);
      expect([r.files, r.records, r.issues], `${kind} ${name}: ${r.stderr}`).toEqual([1, 2, [[1, 'json.malformed']]]);
    }
  });

  it('--flows: a Hubble flow cut at its start is a JSON issue, not a VPC record', () => {
    const r = profile('--flows', 'tail.jsonl', lines([HUBBLE[0]!.slice(120), ...HUBBLE.slice(1)]));
    expect([r.records, r.issues], r.stderr).toEqual([2, [[1, 'json.malformed']]]);
  });

  it('--flows: a VPC flow log without a header whose first record lacks a value', () => {
    const short = VPC[0]!.replace(' 50001 ', ' ');
    for (const [name, body] of [
      ['flows.log', lines([short, ...VPC.slice(1)])],
      ['flows-export.log', exported([short, ...VPC.slice(1)])],
    ] as const) {
      const r = profile('--flows', name, body);
      expect([r.files, r.records, r.issues], r.stderr).toEqual([1, 2, [[1, 'flow.vpc-fields']]]);
    }
  });
});

describe('what is not a log stays a notice, and a broken document stays one issue', () => {
  it('a text file with a JSON line inside is not a log', () => {
    const readme = lines(['# Logs', 'Each line is an Event like', '{"kind":"Event"}', 'and nothing else.']);
    const r = profile('--k8s-audit', 'README.md', readme);
    expect([r.files, r.records, r.issues]).toEqual([0, 0, []]);
    expect(r.stderr).toMatch(/skipped .*README\.md: not a log: text that is not JSON/);
  });

  // Finding 9: a flow log of a custom format saved without its header line was "not a log: text that is not JSON",
  // with no word of --vpc-format (a headerless file in a format starting with `version` gets flow.vpc-fields issues).
  it('VPC flow log records of a custom format without a header line: a notice naming --vpc-format', () => {
    const custom = [
      '10.0.0.50 10.0.1.105 50001 8080 6 1762527600 1762527660 ACCEPT 2 egress 5',
      '10.0.1.105 10.0.0.50 8080 50001 6 1762527600 1762527660 REJECT 2 ingress 5',
      '- - - - - 1762527600 1762527660 - - - NODATA',
    ];
    const r = profile('--flows', 'custom.log', lines(custom));
    // The only file given, skipped: nothing read (exit 2), the notice saying what to give.
    expect([r.code, r.files, r.records, r.issues], r.stderr).toEqual([2, 0, 0, []]);
    expect(r.stderr).toContain('error: nothing read: ');
    expect(r.stderr).toContain(
      'skipped ' +
        join(dirname(r.file), 'custom.log') +
        ": what seem VPC flow log records without a header line (11 values a line, not AWS's default format): give " +
        "their format with --vpc-format '${srcaddr} ${dstaddr} ...' (the flow log's LogFormat, or the field names of its header line)",
    );
    // A --vpc-format that does not fit them is named; the right one reads them.
    const wrong = '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}';
    const right = `\${srcaddr} \${dstaddr} \${srcport} \${dstport} \${protocol} \${start} \${end} \${action} \${tcp-flags} \${flow-direction} \${version}`;
    const withWrong = cli([
      'profile',
      '--flows',
      r.file,
      ...INV,
      '--vpc-format',
      wrong,
      '-o',
      join(dirname(r.file), 'w.json'),
    ]);
    expect(withWrong.stderr).toMatch(
      /custom\.log: what seem VPC flow log records .*\(11 values a line, not the 7 fields of --vpc-format\)/,
    );
    const withRight = cli([
      'profile',
      '--flows',
      r.file,
      ...INV,
      '--vpc-format',
      right,
      '-o',
      join(dirname(r.file), 'r.json'),
    ]);
    expect([withRight.code, /read 1 file[^,]*, 2 records/.test(withRight.stderr)], withRight.stderr).toEqual([0, true]);
  });

  it('prose with the words of a flow log stays not a log', () => {
    const readme = lines([
      'Flow logs say ACCEPT or REJECT for each connection',
      'from 10.0.0.1 to 10.0.0.2 on port 443 and 8080 ok',
    ]);
    const r = profile('--flows', 'README.md', readme);
    expect(r.stderr).toMatch(/skipped .*README\.md: not a log: text that is not JSON/);
  });

  it('a pretty-printed document with a comma missing is one issue at its line, as before', () => {
    const doc = JSON.stringify({ kind: 'EventList', items: AUDIT.map((x) => JSON.parse(x) as unknown) }, null, 2);
    const lines = doc.split('\n');
    const at = lines.findIndex((l) => l.trim().startsWith('"verb"'));
    lines[at] = lines[at]!.replace(/,$/, '');
    const r = profile('--k8s-audit', 'list.json', lines.join('\n') + '\n');
    expect([r.records, r.issues.length, r.issues[0]?.[1]], r.stderr).toEqual([0, 1, 'json.malformed']);
  });

  it('a JSON lines file whose every line holds an object reads as before', () => {
    const r = profile('--k8s-audit', 'ok.jsonl', lines(AUDIT));
    expect([r.records, r.issues]).toEqual([3, []]);
  });
});
