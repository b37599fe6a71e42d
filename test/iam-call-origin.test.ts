import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addOrigin, mergeOrigins, ORIGIN_LIMIT, originOfRecord, type OriginSet } from '../src/model/callOrigin.js';
import type { CallOrigin, Profile } from '../src/model/profile.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { readProfileFile } from './helpers/profile.js';
import { callContext, originsOf, serviceAsRoleWords, type NeedFacts } from '../src/verify/iam/requestFacts.js';
import { evaluateIdentityPolicies } from '../src/verify/iam/evaluate.js';
import { originWords } from '../src/kinds/iam/origins.js';
import { cli, rng, tmp } from './helpers/cli.js';
import { simulate } from './helpers/iamSimulate.js';
import { ACCOUNT as A, REGION as R, ROLE, record } from './helpers/cloudtrailRecords.js';

/**
 * Where a call came from, kept per edge (the record's `sourceIPAddress`, `vpcEndpointId`, `tlsDetails` and
 * `userIdentity.invokedBy`), so that replay judges a committed policy's Conditions on `aws:SourceIp`,
 * `aws:SourceVpce`, `aws:VpcSourceIp`, `aws:SecureTransport`, `aws:ViaAWSService` and `aws:CalledVia*` (the IAM User
 * Guide's "AWS global condition context keys"). The shape most accounts use is the guide's "Denies access to AWS
 * based on the source IP": Deny `*` under `NotIpAddress aws:SourceIp` and `Bool aws:ViaAWSService false`.
 */
const OFFICE = ['192.0.2.0/24', '203.0.113.0/24'];
const sourceIpGuard = {
  Sid: 'Office',
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: { NotIpAddress: { 'aws:SourceIp': OFFICE }, Bool: { 'aws:ViaAWSService': 'false' } },
};
const allowAll = { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' };
const doc = (...Statement: Record<string, unknown>[]) => [
  { name: 'p.json', document: { Version: '2012-10-17', Statement } },
];
const OBJECT = 'arn:aws:s3:::acme-data/in/a.csv';
const TLS = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'x' };

describe("a record's origin", () => {
  const base = record('s3.amazonaws.com', 'GetObject', { bucketName: 'acme-data', key: 'in/a.csv' });
  const cases: [string, Record<string, unknown>, CallOrigin | undefined][] = [
    ['a public address over TLS', { sourceIPAddress: '192.0.2.7', tlsDetails: TLS }, ['192.0.2.7', '', 'tls', '']],
    [
      'through a VPC endpoint (the address is the private one)',
      { sourceIPAddress: '10.0.1.10', vpcEndpointId: 'vpce-0a1b2c3d4e5f67890', tlsDetails: TLS },
      ['10.0.1.10', 'vpce-0a1b2c3d4e5f67890', 'tls', ''],
    ],
    [
      "a service's call for the principal: the service's name is no address",
      {
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userIdentity: { ...(base['userIdentity'] as object), invokedBy: 'cloudformation.amazonaws.com' },
      },
      ['', '', '', 'cloudformation.amazonaws.com'],
    ],
    ['AWS Internal, no TLS said', { sourceIPAddress: 'AWS Internal' }, ['', '', '', '']],
    ['IPv6, in lower case', { sourceIPAddress: '2001:DB8::1', tlsDetails: TLS }, ['2001:db8::1', '', 'tls', '']],
    ['no sourceIPAddress: nothing said', { sourceIPAddress: undefined }, undefined],
    ['an endpoint id that is none: nothing claimed', { vpcEndpointId: 'vpce-x;rm' }, undefined],
    ['an endpoint id of the wrong type', { vpcEndpointId: 7 }, undefined],
    [
      'an invokedBy that is no service: nothing claimed',
      { userIdentity: { ...(base['userIdentity'] as object), invokedBy: '<script>\u0007' } },
      undefined,
    ],
  ];
  it.each(cases)('%s', (_, more, want) => {
    expect(originOfRecord({ ...base, ...more })).toEqual(want);
  });
});

