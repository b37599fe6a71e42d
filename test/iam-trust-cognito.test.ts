import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IamAccess, VerifyReport } from '../src/model/finding.js';
import { evaluateTrust, readTrust, type TrustRequest } from '../src/verify/iam/trust.js';
import { cli, tmp } from './helpers/cli.js';
import { sectionEntries } from './helpers/profile.js';
import { decodeOne, decodeRefused } from './helpers/cloudtrailRecords.js';
import { accountOf, roleDetail, trailFile } from './helpers/iamAccount.js';

/**
 * Web identity tokens that pass session tags, and Amazon Cognito identity pools. The record shapes follow two
 * published AssumeRoleWithWebIdentity records of a Cognito identity pool that maps a GitHub Actions token's claims to
 * session tags (the identity pool's id as the token's audience, an identity id as its subject, the tags in
 * `requestParameters.principalTags`), and the Cognito Developer Guide's role trust (`cognito-identity.amazonaws.com`,
 * the pool under `:aud`, `amr` under `ForAnyValue:StringLike`). Before, the tags were dropped, so the trust written
 * lacked `sts:TagSession` and locked the token out, and each identity id was named, locking out every new user.
 */
const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/app/uploads`;
const COGNITO = 'cognito-identity.amazonaws.com';
const POOL = 'eu-west-1:14deebd0-19f8-4295-a55e-8b36e60b4926';
const ID1 = 'eu-west-1:f33550b0-d103-4ff1-9319-1745fea988da';
const ID2 = 'eu-west-1:0b7c2a61-5b1e-4c2e-9d7e-7a43c2d1e0f2';
const ID3 = 'eu-west-1:9e1f0d44-2c3b-4a5d-8e6f-112233445566';
const GITHUB = 'token.actions.githubusercontent.com';
const GH_PROVIDER = `arn:aws:iam::${A}:oidc-provider/${GITHUB}`;
const MAIN = 'repo:acme/shop:ref:refs/heads/main';
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const TAGS = { actor: 'jane', repository: 'acme/shop', ref: 'refs/heads/main' };

let n = 0;
/** An AssumeRoleWithWebIdentity record as the published Cognito ones are shaped. */
function byToken(
  subject: string,
  o: {
    provider?: string;
    audience?: string;
    params?: Record<string, unknown>;
    more?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  n++;
  const provider = o.provider ?? COGNITO;
  const audience = o.audience ?? POOL;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'WebIdentityUser',
      principalId: `${provider}:${audience}:${subject}`,
      userName: subject,
      identityProvider: provider,
    },
    eventTime: `2026-11-02T08:${String(n % 60).padStart(2, '0')}:00Z`,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithWebIdentity',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.9',
    userAgent: 'aws-sdk-js/3.600.0',
    requestParameters: { roleArn: ROLE, roleSessionName: 'CognitoIdentityCredentials', ...o.params },
    responseElements: {
      credentials: { accessKeyId: 'ASIAEXAMPLE', sessionToken: 'x', expiration: 'Nov 2, 2026, 9:21:21 AM' },
      subjectFromWebIdentityToken: subject,
      assumedRoleUser: {
        assumedRoleId: 'AROAEXAMPLEEXAMPLE21:CognitoIdentityCredentials',
        arn: `arn:aws:sts::${A}:assumed-role/uploads/CognitoIdentityCredentials`,
      },
      provider,
      audience,
    },
    requestID: `req-${n}`,
    eventID: `token-${n}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: A,
    ...o.more,
  };
}

