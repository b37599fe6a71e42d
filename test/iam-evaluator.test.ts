import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { evaluateIdentityPolicies, readStatements, type IamRequest } from '../src/verify/iam/evaluate.js';
import { rng } from './helpers/cli.js';

const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const pol = (...Statement: unknown[]) => [{ name: 'p', document: doc(...Statement) }];
const BUCKET = 'arn:aws:s3:::acme-staging-carts';

type Case = [string, unknown[], IamRequest, 'allow' | 'deny' | 'undetermined'];
const cases: Case[] = [
  [
    'an exact action and resource',
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/a.json` }],
    { action: 's3:GetObject', resource: `${BUCKET}/a.json` },
    'allow',
  ],
  [
    'actions match case-insensitively',
    [{ Effect: 'Allow', Action: 'S3:getobject', Resource: '*' }],
    { action: 's3:GetObject', resource: `${BUCKET}/a.json` },
    'allow',
  ],
  [
    'resources match case-sensitively',
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/A.json` }],
    { action: 's3:GetObject', resource: `${BUCKET}/a.json` },
    'deny',
  ],
  [
    'a key wildcard',
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/c/*` }],
    { action: 's3:GetObject', resource: `${BUCKET}/c/d/e.json` },
    'allow',
  ],
  [
    'the bucket ARN is not an object ARN',
    [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: `${BUCKET}/*` }],
    { action: 's3:ListBucket', resource: BUCKET },
    'deny',
  ],
  [
    '? matches one character',
    [{ Effect: 'Allow', Action: 's3:Get?bject', Resource: '*' }],
    { action: 's3:GetObject', resource: BUCKET },
    'allow',
  ],
  [
    'an action wildcard',
    [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
    { action: 's3:PutObject', resource: BUCKET },
    'deny',
  ],
  [
    'an explicit Deny wins',
    [
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
    ],
    { action: 's3:DeleteObject', resource: `${BUCKET}/x` },
    'deny',
  ],
  [
    'NotAction allows everything else',
    [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
    { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/x' },
    'deny',
  ],
  [
    'NotAction: another service is allowed',
    [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
    { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:q' },
    'allow',
  ],
  [
    'NotResource',
    [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: `${BUCKET}/secret/*` }],
    { action: 's3:GetObject', resource: `${BUCKET}/secret/k` },
    'deny',
  ],
  [
    'a region wildcard stays within its segment',
    [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:*:111122223333:q' }],
    { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:q' },
    'allow',
  ],
  [
    'a conditional Allow alone is undetermined',
    [
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ],
    { action: 's3:GetObject', resource: BUCKET },
    'undetermined',
  ],
  [
    'a conditional Deny over an Allow is undetermined',
    [
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ],
    { action: 's3:GetObject', resource: BUCKET },
    'undetermined',
  ],
  [
    'a conditional Allow beside an unconditional Allow does not matter',
    [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ],
    { action: 's3:GetObject', resource: BUCKET },
    'allow',
  ],
  [
    'a policy variable is undetermined',
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/\${aws:username}/*` }],
    { action: 's3:GetObject', resource: `${BUCKET}/alice/k` },
    'undetermined',
  ],
  [
    'a conditional statement for another action is irrelevant',
    [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      {
        Effect: 'Deny',
        Action: 'iam:*',
        Resource: '*',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
      },
    ],
    { action: 's3:GetObject', resource: BUCKET },
    'allow',
  ],
  [
    'nothing applies: implicit deny',
    [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
    { action: 's3:GetObject', resource: BUCKET },
    'deny',
  ],
];

describe('IAM identity-policy evaluator (groundwork for the CloudTrail slice)', () => {
  it.each(cases)('%s', (_n, statements, req, want) => {
    expect(evaluateIdentityPolicies(pol(...statements), req).result).toBe(want);
  });

  it.each([
    [{ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }, /Effect/],
    [{ Statement: [{ Effect: 'Allow', Resource: '*' }] }, /Action and NotAction/],
    [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', NotResource: 'x' }] }, /Resource and NotResource/],
    [{ Statement: [{ Effect: 'Allow', Action: [1], Resource: '*' }] }, /Action must be/],
  ])('rejects a malformed document %j', (d, msg) => {
    expect(readStatements(d)).toMatch(msg);
  });

  // The oracle: @cloud-copilot/iam-simulate (AGPL, a devDependency only). Random unconditional
  // policies over real actions and ARNs; every decision must agree.
  const ACTIONS: [string, string[]][] = [
    ['s3:GetObject', [`${BUCKET}/c/1.json`, `${BUCKET}/d/2.json`, 'arn:aws:s3:::acme-staging-backups/n/0.tar']],
    ['s3:PutObject', [`${BUCKET}/c/1.json`, 'arn:aws:s3:::acme-staging-backups/n/0.tar']],
    ['s3:ListBucket', [BUCKET, 'arn:aws:s3:::acme-staging-backups']],
    ['sqs:SendMessage', ['arn:aws:sqs:eu-west-1:111122223333:orders', 'arn:aws:sqs:us-east-1:111122223333:orders']],
    ['dynamodb:GetItem', ['arn:aws:dynamodb:eu-west-1:111122223333:table/carts']],
  ];
  const PATTERNS = [
    '*',
    `${BUCKET}/*`,
    `${BUCKET}/c/*`,
    BUCKET,
    'arn:aws:s3:::acme-staging-*',
    'arn:aws:sqs:*:111122223333:orders',
    'arn:aws:sqs:eu-west-1:111122223333:*',
    'arn:aws:dynamodb:eu-west-1:111122223333:table/cart?',
    `${BUCKET}/c/1.json`,
  ];
  const ACTION_PATTERNS = [
    's3:*',
    's3:Get*',
    's3:GetObject',
    's3:PutObject',
    's3:List*',
    'sqs:SendMessage',
    'sqs:*',
    'dynamodb:Get*',
    '*',
  ];

  it('agrees with iam-simulate on random unconditional policies', async () => {
    const r = rng(2026);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    let compared = 0;
    for (let i = 0; i < 150; i++) {
      const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        const st: Record<string, unknown> = { Effect: r() < 0.25 ? 'Deny' : 'Allow' };
        st[r() < 0.15 ? 'NotAction' : 'Action'] =
          r() < 0.5 ? pick(ACTION_PATTERNS) : [pick(ACTION_PATTERNS), pick(ACTION_PATTERNS)];
        st[r() < 0.15 ? 'NotResource' : 'Resource'] = r() < 0.5 ? pick(PATTERNS) : [pick(PATTERNS), pick(PATTERNS)];
        return st;
      });
      const [action, arns] = pick(ACTIONS);
      const resource = pick(arns);
      const ours = evaluateIdentityPolicies(pol(...statements), { action, resource });
      const sim = await runSimulation(
        {
          identityPolicies: [{ name: 'p', policy: doc(...statements) }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: undefined,
          request: {
            action,
            principal: 'arn:aws:iam::111122223333:role/shop-cart',
            resource: { accountId: '111122223333', resource },
            contextVariables: {},
          },
        } as never,
        {},
      );
      expect(sim.resultType, JSON.stringify(sim)).not.toBe('error');
      const theirs = (sim as { overallResult: string }).overallResult;
      expect([i, JSON.stringify(statements), action, resource, ours.result]).toEqual([
        i,
        JSON.stringify(statements),
        action,
        resource,
        theirs === 'Allowed' ? 'allow' : 'deny',
      ]);
      compared++;
    }
    expect(compared).toBe(150);
  });
});