describe("an edge's origins", () => {
  const origin = (i: number): CallOrigin => [`198.51.100.${i}`, i % 3 ? '' : 'vpce-0abc', i % 2 ? 'tls' : '', ''];

  it('the first ORIGIN_LIMIT in order, whatever the order and however split into shards', () => {
    const r = rng(7);
    const all = Array.from({ length: 40 }, (_, i) => origin(i));
    const whole: OriginSet = { list: [], more: false };
    for (const o of all) addOrigin(whole, o);
    expect(whole.list).toHaveLength(ORIGIN_LIMIT);
    expect(whole.more).toBe(true);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...all, ...all.slice(0, 5)].sort(() => r() - 0.5);
      const cut = Math.floor(r() * shuffled.length);
      const a: OriginSet = { list: [], more: false };
      const b: OriginSet = { list: [], more: false };
      for (const o of shuffled.slice(0, cut)) addOrigin(a, o);
      for (const o of shuffled.slice(cut)) addOrigin(b, o);
      const merged = mergeOrigins(
        { ...(a.list.length ? { origins: a.list } : {}), ...(a.more ? { originsMore: true as const } : {}) },
        { ...(b.list.length ? { origins: b.list } : {}), ...(b.more ? { originsMore: true as const } : {}) },
      );
      expect(merged).toEqual({ origins: whole.list, originsMore: true });
    }
  });

  it('few: all of them, and no more; a record that said nothing makes it more', () => {
    const s: OriginSet = { list: [], more: false };
    for (const i of [3, 1, 3, 2]) addOrigin(s, origin(i));
    expect(s).toEqual({ list: [origin(1), origin(2), origin(3)], more: false });
    addOrigin(s, undefined);
    expect(s.more).toBe(true);
  });
});

const USER = `arn:aws:iam::${A}:user/ana`;

/** iam-simulate's verdict (AGPL, a devDependency only) on a role's (or `USER`'s) GetObject with `context`. */
async function oracle(
  statements: unknown[],
  context: Record<string, string>,
  who: 'role' | 'user' = 'role',
): Promise<'allow' | 'deny'> {
  const verdict = await simulate({ Version: '2012-10-17', Statement: statements } as never, {
    principal: who === 'role' ? `arn:aws:sts::${A}:assumed-role/worker/s1` : USER,
    action: 's3:GetObject',
    resource: OBJECT,
    context: {
      'aws:PrincipalArn': who === 'role' ? ROLE : USER,
      'aws:PrincipalAccount': A,
      'aws:PrincipalType': who === 'role' ? 'AssumedRole' : 'User',
      ...(who === 'user' ? { 'aws:username': 'ana' } : {}),
      'aws:RequestedRegion': R,
      'aws:PrincipalIsAWSService': 'false',
      ...context,
    },
  });
  return verdict === 'Allowed' ? 'allow' : 'deny';
}

/** The keys iam-simulate is given for an origin: what the request carries, as callContext reads the origin. */
function oracleKeys(o: CallOrigin): Record<string, string> {
  const [ip, vpce, tls, by] = o;
  return {
    ...(tls ? { 'aws:SecureTransport': 'true' } : {}),
    'aws:ViaAWSService': by ? 'true' : 'false',
    ...(by === 'athena.amazonaws.com' ? { 'aws:CalledViaLast': by } : {}),
    ...(by ? {} : vpce ? { 'aws:SourceVpce': vpce, 'aws:VpcSourceIp': ip } : { 'aws:SourceIp': ip }),
  };
}

