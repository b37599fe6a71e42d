import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IamAccess, VerifyReport } from '../src/model/finding.js';
import { readTrust } from '../src/verify/iam/trust.js';
import { evaluateSamlTrust } from '../src/verify/iam/trustCallers.js';
import { cli, tmp } from './helpers/cli.js';
import { sectionEntries } from './helpers/profile.js';
import { decodeOne, decodeRecord, decodeRefused } from './helpers/cloudtrailRecords.js';
import { accountOf, roleDetail, trailFile } from './helpers/iamAccount.js';

/**
 * Roles assumed with a SAML assertion (`AssumeRoleWithSAML`): people signing in through Okta, Entra ID, ADFS or
 * Shibboleth, and IAM Identity Center's own roles. CloudTrail logs them with `userIdentity.type` SAMLUser, the IAM
 * SAML provider's ARN in `requestParameters.principalArn`, and STS's answer (`subject`, `subjectType`, `issuer`,
 * `audience`) in `responseElements`; session tags from the assertion in `requestParameters.principalTags`. The shapes
 * below follow the CloudTrail User Guide's AssumeRoleWithSAML example (Shibboleth, a transient NameID), an Okta
 * record as published (subjectType `unspecified`) and an Identity Center record (the `AWSSSO_..._DO_NOT_DELETE`
 * provider, a role under `/aws-reserved/sso.amazonaws.com/`). Before, these records were dropped: a trust generated
 * for a role people also sign into would have locked them out.
 */
const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/ops/oncall`;
const OKTA = `arn:aws:iam::${A}:saml-provider/Okta`;
const SHIB = `arn:aws:iam::${A}:saml-provider/Shibboleth`;
const SSO_ROLE = `arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_0123456789abcdef`;
const SSO_IDP = `arn:aws:iam::${A}:saml-provider/AWSSSO_9882ccf00912484e_DO_NOT_DELETE`;
const AUD = 'https://signin.aws.amazon.com/saml';
const JANE = 'jane@acme.example';
const LI = 'li@acme.example';
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

let n = 0;
/** An AssumeRoleWithSAML record as Okta's are shaped (the IdP's qualifier in identityProvider, a persistent NameID). */
function bySaml(
  subject: string,
  o: {
    role?: string;
    provider?: string;
    answer?: Record<string, unknown>;
    params?: Record<string, unknown>;
    more?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  n++;
  const role = o.role ?? ROLE;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'SAMLUser',
      principalId: `g4RD/xcF3dcnEghdegAhfaPo+ow=:${subject}`,
      userName: subject,
      identityProvider: 'g4RD/xcF3dcnEghdegAhfaPo+ow=',
    },
    eventTime: `2026-11-02T08:${String(n % 60).padStart(2, '0')}:00Z`,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithSAML',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)',
    requestParameters: {
      sAMLAssertionID: `id${n}`,
      roleSessionName: subject,
      durationSeconds: 3600,
      roleArn: role,
      principalArn: o.provider ?? OKTA,
      ...o.params,
    },
    responseElements: {
      subjectType: 'persistent',
      issuer: 'http://www.okta.com/exksfwc0mwQGJQoJ62p6',
      credentials: { accessKeyId: 'ASIAEXAMPLE', expiration: 'Nov 2, 2026, 9:25:30 AM', sessionToken: 'x' },
      nameQualifier: 'g4RD/xcF3dcnEghdegAhfaPo+ow=',
      assumedRoleUser: {
        assumedRoleId: `AROAEXAMPLEEXAMPLE09:${subject}`,
        arn: `arn:aws:sts::${A}:assumed-role/${role.slice(role.lastIndexOf('/') + 1)}/${subject}`,
      },
      subject,
      audience: AUD,
      ...o.answer,
    },
    requestID: `req-${n}`,
    eventID: `saml-${n}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: A,
    ...o.more,
  };
}

/** The CloudTrail User Guide's example: Shibboleth, a transient NameID (made up at each sign-in). */
const byShibboleth = () =>
  bySaml('_c0046cEXAMPLEb9d4b8e', {
    provider: SHIB,
    answer: { subjectType: 'transient', issuer: 'https://server.example.com/idp/shibboleth' },
  });

