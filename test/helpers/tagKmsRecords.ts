import { ACCOUNT as A, REGION as R, record } from './cloudtrailRecords.js';
import type { ImpliedCase } from './impliedRecords.js';

const KEY_ARN = `arn:aws:kms:${R}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VOL = 'vol-0a1b2c3d4e5f67890';
const ec2Arn = (type: string, id: string) => `arn:aws:ec2:${R}:${A}:${type}/${id}`;
const tagSet = (...types: string[]) => ({
  items: types.map((resourceType) => ({ resourceType, tags: [{ key: 'team', value: 'data' }] })),
});
/** Tags of a created EC2 resource: on every one of its type, since AWS gives the next create another id. */
const fresh = (type: string, item = 0) => ({
  action: 'ec2:CreateTags',
  resource: ec2Arn(type, '*'),
  via: `requestParameters.tagSpecificationSet.items[${item}]: AWS gives each ${type} it creates a new id, so the next create tags another than the one logged`,
});
const SSE_KMS = { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN };

/**
 * Tag on create and writes into SSE-KMS that the response shows (test/implied-tags-kms.test.ts). Tags as CloudTrail
 * logs EC2's TagSpecification (`tagSpecificationSet.items[].resourceType`, `tags[]`) and other services' `tags[]`;
 * created ids in responseElements as the APIs return them (CreateVolume's `volumeId`, RunInstances'
 * `instancesSet.items[].instanceId`, CreateVpc's `vpc.vpcId`, CreateSecurityGroup's `groupId`, CreateSecret's `arn`,
 * CreateCluster's `cluster.clusterArn`); S3 responses with the `x-amz-server-side-encryption*` headers.
 */
export const TAG_KMS_CASES: ImpliedCase[] = [
  {
    // EC2 user guide, tag on create: additional authorization on ec2:CreateTags for the resource created.
    name: 'ec2 CreateVolume with tags: ec2:CreateTags on the volumes it creates (the response names this one)',
    record: record(
      'ec2.amazonaws.com',
      'CreateVolume',
      { size: 8, zone: `${R}a`, volumeType: 'gp3', tagSpecificationSet: tagSet('volume') },
      { responseElements: { volumeId: VOL, size: '8', zone: `${R}a`, status: 'creating' } },
    ),
    implied: [fresh('volume')],
  },
  {
    name: 'ec2 RunInstances tagging instances and volumes: the instances it creates, the volumes (not in the response) by pattern',
    record: record(
      'ec2.amazonaws.com',
      'RunInstances',
      {
        instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 2, maxCount: 2 }] },
        instanceType: 't3.micro',
        tagSpecificationSet: tagSet('instance', 'volume'),
      },
      {
        responseElements: {
          reservationId: 'r-0123456789abcdef0',
          instancesSet: {
            items: [
              { instanceId: 'i-0aaaaaaaaaaaaaaa1', imageId: 'ami-0abcdef1234567890' },
              { instanceId: 'i-0aaaaaaaaaaaaaaa2', imageId: 'ami-0abcdef1234567890' },
            ],
          },
        },
      },
    ),
    implied: [
      fresh('instance'),
      {
        action: 'ec2:CreateTags',
        resource: ec2Arn('volume', '*'),
        via: 'requestParameters.tagSpecificationSet.items[1]: the created volume gets its name from AWS and responseElements does not carry volumeId',
      },
    ],
  },
  {
    name: 'ec2 CreateVpc with tags: ec2:CreateTags on the VPCs it creates (vpc.vpcId is this one)',
    record: record(
      'ec2.amazonaws.com',
      'CreateVpc',
      { cidrBlock: '10.0.0.0/16', tagSpecificationSet: tagSet('vpc') },
      { responseElements: { vpc: { vpcId: 'vpc-0123456789abcdef0', cidrBlock: '10.0.0.0/16' } } },
    ),
    implied: [fresh('vpc')],
  },
  {
    name: 'ec2 CreateSecurityGroup with tags: ec2:CreateTags on the security groups it creates (groupId is this one)',
    record: record(
      'ec2.amazonaws.com',
      'CreateSecurityGroup',
      {
        groupName: 'web',
        groupDescription: 'web',
        vpcId: 'vpc-0123456789abcdef0',
        tagSpecificationSet: tagSet('security-group'),
      },
      { responseElements: { _return: true, groupId: 'sg-0123456789abcdef0' } },
    ),
    implied: [fresh('security-group')],
  },
  {
    name: 'ec2 CreateVolume with an empty tag list: no ec2:CreateTags',
    record: record(
      'ec2.amazonaws.com',
      'CreateVolume',
      { size: 8, zone: `${R}a`, tagSpecificationSet: { items: [{ resourceType: 'volume', tags: [] }] } },
      { responseElements: { volumeId: VOL } },
    ),
    implied: [],
  },
  {
    // Secrets Manager API reference, CreateSecret: tags need secretsmanager:TagResource.
    name: 'secretsmanager CreateSecret with tags: secretsmanager:TagResource on the secret the response names',
    record: record(
      'secretsmanager.amazonaws.com',
      'CreateSecret',
      { name: 'app/key', tags: [{ key: 'team', value: 'data' }], clientRequestToken: 'tok' },
      { responseElements: { arn: `arn:aws:secretsmanager:${R}:${A}:secret:app/key-AbCdEf`, name: 'app/key' } },
    ),
    implied: [
      {
        action: 'secretsmanager:TagResource',
        resource: `arn:aws:secretsmanager:${R}:${A}:secret:app/key-AbCdEf`,
        via: 'requestParameters.tags',
      },
    ],
  },
  {
    name: 'secretsmanager CreateSecret with tags, no response: the secret by its name',
    record: record('secretsmanager.amazonaws.com', 'CreateSecret', {
      name: 'app/key',
      tags: [{ key: 'team', value: 'data' }],
    }),
    implied: [
      {
        action: 'secretsmanager:TagResource',
        resource: `arn:aws:secretsmanager:${R}:${A}:secret:app/key-??????`,
        via: 'requestParameters.tags',
      },
    ],
  },
  {
    // ECS developer guide, "Grant permission to tag resources on creation": CreateCluster with tags.
    name: 'ecs CreateCluster with tags: ecs:TagResource on the cluster',
    record: record(
      'ecs.amazonaws.com',
      'CreateCluster',
      { clusterName: 'prod', tags: [{ key: 'team', value: 'data' }] },
      { responseElements: { cluster: { clusterArn: `arn:aws:ecs:${R}:${A}:cluster/prod`, clusterName: 'prod' } } },
    ),
    implied: [
      { action: 'ecs:TagResource', resource: `arn:aws:ecs:${R}:${A}:cluster/prod`, via: 'requestParameters.tags' },
    ],
  },
  {
    // S3 user guide, SSE-KMS: a PUT into a bucket whose default encryption is SSE-KMS needs kms:GenerateDataKey.
    name: 's3 PutObject into a default SSE-KMS bucket: kms:GenerateDataKey on the key in the response',
    record: record(
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-data', key: 'in/a.json' },
      { responseElements: SSE_KMS, additionalEventData: { SSEApplied: 'Default_SSE_KMS' } },
    ),
    implied: [
      {
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id',
      },
    ],
  },
  {
    // S3 API reference, CreateMultipartUpload: kms:GenerateDataKey for it, kms:Decrypt for UploadPart(Copy).
    name: 's3 CreateMultipartUpload into a default SSE-KMS bucket: kms:GenerateDataKey and kms:Decrypt',
    record: record(
      's3.amazonaws.com',
      'CreateMultipartUpload',
      { bucketName: 'acme-data', key: 'big.bin', uploads: '' },
      { responseElements: { ...SSE_KMS, uploadId: 'u1' } },
    ),
    implied: [
      { action: 'kms:Decrypt', resource: KEY_ARN, via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id' },
      {
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id',
      },
    ],
  },
  {
    name: 's3 UploadPart of an SSE-KMS upload: kms:Decrypt on the key in the response',
    record: record(
      's3.amazonaws.com',
      'UploadPart',
      { bucketName: 'acme-data', key: 'big.bin', partNumber: '1', uploadId: 'u1' },
      { responseElements: SSE_KMS },
    ),
    implied: [
      { action: 'kms:Decrypt', resource: KEY_ARN, via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id' },
    ],
  },
  {
    name: 's3 CopyObject into a default SSE-KMS bucket: kms:GenerateDataKey besides the source read',
    record: record(
      's3.amazonaws.com',
      'CopyObject',
      { bucketName: 'acme-data', key: 'out/a.json', 'x-amz-copy-source': 'acme-in/a.json' },
      { responseElements: SSE_KMS },
    ),
    implied: [
      {
        action: 'kms:GenerateDataKey',
        resource: KEY_ARN,
        via: 'responseElements.x-amz-server-side-encryption-aws-kms-key-id',
      },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::acme-in/a.json', via: 'requestParameters.x-amz-copy-source' },
    ],
  },
];
