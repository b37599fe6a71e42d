import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import { CORPUS } from './helpers/cli.js';

function decode(v: unknown): (AwsCallObservation | InputIssue)[] {
  const out: (AwsCallObservation | InputIssue)[] = [];
  decodeCloudTrailValue(v, { file: 'f.json', line: 3 }, (x) => out.push(x));
  return out;
}
const calls = (xs: (AwsCallObservation | InputIssue)[]) => xs.filter((x): x is AwsCallObservation => x.kind === 'aws-call');

const record = (over: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/botocore-session-1', accountId: '111122223333', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/apps/shop-cart', accountId: '111122223333', userName: 'shop-cart' } } },
  eventTime: '2026-11-02T08:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  awsRegion: 'eu-west-1',
  requestParameters: { bucketName: 'acme-staging-carts', key: 'c/1.json' },
  eventID: 'e-1',
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-staging-carts/c/1.json' }],
  ...over,
});

describe('CloudTrail records (groundwork)', () => {
  it('reads the trailscraper corpus S3 delivery document (pretty-printed), principals as role ARNs', () => {
    const doc = JSON.parse(readFileSync(join(CORPUS, 'cloudtrail/flosell__trailscraper/tests/cloudtrail/data/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json'), 'utf8'));
    const got = calls(decode(doc));
    expect(got.length).toBe(doc.Records.length);
    expect(got[0]).toMatchObject({ principal: { type: 'Role', arn: 'arn:aws:iam::111111111111:role/someRole' }, eventSource: 'autoscaling.amazonaws.com', eventName: 'DescribeLaunchConfigurations', time: '2017-12-11T15:01:51.000000Z', decision: 'allow' });
  });

  it('reads the OTRF corpus one record per line: IAMUser, AssumedRole, AWSService, and no eventTime kept as unknown', () => {
    const lines = readFileSync(join(CORPUS, 'cloudtrail/OTRF__Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration_2020-09-14011940.json'), 'utf8').split('\n').filter(Boolean);
    const got = calls(lines.flatMap((l) => decode(JSON.parse(l))));
    expect(got).toHaveLength(lines.length);
    expect(new Set(got.map((o) => o.principal.type))).toEqual(new Set(['IAMUser', 'Role', 'AWSService']));
    expect(got.every((o) => o.time === '')).toBe(true);
    expect(got.filter((o) => o.eventName === 'ListObjects').every((o) => o.principal.type === 'Role')).toBe(true);
  });

  it('keeps the role path from the session issuer, and falls back to the session ARN without one', () => {
    expect(calls(decode(record()))[0]!.principal.arn).toBe('arn:aws:iam::111122223333:role/apps/shop-cart');
    const bare = record({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/shop-cart/s', accountId: '111122223333' } });
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

  it('unwraps EventBridge envelopes and reads resources[]', () => {
    const got = calls(decode({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: record() }));
    expect(got[0]!.resources).toEqual(['arn:aws:s3:::acme-staging-carts/c/1.json']);
  });

  it('links a service account to the role it assumed through IRSA', () => {
    const irsa = record({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRoleWithWebIdentity',
      userIdentity: { type: 'WebIdentityUser', principalId: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X:sts.amazonaws.com:system:serviceaccount:shop:cart', userName: 'system:serviceaccount:shop:cart', identityProvider: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X' },
      requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/apps/shop-cart', roleSessionName: 'botocore-session-1' },
    });
    expect(calls(decode(irsa))[0]!.link).toEqual({ namespace: 'shop', serviceAccount: 'cart', roleArn: 'arn:aws:iam::111122223333:role/apps/shop-cart', via: 'irsa' });
  });

  it('links a service account through EKS Pod Identity session tags', () => {
    const pi = record({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      userIdentity: { type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' },
      requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/payments-api', tags: [{ key: 'eks-cluster-name', value: 'acme-staging' }, { key: 'kubernetes-namespace', value: 'payments' }, { key: 'kubernetes-service-account', value: 'payments-api' }] },
    });
    expect(calls(decode(pi))[0]!.link).toEqual({ namespace: 'payments', serviceAccount: 'payments-api', roleArn: 'arn:aws:iam::111122223333:role/payments-api', via: 'pod-identity' });
  });

  it.each([
    [{ kind: 'Event' }, 'cloudtrail.not-a-record'],
    [42, 'cloudtrail.not-a-record'],
    [record({ eventTime: 'noon' }), 'cloudtrail.bad-time'],
  ])('bad input is an issue with file and line: %j', (v, code) => {
    expect(decode(v)).toMatchObject([{ kind: 'issue', code, file: 'f.json', line: 3 }]);
  });
});
