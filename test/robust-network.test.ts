import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, tmp, type CliResult } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

// Network sources against servers on 127.0.0.1 that misbehave: they never answer, dribble bytes, page forever,
// send malformed or oversized pages, or an endless body. Each is read through the CLI with the real clients (the
// AWS SDK v3 for LookupEvents and FilterLogEvents, @kubernetes/client-node for the live inventory) and must end
// in seconds with exit 2, one error line naming the source and what happened, and no output file.

function cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', HOME: tmp(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A server whose every request (its body read first) goes to `handler`; n counts the requests from 1. */
async function serve(handler: Handler): Promise<{ endpoint: string; requests: () => number }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res, ++n));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n };
}

const json = (res: ServerResponse, body: unknown, type = 'application/json') => {
  res.writeHead(200, { 'content-type': type, 'x-amzn-requestid': 'r' });
  res.end(JSON.stringify(body));
};

/** A source read over the network: how the CLI reads it, what a page looks like, what its errors start with. */
interface Source {
  name: string;
  /** The CLI run reading the endpoint, writing into dir (the output file is `out`). */
  run(endpoint: string, dir: string, extra: string[]): Promise<CliResult>;
  out: string;
  page(items: unknown, token?: unknown): unknown;
  item(i: number): unknown;
  /** Items asked for per page. */
  asked: number;
  /** The error line's start, before what happened. */
  prefix: (endpoint: string) => string;
  contentType: string;
}

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const lookupEvents: Source = {
  name: 'LookupEvents',
  run: (endpoint, dir, extra) =>
    cliAsync(
      [
        'profile',
        '--cloudtrail-api',
        '--region',
        'eu-west-1',
        '--endpoint',
        endpoint,
        '-o',
        join(dir, 'p.json'),
      ].concat(extra),
      AWS_ENV,
    ),
  out: 'p.json',
  page: (items, token) => ({ Events: items, ...(token !== undefined ? { NextToken: token } : {}) }),
  item: (i) => ({
    EventId: `e${i}`,
    EventName: 'GetFunction',
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
      eventTime: '2026-11-02T08:00:00Z',
      eventSource: 'lambda.amazonaws.com',
      eventName: 'GetFunction20150331v2',
      awsRegion: 'eu-west-1',
      eventID: `e${i}`,
    }),
  }),
  asked: 50,
  prefix: () => 'cannot read CloudTrail LookupEvents in eu-west-1: ',
  contentType: 'application/x-amz-json-1.1',
};

const filterLogEvents: Source = {
  name: 'FilterLogEvents',
  run: (endpoint, dir, extra) =>
    cliAsync(
      [
        'profile',
        '--eks-audit-logs',
        '--region',
        'eu-west-1',
        '--log-group',
        'audit',
        '--endpoint',
        endpoint,
        '-o',
        join(dir, 'p.json'),
      ].concat(extra),
      AWS_ENV,
    ),
  out: 'p.json',
  page: (items, token) => ({ events: items, ...(token !== undefined ? { nextToken: token } : {}) }),
  item: (i) => ({
    eventId: `e${i}`,
    logStreamName: 'kube-apiserver-audit-1',
    timestamp: 1793606400000,
    message: JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      stage: 'ResponseComplete',
      verb: 'get',
      user: { username: 'system:serviceaccount:shop:web' },
      objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-02T08:00:00.000000Z',
      auditID: `a${i}`,
    }),
  }),
  asked: 10_000,
  prefix: () => 'cannot read EKS audit logs from audit in eu-west-1: ',
  contentType: 'application/x-amz-json-1.1',
};

function kubeconfig(dir: string, endpoint: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${endpoint}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: tester',
      '  user:',
      '    token: test-token',
      'contexts:',
      '- name: local',
      '  context: {cluster: local, user: tester}',
      'current-context: local',
      '',
    ].join('\n'),
  );
  return file;
}

const cluster: Source = {
  name: 'the Kubernetes API',
  run: (endpoint, dir, extra) =>
    cliAsync(['inventory', '--kubeconfig', kubeconfig(dir, endpoint), '-o', join(dir, 'inv.json')].concat(extra)),
  out: 'inv.json',
  page: (items, token) => ({
    kind: 'NamespaceList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1', ...(token !== undefined ? { continue: token } : {}) },
    items,
  }),
  item: (i) => ({ metadata: { name: `ns${i}` } }),
  asked: 500,
  prefix: (endpoint) => `cannot read the cluster inventory: listing objects from ${endpoint}: `,
  contentType: 'application/json',
};

