// The demo account's IAM as it stood before the soak (fixtures/demo/iam/account.json): what
// `aws iam get-account-authorization-details` would write for account 111122223333. Hand-made as teams write
// policies without evidence: each role allowed what its service needs and a good deal more (whole services on whole
// buckets and tables), one idle role, an IAM Identity Center role with AdministratorAccess, a permissions boundary,
// a user in a group, a service-linked role (which audit2policy does not read), a GitHub Actions role trusting every
// repository of the organisation and a Lambda function's execution role. Everything the soak did is allowed,
// so `check` finds nothing denied and reports what was never used. No randomness: the same bytes every time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { POOL } from './demo-cloudtrail-cognito.js';

const A = '111122223333';
const R = 'eu-west-1';
const doc = (...Statement) => ({ Version: '2012-10-17', Statement });
const allow = (Sid, Action, Resource) => ({ Sid, Effect: 'Allow', Action, Resource });
// Trust policies as the EKS User Guide writes them: IRSA through the cluster's OIDC provider (the issuer the soak's
// AssumeRoleWithWebIdentity records name), Pod Identity and other services by their service principal.
const ISSUER = `oidc.eks.${R}.amazonaws.com/id/5E1A9C3B7D2F4E6A8B0C1D2E3F4A5B6C`;
const irsa = (Condition) =>
  doc({
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${A}:oidc-provider/${ISSUER}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(Condition ? { Condition } : {}),
  });
const service = (Service, Action = 'sts:AssumeRole') => doc({ Effect: 'Allow', Principal: { Service }, Action });
const created = '2026-03-02T09:00:00Z';

/** An IAM unique id of the documented shape (its prefix, then letters), made from the name: the same every time. */
const uniqueId = (prefix, name) =>
  `${prefix}${name
    .replace(/[^A-Za-z]/g, '')
    .toUpperCase()
    .slice(0, 12)
    .padEnd(12, 'X')}EXAMPLE`;

function role(name, path, extra) {
  return {
    Path: path,
    RoleName: name,
    RoleId: uniqueId('AROA', name),
    Arn: `arn:aws:iam::${A}:role${path}${name}`,
    CreateDate: created,
    // No condition on the token's subject: every service account of the cluster may become it (check says so).
    AssumeRolePolicyDocument: irsa(),
    InstanceProfileList: [],
    RolePolicyList: [],
    AttachedManagedPolicies: [],
    Tags: [],
    RoleLastUsed: {},
    ...extra,
  };
}

function managed(name, arn, document, description) {
  return {
    PolicyName: name,
    PolicyId: uniqueId('ANPA', name),
    Arn: arn,
    Path: '/',
    DefaultVersionId: 'v2',
    AttachmentCount: 1,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: description,
    CreateDate: created,
    UpdateDate: '2026-06-15T12:00:00Z',
    PolicyVersionList: [
      // v1 was narrower and is kept, not in force: the default version is what IAM enforces.
      {
        Document: doc(allow('Old', ['s3:GetObject'], ['*'])),
        VersionId: 'v1',
        IsDefaultVersion: false,
        CreateDate: created,
      },
      { Document: document, VersionId: 'v2', IsDefaultVersion: true, CreateDate: '2026-06-15T12:00:00Z' },
    ],
  };
}

