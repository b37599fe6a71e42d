import { expect } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../../src/ingest/cloudTrail/decode.js';
import type { InputIssue } from '../../src/model/issue.js';
/**
 * CloudTrail records of the shapes AWS documents for each service's CloudTrail logging (requestParameters
 * as CloudTrail logs them: camelCase request fields, EC2's item sets, S3's bucketName/key and headers,
 * Lambda's versioned event names), one call each, made by one role in account 111122223333, eu-west-1.
 * Used by the parameter → ARN tables and the generate → verify round trip.
 */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/apps/worker`;

let n = 0;
export function record(
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  n++;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:worker-session',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/worker-session`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID',
          arn: ROLE,
          accountId: ACCOUNT,
          userName: 'worker',
        },
      },
    },
    eventTime: `2026-11-02T08:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`,
    eventSource,
    eventName,
    awsRegion: REGION,
    sourceIPAddress: '10.0.1.10',
    userAgent: 'aws-sdk-go-v2/1.30.3',
    requestParameters,
    responseElements: null,
    requestID: `req-${n}`,
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...more,
  };
}

const A = ACCOUNT;
const R = REGION;
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * Per service: the record, the ARNs its request parameters name (exactly, sorted), and for each the action that
 * takes it (the catalogue must list that ARN's type among the action's resource types).
 */
export interface ArnCase {
  name: string;
  record: Record<string, unknown>;
  arns: string[];
  /** action → the ARNs of `arns` the action is granted on. */
  takes: Record<string, string[]>;
}

