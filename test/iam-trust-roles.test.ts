import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../scripts/lib/prng.js';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import type { CiFinding, CiReport, VerifyReport } from '../src/model/finding.js';
import { readTrust } from '../src/verify/iam/trust.js';
import { callerBreadth, evaluateCallerTrust } from '../src/verify/iam/trustCallers.js';
import { cli, tmp } from './helpers/cli.js';
import { roleDetail } from './helpers/iamAccount.js';
import { record } from './helpers/cloudtrailRecords.js';

/**
 * Who may become a role as an IAM principal: a role's session (role chaining) or an IAM user calling sts:AssumeRole,
 * in the role's account or from another. Records in the shapes the IAM User Guide's CloudTrail examples give (an
 * AssumeRole by a role session and by a user; session tags as `tags` [{key, value}] and `transitiveTagKeys`, a
 * `sourceIdentity`); trust policies in the shapes of its "AWS JSON policy elements: Principal" page.
 */
const A = '111122223333';
const B = '444455556666';
const CI = `arn:aws:iam::${A}:role/ci/ci-deployer`;
const ALICE = `arn:aws:iam::${A}:user/alice`;
const PROD = `arn:aws:iam::${B}:role/deploy/prod-deployer`;
const READONLY = `arn:aws:iam::${A}:role/readonly`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const allow = (Principal: unknown, Action: unknown = 'sts:AssumeRole', Condition?: unknown) => ({
  Effect: 'Allow',
  Principal,
  Action,
  ...(Condition ? { Condition } : {}),
});

/** A role session's identity, as CloudTrail logs it. */
const session = (roleArn: string, name: string) => {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn)!;
  return {
    type: 'AssumedRole',
    principalId: `AROA${m[2]!.toUpperCase().replace(/-/g, '').padEnd(17, 'X').slice(0, 17)}:${name}`,
    arn: `arn:aws:sts::${m[1]!}:assumed-role/${m[2]!}/${name}`,
    accountId: m[1]!,
    accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: roleArn, accountId: m[1]!, userName: m[2]! },
      attributes: { creationDate: '2026-11-02T08:00:00Z', mfaAuthenticated: 'false' },
    },
  };
};
const user = (arn: string) => ({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEEXAMPLE01',
  arn,
  accountId: A,
  accessKeyId: 'AKIAEXAMPLEEXAMPLE01',
  userName: arn.slice(arn.lastIndexOf('/') + 1),
});
/** An AssumeRole call, with what STS answered. */
const assume = (identity: unknown, roleArn: string, params: Record<string, unknown> = {}) => {
  const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const sessionName = 'session-1';
  return record(
    'sts.amazonaws.com',
    'AssumeRole',
    { roleArn, roleSessionName: sessionName, durationSeconds: 3600, ...params },
    {
      userIdentity: identity,
      responseElements: {
        credentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE02', sessionToken: 'x', expiration: 'Nov 2, 2026, 9:00:00 AM' },
        assumedRoleUser: {
          assumedRoleId: `AROAEXAMPLE:${sessionName}`,
          arn: `arn:aws:sts::${roleArn.split(':')[4]!}:assumed-role/${name}/${sessionName}`,
        },
      },
      resources: [{ ARN: roleArn, accountId: roleArn.split(':')[4]!, type: 'AWS::IAM::Role' }],
      readOnly: true,
    },
  );
};

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out).toHaveLength(1);
  return out[0] as AwsCallObservation;
}

describe('AssumeRole calls as CloudTrail logs them', () => {
  it('name the role assumed, in its own account, and what passing tags or a source identity needs', () => {
    const plain = observe(assume(session(CI, 'gha-1'), PROD));
    expect(plain.resources).toEqual([PROD]);
    expect(plain.implied).toEqual([]);
    const tagged = observe(
      assume(session(CI, 'gha-1'), PROD, {
        tags: [{ key: 'Project', value: 'shop' }],
        transitiveTagKeys: ['Project'],
        sourceIdentity: 'alice',
      }),
    );
    expect(tagged.implied.map((i) => [i.action, i.resource, i.via])).toEqual([
      ['sts:SetSourceIdentity', PROD, 'requestParameters.sourceIdentity'],
      ['sts:TagSession', PROD, 'requestParameters.tags'],
    ]);
    // Transitive keys alone are tags of the session too.
    const transitive = observe(assume(session(CI, 'gha-1'), PROD, { transitiveTagKeys: ['Project'] }));
    expect(transitive.implied.map((i) => i.action)).toEqual(['sts:TagSession']);
    // An empty list passes nothing.
    expect(observe(assume(session(CI, 'gha-1'), PROD, { tags: [] })).implied).toEqual([]);
  });
});