/** A GitHub Actions token (an IAM OIDC provider), with or without session tags. */
const byWorkflow = (params: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
  byToken(MAIN, { provider: GH_PROVIDER, audience: 'sts.amazonaws.com', params, more });

/** The role's own call, by one of its sessions. */
const ownCall = (more: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEEXAMPLE21:CognitoIdentityCredentials',
    arn: `arn:aws:sts::${A}:assumed-role/uploads/CognitoIdentityCredentials`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEEXAMPLE21',
        arn: ROLE,
        accountId: A,
        userName: 'uploads',
      },
    },
  },
  eventTime: '2026-11-02T09:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.9',
  requestParameters: { bucketName: 'acme-uploads', key: 'incoming/a.jpg', Host: 'acme-uploads.s3.amazonaws.com' },
  responseElements: null,
  eventID: `own-${++n}`,
  eventType: 'AwsApiCall',
  recipientAccountId: A,
  ...more,
});

const at = (d: number) => ({ eventTime: `2026-11-0${d}T08:00:00Z` });

describe('AssumeRoleWithWebIdentity as CloudTrail logs it', () => {
  it('keeps the trust actions a token needed beyond the call: session tags, a source identity', () => {
    expect(decodeOne(byToken(ID1, { params: { principalTags: TAGS } })).webIdentityLink).toEqual({
      roleArn: ROLE,
      provider: COGNITO,
      subject: ID1,
      audience: POOL,
      actions: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
    });
    expect(decodeOne(byWorkflow({ sourceIdentity: 'jane' })).webIdentityLink!.actions).toEqual([
      'sts:AssumeRoleWithWebIdentity',
      'sts:SetSourceIdentity',
    ]);
    // No tags, no source identity: the link is as it was (and a profile's bytes with it).
    expect(decodeOne(byWorkflow()).webIdentityLink).toEqual({
      roleArn: ROLE,
      provider: GH_PROVIDER,
      subject: MAIN,
      audience: 'sts.amazonaws.com',
    });
    expect(decodeOne(byToken(ID1, { params: { principalTags: {} } })).webIdentityLink!.actions).toBeUndefined();
  });

  it('a pool id holding a policy variable is refused, naming the file and line', () => {
    expect(
      decodeRefused(byToken(ID1, { audience: '${cognito-identity.amazonaws.com:aud}' }), 'cloudtrail.bad-name').message,
    ).toMatch(/audience .*policy variable/);
  });
});