export const ARN_CASES: ArnCase[] = [
  {
    name: 's3 GetObject: bucket and key',
    record: record('s3.amazonaws.com', 'GetObject', {
      bucketName: 'acme-data',
      Host: 'acme-data.s3.eu-west-1.amazonaws.com',
      key: 'in/a b.json',
    }),
    arns: ['arn:aws:s3:::acme-data', 'arn:aws:s3:::acme-data/in/a b.json'],
    takes: { 's3:GetObject': ['arn:aws:s3:::acme-data/in/a b.json'] },
  },
  {
    name: 'iam GetRole: a role by name, its path unknown',
    record: record('iam.amazonaws.com', 'GetRole', { roleName: 'shop-cart' }),
    arns: [`arn:aws:iam::${A}:role/*/shop-cart`, `arn:aws:iam::${A}:role/shop-cart`],
    takes: { 'iam:GetRole': [`arn:aws:iam::${A}:role/*/shop-cart`, `arn:aws:iam::${A}:role/shop-cart`] },
  },
  {
    name: 'iam AttachRolePolicy: role by name, policy by ARN',
    record: record('iam.amazonaws.com', 'AttachRolePolicy', {
      roleName: 'app',
      policyArn: `arn:aws:iam::${A}:policy/app-read`,
    }),
    arns: [`arn:aws:iam::${A}:policy/app-read`, `arn:aws:iam::${A}:role/*/app`, `arn:aws:iam::${A}:role/app`],
    takes: { 'iam:AttachRolePolicy': [`arn:aws:iam::${A}:role/*/app`, `arn:aws:iam::${A}:role/app`] },
  },
  {
    name: 'iam CreateUser: the path of a create is in the request',
    record: record('iam.amazonaws.com', 'CreateUser', { userName: 'bot', path: '/ci/' }),
    arns: [`arn:aws:iam::${A}:user/ci/bot`],
    takes: { 'iam:CreateUser': [`arn:aws:iam::${A}:user/ci/bot`] },
  },
  {
    name: 'ec2 StopInstances: instances in an item set',
    record: record('ec2.amazonaws.com', 'StopInstances', {
      instancesSet: { items: [{ instanceId: 'i-0abcd1234ef005678' }, { instanceId: 'i-0123456789abcdef0' }] },
      force: false,
    }),
    arns: [`arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`, `arn:aws:ec2:${R}:${A}:instance/i-0abcd1234ef005678`],
    takes: {
      'ec2:StopInstances': [
        `arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`,
        `arn:aws:ec2:${R}:${A}:instance/i-0abcd1234ef005678`,
      ],
    },
  },
  {
    name: 'ec2 CreateSnapshot: the volume, a snapshot it makes',
    record: record('ec2.amazonaws.com', 'CreateSnapshot', {
      volumeId: 'vol-049df61146c4d7901',
      description: 'nightly',
    }),
    arns: [`arn:aws:ec2:${R}:${A}:volume/vol-049df61146c4d7901`],
    takes: { 'ec2:CreateSnapshot': [`arn:aws:ec2:${R}:${A}:volume/vol-049df61146c4d7901`] },
  },
  {
    name: 'ec2 DeleteSnapshot: snapshots carry no account',
    record: record('ec2.amazonaws.com', 'DeleteSnapshot', { snapshotId: 'snap-066877671789bd71b' }),
    arns: [`arn:aws:ec2:${R}::snapshot/snap-066877671789bd71b`],
    takes: { 'ec2:DeleteSnapshot': [`arn:aws:ec2:${R}::snapshot/snap-066877671789bd71b`] },
  },
  {
    name: 'ec2 AuthorizeSecurityGroupIngress: groupId',
    record: record('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
      groupId: 'sg-0a1b2c3d4e5f60718',
      ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443 }] },
    }),
    arns: [`arn:aws:ec2:${R}:${A}:security-group/sg-0a1b2c3d4e5f60718`],
    takes: { 'ec2:AuthorizeSecurityGroupIngress': [`arn:aws:ec2:${R}:${A}:security-group/sg-0a1b2c3d4e5f60718`] },
  },
  {
    name: 'ec2 CreateTags: any resource by the prefix of its id',
    record: record('ec2.amazonaws.com', 'CreateTags', {
      resourcesSet: { items: [{ resourceId: 'vol-049df61146c4d7901' }, { resourceId: 'i-0123456789abcdef0' }] },
      tagSet: { items: [{ key: 'team', value: 'shop' }] },
    }),
    arns: [`arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`, `arn:aws:ec2:${R}:${A}:volume/vol-049df61146c4d7901`],
    takes: {
      'ec2:CreateTags': [
        `arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`,
        `arn:aws:ec2:${R}:${A}:volume/vol-049df61146c4d7901`,
      ],
    },
  },
  {
    name: 'rds DescribeDBInstances: an identifier, stored in lowercase',
    record: record('rds.amazonaws.com', 'DescribeDBInstances', { dBInstanceIdentifier: 'Orders-DB' }),
    arns: [`arn:aws:rds:${R}:${A}:db:orders-db`],
    takes: { 'rds:DescribeDBInstances': [`arn:aws:rds:${R}:${A}:db:orders-db`] },
  },
  {
    name: 'rds CreateDBClusterSnapshot: cluster and snapshot',
    record: record('rds.amazonaws.com', 'CreateDBClusterSnapshot', {
      dBClusterIdentifier: 'orders',
      dBClusterSnapshotIdentifier: 'orders-manual-1',
    }),
    arns: [`arn:aws:rds:${R}:${A}:cluster-snapshot:orders-manual-1`, `arn:aws:rds:${R}:${A}:cluster:orders`],
    takes: {
      'rds:CreateDBClusterSnapshot': [
        `arn:aws:rds:${R}:${A}:cluster-snapshot:orders-manual-1`,
        `arn:aws:rds:${R}:${A}:cluster:orders`,
      ],
    },
  },
  {
    name: 'lambda UpdateFunctionCode20150331v2: a versioned event name, the function by name',
    record: record('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', {
      functionName: 'thumbnailer',
      publish: false,
    }),
    arns: [`arn:aws:lambda:${R}:${A}:function:thumbnailer`],
    takes: { 'lambda:UpdateFunctionCode': [`arn:aws:lambda:${R}:${A}:function:thumbnailer`] },
  },
  {
    name: 'dynamodb BatchWriteItem: tables as keys of requestItems',
    record: record('dynamodb.amazonaws.com', 'BatchWriteItem', { requestItems: { carts: [{}], orders: [{}] } }),
    arns: [`arn:aws:dynamodb:${R}:${A}:table/carts`, `arn:aws:dynamodb:${R}:${A}:table/orders`],
    takes: {
      'dynamodb:BatchWriteItem': [`arn:aws:dynamodb:${R}:${A}:table/carts`, `arn:aws:dynamodb:${R}:${A}:table/orders`],
    },
  },
  {
    name: 'dynamodb Query: a table and its index',
    record: record('dynamodb.amazonaws.com', 'Query', { tableName: 'orders', indexName: 'by-customer' }),
    arns: [`arn:aws:dynamodb:${R}:${A}:table/orders`, `arn:aws:dynamodb:${R}:${A}:table/orders/index/by-customer`],
    takes: {
      'dynamodb:Query': [
        `arn:aws:dynamodb:${R}:${A}:table/orders`,
        `arn:aws:dynamodb:${R}:${A}:table/orders/index/by-customer`,
      ],
    },
  },
  {
    name: 'sqs SendMessage: the queue URL, of another account',
    record: record('sqs.amazonaws.com', 'SendMessage', {
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/cart-events',
      messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    }),
    arns: [`arn:aws:sqs:${R}:444455556666:cart-events`],
    takes: { 'sqs:SendMessage': [`arn:aws:sqs:${R}:444455556666:cart-events`] },
  },
  {
    name: 'sns Publish: the topic ARN',
    record: record('sns.amazonaws.com', 'Publish', {
      topicArn: `arn:aws:sns:${R}:${A}:orders`,
      message: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    }),
    arns: [`arn:aws:sns:${R}:${A}:orders`],
    takes: { 'sns:Publish': [`arn:aws:sns:${R}:${A}:orders`] },
  },
  {
    name: 'sns CreateTopic: the name it creates',
    record: record('sns.amazonaws.com', 'CreateTopic', { name: 'orders' }),
    arns: [`arn:aws:sns:${R}:${A}:orders`],
    takes: { 'sns:CreateTopic': [`arn:aws:sns:${R}:${A}:orders`] },
  },
  {
    name: 'kms Encrypt: a key id',
    record: record('kms.amazonaws.com', 'Encrypt', { keyId: KEY, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    arns: [`arn:aws:kms:${R}:${A}:key/${KEY}`],
    takes: { 'kms:Encrypt': [`arn:aws:kms:${R}:${A}:key/${KEY}`] },
  },
  {
    name: 'kms CreateAlias: the alias and its target key',
    record: record('kms.amazonaws.com', 'CreateAlias', { aliasName: 'alias/payments', targetKeyId: KEY }),
    arns: [`arn:aws:kms:${R}:${A}:alias/payments`, `arn:aws:kms:${R}:${A}:key/${KEY}`],
    takes: { 'kms:CreateAlias': [`arn:aws:kms:${R}:${A}:alias/payments`, `arn:aws:kms:${R}:${A}:key/${KEY}`] },
  },
  {
    name: 'secretsmanager GetSecretValue: by name (random suffix) and by ARN',
    record: record('secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: 'payments/stripe' }),
    arns: [`arn:aws:secretsmanager:${R}:${A}:secret:payments/stripe-??????`],
    takes: { 'secretsmanager:GetSecretValue': [`arn:aws:secretsmanager:${R}:${A}:secret:payments/stripe-??????`] },
  },
  {
    name: 'ssm GetParameter: a name with its leading slash',
    record: record('ssm.amazonaws.com', 'GetParameter', { name: '/shop/db-url', withDecryption: true }),
    arns: [`arn:aws:ssm:${R}:${A}:parameter/shop/db-url`],
    takes: { 'ssm:GetParameter': [`arn:aws:ssm:${R}:${A}:parameter/shop/db-url`] },
  },
  {
    name: 'ssm GetParameters: names with and without a slash',
    record: record('ssm.amazonaws.com', 'GetParameters', { names: ['/shop/a', 'shop-b'], withDecryption: false }),
    arns: [`arn:aws:ssm:${R}:${A}:parameter/shop-b`, `arn:aws:ssm:${R}:${A}:parameter/shop/a`],
    takes: {
      'ssm:GetParameters': [`arn:aws:ssm:${R}:${A}:parameter/shop-b`, `arn:aws:ssm:${R}:${A}:parameter/shop/a`],
    },
  },
  {
    name: 'ssm SendCommand: an AWS-owned document and instance ids',
    record: record('ssm.amazonaws.com', 'SendCommand', {
      instanceIds: ['i-0123456789abcdef0'],
      documentName: 'AWS-RunShellScript',
      parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    }),
    arns: [`arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`, `arn:aws:ssm:${R}::document/AWS-RunShellScript`],
    takes: {
      'ssm:SendCommand': [
        `arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`,
        `arn:aws:ssm:${R}::document/AWS-RunShellScript`,
      ],
    },
  },
  {
    name: 'logs DescribeLogStreams: a log group, with and without :*',
    record: record('logs.amazonaws.com', 'DescribeLogStreams', { logGroupName: '/aws/lambda/thumbnailer' }),
    arns: [
      `arn:aws:logs:${R}:${A}:log-group:/aws/lambda/thumbnailer`,
      `arn:aws:logs:${R}:${A}:log-group:/aws/lambda/thumbnailer:*`,
    ],
    takes: {
      'logs:DescribeLogStreams': [
        `arn:aws:logs:${R}:${A}:log-group:/aws/lambda/thumbnailer`,
        `arn:aws:logs:${R}:${A}:log-group:/aws/lambda/thumbnailer:*`,
      ],
    },
  },
  {
    name: 'logs PutLogEvents: group and stream',
    record: record('logs.amazonaws.com', 'PutLogEvents', { logGroupName: '/acme/jobs', logStreamName: 'web' }),
    arns: [
      `arn:aws:logs:${R}:${A}:log-group:/acme/jobs`,
      `arn:aws:logs:${R}:${A}:log-group:/acme/jobs:*`,
      `arn:aws:logs:${R}:${A}:log-group:/acme/jobs:log-stream:web`,
    ],
    takes: { 'logs:PutLogEvents': [`arn:aws:logs:${R}:${A}:log-group:/acme/jobs:log-stream:web`] },
  },
  {
    name: 'cloudtrail StartLogging: a trail by name',
    record: record('cloudtrail.amazonaws.com', 'StartLogging', { name: 'org-trail' }),
    arns: [`arn:aws:cloudtrail:${R}:${A}:trail/org-trail`],
    takes: { 'cloudtrail:StartLogging': [`arn:aws:cloudtrail:${R}:${A}:trail/org-trail`] },
  },
  {
    name: 'ecr BatchGetImage: a repository of the registry named',
    record: record('ecr.amazonaws.com', 'BatchGetImage', {
      repositoryName: 'shop/web',
      registryId: '444455556666',
      imageIds: [{ imageTag: 'v1' }],
    }),
    arns: [`arn:aws:ecr:${R}:444455556666:repository/shop/web`],
    takes: { 'ecr:BatchGetImage': [`arn:aws:ecr:${R}:444455556666:repository/shop/web`] },
  },
  {
    name: 'ecs DescribeServices: services of a cluster named by ARN',
    record: record('ecs.amazonaws.com', 'DescribeServices', {
      cluster: `arn:aws:ecs:${R}:${A}:cluster/prod`,
      services: ['web'],
    }),
    arns: [`arn:aws:ecs:${R}:${A}:cluster/prod`, `arn:aws:ecs:${R}:${A}:service/prod/web`],
    takes: { 'ecs:DescribeServices': [`arn:aws:ecs:${R}:${A}:service/prod/web`] },
  },
  {
    name: 'ecs RunTask: a task definition family and revision',
    record: record('ecs.amazonaws.com', 'RunTask', { cluster: 'prod', taskDefinition: 'report:7', count: 1 }),
    arns: [`arn:aws:ecs:${R}:${A}:cluster/prod`, `arn:aws:ecs:${R}:${A}:task-definition/report:7`],
    takes: { 'ecs:RunTask': [`arn:aws:ecs:${R}:${A}:task-definition/report:7`] },
  },
  {
    name: 'eks DescribeCluster: name',
    record: record('eks.amazonaws.com', 'DescribeCluster', { name: 'acme-staging' }),
    arns: [`arn:aws:eks:${R}:${A}:cluster/acme-staging`],
    takes: { 'eks:DescribeCluster': [`arn:aws:eks:${R}:${A}:cluster/acme-staging`] },
  },
  {
    name: 'sts AssumeRole: the role ARN',
    record: record('sts.amazonaws.com', 'AssumeRole', {
      roleArn: `arn:aws:iam::${A}:role/deploy`,
      roleSessionName: 'ci',
    }),
    arns: [`arn:aws:iam::${A}:role/deploy`],
    takes: { 'sts:AssumeRole': [`arn:aws:iam::${A}:role/deploy`] },
  },
  {
    name: 'cloudformation UpdateStack: a stack by name, its id unknown',
    record: record('cloudformation.amazonaws.com', 'UpdateStack', {
      stackName: 'shop',
      templateURL: 'https://s3.amazonaws.com/t/shop.yaml',
    }),
    arns: [`arn:aws:cloudformation:${R}:${A}:stack/shop/*`],
    takes: { 'cloudformation:UpdateStack': [`arn:aws:cloudformation:${R}:${A}:stack/shop/*`] },
  },
  {
    name: 'states StartExecution: the state machine ARN',
    record: record('states.amazonaws.com', 'StartExecution', {
      stateMachineArn: `arn:aws:states:${R}:${A}:stateMachine:orders`,
      name: 'run-1',
    }),
    arns: [`arn:aws:states:${R}:${A}:stateMachine:orders`],
    takes: { 'states:StartExecution': [`arn:aws:states:${R}:${A}:stateMachine:orders`] },
  },
  {
    name: 'events PutTargets: a rule on the default bus',
    record: record('events.amazonaws.com', 'PutTargets', {
      rule: 'nightly',
      targets: [{ id: '1', arn: `arn:aws:lambda:${R}:${A}:function:report` }],
    }),
    arns: [`arn:aws:events:${R}:${A}:rule/nightly`],
    takes: { 'events:PutTargets': [`arn:aws:events:${R}:${A}:rule/nightly`] },
  },
  {
    name: 'glue GetTable: database and table',
    record: record('glue.amazonaws.com', 'GetTable', { databaseName: 'sales', name: 'orders' }),
    arns: [`arn:aws:glue:${R}:${A}:database/sales`, `arn:aws:glue:${R}:${A}:table/sales/orders`],
    takes: { 'glue:GetTable': [`arn:aws:glue:${R}:${A}:database/sales`, `arn:aws:glue:${R}:${A}:table/sales/orders`] },
  },
  {
    name: 'athena StartQueryExecution: a work group',
    record: record('athena.amazonaws.com', 'StartQueryExecution', {
      queryString: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      workGroup: 'analysts',
    }),
    arns: [`arn:aws:athena:${R}:${A}:workgroup/analysts`],
    takes: { 'athena:StartQueryExecution': [`arn:aws:athena:${R}:${A}:workgroup/analysts`] },
  },
];

/** What the decoder makes of one record read at `f.json:7`: observations and issues. */
export function decodeRecord(rec: Record<string, unknown>): (AwsCallObservation | InputIssue)[] {
  const out: (AwsCallObservation | InputIssue)[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 7 }, (x) => out.push(x as AwsCallObservation | InputIssue));
  return out;
}

/** The one observation a record makes (the test fails if it makes none or more). */
export function decodeOne(rec: Record<string, unknown>): AwsCallObservation {
  const out = decodeRecord(rec);
  expect(out).toHaveLength(1);
  return out[0] as AwsCallObservation;
}

/** The one issue a refused record makes, checked to name `f.json:7` and carry `code`. */
export function decodeRefused(rec: Record<string, unknown>, code: string): InputIssue {
  const out = decodeRecord(rec);
  expect(out).toHaveLength(1);
  expect(out[0]).toMatchObject({ kind: 'issue', code, file: 'f.json', line: 7 });
  return out[0] as InputIssue;
}
