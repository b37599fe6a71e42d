import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CiFinding, CiReport } from '../src/model/finding.js';
import { authorizationPolicies } from '../src/policy/iamAuthorization.js';
import { terraformPolicies } from '../src/policy/terraform.js';
import { evaluateTrust, readTrust, type TrustRequest } from '../src/verify/iam/trust.js';
import { trustBreadth } from '../src/verify/iam/trustBreadth.js';
import { cli, tmp } from './helpers/cli.js';

/**
 * Who may become a role: trust policies in the shapes the EKS User Guide gives them ("Assign IAM roles to
 * Kubernetes service accounts": a Federated OIDC provider, StringEquals on `<issuer>:sub` and `<issuer>:aud`; "EKS
 * Pod Identity": the service `pods.eks.amazonaws.com`, `sts:AssumeRole` and `sts:TagSession`), judged for the service
 * accounts the logs show assuming them, and read from an account's answer and a Terraform plan.
 */
const A = '111122223333';
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/5E1A9C3B7D2F4E6A8B0C1D2E3F4A5B6C';
const OTHER = 'oidc.eks.us-east-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9';
const provider = (issuer: string) => `arn:aws:iam::${A}:oidc-provider/${issuer}`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const irsa = (Condition?: unknown, issuer = ISSUER, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { Federated: provider(issuer) },
  Action: 'sts:AssumeRoleWithWebIdentity',
  ...(Condition ? { Condition } : {}),
  ...extra,
});
const sub = (ns: string, sa: string) => `system:serviceaccount:${ns}:${sa}`;
const asks = (namespace: string, serviceAccount: string, via: 'irsa' | 'pod-identity' = 'irsa'): TrustRequest => ({
  via,
  namespace,
  serviceAccount,
});
const judge = (document: unknown, req: TrustRequest) => {
  const st = readTrust(document);
  if (typeof st === 'string') throw new Error(st);
  return evaluateTrust(st, req);
};
const exact = doc(
  irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart'), [`${ISSUER}:aud`]: 'sts.amazonaws.com' } }),
);