describe('the trust evaluator', () => {
  const judge = (trust: unknown, req: Partial<Extract<TrustRequest, { via: 'web-identity' }>> = {}) => {
    const st = readTrust(trust);
    if (typeof st === 'string') throw new Error(st);
    return evaluateTrust(st, { via: 'web-identity', issuer: COGNITO, subject: ID1, audience: POOL, ...req }).result;
  };
  const allow = (Condition?: unknown, Action: unknown = 'sts:AssumeRoleWithWebIdentity') => ({
    Effect: 'Allow',
    Principal: { Federated: COGNITO },
    Action,
    ...(Condition ? { Condition } : {}),
  });
  const pool = { [`${COGNITO}:aud`]: POOL };
  const tagged = { actions: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] };
  it.each([
    ['the pool', doc(allow({ StringEquals: pool })), {}, 'allow'],
    ['another pool', doc(allow({ StringEquals: { [`${COGNITO}:aud`]: 'eu-west-1:other' } })), {}, 'deny'],
    ['the identity named', doc(allow({ StringEquals: { ...pool, [`${COGNITO}:sub`]: ID1 } })), {}, 'allow'],
    ['another identity', doc(allow({ StringEquals: { ...pool, [`${COGNITO}:sub`]: ID1 } })), { subject: ID2 }, 'deny'],
    // amr (authenticated or not) is in the token, not in CloudTrail's record: not judged, never allowed.
    [
      'the pool and amr, as the Cognito Developer Guide writes it',
      doc(allow({ StringEquals: pool, 'ForAnyValue:StringLike': { [`${COGNITO}:amr`]: 'authenticated' } })),
      {},
      'undetermined',
    ],
    ['session tags without sts:TagSession', doc(allow({ StringEquals: pool })), tagged, 'deny'],
    [
      'session tags with sts:TagSession',
      doc(allow({ StringEquals: pool }, ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'])),
      tagged,
      'allow',
    ],
    [
      'sts:TagSession in a statement of its own on the pool (a published trust)',
      doc(allow({ StringEquals: pool }), allow({ StringEquals: pool }, 'sts:TagSession')),
      tagged,
      'allow',
    ],
  ])('%s', (_name, trust, req, want) => expect(judge(trust, req)).toBe(want));
});

const soak = () =>
  trailFile([
    byToken(ID1, { params: { principalTags: TAGS } }),
    byToken(ID1, { params: { principalTags: TAGS } }),
    byToken(ID2),
    byWorkflow({ principalTags: TAGS }),
    ownCall(),
  ]);

describe('profile, generate, verify', () => {
  const kept = (text: string) => sectionEntries(text, 'webIdentityAssumption');

  it('the profile keeps the actions; merging shards in either order gives the same bytes', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    expect(cli(['profile', '--cloudtrail', soak(), '-o', p]).code).toBe(0);
    expect(
      kept(readFileSync(p, 'utf8')).map((k) => [
        k['subject'],
        k['actions'],
        (k['evidence'] as { count: number }).count,
      ]),
    ).toEqual([
      // By provider: the GitHub provider's ARN, then Cognito's name.
      [MAIN, ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'], 1],
      [ID2, undefined, 1],
      [ID1, ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'], 2],
    ]);
    const day2 = join(out, 'd2.json');
    cli([
      'profile',
      '--cloudtrail',
      trailFile([byToken(ID3, { more: at(3) }), byToken(ID2, { more: at(3) })]),
      '-o',
      day2,
    ]);
    const [ab, ba] = [join(out, 'ab.json'), join(out, 'ba.json')];
    expect(cli(['merge', p, day2, '-o', ab]).code).toBe(0);
    expect(cli(['merge', day2, p, '-o', ba]).code).toBe(0);
    expect(readFileSync(ab, 'utf8')).toBe(readFileSync(ba, 'utf8'));
    expect(
      kept(readFileSync(ab, 'utf8')).map((k) => [k['subject'], (k['evidence'] as { count: number }).count]),
    ).toEqual([
      [MAIN, 1],
      [ID2, 2],
      [ID3, 1],
      [ID1, 2],
    ]);
  });

  it('the trust names the pool, not its identities (listed), and sts:TagSession where tags came; verify replays them', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout + g.stderr).toContain(
      `sts:AssumeRoleWithWebIdentity: any identity of Cognito identity pool ${POOL} (2 seen`,
    );
    const trustFile = join(out, 'policy', `iam/${A}/role/uploads.trust.json`);
    expect(JSON.parse(readFileSync(trustFile, 'utf8'))).toEqual(
      doc(
        {
          Sid: 'WebIdentityTokens',
          Effect: 'Allow',
          Principal: { Federated: GH_PROVIDER },
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
          Condition: { StringEquals: { [`${GITHUB}:sub`]: MAIN, [`${GITHUB}:aud`]: 'sts.amazonaws.com' } },
        },
        {
          Sid: 'CognitoIdentityPools',
          Effect: 'Allow',
          Principal: { Federated: COGNITO },
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
          Condition: { StringEquals: { [`${COGNITO}:aud`]: POOL } },
        },
      ),
    );
    const evidence = JSON.parse(readFileSync(join(out, 'policy', `evidence/iam/${A}/role/uploads.json`), 'utf8')) as {
      assumedBy: unknown[];
      widenings: { option: string; detail: string }[];
    };
    expect(evidence.widenings).toEqual([expect.objectContaining({ option: 'generated-keys' })]);
    expect(evidence.assumedBy).toContainEqual(
      expect.objectContaining({ webIdentity: MAIN, actions: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] }),
    );
    const ok = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect((JSON.parse(ok.stdout) as VerifyReport).byKind['iam']).toEqual({ observed: 4, allowed: 4 });
    // Without sts:TagSession, the workflow's tagged token would be refused.
    const t = JSON.parse(readFileSync(trustFile, 'utf8')) as { Statement: { Action: unknown }[] };
    t.Statement[0]!.Action = 'sts:AssumeRoleWithWebIdentity';
    writeFileSync(trustFile, JSON.stringify(t));
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.notAllowed.map((f) => [f.subject, f.subjectKind, (f.access as IamAccess).action])).toEqual([
      [MAIN, 'WebIdentityUser', 'sts:AssumeRoleWithWebIdentity'],
    ]);
    expect(report.notAllowed[0]!.detail).toMatch(/no statement allows sts:TagSession/);
    // --exact names the identities seen, and lists no widening.
    const exact = cli(['generate', 'iam', '--profile', p, '--exact', '-o', join(out, 'exact')]);
    expect(exact.stdout + exact.stderr).not.toContain('any identity of Cognito');
    const e = readFileSync(join(out, 'exact', `iam/${A}/role/uploads.trust.json`), 'utf8');
    expect(e).toContain(`"${COGNITO}:sub": "${ID1}"`);
  });

  it('the reader refuses an action that is no web identity trust action, naming the line', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const bad = text.replace(
      '"actions":["sts:AssumeRoleWithWebIdentity","sts:TagSession"]',
      '"actions":["sts:AssumeRoleWithWebIdentity","iam:*"]',
    );
    expect(bad).not.toBe(text);
    const line = bad.split('\n').findIndex((l) => l.includes('iam:*')) + 1;
    const f = join(out, 'bad.json');
    writeFileSync(f, bad);
    const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`bad\\.json:${line}: not a valid profile: .*sts:AssumeRoleWithWebIdentity followed by`),
    );
  });

  it('an entry that spells out the one action reads as one without: merge writes it one way', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const spelt = text.replace(
      `"subject":"${ID2}",`,
      `"subject":"${ID2}","actions":["sts:AssumeRoleWithWebIdentity"],`,
    );
    expect(spelt).not.toBe(text);
    const f = join(out, 'spelt.json');
    writeFileSync(f, spelt);
    const merged = join(out, 'm.json');
    const r = cli(['merge', f, p, '-o', merged]);
    expect(r.code, r.stderr).toBe(0);
    // Both entries of ID2 are one: its evidence counted once per event (the same records), no "actions" written.
    const entries = sectionEntries(readFileSync(merged, 'utf8'), 'webIdentityAssumption');
    expect(entries.filter((e) => e['subject'] === ID2)).toEqual([
      expect.not.objectContaining({ actions: expect.anything() }),
    ]);
  });

  it('--map rewrites the pool with the account; the report counts the identities', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const prod = 'eu-west-1:5a5a5a5a-0000-4000-8000-000000000001';
    const g = cli([
      'generate',
      'iam',
      '--profile',
      p,
      '--map',
      `${A}=999988887777`,
      `${POOL}=${prod}`,
      '-o',
      join(out, 'policy'),
    ]);
    expect(g.code, g.stderr).toBe(0);
    const trust = readFileSync(join(out, 'policy', 'iam/999988887777/role/uploads.trust.json'), 'utf8');
    expect(trust).toContain(prod);
    expect(trust).not.toContain(POOL);
    const md = cli(['report', '--profile', p, '-o', join(out, 'r.md')]);
    expect(md.code, md.stderr).toBe(0);
    expect(readFileSync(join(out, 'r.md'), 'utf8')).toContain(`assumed by 2 identities of Cognito identity pool`);
  });
});

