import { runSimulation } from '@cloud-copilot/iam-simulate';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passedToOf, passedToService } from '../src/knowledge/aws/passedTo.js';
import { callContext } from '../src/verify/iam/requestFacts.js';
import { evaluateIdentityPolicies, type IamRequest } from '../src/verify/iam/evaluate.js';
import { cli, rng, tmp } from './helpers/cli.js';
import { docsSide } from './helpers/policySides.js';
import { ACCOUNT as A, REGION as R, ROLE, record } from './helpers/cloudtrailRecords.js';

/**
 * Identity policies' Conditions on the keys replay knows of a call: who made it (`aws:PrincipalArn`,
 * `aws:PrincipalAccount`, `aws:PrincipalType`, a user's `aws:username`: the IAM User Guide's "AWS global condition
 * context keys") and where it went (`aws:RequestedRegion`, the record's `awsRegion`). A region guard is the usual
 * shape ("Deny NotAction ... StringNotEquals aws:RequestedRegion"): every call used to be undetermined under it.
 * Keys the request context is not given (here no origin: `aws:SourceIp`, `aws:SecureTransport`; tags) stay
 * undetermined, and say which (iam-call-origin.test.ts gives the origin).
 */
const USER = `arn:aws:iam::${A}:user/ops/bob`;
const doc = (...Statement: Record<string, unknown>[]) => [
  { name: 'p.json', document: { Version: '2012-10-17', Statement } },
];
const allowAll = { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' };
/** The guard AWS's docs show in several guides: deny what is not global outside the regions named. */
const guard = {
  Sid: 'Regions',
  Effect: 'Deny',
  NotAction: ['iam:*', 'sts:*', 'organizations:*', 'support:*'],
  Resource: '*',
  Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
};
const ask = (action: string, resource: string, by: string, region?: string, passedTo?: string | null): IamRequest => ({
  action,
  resource,
  createAction: null,
  context: callContext(by, { region, passedTo }),
});
const OBJECT = 'arn:aws:s3:::acme-data/in/a.csv';

/** `verify` of the tree `out` against `trail`: exactly one access not allowed (action, resource, detail), none open. */
function expectOneDenied(out: string, trail: string, denied: unknown[]): void {
  const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json']);
  expect(v.code, v.stderr).toBe(1);
  const r = JSON.parse(v.stdout) as {
    observed: number;
    allowed: number;
    undetermined: unknown[];
    notAllowed: { access: { action: string; resource: string }; detail: string }[];
  };
  expect(r.undetermined).toEqual([]);
  expect(r.notAllowed.map((n) => [n.access.action, n.access.resource, n.detail])).toEqual([denied]);
  expect(r.allowed).toBe(r.observed - 1);
}

describe('the evaluator with the request context replay knows', () => {
  it('a region guard: allowed in the regions it names, explicitly denied elsewhere, global actions untouched', () => {
    const p = doc(allowAll, guard);
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, 'eu-west-1')).result).toBe('allow');
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, 'eu-central-1')).result).toBe('allow');
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, 'us-east-1'))).toEqual({
      result: 'deny',
      explicit: true,
      policy: 'p.json',
      sid: 'Regions',
    });
    expect(evaluateIdentityPolicies(p, ask('iam:GetRole', '*', ROLE, 'us-east-1')).result).toBe('allow');
  });

  it('without the region (a record that said none, or no context at all) the guard may apply: undetermined', () => {
    const p = doc(allowAll, guard);
    const d = evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE));
    expect(d).toEqual({
      result: 'undetermined',
      reasons: ['p.json Regions: a Deny with a Condition on aws:RequestedRegion may apply'],
    });
    const bare = evaluateIdentityPolicies(p, { action: 's3:GetObject', resource: OBJECT });
    expect(bare).toEqual({ result: 'undetermined', reasons: ['p.json Regions: a Deny with a Condition may apply'] });
  });

  it('an Allow under the region: granted there, not elsewhere (an implicit deny)', () => {
    const p = doc({
      Sid: 'Here',
      Effect: 'Allow',
      Action: 'ec2:Describe*',
      Resource: '*',
      Condition: { StringEquals: { 'AWS:RequestedRegion': R } },
    });
    expect(evaluateIdentityPolicies(p, ask('ec2:DescribeInstances', '*', ROLE, R)).result).toBe('allow');
    expect(evaluateIdentityPolicies(p, ask('ec2:DescribeInstances', '*', ROLE, 'us-west-2'))).toEqual({
      result: 'deny',
      explicit: false,
    });
  });

  it('keys of who made the call: the role (a session is its role), the user and its name, the account', () => {
    const p = doc(
      {
        Sid: 'CiRoles',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/apps/*` } },
      },
      {
        Sid: 'Bob',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: '*',
        Condition: { StringEquals: { 'aws:username': 'bob', 'aws:PrincipalType': 'User', 'aws:PrincipalAccount': A } },
      },
    );
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, R)).result).toBe('allow');
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, USER, R)).result).toBe('deny');
    expect(evaluateIdentityPolicies(p, ask('s3:PutObject', OBJECT, USER, R)).result).toBe('allow');
    // A role session's request has no aws:username: the Condition fails, it does not stay open.
    expect(evaluateIdentityPolicies(p, ask('s3:PutObject', OBJECT, ROLE, R)).result).toBe('deny');
  });

  it('a key the records do not say leaves the statement undetermined, naming the key; a failing key decides', () => {
    const p = doc(allowAll, {
      Sid: 'Office',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:RequestedRegion': 'eu-west-1' },
        NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' },
      },
    });
    // In eu-west-1 the Deny hangs on the source address, which replay does not know.
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, 'eu-west-1'))).toEqual({
      result: 'undetermined',
      reasons: ['p.json Office: a Deny with a Condition on aws:SourceIp may apply'],
    });
    // Elsewhere its region block fails: it cannot apply, whatever the address.
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, 'eu-central-1')).result).toBe('allow');
  });

  it('operators it does not read (Numeric) stay undetermined even on a key it knows', () => {
    const p = doc({
      Sid: 'B',
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { NumericEquals: { 'aws:RequestedRegion': '1' } },
    });
    expect(evaluateIdentityPolicies(p, ask('s3:GetObject', OBJECT, ROLE, R))).toEqual({
      result: 'undetermined',
      reasons: ['p.json B: an Allow with a Condition may apply'],
    });
  });

  it('a CreateAction key beside the region: both judged', () => {
    const p = doc({
      Sid: 'OnRun',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances', 'aws:RequestedRegion': R } },
    });
    const at = (createAction: string | null, region: string): IamRequest => ({
      action: 'ec2:CreateTags',
      resource: `arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`,
      createAction,
      context: callContext(ROLE, { region }),
    });
    expect(evaluateIdentityPolicies(p, at('RunInstances', R)).result).toBe('allow');
    expect(evaluateIdentityPolicies(p, at('RunInstances', 'us-east-1')).result).toBe('deny');
    expect(evaluateIdentityPolicies(p, at(null, R)).result).toBe('deny');
  });

  it("policy variables in resources and Condition values are made from the request's keys", () => {
    const home = doc({
      Sid: 'Home',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::acme-home/${aws:username}/*', "arn:aws:s3:::acme-home/${aws:username, 'shared'}/x"],
    });
    expect(evaluateIdentityPolicies(home, ask('s3:GetObject', 'arn:aws:s3:::acme-home/bob/a', USER, R)).result).toBe(
      'allow',
    );
    expect(evaluateIdentityPolicies(home, ask('s3:GetObject', 'arn:aws:s3:::acme-home/alice/a', USER, R)).result).toBe(
      'deny',
    );
    // A role's request has no aws:username: the first matches nothing, the second falls back to its default.
    expect(evaluateIdentityPolicies(home, ask('s3:GetObject', 'arn:aws:s3:::acme-home/bob/a', ROLE, R)).result).toBe(
      'deny',
    );
    expect(evaluateIdentityPolicies(home, ask('s3:GetObject', 'arn:aws:s3:::acme-home/shared/x', ROLE, R)).result).toBe(
      'allow',
    );
    const own = doc({
      Sid: 'Own',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/apps/*' } },
    });
    expect(evaluateIdentityPolicies(own, ask('s3:GetObject', OBJECT, ROLE, R)).result).toBe('allow');
    expect(evaluateIdentityPolicies(own, ask('s3:GetObject', OBJECT, USER, R)).result).toBe('deny');
  });

  it('a variable on a key replay does not know stays undetermined', () => {
    expect(
      evaluateIdentityPolicies(
        doc({
          Sid: 'T',
          Effect: 'Allow',
          Action: 's3:*',
          Resource: 'arn:aws:s3:::acme-home/${aws:PrincipalTag/team}/*',
        }),
        ask('s3:GetObject', 'arn:aws:s3:::acme-home/bob/a', USER, R),
      ),
    ).toEqual({ result: 'undetermined', reasons: ['p.json T: an Allow with a policy variable may apply'] });
  });

  it('a special character is the character (`${*}` a literal `*`), beside a variable or alone', () => {
    const allows = (resource: string, object: string) =>
      evaluateIdentityPolicies(
        doc({ Sid: 'T', Effect: 'Allow', Action: 's3:*', Resource: resource }),
        ask('s3:GetObject', object, USER, R),
      ).result;
    expect(allows('arn:aws:s3:::acme-home/${*}/*', 'arn:aws:s3:::acme-home/*/a')).toBe('allow');
    expect(allows('arn:aws:s3:::acme-home/${*}/*', 'arn:aws:s3:::acme-home/bob/a')).toBe('deny');
    expect(allows('arn:aws:s3:::acme-home/${aws:username}/${?}', 'arn:aws:s3:::acme-home/bob/?')).toBe('allow');
    expect(allows('arn:aws:s3:::acme-home/${aws:username}/${?}', 'arn:aws:s3:::acme-home/bob/x')).toBe('deny');
  });

  it('the context is only for role and user ARNs', () => {
    expect(callContext('arn:aws:sts::111122223333:federated-user/x', { region: R })).toBeUndefined();
    expect(callContext(ROLE, { region: R })?.keys.get('aws:requestedregion')).toBe(R);
    expect(callContext(ROLE)?.keys.has('aws:requestedregion')).toBe(false);
  });
});

