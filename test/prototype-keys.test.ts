// Names that every JavaScript object inherits (`constructor`, `toString`, `__proto__`) are names like any other when
// a log or a file holds them: a lookup in one of the project's tables must not find the inherited function (a
// DynamoDB event named `constructor` was granted the four PartiQL actions; an S3 one crashed `generate`), and a count
// kept per name must not write through to Object.prototype (a user named `__proto__` made every object's `observed`
// NaN and lost its own tallies).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { generateAll, readAllPolicies, verifyAll } from '../src/kinds/index.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { parsePolicyText, type PolicyDoc } from '../src/policy/load.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { readProfile } from '../src/profile/io.js';
import type { InputIssue } from '../src/model/issue.js';
import { cli, tmp } from './helpers/cli.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const INHERITED = ['observed', 'allowed', 'unused', 'all'];

afterEach(() => {
  // Nothing read may have written to what every object inherits.
  for (const k of INHERITED) expect(Object.hasOwn(Object.prototype, k), k).toBe(false);
});

const event = (username: string, i: number, verb = 'list', resource = 'pods') =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/x/${resource}`,
    verb,
    user: { username, groups: ['system:authenticated'] },
    objectRef: { resource, namespace: 'x', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: `2026-11-02T00:00:0${i}.000000Z`,
    stageTimestamp: `2026-11-02T00:00:0${i}.000000Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow' },
  });

const record = (i: number, eventSource: string, eventName: string, requestParameters: unknown = {}) => ({
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
    accountId: '111122223333',
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' },
    },
  },
  eventTime: `2026-11-09T00:00:0${i}Z`,
  eventSource,
  eventName,
  awsRegion: 'eu-west-1',
  requestParameters,
  eventID: `e${i}`,
  recipientAccountId: '111122223333',
  eventType: 'AwsApiCall',
});

function write(name: string, text: string): string {
  const f = join(tmp(), name);
  writeFileSync(f, text);
  return f;
}

const scope = () => new Scope(defaultScope());

