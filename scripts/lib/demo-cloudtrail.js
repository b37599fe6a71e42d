// The demo environment's CloudTrail (fixtures/demo/cloudtrail): the same acme staging soak as the
// audit logs, seen from AWS. Seeded and byte-stable; called by scripts/gen-demo.js.
//
// Roles: shop-cart (IRSA for shop/cart): S3 objects in acme-staging-carts, DynamoDB table carts,
// SQS queue cart-events. payments-api (EKS Pod Identity for payments/payments-api): one Secrets
// Manager secret, decrypted with one KMS key. ci-deployer (IRSA for ci/deployer): pushes images to
// ECR, updates the Lambda thumbnailer (passing its execution role). ops-backup (IRSA for ops/backup):
// nightly multipart uploads to acme-staging-backups, and prunes with DeleteObjects. ops-report (IRSA
// for ops/report, a daily CronJob): reads a fixed template from acme-staging-reports, writes each run's
// export under a fresh UUID and reads it back, and logs to a new CloudWatch Logs stream per run. An SSO
// admin looks around in the console. Denied calls: a few, on purpose. A GitHub Actions release role and the
// thumbnailer's execution role, which nothing in the cluster assumes, are in demo-cloudtrail-more.js.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32, trailIds } from './prng.js';
import { trailRecordOf } from './demo-trail-record.js';
import { DAYS, HOUR, MIN, PAYMENTS_POD, REPORT_RUNS, START } from './demo-timeline.js';
import { moreCloudTrail, THUMB_EXEC } from './demo-cloudtrail-more.js';
import { samlCloudTrail } from './demo-cloudtrail-saml.js';
import { cognitoCloudTrail } from './demo-cloudtrail-cognito.js';

const SEED = 20261103;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/5E1A9C3B7D2F4E6A8B0C1D2E3F4A5B6C`;

export const ROLES = {
  'shop/cart': {
    role: 'shop-cart',
    path: '/',
    via: 'irsa',
    agent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2',
    ip: '10.0.1.102',
  },
  'payments/payments-api': {
    role: 'payments-api',
    path: '/',
    via: 'pod-identity',
    agent: 'aws-sdk-java/2.26.12 Linux/6.1.97 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3',
    ip: '10.0.2.110',
  },
  'ci/deployer': {
    role: 'ci-deployer',
    path: '/ci/',
    via: 'irsa',
    agent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.97 md/arch#x86_64 lang/python#3.11.9',
    ip: '10.0.2.131',
  },
  'ops/backup': {
    role: 'ops-backup',
    path: '/',
    via: 'irsa',
    agent: 'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.1.97 md/arch#x86_64 lang/python#3.12.4',
    ip: '10.0.3.150',
  },
  'ops/report': {
    role: 'ops-report',
    path: '/',
    via: 'irsa',
    agent: 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1.102 md/arch#x86_64 lang/python#3.12.6',
    ip: REPORT_RUNS[0].ip,
  },
};
const KEY_ID = '7f3c2a1e-5b4d-4c6e-9a8b-0d1e2f3a4b5c';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:payments/stripe-api-key-Q7xLm2`;
const SSO_ROLE = 'AWSReservedSSO_AdministratorAccess_4f1c2d3e5a6b7c8d';
const SSO_PATH = `/aws-reserved/sso.amazonaws.com/${REGION}/`;

