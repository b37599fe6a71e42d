import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cli, readTree, tmp } from './helpers/cli.js';

/**
 * `aws cloudtrail lookup-events > events.json`: the LookupEvents answer `{"Events": [...], "NextToken": "..."}`, each
 * Event a summary (EventId, EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username, Resources) and the
 * whole record as JSON text in `CloudTrailEvent` (CloudTrail API reference, Event). The AWS CLI prints it indented by
 * four spaces, EventTime in ISO 8601. LookupEvents returns management events only: the calls below are of that kind.
 */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

const ROLE = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEROLE01:orders-7f9c',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-api/orders-7f9c`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEKEY000001',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEROLE01',
      arn: `arn:aws:iam::${ACCOUNT}:role/service/orders-api`,
      accountId: ACCOUNT,
      userName: 'orders-api',
    },
    attributes: { creationDate: '2026-11-02T07:55:00Z', mfaAuthenticated: 'false' },
  },
};
const USER = {
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEUSER00001',
  arn: `arn:aws:iam::${ACCOUNT}:user/ci/deployer`,
  accountId: ACCOUNT,
  accessKeyId: 'AKIAEXAMPLEKEY000002',
  userName: 'deployer',
};

let seq = 0;
function rec(
  who: Record<string, unknown>,
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  seq++;
  return {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: `2026-11-02T08:${String(seq).padStart(2, '0')}:00Z`,
    eventSource,
    eventName,
    awsRegion: REGION,
    sourceIPAddress: '10.0.3.17',
    userAgent: 'aws-sdk-go-v2/1.30.3',
    requestParameters,
    responseElements: null,
    requestID: `5b1c${String(seq).padStart(4, '0')}-aaaa-4bbb-8ccc-000000000000`,
    eventID: `9f3e${String(seq).padStart(4, '0')}-1d2c-4e5f-8a9b-0c1d2e3f4a5b`,
    readOnly: !/^(Create|Put|Update|Delete|Attach)/.test(eventName),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...more,
  };
}

const RECORDS = [
  rec(ROLE, 'dynamodb.amazonaws.com', 'DescribeTable', { tableName: 'orders' }),
  rec(ROLE, 'kms.amazonaws.com', 'Decrypt', {
    keyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  }),
  rec(ROLE, 'sqs.amazonaws.com', 'CreateQueue', { queueName: 'orders-dlq' }),
  rec(ROLE, 'dynamodb.amazonaws.com', 'DescribeTable', { tableName: 'orders' }),
  rec(USER, 'lambda.amazonaws.com', 'GetFunction20150331v2', { functionName: 'orders-worker' }),
  rec(USER, 'lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', { functionName: 'orders-worker', publish: true }),
  rec(USER, 's3.amazonaws.com', 'GetBucketPolicy', {
    bucketName: 'acme-orders-artifacts',
    Host: 'acme-orders-artifacts.s3.eu-west-1.amazonaws.com',
    policy: '',
  }),
  // Refused: denied evidence, never a grant, in both forms alike.
  rec(USER, 'iam.amazonaws.com', 'DeleteRole', { roleName: 'orders-api' }, { errorCode: 'AccessDenied' }),
];

/** The Event LookupEvents gives for a record. */
function lookupEvent(r: Record<string, unknown>): Record<string, unknown> {
  const who = r['userIdentity'] as Record<string, unknown>;
  const params = (r['requestParameters'] ?? {}) as Record<string, unknown>;
  const named = Object.entries(params).filter(([k]) => /Name$/.test(k));
  return {
    EventId: r['eventID'],
    EventName: r['eventName'],
    ReadOnly: String(r['readOnly']),
    AccessKeyId: who['accessKeyId'],
    EventTime: String(r['eventTime']).replace('Z', '+00:00'),
    EventSource: r['eventSource'],
    Username: who['userName'] ?? String(who['arn']).split('/').pop(),
    Resources: named.map(([k, v]) => ({ ResourceType: `AWS::${k}`, ResourceName: v })),
    CloudTrailEvent: JSON.stringify(r),
  };
}

/** As the CLI writes it: indented by four spaces; newest event first, as LookupEvents lists them. */
const answer = (events: unknown[], token?: string) =>
  JSON.stringify({ Events: events, ...(token ? { NextToken: token } : {}) }, null, 4) + '\n';
const EVENTS = RECORDS.map(lookupEvent).reverse();

