import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lookupEvents } from '../src/ingest/cloudTrail/lookupEvents.js';

/** A CloudTrail endpoint on 127.0.0.1 speaking the AWS JSON 1.1 protocol, answering from a script. */
interface Answer {
  status: number;
  body: unknown;
}

function event(id: string, name: string): Record<string, unknown> {
  const record = { eventVersion: '1.08', userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/ci-deployer/s', accountId: '111122223333' }, eventTime: '2026-11-02T08:00:00Z', eventSource: 'lambda.amazonaws.com', eventName: name, awsRegion: 'eu-west-1', eventID: id };
  return { EventId: id, EventName: name, EventTime: 1793606400, EventSource: 'lambda.amazonaws.com', CloudTrailEvent: JSON.stringify(record) };
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

describe('LookupEvents through the real SDK client against a local server (groundwork)', () => {
  it('pages through NextToken, retries throttling and a 500, and never loses or duplicates an event', async () => {
    const { endpoint, seen } = await serve((req, n) => {
      if (n === 1) return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
      if (!req.body['NextToken']) return { status: 200, body: { Events: [event('e1', 'GetFunction20150331v2'), event('e2', 'ListFunctions20150331')], NextToken: 't1' } };
      if (req.body['NextToken'] === 't1' && !seen.some((s, i) => i < n - 1 && s.body['NextToken'] === 't1')) return { status: 500, body: { __type: 'InternalFailure', message: 'boom' } };
      if (req.body['NextToken'] === 't1') return { status: 200, body: { Events: [event('e2', 'ListFunctions20150331'), event('e3', 'UpdateFunctionCode20150331v2')], NextToken: 't2' } };
      return { status: 200, body: { Events: [event('e4', 'GetFunction20150331v2')] } };
    });
    const pages: number[] = [];
    const got = [];
    for await (const e of lookupEvents({ region: 'eu-west-1', endpoint, credentials: creds, minIntervalMs: 0, startTime: new Date('2026-11-01T00:00:00Z'), onPage: (n) => pages.push(n) })) got.push(e);
    expect(got.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect((got[2]!.record as { eventName: string }).eventName).toBe('UpdateFunctionCode20150331v2');
    expect(pages).toEqual([2, 2, 1]);
    expect(seen.map((s) => s.body['NextToken'] ?? '-')).toEqual(['-', '-', 't1', 't1', 't2']);
    expect(seen.every((s) => s.target === 'CloudTrail_20131101.LookupEvents')).toBe(true);
    expect(seen.every((s) => s.auth.startsWith('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/'))).toBe(true);
    expect(typeof seen[0]!.body['StartTime']).toBe('number');
  });

  it('keeps to the rate limit between requests', async () => {
    const { endpoint, seen } = await serve((req) => (req.body['NextToken'] ? { status: 200, body: { Events: [event('b', 'X')] } } : { status: 200, body: { Events: [event('a', 'X')], NextToken: 'n' } }));
    const t0 = Date.now();
    const got = [];
    for await (const e of lookupEvents({ region: 'eu-west-1', endpoint, credentials: creds, minIntervalMs: 300 })) got.push(e.id);
    expect(got).toEqual(['a', 'b']);
    expect(seen).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('gives up with the service error after the attempts are spent', async () => {
    const { endpoint } = await serve(() => ({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }));
    const run = async () => {
      for await (const _ of lookupEvents({ region: 'eu-west-1', endpoint, credentials: creds, minIntervalMs: 0, maxAttempts: 2 })) void _;
    };
    await expect(run()).rejects.toThrow(/Rate exceeded/);
  });
});