/** A call of the role's own, by one of its sessions. */
const ownCall = (more: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEEXAMPLE09:${JANE}`,
    arn: `arn:aws:sts::${A}:assumed-role/oncall/${JANE}`,
    accountId: A,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEEXAMPLE09', arn: ROLE, accountId: A, userName: 'oncall' },
    },
  },
  eventTime: '2026-11-02T09:00:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'RebootInstances',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.7',
  requestParameters: { instancesSet: { items: [{ instanceId: 'i-0abc123def4567890' }] } },
  responseElements: { _return: true },
  eventID: `own-${++n}`,
  eventType: 'AwsApiCall',
  recipientAccountId: A,
  ...more,
});

const [decode, one] = [decodeRecord, decodeOne];

const trail = trailFile;
/** Jane twice, Li with a session tag from the assertion, a Shibboleth user (transient), and the role's own call. */
const soak = () =>
  trail([
    bySaml(JANE),
    bySaml(JANE),
    bySaml(LI, { params: { principalTags: { team: 'sre' } } }),
    byShibboleth(),
    ownCall(),
  ]);

describe('AssumeRoleWithSAML as CloudTrail logs it', () => {
  it('is a SAML link: the provider, the subject and its type, the audience, the actions it needed', () => {
    expect(one(bySaml(JANE)).samlLink).toEqual({
      roleArn: ROLE,
      provider: OKTA,
      subject: JANE,
      subjectType: 'persistent',
      audience: AUD,
      actions: ['sts:AssumeRoleWithSAML'],
    });
    expect(one(byShibboleth()).samlLink).toMatchObject({ provider: SHIB, subjectType: 'transient' });
    // Session tags from the assertion need sts:TagSession; a source identity sts:SetSourceIdentity.
    const tagged = bySaml(LI, { params: { principalTags: { team: 'sre' }, sourceIdentity: LI } });
    expect(one(tagged).samlLink!.actions).toEqual([
      'sts:AssumeRoleWithSAML',
      'sts:SetSourceIdentity',
      'sts:TagSession',
    ]);
    expect(one(bySaml(LI, { params: { transitiveTagKeys: ['team'] } })).samlLink!.actions).toEqual([
      'sts:AssumeRoleWithSAML',
      'sts:TagSession',
    ]);
    // A record without STS's answer (an Athena view): the user's name, no type, no audience.
    const bare = bySaml(JANE);
    bare['responseElements'] = null;
    expect(one(bare).samlLink).toEqual({
      roleArn: ROLE,
      provider: OKTA,
      subject: JANE,
      actions: ['sts:AssumeRoleWithSAML'],
    });
    // A denied call is no link.
    const denied = bySaml(JANE, { more: { errorCode: 'AccessDenied', errorMessage: 'Not authorized' } });
    expect(one(denied).samlLink).toBeUndefined();
  });

  it('an allowed sign-in whose record lacks the provider or the subject is an issue, not a silent gap in the trust', () => {
    const noProvider = bySaml(JANE);
    delete (noProvider['requestParameters'] as Record<string, unknown>)['principalArn'];
    const noSubject = bySaml(JANE);
    noSubject['responseElements'] = null;
    noSubject['userIdentity'] = { type: 'SAMLUser' };
    for (const rec of [noProvider, noSubject])
      expect(decodeRefused(rec, 'cloudtrail.unlinked-assumption').message).toMatch(
        /AssumeRoleWithSAML without .*no trust can name who it let in/,
      );
    // Denied, it let no one in: no issue.
    const denied = { ...noProvider, errorCode: 'AccessDenied', errorMessage: 'Not authorized' };
    expect(decode(denied)).toMatchObject([{ kind: 'aws-call' }]);
    // The same for a web identity's token without its provider.
    const token = bySaml(JANE);
    Object.assign(token, {
      eventName: 'AssumeRoleWithWebIdentity',
      userIdentity: { type: 'WebIdentityUser', userName: 'repo:acme/shop:ref:refs/heads/main' },
      responseElements: null,
    });
    expect(decode(token)).toMatchObject([{ kind: 'issue', code: 'cloudtrail.unlinked-assumption' }]);
  });

  it.each([
    ['a policy variable in the subject', bySaml('${aws:username}'), /subject .* policy variable/],
    ['a control character in the subject', bySaml('jane\u0007@acme.example'), /control character/],
    ['a provider that is no SAML provider', bySaml(JANE, { provider: 'https://idp.example' }), /SAML provider/],
    ['a policy variable in the audience', bySaml(JANE, { answer: { audience: '${SAML:aud}' } }), /audience/],
  ])('a record with %s is refused, naming the file and line', (_n, rec, message) => {
    expect(decodeRefused(rec, 'cloudtrail.bad-name').message).toMatch(message);
  });
});

describe('the trust evaluator for SAML users', () => {
  const judge = (
    trust: unknown,
    subject = JANE,
    more: { subjectType?: string; audience?: string } = {},
    tags = false,
  ) => {
    const st = readTrust(trust);
    if (typeof st === 'string') throw new Error(st);
    const actions = tags ? ['sts:AssumeRoleWithSAML', 'sts:TagSession'] : ['sts:AssumeRoleWithSAML'];
    return evaluateSamlTrust(st, {
      provider: OKTA,
      subject,
      subjectType: 'persistent',
      audience: AUD,
      actions,
      ...more,
    }).result;
  };
  const allow = (Condition?: unknown, Federated: unknown = OKTA, Action: unknown = 'sts:AssumeRoleWithSAML') => ({
    Effect: 'Allow',
    Principal: { Federated },
    Action,
    ...(Condition ? { Condition } : {}),
  });
  const aud = { 'SAML:aud': AUD };
  it.each([
    ['the audience only (as most SAML trusts are written)', doc(allow({ StringEquals: aud })), JANE, 'allow'],
    ['the subject and audience', doc(allow({ StringEquals: { ...aud, 'SAML:sub': JANE } })), JANE, 'allow'],
    ['another user', doc(allow({ StringEquals: { ...aud, 'SAML:sub': JANE } })), LI, 'deny'],
    ['a pattern', doc(allow({ StringLike: { 'SAML:sub': '*@acme.example' } })), LI, 'allow'],
    [
      'the console audience of another region',
      doc(allow({ StringEquals: { 'SAML:aud': 'https://eu-west-1.signin.aws.amazon.com/saml' } })),
      JANE,
      'deny',
    ],
    ['another SAML provider', doc(allow(undefined, SHIB)), JANE, 'deny'],
    [
      'an OIDC provider',
      doc(allow(undefined, `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`)),
      JANE,
      'deny',
    ],
    ['the web identity action only', doc(allow(undefined, OKTA, 'sts:AssumeRoleWithWebIdentity')), JANE, 'deny'],
    ['a subject type asked', doc(allow({ StringEquals: { 'SAML:sub_type': 'persistent' } })), JANE, 'allow'],
    [
      'a key the profile does not hold',
      doc(allow({ StringEquals: { 'SAML:iss': 'http://www.okta.com/x' } })),
      JANE,
      'undetermined',
    ],
    [
      'a Deny of one user',
      doc(allow(), { ...allow({ StringEquals: { 'SAML:sub': LI } }), Effect: 'Deny' }),
      LI,
      'deny',
    ],
  ])('%s', (_name, trust, subject, want) => expect(judge(trust, subject)).toBe(want));

  it('session tags from the assertion need sts:TagSession too', () => {
    expect(judge(doc(allow({ StringEquals: aud })), LI, {}, true)).toBe('deny');
    const both = allow({ StringEquals: aud }, OKTA, ['sts:AssumeRoleWithSAML', 'sts:TagSession']);
    expect(judge(doc(both), LI, {}, true)).toBe('allow');
  });

  it('an audience or subject type the records did not say is undetermined where the trust asks for it', () => {
    const st = readTrust(doc(allow({ StringEquals: { ...aud, 'SAML:sub': JANE } })));
    if (typeof st === 'string') throw new Error(st);
    const req = { provider: OKTA, subject: JANE, actions: ['sts:AssumeRoleWithSAML'] };
    expect(evaluateSamlTrust(st, req).result).toBe('undetermined');
    expect(evaluateSamlTrust(st, { ...req, audience: AUD }).result).toBe('allow');
  });
});

describe('profile, merge, generate, verify', () => {
  const kept = (text: string) => sectionEntries(text, 'samlAssumption');

  it('the profile keeps each user with evidence; merging shards in either order gives the same bytes', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    expect(cli(['profile', '--cloudtrail', soak(), '-o', p]).code).toBe(0);
    const text = readFileSync(p, 'utf8');
    expect(
      kept(text).map((k) => [
        k['provider'],
        k['subject'],
        k['subjectType'],
        k['actions'],
        (k['evidence'] as { count: number }).count,
      ]),
    ).toEqual([
      [OKTA, JANE, 'persistent', ['sts:AssumeRoleWithSAML'], 2],
      [OKTA, LI, 'persistent', ['sts:AssumeRoleWithSAML', 'sts:TagSession'], 1],
      [SHIB, '_c0046cEXAMPLEb9d4b8e', 'transient', ['sts:AssumeRoleWithSAML'], 1],
    ]);
    const lines = text.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ end: { samlAssumptions: 3 } });
    // The SAML users are still no principals: their records are counted as federation.
    expect(text).toContain('"federation":4');
    const day2 = join(out, 'd2.json');
    const late = { more: { eventTime: '2026-11-03T09:00:00Z' } };
    cli(['profile', '--cloudtrail', trail([bySaml(JANE, late), bySaml('omar@acme.example', late)]), '-o', day2]);
    const [ab, ba] = [join(out, 'ab.json'), join(out, 'ba.json')];
    expect(cli(['merge', p, day2, '-o', ab]).code).toBe(0);
    expect(cli(['merge', day2, p, '-o', ba]).code).toBe(0);
    expect(readFileSync(ab, 'utf8')).toBe(readFileSync(ba, 'utf8'));
    expect(
      kept(readFileSync(ab, 'utf8')).map((k) => [k['subject'], (k['evidence'] as { count: number }).count]),
    ).toEqual([
      [JANE, 3],
      [LI, 1],
      ['omar@acme.example', 1],
      ['_c0046cEXAMPLEb9d4b8e', 1],
    ]);
  });

  it('the trust names the users seen per provider, audience and actions; a transient NameID by its type; verify replays them', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(
      /any user arn:aws:iam::111122223333:saml-provider\/Shibboleth signs in with a transient NameID is let in/,
    );
    const trustFile = join(out, 'policy', `iam/${A}/role/oncall.trust.json`);
    expect(JSON.parse(readFileSync(trustFile, 'utf8'))).toEqual(
      doc(
        {
          Sid: 'SamlUsers',
          Effect: 'Allow',
          Principal: { Federated: OKTA },
          Action: 'sts:AssumeRoleWithSAML',
          Condition: { StringEquals: { 'SAML:aud': AUD, 'SAML:sub': JANE } },
        },
        {
          Sid: 'SamlUsers2',
          Effect: 'Allow',
          Principal: { Federated: OKTA },
          Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
          Condition: { StringEquals: { 'SAML:aud': AUD, 'SAML:sub': LI } },
        },
        {
          Sid: 'SamlUsers3',
          Effect: 'Allow',
          Principal: { Federated: SHIB },
          Action: 'sts:AssumeRoleWithSAML',
          Condition: { StringEquals: { 'SAML:aud': AUD, 'SAML:sub_type': 'transient' } },
        },
      ),
    );
    const evidence = JSON.parse(readFileSync(join(out, 'policy', `evidence/iam/${A}/role/oncall.json`), 'utf8')) as {
      assumedBy: unknown[];
    };
    expect(evidence.assumedBy).toEqual([
      expect.objectContaining({ samlUser: '_c0046cEXAMPLEb9d4b8e', via: 'saml', subjectType: 'transient' }),
      expect.objectContaining({ samlUser: JANE, via: 'saml', provider: OKTA, audience: AUD, count: 2 }),
      expect.objectContaining({ samlUser: LI, via: 'saml', actions: ['sts:AssumeRoleWithSAML', 'sts:TagSession'] }),
    ]);
    const ok = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect((JSON.parse(ok.stdout) as VerifyReport).byKind['iam']).toEqual({ observed: 4, allowed: 4 });
    // Without sts:TagSession, Li's sign-in with session tags would fail.
    const t = JSON.parse(readFileSync(trustFile, 'utf8')) as { Statement: { Action: unknown }[] };
    t.Statement[1]!.Action = 'sts:AssumeRoleWithSAML';
    writeFileSync(trustFile, JSON.stringify(t));
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy'), '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(
      report.notAllowed.map((f) => [f.subject, f.subjectKind, (f.access as IamAccess).action, f.evidence.count]),
    ).toEqual([[LI, 'SAMLUser', 'sts:AssumeRoleWithSAML', 1]]);
    expect(report.notAllowed[0]!.detail).toMatch(
      /does not let the SAML user of .*Okta .*no statement allows sts:TagSession/,
    );
  });

  it("an Identity Center role's trust is Identity Center's: none is written, and the summary says why", () => {
    const out = tmp();
    const p = join(out, 'p.json');
    const session = ownCall({
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLEEXAMPLE10:${JANE}`,
        arn: `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/${JANE}`,
        accountId: A,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEEXAMPLE10',
            arn: SSO_ROLE,
            accountId: A,
            userName: 'AWSReservedSSO_ReadOnly_0123456789abcdef',
          },
        },
      },
      eventName: 'DescribeInstances',
      requestParameters: {},
      readOnly: true,
    });
    cli(['profile', '--cloudtrail', trail([bySaml(JANE, { role: SSO_ROLE, provider: SSO_IDP }), session]), '-o', p]);
    expect(kept(readFileSync(p, 'utf8'))).toHaveLength(1);
    const g = cli(['generate', 'iam', '--profile', p, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(
      /AWSReservedSSO_ReadOnly_0123456789abcdef: no trust policy written: the role is IAM Identity Center's/,
    );
    expect(existsSync(join(out, 'policy', `iam/${A}/role/AWSReservedSSO_ReadOnly_0123456789abcdef.trust.json`))).toBe(
      false,
    );
  });

  it('--map rewrites the provider and the role; the report says who assumed the role, escaped in HTML', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    const hostile = '<img src=x onerror=alert(1)>@acme.example';
    cli(['profile', '--cloudtrail', trail([bySaml(JANE), bySaml(hostile), ownCall()]), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--map', `${A}=999988887777`, '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    const trust = JSON.parse(readFileSync(join(out, 'policy', 'iam/999988887777/role/oncall.trust.json'), 'utf8')) as {
      Statement: { Principal: unknown; Condition: { StringEquals: Record<string, unknown> } }[];
    };
    expect(trust.Statement.map((s) => s.Principal)).toEqual([
      { Federated: 'arn:aws:iam::999988887777:saml-provider/Okta' },
    ]);
    expect(trust.Statement[0]!.Condition.StringEquals['SAML:sub']).toEqual([hostile, JANE]);
    const md = cli(['report', '--profile', p, '-o', join(out, 'r.md')]);
    expect(md.code, md.stderr).toBe(0);
    expect(readFileSync(join(out, 'r.md'), 'utf8')).toContain(
      `assumed by \` ${JANE} \` \\(SAML user of saml-provider/Okta, 1×\\)`,
    );
    const r = cli(['report', '--profile', p, '-o', join(out, 'r.html')]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(out, 'r.html'), 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('--subject keeps the assumptions of the roles it chooses only', () => {
    const count = (glob: string) => {
      const p = join(tmp(), 'p.json');
      expect(cli(['profile', '--cloudtrail', soak(), '--subject', glob, '-o', p]).code).toBe(0);
      return kept(readFileSync(p, 'utf8')).length;
    };
    expect(count('arn:aws:iam::*:role/ops/*')).toBe(3);
    expect(count('arn:aws:iam::*:role/payments-*')).toBe(0);
  });

  it.each([
    ['a policy variable in the subject', `"subject":"${JANE}"`, '"subject":"${SAML:sub}"', /policy variable/],
    [
      'an action that is no SAML trust action',
      '"actions":["sts:AssumeRoleWithSAML","sts:TagSession"]',
      '"actions":["sts:AssumeRoleWithSAML","s3:*"]',
      /sts:AssumeRoleWithSAML followed by/,
    ],
    [
      'a provider that is no SAML provider',
      `"provider":"${OKTA}"`,
      '"provider":"accounts.google.com"',
      /SAML provider/,
    ],
  ])('the reader refuses a SAML assumption with %s, naming the line', (_n, from, to, message) => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const text = readFileSync(p, 'utf8');
    const bad = text.replace(from, to);
    expect(bad).not.toBe(text);
    const line = bad.split('\n').findIndex((l) => l.includes(to)) + 1;
    const f = join(out, 'bad.json');
    writeFileSync(f, bad);
    const r = cli(['generate', 'iam', '--profile', f, '-o', join(tmp(), 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`bad\\.json:${line}: not a valid profile: `));
    expect(r.stderr).toMatch(message);
  });
});

describe('backtest: a user who first signs in after the soak', () => {
  it('the users seen are allowed on the held-out days; a new one is breakage (the trust names people)', () => {
    const at = (d: number) => ({ more: { eventTime: `2026-11-0${d}T08:00:00Z` } });
    const r = cli([
      'backtest',
      '--cloudtrail',
      trail([
        bySaml(JANE, at(2)),
        ownCall({ eventTime: '2026-11-02T09:00:00Z' }),
        bySaml(JANE, at(4)),
        bySaml(LI, at(4)),
      ]),
      '--split',
      '2026-11-03T00:00:00Z',
      '--format',
      'json',
    ]);
    const out = JSON.parse(r.stdout) as { observed: number; allowed: number; byPrincipal: Record<string, unknown> };
    expect([out.observed, out.allowed]).toEqual([2, 1]);
    expect(out.byPrincipal[LI]).toMatchObject({ observed: 1, allowed: 0 });
    expect(out.byPrincipal[JANE]).toMatchObject({ observed: 1, allowed: 1 });
  });
});

/** The on-call role as an account holds it (`get-account-authorization-details`), with this trust. */
const account = (trust: unknown) => accountOf(roleDetail(ROLE, trust, 'ec2:RebootInstances', 'AROAEXAMPLEEXAMPLE09'));

describe('check and diff: the SAML users a trust lets in', () => {
  const check = (trust: unknown) => {
    const dir = tmp();
    const file = join(dir, 'account.json');
    writeFileSync(file, JSON.stringify(account(trust)));
    const p = join(dir, 'p.json');
    cli(['profile', '--cloudtrail', trail([bySaml(JANE), ownCall()]), '-o', p]);
    const r = cli(['check', '--policies', file, '--profile', p, '--format', 'json', '--fail-on', 'would-deny']);
    const report = JSON.parse(r.stdout) as {
      unused: { summary: string; risk?: { level: string; reasons: string[] } }[];
      wouldDeny: { summary: string }[];
    };
    const saml = report.unused.filter((x) => x.summary.startsWith('sts:AssumeRoleWithSAML'));
    return { code: r.code, report, saml, dir, file, p };
  };
  const fed = (Condition?: unknown, Federated: unknown = OKTA) => ({
    Effect: 'Allow',
    Principal: { Federated },
    Action: 'sts:AssumeRoleWithSAML',
    ...(Condition ? { Condition } : {}),
  });

  it('a trust without a condition on the subject lets every user the IdP sends in: low; Federated * high', () => {
    const { code, report, saml } = check(doc(fed({ StringEquals: { 'SAML:aud': AUD } })));
    expect(code).toBe(0);
    expect(report.wouldDeny).toEqual([]);
    expect(saml.map((x) => [x.summary, x.risk?.level])).toEqual([
      [
        `sts:AssumeRoleWithSAML by any user of saml-provider/Okta: statement #0 sets no condition on the assertion's subject (SAML:sub); assumed in the logs by ${JANE}`,
        'low',
      ],
    ]);
    expect(saml[0]!.risk!.reasons[0]).toMatch(/role mapping is the only check/);
    const star = check(doc(fed(undefined, '*')));
    expect(star.saml.map((x) => x.risk?.level)).toEqual(['high']);
  });

  it('a pattern is medium; the user seen is used; one never seen is listed without a risk', () => {
    const { saml } = check(
      doc(
        fed({ StringLike: { 'SAML:sub': '*@acme.example' } }),
        fed({ StringEquals: { 'SAML:aud': AUD, 'SAML:sub': [JANE, LI] } }),
      ),
    );
    expect(saml.map((x) => [x.summary, x.risk?.level])).toEqual([
      [
        `sts:AssumeRoleWithSAML by *@acme.example (saml-provider/Okta): statement #0 lets in every user the pattern matches; assumed in the logs by ${JANE}`,
        'medium',
      ],
      [
        `sts:AssumeRoleWithSAML by ${LI} (saml-provider/Okta): statement #1 lets the user in; never assumed by it in the logs`,
        undefined,
      ],
    ]);
  });

  it('a trust that does not let the user in is a would-deny of its sign-in', () => {
    const { code, report } = check(doc(fed({ StringEquals: { 'SAML:aud': AUD, 'SAML:sub': LI } })));
    expect(code).toBe(1);
    expect(report.wouldDeny.map((f) => f.summary).join('\n')).toMatch(/sts:AssumeRoleWithSAML/);
  });

  it('a diff against the generated trust removes the user never seen and keeps the one seen', () => {
    const { dir, file, p } = check(doc(fed({ StringEquals: { 'SAML:aud': AUD, 'SAML:sub': [JANE, LI] } })));
    expect(cli(['generate', 'iam', '--profile', p, '-o', join(dir, 'policy')]).code).toBe(0);
    const d = cli(['diff', file, join(dir, 'policy', 'iam'), '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const diff = JSON.parse(d.stdout) as { removedAccess: { summary: string }[]; newAccess: { summary: string }[] };
    const trustOnly = (l: { summary: string }[]) =>
      l.filter((f) => f.summary.startsWith('sts:AssumeRoleWithSAML')).map((f) => f.summary);
    expect(trustOnly(diff.removedAccess)).toEqual([
      `sts:AssumeRoleWithSAML by ${LI} (saml-provider/Okta): statement #0 lets the user in`,
    ]);
    expect(trustOnly(diff.newAccess)).toEqual([]);
  });
});

describe('--saml-any-user: the identity provider decides who (a listed widening)', () => {
  it('names no user; one statement per provider and audience; listed; the new user is no breakage', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    cli(['profile', '--cloudtrail', soak(), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--saml-any-user', '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain(
      `--saml-any-user ${ROLE}: sts:AssumeRoleWithSAML: any user of saml-provider/Okta (2 seen: ${JANE}, ${LI})`,
    );
    const trust = JSON.parse(readFileSync(join(out, 'policy', `iam/${A}/role/oncall.trust.json`), 'utf8')) as unknown;
    expect(trust).toEqual(
      doc(
        {
          Sid: 'SamlUsers',
          Effect: 'Allow',
          Principal: { Federated: OKTA },
          Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
          Condition: { StringEquals: { 'SAML:aud': AUD } },
        },
        {
          Sid: 'SamlUsers2',
          Effect: 'Allow',
          Principal: { Federated: SHIB },
          Action: 'sts:AssumeRoleWithSAML',
          Condition: { StringEquals: { 'SAML:aud': AUD } },
        },
      ),
    );
    const evidence = JSON.parse(readFileSync(join(out, 'policy', `evidence/iam/${A}/role/oncall.json`), 'utf8')) as {
      widenings: { option: string }[];
    };
    expect(evidence.widenings.map((w) => w.option)).toEqual(['saml-any-user', 'saml-any-user']);
    const at = (d: number) => ({ more: { eventTime: `2026-11-0${d}T08:00:00Z` } });
    const records = [bySaml(JANE, at(2)), ownCall({ eventTime: '2026-11-02T09:00:00Z' }), bySaml(LI, at(4))];
    const backtest = (...flags: string[]) =>
      JSON.parse(
        cli([
          'backtest',
          '--cloudtrail',
          trail(records),
          '--split',
          '2026-11-03T00:00:00Z',
          '--format',
          'json',
          ...flags,
        ]).stdout,
      ) as { observed: number; allowed: number };
    expect([backtest().allowed, backtest('--saml-any-user').allowed]).toEqual([0, 1]);
  });
});

describe('a SAML trust with nothing to condition', () => {
  it('no audience in the records and --saml-any-user: no Condition block at all (IAM refuses an empty one)', () => {
    const out = tmp();
    const p = join(out, 'p.json');
    const bare = bySaml(JANE);
    bare['responseElements'] = null;
    cli(['profile', '--cloudtrail', trail([bare, ownCall()]), '-o', p]);
    const g = cli(['generate', 'iam', '--profile', p, '--saml-any-user', '-o', join(out, 'policy')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain(`no audience condition for ${JANE}`);
    const trust = JSON.parse(readFileSync(join(out, 'policy', `iam/${A}/role/oncall.trust.json`), 'utf8')) as unknown;
    expect(trust).toEqual(
      doc({ Sid: 'SamlUsers', Effect: 'Allow', Principal: { Federated: OKTA }, Action: 'sts:AssumeRoleWithSAML' }),
    );
    const v = cli(['verify', '--profile', p, '--policies', join(out, 'policy')]);
    expect(v.code, v.stdout).toBe(0);
  });
});