describe('names every object inherits are names like any other', () => {
  it('users named so are profiled, generated for and replayed with tallies of their own', async () => {
    const log = write('audit.log', NAMES.map((n, i) => event(n, i)).join('\n') + '\n');
    const { profile } = await ingest({ k8sAudit: [log], scope: scope(), workers: 1, cwd: process.cwd() });
    expect(profile.principals.map((p) => p.username).sort()).toEqual([...NAMES].sort());
    const docs: PolicyDoc[] = [];
    const issues: InputIssue[] = [];
    for (const g of await generateAll(profile))
      for (const [path, text] of g.files) if (!path.startsWith('evidence/')) parsePolicyText(path, text, docs, issues);
    expect(issues).toEqual([]);
    const report = await verifyAll(profile, readAllPolicies(docs));
    expect(report.observed).toBe(NAMES.length);
    expect(report.allowed).toBe(NAMES.length);
    for (const n of NAMES) {
      expect(Object.hasOwn(report.bySubject!, n), n).toBe(true);
      expect(report.bySubject![n], n).toEqual({ observed: 1, allowed: 1 });
    }
    expect(JSON.parse(JSON.stringify(report.bySubject))).toEqual(
      Object.fromEntries(NAMES.map((n) => [n, { observed: 1, allowed: 1 }])),
    );
  });

  it('an AWS event, service, operation or resource named so grants nothing it did not name, and crashes nothing', () => {
    const records = [
      record(0, 'dynamodb.amazonaws.com', 'GetItem', { tableName: 'carts' }),
      record(1, 'dynamodb.amazonaws.com', 'constructor', { tableName: 'carts' }),
      record(2, 'dynamodb.amazonaws.com', 'toString'),
      record(3, 's3.amazonaws.com', 'constructor', { bucketName: 'b', key: 'k', versionId: 'v1' }),
      record(4, 'constructor.amazonaws.com', 'GetThing'),
      record(5, 'ec2.amazonaws.com', 'DescribeInstances', { instanceId: 'constructor-12345678' }),
      record(6, 'dynamodb.amazonaws.com', 'TransactWriteItems', {
        requestItems: [{ operation: 'Put', tableName: 'carts' }],
      }),
    ];
    const trail = write('trail.json', JSON.stringify({ Records: records }));
    const profilePath = join(tmp(), 'p.json');
    expect(cli(['profile', '--cloudtrail', trail, '-o', profilePath, '-q']).code).toBe(0);
    const g = cli(['generate', 'iam', '--profile', profilePath]);
    expect(g.code, g.stderr).toBe(0);
    const policy = JSON.parse(g.stdout) as Record<string, { Statement?: { Action: string[] }[] }>;
    const actions = Object.values(policy).flatMap((d) => (d.Statement ?? []).flatMap((s) => s.Action));
    expect(actions.filter((a) => a.startsWith('dynamodb:PartiQL'))).toEqual([]);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('dynamodb:PutItem');
    // What names no action is listed as unmapped, never granted.
    expect(g.stderr).toContain('dynamodb.amazonaws.com constructor');
    const dir = join(tmp(), 'gen');
    expect(cli(['generate', 'iam', '--cloudtrail', trail, '-o', dir, '-q']).code).toBe(0);
    const v = cli(['verify', '--policies', dir, '--cloudtrail', trail]);
    expect(v.code, v.stderr).toBe(0);
    const rep = cli(['report', '--cloudtrail', trail, '-o', join(tmp(), 'r.md')]);
    expect(rep.code, rep.stderr).toBe(0);
  });

  it('an API group named so: a write of it makes no pods (the SCCs a policy grants), and generate runs', async () => {
    // Found by the fuzzer (seed 77): `constructor` as objectRef.apiGroup met the pod-makers table's inherited entry.
    const lines = NAMES.map((n, i) => {
      const e = JSON.parse(event('system:serviceaccount:x:app', i, 'create', 'deployments')) as Record<string, unknown>;
      e['objectRef'] = { resource: 'deployments', namespace: 'x', apiGroup: n, apiVersion: 'v1' };
      e['requestURI'] = `/apis/${encodeURIComponent(n)}/v1/namespaces/x/deployments`;
      return JSON.stringify(e);
    });
    const log = write('groups.log', lines.join('\n') + '\n');
    const { profile } = await ingest({ k8sAudit: [log], scope: scope(), workers: 1, cwd: process.cwd() });
    // `constructor` is a DNS label, so an API group's name; the others are not (an input issue each, not a crash).
    expect(profile.principals[0]!.k8s.map((e) => e.apiGroup)).toEqual(['constructor']);
    const g = cli(['generate', 'rbac', '--k8s-audit', log, '-o', join(tmp(), 'rbac')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).not.toContain('internal error');
    expect(g.stderr).not.toMatch(/is not a function/);
  });

  it('a policy granting a service or an action named so is compared, not a crash', () => {
    const side = (actions: string[]) => {
      const dir = join(tmp(), 'side');
      const f = join(dir, 'iam/111122223333/role/app.json');
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(
        f,
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
      );
      return dir;
    };
    const r = cli([
      'diff',
      side(['s3:GetObject']),
      side(['s3:GetObject', 'constructor:*', 'toString:Get*', 's3:constructor']),
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('new access (3)');
    expect(r.stdout).toContain('constructor:* on *');
    // An action that is only the name (no service): judged as an unknown action, its risk no inherited function's text.
    const bare = cli([
      'diff',
      side(['s3:GetObject']),
      side(['s3:GetObject', 'constructor', 'toString']),
      '--format',
      'json',
    ]);
    expect(bare.code, bare.stderr).toBe(1);
    expect(bare.stdout).toContain('"constructor"');
    expect(bare.stdout).not.toMatch(/native code|function Object|privilege escalation/);
  });

  it('a flow log protocol named so is an unsupported protocol, and the file is still read', () => {
    const vpc = write(
      'vpc.log',
      [
        '2 123456789012 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 1 1600000000 1600000001 ACCEPT OK',
        '2 123456789012 eni-1 10.0.0.1 10.0.0.2 40000 443 constructor 1 1 1600000000 1600000001 ACCEPT OK',
        '2 123456789012 eni-1 10.0.0.1 10.0.0.2 40000 443 __proto__ 1 1 1600000000 1600000001 ACCEPT OK',
      ].join('\n') + '\n',
    );
    const out = join(tmp(), 'f.json');
    const r = cli(['profile', '--flows', vpc, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('unsupported-protocol 2');
    expect(r.stderr).toContain('1 network path\n');
  });

  it('a pod label key named __proto__ is checked like any other key', () => {
    const flow = (labels: string[]) =>
      JSON.stringify({
        flow: {
          time: '2026-11-02T00:00:00.000000Z',
          verdict: 'FORWARDED',
          IP: { source: '10.0.0.1', destination: '10.0.0.2' },
          l4: { TCP: { source_port: 40000, destination_port: 5432, flags: { SYN: true } } },
          source: { namespace: 'shop', pod_name: 'web-7d9f8c6b5-abcde', labels },
          destination: { namespace: 'shop', pod_name: 'db-7d9f8c6b5-fghij', labels: ['k8s:app=db'] },
          Type: 'L3_L4',
          traffic_direction: 'EGRESS',
        },
      });
    const said = (labels: string[]) =>
      cli(['profile', '--flows', write('h.json', flow(labels) + '\n'), '-o', join(tmp(), 'h.p.json')]).stderr;
    expect(said(['k8s:app=web', 'k8s:_bad_=x'])).toContain('flow.bad-name');
    expect(said(['k8s:app=web', 'k8s:__proto__=evil'])).toContain('flow.bad-name');
  });

  it('skipped counts named so survive merge, read back, and read as counts in the report', async () => {
    const log = write('a.log', event('alice', 1) + '\n');
    const base = join(tmp(), 'base.json');
    expect(cli(['profile', '--k8s-audit', log, '-o', base, '-q']).code).toBe(0);
    const text = readFileSync(base, 'utf8').split('\n');
    const head = JSON.parse(text[0]!) as { skipped: Record<string, number> };
    head.skipped = JSON.parse('{"__proto__": 5, "constructor": 3, "toString": 2}') as Record<string, number>;
    text[0] = JSON.stringify(head);
    const crafted = write('crafted.json', text.join('\n'));
    const once = join(tmp(), 'm1.json');
    const twice = join(tmp(), 'm2.json');
    expect(cli(['merge', crafted, crafted, '-o', once, '-q']).code).toBe(0);
    const m = cli(['merge', once, '-o', twice, '-q']);
    expect(m.code, m.stderr).toBe(0);
    const merged = await readProfile(twice);
    expect(Object.hasOwn(merged.skipped, '__proto__')).toBe(true);
    expect({ ...merged.skipped }).toEqual(JSON.parse('{"__proto__": 10, "constructor": 6, "toString": 4}'));
    const inMemory = mergeProfiles([merged, merged]);
    expect(inMemory.skipped['constructor']).toBe(12);
    const reportPath = join(tmp(), 'r.md');
    const r = cli(['report', '--profile', twice, '-o', reportPath]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(reportPath, 'utf8');
    expect(md).not.toContain('native code');
  });

  it('a profile line or an option value named so is refused as input, not an internal error', () => {
    const bad = write(
      'line.json',
      `${JSON.stringify({ apiVersion: 'audit2policy.dev/v1alpha2', kind: 'Profile', window: { start: '', end: '' }, sources: [], skipped: {} })}\n{"constructor":1}\n`,
    );
    const r = cli(['generate', 'rbac', '--profile', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('names no section');
    expect(r.stderr).not.toContain('internal error');
    const k = cli(['profile', '--k8s-audit', write('b.log', event('bob', 1) + '\n'), '--subject-kind', 'constructor']);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('--subject-kind: unknown kind "constructor"');
  });
});