describe('verify (check of a committed policy) replays each call in the region it went to', () => {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  const get = (key: string, region: string) => ({
    ...record('s3.amazonaws.com', 'GetObject', { bucketName: 'acme-data', key }),
    awsRegion: region,
  });
  const describeIn = (region: string) => ({
    ...record('ec2.amazonaws.com', 'DescribeInstances', {}),
    awsRegion: region,
  });
  writeFileSync(
    trail,
    JSON.stringify({
      Records: [get('in/a.csv', 'eu-west-1'), get('in/b.csv', 'us-east-1'), describeIn('eu-west-1')],
    }),
  );
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  const file = join(out, 'iam', A, 'role', 'worker.json');

  it('the generated policy (no Condition) allows every call', () => {
    expect(gen.code, gen.stderr).toBe(0);
    const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a committed policy with the region guard: the call outside it is denied by name, the rest allowed', () => {
    const generated = JSON.parse(readFileSync(file, 'utf8')) as { Statement: unknown[] };
    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [...generated.Statement, guard] }));
    expectOneDenied(out, trail, [
      's3:GetObject',
      'arn:aws:s3:::acme-data/in/b.csv',
      expect.stringMatching(/^explicitly denied by .* Regions$/),
    ]);
  });
});

/** iam-simulate's verdict (AGPL, a devDependency only) on a call by `by` in `region` under `statements`. */
async function oracle(
  statements: unknown[],
  action: string,
  resource: string,
  by: string,
  region: string,
  resourceAccount = A,
) {
  const role = /:role\/(?:.*\/)?([^/]+)$/.exec(by);
  const sim = await runSimulation(
    {
      identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      request: {
        action,
        principal: role ? `arn:aws:sts::${A}:assumed-role/${role[1]!}/s1` : by,
        resource: { accountId: resourceAccount, resource },
        contextVariables: {
          'aws:PrincipalArn': by,
          'aws:PrincipalAccount': A,
          'aws:PrincipalType': role ? 'AssumedRole' : 'User',
          'aws:RequestedRegion': region,
          'aws:ResourceAccount': resourceAccount,
          'aws:PrincipalIsAWSService': 'false',
          ...(action === 'iam:PassRole' ? { 'iam:PassedToService': 'lambda.amazonaws.com' } : {}),
          ...(action.startsWith('kms:')
            ? { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'aws:ViaAWSService': 'true' }
            : {}),
          ...(role ? {} : { 'aws:username': by.slice(by.lastIndexOf('/') + 1) }),
        },
      },
    } as never,
    {},
  );
  expect(sim.resultType, JSON.stringify(sim)).not.toBe('error');
  // The identity policies' answer: a KMS key also needs its key policy, which is not what is asked here.
  const answer = sim as { result?: { analysis?: { identityAnalysis?: { result: string } } } };
  return answer.result?.analysis?.identityAnalysis?.result === 'Allowed' ? 'allow' : 'deny';
}