describe('the request context of an origin', () => {
  const ask = (o: CallOrigin, p = doc(allowAll, sourceIpGuard), arn = ROLE) =>
    evaluateIdentityPolicies(p, {
      action: 's3:GetObject',
      resource: OBJECT,
      createAction: null,
      context: callContext(arn, { region: R, origin: o }),
    });

  it("the guide's source-IP guard: the office allowed, elsewhere denied by name, a service's call for a user allowed", async () => {
    const office: CallOrigin = ['203.0.113.9', '', 'tls', ''];
    const home: CallOrigin = ['198.51.100.4', '', 'tls', ''];
    const service: CallOrigin = ['', '', '', 'cloudformation.amazonaws.com'];
    // A VPC endpoint's request has no aws:SourceIp: NotIpAddress holds, and the guard denies (AWS's warning).
    const endpoint: CallOrigin = ['10.0.1.10', 'vpce-0a1b2c3d4e5f67890', 'tls', ''];
    expect(ask(office).result).toBe('allow');
    expect(ask(home)).toEqual({ result: 'deny', explicit: true, policy: 'p.json', sid: 'Office' });
    expect(ask(service, undefined, USER).result).toBe('allow');
    expect(ask(endpoint)).toEqual({ result: 'deny', explicit: true, policy: 'p.json', sid: 'Office' });
    for (const o of [office, home, endpoint])
      expect([o, ask(o).result]).toEqual([o, await oracle([allowAll, sourceIpGuard], oracleKeys(o))]);
    expect(await oracle([allowAll, sourceIpGuard], oracleKeys(service), 'user')).toBe('allow');
  });

  it("a service's call as a role is open: its own service role's session (ViaAWSService false) says the same", async () => {
    // CloudFormation with a stack's service role writes `invokedBy` as it does for a call with the caller's
    // credentials; AWS's ViaAWSService is false for the first and true for the second, and the guard tells them apart.
    const service: CallOrigin = ['', '', '', 'cloudformation.amazonaws.com'];
    expect(ask(service)).toEqual({
      result: 'undetermined',
      reasons: ['p.json Office: a Deny with a Condition on aws:SourceIp, aws:ViaAWSService may apply'],
    });
    const asServiceRole = { 'aws:ViaAWSService': 'false', 'aws:SourceIp': '198.51.100.77' };
    expect(await oracle([allowAll, sourceIpGuard], asServiceRole)).toBe('deny');
    expect(await oracle([allowAll, sourceIpGuard], { 'aws:ViaAWSService': 'true' })).toBe('allow');
  });

  it('a key the origin does not settle stays undetermined and is named', () => {
    // The source address of a call a service made for the principal is the service's.
    const viaService = doc(allowAll, {
      Sid: 'Office',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': OFFICE } },
    });
    expect(ask(['', '', '', 'cloudformation.amazonaws.com'], viaService)).toEqual({
      result: 'undetermined',
      reasons: ['p.json Office: a Deny with a Condition on aws:SourceIp may apply'],
    });
    // A record without tlsDetails says nothing of TLS.
    const tlsOnly = doc(allowAll, {
      Sid: 'Tls',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(ask(['192.0.2.7', '', '', ''], tlsOnly)).toEqual({
      result: 'undetermined',
      reasons: ['p.json Tls: a Deny with a Condition on aws:SecureTransport may apply'],
    });
    expect(ask(['192.0.2.7', '', 'tls', ''], tlsOnly).result).toBe('allow');
    // No origin at all (an old profile): every network key unknown, as before.
    const none = evaluateIdentityPolicies(doc(allowAll, sourceIpGuard), {
      action: 's3:GetObject',
      resource: OBJECT,
      createAction: null,
      context: callContext(ROLE, { region: R }),
    });
    expect(none.result).toBe('undetermined');
  });

  it('agrees with iam-simulate on 200 random policies over the network keys', async () => {
    const r = rng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const IPS = [
      '192.0.2.7',
      '192.0.2.200',
      '203.0.113.9',
      '198.51.100.4',
      '10.0.1.10',
      '2001:db8::1',
      '2001:db8:1::9',
    ];
    const RANGES = [
      '192.0.2.0/24',
      '192.0.2.0/25',
      '203.0.113.9/32',
      '203.0.113.9',
      '10.0.0.0/8',
      '2001:db8::/48',
      '2001:db8::/32',
      '198.51.100.0/22',
    ];
    const VPCES = ['vpce-0a1b2c3d4e5f67890', 'vpce-11112222333344445'];
    const condition = (): Record<string, Record<string, unknown>> => {
      switch (pick(['ip', 'ip', 'vpcip', 'vpce', 'tls', 'via', 'last'])) {
        case 'ip':
          return {
            [`${pick(['IpAddress', 'NotIpAddress'])}${r() < 0.2 ? 'IfExists' : ''}`]: {
              'aws:SourceIp': r() < 0.5 ? pick(RANGES) : [pick(RANGES), pick(RANGES)],
            },
          };
        case 'vpcip':
          return { [pick(['IpAddress', 'NotIpAddress'])]: { 'aws:VpcSourceIp': pick(RANGES) } };
        case 'vpce':
          return { [pick(['StringEquals', 'StringNotEquals'])]: { 'aws:SourceVpce': pick(VPCES) } };
        case 'tls':
          return { Bool: { 'aws:SecureTransport': 'true' } };
        case 'last':
          return {
            [pick(['StringEquals', 'StringNotEquals'])]: {
              'aws:CalledViaLast': pick(['athena.amazonaws.com', 'cloudformation.amazonaws.com']),
            },
          };
        default:
          return { Bool: { 'aws:ViaAWSService': pick(['true', 'false']) } };
      }
    };
    const seen = { allow: 0, deny: 0, undetermined: 0 };
    for (let i = 0; i < 200; i++) {
      const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
        Effect: r() < 0.4 ? 'Deny' : 'Allow',
        Action: pick(['s3:*', '*', 's3:GetObject']),
        Resource: '*',
        Condition: r() < 0.3 ? { ...condition(), ...condition() } : condition(),
      }));
      const ip = pick(IPS);
      // Every origin settles every key asked here: TLS said, direct or a service's (for a user), an endpoint or not.
      const o: CallOrigin = [ip, r() < 0.3 ? pick(VPCES) : '', 'tls', r() < 0.15 ? 'athena.amazonaws.com' : ''];
      // A service's call leaves the network keys unknown: asked only where the policy has none.
      if (o[3] && /aws:(Source|VpcSource)/.test(JSON.stringify(statements))) o[3] = '';
      const who = o[3] ? 'user' : 'role';
      const ours = ask(o, doc(...statements), who === 'user' ? USER : ROLE).result;
      // iam-simulate reads a bare IPv4 value (`203.0.113.9`) as matching no IPv6 address even under NotIpAddress,
      // where its /32 form, and AWS, say an IPv6 address is outside it: it is given the /32 form.
      const asCidr = JSON.parse(JSON.stringify(statements).replace(/"(\d+\.\d+\.\d+\.\d+)"/g, '"$1/32"')) as unknown[];
      const theirs = await oracle(asCidr, oracleKeys(o), who);
      expect([i, JSON.stringify(statements), o, ours]).toEqual([i, JSON.stringify(statements), o, theirs]);
      seen[ours]++;
    }
    expect(seen.allow).toBeGreaterThan(30);
    expect(seen.deny).toBeGreaterThan(30);
    expect(seen.undetermined).toBe(0);
  });
});

