// Seeded property test of the core invariant on random CloudTrail RECORDS: what `generate iam` makes from a trail,
// `verify` replays with nothing denied. test/cloudtrail-iam-roundtrip.test.ts holds it for one fixed set of records and
// test/generate-verify-property.test.ts for random observations given to the builder; this one goes through the
// readers and the decoder too. Each run writes 30 to 80 records (eventVersion 1.08 to 1.11) in the shapes AWS
// documents:
// - who: the userIdentity element of every type (CloudTrail User Guide, "CloudTrail userIdentity element"; IAM User
//   Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail"): role sessions whose ARN carries no path while
//   their issuer's does (now and then without the issuer), session names new every run (pods, tasks, instances), the
//   same roles in a twin account and in the China and GovCloud partitions, IAM Identity Center and service-linked
//   roles, IAM users with paths and e-mail names (one named as a role), root, GetFederationToken sessions, AWS
//   services, IdentityCenterUser, an AWSAccount copy of a cross-account AssumeRole;
// - how sessions began: AWS services' AssumeRole (Lambda, ECS tasks, EC2 instance profiles, EKS Pod Identity with its
//   session tags), AssumeRoleWithWebIdentity (EKS IRSA, GitHub Actions, a Cognito identity pool), AssumeRoleWithSAML
//   (IAM Identity Center, Okta), and AssumeRole by users and roles (chains, a role assuming itself, across accounts,
//   with tags, a source identity, an external id, MFA);
// - what: management and data events of S3 (objects, lists, DeleteObjects' ARN prefix, CopyObject, SSE-KMS, access
//   points), DynamoDB (tables by name or ARN, batches, transactions, PartiQL), SQS (current and legacy queue URLs),
//   SNS, KMS (keys by id, ARN, alias; Decrypt naming none), Lambda (Invoke data events, aliases, versioned event
//   names), Secrets Manager (names, full and partial ARNs), SSM, EC2, CloudWatch Logs (streams it created) and IAM,
//   with the request parameters and resources[] each service's CloudTrail page shows, and the documented records of
//   test/helpers (PassRole, tag on create, the KMS keys services use); console sign-ins, an AWS service event and
//   network activity events beside them;
// - outcomes: success, refusals (AccessDenied, Client.UnauthorizedOperation...), calls authorized that failed
//   (NoSuchKey, ThrottlingException, ResourceNotFoundException...), expired tokens; through VPC endpoints, made by a
//   service for the caller (its name for the address), from the console; the same call logged in two accounts, a
//   record twice, bursts of calls in one second.
// The records are written as a trail delivers them (S3 files, gzipped or not, pretty-printed, in an AWSLogs tree with
// digests beside them, of an organization's trail or not), as JSON lines, EventBridge events, a LookupEvents answer
// (management events only), a CloudWatch Logs search, a subscription's record and an export. It runs `generate iam`
// and `verify` in-process (odd runs with widenings, --map, subject filters and a time window, given to both where both
// take them, and verify with two threads): verify must deny nothing, leave undetermined only what it documents, and
// exit as its report says. Every third run also generates from the records shuffled into other files and expects the
// same bytes; every fifth, read by two worker threads (which load dist/: npm test builds first).
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run; FUZZ_TALLY=1 prints
// what the runs reached.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trailIds } from '../scripts/lib/prng.js';
import { readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { ACCOUNT, ARN_CASES, REGION } from './helpers/cloudtrailRecords.js';
import { IMPLIED_CASES } from './helpers/impliedRecords.js';
import { TAG_KMS_CASES } from './helpers/tagKmsRecords.js';
import { cliInProcess } from './helpers/inProcess.js';
import { judgeVerify, treeDiff } from './helpers/property.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261102) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 36);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

type Rand = () => number;
type Json = Record<string, unknown>;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** The staging account; its production twin, with the same roles by the same names and paths; a third account. */
const A = '111122223333';
const B = '444455556666';
const C = '777788889999';
const ORG = 'o-a1b2c3d4e5';
const HOME = 'eu-west-1';
const DENY_MESSAGE = (who: string, action: string) =>
  `User: ${who} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;

// --- Who calls -------------------------------------------------------------------------------------------------------

/** How a role's sessions come to be: the AWS service, token or caller that assumes it. */
type Via =
  | 'lambda'
  | 'ecs'
  | 'ec2'
  | 'irsa'
  | 'pod-identity'
  | 'github'
  | 'cognito'
  | 'sso'
  | 'okta'
  | 'chain'
  | 'user'
  | 'service-linked';

interface RoleDef {
  name: string;
  /** Its path, `/` or `/a/b/`: the issuer's ARN carries it, the session's does not. */
  path: string;
  via: Via;
  /** The calls its sessions make. */
  calls: CallName[];
  /** Also in the twin account. */
  twin?: boolean;
  /** Only in this account (a role of another account the cast's roles assume). */
  only?: string;
}

const ROLES: RoleDef[] = [
  {
    name: 'thumbnailer',
    path: '/service-role/',
    via: 'lambda',
    calls: ['s3Get', 's3Put', 's3Head', 's3Copy', 'logsPut', 'kmsDecrypt', 'kmsGenerate', 'sqsReceive', 'sqsDelete'],
  },
  {
    name: 'worker',
    path: '/apps/team/',
    via: 'irsa',
    twin: true,
    calls: [
      's3Get',
      's3Put',
      's3List',
      's3Delete',
      's3DeleteMany',
      'ddbGet',
      'ddbPut',
      'ddbQuery',
      'ddbBatchWrite',
      'sqsSend',
      'snsPublish',
      'secretGet',
      'ssmGet',
      'ssmGetMany',
      'kmsDecrypt',
      'kmsEncrypt',
      'lambdaInvoke',
      'assumeChain',
      'assumeSelf',
      'assumeTwin',
      'callerIdentity',
    ],
  },
  {
    name: 'deploy',
    path: '/ci/',
    via: 'github',
    calls: [
      'lambdaGet',
      'lambdaUpdate',
      'lambdaList',
      's3Put',
      's3List',
      'ec2Describe',
      'iamGetRole',
      'ssmByPath',
      'assumeCross',
      'callerIdentity',
      'documented',
      'documented',
      'documented',
    ],
  },
  {
    name: 'orders-task',
    path: '/',
    via: 'ecs',
    twin: true,
    calls: ['ddbGet', 'ddbPut', 'ddbUpdate', 'sqsSend', 'sqsUrl', 'snsPublish', 'secretGet', 'kmsDecrypt', 'logsPut'],
  },
  {
    name: 'web-instance',
    path: '/ec2/',
    via: 'ec2',
    calls: ['s3Get', 's3Head', 'ssmGet', 'ec2Describe', 'logsCreateStream', 'logsPut', 'secretDescribe'],
  },
  {
    name: 'AWSReservedSSO_ReadOnly_0a1b2c3d4e5f6789',
    path: `/aws-reserved/sso.amazonaws.com/${HOME}/`,
    via: 'sso',
    calls: [
      's3ListBuckets',
      's3Location',
      'ec2Describe',
      'ddbDescribe',
      'lambdaList',
      'logsDescribe',
      'kmsDescribe',
      'assumeCross',
    ],
  },
  {
    name: 'Developer',
    path: '/federated/',
    via: 'okta',
    calls: ['s3Get', 's3List', 'lambdaGet', 'lambdaInvoke', 'ddbQuery', 'sqsAttributes', 'snsAttributes'],
  },
  {
    name: 'reporting',
    path: '/apps/',
    via: 'chain',
    calls: ['s3Get', 's3List', 'ddbQuery', 'kmsDecrypt', 'snsPublish'],
  },
  {
    // The third account's deploy role the CI role assumes (assumeCross): it deploys there and writes into staging's
    // bucket (the record in account A's trail names a principal of account C).
    name: 'deploy-target',
    path: '/cross/',
    via: 'chain',
    only: C,
    calls: ['s3Put', 's3List', 'lambdaUpdate', 'lambdaGet'],
  },
  {
    name: 'release',
    path: '/',
    via: 'user',
    calls: ['lambdaUpdate', 'lambdaGet', 's3Put', 'iamGetRole', 'documented', 'documented'],
  },
  {
    name: 'payments-api',
    path: '/eks/',
    via: 'pod-identity',
    calls: ['ddbGet', 'ddbTransact', 'ddbStatement', 'secretGet', 'kmsDecrypt', 'sqsSend', 'snsPublish'],
  },
  {
    name: 'uploads',
    path: '/app/',
    via: 'cognito',
    calls: ['s3Put', 's3Get', 's3Head'],
  },
  {
    // A service-linked role's session (its calls are the service's own; no identity policy of the account's).
    name: 'AWSServiceRoleForAutoScaling',
    path: '/aws-service-role/autoscaling.amazonaws.com/',
    via: 'service-linked',
    calls: ['ec2Describe'],
  },
];
const ROLE = Object.fromEntries(ROLES.map((x) => [x.name, x])) as Record<string, RoleDef>;

/** A role's ARN (its path in it), of an account and partition. */
const roleArn = (def: RoleDef, account: string, partition = 'aws') =>
  `arn:${partition}:iam::${account}:role${def.path}${def.name}`;

/**
 * The other partitions' region and DNS suffix: a twin of a role of account A in the China or GovCloud partition is
 * another role (each partition has its own IAM).
 */
const PARTITIONS: Record<string, { region: string; dns: string }> = {
  aws: { region: HOME, dns: 'amazonaws.com' },
  'aws-cn': { region: 'cn-north-1', dns: 'amazonaws.com.cn' },
  'aws-us-gov': { region: 'us-gov-west-1', dns: 'amazonaws.com' },
};
/** A service's DNS suffix in a partition. */
const dns = (partition: string) => PARTITIONS[partition]!.dns;

/** An actor of one run: how its records' userIdentity is made, what it calls, where. */
interface Actor {
  /** userIdentity.type, for the tally. */
  type: string;
  account: string;
  partition: string;
  region: string;
  /** The userIdentity of one call. */
  identity(r: Rand): Json;
  calls: CallName[];
  /** For a role: its definition (the twin has the same). */
  role?: RoleDef;
  /** The ARN a denial message names. */
  who: string;
  /** Console sessions: sessionCredentialFromConsole. */
  console?: boolean;
  /** Whose sessions these are: sts AssumeRole* records to write before its calls. */
  sessions: string[];
  /** Log streams it created, to write to. */
  streams?: [string, string][];
}

interface Ids {
  int: (n: number) => number;
  hex: (n: number) => string;
  uuid: () => string;
  upper: (n: number) => string;
  iso: (ms: number) => string;
}

/** A stable id for a name: AROA/AIDA ids are the same in every record of one principal. */
function stableId(prefix: string, name: string): string {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 17; i++) {
    out += abc[h % 32];
    h = Math.imul(h ^ (h >>> 13), 2654435761) >>> 0;
  }
  return prefix + out;
}

const OIDC_EKS = (account: string, partition = 'aws') =>
  partition !== 'aws'
    ? `arn:${partition}:iam::${account}:oidc-provider/oidc.eks.${PARTITIONS[partition]!.region}.${dns(partition)}/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9`
    : `arn:aws:iam::${account}:oidc-provider/oidc.eks.${HOME}.amazonaws.com/id/${account === A ? 'EXAMPLED539D4633E53DE1B71EXAMPLE' : '5C8F3A2B91D4E6F7A0B1C2D3E4F5A6B7'}`;
const COGNITO = 'cognito-identity.amazonaws.com';
const COGNITO_POOL = `${HOME}:14deebd0-19f8-4295-a55e-8b36e60b4926`;
const GITHUB = `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`;
const SSO_PROVIDER = `arn:aws:iam::${A}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE`;
const OKTA_PROVIDER = `arn:aws:iam::${A}:saml-provider/Okta`;

/** A session name for one of the role's sessions: what its assumer names it (new pods, tasks, instances per run). */
function sessionName(r: Rand, def: RoleDef, ids: Ids): string {
  switch (def.via) {
    case 'lambda':
      return def.name;
    case 'ecs':
      return ids.hex(32);
    case 'ec2':
      return `i-0${ids.hex(16)}`;
    case 'irsa':
      // botocore's default, or the pod's name where the workload sets AWS_ROLE_SESSION_NAME.
      return r() < 0.5 ? `botocore-session-${1762070000 + ids.int(90000)}` : `worker-7c9d8f6b5-${ids.hex(5)}`;
    case 'github':
      return 'GitHubActions';
    case 'sso':
    case 'okta':
      return pick(r, ['alice@example.com', 'bob@example.com', 'dave@example.com']);
    case 'chain':
      return def.name === 'reporting' ? `reporting-${ids.int(1000)}` : 'deploy';
    case 'user':
      return pick(r, ['ci-bot-release', 'release-1']);
    case 'pod-identity':
      // EKS Pod Identity: eks-<cluster>-<pod>-<uuid>, cut to 64 characters.
      return `eks-acme-stagi-payments-a-${ids.uuid()}`.slice(0, 64);
    case 'cognito':
      return 'CognitoIdentityCredentials';
    case 'service-linked':
      return 'AutoScaling';
  }
}

/** The userIdentity of a role session (CloudTrail User Guide's "temporary security credentials" example). */
function sessionIdentity(
  def: RoleDef,
  account: string,
  partition: string,
  session: string,
  ids: Ids,
  r: Rand,
  tally: Tally,
): Json {
  const roleId = stableId('AROA', `${partition}/${account}/${def.name}`);
  const issuer = {
    type: 'Role',
    principalId: roleId,
    arn: roleArn(def, account, partition),
    accountId: account,
    userName: def.name,
  };
  const sessionContext: Json = {
    sessionIssuer: issuer,
    webIdFederationData:
      def.via === 'irsa'
        ? { federatedProvider: OIDC_EKS(account, partition), attributes: {} }
        : def.via === 'github'
          ? { federatedProvider: GITHUB, attributes: {} }
          : def.via === 'cognito'
            ? { federatedProvider: COGNITO, attributes: {} }
            : {},
    attributes: { creationDate: '2026-11-02T07:58:12Z', mfaAuthenticated: 'false' },
  };
  // Instance profile credentials from IMDSv2.
  if (def.via === 'ec2') sessionContext['ec2RoleDelivery'] = '2.0';
  if (def.via === 'sso' || def.via === 'okta') sessionContext['sourceIdentity'] = session;
  const u: Json = {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${def.name}/${session}`,
    accountId: account,
    accessKeyId: `ASIA${ids.upper(16)}`,
  };
  if (def.via === 'service-linked') u['invokedBy'] = 'autoscaling.amazonaws.com';
  // Now and then a record without its session context: the role then known by the session ARN alone, no path.
  if (r() < 0.06) tally.noIssuer++;
  else u['sessionContext'] = sessionContext;
  return u;
}

