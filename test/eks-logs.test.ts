import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filterLogEvents } from '../src/ingest/eksLogs.js';
import { BIN, cli, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

/** Run the CLI without blocking this process: the test's server must keep answering. */
function cliAsync(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

interface Answer {
  status: number;
  body: unknown;
}
type Request = { target: string; body: Record<string, unknown>; auth: string };

const servers: { close: () => void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A CloudWatch Logs endpoint on 127.0.0.1 speaking the AWS JSON 1.1 protocol, answering from a script. */
async function serve(script: (req: Request, n: number) => Answer) {
  const seen: Request[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        target: String(req.headers['x-amz-target'] ?? ''),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
        auth: String(req.headers['authorization'] ?? ''),
      };
      seen.push(r);
      const a = script(r, seen.length);
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `r-${seen.length}` });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const THROTTLED = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
const BOOM = { status: 500, body: { __type: 'ServiceUnavailableException', message: 'boom' } };
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const ev = (id: string, message = `{"n":"${id}"}`, stream = 'kube-apiserver-audit-0a1b2c3d') => ({
  logStreamName: stream,
  timestamp: 1793606400000,
  message,
  ingestionTime: 1793606401000,
  eventId: id,
});

describe('FilterLogEvents through the real SDK client against a local server', () => {
  it('pages through nextToken (empty pages too), retries a throttle and a 500, and yields each event once', async () => {
    const { endpoint, seen } = await serve((req, n) => {
      if (n === 1) return THROTTLED;
      const token = req.body['nextToken'];
      if (!token) return { status: 200, body: { events: [ev('e1'), ev('e2')], nextToken: 't1' } };
      if (token === 't1' && seen.filter((s) => s.body['nextToken'] === 't1').length === 1) return BOOM;
      if (token === 't1') return { status: 200, body: { events: [], nextToken: 't2' } };
      if (token === 't2') return { status: 200, body: { events: [ev('e2'), ev('e3')], nextToken: 't3' } };
      return { status: 200, body: { events: [ev('e4')], searchedLogStreams: [] } };
    });
    const pages: number[] = [];
    const got = [];
    for await (const e of filterLogEvents({
      region: 'eu-west-1',
      endpoint,
      credentials: creds,
      logGroup: '/aws/eks/shop/cluster',
      streamPrefix: 'kube-apiserver-audit-',
      startTime: new Date('2026-11-01T00:00:00Z'),
      minIntervalMs: 0,
      onPage: (k) => pages.push(k),
    }))
      got.push(e);
    expect(got.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(got[0]).toEqual({
      id: 'e1',
      logStreamName: 'kube-apiserver-audit-0a1b2c3d',
      timestamp: 1793606400000,
      message: '{"n":"e1"}',
    });
    expect(pages).toEqual([2, 0, 2, 1]);
    expect(seen.map((s) => s.body['nextToken'] ?? '-')).toEqual(['-', '-', 't1', 't1', 't2', 't3']);
    expect(seen.every((s) => s.target === 'Logs_20140328.FilterLogEvents')).toBe(true);
    expect(seen.every((s) => s.auth.startsWith('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/'))).toBe(true);
    expect(seen[0]!.body).toEqual({
      logGroupName: '/aws/eks/shop/cluster',
      logStreamNamePrefix: 'kube-apiserver-audit-',
      startTime: Date.parse('2026-11-01T00:00:00Z'),
    });
  });

  it('keeps a least interval between requests', async () => {
    const { endpoint, seen } = await serve((req) =>
      req.body['nextToken']
        ? { status: 200, body: { events: [ev('b')] } }
        : { status: 200, body: { events: [ev('a')], nextToken: 'n' } },
    );
    const t0 = Date.now();
    const got = [];
    for await (const e of filterLogEvents({
      region: 'eu-west-1',
      endpoint,
      credentials: creds,
      logGroup: 'g',
      minIntervalMs: 300,
    }))
      got.push(e.id);
    expect(got).toEqual(['a', 'b']);
    expect(seen).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('stops when the service hands back a token it gave before', async () => {
    const { endpoint, seen } = await serve((_, n) => ({
      status: 200,
      body: { events: [ev(`e${n}`)], nextToken: 'same' },
    }));
    const stops: number[] = [];
    const got = [];
    for await (const e of filterLogEvents({
      region: 'eu-west-1',
      endpoint,
      credentials: creds,
      logGroup: 'g',
      minIntervalMs: 0,
      onRepeatedToken: (p) => stops.push(p),
    }))
      got.push(e.id);
    expect(got).toEqual(['e1', 'e2']);
    expect(seen).toHaveLength(2);
    expect(stops).toEqual([2]);
  });

  it('gives up with the service error after the attempts are spent', async () => {
    const { endpoint } = await serve(() => THROTTLED);
    const run = async () => {
      for await (const _ of filterLogEvents({
        region: 'eu-west-1',
        endpoint,
        credentials: creds,
        logGroup: 'g',
        minIntervalMs: 0,
        maxAttempts: 2,
      }))
        void _;
    };
    await expect(run()).rejects.toThrow(/Rate exceeded/);
  });
});

describe('profile --eks-audit-logs', () => {
  const exported = join(ROOT, 'fixtures/envelopes/eks/filter-log-events.json');
  /** `profile` of the audit streams of cluster shop-staging in eu-west-1, read from the server at `endpoint`. */
  const cluster = (endpoint: string) => [
    'profile',
    '--eks-audit-logs',
    '--cluster-name',
    'shop-staging',
    '--region',
    'eu-west-1',
    '--endpoint',
    endpoint,
  ];
  const env = (home: string) => ({
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    HOME: home,
  });

  it('reads the cluster’s audit streams into the profile the exported file gives', async () => {
    const all = (JSON.parse(readFileSync(exported, 'utf8')) as { events: { logStreamName: string }[] }).events;
    // The service filters by stream prefix; pages of 4 events, a throttle and a 500 on the way.
    const { endpoint, seen } = await serve((req, n) => {
      if (n === 2) return THROTTLED;
      if (n === 4) return BOOM;
      const prefix = String(req.body['logStreamNamePrefix'] ?? '');
      const events = all.filter((e) => e.logStreamName.startsWith(prefix));
      const at = Number(req.body['nextToken'] ?? 0);
      const next = at + 4 < events.length ? { nextToken: String(at + 4) } : {};
      return { status: 200, body: { events: events.slice(at, at + 4), ...next } };
    });
    const out = tmp();
    const args = ['--since', '2026-11-01T00:00:00Z', '--include-system', '--subject-kind', 'serviceaccount,user,group'];
    const live = await cliAsync([...cluster(endpoint), ...args, '-o', join(out, 'live.json')], env(out));
    expect(live.code, live.stderr).toBe(0);
    expect(live.stderr).toMatch(/envelopes: cloudwatch-logs-api 15\n/);
    const file = cli(['profile', '--k8s-audit', exported, ...args, '-o', join(out, 'file.json')]);
    expect(file.code, file.stderr).toBe(0);
    const read = (f: string) => readProfileFile(join(out, f));
    const [a, b] = [await read('live.json'), await read('file.json')];
    expect(a.sources).toEqual([
      {
        path: 'eks-audit-logs:eu-west-1:/aws/eks/shop-staging/cluster',
        format: 'eks-audit-logs',
        bytes: expect.any(Number),
        records: 15,
        issues: 0,
        issueSamples: [],
        envelopes: { 'cloudwatch-logs-api': 15 },
      },
    ]);
    expect({ ...a, sources: [] }).toEqual({ ...b, sources: [] });
    expect(a.principals.length).toBeGreaterThan(5);
    expect(seen.every((s) => s.body['logGroupName'] === '/aws/eks/shop-staging/cluster')).toBe(true);
    expect(seen.map((s) => s.body['nextToken'] ?? '-')).toEqual(['-', '4', '4', '8', '8', '12']);
    expect(seen[0]!.body['startTime']).toBe(Date.parse('2026-11-01T00:00:00Z'));
  }, 30_000);

  it('a group given by name is read whole; a repeated token is an issue of the source', async () => {
    const { endpoint, seen } = await serve(() => ({
      status: 200,
      body: { events: [ev('x', 'not json', 'app-1')], nextToken: 'again' },
    }));
    const out = tmp();
    const r = await cliAsync(
      [
        'profile',
        '--eks-audit-logs',
        '--log-group',
        '/my/audit',
        '--region',
        'eu-west-1',
        '--endpoint',
        endpoint,
        '-o',
        join(out, 'p.json'),
      ],
      env(out),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(seen[0]!.body).toEqual({ logGroupName: '/my/audit' });
    const p = await readProfileFile(join(out, 'p.json'));
    expect(p.sources[0]!.issueSamples.map((i) => i.code)).toEqual(['k8s.not-json-message', 'eks.repeated-token']);
    expect(p.sources[0]!.issues).toBe(2);
  }, 30_000);

  it('--until asks the API for the Events logged up to 70 minutes later: a watch received before it is kept', async () => {
    // CloudWatch filters on the log event's timestamp, which is when the API server logged the Event: a watch
    // received at 09:50 and ended at 10:20 is logged at 10:20. The scope keeps Events by when they were received.
    const event = (id: string, verb: string, received: string, logged: string) => ({
      logStreamName: 'kube-apiserver-audit-0a1b2c3d',
      timestamp: Date.parse(logged),
      ingestionTime: Date.parse(logged) + 1000,
      eventId: id,
      message: JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: id,
        stage: 'ResponseComplete',
        requestURI: `/api/v1/namespaces/shop/configmaps${verb === 'watch' ? '?watch=true' : ''}`,
        verb,
        user: {
          username: 'system:serviceaccount:shop:cart',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
        },
        objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 200 },
        requestReceivedTimestamp: received,
        stageTimestamp: logged,
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      }),
    });
    const events = [
      event('watch-1', 'watch', '2026-11-02T09:50:00.000000Z', '2026-11-02T10:20:00.000000Z'),
      event('list-late', 'list', '2026-11-02T10:05:00.000000Z', '2026-11-02T10:05:00.100000Z'),
    ];
    const { endpoint, seen } = await serve((req) => {
      const end = Number(req.body['endTime'] ?? Infinity);
      return { status: 200, body: { events: events.filter((e) => e.timestamp <= end) } };
    });
    const out = tmp();
    const r = await cliAsync(
      [...cluster(endpoint), '--until', '2026-11-02T10:00:00Z', '-o', join(out, 'p.json')],
      env(out),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(seen[0]!.body['endTime']).toBe(Date.parse('2026-11-02T11:10:00Z'));
    const p = await readProfileFile(join(out, 'p.json'));
    const cart = p.principals.find((x) => x.username === 'system:serviceaccount:shop:cart')!;
    expect(cart.k8s.map((e) => e.verb)).toEqual(['watch']);
    expect(p.skipped['outside-window']).toBe(1);
  }, 30_000);

  it.each([
    [['--eks-audit-logs', '--cluster-name', 'c'], /--eks-audit-logs needs --region/],
    [['--eks-audit-logs', '--region', 'a', '--region', 'b', '--cluster-name', 'c'], /reads one region/],
    [['--eks-audit-logs', '--region', 'a'], /--cluster-name NAME or --log-group NAME/],
    [['--eks-audit-logs', '--region', 'a', '--cluster-name', 'c', '--log-group', 'g'], /one of them/],
    [['--eks-audit-logs', '--region', 'a', '--cluster-name', 'no/slash'], /not an EKS cluster name/],
    [['--k8s-audit', exported, '--cluster-name', 'c'], /go with --eks-audit-logs/],
    [['--k8s-audit', exported, '--region', 'a'], /go with --cloudtrail-api or --eks-audit-logs/],
  ])('usage: %j', (args, message) => {
    const r = cli(['profile', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
