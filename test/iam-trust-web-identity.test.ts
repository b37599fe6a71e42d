import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IamAccess, VerifyReport } from '../src/model/finding.js';
import { evaluateTrust, readTrust } from '../src/verify/iam/trust.js';
import { releaseTagPattern } from '../src/knowledge/aws/webIdentitySubjects.js';
import { globMatch, globWithin } from '../src/util/glob.js';
import { cli, tmp } from './helpers/cli.js';
import { accountOf, roleDetail, trailFile } from './helpers/iamAccount.js';
import { decodeOne, decodeRefused, record } from './helpers/cloudtrailRecords.js';

/**
 * Roles assumed with a web identity token that is no Kubernetes service account's: a GitHub Actions workflow
 * (`configure-aws-credentials` calling AssumeRoleWithWebIdentity with the job's OIDC token), or a token of a provider
 * IAM knows without an ARN (Google). CloudTrail logs them with `userIdentity.type` WebIdentityUser, the provider in
 * `identityProvider` (the OIDC provider's ARN for GitHub, `accounts.google.com` for Google), the token's subject in
 * `userName`, and STS's answer (`subjectFromWebIdentityToken`, `audience`, `provider`) in `responseElements`, as the
 * CloudTrail User Guide's AssumeRoleWithWebIdentity example and GitHub's own records show. Before, these were dropped,
 * so a trust generated for a role a workflow also assumes would have locked the workflow out.
 */