const USERS = [
  { name: 'alice', path: '/ops/', console: true, account: A },
  { name: 'ci-bot', path: '/automation/', console: false, account: A },
  // A user named by an email address (IAM names take +=,.@_-).
  { name: 'jane.doe+ci@example.com', path: '/people/', console: true, account: A },
  // A user of the name of a role of the account (two principals, two files), and the twin account's ci-bot.
  { name: 'deploy', path: '/legacy/', console: false, account: A },
  { name: 'ci-bot', path: '/automation/', console: false, account: B },
];

function userIdentity(name: string, path: string, account: string, ids: Ids, console: boolean): Json {
  return {
    type: 'IAMUser',
    principalId: stableId('AIDA', `${account}/${name}`),
    arn: `arn:aws:iam::${account}:user${path}${name}`,
    accountId: account,
    accessKeyId: console ? `ASIA${ids.upper(16)}` : `AKIA${stableId('', name).slice(0, 16)}`,
    userName: name,
    ...(console
      ? { sessionContext: { attributes: { creationDate: '2026-11-02T07:40:00Z', mfaAuthenticated: 'true' } } }
      : {}),
  };
}

/** The run's cast: some of the roles (sometimes in both accounts), users, root, a federated session. */
function castOf(r: Rand, ids: Ids, tally: Tally): Actor[] {
  const cast: Actor[] = [];
  const roles = shuffle(ROLES, r).slice(0, int(r, 4, ROLES.length));
  // `chain` and `user` roles need their assumer in the cast.
  if (roles.includes(ROLE['reporting']!) && !roles.includes(ROLE['worker']!)) roles.push(ROLE['worker']!);
  if (roles.includes(ROLE['deploy-target']!) && !roles.includes(ROLE['deploy']!)) roles.push(ROLE['deploy']!);
  for (const def of roles) {
    // The twins: the same role in the production account; now and then in the China or GovCloud partition under the
    // same account id too (the IRSA worker of a cluster there, at the root or under the path it has here).
    const places: [string, string][] =
      def.twin && r() < 0.6
        ? [
            [A, 'aws'],
            [B, 'aws'],
          ]
        : [[def.only ?? A, 'aws']];
    if (def.via === 'irsa' && r() < 0.3)
      for (const other of shuffle(['aws-cn', 'aws-us-gov'], r).slice(0, int(r, 1, 2))) places.push([A, other]);
    for (const [account, partition] of places) {
      const sessions = Array.from({ length: int(r, 1, 3) }, () => sessionName(r, def, ids));
      const other = partition !== 'aws';
      const region = other ? PARTITIONS[partition]!.region : def.via === 'ec2' && r() < 0.3 ? 'us-west-2' : HOME;
      const role = other && r() < 0.5 ? { ...def, path: '/' } : def;
      cast.push({
        type: 'AssumedRole',
        account,
        partition,
        region,
        identity: (rr) => sessionIdentity(role, account, partition, pick(rr, sessions), ids, rr, tally),
        calls: other ? ['s3Get', 's3Put', 'ddbGet', 'sqsSend', 'kmsDecrypt'] : def.calls,
        role,
        who: `arn:${partition}:sts::${account}:assumed-role/${def.name}/${sessions[0]}`,
        ...(def.via === 'sso' ? { console: true } : {}),
        sessions,
      });
    }
  }
  const users = shuffle(USERS, r).slice(0, int(r, 1, 3));
  if (roles.some((x) => x.via === 'user') && !users.includes(USERS[1]!)) users.push(USERS[1]!);
  for (const u of users)
    cast.push({
      type: 'IAMUser',
      account: u.account,
      partition: 'aws',
      region: HOME,
      identity: () => userIdentity(u.name, u.path, u.account, ids, u.console),
      calls: u.console
        ? ['s3ListBuckets', 's3Get', 'ec2Describe', 'ddbDescribe', 'iamGetRole', 'kmsDescribe', 'documented']
        : ['s3Put', 's3Get', 'sqsSend', 'assumeRelease', 'getFederationToken', 'callerIdentity', 'documented'],
      who: `arn:aws:iam::${u.account}:user${u.path}${u.name}`,
      ...(u.console ? { console: true } : {}),
      sessions: [],
    });
  if (r() < 0.4)
    cast.push({
      type: 'Root',
      account: A,
      partition: 'aws',
      region: 'us-east-1',
      identity: () => ({
        type: 'Root',
        principalId: A,
        arn: `arn:aws:iam::${A}:root`,
        accountId: A,
        accessKeyId: `ASIA${ids.upper(16)}`,
        userName: 'acme-staging',
        sessionContext: { attributes: { creationDate: '2026-11-02T07:30:00Z', mfaAuthenticated: 'true' } },
      }),
      calls: ['s3ListBuckets', 'ec2Describe', 'iamGetRole'],
      who: `arn:aws:iam::${A}:root`,
      console: true,
      sessions: [],
    });
  if (r() < 0.4)
    // A GetFederationToken session of ci-bot (the IAM User Guide's table: "IAM user, GetFederationToken").
    cast.push({
      type: 'FederatedUser',
      account: A,
      partition: 'aws',
      region: HOME,
      identity: () => ({
        type: 'FederatedUser',
        principalId: `${A}:carol`,
        arn: `arn:aws:sts::${A}:federated-user/carol`,
        accountId: A,
        accessKeyId: `ASIA${ids.upper(16)}`,
        sessionContext: {
          sessionIssuer: {
            type: 'IAMUser',
            principalId: stableId('AIDA', `${A}/ci-bot`),
            arn: `arn:aws:iam::${A}:user/automation/ci-bot`,
            accountId: A,
            userName: 'ci-bot',
          },
          webIdFederationData: {},
          attributes: { creationDate: '2026-11-02T07:45:00Z', mfaAuthenticated: 'false' },
        },
      }),
      calls: ['s3Get', 's3List', 'sqsSend'],
      who: `arn:aws:sts::${A}:federated-user/carol`,
      sessions: [],
    });
  return cast;
}

// --- What they call --------------------------------------------------------------------------------------------------

/** One call before its outcome: what every record of it shares. */
interface Call {
  source: string;
  name: string;
  region?: string;
  params: Json | null;
  response?: Json | null;
  resources?: Json[];
  additional?: Json;
  data: boolean;
  readOnly: boolean;
  /** The error codes a refusal is logged with, and those of a call authorized that failed. */
  denied: string;
  failed: [string, string][];
  /** For the denial message. */
  action: string;
  /** A call a service made for the caller (SSE-KMS through S3). */
  invokedBy?: string;
  /** The recipient account when not the caller's (a resource of another account). */
  recipient?: string;
  /** Failures whose records name no resource (a key alias that does not exist resolves to no key). */
  failedUnnamed?: string[];
}

interface Ctx {
  account: string;
  partition: string;
  region: string;
  ids: Ids;
  actor: Actor;
}

const res = (type: string, arn: string, account?: string): Json => ({
  ...(account ? { accountId: account } : {}),
  type,
  ARN: arn,
});

/** The buckets, their regions and owners. An actor writes to its account's and the third account's. */
const ALL_BUCKETS = [
  { name: 'acme-staging-data', region: HOME, account: A },
  { name: 'acme-prod-data', region: HOME, account: B },
  { name: 'acme-reports-eu', region: 'eu-central-1', account: C },
  { name: `acme-uploads-${A}`, region: 'us-east-1', account: A },
  { name: `acme-uploads-${B}`, region: 'us-east-1', account: B },
];
const BUCKETS = (ctx: Ctx) =>
  ctx.partition !== 'aws'
    ? [{ name: `acme-${ctx.partition}-data`, region: PARTITIONS[ctx.partition]!.region, account: ctx.account }]
    : ctx.account === C
      ? ALL_BUCKETS.filter((b) => b.account === C || b.name === 'acme-staging-data')
      : ALL_BUCKETS.filter((b) => b.account === ctx.account || b.account === C);

/** Object keys: fixed ones, dated ones (a batch job's), ids made per upload. */
function objectKey(r: Rand, ids: Ids): string {
  const p = r();
  if (p < 0.35)
    return pick(r, [
      'config/app.json',
      'reports/daily.csv',
      'in/a b.json',
      'static/index.html',
      'reports/résumé 2026.pdf',
      'exports/q=1&x+y.csv',
    ]);
  if (p < 0.75) return `in/2026/11/0${int(r, 1, 4)}/batch-${String(int(r, 1, 40)).padStart(4, '0')}.json`;
  return `uploads/${ids.uuid()}.bin`;
}

const KEY_IDS = ['1234abcd-12ab-34cd-56ef-1234567890ab', '0987dcba-09fe-87dc-65ba-ab0987654321'];
const keyArn = (region: string, account: string, id: string, partition = 'aws') =>
  `arn:${partition}:kms:${region}:${account}:key/${id}`;

