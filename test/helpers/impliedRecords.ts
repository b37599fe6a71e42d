import type { ImpliedPermission } from '../../src/model/observation.js';
import { ACCOUNT as A, REGION as R, record } from './cloudtrailRecords.js';

/**
 * Records whose calls need permissions besides their own action, as AWS documents them (each case names
 * its source), with the implied permissions expected: action, resource, and the parameter that implies it.
 */
export interface ImpliedCase {
  name: string;
  record: Record<string, unknown>;
  implied: ImpliedPermission[];
  /** Implied actions of the record the case does not look at. */
  ignore?: string[];
  /** For implied permissions on a resource the event does not name: the patterns the knowledge pins. */
  pinned?: Record<string, string[]>;
}

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:${R}:${A}:key/${KEY}`;
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;

export const IMPLIED_CASES: ImpliedCase[] = [
  {
    // Lambda developer guide: CreateFunction needs iam:PassRole on the execution role.
    name: 'lambda CreateFunction20150331: PassRole on the execution role',
    record: record('lambda.amazonaws.com', 'CreateFunction20150331', {
      functionName: 'thumbnailer',
      role: role('lambda/thumbnailer-exec'),
      runtime: 'nodejs20.x',
      handler: 'index.handler',
    }),
    implied: [{ action: 'iam:PassRole', resource: role('lambda/thumbnailer-exec'), via: 'requestParameters.role' }],
  },
  {
    name: 'ecs RegisterTaskDefinition: PassRole on the task and execution roles',
    record: record('ecs.amazonaws.com', 'RegisterTaskDefinition', {
      family: 'web',
      taskRoleArn: role('web-task'),
      executionRoleArn: role('ecsTaskExecutionRole'),
      containerDefinitions: [{ name: 'web', image: 'nginx' }],
    }),
    implied: [
      { action: 'iam:PassRole', resource: role('ecsTaskExecutionRole'), via: 'requestParameters.executionRoleArn' },
      { action: 'iam:PassRole', resource: role('web-task'), via: 'requestParameters.taskRoleArn' },
    ],
  },
  {
    name: 'ecs RunTask: PassRole on a task role override',
    record: record('ecs.amazonaws.com', 'RunTask', {
      cluster: 'prod',
      taskDefinition: 'report:7',
      overrides: { taskRoleArn: role('report-override') },
    }),
    implied: [
      { action: 'iam:PassRole', resource: role('report-override'), via: 'requestParameters.overrides.taskRoleArn' },
    ],
  },
  {
    name: 'rds CreateDBInstance: PassRole on the monitoring role, kms:CreateGrant and kms:DescribeKey on the key',
    record: record('rds.amazonaws.com', 'CreateDBInstance', {
      dBInstanceIdentifier: 'orders',
      dBInstanceClass: 'db.t3.micro',
      engine: 'postgres',
      storageEncrypted: true,
      kmsKeyId: KEY,
      monitoringRoleArn: role('rds-monitoring-role'),
      monitoringInterval: 60,
    }),
    implied: [
      { action: 'iam:PassRole', resource: role('rds-monitoring-role'), via: 'requestParameters.monitoringRoleArn' },
      { action: 'kms:CreateGrant', resource: KEY_ARN, via: 'requestParameters.kmsKeyId' },
      { action: 'kms:DescribeKey', resource: KEY_ARN, via: 'requestParameters.kmsKeyId' },
    ],
  },
  {
    name: 'glue CreateJob: PassRole on a role given by name (at the root or under a path)',
    record: record('glue.amazonaws.com', 'CreateJob', { name: 'etl', role: 'GlueETL', command: { name: 'glueetl' } }),
    implied: [
      { action: 'iam:PassRole', resource: role('*/GlueETL'), via: 'requestParameters.role' },
      { action: 'iam:PassRole', resource: role('GlueETL'), via: 'requestParameters.role' },
    ],
  },
  {
    name: 'states CreateStateMachine: PassRole on its role',
    record: record('states.amazonaws.com', 'CreateStateMachine', {
      name: 'orders',
      roleArn: role('sfn-orders'),
      definition: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    }),
    implied: [{ action: 'iam:PassRole', resource: role('sfn-orders'), via: 'requestParameters.roleArn' }],
  },
  {
    name: 'codebuild CreateProject: PassRole on the service role',
    record: record('codebuild.amazonaws.com', 'CreateProject', {
      name: 'web',
      serviceRole: role('codebuild-web'),
      source: { type: 'GITHUB' },
    }),
    implied: [{ action: 'iam:PassRole', resource: role('codebuild-web'), via: 'requestParameters.serviceRole' }],
  },
  {
    name: 'sagemaker CreateTrainingJob: PassRole on the role',
    record: record('sagemaker.amazonaws.com', 'CreateTrainingJob', {
      trainingJobName: 'j1',
      roleArn: role('sm-train'),
    }),
    implied: [{ action: 'iam:PassRole', resource: role('sm-train'), via: 'requestParameters.roleArn' }],
  },
  {
    name: 'rolesanywhere CreateProfile: PassRole on every role of the list',
    record: record('rolesanywhere.amazonaws.com', 'CreateProfile', {
      name: 'onprem',
      roleArns: [role('ra-a'), role('ra-b')],
    }),
    implied: [
      { action: 'iam:PassRole', resource: role('ra-a'), via: 'requestParameters.roleArns[0]' },
      { action: 'iam:PassRole', resource: role('ra-b'), via: 'requestParameters.roleArns[1]' },
    ],
  },
  {
    name: 'events PutTargets: PassRole on a target role',
    record: record('events.amazonaws.com', 'PutTargets', {
      rule: 'nightly',
      targets: [{ id: '1', arn: `arn:aws:states:${R}:${A}:stateMachine:orders`, roleArn: role('events-invoke') }],
    }),
    implied: [{ action: 'iam:PassRole', resource: role('events-invoke'), via: 'requestParameters.targets[0].roleArn' }],
  },
  {
    name: 'ec2 RunInstances: PassRole on the role inside an instance profile (same account, name unknown)',
    record: record('ec2.amazonaws.com', 'RunInstances', {
      instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
      iamInstanceProfile: { name: 'web' },
    }),
    implied: [
      {
        action: 'iam:PassRole',
        resource: '',
        via: 'requestParameters.iamInstanceProfile (web): the role inside the instance profile is not in the event',
      },
    ],
    pinned: { 'iam:PassRole': [`arn:aws:iam::${A}:role/*`] },
  },
  {
    name: 'no PassRole: sts AssumeRole takes a role ARN to assume it',
    record: record('sts.amazonaws.com', 'AssumeRole', { roleArn: role('deploy'), roleSessionName: 'ci' }),
    implied: [],
  },
  {
    // S3 user guide, SSE-KMS: uploading needs kms:GenerateDataKey on the key; multipart uploads also kms:Decrypt.
    name: 's3 PutObject with SSE-KMS: kms:GenerateDataKey on the key named',
    record: record('s3.amazonaws.com', 'PutObject', {
      bucketName: 'acme-data',
      key: 'in/a.json',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
    }),
    implied: [
      {
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        via: 'requestParameters.x-amz-server-side-encryption-aws-kms-key-id',
      },
    ],
  },
  {
    name: 's3 CreateMultipartUpload with SSE-KMS by key id: kms:GenerateDataKey and kms:Decrypt',
    record: record('s3.amazonaws.com', 'CreateMultipartUpload', {
      bucketName: 'acme-data',
      key: 'big.bin',
      uploads: '',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY,
    }),
    implied: [
      {
        action: 'kms:Decrypt',
        resource: KEY_ARN,
        via: 'requestParameters.x-amz-server-side-encryption-aws-kms-key-id',
      },
      {
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        via: 'requestParameters.x-amz-server-side-encryption-aws-kms-key-id',
      },
    ],
  },
  {
    name: 's3 GetObject of an SSE-KMS object: kms:Decrypt on the key in the response',
    record: record(
      's3.amazonaws.com',
      'GetObject',
      { bucketName: 'acme-data', key: 'in/a.json' },
      {
        responseElements: {
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
        },
      },
    ),
    implied: [
      { action: 'kms:Decrypt', resource: KEY_ARN, via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id' },
    ],
  },
  {
    name: 's3 GetObject that the record shows SSE-KMS without its key: kms:Decrypt on a key of the account',
    record: record(
      's3.amazonaws.com',
      'GetObject',
      { bucketName: 'acme-data', key: 'in/b.json' },
      { additionalEventData: { SSEApplied: 'SSE_KMS' } },
    ),
    implied: [
      {
        action: 'kms:Decrypt',
        resource: '',
        via: 'additionalEventData.SSEApplied: the object is SSE-KMS encrypted, its key is not in the event',
      },
    ],
    pinned: { 'kms:Decrypt': [`arn:aws:kms:${R}:${A}:key/*`] },
  },
  {
    // S3 GetObject API: a versionId needs s3:GetObjectVersion.
    name: 's3 GetObject with a versionId: s3:GetObjectVersion',
    record: record('s3.amazonaws.com', 'GetObject', {
      bucketName: 'acme-data',
      key: 'in/a.json',
      versionId: '3HL4kqtJlcpXroDTDmJ',
    }),
    implied: [
      {
        action: 's3:GetObjectVersion',
        resource: 'arn:aws:s3:::acme-data/in/a.json',
        via: 'requestParameters.versionId',
      },
    ],
  },
  {
    name: 's3 DeleteObject with a versionId: s3:DeleteObjectVersion',
    record: record('s3.amazonaws.com', 'DeleteObject', {
      bucketName: 'acme-data',
      key: 'in/a.json',
      versionId: '3HL4kqtJlcpXroDTDmJ',
    }),
    implied: [
      {
        action: 's3:DeleteObjectVersion',
        resource: 'arn:aws:s3:::acme-data/in/a.json',
        via: 'requestParameters.versionId',
      },
    ],
  },
  {
    name: 's3 PutObject with a canned ACL: s3:PutObjectAcl',
    record: record('s3.amazonaws.com', 'PutObject', {
      bucketName: 'acme-public',
      key: 'index.html',
      'x-amz-acl': 'public-read',
    }),
    implied: [
      {
        action: 's3:PutObjectAcl',
        resource: 'arn:aws:s3:::acme-public/index.html',
        via: 'requestParameters.x-amz-acl',
      },
    ],
  },
  {
    name: 's3 CopyObject: s3:GetObject on the source',
    record: record('s3.amazonaws.com', 'CopyObject', {
      bucketName: 'dst',
      key: 'k',
      'x-amz-copy-source': 'src/a%20b.json',
    }),
    implied: [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/a b.json', via: 'requestParameters.x-amz-copy-source' },
    ],
  },
  {
    // EBS user guide, encryption requirements: kms:CreateGrant, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext.
    name: 'ec2 CreateVolume with a KMS key: the key actions EBS uses on the caller behalf',
    record: record('ec2.amazonaws.com', 'CreateVolume', {
      size: 100,
      zone: 'eu-west-1a',
      volumeType: 'gp3',
      encrypted: true,
      kmsKeyId: KEY_ARN,
    }),
    implied: [
      { action: 'kms:CreateGrant', resource: KEY_ARN, via: 'requestParameters.kmsKeyId' },
      { action: 'kms:DescribeKey', resource: KEY_ARN, via: 'requestParameters.kmsKeyId' },
      { action: 'kms:GenerateDataKeyWithoutPlaintext', resource: KEY_ARN, via: 'requestParameters.kmsKeyId' },
    ],
  },
  {
    name: 'ec2 CreateVolume with a key alias: the key pinned to the account',
    record: record('ec2.amazonaws.com', 'CreateVolume', {
      size: 10,
      zone: 'eu-west-1a',
      encrypted: true,
      kmsKeyId: 'alias/ebs',
    }),
    implied: [
      { action: 'kms:CreateGrant', resource: `arn:aws:kms:${R}:${A}:alias/ebs`, via: 'requestParameters.kmsKeyId' },
      { action: 'kms:DescribeKey', resource: `arn:aws:kms:${R}:${A}:alias/ebs`, via: 'requestParameters.kmsKeyId' },
      {
        action: 'kms:GenerateDataKeyWithoutPlaintext',
        resource: `arn:aws:kms:${R}:${A}:alias/ebs`,
        via: 'requestParameters.kmsKeyId',
      },
    ],
    pinned: {
      'kms:CreateGrant': [`arn:aws:kms:${R}:${A}:key/*`],
      'kms:GenerateDataKeyWithoutPlaintext': [`arn:aws:kms:${R}:${A}:key/*`],
    },
  },
  {
    name: 'iam CreateRole with tags: iam:TagRole on the role (path from the request)',
    record: record('iam.amazonaws.com', 'CreateRole', {
      roleName: 'etl',
      path: '/jobs/',
      assumeRolePolicyDocument: '{}',
      tags: [{ key: 'team', value: 'data' }],
    }),
    implied: [{ action: 'iam:TagRole', resource: `arn:aws:iam::${A}:role/jobs/etl`, via: 'requestParameters.tags' }],
  },
  {
    name: 'iam CreateUser with tags: iam:TagUser',
    record: record('iam.amazonaws.com', 'CreateUser', { userName: 'bot', tags: [{ key: 'team', value: 'ci' }] }),
    implied: [{ action: 'iam:TagUser', resource: `arn:aws:iam::${A}:user/bot`, via: 'requestParameters.tags' }],
  },
  {
    // Secrets Manager API reference, BatchGetSecretValue: GetSecretValue for each secret, ListSecrets with filters.
    name: 'secretsmanager BatchGetSecretValue by id list: GetSecretValue on each secret',
    record: record('secretsmanager.amazonaws.com', 'BatchGetSecretValue', {
      secretIdList: ['payments/stripe', `arn:aws:secretsmanager:${R}:${A}:secret:db-AbCdEf`],
    }),
    implied: [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:${R}:${A}:secret:db-AbCdEf`,
        via: 'requestParameters.secretIdList[1]',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:${R}:${A}:secret:payments/stripe-??????`,
        via: 'requestParameters.secretIdList[0]',
      },
    ],
  },
  {
    name: 'secretsmanager BatchGetSecretValue with filters: ListSecrets, and GetSecretValue on the secrets of the account',
    record: record('secretsmanager.amazonaws.com', 'BatchGetSecretValue', {
      filters: [{ key: 'name', values: ['payments/'] }],
    }),
    implied: [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: '',
        via: 'requestParameters.filters: the secrets the filters selected are not in the event',
      },
      { action: 'secretsmanager:ListSecrets', resource: '', via: 'requestParameters.filters' },
    ],
    pinned: { 'secretsmanager:GetSecretValue': [`arn:aws:secretsmanager:${R}:${A}:secret:*`] },
  },
  {
    // CloudFormation API reference, DescribeStacks: without StackName it needs ListStacks and DescribeStacks.
    name: 'cloudformation DescribeStacks without a stack name: ListStacks',
    record: record('cloudformation.amazonaws.com', 'DescribeStacks', {}),
    implied: [
      {
        action: 'cloudformation:ListStacks',
        resource: '',
        via: 'requestParameters.stackName (absent): DescribeStacks of every stack',
      },
    ],
  },
];