export function generateCloudTrail(outDir) {
  const { int, hex, uuid, upper, iso } = trailIds(mulberry32(SEED));
  const events = [];

  const roleArn = (r) => `arn:aws:iam::${ACCOUNT}:role${r.path}${r.role}`;
  const session = {};
  function assumed(sa, _t) {
    const r = ROLES[sa];
    const s = session[sa];
    return {
      type: 'AssumedRole',
      principalId: `AROA${r.role.length}${upper(15)}:${s.name}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${r.role}/${s.name}`,
      accountId: ACCOUNT,
      accessKeyId: s.key,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROA${r.role.length}${upper(15)}`,
          arn: roleArn(r),
          accountId: ACCOUNT,
          userName: r.role,
        },
        ...(r.via === 'irsa' ? { webIdFederationData: { federatedProvider: OIDC, attributes: {} } } : {}),
        attributes: { creationDate: iso(s.since), mfaAuthenticated: 'false' },
      },
    };
  }
  const build = trailRecordOf({
    ids: { uuid, iso },
    account: ACCOUNT,
    region: REGION,
    ip: '10.0.0.1',
    agent: 'aws-internal/3',
    readOnly: /^(Get|List|Describe|Head|Decrypt|BatchCheck)/,
  });
  function record(...args) {
    const ev = build(...args);
    events.push(ev);
    return ev;
  }
  /** New credentials for a service account: AssumeRoleWithWebIdentity (IRSA) or the Pod Identity agent's AssumeRole. */
  function credentials(sa, t, at = {}) {
    const r = ROLES[sa];
    const [ns, name] = sa.split('/');
    const s = (session[sa] = {
      name: r.via === 'irsa' ? `botocore-session-${Math.floor(t / 1000)}` : `eks-acme-stagi-${name}-${hex(8)}`,
      key: `ASIA${upper(16)}`,
      since: t,
    });
    if (r.via === 'irsa') {
      record(
        t,
        {
          type: 'WebIdentityUser',
          principalId: `${OIDC.split(':oidc-provider/')[1]}:sts.amazonaws.com:system:serviceaccount:${ns}:${name}`,
          userName: `system:serviceaccount:${ns}:${name}`,
          identityProvider: OIDC,
        },
        'sts.amazonaws.com',
        'AssumeRoleWithWebIdentity',
        { roleArn: roleArn(r), roleSessionName: s.name, durationSeconds: 3600 },
        {
          ip: at.ip ?? r.ip,
          agent: r.agent,
          readOnly: true,
          response: {
            credentials: {
              accessKeyId: s.key,
              sessionToken: '<redacted>',
              expiration: new Date(t + HOUR).toUTCString(),
            },
            subjectFromWebIdentityToken: `system:serviceaccount:${ns}:${name}`,
            audience: 'sts.amazonaws.com',
            provider: OIDC,
          },
          resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: roleArn(r) }],
        },
      );
    } else {
      const tags = [
        { key: 'eks-cluster-arn', value: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/acme-staging` },
        { key: 'eks-cluster-name', value: 'acme-staging' },
        { key: 'kubernetes-namespace', value: ns },
        { key: 'kubernetes-service-account', value: name },
        { key: 'kubernetes-pod-name', value: PAYMENTS_POD },
        { key: 'kubernetes-pod-uid', value: uuid() },
      ];
      record(
        t,
        { type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' },
        'sts.amazonaws.com',
        'AssumeRole',
        {
          roleArn: roleArn(r),
          roleSessionName: s.name,
          durationSeconds: 21600,
          tags,
          transitiveTagKeys: tags.map((x) => x.key),
        },
        {
          ip: 'pods.eks.amazonaws.com',
          agent: 'pods.eks.amazonaws.com',
          readOnly: true,
          resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: roleArn(r) }],
        },
      );
      record(
        t,
        { type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' },
        'sts.amazonaws.com',
        'TagSession',
        { roleArn: roleArn(r), tags, transitiveTagKeys: tags.map((x) => x.key) },
        { ip: 'pods.eks.amazonaws.com', agent: 'pods.eks.amazonaws.com', readOnly: true },
      );
    }
  }
  const as = (sa, t, source, name, params, extra = {}) =>
    record(t, assumed(sa, t), source, name, params, { ip: ROLES[sa].ip, agent: ROLES[sa].agent, ...extra });
  const obj = (bucket, key) => [
    { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
    { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
  ];

  const customers = Array.from({ length: 12 }, (_, i) => `c-${String(1001 + i * 37)}`);
  for (let d = 0; d < DAYS; d++) {
    const day = START + d * 24 * HOUR;
    const weekday = new Date(day).getUTCDay() % 6 !== 0;

    // cart: fresh IRSA credentials hourly; carts read and written through the day.
    for (let h = 0; h < 24; h++) {
      const t0 = day + h * HOUR + int(4 * MIN);
      credentials('shop/cart', t0);
      for (let k = 0; k < 2; k++) {
        const t = t0 + (5 + k * 27) * MIN + int(3 * MIN);
        const c = customers[int(customers.length)];
        const key = `carts/${c}.json`;
        as(
          'shop/cart',
          t,
          'dynamodb.amazonaws.com',
          'GetItem',
          { tableName: 'carts', key: { customerId: { S: c } }, consistentRead: false },
          {
            data: true,
            resources: [
              {
                accountId: ACCOUNT,
                type: 'AWS::DynamoDB::Table',
                ARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/carts`,
              },
            ],
          },
        );
        as(
          'shop/cart',
          t + 40,
          's3.amazonaws.com',
          'GetObject',
          { bucketName: 'acme-staging-carts', Host: 'acme-staging-carts.s3.eu-west-1.amazonaws.com', key },
          {
            data: true,
            resources: obj('acme-staging-carts', key),
            error: int(9) === 0 ? 'NoSuchKey' : undefined,
            message: 'The specified key does not exist.',
          },
        );
        as(
          'shop/cart',
          t + 900,
          's3.amazonaws.com',
          'PutObject',
          { bucketName: 'acme-staging-carts', Host: 'acme-staging-carts.s3.eu-west-1.amazonaws.com', key },
          { data: true, resources: obj('acme-staging-carts', key) },
        );
        as(
          'shop/cart',
          t + 1300,
          'dynamodb.amazonaws.com',
          'UpdateItem',
          {
            tableName: 'carts',
            key: { customerId: { S: c } },
            updateExpression: 'SET #items = :i',
            conditionExpression: 'attribute_exists(customerId)',
          },
          { data: true },
        );
        as(
          'shop/cart',
          t + 1700,
          'sqs.amazonaws.com',
          'SendMessage',
          {
            queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/cart-events`,
            messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          },
          { data: true },
        );
      }
    }
    // cart once tried to delete a cart object (AccessDenied: its role never had it).
    if (d === 3)
      as(
        'shop/cart',
        day + 15 * HOUR + 12 * MIN,
        's3.amazonaws.com',
        'DeleteObject',
        { bucketName: 'acme-staging-carts', key: `carts/${customers[2]}.json` },
        {
          data: true,
          error: 'AccessDenied',
          message: 'Access Denied',
          resources: obj('acme-staging-carts', `carts/${customers[2]}.json`),
        },
      );

    // payments-api: Pod Identity credentials every 6 hours; the secret at start-up and every 2 hours.
    for (let h = 0; h < 24; h += 6) credentials('payments/payments-api', day + h * HOUR + int(2 * MIN));
    for (let h = 0; h < 24; h += 2) {
      const t = day + h * HOUR + 10 * MIN + int(5 * MIN);
      as('payments/payments-api', t, 'secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: SECRET_ARN });
      as(
        'payments/payments-api',
        t + 300,
        'kms.amazonaws.com',
        'Decrypt',
        {
          encryptionContext: { SecretARN: SECRET_ARN, SecretVersionId: 'a1b2c3d4-0000-4000-8000-000000000001' },
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
        { resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KEY_ARN }] },
      );
      as(
        'payments/payments-api',
        t + 900,
        'kms.amazonaws.com',
        'GenerateDataKey',
        { keyId: 'alias/payments', keySpec: 'AES_256', encryptionContext: { tenant: 'acme' } },
        { resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KEY_ARN }] },
      );
    }
    if (d === 5)
      as(
        'payments/payments-api',
        day + 11 * HOUR + 3 * MIN,
        'secretsmanager.amazonaws.com',
        'PutSecretValue',
        { secretId: SECRET_ARN, clientRequestToken: uuid() },
        {
          error: 'AccessDeniedException',
          message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/payments-api/x is not authorized to perform: secretsmanager:PutSecretValue`,
        },
      );

    // backup: nightly at 02:00, IRSA credentials, a multipart upload, a listing and a prune.
    {
      const t = day + 2 * HOUR + int(2 * MIN);
      credentials('ops/backup', t);
      const date = new Date(day).toISOString().slice(0, 10);
      const key = `nightly/${date}/volumes.tar.zst`;
      as(
        'ops/backup',
        t + 20_000,
        's3.amazonaws.com',
        'ListObjects',
        { bucketName: 'acme-staging-backups', prefix: 'nightly/', 'list-type': '2' },
        {
          data: true,
          resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-staging-backups' }],
        },
      );
      as(
        'ops/backup',
        t + 30_000,
        's3.amazonaws.com',
        'CreateMultipartUpload',
        { bucketName: 'acme-staging-backups', key, uploads: '' },
        { data: true, resources: obj('acme-staging-backups', key) },
      );
      for (let part = 1; part <= 3; part++)
        as(
          'ops/backup',
          t + 30_000 + part * 40_000,
          's3.amazonaws.com',
          'UploadPart',
          { bucketName: 'acme-staging-backups', key, partNumber: String(part), uploadId: 'x' },
          { data: true, resources: obj('acme-staging-backups', key) },
        );
      as(
        'ops/backup',
        t + 200_000,
        's3.amazonaws.com',
        'CompleteMultipartUpload',
        { bucketName: 'acme-staging-backups', key, uploadId: 'x' },
        { data: true, resources: obj('acme-staging-backups', key) },
      );
      // DeleteObjects: CloudTrail logs no keys for it, only the bucket.
      as(
        'ops/backup',
        t + 230_000,
        's3.amazonaws.com',
        'DeleteObjects',
        { bucketName: 'acme-staging-backups', delete: '' },
        {
          data: true,
          resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-staging-backups' }],
        },
      );
    }

    // report: the daily run at 05:30 (its pod's address changes every run). Its SQL template is one
    // fixed key; its export goes under a fresh UUID and is read back to check it; its log goes to a new
    // stream of /acme/jobs named for the day, as the job's logging handler names them.
    {
      const run = REPORT_RUNS[d];
      const at = { ip: run.ip };
      const t = run.start + 1500;
      credentials('ops/report', t, at);
      const bucket = 'acme-staging-reports';
      const host = { bucketName: bucket, Host: `${bucket}.s3.${REGION}.amazonaws.com` };
      const template = 'templates/daily-sales.sql';
      as(
        'ops/report',
        t + 2_000,
        's3.amazonaws.com',
        'GetObject',
        { ...host, key: template },
        { ...at, data: true, resources: obj(bucket, template) },
      );
      const stream = {
        logGroupName: '/acme/jobs',
        logStreamName: `${new Date(run.scheduled).toISOString().slice(0, 10).replaceAll('-', '/')}/${hex(32)}`,
      };
      as('ops/report', t + 3_000, 'logs.amazonaws.com', 'CreateLogStream', stream, at);
      for (const s of [4, 60, 150])
        as('ops/report', t + s * 1000, 'logs.amazonaws.com', 'PutLogEvents', stream, { ...at, data: true });
      const key = `exports/${uuid()}/result.json`;
      as(
        'ops/report',
        t + 170_000,
        's3.amazonaws.com',
        'PutObject',
        { ...host, key },
        { ...at, data: true, resources: obj(bucket, key) },
      );
      as(
        'ops/report',
        t + 185_000,
        's3.amazonaws.com',
        'GetObject',
        { ...host, key },
        { ...at, data: true, resources: obj(bucket, key) },
      );
    }

    // deployer: twice a working day, push an image to ECR and update the thumbnailer Lambda.
    if (weekday) {
      for (const hour of [10, 15]) {
        const t = day + hour * HOUR + int(20 * MIN);
        credentials('ci/deployer', t);
        as('ci/deployer', t + 5_000, 'ecr.amazonaws.com', 'GetAuthorizationToken', {});
        for (const repo of ['shop/web', 'shop/cart']) {
          const res = {
            resources: [{ accountId: ACCOUNT, ARN: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repo}` }],
          };
          as(
            'ci/deployer',
            t + 8_000,
            'ecr.amazonaws.com',
            'BatchCheckLayerAvailability',
            { repositoryName: repo, registryId: ACCOUNT, layerDigests: ['sha256:' + hex(64)] },
            res,
          );
          as(
            'ci/deployer',
            t + 9_000,
            'ecr.amazonaws.com',
            'InitiateLayerUpload',
            { repositoryName: repo, registryId: ACCOUNT },
            res,
          );
          as(
            'ci/deployer',
            t + 12_000,
            'ecr.amazonaws.com',
            'CompleteLayerUpload',
            { repositoryName: repo, registryId: ACCOUNT, uploadId: uuid(), layerDigests: ['sha256:' + hex(64)] },
            res,
          );
          as(
            'ci/deployer',
            t + 14_000,
            'ecr.amazonaws.com',
            'PutImage',
            { repositoryName: repo, registryId: ACCOUNT, imageTag: `build-${d}-${hour}` },
            res,
          );
        }
        as('ci/deployer', t + 20_000, 'lambda.amazonaws.com', 'GetFunction20150331v2', { functionName: 'thumbnailer' });
        as('ci/deployer', t + 22_000, 'lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', {
          functionName: 'thumbnailer',
          imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/web:build-${d}-${hour}`,
          publish: false,
        });
        as('ci/deployer', t + 40_000, 'lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', {
          functionName: 'thumbnailer',
          role: THUMB_EXEC,
          timeout: 30,
          memorySize: 512,
        });
        as('ci/deployer', t + 41_000, 'sts.amazonaws.com', 'GetCallerIdentity', {}, { readOnly: true });
      }
    }
    if (d === 4)
      as(
        'ci/deployer',
        day + 16 * HOUR,
        'lambda.amazonaws.com',
        'DeleteFunction20150331',
        { functionName: 'thumbnailer-old' },
        { error: 'AccessDeniedException' },
      );

    // The SSO admin signs in to the console on two weekdays and looks around.
    if (d === 1 || d === 6) {
      const t = day + 9 * HOUR + 30 * MIN;
      const sso = {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLESSOADMIN:alice@acme.example',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/alice@acme.example`,
        accountId: ACCOUNT,
        accessKeyId: `ASIA${upper(16)}`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLESSOADMIN',
            arn: `arn:aws:iam::${ACCOUNT}:role${SSO_PATH}${SSO_ROLE}`,
            accountId: ACCOUNT,
            userName: SSO_ROLE,
          },
          attributes: { creationDate: iso(t), mfaAuthenticated: 'false' },
        },
      };
      const ui = { ip: '192.168.40.12', agent: 'AWS Internal' };
      record(t, sso, 'signin.amazonaws.com', 'ConsoleLogin', null, { ...ui, response: { ConsoleLogin: 'Success' } });
      record(t + 30_000, sso, 'eks.amazonaws.com', 'DescribeCluster', { name: 'acme-staging' }, ui);
      record(t + 60_000, sso, 'eks.amazonaws.com', 'ListNodegroups', { name: 'acme-staging' }, ui);
      record(t + 90_000, sso, 'ec2.amazonaws.com', 'DescribeInstances', { instancesSet: {}, filterSet: {} }, ui);
      record(t + 120_000, sso, 'iam.amazonaws.com', 'GetRole', { roleName: 'shop-cart' }, ui);
      record(t + 150_000, sso, 'cloudtrail.amazonaws.com', 'LookupEvents', { maxResults: 50 }, ui);
    }
    // AWS services acting for the account: left out of policies.
    record(
      day + 3 * HOUR,
      { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
      'ec2.amazonaws.com',
      'DescribeInstances',
      null,
      { ip: 'autoscaling.amazonaws.com', agent: 'autoscaling.amazonaws.com' },
    );
  }
  // The GitHub Actions release role and the thumbnailer's execution role (their own seed).
  for (const e of moreCloudTrail()) events.push(e);
  // The on-call engineers signing in through Okta (SAML; their own seed).
  for (const e of samlCloudTrail()) events.push(e);
  // The mobile app's shoppers, through a Cognito identity pool (their own seed).
  for (const e of cognitoCloudTrail()) events.push(e);
  events.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));

  // Delivery: S3 files of Records every 6 hours (gzip), as CloudTrail writes them; the last day as one
  // record per line (a CloudTrail Lake export), and its 12:00-13:00 hour as EventBridge envelopes.
  const dir = join(outDir, 'cloudtrail');
  const files = [];
  const lastDay = START + (DAYS - 1) * 24 * HOUR;
  const t = (e) => Date.parse(e.eventTime);
  const bus = events.filter((e) => t(e) >= lastDay + 12 * HOUR && t(e) < lastDay + 13 * HOUR);
  const lake = events.filter((e) => t(e) >= lastDay && !bus.includes(e));
  for (let d = 0; d < DAYS - 1; d++) {
    for (let q = 0; q < 4; q++) {
      const from = START + d * 24 * HOUR + q * 6 * HOUR;
      const chunk = events.filter((e) => t(e) >= from && t(e) < from + 6 * HOUR);
      const stamp = new Date(from + 6 * HOUR - 5 * MIN).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
      const ymd = new Date(from).toISOString().slice(0, 10).split('-');
      const suffix = upper(16);
      // A trail delivers each region's records under its own prefix: the global services' (IAM) under us-east-1.
      for (const region of [...new Set(chunk.map((e) => e.awsRegion))].sort()) {
        const records = chunk.filter((e) => e.awsRegion === region);
        const rel = `AWSLogs/${ACCOUNT}/CloudTrail/${region}/${ymd.join('/')}/${ACCOUNT}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`;
        mkdirSync(join(dir, rel, '..'), { recursive: true });
        writeFileSync(join(dir, rel), gzipSync(JSON.stringify({ Records: records }), { level: 9 }));
        files.push({ path: rel, events: records.length });
      }
    }
  }
  writeFileSync(join(dir, 'lake-export-2026-11-09.jsonl'), lake.map((e) => JSON.stringify(e)).join('\n') + '\n');
  files.push({ path: 'lake-export-2026-11-09.jsonl', events: lake.length });
  mkdirSync(join(dir, 'eventbridge'), { recursive: true });
  const envelopes = bus.map((e) =>
    JSON.stringify({
      version: '0',
      id: e.eventID.replace(/^./, 'e'),
      'detail-type': 'AWS API Call via CloudTrail',
      source: `aws.${e.eventSource.split('.')[0]}`,
      account: ACCOUNT,
      time: e.eventTime,
      region: e.awsRegion,
      resources: [],
      detail: e,
    }),
  );
  writeFileSync(join(dir, 'eventbridge/acme-staging-bus-2026-11-09T12.jsonl'), envelopes.join('\n') + '\n');
  files.push({ path: 'eventbridge/acme-staging-bus-2026-11-09T12.jsonl', events: bus.length });

  // Counts per principal for the fixture test.
  const principals = {};
  for (const e of events) {
    const u = e.userIdentity;
    const who =
      u.type === 'AssumedRole'
        ? u.sessionContext.sessionIssuer.arn
        : u.type === 'AWSService'
          ? `service:${u.invokedBy}`
          : `web-identity:${u.userName}`;
    const c = (principals[who] ??= { records: 0, denied: 0 });
    c.records++;
    if (/AccessDenied/.test(e.errorCode ?? '')) c.denied++;
  }
  return {
    seed: SEED,
    records: events.length,
    files: files.sort((a, b) => (a.path < b.path ? -1 : 1)),
    principals: Object.fromEntries(Object.entries(principals).sort()),
  };
}