function s3Object(ctx: Ctx, r: Rand, name: string, write: boolean): Call {
  const b = pick(r, BUCKETS(ctx));
  const key = objectKey(r, ctx.ids);
  const p = ctx.partition;
  const objectArn = `arn:${p}:s3:::${b.name}/${key}`;
  const params: Json = { bucketName: b.name, Host: `${b.name}.s3.${b.region}.${dns(p)}`, key };
  let response: Json | null = null;
  let invokedBy: string | undefined;
  if (name === 'PutObject' && r() < 0.3) {
    // SSE-KMS with a key named in the request: S3 asks KMS for a data key (an implied kms:GenerateDataKey).
    params['x-amz-server-side-encryption'] = 'aws:kms';
    params['x-amz-server-side-encryption-aws-kms-key-id'] = keyArn(b.region, ctx.account, KEY_IDS[0]!, p);
    response = {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': keyArn(b.region, ctx.account, KEY_IDS[0]!, p),
    };
  }
  if (name === 'GetObject' && r() < 0.15) invokedBy = 'athena.amazonaws.com';
  const resources = [res('AWS::S3::Object', objectArn), res('AWS::S3::Bucket', `arn:${p}:s3:::${b.name}`, b.account)];
  if (p === 'aws' && b.account === ctx.account && r() < 0.1) {
    // Through an access point (S3 user guide, "Monitoring and logging access points"): its ARN among the resources.
    params['Host'] = `shop-ap-${b.account}.s3-accesspoint.${b.region}.amazonaws.com`;
    resources.push(res('AWS::S3::AccessPoint', `arn:aws:s3:${b.region}:${b.account}:accesspoint/shop-ap`, b.account));
  }
  return {
    source: 's3.amazonaws.com',
    name,
    region: b.region,
    params,
    response,
    resources,
    additional: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: write ? int(r, 10, 90000) : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': `${ctx.ids.upper(40)}=`,
      bytesTransferredOut: write ? 0 : int(r, 10, 90000),
    },
    data: true,
    readOnly: !write,
    denied: 'AccessDenied',
    failed: write
      ? [['SlowDown', 'Please reduce your request rate.']]
      : [
          ['NoSuchKey', 'The specified key does not exist.'],
          ['SlowDown', 'Please reduce your request rate.'],
        ],
    action: name === 'HeadObject' ? 's3:GetObject' : `s3:${name}`,
    ...(invokedBy ? { invokedBy } : {}),
    ...(b.account !== ctx.account ? { recipient: b.account } : {}),
  };
}

type CallName =
  | 's3Get'
  | 's3Put'
  | 's3Head'
  | 's3Delete'
  | 's3Copy'
  | 's3DeleteMany'
  | 's3List'
  | 's3ListBuckets'
  | 's3Location'
  | 'ddbGet'
  | 'ddbPut'
  | 'ddbUpdate'
  | 'ddbQuery'
  | 'ddbBatchWrite'
  | 'ddbDescribe'
  | 'ddbTransact'
  | 'ddbStatement'
  | 'sqsSend'
  | 'sqsReceive'
  | 'sqsDelete'
  | 'sqsUrl'
  | 'sqsAttributes'
  | 'snsPublish'
  | 'snsAttributes'
  | 'kmsDecrypt'
  | 'kmsEncrypt'
  | 'kmsGenerate'
  | 'kmsDescribe'
  | 'lambdaInvoke'
  | 'lambdaGet'
  | 'lambdaUpdate'
  | 'lambdaList'
  | 'secretGet'
  | 'secretDescribe'
  | 'ssmGet'
  | 'ssmGetMany'
  | 'ssmByPath'
  | 'ec2Describe'
  | 'logsPut'
  | 'logsCreateStream'
  | 'logsDescribe'
  | 'iamGetRole'
  | 'assumeChain'
  | 'assumeCross'
  | 'assumeRelease'
  | 'assumeSelf'
  | 'assumeTwin'
  | 'getFederationToken'
  | 'callerIdentity'
  | 'documented';

const TABLES = ['orders', 'carts', 'sessions'];
const QUEUES = (account: string) => [
  { account, name: 'orders-events' },
  { account, name: 'thumbnails.fifo' },
  { account: C, name: 'shared-ingest' },
];
const FUNCTIONS = ['thumbnailer', 'orders-api', 'report-builder'];
const SECRETS = ['payments/stripe', 'db/orders-reader'];
const PARAMETERS = ['/shop/db-url', '/shop/feature-flags', 'legacy-endpoint'];

const ddbFailed: [string, string][] = [
  ['ResourceNotFoundException', 'Requested resource not found'],
  [
    'ProvisionedThroughputExceededException',
    'The level of configured provisioned throughput for the table was exceeded',
  ],
  ['ThrottlingException', 'Rate exceeded'],
];

function ddb(ctx: Ctx, r: Rand, name: string, params: (table: string) => Json, write: boolean, data = true): Call {
  const table = pick(r, TABLES);
  const arn = `arn:${ctx.partition}:dynamodb:${ctx.region}:${ctx.account}:table/${table}`;
  return {
    source: 'dynamodb.amazonaws.com',
    name,
    // The table by name, or by its ARN (DynamoDB takes either in TableName since 2024).
    params: params(r() < 0.15 ? arn : table),
    resources: [res('AWS::DynamoDB::Table', arn, ctx.account)],
    data,
    readOnly: !write,
    denied: 'AccessDeniedException',
    failed:
      name === 'PutItem' || name === 'UpdateItem'
        ? [['ConditionalCheckFailedException', 'The conditional request failed'], ...ddbFailed]
        : ddbFailed,
    action: `dynamodb:${name}`,
  };
}

function sqs(ctx: Ctx, r: Rand, name: string, extra: Json, write: boolean, data = true): Call {
  const q = pick(
    r,
    QUEUES(ctx.account).filter((x) => ctx.partition === 'aws' || x.account === ctx.account),
  );
  // The queue URL as the SDK gave it: the current endpoint, or the legacy ones older SDKs still return.
  const url =
    ctx.partition === 'aws' && r() < 0.2
      ? pick(r, [`https://${ctx.region}.queue.amazonaws.com`, 'https://queue.amazonaws.com']) +
        `/${q.account}/${q.name}`
      : `https://sqs.${ctx.region}.${dns(ctx.partition)}/${q.account}/${q.name}`;
  return {
    source: 'sqs.amazonaws.com',
    name,
    params: { queueUrl: url, ...extra },
    resources: [res('AWS::SQS::Queue', `arn:${ctx.partition}:sqs:${ctx.region}:${q.account}:${q.name}`, q.account)],
    data,
    readOnly: !write,
    denied: 'AccessDenied',
    failed: [['AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.']],
    action: `sqs:${name}`,
    ...(q.account !== ctx.account ? { recipient: q.account } : {}),
  };
}

/** A KMS key as a request names it: its id, its ARN, an alias or an alias ARN; resources[] names the key itself. */
function kms(ctx: Ctx, r: Rand, name: string, params: Json, named: boolean): Call {
  const id = pick(r, KEY_IDS);
  const arn = keyArn(ctx.region, ctx.account, id, ctx.partition);
  const keyId = pick(r, [
    id,
    arn,
    'alias/app-data',
    `arn:${ctx.partition}:kms:${ctx.region}:${ctx.account}:alias/app-data`,
  ]);
  return {
    source: 'kms.amazonaws.com',
    name,
    params: { ...(named ? { keyId } : {}), ...params },
    resources: [{ accountId: ctx.account, type: 'AWS::KMS::Key', ARN: arn }],
    additional: { keyMaterialId: ctx.ids.hex(64) },
    data: false,
    // The KMS developer guide's examples log every cryptographic operation and DescribeKey as read-only.
    readOnly: true,
    denied: 'AccessDeniedException',
    failed:
      name === 'Decrypt'
        ? [
            ['InvalidCiphertextException', ''],
            ['ThrottlingException', 'Rate exceeded'],
          ]
        : [
            ['NotFoundException', `Alias arn:aws:kms:${ctx.region}:${ctx.account}:alias/app-data is not found.`],
            ['ThrottlingException', 'Rate exceeded'],
          ],
    action: `kms:${name}`,
    failedUnnamed: ['NotFoundException'],
  };
}

function lambda(ctx: Ctx, r: Rand, name: string, params: (fn: string, arn: string) => Json, write: boolean): Call {
  const fn = pick(r, FUNCTIONS);
  const arn = `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${fn}`;
  const invoke = name === 'Invoke';
  return {
    source: 'lambda.amazonaws.com',
    name,
    params: params(fn, arn),
    ...(invoke
      ? {
          resources: [res('AWS::Lambda::Function', arn, ctx.account)],
          additional: { functionVersion: `${arn}:$LATEST` },
        }
      : {}),
    data: invoke,
    readOnly: !write,
    denied: 'AccessDeniedException',
    failed: [
      ['ResourceNotFoundException', `Function not found: ${arn}`],
      ['TooManyRequestsException', 'Rate Exceeded.'],
    ],
    action: invoke ? 'lambda:InvokeFunction' : `lambda:${name.replace(/20150331(v2)?$/, '')}`,
  };
}

/**
 * An AssumeRole call as the IAM User Guide's examples log it: with session tags (and transitive keys), a source
 * identity, an external id (a third party's role), an MFA device.
 */
function assume(ctx: Ctx, r: Rand, target: string, session: string, tags = false): Call {
  const account = target.split(':')[4]!;
  return {
    source: 'sts.amazonaws.com',
    name: 'AssumeRole',
    params: {
      roleArn: target,
      roleSessionName: session,
      durationSeconds: 3600,
      ...(tags ? { tags: [{ key: 'team', value: 'shop' }], transitiveTagKeys: ['team'] } : {}),
      ...(r() < 0.15 ? { sourceIdentity: 'ci-pipeline' } : {}),
      ...(account !== ctx.account && r() < 0.3 ? { externalId: 'acme-7f3c2a' } : {}),
      ...(ctx.actor.type === 'IAMUser' && r() < 0.3
        ? { serialNumber: `arn:aws:iam::${ctx.account}:mfa/ci-bot`, tokenCode: 'HIDDEN_DUE_TO_SECURITY_REASONS' }
        : {}),
    },
    response: {
      credentials: {
        accessKeyId: `ASIA${ctx.ids.upper(16)}`,
        sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
        expiration: 'Nov 2, 2026, 9:00:00 AM',
      },
      assumedRoleUser: {
        assumedRoleId: `${stableId('AROA', target)}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${target.split('/').pop()}/${session}`,
      },
    },
    resources: [res('AWS::IAM::Role', target, account)],
    data: false,
    readOnly: true,
    denied: 'AccessDenied',
    failed: [],
    action: 'sts:AssumeRole',
  };
}

/**
 * The documented shapes of test/helpers (cloudtrailRecords.ts, impliedRecords.ts, tagKmsRecords.ts): one call of each
 * service's CloudTrail page, the calls that need permissions besides their own (PassRole, KMS, tag on create), their
 * request and response as logged. They name account 111122223333 in eu-west-1: made by the actors there.
 */
const DOCUMENTED = [...ARN_CASES, ...IMPLIED_CASES, ...TAG_KMS_CASES].map((c) => c.record);

function documentedCall(ctx: Ctx, r: Rand): Call {
  const rec = pick(r, DOCUMENTED);
  const source = rec['eventSource'] as string;
  const service = source.split('.')[0]!;
  return {
    source,
    name: rec['eventName'] as string,
    region: REGION,
    params: structuredClone(rec['requestParameters']) as Json | null,
    ...(rec['responseElements'] ? { response: structuredClone(rec['responseElements']) as Json } : {}),
    ...(rec['additionalEventData'] ? { additional: structuredClone(rec['additionalEventData']) as Json } : {}),
    data: false,
    readOnly: /^(Get|Describe|List)/.test(rec['eventName'] as string),
    denied:
      service === 'ec2'
        ? 'Client.UnauthorizedOperation'
        : ['s3', 'iam', 'sts', 'sqs', 'cloudformation'].includes(service)
          ? 'AccessDenied'
          : 'AccessDeniedException',
    failed:
      service === 'ec2'
        ? [['Client.RequestLimitExceeded', 'Request limit exceeded.']]
        : service === 's3'
          ? [['SlowDown', 'Please reduce your request rate.']]
          : [['ThrottlingException', 'Rate exceeded']],
    action: `${service}:${rec['eventName'] as string}`,
  };
}