const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/ci/release`;
const GITHUB = 'token.actions.githubusercontent.com';
const PROVIDER = `arn:aws:iam::${A}:oidc-provider/${GITHUB}`;
const MAIN = 'repo:acme/shop:ref:refs/heads/main';
const TAG = 'repo:acme/shop:ref:refs/tags/v1.4.0';
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

/** A workflow's AssumeRoleWithWebIdentity, as GitHub's records of it are shaped. */
const byWorkflow = (subject: string, more: Record<string, unknown> = {}, answer: Record<string, unknown> = {}) =>
  record(
    'sts.amazonaws.com',
    'AssumeRoleWithWebIdentity',
    { roleArn: ROLE, roleSessionName: 'GitHubActions', durationSeconds: 3600 },
    {
      userIdentity: {
        type: 'WebIdentityUser',
        principalId: `${PROVIDER}:sts.amazonaws.com:${subject}`,
        userName: subject,
        identityProvider: PROVIDER,
      },
      userAgent: 'aws-sdk-nodejs/2.1692.0 linux/v20.18.1 configure-aws-credentials-for-github-actions promise',
      readOnly: true,
      responseElements: {
        subjectFromWebIdentityToken: subject,
        assumedRoleUser: {
          assumedRoleId: 'AROAEXAMPLEEXAMPLE07:GitHubActions',
          arn: `arn:aws:sts::${A}:assumed-role/release/GitHubActions`,
        },
        provider: PROVIDER,
        audience: 'sts.amazonaws.com',
        ...answer,
      },
      resources: [{ accountId: A, type: 'AWS::IAM::Role', ARN: ROLE }],
      ...more,
    },
  );

/** The CloudTrail User Guide's example: a Google token, the provider named by its host. */
const byGoogle = () =>
  record(
    'sts.amazonaws.com',
    'AssumeRoleWithWebIdentity',
    { roleArn: ROLE, roleSessionName: 'app-session', durationSeconds: 3600 },
    {
      userIdentity: {
        type: 'WebIdentityUser',
        principalId: 'accounts.google.com:app-1234.apps.googleusercontent.com:108234557261937716111',
        userName: '108234557261937716111',
        identityProvider: 'accounts.google.com',
      },
      responseElements: {
        provider: 'accounts.google.com',
        subjectFromWebIdentityToken: '108234557261937716111',
        audience: 'app-1234.apps.googleusercontent.com',
      },
    },
  );

/** The role's own call, as a session of it. */
const ownCall = (more: Record<string, unknown> = {}) =>
  record(
    'ecr.amazonaws.com',
    'PutImage',
    { repositoryName: 'shop/web', imageTag: 'v1.4.0' },
    {
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEEXAMPLE07:GitHubActions',
        arn: `arn:aws:sts::${A}:assumed-role/release/GitHubActions`,
        accountId: A,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEEXAMPLE07',
            arn: ROLE,
            accountId: A,
            userName: 'release',
          },
        },
      },
      ...more,
    },
  );

const one = decodeOne;

describe('AssumeRoleWithWebIdentity as CloudTrail logs it', () => {
  it('a workflow or a Google token is a web identity link; a service account stays an IRSA link', () => {
    expect(one(byWorkflow(MAIN)).webIdentityLink).toEqual({
      roleArn: ROLE,
      provider: PROVIDER,
      subject: MAIN,
      audience: 'sts.amazonaws.com',
    });
    expect(one(byGoogle()).webIdentityLink).toEqual({
      roleArn: ROLE,
      provider: 'accounts.google.com',
      subject: '108234557261937716111',
      audience: 'app-1234.apps.googleusercontent.com',
    });
    // The answer alone (an Athena table's userIdentity without the provider and the user's name).
    const bare = byWorkflow(MAIN);
    bare['userIdentity'] = { type: 'WebIdentityUser' };
    expect(one(bare).webIdentityLink).toMatchObject({ provider: PROVIDER, subject: MAIN });
    // A denied call is no link; a service account's token is IRSA's, as before.
    expect(one(byWorkflow(MAIN, { errorCode: 'AccessDenied', errorMessage: 'no' })).webIdentityLink).toBeUndefined();
    const sa = one(byWorkflow('system:serviceaccount:shop:web'));
    expect(sa.webIdentityLink).toBeUndefined();
    expect(sa.link).toMatchObject({ namespace: 'shop', serviceAccount: 'web', via: 'irsa' });
  });

  it.each([
    ['a policy variable in the subject', byWorkflow(`\${${GITHUB}:sub}`), /subject .* policy variable/],
    ['a control character in the subject', byWorkflow('repo:acme/shop\u0000:ref'), /control character/],
    [
      'a provider that is neither an ARN nor one IAM knows',
      byWorkflow(MAIN, {
        userIdentity: { type: 'WebIdentityUser', userName: MAIN, identityProvider: 'https://evil.example' },
      }),
      /web identity provider .* neither the ARN of an IAM OIDC provider/,
    ],
    ['a policy variable in the audience', byWorkflow(MAIN, {}, { audience: '${aws:username}' }), /audience/],
  ])('a record with %s is refused, naming the file and line', (_n, rec, message) => {
    expect(decodeRefused(rec, 'cloudtrail.bad-name').message).toMatch(message);
  });
});

describe('the trust evaluator for web identities', () => {
  const judge = (trust: unknown, subject: string, audience?: string) => {
    const st = readTrust(trust);
    if (typeof st === 'string') throw new Error(st);
    return evaluateTrust(st, { via: 'web-identity', issuer: GITHUB, subject, ...(audience ? { audience } : {}) })
      .result;
  };
  const allow = (Condition?: unknown, Federated: unknown = PROVIDER) => ({
    Effect: 'Allow',
    Principal: { Federated },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(Condition ? { Condition } : {}),
  });
  const aud = { [`${GITHUB}:aud`]: 'sts.amazonaws.com' };
  it.each([
    ['the subject and audience', doc(allow({ StringEquals: { ...aud, [`${GITHUB}:sub`]: MAIN } })), MAIN, 'allow'],
    ['another branch', doc(allow({ StringEquals: { ...aud, [`${GITHUB}:sub`]: MAIN } })), TAG, 'deny'],
    ['a pattern', doc(allow({ StringLike: { [`${GITHUB}:sub`]: 'repo:acme/shop:*' } })), TAG, 'allow'],
    ['no condition at all', doc(allow()), TAG, 'allow'],
    ['another audience', doc(allow({ StringEquals: { [`${GITHUB}:aud`]: 'sigstore' } })), MAIN, 'deny'],
    ['another provider', doc(allow(undefined, `arn:aws:iam::${A}:oidc-provider/gitlab.example.com`)), MAIN, 'deny'],
    [
      'an IRSA issuer only',
      doc(allow(undefined, `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X`)),
      MAIN,
      'deny',
    ],
    [
      'a key the profile does not hold',
      doc(allow({ StringEquals: { [`${GITHUB}:actor`]: 'octocat' } })),
      MAIN,
      'undetermined',
    ],
    [
      'a Deny of pull requests',
      doc(allow(), { ...allow({ StringLike: { [`${GITHUB}:sub`]: '*:pull_request' } }), Effect: 'Deny' }),
      'repo:acme/shop:pull_request',
      'deny',
    ],
  ])('%s', (_name, trust, subject, want) => expect(judge(trust, subject, 'sts.amazonaws.com')).toBe(want));

  it('an audience the records did not say is undetermined where the trust asks for one', () => {
    const trust = doc(allow({ StringEquals: { ...aud, [`${GITHUB}:sub`]: MAIN } }));
    expect(judge(trust, MAIN)).toBe('undetermined');
    expect(judge(doc(allow({ StringEquals: { [`${GITHUB}:sub`]: MAIN } })), MAIN)).toBe('allow');
  });

  it('a provider IAM knows without an ARN is named by its host', () => {
    const st = readTrust(
      doc({
        Effect: 'Allow',
        Principal: { Federated: 'accounts.google.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'accounts.google.com:aud': 'app-1234.apps.googleusercontent.com' } },
      }),
    );
    if (typeof st === 'string') throw new Error(st);
    const req = { via: 'web-identity', issuer: 'accounts.google.com', subject: '1082' } as const;
    expect(evaluateTrust(st, { ...req, audience: 'app-1234.apps.googleusercontent.com' }).result).toBe('allow');
    expect(evaluateTrust(st, { ...req, audience: 'other-app' }).result).toBe('deny');
  });
});

const trail = trailFile;
const soak = () => trail([byWorkflow(MAIN), byWorkflow(MAIN), byWorkflow(TAG), byGoogle(), ownCall()]);

describe('profile, merge, generate, verify', () => {
  it('the profile keeps each subject with evidence; merging shards in either order gives the same bytes', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    expect(cli(['profile', '--cloudtrail', soak(), '-o', p]).code).toBe(0);
    const text = readFileSync(p, 'utf8');
    const lines = text.trim().split('\n');
    const kept = lines
      .filter((l) => l.startsWith('{"webIdentityAssumption"'))
      .map((l) => (JSON.parse(l) as { webIdentityAssumption: Record<string, unknown> }).webIdentityAssumption);
    expect(
      kept.map((k) => [k['provider'], k['subject'], k['audience'], (k['evidence'] as { count: number }).count]),
    ).toEqual([
      ['accounts.google.com', '108234557261937716111', 'app-1234.apps.googleusercontent.com', 1],
      [PROVIDER, MAIN, 'sts.amazonaws.com', 2],
      [PROVIDER, TAG, 'sts.amazonaws.com', 1],
    ]);
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ end: { webIdentityAssumptions: 3 } });
    // The web identities are still no principals: their records are counted as federation.
    expect(text).toContain('"federation":4');
    const day2 = join(out, 'd2.json');
    const late = { eventTime: '2026-11-03T09:00:00Z' };
    cli([
      'profile',
      '--cloudtrail',
      trail([byWorkflow(MAIN, late), byWorkflow('repo:acme/shop:environment:prod', late)]),
      '-o',
      day2,
    ]);
    const [ab, ba] = [join(out, 'ab.json'), join(out, 'ba.json')];
    expect(cli(['merge', p, day2, '-o', ab]).code).toBe(0);
    expect(cli(['merge', day2, p, '-o', ba]).code).toBe(0);
    expect(readFileSync(ab, 'utf8')).toBe(readFileSync(ba, 'utf8'));
    const merged = readFileSync(ab, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"webIdentityAssumption"'))
      .map((l) => JSON.parse(l) as { webIdentityAssumption: { subject: string; evidence: { count: number } } })
      .map((x) => [x.webIdentityAssumption.subject, x.webIdentityAssumption.evidence.count]);
    expect(merged).toEqual([
      ['108234557261937716111', 1],
      ['repo:acme/shop:environment:prod', 1],
      [MAIN, 3],
      [TAG, 1],
    ]);
  });

  it('--exact: the trust names exactly the subjects seen, per provider and audience; verify replays them', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--exact', '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trustFile = join(out, 'policy', `iam/${A}/role/release.trust.json`);
    expect(JSON.parse(readFileSync(trustFile, 'utf8'))).toEqual(
      doc(
        {
          Sid: 'WebIdentityTokens',
          Effect: 'Allow',
          Principal: { Federated: 'accounts.google.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'accounts.google.com:sub': '108234557261937716111',
              'accounts.google.com:aud': 'app-1234.apps.googleusercontent.com',
            },
          },
        },
        {
          Sid: 'WebIdentityTokens2',
          Effect: 'Allow',
          Principal: { Federated: PROVIDER },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${GITHUB}:sub`]: [MAIN, TAG], [`${GITHUB}:aud`]: 'sts.amazonaws.com' } },
        },
      ),
    );
    const evidence = JSON.parse(readFileSync(join(out, 'policy', `evidence/iam/${A}/role/release.json`), 'utf8')) as {
      assumedBy: unknown[];
    };
    expect(evidence.assumedBy).toEqual([
      expect.objectContaining({ webIdentity: '108234557261937716111', via: 'web-identity' }),
      expect.objectContaining({ webIdentity: MAIN, via: 'web-identity', provider: PROVIDER, count: 2 }),
      expect.objectContaining({ webIdentity: TAG, via: 'web-identity', audience: 'sts.amazonaws.com', count: 1 }),
    ]);
    const ok = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect((JSON.parse(ok.stdout) as VerifyReport).byKind['iam']).toEqual({ observed: 4, allowed: 4 });
    // The trust without the tag's subject: the release workflow of the tag would be locked out.
    const t = JSON.parse(readFileSync(trustFile, 'utf8')) as {
      Statement: { Condition: { StringEquals: Record<string, unknown> } }[];
    };
    t.Statement[1]!.Condition.StringEquals[`${GITHUB}:sub`] = MAIN;
    writeFileSync(trustFile, JSON.stringify(t));
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(
      report.notAllowed.map((f) => [f.subject, f.subjectKind, (f.access as IamAccess).action, f.evidence.count]),
    ).toEqual([[TAG, 'WebIdentityUser', 'sts:AssumeRoleWithWebIdentity', 1]]);
    expect(report.notAllowed[0]!.detail).toMatch(/does not let the token of token\.actions\.githubusercontent\.com/);
  });

  it('--map rewrites the provider and the role; the report says who assumed the role', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--map', `${A}=999988887777`, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trust = JSON.parse(readFileSync(join(out, 'policy', 'iam/999988887777/role/release.trust.json'), 'utf8')) as {
      Statement: { Principal: unknown }[];
    };
    expect(trust.Statement.map((s) => s.Principal)).toEqual([
      { Federated: 'accounts.google.com' },
      { Federated: `arn:aws:iam::999988887777:oidc-provider/${GITHUB}` },
      { Federated: `arn:aws:iam::999988887777:oidc-provider/${GITHUB}` },
    ]);
    const r = cli(['report', '--profile', p, '-o', join(out, 'r.md')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'r.md'), 'utf8')).toContain(
      `assumed by \` ${MAIN} \` \\(web identity of ${GITHUB}, 2×\\)`,
    );
  });

  it('a subject with markup stays a string in JSON and is escaped in the HTML report', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    const hostile = 'repo:acme/<img src=x onerror=alert(1)>:ref:refs/heads/"main"';
    cli(['profile', '--cloudtrail', trail([byWorkflow(hostile), ownCall()]), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trust = JSON.parse(readFileSync(join(out, 'policy', `iam/${A}/role/release.trust.json`), 'utf8')) as {
      Statement: { Condition: { StringEquals: Record<string, unknown> } }[];
    };
    expect(trust.Statement[0]!.Condition.StringEquals[`${GITHUB}:sub`]).toBe(hostile);
    const r = cli(['report', '--profile', p, '-o', join(out, 'r.html')]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(out, 'r.html'), 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('--subject keeps the assumptions of the roles it chooses only', () => {
    const out = tmp();
    const kept = (glob: string) => {
      const p = join(out, 'p.json');
      expect(cli(['profile', '--cloudtrail', soak(), '--subject', glob, '-o', p]).code).toBe(0);
      return readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"webIdentityAssumption"')).length;
    };
    expect(kept('arn:aws:iam::*:role/ci/*')).toBe(3);
    expect(kept('arn:aws:iam::*:role/payments-*')).toBe(0);
  });

  it('the reader refuses a web identity assumption with a policy variable, naming the line', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const bad = text.replace(`"subject":"${TAG}"`, `"subject":"\${${GITHUB}:sub}"`);
    expect(bad).not.toBe(text);
    const line = bad.split('\n').findIndex((l) => l.includes('${')) + 1;
    const f = join(out, 'bad.json');
    writeFileSync(f, bad);
    const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`bad\\.json:${line}: not a valid profile: .*policy variable`));
  });
});

