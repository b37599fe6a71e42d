// Shoppers of the demo's CloudTrail: the shop's mobile app uploads their review photos straight to S3 with
// credentials from an Amazon Cognito identity pool (its own seed, so every other record keeps its bytes).
//
// - app/shop-mobile-uploads: assumed with AssumeRoleWithWebIdentity by the app itself (Cognito's basic flow, as the
//   published records show it: WebIdentityUser, identityProvider cognito-identity.amazonaws.com, the identity id as
//   userName and subjectFromWebIdentityToken, the pool's id as the answer's audience). Guests and signed-in shoppers
//   share the role; the pool maps a signed-in shopper's tier to a session tag (principalTags), so those need
//   sts:TagSession too. Every day brings shoppers the pool has never seen (a new identity id each), and some come back.
//   Each puts one or two photos under incoming/ (which the thumbnailer picks up).
import { mulberry32, trailIds } from './prng.js';
import { DAYS, HOUR, MIN, START } from './demo-timeline.js';
import { trailRecordOf } from './demo-trail-record.js';

const SEED = 20261206;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
export const COGNITO = 'cognito-identity.amazonaws.com';
export const UPLOADS_ROLE = `arn:aws:iam::${ACCOUNT}:role/app/shop-mobile-uploads`;
export const POOL = `${REGION}:7d3c1e52-8a4b-4f6e-9c21-5b0a9e3f4d18`;
const APP = 'aws-sdk-swift/1.0.47 ua/2.1 api/sts#1.0.47 os/ios#18.1 lang/swift#5.10 md/shop-ios#4.12.0';

/** The records, in no order (the caller sorts them with the rest). */
export function cognitoCloudTrail() {
  const rand = mulberry32(SEED);
  const { int, uuid, upper, iso } = trailIds(rand);
  const events = [];
  const roleId = `AROA${upper(17)}`;
  const build = trailRecordOf({
    ids: { uuid, iso },
    account: ACCOUNT,
    region: REGION,
    ip: '203.0.113.50',
    agent: APP,
    readOnly: /^(Get|List|Describe)/,
  });
  const record = (...args) => events.push(build(...args));
  /** Shoppers seen so far: identity id and whether signed in. */
  const known = [];

  /** One shopper's visit: the pool's token exchanged for the role, then a photo or two uploaded. */
  function visit(t, shopper) {
    const ip = `203.0.113.${10 + int(200)}`;
    record(
      t,
      {
        type: 'WebIdentityUser',
        principalId: `${COGNITO}:${POOL}:${shopper.id}`,
        userName: shopper.id,
        identityProvider: COGNITO,
      },
      'sts.amazonaws.com',
      'AssumeRoleWithWebIdentity',
      {
        ...(shopper.member ? { principalTags: { tier: 'member' } } : {}),
        roleArn: UPLOADS_ROLE,
        roleSessionName: 'CognitoIdentityCredentials',
      },
      {
        ip,
        readOnly: true,
        response: {
          credentials: { accessKeyId: `ASIA${upper(16)}`, sessionToken: '<redacted>', expiration: iso(t + HOUR) },
          subjectFromWebIdentityToken: shopper.id,
          assumedRoleUser: {
            assumedRoleId: `${roleId}:CognitoIdentityCredentials`,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shop-mobile-uploads/CognitoIdentityCredentials`,
          },
          packedPolicySize: shopper.member ? 9 : 0,
          provider: COGNITO,
          audience: POOL,
        },
        resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: UPLOADS_ROLE }],
      },
    );
    const me = {
      type: 'AssumedRole',
      principalId: `${roleId}:CognitoIdentityCredentials`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shop-mobile-uploads/CognitoIdentityCredentials`,
      accountId: ACCOUNT,
      accessKeyId: `ASIA${upper(16)}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: roleId,
          arn: UPLOADS_ROLE,
          accountId: ACCOUNT,
          userName: 'shop-mobile-uploads',
        },
        webIdFederationData: { federatedProvider: COGNITO, attributes: {} },
        attributes: { creationDate: iso(t), mfaAuthenticated: 'false' },
      },
    };
    const host = { bucketName: 'acme-staging-uploads', Host: `acme-staging-uploads.s3.${REGION}.amazonaws.com` };
    for (let k = 0; k < 1 + int(2); k++) {
      const key = `incoming/${uuid()}.jpg`;
      record(
        t + 3_000 + k * 20_000 + int(10_000),
        me,
        's3.amazonaws.com',
        'PutObject',
        { ...host, key },
        {
          ip,
          data: true,
          resources: [
            { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-staging-uploads/${key}` },
            { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-staging-uploads' },
          ],
        },
      );
    }
  }

  for (let d = 0; d < DAYS; d++) {
    const day = START + d * 24 * HOUR;
    const visits = 2 + int(3);
    for (let v = 0; v < visits; v++) {
      // A third come back (once there is anyone to come back); the rest are new to the pool.
      const back = known.length > 0 && int(3) === 0;
      const shopper = back ? known[int(known.length)] : { id: `${REGION}:${uuid()}`, member: int(2) === 0 };
      if (!back) known.push(shopper);
      visit(day + (9 + int(12)) * HOUR + int(50 * MIN), shopper);
    }
  }
  return events;
}