const CALLS: Record<CallName, (ctx: Ctx, r: Rand) => Call> = {
  documented: (ctx, r) =>
    ctx.account === ACCOUNT && ctx.partition === 'aws' ? documentedCall(ctx, r) : s3Object(ctx, r, 'GetObject', false),
  s3Get: (ctx, r) => s3Object(ctx, r, 'GetObject', false),
  s3Put: (ctx, r) => s3Object(ctx, r, 'PutObject', true),
  s3Head: (ctx, r) => s3Object(ctx, r, 'HeadObject', false),
  s3Delete: (ctx, r) => s3Object(ctx, r, 'DeleteObject', true),
  s3Copy: (ctx, r) => {
    // CopyObject reads its source (an implied s3:GetObject on it): the source as the header gives it, URL-encoded.
    const c = s3Object(ctx, r, 'CopyObject', true);
    const from = `${pick(r, BUCKETS(ctx)).name}/${objectKey(r, ctx.ids)}`;
    c.params = { ...c.params, 'x-amz-copy-source': encodeURIComponent(from).replace(/%2F/g, '/') };
    c.action = 's3:PutObject';
    return c;
  },
  s3List: (ctx, r) => {
    const b = pick(r, BUCKETS(ctx));
    return {
      source: 's3.amazonaws.com',
      name: 'ListObjects',
      region: b.region,
      params: {
        bucketName: b.name,
        Host: `${b.name}.s3.${b.region}.amazonaws.com`,
        'list-type': '2',
        prefix: pick(r, ['in/', 'reports/', '']),
        'encoding-type': 'url',
      },
      resources: [res('AWS::S3::Bucket', `arn:aws:s3:::${b.name}`, b.account)],
      additional: { SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader', bytesTransferredOut: 512 },
      data: true,
      readOnly: true,
      denied: 'AccessDenied',
      failed: [['NoSuchBucket', 'The specified bucket does not exist']],
      action: 's3:ListBucket',
      ...(b.account !== ctx.account ? { recipient: b.account } : {}),
    };
  },
  s3DeleteMany: (ctx, r) => {
    // DeleteObjects: CloudTrail logs no key of it; resources[] gives the objects as an ARN prefix.
    const b = pick(r, BUCKETS(ctx));
    return {
      source: 's3.amazonaws.com',
      name: 'DeleteObjects',
      region: b.region,
      params: { bucketName: b.name, Host: `${b.name}.s3.${b.region}.${dns(ctx.partition)}`, delete: '' },
      resources: [
        { type: 'AWS::S3::Object', ARNPrefix: `arn:${ctx.partition}:s3:::${b.name}/` },
        res('AWS::S3::Bucket', `arn:${ctx.partition}:s3:::${b.name}`, b.account),
      ],
      additional: { SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader', bytesTransferredIn: 312 },
      data: true,
      readOnly: false,
      denied: 'AccessDenied',
      failed: [['SlowDown', 'Please reduce your request rate.']],
      action: 's3:DeleteObject',
      ...(b.account !== ctx.account ? { recipient: b.account } : {}),
    };
  },
  s3ListBuckets: () => ({
    source: 's3.amazonaws.com',
    name: 'ListBuckets',
    region: 'us-east-1',
    params: { Host: 's3.amazonaws.com' },
    additional: { SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader' },
    data: false,
    readOnly: true,
    denied: 'AccessDenied',
    failed: [],
    action: 's3:ListAllMyBuckets',
  }),
  s3Location: (ctx, r) => {
    const b = pick(r, BUCKETS(ctx));
    return {
      source: 's3.amazonaws.com',
      name: 'GetBucketLocation',
      region: b.region,
      params: { bucketName: b.name, Host: `${b.name}.s3.${b.region}.amazonaws.com`, location: '' },
      resources: [res('AWS::S3::Bucket', `arn:aws:s3:::${b.name}`, b.account)],
      data: false,
      readOnly: true,
      denied: 'AccessDenied',
      failed: [],
      action: 's3:GetBucketLocation',
      ...(b.account !== ctx.account ? { recipient: b.account } : {}),
    };
  },
  ddbGet: (ctx, r) =>
    ddb(
      ctx,
      r,
      'GetItem',
      (t) => ({ tableName: t, key: { pk: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, consistentRead: r() < 0.5 }),
      false,
    ),
  ddbPut: (ctx, r) =>
    ddb(
      ctx,
      r,
      'PutItem',
      (t) => ({ tableName: t, item: 'HIDDEN_DUE_TO_SECURITY_REASONS', returnValues: 'NONE' }),
      true,
    ),
  ddbUpdate: (ctx, r) =>
    ddb(
      ctx,
      r,
      'UpdateItem',
      (t) => ({
        tableName: t,
        key: { pk: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        updateExpression: 'SET #s = :s',
        conditionExpression: 'attribute_exists(pk)',
      }),
      true,
    ),
  ddbQuery: (ctx, r) =>
    ddb(
      ctx,
      r,
      'Query',
      (t) => ({
        tableName: t,
        ...(r() < 0.4 ? { indexName: 'by-customer' } : {}),
        keyConditionExpression: 'pk = :pk',
        limit: 50,
      }),
      false,
    ),
  ddbBatchWrite: (ctx, r) => {
    const tables = shuffle(TABLES, r).slice(0, int(r, 1, 2));
    return {
      source: 'dynamodb.amazonaws.com',
      name: 'BatchWriteItem',
      params: {
        requestItems: Object.fromEntries(
          tables.map((t) => [t, [{ putRequest: { item: 'HIDDEN_DUE_TO_SECURITY_REASONS' } }]]),
        ),
      },
      resources: tables.map((t) =>
        res('AWS::DynamoDB::Table', `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${t}`, ctx.account),
      ),
      data: true,
      readOnly: false,
      denied: 'AccessDeniedException',
      failed: ddbFailed,
      action: 'dynamodb:BatchWriteItem',
    };
  },
  ddbDescribe: (ctx, r) => ddb(ctx, r, 'DescribeTable', (t) => ({ tableName: t }), false, false),
  ddbTransact: (ctx, r) => {
    // The DynamoDB developer guide's TransactWriteItems record: each operation with its table.
    const ops = Array.from({ length: int(r, 1, 3) }, () => ({
      operation: pick(r, ['Put', 'Update', 'Delete', 'ConditionCheck']),
      tableName: pick(r, TABLES),
      key: { pk: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    }));
    return {
      source: 'dynamodb.amazonaws.com',
      name: 'TransactWriteItems',
      params: { requestItems: ops, returnConsumedCapacity: 'NONE', clientRequestToken: ctx.ids.uuid() },
      resources: [...new Set(ops.map((o) => o.tableName))].map((t) =>
        res(
          'AWS::DynamoDB::Table',
          `arn:${ctx.partition}:dynamodb:${ctx.region}:${ctx.account}:table/${t}`,
          ctx.account,
        ),
      ),
      data: true,
      readOnly: false,
      denied: 'AccessDeniedException',
      failed: [
        [
          'TransactionCanceledException',
          'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]',
        ],
        ...ddbFailed,
      ],
      action: 'dynamodb:PutItem',
    };
  },
  ddbStatement: (ctx, r) => {
    // PartiQL: the statement names the table (its parameters are not logged).
    const table = pick(r, TABLES);
    const statement = pick(r, [
      `SELECT * FROM "${table}" WHERE pk = ?`,
      `UPDATE "${table}" SET status = ? WHERE pk = ?`,
      `INSERT INTO "${table}" VALUE {'pk': ?, 'status': ?}`,
      `DELETE FROM "${table}" WHERE pk = ?`,
    ]);
    return {
      source: 'dynamodb.amazonaws.com',
      name: 'ExecuteStatement',
      params: { statement },
      resources: [
        res(
          'AWS::DynamoDB::Table',
          `arn:${ctx.partition}:dynamodb:${ctx.region}:${ctx.account}:table/${table}`,
          ctx.account,
        ),
      ],
      data: true,
      readOnly: statement.startsWith('SELECT'),
      denied: 'AccessDeniedException',
      failed: ddbFailed,
      action: `dynamodb:PartiQL${statement.split(' ')[0]![0]}${statement.split(' ')[0]!.slice(1).toLowerCase()}`,
    };
  },
  sqsSend: (ctx, r) =>
    sqs(
      ctx,
      r,
      'SendMessage',
      { messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS', messageAttributes: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      true,
    ),
  sqsReceive: (ctx, r) => sqs(ctx, r, 'ReceiveMessage', { maxNumberOfMessages: 10, waitTimeSeconds: 20 }, false),
  sqsDelete: (ctx, r) => sqs(ctx, r, 'DeleteMessage', { receiptHandle: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, true),
  sqsAttributes: (ctx, r) => sqs(ctx, r, 'GetQueueAttributes', { attributeNames: ['All'] }, false, false),
  sqsUrl: (ctx, r) => {
    const q = pick(
      r,
      QUEUES(ctx.account).filter((x) => x.account === ctx.account),
    );
    return {
      source: 'sqs.amazonaws.com',
      name: 'GetQueueUrl',
      params: { queueName: q.name },
      response: { queueUrl: `https://sqs.${ctx.region}.amazonaws.com/${q.account}/${q.name}` },
      data: false,
      readOnly: true,
      denied: 'AccessDenied',
      failed: [['AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.']],
      action: 'sqs:GetQueueUrl',
    };
  },
  snsPublish: (ctx, r) => {
    const owner = r() < 0.2 ? C : ctx.account;
    const topic = `arn:aws:sns:${ctx.region}:${owner}:${pick(r, ['orders', 'alerts'])}`;
    return {
      source: 'sns.amazonaws.com',
      name: 'Publish',
      params: {
        topicArn: topic,
        message: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        ...(r() < 0.5 ? { subject: 'HIDDEN_DUE_TO_SECURITY_REASONS' } : {}),
      },
      response: { messageId: ctx.ids.uuid() },
      resources: [res('AWS::SNS::Topic', topic, owner)],
      ...(owner !== ctx.account ? { recipient: owner } : {}),
      data: true,
      readOnly: false,
      denied: 'AuthorizationError',
      failed: [['NotFound', 'Topic does not exist']],
      action: 'sns:Publish',
    };
  },
  snsAttributes: (ctx, r) => ({
    source: 'sns.amazonaws.com',
    name: 'GetTopicAttributes',
    params: { topicArn: `arn:aws:sns:${ctx.region}:${ctx.account}:${pick(r, ['orders', 'alerts'])}` },
    data: false,
    readOnly: true,
    denied: 'AuthorizationError',
    failed: [['NotFound', 'Topic does not exist']],
    action: 'sns:GetTopicAttributes',
  }),
  kmsDecrypt: (ctx, r) =>
    // Decrypt's key comes from the ciphertext: the request names it only where the caller gave it.
    kms(
      ctx,
      r,
      'Decrypt',
      { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { app: 'orders' } },
      r() < 0.3,
    ),
  kmsEncrypt: (ctx, r) =>
    kms(ctx, r, 'Encrypt', { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { app: 'orders' } }, true),
  kmsGenerate: (ctx, r) => {
    const c = kms(ctx, r, 'GenerateDataKey', { keySpec: 'AES_256' }, true);
    // S3 asking for an object's data key with the caller's credentials (SSE-KMS): its name for the address.
    if (r() < 0.5) {
      c.invokedBy = 's3.amazonaws.com';
      c.params = {
        ...c.params,
        keyId: (c.resources![0] as { ARN: string }).ARN,
        encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::acme-staging-data/in/a b.json' },
      };
    }
    return c;
  },
  kmsDescribe: (ctx, r) => kms(ctx, r, 'DescribeKey', {}, true),
  lambdaInvoke: (ctx, r) => {
    // The function as the caller named it: its ARN, or an alias of it (the version it ran in additionalEventData).
    const alias = r() < 0.3;
    const c = lambda(
      ctx,
      r,
      'Invoke',
      (_, arn) => ({
        functionName: alias ? `${arn}:live` : arn,
        invocationType: pick(r, ['RequestResponse', 'Event']),
      }),
      false,
    );
    if (alias) c.additional = { functionVersion: `${(c.resources![0] as { ARN: string }).ARN}:${int(r, 1, 9)}` };
    return c;
  },
  lambdaGet: (ctx, r) => lambda(ctx, r, 'GetFunction20150331v2', (fn) => ({ functionName: fn }), false),
  lambdaUpdate: (ctx, r) =>
    lambda(
      ctx,
      r,
      'UpdateFunctionCode20150331v2',
      (fn) => ({ functionName: fn, publish: false, dryRun: false, s3Bucket: 'acme-artifacts', s3Key: `${fn}.zip` }),
      true,
    ),
  lambdaList: () => ({
    source: 'lambda.amazonaws.com',
    name: 'ListFunctions20150331',
    params: null,
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [['TooManyRequestsException', 'Rate Exceeded.']],
    action: 'lambda:ListFunctions',
  }),
  secretGet: (ctx, r) => {
    const name = pick(r, SECRETS);
    // By name, by the full ARN with the suffix Secrets Manager gave it, or by a partial ARN without it.
    const arn = `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${name}`;
    const p = r();
    const id = p < 0.5 ? name : p < 0.8 ? `${arn}-${ctx.ids.upper(3)}${ctx.ids.hex(3)}` : arn;
    return {
      source: 'secretsmanager.amazonaws.com',
      name: 'GetSecretValue',
      params: { secretId: id },
      data: false,
      readOnly: true,
      denied: 'AccessDeniedException',
      failed: [['ResourceNotFoundException', "Secrets Manager can't find the specified secret."]],
      action: 'secretsmanager:GetSecretValue',
    };
  },
  secretDescribe: (ctx, r) => ({
    source: 'secretsmanager.amazonaws.com',
    name: 'DescribeSecret',
    params: { secretId: pick(r, SECRETS) },
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [['ResourceNotFoundException', "Secrets Manager can't find the specified secret."]],
    action: 'secretsmanager:DescribeSecret',
  }),
  ssmGet: (ctx, r) => ({
    source: 'ssm.amazonaws.com',
    name: 'GetParameter',
    // A parameter by name, or by its ARN (GetParameter takes both).
    params: {
      name: r() < 0.2 ? `arn:aws:ssm:${ctx.region}:${ctx.account}:parameter/shop/db-url` : pick(r, PARAMETERS),
      withDecryption: r() < 0.5,
    },
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [
      ['ParameterNotFound', ''],
      ['ThrottlingException', 'Rate exceeded'],
    ],
    action: 'ssm:GetParameter',
  }),
  ssmGetMany: (_ctx, r) => ({
    source: 'ssm.amazonaws.com',
    name: 'GetParameters',
    params: { names: shuffle(PARAMETERS, r).slice(0, int(r, 1, 3)), withDecryption: true },
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [['ThrottlingException', 'Rate exceeded']],
    action: 'ssm:GetParameters',
  }),
  ssmByPath: (_ctx, r) => ({
    source: 'ssm.amazonaws.com',
    name: 'GetParametersByPath',
    params: { path: pick(r, ['/shop', '/shop/']), recursive: true, withDecryption: false },
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [['ThrottlingException', 'Rate exceeded']],
    action: 'ssm:GetParametersByPath',
  }),
  ec2Describe: (_ctx, r) => {
    const name = pick(r, ['DescribeInstances', 'DescribeSecurityGroups', 'DescribeRegions']);
    const params: Json =
      name === 'DescribeInstances'
        ? {
            instancesSet: {},
            filterSet: { items: [{ name: 'tag:app', valueSet: { items: [{ value: 'web' }] } }] },
          }
        : name === 'DescribeSecurityGroups'
          ? { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }
          : { regionSet: {} };
    return {
      source: 'ec2.amazonaws.com',
      name,
      params,
      data: false,
      readOnly: true,
      denied: 'Client.UnauthorizedOperation',
      failed: [['Client.RequestLimitExceeded', 'Request limit exceeded.']],
      action: `ec2:${name}`,
    };
  },
  logsPut: (ctx, r) => {
    // A stream it created (an agent's), or one a runtime names per run: Lambda's dated [$LATEST] streams, the ECS
    // awslogs driver's prefix/container/task-id.
    const [group, stream] =
      ctx.actor.streams?.length && r() < 0.6
        ? pick(r, ctx.actor.streams)
        : pick(r, [
            ['/aws/lambda/thumbnailer', `2026/11/02/[$LATEST]${ctx.ids.hex(32)}`],
            ['/ecs/orders', `ecs/orders/${ctx.ids.hex(32)}`],
            ['/acme/web', `web/${ctx.ids.hex(12)}`],
          ] as [string, string][]);
    return {
      source: 'logs.amazonaws.com',
      name: 'PutLogEvents',
      params: { logGroupName: group, logStreamName: stream },
      data: true,
      readOnly: false,
      denied: 'AccessDeniedException',
      failed: [['ResourceNotFoundException', 'The specified log stream does not exist.']],
      action: 'logs:PutLogEvents',
    };
  },
  logsCreateStream: (ctx, r) => {
    const created: [string, string] = [pick(r, ['/acme/web', '/ecs/orders']), `web/${ctx.ids.hex(12)}`];
    (ctx.actor.streams ??= []).push(created);
    return {
      source: 'logs.amazonaws.com',
      name: 'CreateLogStream',
      params: { logGroupName: created[0], logStreamName: created[1] },
      data: false,
      readOnly: false,
      denied: 'AccessDeniedException',
      failed: [['ResourceAlreadyExistsException', 'The specified log stream already exists']],
      action: 'logs:CreateLogStream',
    };
  },
  logsDescribe: (_ctx, r) => ({
    source: 'logs.amazonaws.com',
    name: 'DescribeLogGroups',
    params: { logGroupNamePrefix: pick(r, ['/aws/lambda/', '/acme/']), limit: 50 },
    data: false,
    readOnly: true,
    denied: 'AccessDeniedException',
    failed: [['ThrottlingException', 'Rate exceeded']],
    action: 'logs:DescribeLogGroups',
  }),
  iamGetRole: (_ctx, r) => ({
    source: 'iam.amazonaws.com',
    name: 'GetRole',
    region: 'us-east-1',
    params: { roleName: pick(r, ['worker', 'deploy', 'thumbnailer']) },
    data: false,
    readOnly: true,
    denied: 'AccessDenied',
    failed: [['NoSuchEntityException', 'The role with name x cannot be found.']],
    action: 'iam:GetRole',
  }),
  assumeChain: (ctx, r) =>
    assume(ctx, r, roleArn(ROLE['reporting']!, ctx.account), `reporting-${ctx.ids.int(1000)}`, r() < 0.3),
  assumeCross: (ctx, r) => assume(ctx, r, `arn:aws:iam::${C}:role/cross/deploy-target`, 'deploy', r() < 0.2),
  assumeRelease: (ctx, r) => assume(ctx, r, roleArn(ROLE['release']!, ctx.account), 'ci-bot-release'),
  // A role assuming itself (its trust must name it since 2022), and the staging role from the production twin.
  assumeSelf: (ctx, r) => assume(ctx, r, roleArn(ctx.actor.role!, ctx.account), `self-${ctx.ids.int(100)}`),
  assumeTwin: (ctx, r) => assume(ctx, r, roleArn(ROLE['reporting']!, ctx.account === A ? B : A), 'twin-report'),
  getFederationToken: (ctx) => ({
    source: 'sts.amazonaws.com',
    name: 'GetFederationToken',
    region: 'us-east-1',
    params: { name: 'carol', durationSeconds: 3600 },
    response: {
      credentials: { accessKeyId: `ASIA${ctx.ids.upper(16)}`, sessionToken: 'EXAMPLE', expiration: 'Nov 2, 2026' },
      federatedUser: { federatedUserId: `${A}:carol`, arn: `arn:aws:sts::${A}:federated-user/carol` },
    },
    data: false,
    readOnly: true,
    denied: 'AccessDenied',
    failed: [],
    action: 'sts:GetFederationToken',
  }),
  callerIdentity: () => ({
    source: 'sts.amazonaws.com',
    name: 'GetCallerIdentity',
    params: null,
    data: false,
    readOnly: true,
    denied: 'AccessDenied',
    failed: [],
    action: 'sts:GetCallerIdentity',
  }),
};

// --- One run's records -----------------------------------------------------------------------------------------------

/** What a run's records exercised, summed over the runs so that the test cannot pass on logs that show nothing. */
interface Tally {
  records: number;
  identityTypes: Set<string>;
  denied: number;
  failedAuthorized: number;
  unauthenticated: number;
  dataEvents: number;
  pathRoles: number;
  twins: number;
  noIssuer: number;
  webIdentity: number;
  saml: number;
  serviceAssumes: number;
  chained: number;
  viaService: number;
  vpce: number;
  console: number;
  duplicates: number;
  serviceEvents: number;
  networkEvents: number;
  crossAccountCopies: number;
  serviceLinked: number;
  partitionTwins: number;
  forms: Set<string>;
  versions: Set<string>;
}

const newTally = (): Tally => ({
  records: 0,
  identityTypes: new Set(),
  denied: 0,
  failedAuthorized: 0,
  unauthenticated: 0,
  dataEvents: 0,
  pathRoles: 0,
  twins: 0,
  noIssuer: 0,
  webIdentity: 0,
  saml: 0,
  serviceAssumes: 0,
  chained: 0,
  viaService: 0,
  vpce: 0,
  console: 0,
  duplicates: 0,
  serviceEvents: 0,
  networkEvents: 0,
  crossAccountCopies: 0,
  serviceLinked: 0,
  partitionTwins: 0,
  forms: new Set(),
  versions: new Set(),
});

const VERSIONS = ['1.08', '1.09', '1.10', '1.11'];

interface Clock {
  n: number;
}

/** The common fields of every record (CloudTrail User Guide, "CloudTrail record contents"). */
function envelope(
  r: Rand,
  ids: Ids,
  clock: Clock,
  identity: Json,
  call: { source: string; name: string; region: string; recipient: string },
): Json {
  // Calls come in bursts: often two in one second (whose order in the files is no order of theirs).
  const at = Date.UTC(2026, 10, 2, 8, 0, 0) + Math.floor(clock.n++ / 2) * 37_000 + ids.int(1000);
  return {
    eventVersion: pick(r, VERSIONS),
    userIdentity: identity,
    eventTime: ids.iso(at),
    eventSource: call.source,
    eventName: call.name,
    awsRegion: call.region,
    sourceIPAddress: `10.0.${ids.int(8)}.${ids.int(250) + 2}`,
    userAgent: pick(r, [
      'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5',
      'Boto3/1.35.10 md/Botocore#1.35.10',
      'aws-cli/2.17.20',
    ]),
    requestParameters: null,
    responseElements: null,
    requestID: ids.uuid(),
    eventID: ids.uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: call.recipient,
    eventCategory: 'Management',
  };
}

/** The record of one call by one actor, with its outcome. */
function callRecord(r: Rand, ids: Ids, clock: Clock, actor: Actor, call: Call, tally: Tally): Json {
  const region = call.region ?? actor.region;
  const identity = actor.identity(r);
  if (call.invokedBy) identity['invokedBy'] = call.invokedBy;
  const rec = envelope(r, ids, clock, identity, {
    source: call.source,
    name: call.name,
    region,
    recipient: call.recipient ?? actor.account,
  });
  rec['requestParameters'] = call.params;
  rec['readOnly'] = call.readOnly;
  if (call.resources) rec['resources'] = call.resources;
  if (call.additional) rec['additionalEventData'] = call.additional;
  if (call.data) {
    rec['managementEvent'] = false;
    rec['eventCategory'] = 'Data';
    tally.dataEvents++;
  }
  if (call.invokedBy) {
    // A service calling with the caller's credentials: its name for the address and the agent.
    rec['sourceIPAddress'] = call.invokedBy;
    rec['userAgent'] = call.invokedBy;
    tally.viaService++;
  } else if (r() < 0.2) {
    // Through an interface VPC endpoint (1.09 and later also name the endpoint's account).
    rec['vpcEndpointId'] = `vpce-0${ids.hex(16)}`;
    if (rec['eventVersion'] !== '1.08') rec['vpcEndpointAccountId'] = actor.account;
    tally.vpce++;
  }
  if (actor.console) {
    rec['sessionCredentialFromConsole'] = 'true';
    rec['userAgent'] = 'AWS Internal';
    tally.console++;
  }
  if (r() < 0.6)
    rec['tlsDetails'] = {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${call.source.split('.')[0]}.${region}.amazonaws.com`,
    };
  // The outcome: mostly success; refused, failed after authorization, or not authenticated.
  const p = r();
  if (p < 0.1) {
    rec['errorCode'] = call.denied;
    rec['errorMessage'] =
      call.denied === 'AccessDenied' && call.source === 's3.amazonaws.com'
        ? 'Access Denied'
        : call.denied === 'Client.UnauthorizedOperation'
          ? 'You are not authorized to perform this operation.'
          : DENY_MESSAGE(actor.who, call.action);
    rec['responseElements'] = null;
    tally.denied++;
  } else if (p < 0.2 && call.failed.length) {
    const [code, message] = pick(r, call.failed);
    rec['errorCode'] = code;
    if (call.failedUnnamed?.includes(code)) delete rec['resources'];
    if (message) rec['errorMessage'] = message;
    rec['responseElements'] = null;
    tally.failedAuthorized++;
  } else if (p < 0.22) {
    rec['errorCode'] = call.source === 's3.amazonaws.com' ? 'ExpiredToken' : 'ExpiredTokenException';
    rec['errorMessage'] = 'The security token included in the request is expired';
    tally.unauthenticated++;
  } else if (call.response !== undefined) rec['responseElements'] = call.response;
  return rec;
}

const credentials = (ids: Ids) => ({
  accessKeyId: `ASIA${ids.upper(16)}`,
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
  expiration: 'Nov 2, 2026, 9:00:00 AM',
});

/**
 * The STS record that began a role's session: an AWS service's AssumeRole (AWSService), a token's
 * AssumeRoleWithWebIdentity (IRSA, GitHub's OIDC), an assertion's AssumeRoleWithSAML (IAM Identity Center, Okta), as
 * the IAM User Guide's examples show them. Undefined for roles assumed by another principal of the cast.
 */
function assumeRecord(r: Rand, ids: Ids, clock: Clock, actor: Actor, session: string, tally: Tally): Json | undefined {
  const def = actor.role!;
  const p = actor.partition;
  const target = roleArn(def, actor.account, p);
  const assumed = {
    assumedRoleId: `${stableId('AROA', `${p}/${actor.account}/${def.name}`)}:${session}`,
    arn: `arn:${p}:sts::${actor.account}:assumed-role/${def.name}/${session}`,
  };
  const base = (identity: Json, name: string, region: string) => {
    const rec = envelope(r, ids, clock, identity, {
      source: 'sts.amazonaws.com',
      name,
      region,
      recipient: actor.account,
    });
    rec['resources'] = [res('AWS::IAM::Role', target, actor.account)];
    rec['sharedEventID'] = ids.uuid();
    return rec;
  };
  const service = { lambda: 'lambda.amazonaws.com', ecs: 'ecs-tasks.amazonaws.com', ec2: 'ec2.amazonaws.com' }[
    def.via as 'lambda' | 'ecs' | 'ec2'
  ];
  const denied = r() < 0.08;
  if (def.via === 'pod-identity') {
    // EKS Pod Identity (EKS user guide): the EKS Auth service assumes the role with the pod's session tags.
    const ns = pick(r, ['payments', 'payments-canary']);
    const rec = base({ type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' }, 'AssumeRole', actor.region);
    rec['sourceIPAddress'] = 'pods.eks.amazonaws.com';
    rec['userAgent'] = 'pods.eks.amazonaws.com';
    rec['requestParameters'] = {
      roleArn: target,
      roleSessionName: session,
      durationSeconds: 21600,
      tags: [
        { key: 'eks-cluster-arn', value: `arn:aws:eks:${actor.region}:${actor.account}:cluster/acme-staging` },
        { key: 'eks-cluster-name', value: 'acme-staging' },
        { key: 'kubernetes-namespace', value: ns },
        { key: 'kubernetes-service-account', value: 'payments-api' },
        { key: 'kubernetes-pod-name', value: `payments-api-6d4cf56db6-${ids.hex(5)}` },
        { key: 'kubernetes-pod-uid', value: ids.uuid() },
      ],
      transitiveTagKeys: [
        'eks-cluster-arn',
        'eks-cluster-name',
        'kubernetes-namespace',
        'kubernetes-service-account',
        'kubernetes-pod-name',
        'kubernetes-pod-uid',
      ],
    };
    rec['responseElements'] = { credentials: credentials(ids), assumedRoleUser: assumed, packedPolicySize: 38 };
    tally.serviceAssumes++;
    return rec;
  }
  if (def.via === 'cognito') {
    // An identity pool's credentials (the enhanced flow): the identity id as the subject, the pool as the audience.
    const subject = `${HOME}:${ids.uuid()}`;
    const rec = base(
      {
        type: 'WebIdentityUser',
        principalId: `${COGNITO}:${COGNITO_POOL}:${subject}`,
        userName: subject,
        identityProvider: COGNITO,
      },
      'AssumeRoleWithWebIdentity',
      actor.region,
    );
    rec['userAgent'] = 'aws-sdk-js/3.600.0';
    rec['requestParameters'] = { roleArn: target, roleSessionName: session };
    rec['responseElements'] = {
      credentials: credentials(ids),
      subjectFromWebIdentityToken: subject,
      assumedRoleUser: assumed,
      provider: COGNITO,
      audience: COGNITO_POOL,
    };
    tally.webIdentity++;
    tally.identityTypes.add('WebIdentityUser');
    return rec;
  }
  if (service) {
    const rec = base({ type: 'AWSService', invokedBy: service }, 'AssumeRole', actor.region);
    rec['sourceIPAddress'] = service;
    rec['userAgent'] = service;
    rec['requestParameters'] = { roleArn: target, roleSessionName: session, durationSeconds: 3600 };
    rec['responseElements'] = { credentials: credentials(ids), assumedRoleUser: assumed };
    tally.serviceAssumes++;
    return rec;
  }
  if (def.via === 'irsa' || def.via === 'github') {
    const provider = def.via === 'irsa' ? OIDC_EKS(actor.account, p) : GITHUB;
    const subject =
      def.via === 'irsa'
        ? pick(r, ['system:serviceaccount:shop:worker', 'system:serviceaccount:batch:worker'])
        : pick(r, ['repo:acme/shop:ref:refs/heads/main', 'repo:acme/shop:environment:production']);
    const rec = base(
      {
        type: 'WebIdentityUser',
        principalId: `${provider}:sts.amazonaws.com:${subject}`,
        userName: subject,
        identityProvider: provider,
      },
      'AssumeRoleWithWebIdentity',
      def.via === 'irsa' ? actor.region : 'us-east-1',
    );
    rec['userAgent'] =
      def.via === 'irsa' ? 'Boto3/1.35.10 md/Botocore#1.35.10' : 'configure-aws-credentials-for-github-actions';
    rec['requestParameters'] = { roleArn: target, roleSessionName: session, durationSeconds: 3600 };
    if (denied) {
      rec['errorCode'] = 'AccessDenied';
      rec['errorMessage'] = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';
      tally.denied++;
    } else
      rec['responseElements'] = {
        credentials: credentials(ids),
        subjectFromWebIdentityToken: subject,
        assumedRoleUser: assumed,
        provider,
        audience: 'sts.amazonaws.com',
      };
    tally.webIdentity++;
    tally.identityTypes.add('WebIdentityUser');
    return rec;
  }
  if (def.via === 'sso' || def.via === 'okta') {
    const sso = def.via === 'sso';
    const qualifier = sso ? 'MDEyMzQ1Njc4OTAxMjM0NTY3ODk=' : 'bdGOnTesti4+ExamplexL/jEvs=';
    const rec = base(
      { type: 'SAMLUser', principalId: `${qualifier}:${session}`, userName: session, identityProvider: qualifier },
      'AssumeRoleWithSAML',
      sso ? actor.region : 'us-east-1',
    );
    rec['userAgent'] = sso
      ? 'sso.amazonaws.com'
      : 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    if (sso) rec['sourceIPAddress'] = 'sso.amazonaws.com';
    rec['requestParameters'] = {
      sAMLAssertionID: `_${ids.hex(32)}`,
      roleSessionName: session,
      durationSeconds: sso ? 43200 : 3600,
      roleArn: target,
      principalArn: sso ? SSO_PROVIDER : OKTA_PROVIDER,
      ...(sso ? {} : { sourceIdentity: session }),
    };
    if (denied) {
      rec['errorCode'] = 'AccessDenied';
      rec['errorMessage'] = 'Not authorized to perform sts:AssumeRoleWithSAML';
      tally.denied++;
    } else
      rec['responseElements'] = {
        subjectType: sso ? 'persistent' : 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        issuer: sso
          ? `https://portal.sso.${HOME}.amazonaws.com/saml/assertion/MDEyMzQ1Njc4OTAx`
          : 'http://www.okta.com/exk1a2b3c4',
        credentials: credentials(ids),
        nameQualifier: qualifier,
        assumedRoleUser: assumed,
        subject: session,
        audience: 'https://signin.aws.amazon.com/saml',
        ...(sso ? {} : { sourceIdentity: session }),
      };
    rec['resources'] = [
      res('AWS::IAM::Role', target, actor.account),
      res('AWS::IAM::SAMLProvider', sso ? SSO_PROVIDER : OKTA_PROVIDER, actor.account),
    ];
    tally.saml++;
    tally.identityTypes.add('SAMLUser');
    return rec;
  }
  return undefined;
}

/**
 * What else a trail holds beside API calls, none of it a call to grant: console sign-ins (the IAM User Guide's
 * examples, a failure whose user name CloudTrail hides among them), an AWS service's own event (a KMS key's automatic
 * rotation: AwsServiceEvent, a userIdentity with no type), and network activity events of calls a VPC endpoint's
 * policy refused (eventType AwsVpceEvent, errorCode VpceAccessDenied).
 */
function otherEvents(r: Rand, ids: Ids, clock: Clock, cast: Actor[], tally: Tally): Json[] {
  const out: Json[] = [];
  const signIn = (identity: Json, ok: boolean) => {
    const rec = envelope(r, ids, clock, identity, {
      source: 'signin.amazonaws.com',
      name: 'ConsoleLogin',
      region: 'us-east-1',
      recipient: A,
    });
    rec['userAgent'] =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15';
    rec['readOnly'] = false;
    rec['eventType'] = 'AwsConsoleSignIn';
    rec['responseElements'] = { ConsoleLogin: ok ? 'Success' : 'Failure' };
    rec['additionalEventData'] = {
      LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true',
      MobileVersion: 'No',
      MFAUsed: ok ? 'Yes' : 'No',
    };
    if (!ok) rec['errorMessage'] = 'No username found in supplied account';
    out.push(rec);
  };
  const alice = cast.find((a) => a.type === 'IAMUser' && a.console);
  if (alice && r() < 0.6) signIn(alice.identity(r), true);
  if (r() < 0.2)
    signIn({ type: 'IAMUser', accountId: A, accessKeyId: '', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, false);
  if (r() < 0.3) {
    const key = keyArn(HOME, A, KEY_IDS[1]!);
    const rec = envelope(
      r,
      ids,
      clock,
      { accountId: A, invokedBy: 'kms.amazonaws.com' },
      { source: 'kms.amazonaws.com', name: 'RotateKey', region: HOME, recipient: A },
    );
    rec['sourceIPAddress'] = 'kms.amazonaws.com';
    rec['userAgent'] = 'kms.amazonaws.com';
    rec['readOnly'] = false;
    rec['eventType'] = 'AwsServiceEvent';
    rec['resources'] = [{ accountId: A, type: 'AWS::KMS::Key', ARN: key }];
    rec['serviceEventDetails'] = { keyId: KEY_IDS[1] };
    tally.serviceEvents++;
    out.push(rec);
  }
  if (r() < 0.3) {
    // The access portal's call on behalf of an IAM Identity Center user (userIdentity type IdentityCenterUser).
    const rec = envelope(
      r,
      ids,
      clock,
      {
        type: 'IdentityCenterUser',
        accountId: A,
        onBehalfOf: {
          userId: ids.uuid(),
          identityStoreArn: `arn:aws:identitystore::${A}:identitystore/d-1234567890`,
        },
        credentialId: ids.upper(40),
      },
      { source: 'sso.amazonaws.com', name: 'GetRoleCredentials', region: HOME, recipient: A },
    );
    rec['requestParameters'] = { roleName: 'ReadOnly', accountId: A };
    tally.identityTypes.add('IdentityCenterUser');
    out.push(rec);
  }
  const roles = cast.filter((a) => a.role && a.role.via !== 'service-linked' && a.partition === 'aws');
  if (roles.length && r() < 0.3) {
    const who = pick(r, roles);
    const rec = envelope(r, ids, clock, who.identity(r), {
      source: pick(r, ['s3.amazonaws.com', 'kms.amazonaws.com', 'secretsmanager.amazonaws.com']),
      name: pick(r, ['GetObject', 'Decrypt', 'GetSecretValue']),
      region: who.region,
      recipient: who.account,
    });
    delete rec['readOnly'];
    delete rec['managementEvent'];
    rec['errorCode'] = 'VpceAccessDenied';
    rec['errorMessage'] = 'The request was denied due to a VPC endpoint policy';
    rec['eventType'] = 'AwsVpceEvent';
    rec['eventVersion'] = '1.11';
    rec['sharedEventID'] = ids.uuid();
    rec['vpcEndpointId'] = `vpce-0${ids.hex(16)}`;
    rec['vpcEndpointAccountId'] = who.account;
    rec['eventCategory'] = 'NetworkActivity';
    tally.networkEvents++;
    out.push(rec);
  }
  return out;
}

/** The records of one run: the cast's sessions begun, then their calls in time order. */
function makeLog(r: Rand, tally: Tally): Json[] {
  const ids = trailIds(r) as Ids;
  const clock: Clock = { n: 0 };
  const cast = castOf(r, ids, tally);
  const lines: Json[] = [];
  for (const a of cast) {
    tally.identityTypes.add(a.type);
    if (a.role && a.role.path !== '/') tally.pathRoles++;
    if (a.account === B) tally.twins++;
    if (a.partition !== 'aws') tally.partitionTwins++;
    if (a.role?.via === 'service-linked') tally.serviceLinked++;
    for (const s of a.sessions) {
      const rec = assumeRecord(r, ids, clock, a, s, tally);
      if (rec) lines.push(rec);
    }
  }
  // An AWS service's own call (no principal of the account's), and another account's AssumeRole of a role of this
  // one as this account's trail logs it (userIdentity type AWSAccount: the IAM User Guide's cross-account example).
  if (r() < 0.5) {
    const rec = envelope(
      r,
      ids,
      clock,
      { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
      { source: 's3.amazonaws.com', name: 'GetBucketAcl', region: HOME, recipient: A },
    );
    rec['sourceIPAddress'] = 'cloudtrail.amazonaws.com';
    rec['userAgent'] = 'cloudtrail.amazonaws.com';
    rec['requestParameters'] = {
      bucketName: 'acme-trail-logs',
      Host: 'acme-trail-logs.s3.eu-west-1.amazonaws.com',
      acl: '',
    };
    rec['resources'] = [res('AWS::S3::Bucket', 'arn:aws:s3:::acme-trail-logs', A)];
    tally.identityTypes.add('AWSService');
    lines.push(rec);
  }
  if (r() < 0.3) {
    const target = `arn:aws:iam::${A}:role/audit/auditor`;
    const rec = envelope(
      r,
      ids,
      clock,
      { type: 'AWSAccount', principalId: stableId('AIDA', `${C}/auditor`), accountId: C },
      { source: 'sts.amazonaws.com', name: 'AssumeRole', region: 'us-east-1', recipient: A },
    );
    rec['requestParameters'] = { roleArn: target, roleSessionName: 'audit', sourceIdentity: 'auditor' };
    rec['responseElements'] = {
      credentials: credentials(ids),
      assumedRoleUser: {
        assumedRoleId: `${stableId('AROA', target)}:audit`,
        arn: `arn:aws:sts::${A}:assumed-role/auditor/audit`,
      },
      sourceIdentity: 'auditor',
    };
    rec['resources'] = [res('AWS::IAM::Role', target, A)];
    rec['sharedEventID'] = ids.uuid();
    tally.identityTypes.add('AWSAccount');
    lines.push(rec);
  }
  lines.push(...otherEvents(r, ids, clock, cast, tally));
  const target = int(r, 30, 80);
  while (lines.length < target) {
    const actor = pick(r, cast);
    const name = pick(r, actor.calls);
    // Mostly the actor's region; now and then another (a global table's replica, a queue of another region).
    const region = actor.partition === 'aws' && r() < 0.12 ? pick(r, ['us-east-1', 'eu-central-1']) : actor.region;
    const call = CALLS[name]({ account: actor.account, partition: actor.partition, region, ids, actor }, r);
    call.region ??= region;
    const rec = callRecord(r, ids, clock, actor, call, tally);
    if (name.startsWith('assume')) tally.chained++;
    lines.push(rec);
    if (call.recipient && call.recipient !== actor.account && r() < 0.5) {
      // A call on another account's resource is logged in both accounts: the same call, another eventID, one
      // sharedEventID (CloudTrail User Guide, record contents).
      rec['sharedEventID'] = ids.uuid();
      lines.push({ ...structuredClone(rec), eventID: ids.uuid(), recipientAccountId: actor.account });
      tally.crossAccountCopies++;
    }
    // The same record twice (a global event in two trails of one bucket, a record in a file and in EventBridge).
    if (r() < 0.02) {
      lines.push(structuredClone(rec));
      tally.duplicates++;
    }
  }
  tally.records += lines.length;
  for (const l of lines) tally.versions.add(l['eventVersion'] as string);
  return lines;
}

// --- Writing them as files -------------------------------------------------------------------------------------------

type Form =
  | 's3'
  | 's3-gzip'
  | 's3-pretty'
  | 'awslogs'
  | 'jsonl'
  | 'eventbridge'
  | 'lookup'
  | 'cwl-search'
  | 'cwl-subscription'
  | 'cwl-export';
const FORMS: Form[] = [
  's3',
  's3-gzip',
  's3-pretty',
  'awslogs',
  'jsonl',
  'eventbridge',
  'lookup',
  'cwl-search',
  'cwl-subscription',
  'cwl-export',
];

/** What LookupEvents does not return (data and network activity events), nor EventBridge the network ones. */
const notLookedUp = (x: Json) => x['eventCategory'] === 'Data' || x['eventCategory'] === 'NetworkActivity';
const notOnEventBridge = (x: Json) => x['eventCategory'] === 'NetworkActivity';
/** EventBridge's detail-type for a CloudTrail record's eventType. */
const DETAIL_TYPE: Record<string, string> = {
  AwsApiCall: 'AWS API Call via CloudTrail',
  AwsServiceEvent: 'AWS Service Event via CloudTrail',
  AwsConsoleSignIn: 'AWS Console Sign In via CloudTrail',
};
/** The five minutes a record's file covers: `20261102T0805`. */
const stamp = (x: Json) => {
  const t = (x['eventTime'] as string).replace(/[-:]/g, '');
  return `${t.slice(0, 11)}${String(Math.floor(Number(t.slice(11, 13)) / 5) * 5).padStart(2, '0')}`;
};
const epoch = (x: Json) => Date.parse(x['eventTime'] as string);

/**
 * The records in 1 to 5 files of random forms under `dir`, the parts as `r` shuffles them. LookupEvents returns
 * management events alone, so data events go to the other forms.
 */
function layout(dir: string, lines: Json[], r: Rand, tally: Tally, org: boolean): void {
  mkdirSync(dir, { recursive: true });
  const forms = Array.from({ length: int(r, 1, 5) }, () => pick(r, FORMS));
  if (!forms.some((f) => f !== 'lookup' && f !== 'eventbridge')) forms.push('jsonl');
  const parts: Json[][] = forms.map(() => []);
  for (const l of shuffle(lines, r)) {
    let i = Math.floor(r() * forms.length);
    while ((forms[i] === 'lookup' && notLookedUp(l)) || (forms[i] === 'eventbridge' && notOnEventBridge(l)))
      i = Math.floor(r() * forms.length);
    parts[i]!.push(l);
  }
  const ids = trailIds(r) as Ids;
  forms.forEach((form, i) => {
    const recs = parts[i]!;
    if (!recs.length) return;
    tally.forms.add(form);
    const file = join(dir, `part-${i}`);
    const jsonl = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
    switch (form) {
      case 's3':
        writeFileSync(`${file}.json`, JSON.stringify({ Records: recs }));
        break;
      case 's3-gzip':
        writeFileSync(`${file}.json.gz`, gzipSync(JSON.stringify({ Records: recs })));
        break;
      case 's3-pretty':
        // A delivered file as `jq .` or an editor saves it: one document over many lines.
        writeFileSync(`${file}.pretty.json`, JSON.stringify({ Records: recs }, null, 2) + '\n');
        break;
      case 'cwl-subscription': {
        // A CloudWatch Logs subscription's record (as Firehose or a Lambda function receives it, gunzipped or not).
        const body = JSON.stringify({
          messageType: 'DATA_MESSAGE',
          owner: A,
          logGroup: `aws-cloudtrail-logs-${A}-1a2b3c4d`,
          logStream: `${org ? `${ORG}_` : ''}${recs[0]!['recipientAccountId']}_CloudTrail_${recs[0]!['awsRegion']}`,
          subscriptionFilters: ['to-firehose'],
          logEvents: recs.map((x) => ({ id: ids.hex(56), timestamp: epoch(x), message: JSON.stringify(x) })),
        });
        if (i % 2) writeFileSync(`${file}.subscription.json.gz`, gzipSync(body));
        else writeFileSync(`${file}.subscription.json`, body);
        break;
      }
      case 'awslogs': {
        // As the trail delivers them: a file per account, region and five minutes, and the digest beside them.
        const groups = new Map<string, Json[]>();
        for (const x of recs) {
          const key = `${x['recipientAccountId']}|${x['awsRegion']}|${stamp(x)}`;
          groups.set(key, [...(groups.get(key) ?? []), x]);
        }
        for (const [key, xs] of groups) {
          const [account, region, t] = key.split('|') as [string, string, string];
          const [y, m, d] = [t.slice(0, 4), t.slice(4, 6), t.slice(6, 8)];
          const root = join(dir, `trail-${i}`, 'AWSLogs', ...(org ? [ORG] : []), account);
          const f = join(
            root,
            'CloudTrail',
            region,
            y,
            m,
            d,
            `${account}_CloudTrail_${region}_${t}Z_${ids.upper(16)}.json.gz`,
          );
          mkdirSync(dirname(f), { recursive: true });
          writeFileSync(f, gzipSync(JSON.stringify({ Records: xs })));
          const digest = join(
            root,
            'CloudTrail-Digest',
            region,
            y,
            m,
            d,
            `${account}_CloudTrail-Digest_${region}_org_${region}_${t}00Z.json.gz`,
          );
          mkdirSync(dirname(digest), { recursive: true });
          writeFileSync(
            digest,
            gzipSync(
              JSON.stringify({
                awsAccountId: account,
                digestStartTime: `${y}-${m}-${d}T07:00:00Z`,
                digestEndTime: `${y}-${m}-${d}T08:00:00Z`,
                digestS3Bucket: 'acme-trail-logs',
                digestS3Object: digest,
                digestPublicKeyFingerprint: ids.hex(32),
                digestSignatureAlgorithm: 'SHA256withRSA',
                newestEventTime: `${y}-${m}-${d}T07:59:00Z`,
                oldestEventTime: `${y}-${m}-${d}T07:00:00Z`,
                previousDigestS3Bucket: 'acme-trail-logs',
                previousDigestHashValue: ids.hex(64),
                previousDigestHashAlgorithm: 'SHA-256',
                previousDigestSignature: ids.hex(64),
                logFiles: [
                  { s3Bucket: 'acme-trail-logs', s3Object: f, hashValue: ids.hex(64), hashAlgorithm: 'SHA-256' },
                ],
              }),
            ),
          );
        }
        break;
      }
      case 'jsonl':
        writeFileSync(`${file}.jsonl`, jsonl(recs));
        break;
      case 'eventbridge':
        writeFileSync(
          `${file}.events.jsonl`,
          jsonl(
            recs.map((x) => ({
              version: '0',
              id: ids.uuid(),
              'detail-type': DETAIL_TYPE[x['eventType'] as string] ?? 'AWS API Call via CloudTrail',
              source: `aws.${(x['eventSource'] as string).split('.')[0]}`,
              account: x['recipientAccountId'],
              time: x['eventTime'],
              region: x['awsRegion'],
              resources: [],
              detail: x,
            })),
          ),
        );
        break;
      case 'lookup':
        // `aws cloudtrail lookup-events`: each event's record as JSON text in CloudTrailEvent.
        writeFileSync(
          `${file}.lookup.json`,
          JSON.stringify(
            {
              Events: recs.map((x) => ({
                EventId: x['eventID'],
                EventName: x['eventName'],
                ReadOnly: String(x['readOnly']),
                EventTime: (x['eventTime'] as string).replace('Z', '+00:00'),
                EventSource: x['eventSource'],
                Resources: ((x['resources'] as { type?: string; ARN: string }[] | undefined) ?? []).map((y) => ({
                  ResourceType: y.type,
                  ResourceName: y.ARN,
                })),
                CloudTrailEvent: JSON.stringify(x),
              })),
            },
            null,
            4,
          ),
        );
        break;
      case 'cwl-search':
        // `aws logs filter-log-events` on the trail's log group: one record per message.
        writeFileSync(
          `${file}.cwl.json`,
          JSON.stringify({
            events: recs.map((x) => ({
              logStreamName: `${org ? `${ORG}_` : ''}${x['recipientAccountId']}_CloudTrail_${x['awsRegion']}`,
              timestamp: epoch(x),
              message: JSON.stringify(x),
              ingestionTime: epoch(x) + 4000,
              eventId: ids.hex(56),
            })),
            searchedLogStreams: [],
          }),
        );
        break;
      case 'cwl-export':
        // A CloudWatch Logs export to S3: each line the event's time, a space, and the message.
        writeFileSync(
          `${file}.export.log`,
          recs.map((x) => `${new Date(epoch(x)).toISOString()} ${JSON.stringify(x)}`).join('\n') + '\n',
        );
        break;
    }
  });
}

// --- Options ---------------------------------------------------------------------------------------------------------

/**
 * Odd runs generate with widenings and generator options; verify is given what changes the replay's scope or names
 * (--map, the subject filters, a time window) too: the policies they make must allow every call as well.
 */
function options(r: Rand): { generate: string[]; verify: string[] } {
  const generate: string[] = [];
  const both: string[] = [];
  if (r() < 0.3) generate.push('--exact');
  if (r() < 0.35) generate.push('--s3-prefix-wildcard', String(int(r, 0, 3)));
  if (r() < 0.35) generate.push('--widen-resources', String(int(r, 1, 4)));
  if (r() < 0.2) generate.push('--saml-any-user');
  if (r() < 0.25) both.push('--map', pick(r, [`${A}=222233334444`, 'eu-west-1=us-east-2', `acme-staging=acme-prod`]));
  if (r() < 0.2)
    both.push(
      '--subject',
      pick(r, [`arn:aws:iam::${A}:role/apps/*`, `arn:aws:iam::*:role/apps/team/worker`, '*worker*']),
    );
  if (r() < 0.2) both.push('--exclude-subject', pick(r, [`arn:aws:iam::${A}:user/*`, `arn:aws:iam::${B}:*`, '*/ci/*']));
  if (r() < 0.1) both.push('--since', pick(r, ['30m', '1h']));
  // verify reading with two threads: the same replay.
  const verify = r() < 0.3 ? [...both, '--workers', '2'] : both;
  return { generate: [...generate, ...both], verify };
}

// --- Running the CLI in-process --------------------------------------------------------------------------------------

/** The CLI in this process, with no config file (the working directory is a sandbox of the run's). */
const cli = (args: string[], cwd: string) => cliInProcess([...args, '--no-config'], cwd);

interface Finding {
  subject: string;
  subjectKind?: string;
  access: { action: string; resource: string; events?: string[] };
  detail?: string;
  evidence?: { samples?: string[] };
}

/**
 * The undetermined results verify documents for what generate makes (docs/cli.md, verify; docs/formats.md, trust
 * policies): a call that maps to no IAM action, an event whose resource is only partly known where the policy covers
 * some of it, and a trust statement whose Condition the records cannot decide.
 */
const documented = (f: Finding): boolean =>
  /: no IAM action .* in the catalogue|: the profile does not hold the item actions/.test(f.detail ?? '') ||
  /the policy covers some of the resources it could be, not all/.test(f.detail ?? '');

/** A finding, with the records its samples name (cut short), for the failure message. */
function shown(f: Finding, lines: Json[]): string {
  const ids = new Set(f.evidence?.samples ?? []);
  const records = lines.filter((l) => ids.has(l['eventID'] as string)).slice(0, 3);
  return [JSON.stringify(f).slice(0, 800), ...records.map((l) => `  record: ${JSON.stringify(l).slice(0, 1500)}`)].join(
    '\n',
  );
}

describe('generate iam → verify on random CloudTrail records', () => {
  it(
    `verify allows every call generate made policies from (seed ${SEED}, ${RUNS} runs)`,
    async () => {
      const dir = tmp('a2p-iamrec-');
      const failures: string[] = [];
      const tally = newTally();
      let observed = 0;
      let undetermined = 0;
      let shuffled = 0;
      let workers = 0;
      let empty = 0;
      let reportedDenied = 0;
      for (let i = 0; i < RUNS; i++) {
        if (ONLY !== undefined && i !== ONLY) continue;
        const seed = (SEED + i * 7919) >>> 0;
        const r = rng(seed);
        const lines = makeLog(r, tally);
        const at = join(dir, `run-${i}`);
        const logs = join(at, 'logs');
        const org = r() < 0.3;
        layout(logs, lines, r, tally, org);
        const flags = i % 2 ? options(r) : { generate: [], verify: [] };
        const said = flags.generate.length ? `, ${flags.generate.join(' ')}` : '';
        const what = `run ${i} (FUZZ_SEED=${SEED} FUZZ_RUN=${i}, ${lines.length} records${said}, ${logs})`;

        // 1. generate exits 0.
        const g = await cli(['generate', 'iam', '--cloudtrail', 'logs', '-o', 'out', '-q', ...flags.generate], at);
        // Nothing in scope (a --subject no record matches): exit 2 before anything is written (cli.md, generate all).
        if (g.code === 2 && g.stderr.includes('error: nothing to generate: ') && !existsSync(join(at, 'out'))) {
          empty++;
          continue;
        }
        if (g.code !== 0) {
          failures.push(`${what}\n  generate exited ${g.code}: ${g.stderr.slice(0, 800)}`);
          continue;
        }
        // 2. verify denies nothing, and leaves undetermined only what it documents.
        const v = await cli(
          ['verify', '--policies', 'out', '--cloudtrail', 'logs', '--format', 'json', ...flags.verify],
          at,
        );
        const policies = Object.keys(readTree(join(at, 'out'))).filter((f) => f.startsWith('iam/'));
        const report = judgeVerify(v, policies.length, what, documented, (f) => shown(f, lines), failures);
        if (report === 'empty') {
          empty++;
          continue;
        }
        if (!report) continue;
        observed += report.observed;
        undetermined += report.undetermined.length;
        reportedDenied += report.denied?.length ?? 0;

        // 3. Every third run: the records in another order and other files give the same tree; every fifth, with two
        // workers reading them.
        const again = async (label: string, layoutSeed: number, extra: string[]) => {
          const other = join(at, label);
          layout(join(other, 'logs'), shuffle(lines, rng(layoutSeed)), rng(layoutSeed + 1), newTally(), !org);
          const s = await cli(
            ['generate', 'iam', '--cloudtrail', 'logs', '-o', 'out', '-q', ...flags.generate, ...extra],
            other,
          );
          const diff = s.code === 0 ? treeDiff(readTree(join(at, 'out')), readTree(join(other, 'out'))) : undefined;
          if (s.code !== 0) failures.push(`${what}\n  generate (${label}) exited ${s.code}: ${s.stderr.slice(0, 800)}`);
          else if (diff) failures.push(`${what}\n  ${label}: another tree: ${diff}`);
        };
        if (i % 3 === 0) {
          shuffled++;
          await again('shuffled', seed ^ 0x5bd1e995, []);
        }
        if (i % 5 === 0) {
          workers++;
          await again('workers', seed ^ 0x27d4eb2f, ['--workers', '2']);
        }
      }
      if (ONLY === undefined) {
        // The runs exercised what the property is about.
        const t = tally;
        const summary = JSON.stringify({
          ...t,
          identityTypes: [...t.identityTypes].sort(),
          forms: [...t.forms].sort(),
          versions: [...t.versions].sort(),
          observed,
          undetermined,
          reportedDenied,
          shuffled,
          workers,
          empty,
        });
        // What the runs reached, said when hunting with another seed or run count (or FUZZ_TALLY=1).
        if (env['FUZZ_SEED'] ?? env['FUZZ_RUNS'] ?? env['FUZZ_TALLY']) console.log(`iam-records-property: ${summary}`);
        expect(t.records, 'records').toBeGreaterThan(RUNS * 30 - 1);
        expect([...t.identityTypes].sort(), 'identity types').toEqual([
          'AWSAccount',
          'AWSService',
          'AssumedRole',
          'FederatedUser',
          'IAMUser',
          'IdentityCenterUser',
          'Root',
          'SAMLUser',
          'WebIdentityUser',
        ]);
        expect(t.webIdentity, 'AssumeRoleWithWebIdentity records').toBeGreaterThan(RUNS / 2);
        expect(t.saml, 'AssumeRoleWithSAML records').toBeGreaterThan(RUNS / 4);
        expect(t.serviceAssumes, 'AWS services assuming roles').toBeGreaterThan(RUNS / 2);
        expect(t.denied, 'refused records').toBeGreaterThan(RUNS * 2);
        expect(t.failedAuthorized, 'authorized records that failed').toBeGreaterThan(RUNS * 2);
        expect(t.unauthenticated, 'unauthenticated records').toBeGreaterThan(RUNS / 4);
        expect(t.dataEvents, 'data events').toBeGreaterThan(RUNS * 8);
        expect(t.pathRoles, 'roles with a path').toBeGreaterThan(RUNS * 2);
        expect(t.twins, 'roles of the twin account').toBeGreaterThan(RUNS / 4);
        expect(t.noIssuer, 'sessions without their issuer').toBeGreaterThan(RUNS / 4);
        expect(t.chained, 'AssumeRole by a principal of the cast').toBeGreaterThan(RUNS / 2);
        expect(t.viaService, 'calls a service made for the caller').toBeGreaterThan(RUNS / 4);
        expect(t.vpce, 'calls through a VPC endpoint').toBeGreaterThan(RUNS * 2);
        expect(t.console, 'console sessions').toBeGreaterThan(RUNS);
        expect(t.duplicates, 'records twice').toBeGreaterThan(0);
        expect(t.serviceEvents, 'AWS service events').toBeGreaterThan(0);
        expect(t.networkEvents, 'network activity events').toBeGreaterThan(0);
        expect(t.crossAccountCopies, 'calls logged in two accounts').toBeGreaterThan(RUNS / 4);
        expect(t.serviceLinked, 'service-linked role sessions').toBeGreaterThan(0);
        expect(t.partitionTwins, 'twins in another partition').toBeGreaterThan(0);
        expect([...t.forms].sort(), 'file forms').toEqual([...FORMS].sort());
        expect([...t.versions].sort(), 'event versions').toEqual(VERSIONS);
        expect(observed, 'accesses verify replayed').toBeGreaterThan(RUNS * 10);
        expect(reportedDenied, 'refusals verify reported').toBeGreaterThan(RUNS / 2);
        expect(shuffled).toBeGreaterThan(0);
        expect(workers).toBeGreaterThan(0);
        expect(empty, 'runs with nothing in scope').toBeLessThan(RUNS / 10);
      }
      expect(failures.join('\n\n')).toBe('');
    },
    Math.max(120_000, RUNS * 3000),
  );
});
