// Bounded, non-recursive work (issue 17): a record nested deeper than the limit or a line longer than the limit is
// an input issue with file:line and the run goes on under --on-error skip; lists of any length are appended in loops
// (a spread `push(...xs)` passes every element as an argument and overflows the stack past ~120,000). Each CLI run
// is a child process killed at a deadline.
import { readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/ingest/lines.js';
import { ROOT, tmp } from './helpers/cli.js';
import { cliTimed, cliTimedAsync } from './helpers/timed.js';
import { readProfileFile } from './helpers/profile.js';

const DEMO = join(ROOT, 'fixtures/demo');
const firstLine = (p: string) => readFileSync(join(DEMO, p), 'utf8').split('\n')[0]!;
const K8S = JSON.parse(firstLine('k8s-audit/kube-apiserver-audit-2026-11-09.log')) as Record<string, unknown>;
const CT = JSON.parse(firstLine('cloudtrail/lake-export-2026-11-09.jsonl')) as Record<string, unknown>;
const FLOW = JSON.parse(firstLine('flows/hubble/hubble-2026-11-09.json')) as Record<string, unknown>;

/** `n` nested arrays: 6,000 of them make a 12 KB line. */
const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
/** A record with one field replaced by raw JSON text (the value would not survive JSON.stringify). */
const withRaw = (rec: Record<string, unknown>, field: string, raw: string) =>
  JSON.stringify({ ...rec, [field]: '@@RAW@@' }).replace('"@@RAW@@"', () => raw);
/** Wrappers nested `n` deep around `inner`: `{"k":{"k":...inner...}}` with extra fields at each level. */
const wrap = (n: number, open: string, inner: string) => open.repeat(n) + inner + '}'.repeat(n);

function issueLines(stderr: string, file: string, code: string): number[] {
  const re = new RegExp(`${file}:(\\d+): ${code.replace('.', '\\.')}`, 'g');
  return [...stderr.matchAll(re)].map((m) => Number(m[1]));
}

describe('deep nesting: an input issue at file:line, the run goes on', () => {
  it('Kubernetes audit: nested arrays, a nested EventList, a kind nested 100,000 deep, a deep envelope message', async () => {
    const dir = tmp('a2p-deep-');
    const lines = [
      JSON.stringify(K8S),
      nested(6000),
      JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: '@@' }).replace('"@@"', nested(6000)),
      withRaw(K8S, 'kind', nested(100_000)),
      withRaw(K8S, 'responseStatus', wrap(100_000, '{"code":', '200')),
      // A CloudWatch Logs envelope whose message is JSON text of its own, nested 6,000 deep.
      JSON.stringify({ events: [{ timestamp: 1, message: nested(6000) }] }),
      JSON.stringify({ ...K8S, auditID: 'last' }),
    ];
    writeFileSync(join(dir, 'audit.log'), lines.join('\n') + '\n');
    const t = cliTimed(['profile', '--k8s-audit', 'audit.log', '-o', 'p.json'], 60_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).not.toMatch(/Maximum call stack|internal error/);
    expect(issueLines(t.stderr, 'audit.log', 'json.too-deep')).toEqual([2, 3, 4, 5, 6]);
    const p = await readProfileFile(join(dir, 'p.json'));
    expect(p.sources[0]).toMatchObject({ records: 2, issues: 5 });
    // --on-error fail stops on them (exit 2), nothing written.
    const f = cliTimed(['profile', '--k8s-audit', 'audit.log', '-o', 'f.json', '--on-error', 'fail'], 60_000, dir);
    expect(f.code, f.stderr).toBe(2);
    expect(readdirSync(dir)).not.toContain('f.json');
  });

  it('CloudTrail: nested arrays, nested Records, nested EventBridge envelopes, deep requestParameters', async () => {
    const dir = tmp('a2p-deep-');
    const lines = [
      JSON.stringify(CT),
      nested(6000),
      // Records nested in Records: `{"Records":[{"Records":[ ... ]}]}`.
      '{"Records":['.repeat(6000) + ']}'.repeat(6000),
      wrap(6000, '{"detail-type":"AWS API Call via CloudTrail","detail":', JSON.stringify(CT)),
      withRaw(CT, 'requestParameters', wrap(100_000, '{"key":', '"x"')),
      JSON.stringify({ ...CT, eventID: 'last' }),
    ];
    writeFileSync(join(dir, 'ct.jsonl'), lines.join('\n') + '\n');
    const t = cliTimed(['profile', '--cloudtrail', 'ct.jsonl', '-o', 'p.json'], 60_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).not.toMatch(/Maximum call stack|internal error/);
    expect(issueLines(t.stderr, 'ct.jsonl', 'json.too-deep')).toEqual([2, 3, 4, 5]);
    expect((await readProfileFile(join(dir, 'p.json'))).sources[0]).toMatchObject({ records: 2, issues: 4 });
  });

  it('Hubble flows: nested arrays, a time nested 100,000 deep', () => {
    const dir = tmp('a2p-deep-');
    const lines = [JSON.stringify(FLOW), nested(6000), withRaw(FLOW, 'time', nested(100_000)), JSON.stringify(FLOW)];
    writeFileSync(join(dir, 'hubble.json'), lines.join('\n') + '\n');
    const t = cliTimed(['profile', '--flows', 'hubble.json', '-o', 'p.json'], 60_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.code, t.stderr).toBe(0);
    expect(issueLines(t.stderr, 'hubble.json', 'json.too-deep')).toEqual([2, 3]);
  });
});