describe('the trust evaluator, case by case', () => {
  const cases: [string, unknown, TrustRequest, 'allow' | 'deny' | 'undetermined'][] = [
    ['the EKS guide: exact subject and audience, that subject', exact, asks('shop', 'cart'), 'allow'],
    ['the EKS guide: another service account', exact, asks('shop', 'web'), 'deny'],
    ['the same subject in another namespace', exact, asks('ops', 'cart'), 'deny'],
    ['no condition: any service account', doc(irsa()), asks('kube-system', 'anything'), 'allow'],
    [
      'StringLike on a namespace',
      doc(irsa({ StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:ci:*' } })),
      asks('ci', 'deployer'),
      'allow',
    ],
    [
      'StringLike on a namespace, another namespace',
      doc(irsa({ StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:ci:*' } })),
      asks('shop', 'web'),
      'deny',
    ],
    ['a wrong audience', doc(irsa({ StringEquals: { [`${ISSUER}:aud`]: 'vault' } })), asks('shop', 'cart'), 'deny'],
    [
      'condition keys are not case-sensitive',
      doc(irsa({ StringEquals: { [`${ISSUER.toUpperCase()}:SUB`]: sub('shop', 'cart') } })),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      'values are',
      doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'Cart') } })),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'StringEqualsIgnoreCase',
      doc(irsa({ StringEqualsIgnoreCase: { [`${ISSUER}:sub`]: sub('shop', 'Cart') } })),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      'a list of subjects',
      doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: [sub('shop', 'web'), sub('shop', 'cart')] } })),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      'ForAnyValue:StringLike on a single-valued key',
      doc(irsa({ 'ForAnyValue:StringLike': { [`${ISSUER}:sub`]: 'system:serviceaccount:shop:*' } })),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      'StringNotEquals: every subject but one',
      doc(irsa({ StringNotEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart') } })),
      asks('shop', 'web'),
      'allow',
    ],
    [
      'StringNotEquals: that one',
      doc(irsa({ StringNotEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart') } })),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'Null false on the subject (present in every token)',
      doc(irsa({ Null: { [`${ISSUER}:sub`]: 'false' } })),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      'two clusters, the second one names it',
      doc(
        irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'web') } }),
        irsa({ StringEquals: { [`${OTHER}:sub`]: sub('shop', 'cart') } }, OTHER),
      ),
      asks('shop', 'cart'),
      'allow',
    ],
    [
      "one statement, two providers: a key of the other issuer is not in this issuer's token",
      doc({
        Effect: 'Allow',
        Principal: { Federated: [provider(ISSUER), provider(OTHER)] },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${OTHER}:sub`]: sub('shop', 'web') } },
      }),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'an explicit Deny of the subject wins',
      doc(irsa(), irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart') } }, ISSUER, { Effect: 'Deny' })),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'a key the request does not say (aws:SourceIp)',
      doc(irsa({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })),
      asks('shop', 'cart'),
      'undetermined',
    ],
    [
      'a Deny under a key not said',
      doc(irsa(), irsa({ StringEquals: { 'aws:PrincipalTag/team': 'x' } }, ISSUER, { Effect: 'Deny' })),
      asks('shop', 'cart'),
      'undetermined',
    ],
    [
      'a policy variable in a value',
      doc(irsa({ StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:${aws:PrincipalTag/ns}:*' } })),
      asks('shop', 'cart'),
      'undetermined',
    ],
    ['sts:* covers the action', doc({ ...irsa(), Action: 'sts:*' }), asks('shop', 'cart'), 'allow'],
    ['Principal *', doc({ Effect: 'Allow', Principal: '*', Action: 'sts:*' }), asks('shop', 'cart'), 'allow'],
    [
      'only sts:AssumeRole (no web identity)',
      doc({ ...irsa(), Action: 'sts:AssumeRole' }),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'a trust of services only: no token can assume it',
      doc({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }),
      asks('shop', 'cart'),
      'deny',
    ],
    [
      'Pod Identity, as the EKS guide writes it',
      doc({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }),
      asks('payments', 'payments-api', 'pod-identity'),
      'allow',
    ],
    [
      'Pod Identity without sts:TagSession (the session tags are refused)',
      doc({ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      asks('payments', 'payments-api', 'pod-identity'),
      'deny',
    ],
    [
      'Pod Identity narrowed by the namespace tag',
      doc({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'shop' } },
      }),
      asks('payments', 'payments-api', 'pod-identity'),
      'deny',
    ],
    [
      'Pod Identity under aws:SourceAccount (not in the logs)',
      doc({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'aws:SourceAccount': A } },
      }),
      asks('payments', 'payments-api', 'pod-identity'),
      'undetermined',
    ],
    ['Pod Identity on an IRSA trust', exact, asks('shop', 'cart', 'pod-identity'), 'deny'],
  ];
  for (const [what, document, req, want] of cases)
    it(`${what}: ${want}`, () => {
      const d = judge(document, req);
      expect(d.result, d.reason).toBe(want);
      expect(d.reason).not.toBe('');
    });

  it('says why it denies', () => {
    expect(judge(exact, asks('shop', 'web')).reason).toContain('no statement allows sts:AssumeRoleWithWebIdentity');
    expect(judge(doc({ ...irsa(), Principal: { Service: 'x' } }), asks('a', 'b')).reason).toContain(
      'trusts no OIDC provider',
    );
  });

  it('a principal type named __proto__ in the file is a key like any other', () => {
    const text = `{"Statement":[{"Effect":"Allow","Principal":{"__proto__":["x"],"Federated":"${provider(ISSUER)}"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`;
    expect(judge(JSON.parse(text), asks('shop', 'cart')).result).toBe('allow');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('refuses what is no trust policy', () => {
    expect(readTrust([])).toMatch(/JSON object/);
    expect(readTrust(doc({ Effect: 'Maybe', Principal: '*', Action: 'sts:*' }))).toMatch(/Effect/);
    expect(readTrust(doc({ Effect: 'Allow', Action: 'sts:*' }))).toMatch(/Principal/);
    expect(readTrust(doc({ Effect: 'Allow', Principal: '*' }))).toMatch(/Action/);
    expect(readTrust(doc({ Effect: 'Allow', Principal: '*', Action: 'sts:*', Condition: 'x' }))).toMatch(/Condition/);
  });
});

describe('who a trust lets in beyond what was seen', () => {
  const breadth = (document: unknown, seen: string[], pods: string[] = []) => {
    const st = readTrust(document);
    if (typeof st === 'string') throw new Error(st);
    return trustBreadth(st, seen, pods);
  };

  it('no subject condition: any; a pattern: its matches; exact values: those seen', () => {
    expect(breadth(doc(irsa()), [sub('ops', 'backup')])).toEqual([
      { sid: '#0', via: 'irsa', issuer: ISSUER, subjects: 'any', observed: [sub('ops', 'backup')] },
    ]);
    const b = breadth(
      doc(
        irsa({
          StringLike: { [`${ISSUER}:sub`]: ['system:serviceaccount:ci:*', sub('ops', 'old')] },
          StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com' },
        }),
      ),
      [sub('ci', 'deployer'), sub('shop', 'web')],
    );
    expect(b).toHaveLength(1);
    expect(b[0]!.subjects).toEqual([
      { value: 'system:serviceaccount:ci:*', wildcard: true, observed: [sub('ci', 'deployer')] },
      { value: sub('ops', 'old'), wildcard: false, observed: [] },
    ]);
  });

  it('a negated subject condition narrows nothing; a Deny and another service let no one in', () => {
    const b = breadth(doc(irsa({ StringNotEquals: { [`${ISSUER}:sub`]: sub('a', 'b') } })), []);
    expect(b[0]!.subjects).toBe('any');
    expect(breadth(doc({ ...irsa(), Effect: 'Deny' }), [])).toEqual([]);
    expect(
      breadth(doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:*' }), []),
    ).toEqual([]);
  });

  it('Pod Identity: any association unless a session tag narrows it (the EKS User Guide)', () => {
    const pods = (Condition?: unknown) =>
      doc({
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        ...(Condition ? { Condition } : {}),
      });
    expect(breadth(pods(), [sub('pay', 'api')])).toEqual([
      { sid: '#0', via: 'pod-identity', issuer: 'pods.eks.amazonaws.com', subjects: 'any', observed: [] },
    ]);
    expect(breadth(pods(), [], [sub('pay', 'api')])[0]!.observed).toEqual([sub('pay', 'api')]);
    expect(breadth(pods({ StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'pay' } }), [])).toEqual([]);
    expect(breadth(pods({ StringEquals: { 'aws:SourceAccount': A } }), [])).toHaveLength(1);
  });
});

/** The demo account's answer with one role's trust policy replaced. */
function accountWith(role: string, trust: unknown, urlEncoded = false): string {
  const o = JSON.parse(readFileSync('fixtures/demo/iam/account.json', 'utf8')) as {
    RoleDetailList: { RoleName: string; AssumeRolePolicyDocument: unknown }[];
  };
  const r = o.RoleDetailList.find((x) => x.RoleName === role)!;
  r.AssumeRolePolicyDocument = urlEncoded ? encodeURIComponent(JSON.stringify(trust)) : trust;
  const file = join(tmp(), 'account.json');
  writeFileSync(file, JSON.stringify(o, null, 4));
  return file;
}

const CLOUDTRAIL = ['--cloudtrail', 'fixtures/demo/cloudtrail'];
const check = (policies: string, ...more: string[]) => {
  const r = cli(['check', '--policies', policies, ...CLOUDTRAIL, '--format', 'json', ...more]);
  return { code: r.code, report: JSON.parse(r.stdout) as CiReport, stderr: r.stderr };
};
const ASSUMES = new Set(['sts:AssumeRoleWithWebIdentity', 'sts:AssumeRole']);
const trustFindings = (fs: CiFinding[]) => fs.filter((f) => 'action' in f.access && ASSUMES.has(f.access.action));

describe('check: trust policies of the demo account', () => {
  it('flags trusts that let any service account in (high), a pattern or any Pod Identity association (medium)', () => {
    // (and lists legacy-etl's trust of Glue, which the logs never show assuming it: no risk of its own)
    const { code, report } = check('fixtures/demo/iam/account.json', '--fail-on', 'would-deny');
    expect(code).toBe(0);
    expect(report.wouldDeny).toEqual([]);
    const t = trustFindings(report.unused).map((f) => [f.principal, f.risk?.level, f.locations[0]!.file]);
    expect(t).toEqual([
      // The mobile app's role trusts any identity of its Cognito pool: the pool is the check (low).
      [`arn:aws:iam::${A}:role/app/shop-mobile-uploads`, 'low', 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/ci/ci-deployer`, 'medium', 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/ci/github-release`, 'medium', 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/legacy-etl`, undefined, 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/ops-backup`, 'high', 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/ops-report`, 'high', 'fixtures/demo/iam/account.json'],
      [`arn:aws:iam::${A}:role/payments-api`, 'medium', 'fixtures/demo/iam/account.json'],
    ]);
    const pay = trustFindings(report.unused).find((f) => f.principal.endsWith('payments-api'))!;
    expect(pay.summary).toBe(
      'sts:AssumeRole by any EKS Pod Identity association: statement #0 sets no condition on the session tags ' +
        'kubernetes-namespace and kubernetes-service-account; assumed in the logs by ' +
        'system:serviceaccount:payments:payments-api',
    );
    expect(trustFindings(report.unused).find((f) => f.principal.endsWith('legacy-etl'))!.summary).toBe(
      'sts:AssumeRole by glue.amazonaws.com: statement #0 lets the service in; never assumed by it in the logs',
    );
    const backup = trustFindings(report.unused).find((f) => f.principal.endsWith('ops-backup'))!;
    expect(backup.summary).toContain(`no condition on the token's subject (${ISSUER}:sub)`);
    expect(backup.summary).toContain('assumed in the logs by system:serviceaccount:ops:backup');
  });

  it("a trust that names another service account denies the pod's assumption, at the role's line", () => {
    const file = accountWith(
      'shop-cart',
      doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'carts') } })),
      true,
    );
    const { code, report } = check(file, '--fail-on', 'would-deny');
    expect(code).toBe(1);
    expect(report.wouldDeny).toHaveLength(1);
    const f = report.wouldDeny[0]!;
    expect(f.principal).toBe('system:serviceaccount:shop:cart');
    expect(f.access).toMatchObject({
      action: 'sts:AssumeRoleWithWebIdentity',
      resources: [`arn:aws:iam::${A}:role/shop-cart`],
    });
    expect(f.detail).toContain('does not let it assume the role with its token (IRSA)');
    expect(f.locations).toHaveLength(1);
    const line = readFileSync(file, 'utf8').split('\n')[f.locations[0]!.line - 1]!;
    expect(line).toContain(`"Arn": "arn:aws:iam::${A}:role/shop-cart"`);
    // The subject it names was never seen: an unused grant, no risk of its own.
    const carts = trustFindings(report.unused).find((x) => x.summary.includes(sub('shop', 'carts')))!;
    expect(carts.risk).toBeUndefined();
    expect(carts.summary).toContain('never assumed by it in the logs');
  });

  it('a trust under a key the logs cannot say is undetermined, never allowed or denied', () => {
    const file = accountWith('ops-backup', doc(irsa({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })));
    const { report } = check(file, '--fail-on', 'none');
    expect(report.wouldDeny).toEqual([]);
    const u = report.undetermined.filter((f) => f.principal === 'system:serviceaccount:ops:backup');
    expect(u).toHaveLength(1);
    expect(u[0]!.detail).toContain('under a Condition not judged here');
  });

  it('a Pod Identity trust switched to IRSA denies the pod that uses Pod Identity', () => {
    const file = accountWith('payments-api', exact);
    const { report } = check(file, '--fail-on', 'none');
    expect(report.wouldDeny.map((f) => [f.principal, (f.access as { action: string }).action])).toEqual([
      ['system:serviceaccount:payments:payments-api', 'sts:AssumeRole'],
    ]);
  });
});