const SOURCES = [lookupEvents, filterLogEvents, cluster];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Exit 2, exactly one error line, starting with the source's prefix and matching `what`; no output written. */
function expectFailure(r: CliResult, src: Source, endpoint: string, dir: string, what: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(new RegExp(`^error: ${escapeRe(src.prefix(endpoint))}${what.source}$`));
  expect(existsSync(join(dir, src.out))).toBe(false);
}

describe.each(SOURCES)('$name: a misbehaving server ends the read, exit 2, nothing written', (src) => {
  it('a server that never answers: no bytes for the network timeout', async () => {
    const { endpoint } = await serve(() => {});
    const dir = tmp();
    const t = Date.now();
    const r = await src.run(endpoint, dir, ['--network-timeout', '0.5s']);
    expectFailure(r, src, endpoint, dir, /no bytes from http:\/\/127\.0\.0\.1:\d+\/\S* for 0\.5 s/);
    expect(Date.now() - t).toBeLessThan(8000);
  }, 15_000);

  it('headers, then a byte now and then: the page is cut at 10 times the network timeout', async () => {
    const { endpoint } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': src.contentType });
      const drip = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(drip));
    });
    const dir = tmp();
    const r = await src.run(endpoint, dir, ['--network-timeout', '0.3s']);
    expectFailure(
      r,
      src,
      endpoint,
      dir,
      /an answer from http:\/\/127\.0\.0\.1:\d+\/\S* still incomplete after 3 s \(bytes trickling in\)/,
    );
  }, 20_000);

  it('a body that never ends: cut at 64 MiB, never buffered whole', async () => {
    let sent = 0;
    const { endpoint } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': src.contentType });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', more);
      more();
    });
    const dir = tmp();
    const r = await src.run(endpoint, dir, []);
    expectFailure(r, src, endpoint, dir, /an answer from http:\/\/127\.0\.0\.1:\d+\/\S* over 64 MiB/);
    expect(sent).toBeLessThan(128 * 1024 * 1024);
  }, 30_000);

  it('a Content-Length past the cap is refused before its body', async () => {
    const { endpoint } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': src.contentType, 'content-length': String(1 << 30) });
      res.write('{');
    });
    const dir = tmp();
    const r = await src.run(endpoint, dir, []);
    expectFailure(r, src, endpoint, dir, /an answer from http:\/\/127\.0\.0\.1:\d+\/\S* over 64 MiB/);
  }, 15_000);

  it('a page with more items than were asked for', async () => {
    const { endpoint } = await serve((_req, res) =>
      json(res, src.page(Array.from({ length: src.asked + 1 }, (_, i) => src.item(i))), src.contentType),
    );
    const dir = tmp();
    const r = await src.run(endpoint, dir, []);
    expectFailure(
      r,
      src,
      endpoint,
      dir,
      new RegExp(`a page of ${src.asked + 1} items where at most ${src.asked} were asked for \\(page 1\\)`),
    );
  }, 15_000);

  it('a malformed page: its items are no list', async () => {
    const { endpoint } = await serve((_req, res) => json(res, src.page('oops'), src.contentType));
    const dir = tmp();
    const r = await src.run(endpoint, dir, []);
    expectFailure(r, src, endpoint, dir, /a malformed page \(page 1\): (Events|events|items) is a string, not a list/);
  }, 15_000);

  it('pages that never end: the deadline', async () => {
    const { endpoint, requests } = await serve((_req, res, n) =>
      setTimeout(() => json(res, src.page([], `t${n}`), src.contentType), 100),
    );
    const dir = tmp();
    const t = Date.now();
    const r = await src.run(endpoint, dir, ['--deadline', '1.5s']);
    expectFailure(r, src, endpoint, dir, /the deadline of 1\.5 s passed after \d+ pages?: what was read is incomplete/);
    expect(requests()).toBeGreaterThan(1);
    expect(Date.now() - t).toBeLessThan(8000);
  }, 15_000);
});