describe('release tags: made up per release', () => {
  it.each([
    [TAG, 'repo:acme/shop:ref:refs/tags/v*'],
    ['repo:acme/shop:ref:refs/tags/1.4.0', 'repo:acme/shop:ref:refs/tags/*'],
    ['repo:acme/shop:ref:refs/tags/release-2026.11', 'repo:acme/shop:ref:refs/tags/release-*'],
    ['repo:acme/shop:ref:refs/tags/v2.0.0-rc.1', 'repo:acme/shop:ref:refs/tags/v*'],
    [MAIN, undefined],
    ['repo:acme/shop:ref:refs/tags/stable', undefined],
    ['repo:acme/shop:ref:refs/tags/v1', undefined],
    ['repo:acme/shop:pull_request', undefined],
    ['repo:acme/shop:environment:prod', undefined],
    ['repo:acme/*:ref:refs/tags/v1.0.0', undefined],
    ['repo:acme/shop:ref:refs/tags/v1.0.0?', undefined],
    ['repo:acme/shop:ref:refs/tags/${aws:username}1.0.0', undefined],
  ])('%s', (subject, want) => expect(releaseTagPattern(subject)).toBe(want));

  it('a release tag is written as a pattern and listed; --exact keeps it; a later release is allowed', () => {
    const out = tmp();
    const at = (d: number) => ({ eventTime: `2026-11-0${d}T08:00:00Z` });
    const logs = trail([byWorkflow(MAIN, at(2)), byWorkflow(TAG, at(2)), ownCall(at(2)), byWorkflow(MAIN, at(4))]);
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', logs, '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout + g.stderr).toContain(`sts:AssumeRoleWithWebIdentity: ${TAG} → repo:acme/shop:ref:refs/tags/v*`);
    const trust = JSON.parse(readFileSync(join(out, 'policy', `iam/${A}/role/release.trust.json`), 'utf8')) as {
      Statement: unknown[];
    };
    expect(trust.Statement).toEqual([
      {
        Sid: 'WebIdentityTokens',
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${GITHUB}:sub`]: MAIN, [`${GITHUB}:aud`]: 'sts.amazonaws.com' } },
      },
      {
        Sid: 'WebIdentityReleaseTags',
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' },
          StringLike: { [`${GITHUB}:sub`]: 'repo:acme/shop:ref:refs/tags/v*' },
        },
      },
    ]);
    const evidence = JSON.parse(readFileSync(join(out, 'policy', `evidence/iam/${A}/role/release.json`), 'utf8')) as {
      widenings: { option: string }[];
    };
    expect(evidence.widenings).toEqual([expect.objectContaining({ option: 'generated-keys' })]);
    const exact = cli(['generate', 'iam', '--profile', p, '--exact', '-o', join(out, 'exact')]);
    expect(readFileSync(join(out, 'exact', `iam/${A}/role/release.trust.json`), 'utf8')).not.toContain('StringLike');
    expect(exact.stdout + exact.stderr).not.toContain('→ repo:acme');
    // Held out: the next release's tag. Allowed by the pattern; with --exact, breakage.
    const next = trail([
      byWorkflow(MAIN, at(2)),
      byWorkflow(TAG, at(2)),
      ownCall(at(2)),
      byWorkflow('repo:acme/shop:ref:refs/tags/v1.5.0', at(4)),
    ]);
    const run = (...extra: string[]) =>
      JSON.parse(
        cli(['backtest', '--cloudtrail', next, '--split', '2026-11-03T00:00:00Z', '--format', 'json', ...extra]).stdout,
      ) as { observed: number; allowed: number };
    expect([run().observed, run().allowed]).toEqual([1, 1]);
    expect([run('--exact').observed, run('--exact').allowed]).toEqual([1, 0]);
  });
});

describe('backtest: a branch never seen', () => {
  it('the subject seen in training is allowed on the held-out days; a new one is breakage', () => {
    const at = (d: number) => ({ eventTime: `2026-11-0${d}T08:00:00Z` });
    const r = cli([
      'backtest',
      '--cloudtrail',
      trail([byWorkflow(MAIN, at(2)), ownCall(at(2)), byWorkflow(MAIN, at(4)), byWorkflow(TAG, at(4))]),
      '--split',
      '2026-11-03T00:00:00Z',
      '--format',
      'json',
    ]);
    const out = JSON.parse(r.stdout) as { observed: number; allowed: number; byPrincipal: Record<string, unknown> };
    expect([out.observed, out.allowed]).toEqual([2, 1]);
    expect(out.byPrincipal[TAG]).toMatchObject({ observed: 1, allowed: 0 });
    expect(out.byPrincipal[MAIN]).toMatchObject({ observed: 1, allowed: 1 });
  });
});

/** The release role as an account holds it (`get-account-authorization-details`), with this trust. */
const account = (trust: unknown, action = 'ecr:PutImage') =>
  accountOf(roleDetail(ROLE, trust, action, 'AROAEXAMPLEEXAMPLE07'));

describe('check and diff: the web identities a trust lets in', () => {
  const check = (trust: unknown) => {
    const dir = tmp();
    const file = join(dir, 'account.json');
    writeFileSync(file, JSON.stringify(account(trust)));
    const p = join(dir, 'p.json');
    cli(['profile', '--cloudtrail', trail([byWorkflow(MAIN), ownCall()]), '-o', p]);
    const r = cli(['check', '--policies', file, '--profile', p, '--format', 'json', '--fail-on', 'would-deny']);
    const report = JSON.parse(r.stdout) as {
      unused: { summary: string; risk?: { level: string; reasons: string[] } }[];
      wouldDeny: unknown[];
    };
    return { code: r.code, report, dir, file, p };
  };
  const fed = (Condition?: unknown) => ({
    Effect: 'Allow',
    Principal: { Federated: PROVIDER },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(Condition ? { Condition } : {}),
  });

  it('a trust without a condition on the subject lets any repository in: high', () => {
    const { code, report } = check(doc(fed({ StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' } })));
    expect(code).toBe(0);
    const f = report.unused.filter((x) => x.summary.startsWith('sts:AssumeRoleWithWebIdentity'));
    expect(f.map((x) => [x.summary, x.risk?.level])).toEqual([
      [
        `sts:AssumeRoleWithWebIdentity by any token of ${GITHUB}: statement #0 sets no condition on the token's subject (${GITHUB}:sub); assumed in the logs by ${MAIN}`,
        'high',
      ],
    ]);
    expect(f[0]!.risk!.reasons[0]).toMatch(/any repository/);
  });

  it('a pattern is medium; the exact subject seen is used; one never seen is listed without a risk', () => {
    const { report } = check(
      doc(
        fed({ StringLike: { [`${GITHUB}:sub`]: 'repo:acme/*' } }),
        fed({ StringEquals: { [`${GITHUB}:sub`]: [MAIN, TAG], [`${GITHUB}:aud`]: 'sts.amazonaws.com' } }),
      ),
    );
    const f = report.unused.filter((x) => x.summary.startsWith('sts:AssumeRoleWithWebIdentity'));
    expect(f.map((x) => [x.summary, x.risk?.level])).toEqual([
      [
        'sts:AssumeRoleWithWebIdentity by repo:acme/*: statement #0 lets in every subject the pattern matches; assumed in the logs by ' +
          MAIN,
        'medium',
      ],
      [`sts:AssumeRoleWithWebIdentity by ${TAG}: statement #1 lets it in; never assumed by it in the logs`, undefined],
    ]);
  });

  it('a diff against the generated trust removes the subject never seen and keeps the one seen', () => {
    const { dir, file, p } = check(
      doc(fed({ StringEquals: { [`${GITHUB}:sub`]: [MAIN, TAG], [`${GITHUB}:aud`]: 'sts.amazonaws.com' } })),
    );
    expect(cli(['generate', 'iam', '--profile', p, '-o', join(dir, 'policy')]).code).toBe(0);
    const d = cli(['diff', file, join(dir, 'policy', 'iam'), '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const diff = JSON.parse(d.stdout) as { removedAccess: { summary: string }[]; newAccess: { summary: string }[] };
    const trustOnly = (l: { summary: string }[]) =>
      l.filter((f) => f.summary.startsWith('sts:AssumeRoleWithWebIdentity')).map((f) => f.summary);
    expect(trustOnly(diff.removedAccess)).toEqual([`sts:AssumeRoleWithWebIdentity by ${TAG}: statement #0 lets it in`]);
    expect(trustOnly(diff.newAccess)).toEqual([]);
  });
});

describe("diff: a generated release-tag pattern within the account's pattern", () => {
  it('is no new access; the broader pattern is removed', () => {
    const dir = tmp();
    const file = join(dir, 'account.json');
    const trust = doc({
      Effect: 'Allow',
      Principal: { Federated: PROVIDER },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringLike: { [`${GITHUB}:sub`]: 'repo:acme/*' } },
    });
    writeFileSync(file, JSON.stringify(account(trust, 'ecr:*')));
    const p = join(dir, 'p.json');
    cli(['profile', '--cloudtrail', trail([byWorkflow(MAIN), byWorkflow(TAG), ownCall()]), '-o', p]);
    expect(cli(['generate', 'iam', '--profile', p, '-o', join(dir, 'policy')]).code).toBe(0);
    const d = cli(['diff', file, join(dir, 'policy', 'iam'), '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const diff = JSON.parse(d.stdout) as { removedAccess: { summary: string }[]; newAccess: { summary: string }[] };
    const trustOnly = (l: { summary: string }[]) =>
      l.filter((f) => f.summary.startsWith('sts:AssumeRoleWithWebIdentity')).map((f) => f.summary);
    expect(trustOnly(diff.newAccess)).toEqual([]);
    expect(trustOnly(diff.removedAccess)).toEqual([
      'sts:AssumeRoleWithWebIdentity by repo:acme/*: statement #0 lets in every subject the pattern matches',
    ]);
  });
});

describe('one subject pattern within another (a diff keeps a narrower pattern quiet)', () => {
  it.each([
    ['repo:acme/shop:ref:refs/tags/v*', 'repo:acme/*', true],
    ['repo:acme/shop:ref:refs/tags/v*', 'repo:acme/shop:ref:refs/tags/v*', true],
    ['repo:acme/shop:ref:refs/tags/v*', '*', true],
    ['repo:acme/*', 'repo:acme/shop:ref:refs/tags/v*', false],
    ['repo:acme/shop:*', 'repo:acme/shop:ref:*', false],
    ['a?c', 'a*c', true],
    ['a*c', 'a?c', false],
    ['a?c', 'abc', false],
    ['abc', 'a?c', true],
    ['a?c', 'a?c', true],
  ])('%s within %s: %s', (inner, outer, want) => expect(globWithin(inner, outer)).toBe(want));

  it('is sound: every string the inner pattern matches, the outer matches (2,000 random pairs)', () => {
    let state = 7;
    const rnd = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = ['a', 'b', '*', '?'];
    const pattern = () =>
      Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => alphabet[Math.floor(rnd() * 4)]!).join('');
    const instance = (p: string) =>
      [...p]
        .map((c) => (c === '*' ? 'ab'.slice(0, Math.floor(rnd() * 3)) : c === '?' ? 'ab'[Math.floor(rnd() * 2)]! : c))
        .join('');
    let within = 0;
    for (let i = 0; i < 2000; i++) {
      const [inner, outer] = [pattern(), pattern()];
      if (!globWithin(inner, outer)) continue;
      within++;
      for (let k = 0; k < 10; k++) {
        const s = instance(inner);
        expect(globMatch(outer, s), JSON.stringify([inner, outer, s])).toBe(true);
      }
    }
    expect(within).toBeGreaterThan(100);
  });
});