export function demoAccount() {
  const boundary = `arn:aws:iam::${A}:policy/acme-workload-boundary`;
  const ciDeploy = `arn:aws:iam::${A}:policy/acme-ci-deploy`;
  const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
  const roles = [
    role('shop-cart', '/', {
      AssumeRolePolicyDocument: irsa({
        StringEquals: { [`${ISSUER}:sub`]: 'system:serviceaccount:shop:cart', [`${ISSUER}:aud`]: 'sts.amazonaws.com' },
      }),
      RolePolicyList: [
        {
          PolicyName: 'shop-data',
          PolicyDocument: doc(
            allow('Carts', ['s3:*'], ['arn:aws:s3:::acme-staging-carts', 'arn:aws:s3:::acme-staging-carts/*']),
            allow('Table', ['dynamodb:*'], [`arn:aws:dynamodb:${R}:${A}:table/carts`]),
            allow('Events', ['sqs:*'], [`arn:aws:sqs:${R}:${A}:cart-events`]),
          ),
        },
      ],
    }),
    role('payments-api', '/', {
      AssumeRolePolicyDocument: service('pods.eks.amazonaws.com', ['sts:AssumeRole', 'sts:TagSession']),
      RolePolicyList: [
        {
          PolicyName: 'payments-secrets',
          PolicyDocument: doc(
            allow(
              'Secrets',
              ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              [`arn:aws:secretsmanager:${R}:${A}:secret:payments/*`],
            ),
            allow(
              'Key',
              ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
              [`arn:aws:kms:${R}:${A}:key/7f3c2a1e-5b4d-4c6e-9a8b-0d1e2f3a4b5c`],
            ),
          ),
        },
      ],
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary },
    }),
    role('ci-deployer', '/ci/', {
      AssumeRolePolicyDocument: irsa({ StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:ci:*' } }),
      AttachedManagedPolicies: [{ PolicyName: 'acme-ci-deploy', PolicyArn: ciDeploy }],
    }),
    role('ops-backup', '/', {
      RolePolicyList: [
        {
          PolicyName: 'backups',
          PolicyDocument: doc(
            allow('Bucket', ['s3:*'], ['arn:aws:s3:::acme-staging-backups', 'arn:aws:s3:::acme-staging-backups/*']),
          ),
        },
      ],
    }),
    role('ops-report', '/', {
      RolePolicyList: [
        {
          PolicyName: 'reports',
          PolicyDocument: doc(
            allow(
              'Reports',
              ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
              ['arn:aws:s3:::acme-staging-reports', 'arn:aws:s3:::acme-staging-reports/*'],
            ),
            allow('Logs', ['logs:*'], [`arn:aws:logs:${R}:${A}:log-group:/acme/jobs:*`]),
          ),
        },
      ],
    }),
    // GitHub Actions releases: any workflow of any repository of the acme organisation may become it (check: medium).
    role('github-release', '/ci/', {
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' },
        },
      }),
      AttachedManagedPolicies: [{ PolicyName: 'acme-ci-deploy', PolicyArn: ciDeploy }],
      RolePolicyList: [
        {
          PolicyName: 'releases',
          PolicyDocument: doc(
            allow(
              'Releases',
              ['s3:PutObject', 's3:GetObject', 's3:ListBucket'],
              ['arn:aws:s3:::acme-staging-releases', 'arn:aws:s3:::acme-staging-releases/*'],
            ),
          ),
        },
      ],
    }),
    // The thumbnailer Lambda function's execution role.
    role('thumbnailer-exec', '/lambda/', {
      AssumeRolePolicyDocument: service('lambda.amazonaws.com'),
      RolePolicyList: [
        {
          PolicyName: 'uploads',
          PolicyDocument: doc(
            allow('Uploads', ['s3:*'], ['arn:aws:s3:::acme-staging-uploads', 'arn:aws:s3:::acme-staging-uploads/*']),
            allow('Logs', ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], ['*']),
          ),
        },
      ],
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary },
    }),
    // On call: engineers sign in through Okta (SAML); who may is left to Okta's role mapping (check: low).
    role('oncall', '/ops/', {
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${A}:saml-provider/Okta` },
        Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
        Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
      }),
      RolePolicyList: [
        {
          PolicyName: 'oncall',
          PolicyDocument: doc(
            allow(
              'Look',
              ['ec2:Describe*', 'cloudwatch:GetMetricData', 'logs:FilterLogEvents', 'logs:GetLogEvents'],
              ['*'],
            ),
            allow(
              'Reboot',
              ['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances'],
              [`arn:aws:ec2:${R}:${A}:instance/*`],
            ),
          ),
        },
      ],
    }),
    // The mobile app's uploads: any identity of the shop's Cognito identity pool, guest or signed in (check: low).
    role('shop-mobile-uploads', '/app/', {
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
        Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': POOL } },
      }),
      RolePolicyList: [
        {
          PolicyName: 'uploads',
          PolicyDocument: doc(
            allow('Photos', ['s3:PutObject', 's3:GetObject'], ['arn:aws:s3:::acme-staging-uploads/*']),
          ),
        },
      ],
    }),
    // Made for a nightly ETL that was retired; still there, never used in the soak.
    role('legacy-etl', '/', {
      AssumeRolePolicyDocument: service('glue.amazonaws.com'),
      RolePolicyList: [{ PolicyName: 'etl', PolicyDocument: doc(allow('Everything', ['s3:*', 'glue:*'], ['*'])) }],
    }),
    role('AWSReservedSSO_AdministratorAccess_4f1c2d3e5a6b7c8d', `/aws-reserved/sso.amazonaws.com/${R}/`, {
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${A}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE` },
        Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
        Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
      }),
      AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: admin }],
    }),
    role('AWSServiceRoleForAmazonEKS', '/aws-service-role/eks.amazonaws.com/', {
      AssumeRolePolicyDocument: service('eks.amazonaws.com'),
      AttachedManagedPolicies: [
        {
          PolicyName: 'AmazonEKSServiceRolePolicy',
          PolicyArn: 'arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy',
        },
      ],
    }),
  ];
  const policies = [
    managed(
      'acme-ci-deploy',
      ciDeploy,
      doc(
        allow('Registry', ['ecr:*'], [`arn:aws:ecr:${R}:${A}:repository/shop/*`]),
        allow('Login', ['ecr:GetAuthorizationToken'], ['*']),
        allow('Functions', ['lambda:*'], [`arn:aws:lambda:${R}:${A}:function:*`]),
        allow('Pass', ['iam:PassRole'], [`arn:aws:iam::${A}:role/lambda/*`]),
      ),
      'CI: push images, deploy functions',
    ),
    managed(
      'acme-workload-boundary',
      boundary,
      doc(allow('Workloads', ['s3:*', 'dynamodb:*', 'sqs:*', 'secretsmanager:*', 'kms:*', 'logs:*'], ['*']), {
        Sid: 'NoIam',
        Effect: 'Deny',
        Action: ['iam:*', 'organizations:*'],
        Resource: ['*'],
      }),
      'The most a workload role may ever be given',
    ),
    {
      PolicyName: 'AdministratorAccess',
      PolicyId: 'ANPAIWMBCKSKIEE64ZLYK',
      Arn: admin,
      Path: '/',
      DefaultVersionId: 'v1',
      AttachmentCount: 1,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
      CreateDate: '2015-02-06T18:39:46Z',
      UpdateDate: '2015-02-06T18:39:46Z',
      PolicyVersionList: [
        {
          Document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
          VersionId: 'v1',
          IsDefaultVersion: true,
          CreateDate: '2015-02-06T18:39:46Z',
        },
      ],
    },
  ];
  const users = [
    {
      Path: '/',
      UserName: 'report-viewer',
      UserId: 'AIDAREPORTVIEWEREXAMPLE',
      Arn: `arn:aws:iam::${A}:user/report-viewer`,
      CreateDate: created,
      UserPolicyList: [],
      GroupList: ['analysts'],
      AttachedManagedPolicies: [],
      Tags: [],
    },
  ];
  const groups = [
    {
      Path: '/',
      GroupName: 'analysts',
      GroupId: 'AGPAANALYSTSEXAMPLE',
      Arn: `arn:aws:iam::${A}:group/analysts`,
      CreateDate: created,
      GroupPolicyList: [
        {
          PolicyName: 'read-reports',
          PolicyDocument: doc(
            allow(
              'Read',
              ['s3:GetObject', 's3:ListBucket'],
              ['arn:aws:s3:::acme-staging-reports', 'arn:aws:s3:::acme-staging-reports/*'],
            ),
          ),
        },
      ],
      AttachedManagedPolicies: [],
    },
  ];
  return {
    UserDetailList: users,
    GroupDetailList: groups,
    RoleDetailList: roles,
    Policies: policies,
    IsTruncated: false,
  };
}

/** Writes fixtures/demo/iam/account.json under `out`, as the AWS CLI indents its answers (4 spaces). */
export function writeDemoAccount(out) {
  const dir = join(out, 'iam');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'account.json'), JSON.stringify(demoAccount(), null, 4) + '\n');
}