describe('diff: a trust change is a change of who may become the role', () => {
  it('dropping the subject condition is new access (high); the subject it had is still let in, not removed', () => {
    const base = accountWith('shop-cart', exact);
    const head = accountWith('shop-cart', doc(irsa()));
    const r = cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'risky']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as CiReport;
    expect(trustFindings(d.newAccess).map((f) => [f.principal, f.type, f.risk?.level])).toEqual([
      [`arn:aws:iam::${A}:role/shop-cart`, 'new-access', 'high'],
    ]);
    expect(trustFindings(d.removedAccess)).toEqual([]);
    // The reverse: narrowing to one subject removes "any", and adds nothing.
    const back = JSON.parse(
      cli(['diff', head, base, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']).stdout,
    ) as CiReport;
    expect(trustFindings(back.newAccess)).toEqual([]);
    expect(trustFindings(back.removedAccess).map((f) => f.risk?.level)).toEqual(['high']);
  });

  it('moving a subject to another service account: one removed, one new', () => {
    const base = accountWith('shop-cart', exact);
    const head = accountWith('shop-cart', doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'web') } })));
    const d = JSON.parse(
      cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']).stdout,
    ) as CiReport;
    expect(trustFindings(d.newAccess).map((f) => f.summary)).toEqual([
      `sts:AssumeRoleWithWebIdentity by ${sub('shop', 'web')}: statement #0 lets it in`,
    ]);
    expect(trustFindings(d.removedAccess).map((f) => f.summary)).toEqual([
      `sts:AssumeRoleWithWebIdentity by ${sub('shop', 'cart')}: statement #0 lets it in`,
    ]);
  });

  // The same subject named, but the token can no longer be used: a pull request that breaks IRSA or Pod Identity must
  // fail a `--fail-on removed-access` gate (the build before compared the subject alone; found by
  // test/policy-fuzz.test.ts).
  it('the same subject under another audience, or without an action it needs, is removed access', () => {
    const base = accountWith('shop-cart', exact);
    const cases: [string, unknown, string][] = [
      [
        'audience',
        doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart'), [`${ISSUER}:aud`]: 'sts.example.com' } })),
        `sts:AssumeRoleWithWebIdentity by ${sub('shop', 'cart')}: statement #0 lets it in`,
      ],
      [
        'action',
        doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart') } }, ISSUER, { Action: 'sts:AssumeRole' })),
        `sts:AssumeRoleWithWebIdentity by ${sub('shop', 'cart')}: statement #0 lets it in`,
      ],
    ];
    for (const [what, trust, summary] of cases) {
      const d = JSON.parse(
        cli(['diff', base, accountWith('shop-cart', trust), '--kind', 'iam', '--format', 'json', '--fail-on', 'none'])
          .stdout,
      ) as CiReport;
      expect(
        trustFindings(d.removedAccess).map((f) => f.summary),
        what,
      ).toEqual([summary]);
      expect(trustFindings(d.newAccess), what).toEqual([]);
    }
  });

  it('a session action the trust allowed beside the assumption, gone, is removed access of its own', () => {
    const tagged = (...Action: string[]) =>
      doc(irsa({ StringEquals: { [`${ISSUER}:sub`]: sub('shop', 'cart') } }, ISSUER, { Action }));
    const base = accountWith('shop-cart', tagged('sts:AssumeRoleWithWebIdentity', 'sts:TagSession'));
    const head = accountWith('shop-cart', tagged('sts:AssumeRoleWithWebIdentity'));
    const d = (a: string, b: string) =>
      JSON.parse(cli(['diff', a, b, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']).stdout) as CiReport;
    const lost = d(base, head);
    expect(trustFindings(lost.newAccess)).toEqual([]);
    expect(lost.removedAccess.filter((f) => 'action' in f.access && f.access.action === 'sts:TagSession')).toEqual([
      expect.objectContaining({ summary: `sts:TagSession by ${sub('shop', 'cart')}: statement #0 lets it in` }),
    ]);
    const gained = d(head, base);
    expect(gained.newAccess.map((f) => f.summary)).toEqual([
      `sts:TagSession by ${sub('shop', 'cart')}: statement #0 lets it in`,
    ]);
  });

  it('Pod Identity narrowed by its session tags: each service account named is compared', () => {
    const pods = (namespace: string, account: string, Action: string[] = ['sts:AssumeRole', 'sts:TagSession']) =>
      doc({
        Sid: 'PodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action,
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes-namespace': namespace,
            'aws:RequestTag/kubernetes-service-account': account,
          },
        },
      });
    const base = accountWith('payments-api', pods('payments', 'payments-api'));
    const diff = (head: unknown) =>
      JSON.parse(
        cli(['diff', base, accountWith('payments-api', head), '--kind', 'iam', '--format', 'json', '--fail-on', 'none'])
          .stdout,
      ) as CiReport;
    const by = (fs: CiFinding[]) => trustFindings(fs).map((f) => f.summary);
    const was = `sts:AssumeRole by ${sub('payments', 'payments-api')}: statement PodIdentity lets it in through EKS Pod Identity`;
    // sts:TagSession gone: the pod's credentials can no longer be made (the EKS User Guide asks for both).
    const lost = diff(pods('payments', 'payments-api', ['sts:AssumeRole']));
    expect([by(lost.newAccess), by(lost.removedAccess)]).toEqual([[], [was]]);
    const moved = diff(pods('payments', 'other'));
    expect([by(moved.newAccess), by(moved.removedAccess)]).toEqual([
      [`sts:AssumeRole by ${sub('payments', 'other')}: statement PodIdentity lets it in through EKS Pod Identity`],
      [was],
    ]);
    const same = diff(pods('payments', 'payments-api'));
    expect([by(same.newAccess), by(same.removedAccess)]).toEqual([[], []]);
  });

  // A statement letting in a pattern or any subject was compared by its subjects alone, so a pull request that moved
  // its audience or dropped an action its tokens need passed `--fail-on removed-access` (found by
  // test/policy-fuzz.test.ts: FUZZ_SEED=3 FUZZ_RUN=162, FUZZ_SEED=6 FUZZ_RUN=23). Shapes from the IAM User Guide
  // (GitHub Actions' OIDC, Cognito identity pools, SAML 2.0 federation, cross-account AssumeRole) and the EKS User
  // Guide (IRSA, Pod Identity).
  it('a pattern, any subject, an account: under another audience or without an action, removed access', () => {
    const GH = 'token.actions.githubusercontent.com';
    const POOL = 'eu-west-1:7d3c1e52-8a4b-4f6e-9c21-5b0a9e3f4d18';
    const okta = `arn:aws:iam::${A}:saml-provider/Okta`;
    const github = (aud: string, subject?: string, Action: string[] = ['sts:AssumeRoleWithWebIdentity']) =>
      doc({
        Sid: 'Release',
        Effect: 'Allow',
        Principal: { Federated: provider(GH) },
        Action,
        Condition: {
          StringEquals: { [`${GH}:aud`]: aud },
          ...(subject ? { StringLike: { [`${GH}:sub`]: subject } } : {}),
        },
      });
    const cognito = (...Action: string[]) =>
      doc({
        Sid: 'Pool',
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action,
        Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': POOL } },
      });
    // The Cognito Developer Guide's trusts: signed-in users (or guests) only, by the token's amr.
    const signedIn = (amr: string, ...Action: string[]) =>
      doc({
        Sid: 'Pool',
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action,
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': POOL },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': amr },
        },
      });
    const tagLost = `sts:TagSession by any identity of Cognito identity pool ${POOL}: statement Pool sets no condition on the identity (cognito-identity.amazonaws.com:sub)`;
    const guests = `sts:AssumeRoleWithWebIdentity by any identity of Cognito identity pool ${POOL}: statement Pool sets no condition on the identity (cognito-identity.amazonaws.com:sub)`;
    const account = (...Action: string[]) =>
      doc({ Sid: 'Account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action });
    const saml = (aud: string) =>
      doc({
        Sid: 'Okta',
        Effect: 'Allow',
        Principal: { Federated: okta },
        Action: 'sts:AssumeRoleWithSAML',
        Condition: { StringEquals: { 'SAML:aud': aud } },
      });
    const pods = (...Action: string[]) =>
      doc({ Sid: 'Pods', Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action });
    const shop = (aud: string) =>
      doc(irsa({ StringEquals: { [`${ISSUER}:aud`]: aud }, StringLike: { [`${ISSUER}:sub`]: sub('shop', '*') } }));
    const tags = 'repo:acme/shop:ref:refs/tags/v*';
    const pattern = `sts:AssumeRoleWithWebIdentity by ${tags}: statement Release lets in every subject the pattern matches`;
    const anyToken = `sts:AssumeRoleWithWebIdentity by any token of ${GH}: statement Release sets no condition on the token's subject (${GH}:sub)`;
    const shopAll = `sts:AssumeRoleWithWebIdentity by ${sub('shop', '*')}: statement #0 lets in every service account the pattern matches`;
    // [what, role, base, head, removed, new]
    const cases: [string, string, unknown, unknown, string[], string[]][] = [
      [
        'a pattern under another :aud',
        'github-release',
        github('sts.amazonaws.com', tags),
        github('sts.example.com', tags),
        [pattern],
        [pattern],
      ],
      [
        'any subject under another :aud',
        'github-release',
        github('sts.amazonaws.com'),
        github('sts.example.com'),
        [anyToken],
        [anyToken],
      ],
      [
        'a service account pattern under another :aud',
        'shop-cart',
        shop('sts.amazonaws.com'),
        shop('sts.example.com'),
        [shopAll],
        [], // an IRSA token asks the default audience (as an exact subject's)
      ],
      [
        'a Cognito pool losing sts:TagSession',
        'shop-mobile-uploads',
        cognito('sts:AssumeRoleWithWebIdentity', 'sts:TagSession'),
        cognito('sts:AssumeRoleWithWebIdentity'),
        [tagLost],
        [],
      ],
      [
        'signed-in Cognito users losing sts:TagSession',
        'shop-mobile-uploads',
        signedIn('authenticated', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession'),
        signedIn('authenticated', 'sts:AssumeRoleWithWebIdentity'),
        [tagLost],
        [],
      ],
      // The same pool and actions, but guests instead of signed-in users: each side lets in whom the other does not.
      [
        'signed-in Cognito users swapped for guests',
        'shop-mobile-uploads',
        signedIn('authenticated', 'sts:AssumeRoleWithWebIdentity'),
        signedIn('unauthenticated', 'sts:AssumeRoleWithWebIdentity'),
        [guests],
        [guests],
      ],
      [
        'an account losing sts:TagSession',
        'ops-report',
        account('sts:AssumeRole', 'sts:TagSession'),
        account('sts:AssumeRole'),
        [`sts:TagSession by any principal of account ${A}: statement Account names the account, not a principal`],
        [],
      ],
      [
        'any SAML user under another SAML:aud',
        'ops-report',
        saml('https://signin.aws.amazon.com/saml'),
        saml('https://example.com/saml'),
        [
          "sts:AssumeRoleWithSAML by any user of saml-provider/Okta: statement Okta sets no condition on the assertion's subject (SAML:sub)",
        ],
        [
          "sts:AssumeRoleWithSAML by any user of saml-provider/Okta: statement Okta sets no condition on the assertion's subject (SAML:sub)",
        ],
      ],
      [
        'any Pod Identity association losing sts:TagSession',
        'payments-api',
        pods('sts:AssumeRole', 'sts:TagSession'),
        pods('sts:AssumeRole'),
        [
          'sts:AssumeRole by any EKS Pod Identity association: statement Pods sets no condition on the session tags kubernetes-namespace and kubernetes-service-account',
        ],
        [],
      ],
    ];
    const sts = (fs: CiFinding[]) =>
      fs.filter((f) => 'action' in f.access && f.access.action.startsWith('sts:')).map((f) => f.summary);
    const diff = (a: string, b: string) =>
      JSON.parse(cli(['diff', a, b, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']).stdout) as CiReport;
    for (const [what, role, before, after, removed, added] of cases) {
      const base = accountWith(role, before);
      const d = diff(base, accountWith(role, after));
      expect([sts(d.removedAccess), sts(d.newAccess)], what).toEqual([removed, added]);
      // The same statement on both sides is no change.
      const same = diff(base, accountWith(role, before, true));
      expect([sts(same.removedAccess), sts(same.newAccess)], `${what}, the same`).toEqual([[], []]);
    }
  });

  it('the same trust on both sides is no change', () => {
    const base = accountWith('shop-cart', exact);
    const head = accountWith('shop-cart', exact, true);
    const d = JSON.parse(
      cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']).stdout,
    ) as CiReport;
    expect(trustFindings([...d.newAccess, ...d.removedAccess])).toEqual([]);
  });
});

describe('where trust policies are read from', () => {
  it("an account's answer: objects and URL-encoded alike; a broken one is an issue at its role", () => {
    const text = JSON.stringify({
      RoleDetailList: [
        { RoleName: 'a', Arn: `arn:aws:iam::${A}:role/a`, AssumeRolePolicyDocument: exact },
        {
          RoleName: 'b',
          Arn: `arn:aws:iam::${A}:role/b`,
          AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(exact)),
        },
        { RoleName: 'c', Arn: `arn:aws:iam::${A}:role/c`, AssumeRolePolicyDocument: '%7B%22Statement' },
      ],
    });
    const r = authorizationPolicies([{ file: 'acct.json', object: JSON.parse(text) as never, text }]);
    const [a, b, c] = r.principals.map((p) => p.trust!);
    expect(a!.document).toEqual(exact);
    expect(b!.document).toEqual(exact);
    expect(c!.unknown).toBe('its document could not be read');
    expect(r.issues.map((i) => [i.code, i.message])).toEqual([
      ['iam.invalid-policy', 'role/c trust policy: its document is not a JSON object, as text or URL-encoded'],
    ]);
  });

  it("a Terraform plan's assume_role_policy; one known only after apply is not read", () => {
    const role = (name: string, values: Record<string, unknown>) => ({
      address: `aws_iam_role.${name}`,
      mode: 'managed',
      type: 'aws_iam_role',
      name,
      values: { name, path: '/', arn: `arn:aws:iam::${A}:role/${name}`, ...values },
    });
    const plan = {
      format_version: '1.2',
      planned_values: {
        root_module: {
          resources: [role('shop-cart', { assume_role_policy: JSON.stringify(exact) }), role('later', {})],
        },
      },
    };
    const r = terraformPolicies([{ file: 'plan.json', object: plan as never }]);
    const byArn = new Map(r.principals.map((p) => [p.arn, p.trust]));
    expect(byArn.get(`arn:aws:iam::${A}:role/shop-cart`)!.document).toEqual(exact);
    expect(byArn.get(`arn:aws:iam::${A}:role/later`)!.unknown).toBe('it is known only after apply');
  });
});