describe('the evaluator with context against iam-simulate', () => {
  // A variable naming a key the request does not carry (a role's aws:username): "no value", equal to nothing and
  // unequal to nothing; a Resource list keeps its other patterns, a NotResource with it never holds.
  const noValue: [string, Record<string, unknown>[]][] = [
    [
      'a Resource list keeps its other pattern',
      [
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::acme-data/${aws:username}/*', 'arn:aws:s3:::acme-data/in/*'],
        },
      ],
    ],
    [
      'an Allow NotResource with it',
      [{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::acme-data/${aws:username}/*' }],
    ],
    [
      'a Deny NotResource with it',
      [allowAll, { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::acme-data/${aws:username}/*' }],
    ],
    [
      'a negated operator on it',
      [
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:PrincipalType': '${aws:username}' } },
        },
      ],
    ],
    [
      'a negated operator on it and another value',
      [
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringNotLike: { 'aws:PrincipalType': ['${aws:username}', 'User'] } },
        },
      ],
    ],
    [
      'an operator on it and another value',
      [
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalType': ['${aws:username}', 'AssumedRole'] } },
        },
      ],
    ],
  ];
  for (const [name, statements] of noValue)
    it(`no value: ${name}`, async () => {
      const ours = evaluateIdentityPolicies(doc(...statements), ask('s3:GetObject', OBJECT, ROLE, R));
      expect(ours.result).toBe(await oracle(statements, 's3:GetObject', OBJECT, ROLE, R));
    });

  it('data perimeter keys: the account an ARN names, and a principal that is no AWS service', async () => {
    const perimeter = [
      allowAll,
      {
        Sid: 'OurAccounts',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:ResourceAccount': [A] } },
      },
      {
        Sid: 'NoService',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' }, Null: { 'aws:PrincipalServiceName': 'false' } },
      },
    ];
    for (const queue of [`arn:aws:sqs:${R}:${A}:orders`, `arn:aws:sqs:${R}:444455556666:orders`]) {
      const ours = evaluateIdentityPolicies(doc(...perimeter), ask('sqs:SendMessage', queue, ROLE, R));
      const theirs = await oracle(perimeter, 'sqs:SendMessage', queue, ROLE, R, queue.split(':')[4]!);
      expect([queue, ours.result]).toEqual([queue, theirs]);
    }
    expect(
      evaluateIdentityPolicies(doc(...perimeter), ask('sqs:SendMessage', `arn:aws:sqs:${R}:${A}:q`, ROLE, R)).result,
    ).toBe('allow');
    // An S3 ARN names no account: the Deny may apply.
    expect(evaluateIdentityPolicies(doc(...perimeter), ask('s3:GetObject', OBJECT, ROLE, R))).toEqual({
      result: 'undetermined',
      reasons: ['p.json OurAccounts: a Deny with a Condition on aws:ResourceAccount may apply'],
    });
  });

  it('only the resource part of an ARN takes variables (the IAM User Guide, "Where you can use policy variables")', async () => {
    const QUEUE = `arn:aws:sqs:${R}:${A}:orders`;
    const statements = [{ Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:${aws:PrincipalAccount}:*' }];
    const ours = evaluateIdentityPolicies(doc(...statements), ask('sqs:SendMessage', QUEUE, ROLE, R));
    expect(ours.result).toBe('deny');
    expect(await oracle(statements, 'sqs:SendMessage', QUEUE, ROLE, R)).toBe('deny');
  });

  it('agrees on 200 random policies under Conditions on the keys replay knows', async () => {
    const r = rng(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const KEYS: [string, string[]][] = [
      ['aws:RequestedRegion', ['eu-west-1', 'us-east-1', 'eu-*', 'EU-WEST-1']],
      [
        'aws:PrincipalArn',
        [
          ROLE,
          USER,
          `arn:aws:iam::${A}:role/apps/*`,
          `arn:aws:iam::${A}:user/*`,
          'arn:aws:iam::*:user/ops/${aws:username}',
        ],
      ],
      ['aws:PrincipalType', ['AssumedRole', 'User']],
      ['aws:PrincipalAccount', [A, '444455556666']],
      ['aws:username', ['bob', 'b*', 'alice']],
      ['iam:PassedToService', ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', '*.amazonaws.com']],
    ];
    const VARIABLE_RESOURCES = [
      'arn:aws:s3:::acme-data/${aws:username}/*',
      "arn:aws:s3:::acme-data/${aws:username, 'in'}/*",
      'arn:aws:sqs:${aws:RequestedRegion}:${aws:PrincipalAccount}:*',
      'arn:aws:iam::${aws:PrincipalAccount}:role/*',
    ];
    const OPS = ['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike', 'StringEqualsIgnoreCase'];
    // A data key S3 asks for: kms:ViaService and aws:ViaAWSService are known too (only there: a call of the principal's
    // own may have come through a service the profile does not name).
    const VIA_KEYS: [string, string[]][] = [
      ['kms:ViaService', ['s3.eu-west-1.amazonaws.com', 's3.*.amazonaws.com', 'ec2.eu-west-1.amazonaws.com']],
    ];
    const condition = (kms: boolean) => {
      if (kms && r() < 0.4) {
        if (r() < 0.4)
          return { [`Bool${r() < 0.2 ? 'IfExists' : ''}`]: { 'aws:ViaAWSService': pick(['true', 'false']) } };
        const [key, values] = pick(VIA_KEYS);
        return { [pick(OPS)]: { [key]: pick(values) } };
      }
      const [key, values] = pick(KEYS);
      const op =
        key === 'aws:PrincipalArn' && r() < 0.5
          ? pick(['ArnLike', 'ArnNotLike', 'ArnEquals'])
          : `${pick(OPS)}${r() < 0.2 ? 'IfExists' : ''}`;
      return r() < 0.1 ? { Null: { [key]: pick(['true', 'false']) } } : { [op]: { [key]: pick(values) } };
    };
    const CALLS: [string, string][] = [
      ['s3:GetObject', OBJECT],
      ['s3:GetObject', 'arn:aws:s3:::acme-data/bob/b.csv'],
      ['sqs:SendMessage', `arn:aws:sqs:${R}:${A}:orders`],
      ['iam:GetRole', `arn:aws:iam::${A}:role/apps/worker`],
      ['iam:PassRole', `arn:aws:iam::${A}:role/lambda/exec`],
      ['kms:GenerateDataKey', `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ];
    const seen = { allow: 0, deny: 0, undetermined: 0 };
    for (let i = 0; i < 200; i++) {
      const [action, resource] = pick(CALLS);
      const kms = action.startsWith('kms:');
      const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
        Effect: r() < 0.3 ? 'Deny' : 'Allow',
        Action: pick(['s3:*', 'sqs:SendMessage', '*', 'iam:Get*', 'iam:PassRole', 'kms:*']),
        Resource: r() < 0.3 ? pick(VARIABLE_RESOURCES) : '*',
        ...(r() < 0.85 ? { Condition: r() < 0.3 ? { ...condition(kms), ...condition(kms) } : condition(kms) } : {}),
      }));
      const by = pick([ROLE, USER]);
      const region = pick(['eu-west-1', 'us-east-1', 'eu-central-1']);
      const passedTo = action === 'iam:PassRole' ? 'lambda.amazonaws.com' : null;
      const ours = evaluateIdentityPolicies(doc(...statements), {
        ...ask(action, resource, by, region, passedTo),
        context: callContext(by, { region, passedTo, ...(kms ? { via: 's3' } : {}) }),
      });
      const theirs = await oracle(statements, action, resource, by, region);
      expect([i, JSON.stringify(statements), action, by, region, ours.result]).toEqual([
        i,
        JSON.stringify(statements),
        action,
        by,
        region,
        theirs,
      ]);
      seen[ours.result]++;
    }
    // Both answers, many times each; none undetermined (every key is known or known absent).
    expect(seen.allow).toBeGreaterThan(30);
    expect(seen.deny).toBeGreaterThan(40);
    expect(seen.undetermined).toBe(0);
  });
});

/**
 * `iam:PassedToService`: AWS managed policies allow `iam:PassRole` only to the service that uses the role
 * (AWSLambda_FullAccess: `lambda.amazonaws.com`; AmazonECS_FullAccess: `ecs-tasks.amazonaws.com`), so a check of a
 * principal holding one asks which service each passed role went to.
 */
describe('the service a role is passed to', () => {
  it('is named for the calls whose guides say it, never guessed from the event source', () => {
    expect(passedToService('lambda:UpdateFunctionConfiguration', 'requestParameters.role')).toBe(
      'lambda.amazonaws.com',
    );
    expect(passedToService('ecs:RegisterTaskDefinition', 'requestParameters.executionRoleArn')).toBe(
      'ecs-tasks.amazonaws.com',
    );
    expect(
      passedToService(
        'ec2:RunInstances',
        'requestParameters.iamInstanceProfile (web): the role inside the instance profile is not in the event',
      ),
    ).toBe('ec2.amazonaws.com');
    expect(passedToService('glue:UpdateJob', 'requestParameters.jobUpdate.role')).toBe('glue.amazonaws.com');
    // A list's index: an EventBridge target's role; a nested one: a pipeline's own, not its actions'.
    expect(passedToService('events:PutTargets', 'requestParameters.targets[1].roleArn')).toBe('events.amazonaws.com');
    expect(passedToService('codepipeline:CreatePipeline', 'requestParameters.pipeline.roleArn')).toBe(
      'codepipeline.amazonaws.com',
    );
    expect(
      passedToService('codepipeline:CreatePipeline', 'requestParameters.pipeline.stages[0].actions[0].roleArn'),
    ).toBeUndefined();
    // An EKS node role trusts EC2 but is checked as passed to EKS.
    expect(passedToService('eks:CreateNodegroup', 'requestParameters.nodeRole')).toBe('eks.amazonaws.com');
    // CodeBuild sends no key (null); an RDS monitoring role's value is not written down (undefined).
    expect(passedToService('codebuild:CreateProject', 'requestParameters.serviceRole')).toBeNull();
    expect(passedToService('rds:CreateDBInstance', 'requestParameters.monitoringRoleArn')).toBeUndefined();
    // Only in the aws partition: which principal a service sends in China's regions is not written down.
    const update = (region?: string) =>
      passedToOf(
        { eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionConfiguration', region },
        { action: 'iam:PassRole', implied: 'requestParameters.role' },
      );
    expect([update('eu-west-1'), update('cn-north-1'), update('us-gov-west-1'), update()]).toEqual([
      'lambda.amazonaws.com',
      undefined,
      undefined,
      undefined,
    ]);
    expect(passedToService('lambda:UpdateFunctionConfiguration', 'requestParameters.kmsKeyArn')).toBeUndefined();
  });

  const lambdaOnly = doc(
    {
      Sid: 'PassToLambda',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    },
    {
      Sid: 'NotPassing',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringEqualsIfExists: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    },
  );
  const pass = (service: string | null | undefined, action = 'iam:PassRole'): IamRequest => ({
    action,
    resource: `arn:aws:iam::${A}:role/lambda/exec`,
    createAction: null,
    context: callContext(ROLE, { region: R, passedTo: service }),
  });

  it('the evaluator: allowed to the service named, denied to another, undetermined where not known', () => {
    expect(evaluateIdentityPolicies(lambdaOnly, pass('lambda.amazonaws.com')).result).toBe('allow');
    expect(evaluateIdentityPolicies(lambdaOnly, pass('ecs-tasks.amazonaws.com')).result).toBe('deny');
    expect(evaluateIdentityPolicies(lambdaOnly, pass(undefined))).toEqual({
      result: 'undetermined',
      reasons: ['p.json PassToLambda: an Allow with a Condition on iam:PassedToService may apply'],
    });
    // Another action's request never carries the key: IfExists holds.
    expect(evaluateIdentityPolicies(lambdaOnly, pass(null, 's3:GetObject')).result).toBe('allow');
  });

  describe('verify of a committed policy allowing PassRole to Lambda only', () => {
    const dir = tmp();
    const trail = join(dir, 'trail.json');
    const EXEC = `arn:aws:iam::${A}:role/lambda/exec`;
    const TASK = `arn:aws:iam::${A}:role/ecs/task`;
    writeFileSync(
      trail,
      JSON.stringify({
        Records: [
          {
            ...record('lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', {
              functionName: 'thumbnailer',
              role: EXEC,
            }),
          },
          record('ecs.amazonaws.com', 'RegisterTaskDefinition', {
            family: 'api',
            taskRoleArn: TASK,
            containerDefinitions: [{ name: 'api', image: 'nginx' }],
          }),
        ],
      }),
    );
    const out = join(dir, 'out');
    const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
    const file = join(out, 'iam', A, 'role', 'worker.json');

    it("the Lambda function's role passes; the ECS task role is denied; nothing is left undetermined", () => {
      expect(gen.code, gen.stderr).toBe(0);
      writeFileSync(
        file,
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Calls',
              Effect: 'Allow',
              Action: ['lambda:UpdateFunctionConfiguration', 'ecs:RegisterTaskDefinition'],
              Resource: '*',
            },
            ...(lambdaOnly[0]!.document.Statement as object[]).slice(0, 1),
          ],
        }),
      );
      expectOneDenied(out, trail, ['iam:PassRole', TASK, 'no statement allows it']);
    });
  });
});

/**
 * A KMS request a service makes for the principal (the KMS Developer Guide's `kms:ViaService`): an S3 write with
 * SSE-KMS has S3 ask for a data key as the caller, with `kms:ViaService` `s3.REGION.amazonaws.com` and
 * `aws:ViaAWSService` true. Identity policies allow KMS that way only, as the guide recommends.
 */
describe('a key a service uses for the principal', () => {
  const KEY = `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const viaS3 = (region: string, bool?: boolean) =>
    doc({
      Sid: 'ViaS3',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: KEY,
      Condition: bool
        ? { Bool: { 'aws:ViaAWSService': true } }
        : { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    });
  const ask2 = (via: string | undefined, region = R): IamRequest => ({
    action: 'kms:GenerateDataKey',
    resource: KEY,
    createAction: null,
    context: callContext(ROLE, { region, ...(via ? { via } : {}) }),
  });

  it('the evaluator: allowed through the service and region named, not through another; a direct call stays open', () => {
    expect(evaluateIdentityPolicies(viaS3(R), ask2('s3')).result).toBe('allow');
    expect(evaluateIdentityPolicies(viaS3(R, true), ask2('s3')).result).toBe('allow');
    expect(evaluateIdentityPolicies(viaS3('us-east-1'), ask2('s3')).result).toBe('deny');
    expect(evaluateIdentityPolicies(viaS3(R), ask2('ec2')).result).toBe('deny');
    // A call the principal made to KMS itself may still have come through a service the profile does not name.
    expect(evaluateIdentityPolicies(viaS3(R), ask2(undefined))).toEqual({
      result: 'undetermined',
      reasons: ['p.json ViaS3: an Allow with a Condition on kms:ViaService may apply'],
    });
  });

  it('verify: the data key of an SSE-KMS upload is judged with S3 as the service that asked', () => {
    const dir = tmp();
    const trail = join(dir, 'trail.json');
    writeFileSync(
      trail,
      JSON.stringify({
        Records: [
          record('s3.amazonaws.com', 'PutObject', {
            bucketName: 'acme-data',
            key: 'in/a.json',
            'x-amz-server-side-encryption': 'aws:kms',
            'x-amz-server-side-encryption-aws-kms-key-id': KEY,
          }),
        ],
      }),
    );
    const out = join(dir, 'out');
    expect(cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]).code).toBe(0);
    const file = join(out, 'iam', A, 'role', 'worker.json');
    const put = { Sid: 'Put', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::acme-data/*' };
    const write = (region: string) =>
      writeFileSync(
        file,
        JSON.stringify({ Version: '2012-10-17', Statement: [put, ...viaS3(region)[0]!.document.Statement] }),
      );
    write(R);
    const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const r = JSON.parse(v.stdout) as { observed: number; allowed: number; undetermined: unknown[] };
    expect([r.observed, r.allowed, r.undetermined]).toEqual([2, 2, []]);
    write('us-east-1');
    expectOneDenied(out, trail, ['kms:GenerateDataKey', KEY, 'no statement allows it']);
  });
});

/**
 * `diff`: whether one side covers the other's grant is asked with who the principal is (the ARN an account's answer,
 * an index or the profile gives). A Condition that only names the principal itself narrows nothing for it: dropping
 * it is no new access; where and through what a call goes stays unknown there.
 */
describe('diff asks with the principal known', () => {
  const account = (...statements: Record<string, unknown>[]) =>
    docsSide([
      {
        UserDetailList: [],
        GroupDetailList: [],
        Policies: [],
        RoleDetailList: [
          {
            Path: '/apps/',
            RoleName: 'worker',
            Arn: ROLE,
            RolePolicyList: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
            AttachedManagedPolicies: [],
          },
        ],
      },
    ]);
  const read = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-data/*' };
  const diff = (base: string, head: string) => {
    const r = cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', 'any']);
    expect(r.stderr).not.toMatch(/error/i);
    return { code: r.code, out: JSON.parse(r.stdout) as Record<string, { summary: string }[]> };
  };

  it("a Condition naming the role's own ARN, dropped: nothing changes", () => {
    const own = { ...read, Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/apps/*` } } };
    const r = diff(account(own), account(read));
    expect([r.code, r.out['newAccess'], r.out['removedAccess'], r.out['undetermined']]).toEqual([0, [], [], []]);
  });

  it("a Condition the role never meets (a user's name), dropped: new access", () => {
    const user = { ...read, Condition: { StringEquals: { 'aws:username': 'bob' } } };
    const r = diff(account(user), account(read));
    expect(r.code).toBe(1);
    expect(r.out['newAccess']!.map((f) => f.summary)).toEqual(['s3:GetObject on arn:aws:s3:::acme-data/*']);
  });

  it('a region Condition, dropped: new access under a Condition, as before (the region is not known there)', () => {
    const here = { ...read, Condition: { StringEquals: { 'aws:RequestedRegion': R } } };
    const r = diff(account(here), account(read));
    expect(r.code).toBe(1);
    expect(r.out['newAccess']!.map((f) => f.summary)).toEqual(['s3:GetObject on arn:aws:s3:::acme-data/*']);
  });
});
