import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import type { RecordSkip } from '../src/model/network.js';
import { CORPUS, HAS_CORPUS } from './helpers/cli.js';

function decode(v: unknown): (AwsCallObservation | InputIssue | RecordSkip)[] {
  const out: (AwsCallObservation | InputIssue | RecordSkip)[] = [];
  decodeCloudTrailValue(v, { file: 'f.json', line: 3 }, (x) => out.push(x));
  return out;
}
const calls = (xs: (AwsCallObservation | InputIssue | RecordSkip)[]) =>
  xs.filter((x): x is AwsCallObservation => x.kind === 'aws-call');

const record = (over: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/botocore-session-1',
    accountId: '111122223333',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: 'arn:aws:iam::111122223333:role/apps/shop-cart',
        accountId: '111122223333',
        userName: 'shop-cart',
      },
    },
  },
  eventTime: '2026-11-02T08:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  awsRegion: 'eu-west-1',
  requestParameters: { bucketName: 'acme-staging-carts', key: 'c/1.json' },
  eventID: 'e-1',
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-staging-carts/c/1.json' }],
  ...over,
});

describe('CloudTrail records', () => {
  it.skipIf(!HAS_CORPUS)(
    'reads the trailscraper corpus S3 delivery document (pretty-printed), principals as role ARNs',
    () => {
      const doc = JSON.parse(
        readFileSync(
          join(
            CORPUS,
            'cloudtrail/flosell__trailscraper/tests/cloudtrail/data/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json',
          ),
          'utf8',
        ),
      );
      const got = calls(decode(doc));
      expect(got.length).toBe(doc.Records.length);
      expect(got[0]).toMatchObject({
        principal: { type: 'Role', arn: 'arn:aws:iam::111111111111:role/someRole' },
        eventSource: 'autoscaling.amazonaws.com',
        eventName: 'DescribeLaunchConfigurations',
        time: '2017-12-11T15:01:51.000000Z',
        decision: 'allow',
      });
    },
  );

  it.skipIf(!HAS_CORPUS)(
    "reads the OTRF corpus one record per line: IAMUser, AssumedRole, AWSService, the time from the shipper's @timestamp",
    () => {
      const lines = readFileSync(
        join(
          CORPUS,
          'cloudtrail/OTRF__Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration_2020-09-14011940.json',
        ),
        'utf8',
      )
        .split('\n')
        .filter(Boolean);
      const got = calls(lines.flatMap((l) => decode(JSON.parse(l))));
      expect(got).toHaveLength(lines.length);
      expect(new Set(got.map((o) => o.principal.type))).toEqual(new Set(['IAMUser', 'Role', 'AWSService']));
      // Logstash moved eventTime into @timestamp (shipper-time.test.ts).
      expect(got.every((o) => /^2020-09-1[34]T\d\d:\d\d:\d\d\.000000Z$/.test(o.time))).toBe(true);
      expect(got.filter((o) => o.eventName === 'ListObjects').every((o) => o.principal.type === 'Role')).toBe(true);
    },
  );

  it('keeps the role path from the session issuer, and falls back to the session ARN without one', () => {
    expect(calls(decode(record()))[0]!.principal.arn).toBe('arn:aws:iam::111122223333:role/apps/shop-cart');
    const bare = record({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/s',
        accountId: '111122223333',
      },
    });
    expect(calls(decode(bare))[0]!.principal.arn).toBe('arn:aws:iam::111122223333:role/shop-cart');
  });

  it.each([
    ['AccessDenied', 'deny'],
    ['AccessDeniedException', 'deny'],
    ['Client.UnauthorizedOperation', 'deny'],
    ['NoSuchKey', 'allow'],
    ['ResourceNotFoundException', 'allow'],
    ['', 'allow'],
  ])('errorCode %j → %s', (errorCode, decision) => {
    expect(calls(decode(record({ errorCode })))[0]!.decision).toBe(decision);
  });

  it('unwraps EventBridge envelopes and reads resources[] beside the ARNs built from request parameters', () => {
    const got = calls(
      decode({
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.s3',
        detail: record({
          resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-staging-carts/listed.json' }],
        }),
      }),
    );
    expect(got[0]!.resources).toEqual([
      'arn:aws:s3:::acme-staging-carts',
      'arn:aws:s3:::acme-staging-carts/c/1.json',
      'arn:aws:s3:::acme-staging-carts/listed.json',
    ]);
  });

  it.each([
    [
      'sqs.amazonaws.com',
      'SendMessage',
      { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/cart-events' },
      ['arn:aws:sqs:eu-west-1:111122223333:cart-events'],
    ],
    [
      'dynamodb.amazonaws.com',
      'PutItem',
      { tableName: 'carts' },
      ['arn:aws:dynamodb:eu-west-1:111122223333:table/carts'],
    ],
    [
      'secretsmanager.amazonaws.com',
      'GetSecretValue',
      { secretId: 'payments/stripe' },
      ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:payments/stripe-??????'],
    ],
    [
      'ssm.amazonaws.com',
      'GetParameters',
      { names: ['/shop/a', 'shop/b'] },
      ['arn:aws:ssm:eu-west-1:111122223333:parameter/shop/a', 'arn:aws:ssm:eu-west-1:111122223333:parameter/shop/b'],
    ],
    [
      'kms.amazonaws.com',
      'Decrypt',
      { keyId: 'alias/payments' },
      ['arn:aws:kms:eu-west-1:111122223333:alias/payments'],
    ],
    [
      'lambda.amazonaws.com',
      'UpdateFunctionCode20150331v2',
      { functionName: 'thumbnailer' },
      ['arn:aws:lambda:eu-west-1:111122223333:function:thumbnailer'],
    ],
    [
      'ecr.amazonaws.com',
      'PutImage',
      { repositoryName: 'shop/web', registryId: '444455556666' },
      ['arn:aws:ecr:eu-west-1:444455556666:repository/shop/web'],
    ],
    [
      'sns.amazonaws.com',
      'Publish',
      { topicArn: 'arn:aws:sns:eu-west-1:111122223333:orders' },
      ['arn:aws:sns:eu-west-1:111122223333:orders'],
    ],
  ])('%s %s: resources from request parameters', (eventSource, eventName, requestParameters, want) => {
    const got = calls(
      decode(
        record({ eventSource, eventName, requestParameters, resources: undefined, recipientAccountId: '111122223333' }),
      ),
    );
    expect(got[0]!.resources).toEqual(want);
    expect(got[0]!.eventName).toBe(eventName.replace(/20150331v2$/, ''));
  });

  it('implies iam:PassRole on a role handed to Lambda, an unknown one for an instance profile, and s3:GetObjectVersion on a versioned copy source', () => {
    const fn = calls(
      decode(
        record({
          eventSource: 'lambda.amazonaws.com',
          eventName: 'CreateFunction20150331',
          requestParameters: { functionName: 'f', role: 'arn:aws:iam::111122223333:role/service/f-exec' },
        }),
      ),
    )[0]!;
    expect(fn.implied).toEqual([
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::111122223333:role/service/f-exec',
        via: 'requestParameters.role',
      },
    ]);
    const ec2 = calls(
      decode(
        record({
          eventSource: 'ec2.amazonaws.com',
          eventName: 'RunInstances',
          requestParameters: { iamInstanceProfile: { name: 'web' } },
        }),
      ),
    )[0]!;
    expect(ec2.implied).toMatchObject([{ action: 'iam:PassRole', resource: '' }]);
    const copy = calls(
      decode(
        record({
          eventName: 'CopyObject',
          requestParameters: { bucketName: 'dst', key: 'k', 'x-amz-copy-source': 'src/a%20b.json?versionId=3' },
        }),
      ),
    )[0]!;
    // A copy source with a versionId reads that version: s3:GetObjectVersion (S3's CopyObject API reference).
    expect(copy.implied).toEqual([
      {
        action: 's3:GetObjectVersion',
        resource: 'arn:aws:s3:::src/a b.json',
        via: 'requestParameters.x-amz-copy-source',
      },
    ]);
  });

  it('links a service account to the role it assumed through IRSA', () => {
    const irsa = record({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRoleWithWebIdentity',
      userIdentity: {
        type: 'WebIdentityUser',
        principalId:
          'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X:sts.amazonaws.com:system:serviceaccount:shop:cart',
        userName: 'system:serviceaccount:shop:cart',
        identityProvider: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X',
      },
      requestParameters: {
        roleArn: 'arn:aws:iam::111122223333:role/apps/shop-cart',
        roleSessionName: 'botocore-session-1',
      },
    });
    expect(calls(decode(irsa))[0]!.link).toEqual({
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: 'arn:aws:iam::111122223333:role/apps/shop-cart',
      via: 'irsa',
      provider: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X',
    });
  });

  it("takes the IRSA token's provider from STS's answer where the identity lacks it (an Athena table's rows)", () => {
    const provider = 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/Y';
    const irsa = (answer: string) =>
      record({
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRoleWithWebIdentity',
        userIdentity: { type: 'WebIdentityUser', userName: 'system:serviceaccount:shop:cart' },
        requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/shop-cart' },
        responseElements: { subjectFromWebIdentityToken: 'system:serviceaccount:shop:cart', provider: answer },
      });
    expect(calls(decode(irsa(provider)))[0]!.link!.provider).toBe(provider);
    // A provider that is no OIDC provider's ARN is a bad name: the record grants nothing.
    const bad = decode(irsa('arn:aws:iam::111122223333:oidc-provider/x y'));
    expect(calls(bad)).toEqual([]);
    expect(bad.map((x) => (x as InputIssue).code)).toEqual(['cloudtrail.bad-name']);
    expect((bad[0] as InputIssue).message).toContain('is not the ARN of an IAM OIDC provider');
  });

  it('links a service account through EKS Pod Identity session tags', () => {
    const pi = record({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      userIdentity: { type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' },
      requestParameters: {
        roleArn: 'arn:aws:iam::111122223333:role/payments-api',
        tags: [
          { key: 'eks-cluster-name', value: 'acme-staging' },
          { key: 'kubernetes-namespace', value: 'payments' },
          { key: 'kubernetes-service-account', value: 'payments-api' },
        ],
      },
    });
    expect(calls(decode(pi))[0]!.link).toEqual({
      namespace: 'payments',
      serviceAccount: 'payments-api',
      roleArn: 'arn:aws:iam::111122223333:role/payments-api',
      via: 'pod-identity',
    });
  });

  it('skips digest files and Insights events with their reason, not as bad input', () => {
    expect(
      decode({
        awsAccountId: '111122223333',
        digestStartTime: '2026-11-02T00:00:00Z',
        digestEndTime: '2026-11-02T01:00:00Z',
        logFiles: [],
      }),
    ).toEqual([{ kind: 'skip', reason: 'cloudtrail-digest' }]);
    expect(
      decode({
        Records: [
          {
            eventVersion: '1.08',
            eventTime: '2026-11-02T00:00:00Z',
            eventSource: 'ec2.amazonaws.com',
            eventName: 'RunInstances',
            eventType: 'AwsCloudTrailInsight',
            eventCategory: 'Insight',
            insightDetails: {},
          },
        ],
      }),
    ).toEqual([{ kind: 'skip', reason: 'cloudtrail-insight' }]);
  });

  it.each([
    [{ kind: 'Event' }, 'cloudtrail.not-a-record'],
    [42, 'cloudtrail.not-a-record'],
  ])('bad input is an issue with file and line: %j', (v, code) => {
    expect(decode(v)).toMatchObject([{ kind: 'issue', code, file: 'f.json', line: 3 }]);
  });
});