describe('backtest: a user who first signs in after the soak', () => {
  it('is let in by the pool; with --exact, breakage', () => {
    const logs = trailFile([
      byToken(ID1, { more: at(2) }),
      ownCall(at(2)),
      byToken(ID1, { more: at(4) }),
      byToken(ID3, { more: at(4) }),
    ]);
    const run = (...more: string[]) => {
      const r = cli(['backtest', '--cloudtrail', logs, '--split', '2026-11-03T00:00:00Z', '--format', 'json', ...more]);
      const out = JSON.parse(r.stdout) as { observed: number; allowed: number };
      return [out.observed, out.allowed];
    };
    expect(run()).toEqual([2, 2]);
    expect(run('--exact')).toEqual([2, 1]);
  });
});

describe('check and diff: who a Cognito trust lets in', () => {
  const check = (trust: unknown) => {
    const dir = tmp();
    const file = join(dir, 'account.json');
    writeFileSync(file, JSON.stringify(accountOf(roleDetail(ROLE, trust, 's3:PutObject', 'AROAEXAMPLEEXAMPLE21'))));
    const p = join(dir, 'p.json');
    cli(['profile', '--cloudtrail', trailFile([byToken(ID1), ownCall()]), '-o', p]);
    const r = cli(['check', '--policies', file, '--profile', p, '--format', 'json']);
    const report = JSON.parse(r.stdout) as {
      unused: { summary: string; risk?: { level: string; reasons: string[] } }[];
      wouldDeny: { summary: string }[];
      undetermined: { summary: string }[];
    };
    const tokens = report.unused.filter((x) => x.summary.startsWith('sts:AssumeRoleWithWebIdentity'));
    return { report, tokens };
  };
  const fed = (Condition?: unknown) => ({
    Effect: 'Allow',
    Principal: { Federated: COGNITO },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(Condition ? { Condition } : {}),
  });

  it('the pool and no identity is low; no pool is high', () => {
    const { report, tokens } = check(doc(fed({ StringEquals: { [`${COGNITO}:aud`]: POOL } })));
    expect(report.wouldDeny).toEqual([]);
    expect(tokens.map((x) => [x.summary, x.risk?.level])).toEqual([
      [
        `sts:AssumeRoleWithWebIdentity by any identity of Cognito identity pool ${POOL}: statement #0 sets no condition on the identity (${COGNITO}:sub); assumed in the logs by 1 identity`,
        'low',
      ],
    ]);
    const none = check(doc(fed()));
    expect(none.tokens.map((x) => [x.summary.replace(/: statement.*/, ''), x.risk?.level])).toEqual([
      ['sts:AssumeRoleWithWebIdentity by any identity of any Cognito identity pool', 'high'],
    ]);
  });

  it('the Developer Guide trust (amr) is undetermined for the identities seen, not a would-deny', () => {
    const { report } = check(
      doc(
        fed({
          StringEquals: { [`${COGNITO}:aud`]: POOL },
          'ForAnyValue:StringLike': { [`${COGNITO}:amr`]: 'authenticated' },
        }),
      ),
    );
    expect(report.wouldDeny).toEqual([]);
    expect(report.undetermined.map((x) => x.summary)).toEqual([
      expect.stringContaining('sts:AssumeRoleWithWebIdentity'),
    ]);
  });

  it('diff: a trust naming the pool against one naming the identities is a change of who may come', () => {
    const dir = tmp();
    const write = (name: string, trust: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(accountOf(roleDetail(ROLE, trust, 's3:PutObject', 'AROAEXAMPLEEXAMPLE21'))));
      return f;
    };
    const byPool = write('pool.json', doc(fed({ StringEquals: { [`${COGNITO}:aud`]: POOL } })));
    const byId = write('id.json', doc(fed({ StringEquals: { [`${COGNITO}:aud`]: POOL, [`${COGNITO}:sub`]: ID1 } })));
    const r = cli(['diff', byId, byPool, '--format', 'json']);
    expect(r.stdout).toContain(`any identity of Cognito identity pool ${POOL}`);
    const same = cli(['diff', byPool, byPool, '--format', 'json']);
    expect(same.code, same.stdout).toBe(0);
  });
});