describe("aws:CalledVia of a KMS request a service made for the principal (the IAM User Guide's examples)", () => {
  const KEY = `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const viaDynamo = {
    Sid: 'KmsActionsIfCalledViaDynamodb',
    Effect: 'Allow',
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: KEY,
    Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['dynamodb.amazonaws.com'] } },
  };
  const chain = {
    Sid: 'KmsActionsIfCalledViaChain',
    Effect: 'Allow',
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: KEY,
    Condition: {
      StringEquals: {
        'aws:CalledViaFirst': 'cloudformation.amazonaws.com',
        'aws:CalledViaLast': 'dynamodb.amazonaws.com',
      },
    },
  };
  const direct: CallOrigin = ['10.0.1.10', 'vpce-0a1b2c3d4e5f67890', 'tls', ''];
  const throughStack: CallOrigin = ['', '', '', 'cloudformation.amazonaws.com'];
  const ask = (statement: Record<string, unknown>, facts: Parameters<typeof callContext>[1]) =>
    evaluateIdentityPolicies(doc(statement), {
      action: 'kms:Decrypt',
      resource: KEY,
      createAction: null,
      context: callContext(ROLE, { region: R, ...facts }),
    }).result;
  const theirs = async (statement: Record<string, unknown>, context: Record<string, string>) =>
    (await simulate({ Version: '2012-10-17', Statement: [statement] } as never, {
      principal: `arn:aws:sts::${A}:assumed-role/worker/s1`,
      action: 'kms:Decrypt',
      resource: KEY,
      context: { 'aws:PrincipalArn': ROLE, 'aws:RequestedRegion': R, ...context },
    })) === 'Allowed'
      ? 'allow'
      : 'deny';

  it('the principal called DynamoDB itself: the chain is DynamoDB alone, first and last', async () => {
    expect(ask(viaDynamo, { via: 'dynamodb', origin: direct })).toBe('allow');
    expect(ask(chain, { via: 'dynamodb', origin: direct })).toBe('deny');
    const alone = {
      'aws:CalledVia': 'dynamodb.amazonaws.com',
      'aws:CalledViaFirst': 'dynamodb.amazonaws.com',
      'aws:CalledViaLast': 'dynamodb.amazonaws.com',
      'aws:ViaAWSService': 'true',
    };
    expect([await theirs(viaDynamo, alone), await theirs(chain, alone)]).toEqual(['allow', 'deny']);
  });

  it('through a stack: DynamoDB is the last and the first is not known; a call of its own has none; S3 says nothing', () => {
    expect(ask(viaDynamo, { via: 'dynamodb', origin: throughStack })).toBe('undetermined');
    expect(ask(chain, { via: 'dynamodb', origin: throughStack })).toBe('undetermined');
    expect(
      ask(
        { ...chain, Condition: { StringEquals: { 'aws:CalledViaLast': 'dynamodb.amazonaws.com' } } },
        {
          via: 'dynamodb',
        },
      ),
    ).toBe('allow');
    // The principal's own KMS call, made directly: no aws:CalledVia, so ForAnyValue holds for none.
    expect(ask(viaDynamo, { origin: direct })).toBe('deny');
    // S3 is not among the services the guide lists as putting themselves in aws:CalledVia.
    expect(ask(viaDynamo, { via: 's3', origin: direct })).toBe('undetermined');
  });

  it('outside the aws partition neither the chain nor the endpoint is claimed: their names there are not written down', () => {
    const cn = 'cn-north-1';
    const china = (statement: Record<string, unknown>) =>
      evaluateIdentityPolicies(doc({ ...statement, Resource: '*' }), {
        action: 'kms:Decrypt',
        resource: `arn:aws-cn:kms:${cn}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        createAction: null,
        context: callContext(`arn:aws-cn:iam::${A}:role/apps/worker`, { region: cn, via: 'dynamodb', origin: direct }),
      }).result;
    expect(china(viaDynamo)).toBe('undetermined');
    const viaService = {
      ...viaDynamo,
      Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${cn}.amazonaws.com` } },
    };
    expect(china(viaService)).toBe('undetermined');
    // In the aws partition the same request is judged.
    expect(
      ask(
        { ...viaService, Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${R}.amazonaws.com` } } },
        {
          via: 'dynamodb',
          origin: direct,
        },
      ),
    ).toBe('allow');
  });
});

