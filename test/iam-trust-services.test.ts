import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import type { VerifyReport } from '../src/model/finding.js';
import { readTrust } from '../src/verify/iam/trust.js';
import { evaluateServiceTrust } from '../src/verify/iam/trustCallers.js';
import { cli, tmp } from './helpers/cli.js';
import { record } from './helpers/cloudtrailRecords.js';
import { sectionEntries } from './helpers/profile.js';

/**
 * Roles AWS services assume (a Lambda function's execution role, an EC2 instance profile's role): CloudTrail logs the
 * service's AssumeRole with `userIdentity` `{type: AWSService, invokedBy: lambda.amazonaws.com}` (the CloudTrail
 * User Guide's userIdentity element). The profile keeps them for the role's trust policy, so a generated trust of a
 * role a user also assumes does not lock the function out, and a trust that does is a would-be denial.
 */
const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/lambda/thumbnailer-exec`;
const ALICE = `arn:aws:iam::${A}:user/alice`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

const byService = (service: string, roleArn = ROLE, more: Record<string, unknown> = {}) =>
  record(
    'sts.amazonaws.com',
    'AssumeRole',
    { roleArn, roleSessionName: 'thumbnailer' },
    {
      userIdentity: { type: 'AWSService', invokedBy: service },
      sourceIPAddress: service,
      userAgent: service,
      readOnly: true,
      resources: [{ accountId: A, type: 'AWS::IAM::Role', ARN: roleArn }],
      ...more,
    },
  );
const byAlice = () =>
  record(
    'sts.amazonaws.com',
    'AssumeRole',
    { roleArn: ROLE, roleSessionName: 'alice' },
    {
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEEXAMPLE01',
        arn: ALICE,
        accountId: A,
        accessKeyId: 'AKIAEXAMPLEEXAMPLE01',
        userName: 'alice',
      },
    },
  );
/** The role's own call, as a session of it. */
const ownCall = () =>
  record(
    's3.amazonaws.com',
    'GetObject',
    { bucketName: 'acme-uploads', key: 'in/cat.png' },
    {
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEEXAMPLE01:thumbnailer',
        arn: `arn:aws:sts::${A}:assumed-role/thumbnailer-exec/thumbnailer`,
        accountId: A,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEEXAMPLE01',
            arn: ROLE,
            accountId: A,
            userName: 'thumbnailer-exec',
          },
        },
      },
      eventCategory: 'Data',
      managementEvent: false,
    },
  );

function decode(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out).toHaveLength(1);
  return out[0] as AwsCallObservation;
}

describe('a service AssumeRole as CloudTrail logs it', () => {
  it('is a service link of the role; not when denied, not a Pod Identity link, not a name no service has', () => {
    expect(decode(byService('lambda.amazonaws.com')).serviceLink).toEqual({
      service: 'lambda.amazonaws.com',
      roleArn: ROLE,
    });
    expect(decode(byService('ec2.amazonaws.com.cn')).serviceLink?.service).toBe('ec2.amazonaws.com.cn');
    const denied = byService('lambda.amazonaws.com', ROLE, { errorCode: 'AccessDenied', errorMessage: 'no' });
    expect(decode(denied).serviceLink).toBeUndefined();
    for (const bad of ['AWS Internal', 'lambda.amazonaws.com<script>', 'evil.example.com', ''])
      expect(decode(byService(bad)).serviceLink, bad).toBeUndefined();
    // Pod Identity's agent passes the service account's tags: that is a service account's link, as before.
    const pods = byService('pods.eks.amazonaws.com', ROLE);
    (pods['requestParameters'] as Record<string, unknown>)['tags'] = [
      { key: 'kubernetes-namespace', value: 'media' },
      { key: 'kubernetes-service-account', value: 'thumbnailer' },
    ];
    const o = decode(pods);
    expect(o.link?.via).toBe('pod-identity');
    expect(o.serviceLink).toBeUndefined();
  });
});

describe('the trust evaluator for services', () => {
  const judge = (trust: unknown, service: string) => {
    const st = readTrust(trust);
    if (typeof st === 'string') throw new Error(st);
    return evaluateServiceTrust(st, service).result;
  };
  const allow = (Principal: unknown, Condition?: unknown) => ({
    Effect: 'Allow',
    Principal,
    Action: 'sts:AssumeRole',
    ...(Condition ? { Condition } : {}),
  });
  it.each([
    ['the service named', doc(allow({ Service: 'lambda.amazonaws.com' })), 'lambda.amazonaws.com', 'allow'],
    [
      'one of a list',
      doc(allow({ Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] })),
      'lambda.amazonaws.com',
      'allow',
    ],
    ['another service', doc(allow({ Service: 'ec2.amazonaws.com' })), 'lambda.amazonaws.com', 'deny'],
    ['an IAM principal only', doc(allow({ AWS: ALICE })), 'lambda.amazonaws.com', 'deny'],
    ['everyone', doc(allow('*')), 'lambda.amazonaws.com', 'allow'],
    [
      'aws:SourceAccount: not in the profile',
      doc(allow({ Service: 'lambda.amazonaws.com' }, { StringEquals: { 'aws:SourceAccount': A } })),
      'lambda.amazonaws.com',
      'undetermined',
    ],
    [
      'a Deny of the service',
      doc(allow({ Service: 'lambda.amazonaws.com' }), {
        ...allow({ Service: 'lambda.amazonaws.com' }),
        Effect: 'Deny',
      }),
      'lambda.amazonaws.com',
      'deny',
    ],
  ])('%s', (_name, trust, service, want) => expect(judge(trust, service)).toBe(want));
});

/** A soak: Lambda assumes the role twice, alice once, and the role reads an object. */
function soak(records = [byService('lambda.amazonaws.com'), byService('lambda.amazonaws.com'), byAlice(), ownCall()]) {
  const dir = tmp();
  writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: records }));
  return join(dir, 'trail.json');
}

describe('profile, merge, generate, verify', () => {
  it('the profile keeps the role and the service with evidence; merging shards in either order gives the same bytes', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    expect(cli(['profile', '--cloudtrail', soak(), '-o', p]).code).toBe(0);
    const lines = readFileSync(p, 'utf8').trim().split('\n');
    const svc = lines.filter((l) => l.startsWith('{"serviceAssumption"')).map((l) => JSON.parse(l) as unknown);
    expect(svc).toEqual([
      {
        serviceAssumption: {
          roleArn: ROLE,
          service: 'lambda.amazonaws.com',
          evidence: expect.objectContaining({ count: 2 }),
        },
      },
    ]);
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ end: { serviceAssumptions: 1 } });
    // Still no principal of the service's: its records are counted as left out.
    expect(readFileSync(p, 'utf8')).toContain('"aws-service":2');
    // Two days' shards.
    const day2 = join(out, 'd2.json');
    const ec2 = byService('ec2.amazonaws.com', ROLE, { eventTime: '2026-11-03T08:00:00Z' });
    cli([
      'profile',
      '--cloudtrail',
      soak([byService('lambda.amazonaws.com', ROLE, { eventTime: '2026-11-03T09:00:00Z' }), ec2]),
      '-o',
      day2,
    ]);
    const ab = join(out, 'ab.json');
    const ba = join(out, 'ba.json');
    expect(cli(['merge', p, day2, '-o', ab]).code).toBe(0);
    expect(cli(['merge', day2, p, '-o', ba]).code).toBe(0);
    expect(readFileSync(ab, 'utf8')).toBe(readFileSync(ba, 'utf8'));
    const merged = readFileSync(ab, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"serviceAssumption"'))
      .map(
        (l) =>
          (JSON.parse(l) as { serviceAssumption: { service: string; evidence: { count: number } } }).serviceAssumption,
      );
    expect(merged.map((m) => [m.service, m.evidence.count])).toEqual([
      ['ec2.amazonaws.com', 1],
      ['lambda.amazonaws.com', 3],
    ]);
  });

  it('the trust lets in the user and the service; a trust without the service would lock the function out', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trustFile = join(out, 'policy', `iam/${A}/role/thumbnailer-exec.trust.json`);
    expect(JSON.parse(readFileSync(trustFile, 'utf8'))).toEqual(
      doc(
        { Sid: 'AssumedByPrincipals', Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'sts:AssumeRole' },
        {
          Sid: 'AssumedByServices',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ),
    );
    const evidence = JSON.parse(
      readFileSync(join(out, 'policy', `evidence/iam/${A}/role/thumbnailer-exec.json`), 'utf8'),
    ) as {
      assumedBy: unknown[];
    };
    expect(evidence.assumedBy).toEqual([
      expect.objectContaining({ principal: ALICE, via: 'assume-role' }),
      expect.objectContaining({ service: 'lambda.amazonaws.com', via: 'service', count: 2 }),
    ]);
    const ok = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(ok.code, ok.stdout).toBe(0);
    // The trust as it would have been written before services were kept: the user only.
    writeFileSync(
      trustFile,
      JSON.stringify(doc({ Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'sts:AssumeRole' })),
    );
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.notAllowed.map((f) => [f.subject, f.subjectKind, f.evidence.count, f.detail])).toEqual([
      ['lambda.amazonaws.com', 'AWSService', 2, expect.stringMatching(/does not let the service assume the role/)],
    ]);
  });

  it('--map rewrites the role of a service assumption; the report says who assumed the role', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--map', `${A}=999988887777`, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trust = JSON.parse(
      readFileSync(join(out, 'policy', 'iam/999988887777/role/thumbnailer-exec.trust.json'), 'utf8'),
    ) as {
      Statement: { Principal: unknown }[];
    };
    expect(trust.Statement.map((s) => s.Principal)).toEqual([
      { AWS: 'arn:aws:iam::999988887777:user/alice' },
      { Service: 'lambda.amazonaws.com' },
    ]);
    const r = cli(['report', '--profile', p, '-o', join(out, 'r.md')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'r.md'), 'utf8')).toContain('assumed by lambda.amazonaws.com \\(AWS service, 2×\\)');
  });

  it('the reader refuses a service assumption with a bad name or out of order, naming the line', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const line = text.split('\n').findIndex((l) => l.startsWith('{"serviceAssumption"')) + 1;
    for (const [bad, message] of [
      [
        text.replace('"service":"lambda.amazonaws.com"', '"service":"lambda.evil.example"'),
        /is not the name of an AWS service principal/,
      ],
      [text.replace(`"roleArn":"${ROLE}"`, `"roleArn":"${ALICE}"`), /is not the ARN of an IAM role/],
    ] as const) {
      expect(bad).not.toBe(text);
      const f = join(out, 'bad.json');
      writeFileSync(f, bad);
      const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`bad\\.json:${line}: not a valid profile: `));
      expect(r.stderr).toMatch(message);
    }
    // Twice the same: out of order or repeated (the end line counts both).
    const lines = text.trim().split('\n');
    const twice = [...lines.slice(0, line), lines[line - 1]!, ...lines.slice(line)];
    twice[twice.length - 1] = twice[twice.length - 1]!.replace('"serviceAssumptions":1', '"serviceAssumptions":2');
    const f = join(out, 'twice.json');
    writeFileSync(f, twice.join('\n') + '\n');
    const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/twice\.json:\d+: .*serviceAssumption: out of order or repeated/);
  });
});

describe('backtest: a service assumption held out', () => {
  it('the service seen in training is allowed on the held-out days; a service never seen is breakage', () => {
    const day = (d: number, h: number) => ({ eventTime: `2026-11-0${d}T${String(h).padStart(2, '0')}:00:00Z` });
    const at = (rec: Record<string, unknown>, when: Record<string, unknown>) => ({ ...rec, ...when });
    const trail = soak([
      at(byService('lambda.amazonaws.com'), day(2, 8)),
      at(byAlice(), day(2, 9)),
      at(ownCall(), day(2, 10)),
      at(byService('lambda.amazonaws.com'), day(4, 8)),
      at(byService('ec2.amazonaws.com'), day(4, 9)),
      at(ownCall(), day(4, 10)),
    ]);
    const r = cli(['backtest', '--cloudtrail', trail, '--split', '2026-11-03T00:00:00Z', '--format', 'json']);
    const out = JSON.parse(r.stdout) as {
      observed: number;
      allowed: number;
      byPrincipal: Record<string, unknown>;
      excess: { iam?: { samples: number } };
    };
    // Excess samples are the principals': the role's read given to alice (1), alice's AssumeRole given to the role
    // (its own policy, and the trust asked whether the role may assume itself: 2), none allowed. The services'
    // assumptions are what the services did, no samples.
    expect(out.excess.iam).toEqual({ samples: 3, allowed: 0, share: 0 });
    // Held out: the role's call and two service assumptions; the one of a service never seen would be denied.
    expect([out.observed, out.allowed]).toEqual([3, 2]);
    expect(out.byPrincipal['ec2.amazonaws.com']).toMatchObject({ observed: 1, allowed: 0 });
    expect(out.byPrincipal['lambda.amazonaws.com']).toMatchObject({ observed: 1, allowed: 1 });
    const text = cli(['backtest', '--cloudtrail', trail, '--split', '2026-11-03T00:00:00Z']).stdout;
    expect(text).toMatch(
      /ec2\.amazonaws\.com: sts:AssumeRole on arn:aws:iam::111122223333:role\/lambda\/thumbnailer-exec/,
    );
  });
});

describe('check and diff: the services a trust names', () => {
  it('a service seen is used; one never seen is listed, without a risk; a diff keeps the service seen', () => {
    const dir = tmp();
    const account = {
      UserDetailList: [
        {
          Path: '/',
          UserName: 'alice',
          UserId: 'AIDAEXAMPLEEXAMPLE01',
          Arn: ALICE,
          UserPolicyList: [
            { PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE }) },
          ],
          GroupList: [],
          AttachedManagedPolicies: [],
        },
      ],
      GroupDetailList: [],
      Policies: [],
      RoleDetailList: [
        {
          Path: '/lambda/',
          RoleName: 'thumbnailer-exec',
          RoleId: 'AROAEXAMPLEEXAMPLE01',
          Arn: ROLE,
          CreateDate: '2026-01-01T00:00:00Z',
          AssumeRolePolicyDocument: doc(
            {
              Effect: 'Allow',
              Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'] },
              Action: 'sts:AssumeRole',
            },
            { Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'sts:AssumeRole' },
          ),
          RolePolicyList: [
            { PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }) },
          ],
          AttachedManagedPolicies: [],
          Tags: [],
        },
      ],
    };
    const file = join(dir, 'account.json');
    writeFileSync(file, JSON.stringify(account, null, 2));
    const p = join(dir, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const r = cli(['check', '--policies', file, '--profile', p, '--format', 'json', '--fail-on', 'would-deny']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { unused: { summary: string; risk?: unknown }[]; wouldDeny: unknown[] };
    expect(report.wouldDeny).toEqual([]);
    expect(report.unused.filter((f) => f.summary.startsWith('sts:AssumeRole by'))).toEqual([
      expect.objectContaining({
        summary:
          'sts:AssumeRole by ec2.amazonaws.com: statement #0 lets the service in; never assumed by it in the logs',
      }),
    ]);
    expect(report.unused.find((f) => f.summary.includes('ec2.amazonaws.com'))!.risk).toBeUndefined();
    // Against the generated trust (alice and Lambda): EC2 goes, Lambda and alice stay.
    cli(['generate', 'iam', '--profile', p, '-o', join(dir, 'policy')]);
    const d = cli(['diff', file, join(dir, 'policy', 'iam'), '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const diff = JSON.parse(d.stdout) as { removedAccess: { summary: string }[]; newAccess: { summary: string }[] };
    expect(diff.removedAccess.filter((f) => f.summary.startsWith('sts:AssumeRole by')).map((f) => f.summary)).toEqual([
      'sts:AssumeRole by ec2.amazonaws.com: statement #0 lets the service in',
    ]);
    expect(diff.newAccess.filter((f) => f.summary.startsWith('sts:AssumeRole by'))).toEqual([]);
  });
});

/**
 * IAM Roles Anywhere: a workload outside AWS presents an X.509 certificate and the service assumes the role for it,
 * setting the certificate's CN as the source identity and its subject's fields as session tags, so the role's trust
 * must allow `sts:AssumeRole`, `sts:SetSourceIdentity` and `sts:TagSession` (the Roles Anywhere User Guide's trust
 * model). The record below is built on that page and the AssumeRole request's documented parameters (`tags`,
 * `sourceIdentity`), as CloudTrail logs a service's AssumeRole; no published record of it was found.
 */
describe('a service that passes session tags and a source identity (IAM Roles Anywhere)', () => {
  const ANYWHERE = 'rolesanywhere.amazonaws.com';
  const EDGE = `arn:aws:iam::${A}:role/edge/sensor-upload`;
  const byAnywhere = (cn: string) => {
    const r = byService(ANYWHERE, EDGE);
    Object.assign(r['requestParameters'] as Record<string, unknown>, {
      roleSessionName: '2a9902119721ab7b5c19a878c4c66af705895b42',
      durationSeconds: 3600,
      sourceIdentity: `CN=${cn}`,
      tags: [
        { key: 'x509Subject/CN', value: cn },
        { key: 'x509Issuer/CN', value: 'acme-edge-ca' },
      ],
    });
    return r;
  };
  const actions = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];

  it('keeps the actions it needed; a service without tags keeps the link as before', () => {
    expect(decode(byAnywhere('sensor-01')).serviceLink).toEqual({ service: ANYWHERE, roleArn: EDGE, actions });
    expect(decode(byService('lambda.amazonaws.com')).serviceLink!.actions).toBeUndefined();
  });

  it('the trust allows all three, in a statement of their own; without them verify says which is missing', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    // The role's own call, by one of its sessions (a role that makes none gets no policy, and no trust beside it).
    const own = JSON.parse(
      JSON.stringify(ownCall()).replaceAll(ROLE, EDGE).replaceAll('thumbnailer-exec', 'sensor-upload'),
    );
    const trail = soak([
      byService('lambda.amazonaws.com', EDGE),
      byAnywhere('sensor-01'),
      byAnywhere('sensor-02'),
      own,
    ]);
    expect(cli(['profile', '--cloudtrail', trail, '-o', p]).code).toBe(0);
    const kept = sectionEntries(readFileSync(p, 'utf8'), 'serviceAssumption');
    expect(kept.map((k) => [k['service'], k['actions'], (k['evidence'] as { count: number }).count])).toEqual([
      ['lambda.amazonaws.com', undefined, 1],
      [ANYWHERE, actions, 2],
    ]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trustFile = join(out, 'policy', `iam/${A}/role/sensor-upload.trust.json`);
    expect(JSON.parse(readFileSync(trustFile, 'utf8'))).toEqual(
      doc(
        {
          Sid: 'AssumedByServices',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
        { Sid: 'AssumedByServices2', Effect: 'Allow', Principal: { Service: ANYWHERE }, Action: actions },
      ),
    );
    const ok = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(ok.code, ok.stdout).toBe(0);
    // The trust most tutorials show first: sts:AssumeRole alone. Roles Anywhere's sessions would be refused.
    writeFileSync(
      trustFile,
      JSON.stringify(
        doc({ Effect: 'Allow', Principal: { Service: [ANYWHERE, 'lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }),
      ),
    );
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.notAllowed.map((f) => [f.subject, f.subjectKind, f.evidence.count])).toEqual([
      [ANYWHERE, 'AWSService', 2],
    ]);
    expect(report.notAllowed[0]!.detail).toMatch(/no statement allows sts:SetSourceIdentity/);
  });

  it('the evaluator asks each action', () => {
    const st = readTrust(
      doc({ Effect: 'Allow', Principal: { Service: ANYWHERE }, Action: ['sts:AssumeRole', 'sts:TagSession'] }),
    );
    if (typeof st === 'string') throw new Error(st);
    expect(evaluateServiceTrust(st, ANYWHERE).result).toBe('allow');
    expect(evaluateServiceTrust(st, ANYWHERE, ['sts:AssumeRole', 'sts:TagSession']).result).toBe('allow');
    expect(evaluateServiceTrust(st, ANYWHERE, actions).result).toBe('deny');
  });

  it('the reader refuses an action that is no service trust action, naming the line', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak([byAnywhere('sensor-01')]), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const bad = text.replace('"sts:SetSourceIdentity"', '"iam:PassRole"');
    expect(bad).not.toBe(text);
    const line = bad.split('\n').findIndex((l) => l.includes('iam:PassRole')) + 1;
    const f = join(out, 'bad.json');
    writeFileSync(f, bad);
    const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`bad\\.json:${line}: not a valid profile: .*sts:AssumeRole followed by`));
  });
});