const dir = tmp('a2p-ctlookup-');
const files = {
  events: join(dir, 'events.json'),
  records: join(dir, 'records.json'),
};
writeFileSync(files.events, answer(EVENTS, 'eyJOZXh0VG9rZW4iOiBudWxsfQ=='));
writeFileSync(files.records, JSON.stringify({ Records: RECORDS }));

/** `profile --cloudtrail PATH` into a file of its own; its path. */
function profiled(path: string, name: string): string {
  const out = join(dir, name);
  const r = cli(['profile', '--cloudtrail', path, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** A profile's lines, the header's `sources` apart (returned on their own). */
function split(path: string): { sources: Record<string, unknown>[]; rest: string[] } {
  const [head, ...rest] = readFileSync(path, 'utf8').split('\n');
  const h = JSON.parse(head!) as Record<string, unknown>;
  const sources = h['sources'] as Record<string, unknown>[];
  delete h['sources'];
  return { sources, rest: [JSON.stringify(h), ...rest] };
}

describe('--cloudtrail reads a saved LookupEvents answer ({"Events": [...]})', () => {
  it('gives the profile of the same records as {"Records": [...]}, byte for byte but for the sources path and bytes', () => {
    const pe = join(dir, 'pe.json');
    const pr = join(dir, 'pr.json');
    const a = cli(['profile', '--cloudtrail', files.events, '-o', pe]);
    expect(a.code, a.stderr).toBe(0);
    const b = cli(['profile', '--cloudtrail', files.records, '-o', pr]);
    expect(b.code, b.stderr).toBe(0);
    const e = split(pe);
    const r = split(pr);
    expect(e.rest.join('\n')).toBe(r.rest.join('\n'));
    // Two principals, the refused call as denied evidence (not a grant), on both sides.
    expect(e.rest.filter((l) => l.startsWith('{"principal"'))).toHaveLength(2);
    expect(e.rest.some((l) => l.includes('"DeleteRole"') && l.includes('"denied"'))).toBe(true);
    const strip = (s: Record<string, unknown>) => ({ ...s, path: '', bytes: 0 });
    expect(e.sources.map(strip)).toEqual(r.sources.map(strip));
    expect(e.sources).toMatchObject([{ path: files.events, format: 'cloudtrail', records: 8, issues: 0 }]);
    expect(e.sources[0]!['bytes']).toBe(readFileSync(files.events).length);
  });

  it('a bad event is an issue at file:line naming its EventId; the other events are read; --on-error fail exits 2', () => {
    // Pages saved one per line (`... | jq -c .`): the bad events are in the page on line 2.
    const good = EVENTS.slice(0, 4);
    const page2 = [
      EVENTS[4],
      { ...EVENTS[5], EventId: 'c0ffee00-bad0-4json-8000-000000000001', CloudTrailEvent: '{"eventVersion": "1.09",' },
      { ...EVENTS[6], EventId: 'c0ffee00-bad0-4none-8000-000000000002', CloudTrailEvent: undefined },
      { ...EVENTS[7], EventId: 'c0ffee00-bad0-4numb-8000-000000000003', CloudTrailEvent: 42 },
      {
        ...EVENTS[7],
        EventId: 'c0ffee00-bad0-4deep-8000-000000000004',
        CloudTrailEvent: '['.repeat(100_000) + ']'.repeat(100_000),
      },
      'not an event',
    ];
    const f = join(dir, 'pages.jsonl');
    writeFileSync(
      f,
      JSON.stringify({ Events: good, NextToken: 'p2' }) + '\n' + JSON.stringify({ Events: page2 }) + '\n',
    );
    const out = join(dir, 'bad.json');
    const r = cli(['profile', '--cloudtrail', f, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const { sources } = split(out);
    expect(sources).toMatchObject([{ records: 5, issues: 5 }]);
    const issues = (sources[0]!['issueSamples'] as { code: string; line: number; message: string }[]).map(
      (i) => `${i.line} ${i.code} ${i.message}`,
    );
    // In the order of the events, each at the line of its page.
    expect(issues).toEqual([
      expect.stringMatching(
        /^2 json\.malformed Events\[1\], event "c0ffee00-bad0-4json-8000-000000000001": CloudTrailEvent is not valid JSON: /,
      ),
      '2 cloudtrail.not-a-record Events[2], event "c0ffee00-bad0-4none-8000-000000000002": no CloudTrailEvent: the event carries no record',
      '2 cloudtrail.not-a-record Events[3], event "c0ffee00-bad0-4numb-8000-000000000003": CloudTrailEvent is a number, not the record as JSON text',
      '2 json.too-deep Events[4], event "c0ffee00-bad0-4deep-8000-000000000004": CloudTrailEvent nested deeper than 512 levels of objects and arrays',
      '2 cloudtrail.not-a-record Events[5]: a string, not a LookupEvents event',
    ]);
    expect(r.stderr).toContain(`${f}:2: json.malformed: Events[1], event "c0ffee00-bad0-4json-8000-000000000001"`);
    // The good ones of both pages: the 4 of page 1 and EVENTS[4] of page 2 (DescribeTable); none of the bad ones.
    const p = readFileSync(out, 'utf8');
    for (const name of ['DeleteRole', 'GetBucketPolicy', 'UpdateFunctionCode', 'GetFunction', 'DescribeTable'])
      expect(p, name).toContain(`"${name}"`);
    for (const name of ['CreateQueue', 'Decrypt']) expect(p, name).not.toContain(`"${name}"`);

    const failed = cli(['profile', '--cloudtrail', f, '--on-error', 'fail', '-o', join(dir, 'never.json')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/5 input issues with --on-error fail/);
  });

  it('an issue of a record inside an event names the event too; Events that is not a list is an issue', () => {
    const f = join(dir, 'odd.json');
    // A status number where CloudTrail writes a string: read as "no error" it would grant a refused call.
    const badType = { ...RECORDS[7], errorCode: 403 };
    writeFileSync(f, answer([{ ...EVENTS[0], CloudTrailEvent: JSON.stringify(badType) }]));
    const r = cli(['profile', '--cloudtrail', f, '-o', join(dir, 'odd-p.json')]);
    expect(r.stderr).toMatch(
      new RegExp(
        `${f}:1: cloudtrail.bad-type: Events\\[0\\]: event "${String(RECORDS[7]!['eventID'])}": errorCode is a number, not a string`,
      ),
    );
    const g = join(dir, 'notalist.json');
    writeFileSync(g, JSON.stringify({ Events: { EventId: 'x' } }));
    const s = cli(['profile', '--cloudtrail', g, '-o', join(dir, 'nl-p.json')]);
    expect(s.stderr).toContain(
      `${g}:1: cloudtrail.not-a-record: Events is an object, not a list of LookupEvents events`,
    );
  });

  it('is recognised as CloudTrail: --k8s-audit skips it with a notice, a mixed directory reads each file with its flag', () => {
    const k = cli(['profile', '--k8s-audit', files.events]);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain(`skipped ${files.events}: looks like CloudTrail: read it with --cloudtrail`);
    // An answer without events is still the CLI's (no issue, nothing granted).
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a-events.json'), answer(EVENTS));
    writeFileSync(join(mixed, 'b-empty.json'), answer([]));
    const audit = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '6f1d0c3e-5d2a-4c1b-9a8e-7b6c5d4e3f21',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/configmaps/cart',
      verb: 'get',
      user: { username: 'system:serviceaccount:shop:cart', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-02T08:00:00.000000Z',
      stageTimestamp: '2026-11-02T08:00:00.010000Z',
    };
    writeFileSync(join(mixed, 'c-audit.log'), JSON.stringify(audit) + '\n');
    const ct = cli(['profile', '--cloudtrail', mixed, '-o', join(dir, 'mixed-ct.json')]);
    expect(ct.code, ct.stderr).toBe(0);
    expect(ct.stderr).toContain('looks like a Kubernetes audit log: read it with --k8s-audit');
    expect(split(join(dir, 'mixed-ct.json')).sources).toMatchObject([
      { path: join(mixed, 'a-events.json'), records: 8, issues: 0 },
      { path: join(mixed, 'b-empty.json'), records: 0, issues: 0 },
      { path: join(mixed, 'c-audit.log'), records: 0, issues: 0 },
    ]);
    const k8s = cli(['profile', '--k8s-audit', mixed, '-o', join(dir, 'mixed-k8s.json')]);
    expect(k8s.code, k8s.stderr).toBe(0);
    expect(k8s.stderr).toMatch(/skipped 2 files that look like CloudTrail: read them with --cloudtrail/);
  });

  it('generate iam from it allows every call observed: verify finds 0 denied; same policies as from the Records', () => {
    const oe = join(dir, 'iam-events');
    const or = join(dir, 'iam-records');
    const g = cli(['generate', 'iam', '--cloudtrail', files.events, '-o', oe, '-q']);
    expect(g.code, g.stderr).toBe(0);
    expect(cli(['generate', 'iam', '--cloudtrail', files.records, '-o', or, '-q']).code).toBe(0);
    const te = readTree(oe);
    expect(Object.keys(te).filter((k) => k.startsWith('iam/'))).toEqual([
      `iam/${ACCOUNT}/index.json`,
      `iam/${ACCOUNT}/role/orders-api.json`,
      `iam/${ACCOUNT}/user/deployer.json`,
    ]);
    expect(te).toEqual(readTree(or));
    const policy = te[`iam/${ACCOUNT}/user/deployer.json`]!;
    expect(policy).toContain('lambda:UpdateFunctionCode');
    expect(policy).not.toContain('iam:DeleteRole');
    const v = cli(['verify', '--policies', oe, '--cloudtrail', files.events, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { notAllowed: unknown[]; byKind: { iam: { observed: number } } };
    expect(report.notAllowed).toEqual([]);
    // The 6 distinct allowed accesses (8 calls: DescribeTable twice, DeleteRole refused).
    expect(report.byKind.iam.observed).toBe(6);
  });

  it('two saved pages that overlap: the event in both counts twice (as in any two files), the policies are the same', () => {
    const pages = join(dir, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'page-1.json'), answer(EVENTS.slice(0, 5), 'tok'));
    writeFileSync(join(pages, 'page-2.json'), answer(EVENTS.slice(4)));
    const out = join(dir, 'pages-p.json');
    const r = cli(['profile', '--cloudtrail', pages, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const twice = String((RECORDS[3] as Record<string, unknown>)['eventID']);
    const once = readFileSync(profiled(files.events, 'once.json'), 'utf8').split('\n');
    const both = readFileSync(out, 'utf8').split('\n');
    // EVENTS[4] is RECORDS[3] (newest first): DescribeTable of orders, two calls, now counted three times.
    const line = (ls: string[]) => ls.find((l) => l.includes('"DescribeTable"'))!;
    expect(JSON.parse(line(once)).allowed[0]).toBe(2);
    expect(JSON.parse(line(both)).allowed[0]).toBe(3);
    // Samples are (time, id) pairs kept once each: the repeated event is not a second sample.
    expect(JSON.parse(line(both)).allowed[3]).toEqual(JSON.parse(line(once)).allowed[3]);
    expect(JSON.parse(line(both)).allowed[3]).toContain(twice);
    const o = join(dir, 'iam-pages');
    expect(cli(['generate', 'iam', '--cloudtrail', pages, '-o', o, '-q']).code).toBe(0);
    const policies = (t: Record<string, string>) => Object.entries(t).filter(([k]) => k.startsWith('iam/'));
    const one = join(dir, 'iam-one');
    expect(cli(['generate', 'iam', '--cloudtrail', files.events, '-o', one, '-q']).code).toBe(0);
    expect(policies(readTree(o))).toEqual(policies(readTree(one)));
  });
});

describe('the file and --cloudtrail-api give the same observations', () => {
  const servers: { close: () => void }[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('profile --cloudtrail-api of a local LookupEvents endpoint answering these events == profile of the saved answer', async () => {
    // Two pages, as the API would hand them (50 at most; here 5 and 3), on 127.0.0.1 in the AWS JSON 1.1 protocol.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { NextToken?: string };
        const page =
          body.NextToken === 'p2' ? { Events: EVENTS.slice(5) } : { Events: EVENTS.slice(0, 5), NextToken: 'p2' };
        const json = JSON.parse(JSON.stringify(page)) as { Events: Record<string, unknown>[] };
        // On the wire EventTime is epoch seconds.
        for (const e of json.Events) e['EventTime'] = Date.parse(String(e['EventTime'])) / 1000;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' });
        res.end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out = join(dir, 'api.json');
    const env = {
      PATH: process.env['PATH'] ?? '',
      NO_COLOR: '1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      HOME: dir,
    };
    const args = ['profile', '--cloudtrail-api', '--region', REGION, '--endpoint', endpoint, '-o', out];
    let stderr = '';
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('close', (c) => resolve(c ?? -1));
    });
    expect(code, stderr).toBe(0);
    const api = split(out);
    const file = split(profiled(files.events, 'file-vs-api.json'));
    expect(api.sources).toMatchObject([{ path: `cloudtrail-api:${REGION}`, records: 8, issues: 0 }]);
    // The window, the principals and their accesses, byte for byte.
    expect(api.rest.join('\n')).toBe(file.rest.join('\n'));
  }, 20_000);
});
