import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifyReport } from '../src/model/finding.js';
import type { Principal, Profile } from '../src/model/profile.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { trustPolicy } from '../src/generate/iam/trust.js';
import { iamIndexProblem, type IamIndex } from '../src/model/layout.js';
import { evaluateTrust, readTrust } from '../src/verify/iam/trust.js';
import { cli, tmp } from './helpers/cli.js';
import { legacyProfileText, readProfileFile } from './helpers/profile.js';

/**
 * `generate iam` writes each role's trust policy from the service accounts the logs show assuming it: exactly those,
 * through the OIDC provider the records name (IRSA) or EKS Pod Identity's session tags; `verify` replays the links
 * against it, so a service account never seen assuming the role is a would-be denial in a backtest.
 */
const A = '111122223333';
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/5E1A9C3B7D2F4E6A8B0C1D2E3F4A5B6C';
const PROVIDER = `arn:aws:iam::${A}:oidc-provider/${ISSUER}`;

const dir = tmp();
const profileFile = join(dir, 'week.json');
const tree = join(dir, 'policy');
const made = [
  cli([
    'profile',
    '--k8s-audit',
    'fixtures/demo/k8s-audit',
    '--cloudtrail',
    'fixtures/demo/cloudtrail',
    '-o',
    profileFile,
    '-q',
  ]),
  cli(['generate', 'iam', '--profile', profileFile, '-o', tree]),
];
const read = (f: string) => JSON.parse(readFileSync(join(tree, f), 'utf8')) as Record<string, unknown>;
const verify = (profile: string, policies = tree) => {
  const r = cli(['verify', '--profile', profile, '--policies', policies, '--format', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
};
/** The demo's profile changed by `edit`, written as a profile file (the v1alpha1 document the reader still takes). */
async function edited(edit: (p: Profile) => void): Promise<string> {
  const p = await readProfileFile(profileFile);
  edit(p);
  const file = join(tmp(), 'edited.json');
  writeFileSync(file, legacyProfileText(p));
  return file;
}
const sa = (p: Profile, ns: string, name: string): Principal =>
  p.principals.find((x) => x.username === `system:serviceaccount:${ns}:${name}`)!;

describe('the profile keeps the OIDC provider of each IRSA link', () => {
  it("from the records' userIdentity.identityProvider; none for Pod Identity", async () => {
    for (const r of made) expect(r.code, r.stderr).toBe(0);
    const p = await readProfileFile(profileFile);
    expect(sa(p, 'shop', 'cart').assumes).toMatchObject([{ via: 'irsa', providers: [PROVIDER] }]);
    expect(sa(p, 'payments', 'payments-api').assumes![0]!.providers).toBeUndefined();
  });

  it('merge takes the union of the providers, sorted; a profile without them still reads', async () => {
    const p = await readProfileFile(profileFile);
    const other = structuredClone(p);
    const OTHER = `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/0A1B2C3D`;
    sa(other, 'shop', 'cart').assumes![0]!.providers = [OTHER];
    const m = mergeProfiles([p, other]);
    expect(sa(m, 'shop', 'cart').assumes![0]!.providers).toEqual([OTHER, PROVIDER].sort());
    const old = await edited((x) => x.principals.forEach((q) => q.assumes?.forEach((l) => delete l.providers)));
    expect((await readProfileFile(old)).principals.some((q) => q.assumes?.some((l) => l.providers))).toBe(false);
  });

  it('a provider that is no OIDC provider ARN is refused, naming it', async () => {
    const bad = await edited((x) => {
      sa(x, 'shop', 'cart').assumes![0]!.providers = ['arn:aws:iam::111122223333:saml-provider/x"\n'];
    });
    const r = cli(['generate', 'iam', '--profile', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('providers[0]');
    expect(r.stderr).toContain('is not the ARN of an IAM OIDC provider');
  });
});

describe('generate iam: a trust policy per role service accounts assumed', () => {
  it('IRSA: exactly the service account seen, through the provider its tokens came from, the audience EKS asks for', () => {
    expect(read(`iam/${A}/role/shop-cart.trust.json`)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ServiceAccountTokens',
          Effect: 'Allow',
          Principal: { Federated: PROVIDER },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${ISSUER}:sub`]: 'system:serviceaccount:shop:cart',
              [`${ISSUER}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
  });

  it("Pod Identity: EKS's service under the session tags of the namespace, service account and cluster seen", () => {
    expect(read(`iam/${A}/role/payments-api.trust.json`)['Statement']).toEqual([
      {
        Sid: 'PodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes-namespace': 'payments',
            'aws:RequestTag/kubernetes-service-account': 'payments-api',
            'aws:RequestTag/eks-cluster-arn': `arn:aws:eks:eu-west-1:${A}:cluster/acme-staging`,
          },
        },
      },
    ]);
  });

  it('the index names each trust, the evidence its file and who assumed the role (with the provider)', () => {
    const index = read(`iam/${A}/index.json`) as unknown as IamIndex;
    expect(iamIndexProblem(index)).toBeUndefined();
    const trusts = index.principals.filter((e) => e.trust).map((e) => [e.name, e.trust]);
    expect(trusts).toEqual([
      ['ci-deployer', 'role/ci-deployer.trust.json'],
      ['github-release', 'role/github-release.trust.json'],
      ['oncall', 'role/oncall.trust.json'],
      ['ops-backup', 'role/ops-backup.trust.json'],
      ['ops-report', 'role/ops-report.trust.json'],
      ['payments-api', 'role/payments-api.trust.json'],
      ['shop-cart', 'role/shop-cart.trust.json'],
      ['shop-mobile-uploads', 'role/shop-mobile-uploads.trust.json'],
      ['thumbnailer-exec', 'role/thumbnailer-exec.trust.json'],
    ]);
    const ev = JSON.parse(readFileSync(join(tree, `evidence/iam/${A}/role/shop-cart.json`), 'utf8')) as {
      trustFile: string;
      assumedBy: { serviceAccount: string; providers: string[]; count: number; samples: string[] }[];
    };
    expect(ev.trustFile).toBe(`iam/${A}/role/shop-cart.trust.json`);
    expect(ev.assumedBy).toMatchObject([{ serviceAccount: 'shop/cart', providers: [PROVIDER] }]);
    expect(ev.assumedBy[0]!.count).toBeGreaterThan(0);
    expect(ev.assumedBy[0]!.samples.length).toBeGreaterThan(0);
  });

  it('verify replays every link against the trusts written: all allowed', () => {
    const { code, report } = verify(profileFile);
    expect(code).toBe(0);
    expect(report.notAllowed).toEqual([]);
    // Without the trust files (the index naming none), the 5 service accounts' links, Lambda's assumption of the
    // thumbnailer's role, the 3 subjects of GitHub Actions workflows, the 3 on-call engineers' SAML sign-ins and the 19
    // identities of the mobile app's Cognito pool are not judged: 31 fewer accesses.
    const bare = join(tmp(), 'policy');
    cpSync(tree, bare, { recursive: true });
    const indexFile = join(bare, `iam/${A}/index.json`);
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as IamIndex;
    for (const e of index.principals) {
      if (e.trust) rmSync(join(bare, `iam/${A}`, e.trust));
      delete e.trust;
    }
    writeFileSync(indexFile, JSON.stringify(index));
    const without = verify(profileFile, bare).report;
    expect(report.byKind['iam']!.observed - without.byKind['iam']!.observed).toBe(31);
    expect(report.byKind['iam']!.allowed).toBe(report.byKind['iam']!.observed);
  });

  it('a service account never seen assuming a role is denied by its trust, saying why', async () => {
    const held = await edited((p) => {
      const web = sa(p, 'shop', 'web');
      web.assumes = [{ ...structuredClone(sa(p, 'shop', 'cart').assumes![0]!) }];
    });
    const { code, report } = verify(held);
    expect(code).toBe(1);
    expect(report.notAllowed.map((f) => [f.subject, f.access])).toEqual([
      [
        'system:serviceaccount:shop:web',
        {
          action: 'sts:AssumeRoleWithWebIdentity',
          resource: `arn:aws:iam::${A}:role/shop-cart`,
          events: ['sts.amazonaws.com AssumeRoleWithWebIdentity'],
        },
      ],
    ]);
    expect(report.notAllowed[0]!.detail).toContain('no statement allows sts:AssumeRoleWithWebIdentity');
  });

  it('a profile without providers writes no IRSA trust, and says so', async () => {
    const old = await edited((x) => x.principals.forEach((q) => q.assumes?.forEach((l) => delete l.providers)));
    const out = join(tmp(), 'policy');
    const r = cli(['generate', 'iam', '--profile', old, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no IRSA statement for shop/cart: the records name no OIDC provider');
    const index = JSON.parse(readFileSync(join(out, `iam/${A}/index.json`), 'utf8')) as IamIndex;
    // (Trusts of roles no service account assumes are written as before.)
    expect(index.principals.filter((e) => e.trust).map((e) => e.name)).toEqual([
      'github-release',
      'oncall',
      'payments-api',
      'shop-mobile-uploads',
      'thumbnailer-exec',
    ]);
  });

  it('diff of two trees: a trust that lets another service account in is new access', async () => {
    const wider = await edited((p) => {
      sa(p, 'shop', 'web').assumes = [structuredClone(sa(p, 'shop', 'cart').assumes![0]!)];
    });
    const head = join(tmp(), 'policy');
    expect(cli(['generate', 'iam', '--profile', wider, '-o', head, '-q']).code).toBe(0);
    const d = cli(['diff', tree, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'granted']);
    expect(d.code).toBe(1);
    const r = JSON.parse(d.stdout) as { newAccess: { principal: string; summary: string }[] };
    expect(r.newAccess.map((f) => f.summary)).toEqual([
      'sts:AssumeRoleWithWebIdentity by system:serviceaccount:shop:web: statement ServiceAccountTokens lets it in',
    ]);
  });
});

describe('the trust written allows exactly what it was made from', () => {
  it('every link it was made from is allowed by the evaluator; every other service account denied', () => {
    const links = [
      { serviceAccount: 'shop/cart', via: 'irsa' as const, providers: [PROVIDER] },
      {
        serviceAccount: 'shop/web',
        via: 'irsa' as const,
        providers: [PROVIDER, `arn:aws:iam::${A}:oidc-provider/b.example/id/X`],
      },
      { serviceAccount: 'pay/api', via: 'pod-identity' as const },
      { serviceAccount: 'pay/worker', via: 'pod-identity' as const },
      { serviceAccount: 'ops/job', via: 'pod-identity' as const },
    ].map((l) => ({ ...l, evidence: { count: 1, firstSeen: '', lastSeen: '', stages: {}, samples: [] } }));
    const { document, noProvider } = trustPolicy(links);
    expect(noProvider).toEqual([]);
    const st = readTrust(document);
    if (typeof st === 'string') throw new Error(st);
    for (const l of links) {
      const [namespace, serviceAccount] = l.serviceAccount.split('/') as [string, string];
      expect(evaluateTrust(st, { via: l.via, namespace, serviceAccount }).result, l.serviceAccount).toBe('allow');
    }
    // Other names, other namespaces, the other mechanism, and the cross of two namespaces' lists: denied.
    for (const [via, namespace, serviceAccount] of [
      ['irsa', 'shop', 'other'],
      ['irsa', 'pay', 'api'],
      ['pod-identity', 'shop', 'cart'],
      ['pod-identity', 'pay', 'job'],
      ['pod-identity', 'ops', 'api'],
    ] as const)
      expect(
        evaluateTrust(st, { via, namespace, serviceAccount }).result,
        `${via} ${namespace}/${serviceAccount}`,
      ).toBe('deny');
  });

  it('the index refuses a trust for a user, or one outside its directory', () => {
    const index = (trust: string, kind: 'role' | 'user' = 'role'): IamIndex => ({
      apiVersion: 'audit2policy.dev/v1alpha1',
      kind: 'IamPolicyIndex',
      account: A,
      principals: [
        { arn: `arn:aws:iam::${A}:${kind}/app`, kind, name: 'app', path: '/', policies: ['role/app.json'], trust },
      ],
    });
    expect(iamIndexProblem(index('role/app.trust.json'))).toBeUndefined();
    expect(iamIndexProblem(index('role/app.trust.json', 'user'))).toContain('only a role has a trust policy');
    expect(iamIndexProblem(index('../../etc/x.json'))).toContain('trust');
    expect(iamIndexProblem(index('role/app.json'))).toContain('also among its policies');
  });
});