describe('deep nesting from the APIs', () => {
  it('LookupEvents: a CloudTrailEvent nested 100,000 deep is an issue of its source, the other events are read', async () => {
    const record = (id: string) => JSON.stringify({ ...CT, eventID: id, eventTime: '2026-11-09T00:05:31Z' });
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r-1' });
        res.end(
          JSON.stringify({
            Events: [
              { EventId: 'e1', EventName: 'GetObject', CloudTrailEvent: record('e1') },
              { EventId: 'deep', EventName: 'GetObject', CloudTrailEvent: nested(100_000) },
              { EventId: 'e2', EventName: 'GetObject', CloudTrailEvent: record('e2') },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = tmp('a2p-deep-');
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // Static credentials, no instance metadata: nothing but 127.0.0.1 is contacted.
      const env = {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_EC2_METADATA_DISABLED: 'true',
        HOME: dir,
      };
      const args = ['profile', '--cloudtrail-api', '--region', 'eu-west-1', '--endpoint', endpoint];
      const t = await cliTimedAsync(
        [...args, '--since', '2026-11-01T00:00:00Z', '-o', join(dir, 'p.json')],
        60_000,
        env,
      );
      expect(t.timedOut).toBe(false);
      expect(t.code, t.stderr).toBe(0);
      const p = await readProfileFile(join(dir, 'p.json'));
      expect(p.sources[0]).toMatchObject({ records: 2, issues: 1, issueSamples: [{ code: 'json.too-deep', line: 2 }] });
    } finally {
      server.close();
    }
  });
});

describe('long lines: an input issue at file:line, memory stays bounded', () => {
  it('the splitter drops a line over its limit, says where, and reads the next lines with their numbers', () => {
    const got: [number, string][] = [];
    const long: [number, number][] = [];
    const s = new LineSplitter((text, n) => got.push([n, text]), {
      maxLineBytes: 10,
      onLineTooLong: (n, bytes) => long.push([n, bytes]),
    });
    s.push(Buffer.from('short\n0123456789abc'));
    s.push(Buffer.from('defghij\nok\n'));
    s.push(Buffer.from('0123456789X\nlast'));
    s.end();
    expect(got).toEqual([
      [1, 'short'],
      [3, 'ok'],
      [5, 'last'],
    ]);
    expect(long).toEqual([
      [2, 20],
      [4, 11],
    ]);
  });

  it('a small gzip that expands to a 300 MB line: one issue at line 1, the next line read', async () => {
    const dir = tmp('a2p-long-');
    const gz = createGzip();
    const out = createWriteStream(join(dir, 'audit.log.gz'));
    gz.pipe(out);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    gz.write('{"kind":"Event","x":"');
    for (let i = 0; i < 300; i++) if (!gz.write(chunk)) await once(gz, 'drain');
    gz.end(`"}\n${JSON.stringify(K8S)}\n`);
    await once(out, 'finish');
    const t = cliTimed(['profile', '--k8s-audit', 'audit.log.gz', '-o', 'p.json'], 120_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.code, t.stderr).toBe(0);
    expect(issueLines(t.stderr, 'audit.log.gz', 'line.too-long')).toEqual([1]);
    expect((await readProfileFile(join(dir, 'p.json'))).sources[0]).toMatchObject({ records: 1, issues: 1 });
  }, 180_000);
});

describe('lists of any length are appended in loops', () => {
  it('a DynamoDB BatchGetItem naming 200,000 tables: read, no stack overflow', () => {
    const dir = tmp('a2p-wide-');
    const requestItems: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) requestItems[`t${i}`] = { keys: [{ id: {} }] };
    const rec = {
      ...CT,
      eventSource: 'dynamodb.amazonaws.com',
      eventName: 'BatchGetItem',
      requestParameters: { requestItems },
      resources: undefined,
    };
    writeFileSync(join(dir, 'ct.jsonl'), JSON.stringify(rec) + '\n' + JSON.stringify(CT) + '\n');
    const t = cliTimed(['generate', 'iam', '--cloudtrail', 'ct.jsonl', '-o', 'out'], 120_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.stderr).not.toMatch(/Maximum call stack|internal error/);
    // Both records read (the web identity's calls are its role's trust, no identity policy): nothing to generate.
    expect(t.stderr).toContain('read 1 file (6.09 MB), 2 records');
    expect(t.code, t.stderr).toBe(2);
    expect(t.stderr).toContain('error: nothing to generate: the profile holds no CloudTrail calls in scope');
  }, 180_000);

  it('generate rbac with 130,000 distinct object names for one subject and resource', () => {
    const dir = tmp('a2p-wide-');
    const base = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      stage: 'ResponseComplete',
      verb: 'get',
      user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts'] },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-09T00:00:41.163537Z',
    };
    const lines: string[] = [];
    for (let i = 0; i < 130_000; i++)
      lines.push(
        JSON.stringify({
          ...base,
          auditID: `a${i}`,
          objectRef: { resource: 'configmaps', namespace: 'shop', name: `cm-${i.toString(36)}` },
        }),
      );
    writeFileSync(join(dir, 'audit.log'), lines.join('\n') + '\n');
    const t = cliTimed(['generate', 'rbac', '--k8s-audit', 'audit.log', '-o', 'out'], 170_000, dir);
    expect(t.timedOut).toBe(false);
    expect(t.stderr).not.toMatch(/Maximum call stack|internal error/);
    expect(t.code, t.stderr).toBe(0);
  }, 180_000);

  it('no spread push or spread call of a list in src/ (each was a stack overflow waiting for a big enough log)', () => {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts'))
          readFileSync(p, 'utf8')
            .split('\n')
            .forEach((l, i) => {
              if (/^\s*(\*|\/\/)/.test(l)) return;
              if (/\.(push|unshift|splice)\((?:[^(){}[\]]*,\s*)?\.\.\.|(?<!function )tupleKey\(\.\.\./.test(l))
                found.push(`${p.slice(ROOT.length + 1)}:${i + 1}: ${l.trim()}`);
            });
      }
    };
    walk(join(ROOT, 'src'));
    expect(found).toEqual([]);
  });
});