describe("a role's service call left undetermined says why", () => {
  const why = 'p.json Office: a Deny with a Condition on aws:SourceIp, aws:ViaAWSService may apply';
  const facts = (by: string): NeedFacts[] => [
    { region: R, passedTo: null, via: '', origin: ['', '', '', by] },
    { region: R, passedTo: null, via: '', origin: ['192.0.2.7', '', 'tls', ''] },
  ];
  it('for a role, naming the services; not for a user, another key, or calls no service made', () => {
    expect(serviceAsRoleWords(ROLE, facts('cloudformation.amazonaws.com'), why)).toMatch(
      /^calls cloudformation\.amazonaws\.com made as the role: /,
    );
    expect(serviceAsRoleWords(USER, facts('cloudformation.amazonaws.com'), why)).toBeUndefined();
    expect(serviceAsRoleWords(ROLE, facts('cloudformation.amazonaws.com'), 'p.json X: aws:SourceIp')).toBeUndefined();
    expect(serviceAsRoleWords(ROLE, facts(''), why)).toBeUndefined();
  });
});

describe('the origins a need is asked from', () => {
  const edge = {
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    resources: [OBJECT],
    implied: [],
    origins: [['192.0.2.7', '', 'tls', ''] as CallOrigin, ['203.0.113.9', '', 'tls', ''] as CallOrigin],
  };
  it('each it lists, and an unknown one where its records had more; one where no policy names an origin key', () => {
    const guarded = doc(allowAll, sourceIpGuard);
    expect(originsOf(edge, guarded)).toEqual(edge.origins);
    expect(originsOf({ ...edge, originsMore: true }, guarded)).toEqual([...edge.origins, undefined]);
    expect(originsOf({ ...edge, origins: undefined }, guarded)).toEqual([undefined]);
    // A variable names the key too: `${aws:SourceIp}` in a resource.
    const variable = doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::logs/${aws:SourceIp}/*' });
    expect(originsOf(edge, variable)).toEqual(edge.origins);
    expect(originsOf(edge, doc(allowAll))).toEqual([undefined]);
  });
});

describe('verify of a committed policy with the source-IP guard', () => {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  const get = (key: string, more: Record<string, unknown>) => ({
    ...record('s3.amazonaws.com', 'GetObject', { bucketName: 'acme-data', key }),
    tlsDetails: TLS,
    ...more,
  });
  const records = [
    get('in/a.csv', { sourceIPAddress: '203.0.113.9' }),
    get('in/a.csv', { sourceIPAddress: '192.0.2.44' }),
    get('in/b.csv', { sourceIPAddress: '198.51.100.4' }),
    get('in/c.csv', {
      sourceIPAddress: 'athena.amazonaws.com',
      userIdentity: { ...(record('s3', 'x', {})['userIdentity'] as object), invokedBy: 'athena.amazonaws.com' },
    }),
    get('in/d.csv', { sourceIPAddress: undefined }),
  ];
  writeFileSync(trail, JSON.stringify({ Records: records }));
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  const file = join(out, 'iam', A, 'role', 'worker.json');

  it("the call from outside the office is denied by name; a service's for the role and one that said nothing open", () => {
    expect(gen.code, gen.stderr).toBe(0);
    const generated = JSON.parse(readFileSync(file, 'utf8')) as { Statement: unknown[] };
    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [...generated.Statement, sourceIpGuard] }));
    const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json']);
    expect(v.code, v.stderr).toBe(1);
    const r = JSON.parse(v.stdout) as {
      observed: number;
      allowed: number;
      undetermined: { access: { resource: string }; detail: string }[];
      notAllowed: { access: { resource: string }; detail: string }[];
    };
    expect(r.notAllowed.map((n) => [n.access.resource, n.detail])).toEqual([
      ['arn:aws:s3:::acme-data/in/b.csv', expect.stringMatching(/^explicitly denied by .* Office$/)],
    ]);
    // Athena's call as the role: with the role's credentials, or as a session of its own service role.
    expect(r.undetermined.map((n) => [n.access.resource, n.detail])).toEqual([
      [
        'arn:aws:s3:::acme-data/in/c.csv',
        expect.stringMatching(
          /Office: a Deny with a Condition on aws:SourceIp, aws:ViaAWSService may apply; calls athena\.amazonaws\.com made as the role: .*service role \(false\)$/,
        ),
      ],
      [
        'arn:aws:s3:::acme-data/in/d.csv',
        expect.stringMatching(/Office: a Deny with a Condition on aws:SourceIp(, aws:ViaAWSService)? may apply$/),
      ],
    ]);
    expect(r.allowed).toBe(r.observed - 3);
  });

  it('the profile keeps them, and reads back; an edited profile out of order is refused, naming the line', () => {
    const p = join(dir, 'p.jsonl');
    const made = cli(['profile', '--cloudtrail', trail, '-o', p]);
    expect(made.code, made.stderr).toBe(0);
    const lines = readFileSync(p, 'utf8').split('\n');
    const a = lines.findIndex((l) => l.includes('in/a.csv'));
    expect(JSON.parse(lines[a]!).origins).toEqual([
      ['192.0.2.44', '', 'tls', ''],
      ['203.0.113.9', '', 'tls', ''],
    ]);
    const d = lines.find((l) => l.includes('in/d.csv'))!;
    expect(JSON.parse(d).originsMore).toBe(true);
    const swapped = [...lines];
    swapped[a] = JSON.stringify({ ...JSON.parse(lines[a]!), origins: JSON.parse(lines[a]!).origins.reverse() });
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, swapped.join('\n'));
    const g = cli(['generate', 'iam', '--profile', bad, '-o', join(dir, 'o2')]);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(`bad.jsonl:${a + 1}`);
    expect(g.stderr).toContain('origins[1]: out of order or repeated');
  });
});

describe('a malformed origin field', () => {
  it('keeps the record, says so in a notice naming file and line, and leaves the origin unknown', () => {
    const dir = tmp();
    const trail = join(dir, 'trail.jsonl');
    const ok = record('s3.amazonaws.com', 'ListBuckets', null);
    const bad = { ...record('s3.amazonaws.com', 'ListBuckets', null), vpcEndpointId: 'vpce-<x>' };
    writeFileSync(trail, [ok, bad].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const file = join(dir, 'p.jsonl');
    const r = cli(['profile', '--cloudtrail', trail, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('trail.jsonl:2');
    expect(r.stderr).toContain('cloudtrail.bad-origin');
    expect(r.stderr).toContain('is no VPC endpoint id');
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.includes('ListBuckets'))!;
    const e = JSON.parse(line) as { allowed: unknown[]; origins: unknown; originsMore: unknown };
    expect([e.allowed[0], e.origins, e.originsMore]).toEqual([2, [['10.0.1.10', '', '', '']], true]);
  });

  it("says nothing of an AWS service's own record, whose calls are left out with where they came from", () => {
    const notices: unknown[] = [];
    const at = { file: 't.jsonl', line: 3 };
    const own = { sourceIPAddress: 'x.amazonaws.com', vpcEndpointId: '<v>', userIdentity: { type: 'AWSService' } };
    expect(
      originOfRecord({ ...own, userIdentity: { ...own.userIdentity, invokedBy: '<b>' } }, at, (i) => notices.push(i)),
    ).toBeUndefined();
    expect(notices).toEqual([]);
    expect(
      originOfRecord({ ...own, userIdentity: { type: 'AssumedRole' } }, at, (i) => notices.push(i)),
    ).toBeUndefined();
    expect(notices).toMatchObject([{ code: 'cloudtrail.bad-origin', file: 't.jsonl', line: 3 }]);
  });
});

describe('a merge with a profile written before origins were kept', () => {
  it('says the union has more than it lists; two such profiles stay silent, as they were', async () => {
    const dir = tmp();
    const trail = join(dir, 'trail.json');
    const get = {
      ...record('s3.amazonaws.com', 'GetObject', { bucketName: 'acme-data', key: 'in/a.csv' }),
      tlsDetails: TLS,
    };
    writeFileSync(trail, JSON.stringify({ Records: [get] }));
    const file = join(dir, 'p.jsonl');
    expect(cli(['profile', '--cloudtrail', trail, '-o', file]).code).toBe(0);
    const now = await readProfileFile(file);
    const old = structuredClone(now);
    for (const q of old.principals) for (const e of q.aws ?? []) delete e.origins;
    const edge = (x: Profile) => x.principals.flatMap((q) => q.aws ?? [])[0]!;
    expect(edge(now).origins).toEqual([['10.0.1.10', '', 'tls', '']]);
    for (const m of [mergeProfiles([now, old]), mergeProfiles([old, now])])
      expect([edge(m).origins, edge(m).originsMore]).toEqual([[['10.0.1.10', '', 'tls', '']], true]);
    const both = edge(mergeProfiles([old, structuredClone(old)]));
    expect([both.origins, both.originsMore]).toEqual([undefined, undefined]);
  });
});

describe("the report's line on where a principal's calls came from", () => {
  const call = (origins: CallOrigin[] | undefined, more = false) => ({
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    resources: [],
    implied: [],
    allowed: { count: 1, firstSeen: '', lastSeen: '', stages: {}, samples: [] },
    ...(origins ? { origins } : {}),
    ...(more ? { originsMore: true as const } : {}),
  });

  it('public and private addresses apart, endpoints, the services that called for it; nothing where none said', () => {
    expect(
      originWords([
        call([
          ['10.0.1.10', 'vpce-0a1b2c3d4e5f67890', 'tls', ''],
          ['192.168.4.2', '', 'tls', ''],
          ['203.0.113.9', '', 'tls', ''],
        ]),
        call([['', '', '', 'cloudformation.amazonaws.com']], true),
      ]),
    ).toBe(
      'its calls came from 1 public address (203.0.113.9); 2 private addresses (10.0.1.10, 192.168.4.2); ' +
        'through VPC endpoint vpce-0a1b2c3d4e5f67890; made for it by cloudformation.amazonaws.com ' +
        '(and places the profile does not list)',
    );
    const many = Array.from({ length: 5 }, (_, i): CallOrigin => [`198.51.100.${i + 1}`, '', '', '']);
    expect(originWords([call(many)])).toBe(
      'its calls came from 5 public addresses (198.51.100.1, 198.51.100.2, 198.51.100.3, +2 more)',
    );
    expect(originWords([call(undefined, true)])).toBeUndefined();
    expect(originWords([call([['', '', '', '']])])).toBe('its calls came from no address the records name');
  });

  it('the HTML report shows it under the principal, escaped', () => {
    const dir = tmp();
    const trail = join(dir, 'trail.json');
    writeFileSync(
      trail,
      JSON.stringify({
        Records: [
          { ...record('s3.amazonaws.com', 'ListBuckets', null), sourceIPAddress: '3.248.176.19', tlsDetails: TLS },
        ],
      }),
    );
    const out = join(dir, 'report.html');
    const r = cli(['report', '--cloudtrail', trail, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('its calls came from 1 public address (3.248.176.19)');
  });
});