describe('the same paging token forever', () => {
  it.each([lookupEvents, cluster])(
    '$name: stops at the repeated token, exit 2, nothing written',
    async (src) => {
      const { endpoint, requests } = await serve((_req, res, n) =>
        json(res, src.page([src.item(n)], 'same'), src.contentType),
      );
      const dir = tmp();
      const r = await src.run(endpoint, dir, []);
      expectFailure(
        r,
        src,
        endpoint,
        dir,
        /the (service|server) returned a (paging|continue) token it had already given, after 2 pages/,
      );
      expect(requests()).toBe(2);
    },
    15_000,
  );
});

/**
 * A listening socket whose process never accepts: once its backlog is full, the kernel answers no more SYNs and a
 * connect hangs (what a firewalled or unreachable address does).
 */
async function unaccepting(): Promise<string> {
  const script =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "process.stdout.write(String(s.address().port)+'\\n');" +
    'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,30000);});';
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(() => child.kill());
  const port = await new Promise<number>((r) => child.stdout.once('data', (c: Buffer) => r(Number(String(c).trim()))));
  const fillers: Socket[] = [];
  cleanups.push(() => fillers.forEach((s) => s.destroy()));
  for (let i = 0; i < 8; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 300));
  return `http://127.0.0.1:${port}`;
}

describe('connecting', () => {
  it.each([lookupEvents, cluster])(
    '$name: a connect that never completes times out',
    async (src) => {
      const endpoint = await unaccepting();
      const dir = tmp();
      const r = await src.run(endpoint, dir, ['--network-timeout', '0.5s']);
      expectFailure(r, src, endpoint, dir, /timed out after 0\.5 s connecting to http:\/\/127\.0\.0\.1:\d+\/\S*/);
    },
    15_000,
  );
});

describe('the flags', () => {
  it('go with the network sources only, and take a duration', async () => {
    const flows = join(ROOT, 'fixtures/demo/flows');
    const alone = await cliAsync(['profile', '--flows', flows, '--network-timeout', '5s']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(
      /--network-timeout and --deadline go with --cloudtrail-api, --eks-audit-logs or --cluster/,
    );
    const bad = await cliAsync(['profile', '--cloudtrail-api', '--region', 'eu-west-1', '--deadline', 'soon'], AWS_ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--deadline: expected a duration above zero/);
  }, 15_000);

  it('--cluster on profile keeps the limits too', async () => {
    const { endpoint } = await serve(() => {});
    const dir = tmp();
    const r = await cliAsync([
      'profile',
      '--flows',
      join(ROOT, 'fixtures/demo/flows'),
      '--cluster',
      '--kubeconfig',
      kubeconfig(dir, endpoint),
      '--network-timeout',
      '0.5s',
      '-o',
      join(dir, 'p.json'),
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot read the cluster inventory: listing objects from .*: no bytes from .* for 0\.5 s/);
    expect(existsSync(join(dir, 'p.json'))).toBe(false);
  }, 15_000);
});

describe.each(SOURCES)('$name: a page that is not JSON', (src) => {
  it('is a malformed page, exit 2, nothing written', async () => {
    const { endpoint } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': src.contentType });
      res.end('<html>maintenance</html>');
    });
    const dir = tmp();
    const r = await src.run(endpoint, dir, []);
    expectFailure(r, src, endpoint, dir, /a malformed page \(page 1\): not JSON/);
  }, 15_000);
});

describe('within the limits', () => {
  it('LookupEvents: pages over kept-alive connections, a connection cut mid-answer retried, exit 0', async () => {
    const { endpoint, requests } = await serve((_req, res, n) => {
      if (n === 2) {
        // Headers and half a body, then the connection drops: a network error the SDK retries.
        res.writeHead(200, { 'content-type': lookupEvents.contentType, 'content-length': '1000' });
        res.write('{"Events": [');
        setTimeout(() => res.destroy(), 50);
        return;
      }
      const page = n === 1 ? 1 : n === 3 ? 2 : 3;
      json(
        res,
        lookupEvents.page([lookupEvents.item(page)], page < 3 ? `t${page}` : undefined),
        lookupEvents.contentType,
      );
    });
    const dir = tmp();
    // Pages are 550 ms apart, longer than the network timeout: an idle kept-alive connection is no silence.
    const r = await lookupEvents.run(endpoint, dir, ['--network-timeout', '0.3s', '--deadline', '20s']);
    expect(r.code, r.stderr).toBe(0);
    expect(requests()).toBe(4);
    const p = await readProfileFile(join(dir, 'p.json'));
    expect(p.sources[0]!.records).toBe(3);
  }, 20_000);
});