const judge = (trust: unknown, caller: string, actions = ['sts:AssumeRole']) => {
  const st = readTrust(trust);
  if (typeof st === 'string') throw new Error(st);
  return evaluateCallerTrust(st, caller, actions).result;
};

describe('the trust evaluator for IAM principals, case by case', () => {
  const cases: [string, unknown, string, 'allow' | 'deny' | 'undetermined', string[]?][] = [
    ['the role named, its session', doc(allow({ AWS: CI })), CI, 'allow'],
    [
      'the role named in another case',
      doc(allow({ AWS: CI.toUpperCase().replace('ARN:AWS:IAM', 'arn:aws:iam') })),
      CI,
      'allow',
    ],
    ['another role named', doc(allow({ AWS: `arn:aws:iam::${A}:role/ci/other` })), CI, 'deny'],
    ['the account as root', doc(allow({ AWS: `arn:aws:iam::${A}:root` })), CI, 'allow'],
    ['the account as its id', doc(allow({ AWS: A })), ALICE, 'allow'],
    ['another account', doc(allow({ AWS: `arn:aws:iam::${B}:root` })), CI, 'deny'],
    ['everyone', doc(allow('*')), ALICE, 'allow'],
    ['AWS *', doc(allow({ AWS: '*' })), ALICE, 'allow'],
    ['a user named', doc(allow({ AWS: ALICE })), ALICE, 'allow'],
    ['a user named, a role asks', doc(allow({ AWS: ALICE })), CI, 'deny'],
    ['a service only', doc(allow({ Service: 'ec2.amazonaws.com' })), CI, 'deny'],
    [
      'one session of the role',
      doc(allow({ AWS: `arn:aws:sts::${A}:assumed-role/ci-deployer/gha-1` })),
      CI,
      'undetermined',
    ],
    ['a session of another role', doc(allow({ AWS: `arn:aws:sts::${A}:assumed-role/other/gha-1` })), CI, 'deny'],
    [
      'the account, narrowed by ArnLike on aws:PrincipalArn',
      doc(allow({ AWS: '*' }, 'sts:AssumeRole', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/ci/*` } })),
      CI,
      'allow',
    ],
    [
      'ArnLike with a wildcard account',
      doc(allow({ AWS: '*' }, 'sts:AssumeRole', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/ci/*` } })),
      CI,
      'allow',
    ],
    [
      'ArnLike, a user does not match a role pattern',
      doc(allow({ AWS: '*' }, 'sts:AssumeRole', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/*` } })),
      ALICE,
      'deny',
    ],
    [
      'ArnNotLike excludes the caller',
      doc(allow({ AWS: A }, 'sts:AssumeRole', { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/ci/*` } })),
      CI,
      'deny',
    ],
    [
      'aws:PrincipalAccount',
      doc(allow({ AWS: '*' }, 'sts:AssumeRole', { StringEquals: { 'aws:PrincipalAccount': A } })),
      CI,
      'allow',
    ],
    [
      'aws:PrincipalType of a user, a role asks',
      doc(allow({ AWS: A }, 'sts:AssumeRole', { StringEquals: { 'aws:PrincipalType': 'User' } })),
      CI,
      'deny',
    ],
    [
      'an external id: not in the profile',
      doc(allow({ AWS: CI }, 'sts:AssumeRole', { StringEquals: { 'sts:ExternalId': 'x' } })),
      CI,
      'undetermined',
    ],
    [
      'MFA: an operator not read here',
      doc(allow({ AWS: A }, 'sts:AssumeRole', { Bool: { 'aws:MultiFactorAuthPresent': 'true' } })),
      ALICE,
      'undetermined',
    ],
    [
      'an explicit Deny of the role wins',
      doc(allow({ AWS: A }), { Effect: 'Deny', Principal: { AWS: CI }, Action: 'sts:AssumeRole' }),
      CI,
      'deny',
    ],
    [
      'NotPrincipal in a Deny that leaves the caller out',
      doc(allow({ AWS: A }), { Effect: 'Deny', NotPrincipal: { AWS: CI }, Action: 'sts:AssumeRole' }),
      CI,
      'allow',
    ],
    [
      'tags passed, the trust allows only AssumeRole',
      doc(allow({ AWS: CI })),
      CI,
      'deny',
      ['sts:AssumeRole', 'sts:TagSession'],
    ],
    [
      'tags passed and allowed',
      doc(allow({ AWS: CI }, ['sts:AssumeRole', 'sts:TagSession'])),
      CI,
      'allow',
      ['sts:AssumeRole', 'sts:TagSession'],
    ],
    [
      'sts:* allows all three',
      doc(allow({ AWS: CI }, 'sts:*')),
      CI,
      'allow',
      ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    ],
  ];
  for (const [name, trust, caller, want, actions] of cases)
    it(name, () => expect(judge(trust, caller, actions)).toBe(want));
});

/** iam-simulate's verdict on an AssumeRole of PROD under `trust` as its resource policy, the caller allowed sts:*. */
async function oracle(trust: unknown, caller: string, action: string): Promise<boolean> {
  const role = /:role\/(?:.*\/)?([^/]+)$/.exec(caller);
  const account = caller.split(':')[4]!;
  const principal = role ? `arn:aws:sts::${account}:assumed-role/${role[1]!}/s1` : caller;
  const sim = await runSimulation(
    {
      identityPolicies: [
        {
          name: 'p',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trust,
      request: {
        action,
        principal,
        resource: { accountId: B, resource: PROD },
        contextVariables: {
          'aws:PrincipalArn': caller,
          'aws:PrincipalAccount': account,
          'aws:PrincipalType': role ? 'AssumedRole' : 'User',
          ...(role ? {} : { 'aws:username': caller.slice(caller.lastIndexOf('/') + 1) }),
        },
      },
    } as never,
    {},
  );
  expect(sim.resultType, JSON.stringify(sim)).not.toBe('error');
  return (sim as { overallResult: string }).overallResult === 'Allowed';
}

describe('the evaluator against iam-simulate', () => {
  it('agrees on 300 random trust policies and callers (principal forms, Arn and String conditions, Deny)', async () => {
    const rnd = mulberry32(16);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const callers = [CI, ALICE, `arn:aws:iam::${B}:role/app`, `arn:aws:iam::${B}:user/bob`, READONLY];
    const principals = [
      '*',
      { AWS: '*' },
      { AWS: CI },
      { AWS: ALICE },
      { AWS: A },
      { AWS: `arn:aws:iam::${B}:root` },
      { AWS: [READONLY, `arn:aws:iam::${B}:user/bob`] },
      { Service: 'ec2.amazonaws.com' },
    ];
    const conditions = [
      undefined,
      { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/*` } },
      { ArnEquals: { 'aws:PrincipalArn': CI } },
      { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::*:user/*` } },
      { StringEquals: { 'aws:PrincipalAccount': B } },
      { StringNotEquals: { 'aws:PrincipalType': 'User' } },
      { StringLike: { 'aws:PrincipalArn': '*:role/ci/*' } },
    ];
    const actions = ['sts:AssumeRole', ['sts:AssumeRole', 'sts:TagSession'], 'sts:*'];
    let compared = 0;
    let allowed = 0;
    for (let i = 0; i < 300; i++) {
      const statements = [allow(pick(principals), pick(actions), pick(conditions))];
      if (rnd() < 0.3)
        statements.push({ ...allow(pick(principals), 'sts:AssumeRole', pick(conditions)), Effect: 'Deny' });
      const trust = doc(...statements);
      const caller = pick(callers);
      const asked = rnd() < 0.3 ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
      const ours = judge(trust, caller, asked);
      expect(ours, JSON.stringify([trust, caller])).not.toBe('undetermined');
      let theirs = true;
      for (const a of asked) theirs &&= await oracle(trust, caller, a);
      expect(ours === 'allow', JSON.stringify([trust, caller, asked])).toBe(theirs);
      compared++;
      if (theirs) allowed++;
    }
    expect(compared).toBe(300);
    // Both verdicts were met often enough to mean something.
    expect(allowed).toBeGreaterThan(50);
    expect(allowed).toBeLessThan(250);
  });
});

describe('who a trust lets in beyond the callers seen', () => {
  const breadth = (trust: unknown, seen: string[]) => {
    const st = readTrust(trust);
    if (typeof st === 'string') throw new Error(st);
    return callerBreadth(st, seen).map((b) => [b.scope, b.value, b.wildcard, b.observed]);
  };
  it('an account, anyone, a pattern on aws:PrincipalArn, exact principals', () => {
    expect(breadth(doc(allow({ AWS: `arn:aws:iam::${A}:root` })), [CI, `arn:aws:iam::${B}:role/x`])).toEqual([
      ['account', A, false, [CI]],
    ]);
    expect(breadth(doc(allow('*')), [CI])).toEqual([['anyone', '*', false, [CI]]]);
    expect(
      breadth(
        doc(allow({ AWS: '*' }, 'sts:AssumeRole', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/ci/*` } })),
        [CI, ALICE],
      ),
    ).toEqual([['principal', `arn:aws:iam::${A}:role/ci/*`, true, [CI]]]);
    expect(breadth(doc(allow({ AWS: [CI, ALICE] })), [CI])).toEqual([
      ['principal', CI, false, [CI]],
      ['principal', ALICE, false, []],
    ]);
    // A Deny, a service principal and another action let no IAM principal in.
    expect(breadth(doc({ ...allow({ AWS: A }), Effect: 'Deny' }), [])).toEqual([]);
    expect(breadth(doc(allow({ Service: 'lambda.amazonaws.com' })), [])).toEqual([]);
    expect(breadth(doc(allow({ AWS: A }, 'sts:TagSession')), [])).toEqual([]);
  });
});

/** CloudTrail of two accounts: ci-deployer chains into prod-deployer (with tags), alice switches into readonly. */
function soak(): string {
  const dir = tmp();
  const records = [
    assume(session(CI, 'gha-1'), PROD, { tags: [{ key: 'Project', value: 'shop' }] }),
    assume(user(ALICE), READONLY),
    record(
      'ecs.amazonaws.com',
      'UpdateService',
      { cluster: 'prod', service: 'api' },
      {
        userIdentity: session(PROD, 'session-1'),
        recipientAccountId: B,
      },
    ),
    record('s3.amazonaws.com', 'ListBuckets', null, { userIdentity: session(READONLY, 'alice') }),
    record('ecr.amazonaws.com', 'GetAuthorizationToken', null, { userIdentity: session(CI, 'gha-1') }),
  ];
  writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: records }));
  return join(dir, 'trail.json');
}

describe('generate → verify: the trust lets in exactly the IAM principals seen', () => {
  it('writes each assumed role a trust naming its callers, and verify allows every assumption', () => {
    const trail = soak();
    const out = tmp();
    const profile = join(out, 'profile.json');
    expect(cli(['profile', '--cloudtrail', trail, '-o', profile]).code).toBe(0);
    const g = cli(['generate', 'iam', '--profile', profile, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const read = (p: string) => JSON.parse(readFileSync(join(out, 'policy', p), 'utf8')) as unknown;
    expect(read(`iam/${B}/role/prod-deployer.trust.json`)).toEqual(
      doc({
        Sid: 'AssumedByPrincipals',
        Effect: 'Allow',
        Principal: { AWS: CI },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }),
    );
    expect(read(`iam/${A}/role/readonly.trust.json`)).toEqual(
      doc({ Sid: 'AssumedByPrincipals', Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'sts:AssumeRole' }),
    );
    // The caller's own policy grants what it needed on the role, and nothing of the caller's account's twin.
    const own = read(`iam/${A}/role/ci-deployer.json`) as { Statement: { Action: unknown; Resource: unknown }[] };
    expect(own.Statement.filter((s) => JSON.stringify(s.Action).includes('sts:'))).toEqual([
      expect.objectContaining({ Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: [PROD] }),
    ]);
    const evidence = read(`evidence/iam/${B}/role/prod-deployer.json`) as { assumedBy: unknown[]; trustFile: string };
    expect(evidence.trustFile).toBe(`iam/${B}/role/prod-deployer.trust.json`);
    expect(evidence.assumedBy).toEqual([
      expect.objectContaining({
        principal: CI,
        via: 'assume-role',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        count: 1,
      }),
    ]);
    const v = cli(['verify', '--profile', profile, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code, v.stdout).toBe(0);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.notAllowed).toEqual([]);
    // 6 accesses of 5 calls (ci-deployer's AssumeRole needs sts:AssumeRole and sts:TagSession on the role) and 2
    // assumptions judged by the trusts.
    expect([report.observed, report.allowed]).toEqual([8, 8]);
  });

  it('a trust without sts:TagSession would deny the tagged assumption, at its file', () => {
    const trail = soak();
    const out = tmp();
    const profile = join(out, 'profile.json');
    cli(['profile', '--cloudtrail', trail, '-o', profile]);
    cli(['generate', 'iam', '--profile', profile, '-o', join(out, 'policy')]);
    const file = join(out, 'policy', `iam/${B}/role/prod-deployer.trust.json`);
    writeFileSync(file, JSON.stringify(doc(allow({ AWS: CI })), null, 2));
    const v = cli(['verify', '--profile', profile, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.notAllowed.map((f) => [f.subject, 'action' in f.access && f.access.action, f.detail])).toEqual([
      [CI, 'sts:AssumeRole', expect.stringMatching(/no statement allows sts:TagSession for it$/)],
    ]);
  });
});

/** Two accounts' answers: roles whose trusts name accounts, everyone, a pattern, exact principals. */
function accounts(): string[] {
  const dir = tmp();
  const role = (arn: string, trust: unknown, actions: string | string[]) => roleDetail(arn, trust, actions);
  const a = {
    UserDetailList: [
      {
        Path: '/',
        UserName: 'alice',
        UserId: 'AIDAEXAMPLEEXAMPLE01',
        Arn: ALICE,
        UserPolicyList: [
          { PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: READONLY }) },
        ],
        GroupList: [],
        AttachedManagedPolicies: [],
      },
    ],
    GroupDetailList: [],
    Policies: [],
    RoleDetailList: [
      role(READONLY, doc(allow({ AWS: `arn:aws:iam::${A}:root` })), 's3:ListAllMyBuckets'),
      role(CI, doc(allow({ AWS: `arn:aws:iam::${B}:root` })), ['sts:*', 'ecr:GetAuthorizationToken']),
    ],
  };
  const b = {
    UserDetailList: [],
    GroupDetailList: [],
    Policies: [],
    RoleDetailList: [
      role(
        PROD,
        doc(
          allow({ AWS: [CI, `arn:aws:iam::${A}:role/ci/old-deployer`] }, ['sts:AssumeRole', 'sts:TagSession']),
          allow({ AWS: '*' }, 'sts:AssumeRole', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ci/*' } }),
        ),
        'ecs:UpdateService',
      ),
    ],
  };
  writeFileSync(join(dir, 'a.json'), JSON.stringify(a, null, 2));
  writeFileSync(join(dir, 'b.json'), JSON.stringify(b, null, 2));
  return [join(dir, 'a.json'), join(dir, 'b.json')];
}

const ASSUME = (fs: CiFinding[]) =>
  fs
    .filter(
      (f) => 'action' in f.access && f.access.action === 'sts:AssumeRole' && f.summary.startsWith('sts:AssumeRole by'),
    )
    .map((f) => [
      f.principal,
      f.summary.slice(0, f.summary.indexOf(':', 'sts:AssumeRole by '.length + 20)),
      f.risk?.level,
    ]);

describe('check and diff: trusts that name accounts, everyone or patterns', () => {
  it('check: another account high, its own account medium, a pattern medium, an exact principal never used listed', () => {
    const [a, b] = accounts();
    const r = cli([
      'check',
      '--policies',
      a!,
      b!,
      '--cloudtrail',
      soak(),
      '--format',
      'json',
      '--fail-on',
      'would-deny',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CiReport;
    expect(report.wouldDeny).toEqual([]);
    const found = report.unused.filter((f) => f.summary.startsWith('sts:AssumeRole by'));
    expect(found.map((f) => [f.principal, f.summary, f.risk?.level])).toEqual([
      [
        CI,
        `sts:AssumeRole by any principal of account ${B}: statement #0 names the account, not a principal; never assumed in the logs`,
        'high',
      ],
      [
        READONLY,
        `sts:AssumeRole by any principal of account ${A}: statement #0 names the account, not a principal; assumed in the logs by ${ALICE}`,
        'medium',
      ],
      [
        PROD,
        'sts:AssumeRole by arn:aws:iam::*:role/ci/*: statement #1 lets in every principal the pattern matches; ' +
          `assumed in the logs by ${CI}`,
        'medium',
      ],
      [
        PROD,
        `sts:AssumeRole by arn:aws:iam::${A}:role/ci/old-deployer: statement #0 lets it in; never assumed by it in the logs`,
        undefined,
      ],
    ]);
    // The exact principal seen is used: not listed.
    expect(found.some((f) => f.summary.startsWith(`sts:AssumeRole by ${CI}`))).toBe(false);
    expect(found.every((f) => f.locations[0]!.line > 1)).toBe(true);
  });

  it('diff account → generated: the account, the pattern and the stale principal go; the principal seen stays', () => {
    const [, b] = accounts();
    const out = tmp();
    const profile = join(out, 'profile.json');
    cli(['profile', '--cloudtrail', soak(), '-o', profile]);
    cli(['generate', 'iam', '--profile', profile, '-o', join(out, 'policy')]);
    const head = join(out, 'policy', 'iam', B);
    const r = cli(['diff', b!, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as CiReport;
    expect(ASSUME(d.newAccess)).toEqual([]);
    expect(
      d.removedAccess.filter((f) => f.summary.startsWith('sts:AssumeRole by')).map((f) => [f.principal, f.risk?.level]),
    ).toEqual([
      [PROD, 'medium'],
      [PROD, undefined],
    ]);
  });
});

describe('diff: a principal named only for session tags, let in by its account', () => {
  // Found by test/diff-cilium-trust-property.test.ts: entries were made only of statements allowing sts:AssumeRole, so
  // a statement naming a role of the trusted account for sts:TagSession alone (the role already assumes through its
  // account) went unreported, and --fail-on any passed it.
  const APP = `arn:aws:iam::${B}:role/app`;
  const side = (...statements: unknown[]) => {
    const root = tmp();
    const dir = join(root, 'iam', A, 'role');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'web.json'),
      JSON.stringify(doc({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' })),
    );
    writeFileSync(join(dir, 'web.trust.json'), JSON.stringify(doc(...statements)));
    return join(root, 'iam');
  };
  const byAccount = allow({ AWS: B });
  const diff = (base: string, head: string) => {
    const r = cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'any']);
    const d = JSON.parse(r.stdout) as CiReport;
    return { code: r.code, added: d.newAccess.map((f) => f.summary), removed: d.removedAccess.map((f) => f.summary) };
  };

  it('is new access when added and removed access when taken away', () => {
    const base = side(byAccount);
    const head = side(byAccount, allow({ AWS: APP }, 'sts:TagSession'));
    const added = diff(base, head);
    expect(added).toEqual({
      code: 1,
      added: [`sts:TagSession by ${APP}: statement #1 names it for sts:TagSession`],
      removed: [],
    });
    expect(diff(head, base)).toEqual({ code: 1, added: [], removed: added.added });
  });

  it('is no access where nothing lets the principal assume the role, and not an unused grant for check', () => {
    const none = diff(side(allow({ AWS: A })), side(allow({ AWS: A }), allow({ AWS: APP }, 'sts:TagSession')));
    expect(none).toEqual({ code: 0, added: [], removed: [] });
    const policies = side(byAccount, allow({ AWS: APP }, 'sts:TagSession'));
    const r = cli(['check', '--policies', policies, '--cloudtrail', soak(), '--format', 'json', '--fail-on', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CiReport;
    expect(report.unused.map((f) => f.summary).filter((x) => x.includes(APP))).toEqual([]);
    expect(report.unused.map((f) => f.summary)).toContain(
      `sts:AssumeRole by any principal of account ${B}: statement #0 names the account, not a principal; never assumed in the logs`,
    );
  });
});

describe('report: a role says who assumed it', () => {
  it('names the IAM principals that became the role, with their count', () => {
    const out = tmp();
    const r = cli(['report', '--cloudtrail', soak(), '-o', join(out, 'r.md')]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(join(out, 'r.md'), 'utf8');
    // Markdown sets names from logs as code.
    expect(md).toContain(`assumed by \` ${CI} \` \\(sts:AssumeRole, 1×\\)`);
    expect(md).toContain(`assumed by \` ${ALICE} \` \\(sts:AssumeRole, 1×\\)`);
  });
});
