// Two roles of the demo's CloudTrail that nothing in the cluster assumes (its own seed, so the records of
// demo-cloudtrail.js keep their bytes):
//
// - ci/github-release: assumed by GitHub Actions workflows of acme/shop with their OIDC token
//   (AssumeRoleWithWebIdentity through the account's token.actions.githubusercontent.com provider, as
//   configure-aws-credentials does): on each weekday's merge to main, and for the release tags v1.4.0 (day 4) and
//   v1.5.0 (day 8, held out by the backtest). Each run pushes the static site's image to ECR shop/web-static and
//   uploads the build under its commit's SHA to acme-staging-releases.
// - lambda/thumbnailer-exec: the execution role of the Lambda function thumbnailer (which ci/deployer deploys):
//   lambda.amazonaws.com assumes it at each cold start, every three hours; the function reads uploads under a
//   fresh UUID and writes their thumbnails.
import { mulberry32, trailIds } from './prng.js';
import { DAYS, HOUR, MIN, START } from './demo-timeline.js';
import { trailRecordOf } from './demo-trail-record.js';

const SEED = 20261106;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const GITHUB = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
export const RELEASE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/github-release`;
export const THUMB_EXEC = `arn:aws:iam::${ACCOUNT}:role/lambda/thumbnailer-exec`;
/** The tag runs: day index and hour, the tag. */
export const RELEASES = [
  { day: 3, hour: 16, tag: 'v1.4.0' },
  { day: 7, hour: 14, tag: 'v1.5.0' },
];
const GHA_AGENT = 'aws-sdk-nodejs/2.1692.0 linux/v20.18.1 configure-aws-credentials-for-github-actions promise';
const GHA_IP = '20.57.41.113';

/** The records, in no order (the caller sorts them with the rest). */
export function moreCloudTrail() {
  const { int, hex, uuid, upper, iso } = trailIds(mulberry32(SEED));
  const events = [];
  const build = trailRecordOf({
    ids: { uuid, iso },
    account: ACCOUNT,
    region: REGION,
    ip: undefined,
    agent: undefined,
    readOnly: /^(Get|List|Describe|BatchCheck)/,
  });
  const record = (...args) => events.push(build(...args));
  const roleIds = { 'github-release': `AROA${upper(17)}`, 'thumbnailer-exec': `AROA${upper(17)}` };
  const session = (role, path, name, since) => ({
    type: 'AssumedRole',
    principalId: `${roleIds[role]}:${name}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${name}`,
    accountId: ACCOUNT,
    accessKeyId: `ASIA${upper(16)}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleIds[role],
        arn: `arn:aws:iam::${ACCOUNT}:role${path}${role}`,
        accountId: ACCOUNT,
        userName: role,
      },
      attributes: { creationDate: iso(since), mfaAuthenticated: 'false' },
    },
  });
  const roleResource = (arn) => [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: arn }];
  const object = (bucket, key) => [
    { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
    { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
  ];

  /** One workflow run: the token exchanged for the role, an image pushed, the build uploaded under its SHA. */
  function workflow(t, subject, imageTag) {
    const name = 'GitHubActions';
    record(
      t,
      {
        type: 'WebIdentityUser',
        principalId: `${GITHUB}:sts.amazonaws.com:${subject}`,
        userName: subject,
        identityProvider: GITHUB,
      },
      'sts.amazonaws.com',
      'AssumeRoleWithWebIdentity',
      { roleArn: RELEASE_ROLE, roleSessionName: name, durationSeconds: 3600 },
      {
        ip: GHA_IP,
        agent: GHA_AGENT,
        readOnly: true,
        response: {
          credentials: { accessKeyId: `ASIA${upper(16)}`, sessionToken: '<redacted>', expiration: iso(t + HOUR) },
          subjectFromWebIdentityToken: subject,
          assumedRoleUser: {
            assumedRoleId: `${roleIds['github-release']}:${name}`,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/github-release/${name}`,
          },
          provider: GITHUB,
          audience: 'sts.amazonaws.com',
        },
        resources: roleResource(RELEASE_ROLE),
      },
    );
    const me = session('github-release', '/ci/', name, t);
    const at = { ip: GHA_IP, agent: 'aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1017-azure' };
    const repo = {
      resources: [{ accountId: ACCOUNT, ARN: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop/web-static` }],
    };
    const ecr = { repositoryName: 'shop/web-static', registryId: ACCOUNT };
    record(t + 4_000, me, 'ecr.amazonaws.com', 'GetAuthorizationToken', {}, at);
    record(
      t + 6_000,
      me,
      'ecr.amazonaws.com',
      'BatchCheckLayerAvailability',
      {
        ...ecr,
        layerDigests: ['sha256:' + hex(64)],
      },
      { ...at, ...repo },
    );
    record(t + 7_000, me, 'ecr.amazonaws.com', 'InitiateLayerUpload', ecr, { ...at, ...repo });
    record(
      t + 9_000,
      me,
      'ecr.amazonaws.com',
      'CompleteLayerUpload',
      {
        ...ecr,
        uploadId: uuid(),
        layerDigests: ['sha256:' + hex(64)],
      },
      { ...at, ...repo },
    );
    record(t + 11_000, me, 'ecr.amazonaws.com', 'PutImage', { ...ecr, imageTag }, { ...at, ...repo });
    const key = `shop/${hex(40)}/site.tar.gz`;
    record(
      t + 15_000,
      me,
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-staging-releases', Host: `acme-staging-releases.s3.${REGION}.amazonaws.com`, key },
      { ...at, data: true, resources: object('acme-staging-releases', key) },
    );
  }

  for (let d = 0; d < DAYS; d++) {
    const day = START + d * 24 * HOUR;
    const weekday = new Date(day).getUTCDay() % 6 !== 0;
    if (weekday) workflow(day + 11 * HOUR + int(40 * MIN), 'repo:acme/shop:ref:refs/heads/main', `main-${hex(7)}`);
    for (const r of RELEASES)
      if (r.day === d) workflow(day + r.hour * HOUR + int(30 * MIN), `repo:acme/shop:ref:refs/tags/${r.tag}`, r.tag);

    // The thumbnailer: a cold start every three hours (Lambda assumes its role), then a few uploads.
    for (let h = 1; h < 24; h += 3) {
      const t = day + h * HOUR + int(20 * MIN);
      const svc = { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' };
      const lambda = { ip: 'lambda.amazonaws.com', agent: 'lambda.amazonaws.com' };
      record(
        t,
        svc,
        'sts.amazonaws.com',
        'AssumeRole',
        { roleArn: THUMB_EXEC, roleSessionName: 'thumbnailer' },
        { ...lambda, readOnly: true, resources: roleResource(THUMB_EXEC) },
      );
      const me = session('thumbnailer-exec', '/lambda/', 'thumbnailer', t);
      const at = { ip: '3.248.176.19', agent: 'aws-sdk-nodejs/3.654.0 exec-env/AWS_Lambda_nodejs20.x' };
      const host = { bucketName: 'acme-staging-uploads', Host: `acme-staging-uploads.s3.${REGION}.amazonaws.com` };
      for (let k = 0; k < 2 + int(3); k++) {
        const id = uuid();
        const when = t + 2_000 + k * 7 * MIN + int(MIN);
        const src = `incoming/${id}.jpg`;
        const dst = `thumbs/${id}.jpg`;
        record(
          when,
          me,
          's3.amazonaws.com',
          'GetObject',
          { ...host, key: src },
          {
            ...at,
            data: true,
            resources: object('acme-staging-uploads', src),
          },
        );
        record(
          when + 900,
          me,
          's3.amazonaws.com',
          'PutObject',
          { ...host, key: dst },
          {
            ...at,
            data: true,
            resources: object('acme-staging-uploads', dst),
          },
        );
      }
    }
  }
  return events;
}
