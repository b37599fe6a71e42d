import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { lookupEvents } from '../src/ingest/cloudTrail/lookupEvents.js';
import { BIN, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

/** Run the CLI without blocking this process: the test's server must keep answering. */
function cliAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
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

/** A CloudTrail endpoint on 127.0.0.1 speaking the AWS JSON 1.1 protocol, answering from a script. */
interface Answer {
  status: number;
  body: unknown;
}

function event(id: string, name: string): Record<string, unknown> {
  const record = {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/ci-deployer/s',
      accountId: '111122223333',
    },
    eventTime: '2026-11-02T08:00:00Z',
    eventSource: 'lambda.amazonaws.com',
    eventName: name,
    awsRegion: 'eu-west-1',
    eventID: id,
  };
  return {
    EventId: id,
    EventName: name,
    EventTime: 1793606400,
    EventSource: 'lambda.amazonaws.com',
    CloudTrailEvent: JSON.stringify(record),
  };
}

const servers: { close: () => void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(script: (req: { target: string; body: Record<string, unknown> }, n: number) => Answer) {
  const seen: { target: string; body: Record<string, unknown>; auth: string }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const target = String(req.headers['x-amz-target'] ?? '');
      seen.push({ target, body, auth: String(req.headers['authorization'] ?? '') });
      const a = script({ target, body }, seen.length);
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `r-${seen.length}` });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('LookupEvents through the real SDK client against a local server', () => {
  it('pages through NextToken, retries throttling and a 500, and never loses or duplicates an event', async () => {
    const { endpoint, seen } = await serve((req, n) => {
      if (n === 1) return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
      if (!req.body['NextToken'])
        return {
          status: 200,
          body: {
            Events: [event('e1', 'GetFunction20150331v2'), event('e2', 'ListFunctions20150331')],
            NextToken: 't1',
          },
        };
      if (req.body['NextToken'] === 't1' && !seen.some((s, i) => i < n - 1 && s.body['NextToken'] === 't1'))
        return { status: 500, body: { __type: 'InternalFailure', message: 'boom' } };
      if (req.body['NextToken'] === 't1')
        return {
          status: 200,
          body: {
            Events: [event('e2', 'ListFunctions20150331'), event('e3', 'UpdateFunctionCode20150331v2')],
            NextToken: 't2',
          },
        };
      return { status: 200, body: { Events: [event('e4', 'GetFunction20150331v2')] } };
    });
    const pages: number[] = [];
    const got = [];
    for await (const e of lookupEvents({
      region: 'eu-west-1',
      endpoint,
      credentials: creds,
      minIntervalMs: 0,
      startTime: new Date('2026-11-01T00:00:00Z'),
      onPage: (n) => pages.push(n),
    }))
      got.push(e);
    expect(got.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect((got[2]!.record as { eventName: string }).eventName).toBe('UpdateFunctionCode20150331v2');
    expect(pages).toEqual([2, 2, 1]);
    expect(seen.map((s) => s.body['NextToken'] ?? '-')).toEqual(['-', '-', 't1', 't1', 't2']);
    expect(seen.every((s) => s.target === 'CloudTrail_20131101.LookupEvents')).toBe(true);
    expect(seen.every((s) => s.auth.startsWith('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/'))).toBe(true);
    expect(typeof seen[0]!.body['StartTime']).toBe('number');
  });

  it('keeps to the rate limit between requests', async () => {
    const { endpoint, seen } = await serve((req) =>
      req.body['NextToken']
        ? { status: 200, body: { Events: [event('b', 'X')] } }
        : { status: 200, body: { Events: [event('a', 'X')], NextToken: 'n' } },
    );
    const t0 = Date.now();
    const got = [];
    for await (const e of lookupEvents({ region: 'eu-west-1', endpoint, credentials: creds, minIntervalMs: 300 }))
      got.push(e.id);
    expect(got).toEqual(['a', 'b']);
    expect(seen).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('gives up with the service error after the attempts are spent', async () => {
    const { endpoint } = await serve(() => ({
      status: 400,
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
    }));
    const run = async () => {
      for await (const _ of lookupEvents({
        region: 'eu-west-1',
        endpoint,
        credentials: creds,
        minIntervalMs: 0,
        maxAttempts: 2,
      }))
        void _;
    };
    await expect(run()).rejects.toThrow(/Rate exceeded/);
  });

  it('stops with an error when the service hands back a NextToken it gave before, instead of paging forever', async () => {
    const { endpoint, seen } = await serve(() => ({
      status: 200,
      body: { Events: [event('e1', 'GetFunction20150331v2')], NextToken: 'same' },
    }));
    const got: string[] = [];
    const run = async () => {
      for await (const e of lookupEvents({ region: 'eu-west-1', endpoint, credentials: creds, minIntervalMs: 0 }))
        got.push(e.id);
    };
    await expect(run()).rejects.toThrow(/paging token it had already given, after 2 pages/);
    expect(seen).toHaveLength(2);
    expect(got).toEqual(['e1']);
  });

  it('feeds the CLI: profile --cloudtrail-api pages, retries throttling, dedupes by event id and reports a broken event as an issue', async () => {
    const { endpoint, seen } = await serve((req, n) => {
      if (n === 2) return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
      if (!req.body['NextToken'])
        return {
          status: 200,
          body: {
            Events: [event('e1', 'GetFunction20150331v2'), event('e2', 'UpdateFunctionCode20150331v2')],
            NextToken: 'p2',
          },
        };
      return {
        status: 200,
        body: {
          Events: [
            event('e2', 'UpdateFunctionCode20150331v2'),
            event('e3', 'UpdateFunctionCode20150331v2'),
            { EventId: 'bad', CloudTrailEvent: '{not json' },
          ],
        },
      };
    });
    const out = tmp();
    // Static credentials in the environment, and no instance metadata: nothing but 127.0.0.1 is contacted.
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      HOME: out,
    };
    const r = await cliAsync(
      [
        'profile',
        '--cloudtrail-api',
        '--region',
        'eu-west-1',
        '--endpoint',
        endpoint,
        '--since',
        '2026-11-01T00:00:00Z',
        '-o',
        join(out, 'p.json'),
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => s.body['NextToken'] ?? '-')).toEqual(['-', 'p2', 'p2']);
    const p = await readProfileFile(join(out, 'p.json'));
    expect(p.sources).toMatchObject([
      { path: 'cloudtrail-api:eu-west-1', format: 'cloudtrail-api', records: 3, issues: 1 },
    ]);
    expect(p.sources[0]!.issueSamples[0]!.message).toMatch(/^event "bad": /);
    expect(p.principals).toHaveLength(1);
    expect(p.principals[0]!.aws!.map((e) => [e.eventName, e.allowed!.count])).toEqual([
      ['GetFunction', 1],
      ['UpdateFunctionCode', 2],
    ]);
    const bad = await cliAsync(['profile', '--cloudtrail-api', '--endpoint', endpoint], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cloudtrail-api needs --region/);
  }, 20_000);
});
