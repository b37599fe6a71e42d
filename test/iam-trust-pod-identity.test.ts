import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { Scope, defaultScope } from '../src/profile/scope.js';
import { cli, tmp } from './helpers/cli.js';

/**
 * EKS Pod Identity as CloudTrail logs it (the EKS workshop's record of the Pod Identity agent's call): an AssumeRole by
 * `{type: AWSService, invokedBy: pods.eks.amazonaws.com}` with the session tags `eks-cluster-arn`, `eks-cluster-name`,
 * `kubernetes-namespace`, `kubernetes-service-account`, `kubernetes-pod-name`, `kubernetes-pod-uid`, all transitive.
 * With a target role (EKS User Guide, "Access AWS Resources using EKS Pod Identity Target IAM Roles"), EKS then
 * assumes the target role with the first role's session: an AssumeRole by that role, passing the same tags and the
 * association's external ID. Anyone else may pass tags of those names too: an IAM role's AssumeRole is its own call.
 */
const A = '111122223333';
const B = '444455556666';
const REGION = 'eu-west-1';
const CLUSTER = `arn:aws:eks:${REGION}:${A}:cluster/acme`;
const PAYMENTS = `arn:aws:iam::${A}:role/payments`;
const TARGET = `arn:aws:iam::${B}:role/payments-target`;
const CI = `arn:aws:iam::${A}:role/ci/ci-runner`;
const DEPLOYER = `arn:aws:iam::${A}:role/deployer`;

let n = 0;
const id = () => `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`;

/** A role session's identity, as CloudTrail logs it. */
function session(roleArn: string, name: string) {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn)!;
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${name}`,
    arn: `arn:aws:sts::${m[1]!}:assumed-role/${m[2]!}/${name}`,
    accountId: m[1]!,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: roleArn, accountId: m[1]!, userName: m[2]! },
    },
  };
}

const POD_IDENTITY = { type: 'AWSService', invokedBy: 'pods.eks.amazonaws.com' };

/** The session tags EKS Pod Identity passes for a pod. */
const podTags = (cluster: string, ns: string, sa: string, pod: string) => [
  { key: 'eks-cluster-arn', value: cluster },
  { key: 'eks-cluster-name', value: cluster.slice(cluster.lastIndexOf('/') + 1) },
  { key: 'kubernetes-namespace', value: ns },
  { key: 'kubernetes-service-account', value: sa },
  { key: 'kubernetes-pod-name', value: pod },
  { key: 'kubernetes-pod-uid', value: `uid-${pod}` },
];

/** An allowed AssumeRole by `identity` of `roleArn`, at `time`. */
function assume(identity: unknown, roleArn: string, time: string, params: Record<string, unknown> = {}) {
  const service = (identity as { type: string }).type === 'AWSService';
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: REGION,
    sourceIPAddress: service ? 'pods.eks.amazonaws.com' : '10.0.1.10',
    userAgent: service ? 'pods.eks.amazonaws.com' : 'aws-cli/2.15.0',
    requestParameters: { roleArn, roleSessionName: 'session-1', durationSeconds: 3600, ...params },
    responseElements: null,
    eventID: id(),
    readOnly: true,
    resources: [{ accountId: roleArn.split(':')[4]!, type: 'AWS::IAM::Role', ARN: roleArn }],
    eventType: 'AwsApiCall',
    recipientAccountId: roleArn.split(':')[4]!,
  };
}

/** An allowed call of a role's session. */
function call(roleArn: string, source: string, name: string, time: string, params: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.09',
    userIdentity: session(roleArn, 'session-1'),
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: REGION,
    sourceIPAddress: '10.0.1.10',
    userAgent: 'aws-sdk-go-v2/1.30.3',
    requestParameters: params,
    responseElements: null,
    eventID: id(),
    eventType: 'AwsApiCall',
    recipientAccountId: roleArn.split(':')[4]!,
  };
}

function observe(rec: unknown): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out).toHaveLength(1);
  return out[0] as AwsCallObservation;
}

/** Records in a CloudTrail file of a fresh directory; its path. */
function trail(records: unknown[]): { dir: string; file: string } {
  const dir = tmp();
  const file = join(dir, 'ct.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return { dir, file };
}

const readJson = (...p: string[]) => JSON.parse(readFileSync(join(...p), 'utf8')) as Record<string, unknown>;

/** Generate IAM from the records; the output directory. */
function generate(records: unknown[]): string {
  const { dir, file } = trail(records);
  const out = join(dir, 'out');
  const r = cli(['generate', 'iam', '--cloudtrail', file, '-o', out, '-q']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return out;
}

/** An IAM role passing session tags named as Pod Identity's: the CI role of the review. */
const taggedByRole = (day: number) => [
  assume(session(CI, `gha-${day}`), DEPLOYER, `2026-11-0${day}T01:00:00Z`, {
    tags: [
      { key: 'kubernetes-namespace', value: 'payments' },
      { key: 'kubernetes-service-account', value: 'payments-api' },
    ],
  }),
  call(DEPLOYER, 's3.amazonaws.com', 'ListBuckets', `2026-11-0${day}T01:00:05Z`),
];

/** A pod's credentials through a Pod Identity association with a target role in another account. */
const targetChain = (day: number) => {
  const tags = podTags(CLUSTER, 'payments', 'payments-api', `payments-api-abc-${day}`);
  return [
    assume(POD_IDENTITY, PAYMENTS, `2026-11-0${day}T01:00:00Z`, { tags, transitiveTagKeys: tags.map((t) => t.key) }),
    assume(session(PAYMENTS, `eks-acme-payments-${day}`), TARGET, `2026-11-0${day}T01:00:01Z`, {
      tags,
      externalId: 'a1b2c3d4-assoc',
    }),
    call(TARGET, 'dynamodb.amazonaws.com', 'GetItem', `2026-11-0${day}T01:00:05Z`, { tableName: 'ledger' }),
  ];
};

describe('EKS Pod Identity links only the Pod Identity service', () => {
  it('takes the service pods.eks.amazonaws.com passing the session tags as a service account link', () => {
    const tags = podTags(CLUSTER, 'payments', 'payments-api', 'p-1');
    const o = observe(assume(POD_IDENTITY, PAYMENTS, '2026-11-02T01:00:00Z', { tags }));
    expect(o.link).toMatchObject({ namespace: 'payments', serviceAccount: 'payments-api', via: 'pod-identity' });
  });

  it("takes an IAM role's AssumeRole with tags of those names as the role's own call, needing sts:TagSession", () => {
    const o = observe(taggedByRole(2)[0]);
    expect(o.link).toBeUndefined();
    expect(o.principal).toMatchObject({ type: 'Role', arn: CI });
    expect(o.implied.map((i) => [i.action, i.resource])).toEqual([['sts:TagSession', DEPLOYER]]);
    // Another service passing them is a service's assumption, not Pod Identity.
    const lambda = observe(
      assume({ type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }, DEPLOYER, '2026-11-02T01:00:00Z', {
        tags: podTags(CLUSTER, 'payments', 'payments-api', 'p-1'),
      }),
    );
    expect(lambda.link).toBeUndefined();
    expect(lambda.serviceLink).toMatchObject({ service: 'lambda.amazonaws.com', roleArn: DEPLOYER });
  });

  it('counts a call that links a service account for its caller when that is an IAM principal', () => {
    // No record decodes so today; an observation of another source might.
    const o = observe(taggedByRole(2)[0]);
    o.link = { namespace: 'payments', serviceAccount: 'payments-api', roleArn: DEPLOYER, via: 'pod-identity' };
    const b = new ProfileBuilder(new Scope(defaultScope()));
    b.add(o);
    const p = b.toProfile().principals;
    expect(p.map((x) => x.username)).toEqual([CI, 'system:serviceaccount:payments:payments-api']);
    expect(p[0]!.aws!.map((e) => `${e.eventName} ${e.resources.join(',')}`)).toEqual([`AssumeRole ${DEPLOYER}`]);
    expect(p[1]!.assumes!.map((l) => l.roleArn)).toEqual([DEPLOYER]);
  });

  it('generates for the IAM role that passed the tags, and a trust that names it, not Pod Identity', () => {
    const out = generate([...taggedByRole(2), ...taggedByRole(3)]);
    expect(readJson(out, 'iam', A, 'role/ci-runner.json')['Statement']).toEqual([
      {
        Sid: 'StsAccess1',
        Effect: 'Allow',
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Resource: [DEPLOYER],
      },
    ]);
    expect(readJson(out, 'iam', A, 'role/deployer.trust.json')['Statement']).toEqual([
      {
        Sid: 'AssumedByPrincipals',
        Effect: 'Allow',
        Principal: { AWS: CI },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ]);
    const r = cli(['verify', '--cloudtrail', trail([...taggedByRole(2), ...taggedByRole(3)]).file, '--policies', out]);
    expect(r.code).toBe(0);
  });

  it("writes a target role's trust for the Pod Identity role that chains into it, and that role's policy", () => {
    const records = [...targetChain(2), ...targetChain(3)];
    const out = generate(records);
    // The first role: Pod Identity's, and allowed to assume the target with the pod's tags.
    const first = readJson(out, 'iam', A, 'role/payments.trust.json')['Statement'] as Record<string, unknown>[];
    expect(first.map((s) => s['Principal'])).toEqual([{ Service: 'pods.eks.amazonaws.com' }]);
    expect(readJson(out, 'iam', A, 'role/payments.json')['Statement']).toEqual([
      { Sid: 'StsAccess1', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: [TARGET] },
    ]);
    // The target: the first role, as an AWS principal, never the Pod Identity service.
    const target = readJson(out, 'iam', B, 'role/payments-target.trust.json')['Statement'] as Record<string, unknown>[];
    expect(target.map((s) => s['Principal'])).toEqual(target.map(() => ({ AWS: PAYMENTS })));
    expect(target.flatMap((s) => s['Action'])).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    const r = cli(['verify', '--cloudtrail', trail(records).file, '--policies', out, '--format', 'json']);
    expect(r.code).toBe(0);
  });
});

/** Pod Identity's records of one service account's pods on `cluster`, one a day from day 2. */
const podIdentity = (cluster: string, ns: string, sa: string, days = [2, 3]) =>
  days.map((day) => {
    const tags = podTags(cluster, ns, sa, `${sa}-${day}`);
    return assume(POD_IDENTITY, PAYMENTS, `2026-11-0${day}T01:00:00Z`, {
      tags,
      transitiveTagKeys: tags.map((t) => t.key),
    });
  });
const OTHER = `arn:aws:eks:${REGION}:${A}:cluster/batch`;

/** The EKS User Guide's Pod Identity trust, narrowed to a service account and a cluster. */
const docsTrust = (cluster: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:RequestTag/kubernetes-namespace': 'payments',
          'aws:RequestTag/kubernetes-service-account': 'payments-api',
          'aws:RequestTag/eks-cluster-arn': cluster,
        },
      },
    },
  ],
});

/** An account's IAM (get-account-authorization-details) holding the payments role with `trust`. */
function account(dir: string, trust: unknown): string {
  const file = join(dir, 'account.json');
  const role = {
    Path: '/',
    RoleName: 'payments',
    RoleId: 'AROAPAYMENTS',
    Arn: PAYMENTS,
    CreateDate: '2026-01-01T00:00:00Z',
    AssumeRolePolicyDocument: trust,
    InstanceProfileList: [],
    RolePolicyList: [
      {
        PolicyName: 'list',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
        },
      },
    ],
    AttachedManagedPolicies: [],
    Tags: [],
  };
  const doc = { UserDetailList: [], GroupDetailList: [], Policies: [], IsTruncated: false, RoleDetailList: [role] };
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('EKS Pod Identity trusts pin the clusters seen', () => {
  it("keeps the record's eks-cluster-arn on the link, and refuses one that is no cluster's ARN", () => {
    const [rec] = podIdentity(CLUSTER, 'payments', 'payments-api');
    expect(observe(rec).link).toEqual({
      namespace: 'payments',
      serviceAccount: 'payments-api',
      roleArn: PAYMENTS,
      via: 'pod-identity',
      cluster: CLUSTER,
    });
    const bad = structuredClone(rec) as unknown as { requestParameters: { tags: { key: string; value: string }[] } };
    bad.requestParameters.tags[0]!.value = `${CLUSTER}*`;
    const out: unknown[] = [];
    decodeCloudTrailValue(bad, { file: 'f.json', line: 1 }, (x) => out.push(x));
    expect(out).toMatchObject([{ kind: 'issue', code: 'cloudtrail.bad-name' }]);
    expect((out[0] as { message: string }).message).toContain('is not the ARN of an EKS cluster');
  });

  it('writes the clusters in the profile and a trust asking aws:RequestTag/eks-cluster-arn of them', () => {
    const records = [
      ...podIdentity(CLUSTER, 'payments', 'payments-api'),
      ...podIdentity(OTHER, 'payments', 'payments-api', [4]),
      ...podIdentity(CLUSTER, 'payments', 'payments-worker'),
      call(PAYMENTS, 's3.amazonaws.com', 'ListBuckets', '2026-11-02T01:00:05Z'),
    ];
    const { dir, file } = trail(records);
    const profile = join(dir, 'p.json');
    expect(cli(['profile', '--cloudtrail', file, '-o', profile, '-q']).code).toBe(0);
    const assumes = readFileSync(profile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"assumes"'))
      .map((l) => (JSON.parse(l) as { principal: { username: string; assumes: { clusters?: string[] }[] } }).principal);
    expect(assumes.map((p) => [p.username, p.assumes.map((l) => l.clusters)])).toEqual([
      ['system:serviceaccount:payments:payments-api', [[CLUSTER, OTHER]]],
      ['system:serviceaccount:payments:payments-worker', [[CLUSTER]]],
    ]);
    const out = join(dir, 'out');
    expect(cli(['generate', 'iam', '--profile', profile, '-o', out, '-q']).code).toBe(0);
    // A statement per namespace and set of clusters: payments-worker was never seen on the batch cluster.
    expect(readJson(out, 'iam', A, 'role/payments.trust.json')['Statement']).toEqual([
      {
        Sid: 'PodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes-namespace': 'payments',
            'aws:RequestTag/kubernetes-service-account': 'payments-api',
            'aws:RequestTag/eks-cluster-arn': [CLUSTER, OTHER],
          },
        },
      },
      {
        Sid: 'PodIdentity2',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes-namespace': 'payments',
            'aws:RequestTag/kubernetes-service-account': 'payments-worker',
            'aws:RequestTag/eks-cluster-arn': CLUSTER,
          },
        },
      },
    ]);
    expect(cli(['verify', '--profile', profile, '--policies', out]).code).toBe(0);
  });

  it("merges two days' clusters of a link into their union", () => {
    const dir = tmp();
    const day = (name: string, cluster: string, d: number) => {
      const file = join(dir, `${name}.ct.json`);
      writeFileSync(file, JSON.stringify({ Records: podIdentity(cluster, 'payments', 'payments-api', [d]) }));
      expect(cli(['profile', '--cloudtrail', file, '-o', join(dir, `${name}.json`), '-q']).code).toBe(0);
      return join(dir, `${name}.json`);
    };
    const merged = join(dir, 'merged.json');
    const r = cli(['merge', day('b', OTHER, 3), day('a', CLUSTER, 2), '-o', merged, '-q']);
    expect(r.code).toBe(0);
    const line = readFileSync(merged, 'utf8')
      .split('\n')
      .find((l) => l.includes('"assumes"'))!;
    const link = (JSON.parse(line) as { principal: { assumes: { clusters: string[] }[] } }).principal.assumes[0]!;
    expect(link.clusters).toEqual([CLUSTER, OTHER]);
  });

  it('judges a trust on eks-cluster-arn by the clusters the records name (check)', () => {
    const { file } = trail([
      ...podIdentity(CLUSTER, 'payments', 'payments-api'),
      call(PAYMENTS, 's3.amazonaws.com', 'ListBuckets', '2026-11-02T01:00:05Z'),
    ]);
    const judged = (trust: unknown) => {
      const r = cli(['check', '--cloudtrail', file, '--policies', account(tmp(), trust), '--format', 'json']);
      const report = JSON.parse(r.stdout) as Record<string, { type: string; principal: string }[]>;
      return [...report['wouldDeny']!, ...report['undetermined']!, ...report['unused']!]
        .filter((f) => f.principal === 'system:serviceaccount:payments:payments-api')
        .map((f) => f.type);
    };
    // The EKS User Guide's trust, pinned to the cluster seen: allowed, not undetermined.
    expect(judged(docsTrust(CLUSTER))).toEqual([]);
    // Pinned to another cluster: the pods seen would get no credentials.
    expect(judged(docsTrust(OTHER))).toEqual(['would-deny']);
  });
});

const VENDOR = `arn:aws:iam::${A}:role/vendor-scanner`;
const AUDIT = `arn:aws:iam::${B}:role/audit-readonly`;

/** A vendor's cross-account AssumeRole with an external ID (the IAM User Guide's confused-deputy guard), a call. */
const vendorCalls = (day: number, externalId?: string) => [
  assume(session(VENDOR, `s${day}`), AUDIT, `2026-11-0${day}T01:00:00Z`, externalId ? { externalId } : {}),
  call(AUDIT, 'iam.amazonaws.com', 'ListRoles', `2026-11-0${day}T01:00:05Z`),
];

/** A trust letting the vendor in under `Condition` (none: no condition). */
const vendorTrust = (Condition?: unknown, Action: unknown = 'sts:AssumeRole') => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: VENDOR }, Action, ...(Condition ? { Condition } : {}) }],
});

/** `verify`'s findings on the vendor's AssumeRole under `trust` as the role's trust file. */
function verifyVendor(records: unknown[], trust: unknown): string[] {
  const out = generate(records);
  writeFileSync(join(out, 'iam', B, 'role/audit-readonly.trust.json'), JSON.stringify(trust));
  const r = cli(['verify', '--cloudtrail', trail(records).file, '--policies', out, '--format', 'json']);
  const report = JSON.parse(r.stdout) as Record<string, { subject: string; detail: string }[]>;
  const of = (k: string) => report[k]!.filter((f) => f.subject === VENDOR).map((f) => `${k}: ${f.detail}`);
  return [...of('notAllowed'), ...of('undetermined')];
}

describe('trusts keep the external ID the calls passed', () => {
  it("keeps an AssumeRole's requestParameters.externalId, and refuses one STS would not take", () => {
    expect(observe(vendorCalls(2, '7f1c9e2a-secret-ext')[0]).externalId).toBe('7f1c9e2a-secret-ext');
    expect(observe(vendorCalls(2)[0]).externalId).toBeUndefined();
    const out: unknown[] = [];
    decodeCloudTrailValue(vendorCalls(2, 'x${aws:username}')[0], { file: 'f.json', line: 1 }, (x) => out.push(x));
    expect(out).toMatchObject([{ kind: 'issue', code: 'cloudtrail.bad-name' }]);
  });

  it('writes sts:ExternalId of the values seen in the trust, and keeps them in the profile and its merge', () => {
    const records = [...vendorCalls(2, '7f1c9e2a-secret-ext'), ...vendorCalls(3, 'rotated-ext-2')];
    const out = generate(records);
    expect(readJson(out, 'iam', B, 'role/audit-readonly.trust.json')['Statement']).toEqual([
      {
        Sid: 'AssumedWithExternalId',
        Effect: 'Allow',
        Principal: { AWS: VENDOR },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': ['7f1c9e2a-secret-ext', 'rotated-ext-2'] } },
      },
    ]);
    // The caller's own policy is one grant, whatever external IDs it passed.
    expect(readJson(out, 'iam', A, 'role/vendor-scanner.json')['Statement']).toEqual([
      { Sid: 'StsAccess1', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [AUDIT] },
    ]);
    expect(verifyVendor(records, readJson(out, 'iam', B, 'role/audit-readonly.trust.json'))).toEqual([]);
    // In the profile: one AssumeRole edge per external ID; a merge of two days' profiles keeps both.
    const dir = tmp();
    const day = (d: number) => {
      const file = join(dir, `${d}.ct.json`);
      writeFileSync(
        file,
        JSON.stringify({ Records: vendorCalls(d, d === 2 ? '7f1c9e2a-secret-ext' : 'rotated-ext-2') }),
      );
      expect(cli(['profile', '--cloudtrail', file, '-o', join(dir, `${d}.json`), '-q']).code).toBe(0);
      return join(dir, `${d}.json`);
    };
    const merged = join(dir, 'merged.json');
    expect(cli(['merge', day(3), day(2), '-o', merged, '-q']).code).toBe(0);
    const ids = readFileSync(merged, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"aws":["sts.amazonaws.com","AssumeRole"'))
      .map((l) => (JSON.parse(l) as { externalId?: string }).externalId);
    expect(ids).toEqual(['7f1c9e2a-secret-ext', 'rotated-ext-2']);
    const again = join(dir, 'again');
    expect(cli(['generate', 'iam', '--profile', merged, '-o', again, '-q']).code).toBe(0);
    expect(readJson(again, 'iam', B, 'role/audit-readonly.trust.json')).toEqual(
      readJson(out, 'iam', B, 'role/audit-readonly.trust.json'),
    );
  });

  it('asks no external ID of a caller some of whose calls passed none', () => {
    const out = generate([...vendorCalls(2, '7f1c9e2a-secret-ext'), ...vendorCalls(3)]);
    expect(readJson(out, 'iam', B, 'role/audit-readonly.trust.json')['Statement']).toEqual([
      { Sid: 'AssumedByPrincipals', Effect: 'Allow', Principal: { AWS: VENDOR }, Action: 'sts:AssumeRole' },
    ]);
  });

  it("keeps a Pod Identity target role's sts:TagSession apart from its external ID (STS's keys)", () => {
    const out = generate([...targetChain(2), ...targetChain(3)]);
    expect(readJson(out, 'iam', B, 'role/payments-target.trust.json')['Statement']).toEqual([
      {
        Sid: 'AssumedWithExternalId',
        Effect: 'Allow',
        Principal: { AWS: PAYMENTS },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'a1b2c3d4-assoc' } },
      },
      { Sid: 'AssumedByPrincipals', Effect: 'Allow', Principal: { AWS: PAYMENTS }, Action: 'sts:TagSession' },
    ]);
  });

  it('judges a trust on sts:ExternalId by the values the calls passed (verify)', () => {
    const records = vendorCalls(2, '7f1c9e2a-secret-ext');
    const ext = (v: string) => ({ StringEquals: { 'sts:ExternalId': v } });
    expect(verifyVendor(records, vendorTrust(ext('7f1c9e2a-secret-ext')))).toEqual([]);
    expect(verifyVendor(records, vendorTrust(ext('another')))).toEqual([
      expect.stringMatching(
        /^notAllowed: .*no statement allows sts:AssumeRole for it \(external ID 7f1c9e2a-secret-ext\)$/,
      ),
    ]);
    // Calls that passed none, against a trust asking one: the profile cannot say (it predates external IDs, or
    // they were not logged), so undetermined, never allowed.
    expect(verifyVendor(vendorCalls(2), vendorTrust(ext('7f1c9e2a-secret-ext')))).toEqual([
      expect.stringMatching(/^undetermined: /),
    ]);
  });
});

/**
 * The narrowing conditions `generate iam` writes beside whom a trust names (the clusters seen, the external IDs
 * passed), in `diff` and `check`. Before: a diff's stand-in request for a Pod Identity service account carried no
 * cluster, and one for an IAM principal no external ID, so the side pinning them was undetermined and the same subject
 * named on both sides hid the change: a pull request dropping the pin diffed clean.
 */
describe('trust pins: eks-cluster-arn and sts:ExternalId in diff and check', () => {
  /** The generated tree and a copy of it as committed, the role's trust in it edited by `edit`. */
  function trees(records: unknown[], account: string, role: string, edit: (statements: Stmt[]) => void) {
    const generated = generate(records);
    const committed = join(tmp(), 'committed');
    cpSync(generated, committed, { recursive: true });
    const file = join(committed, 'iam', account, `role/${role}.trust.json`);
    const trust = JSON.parse(readFileSync(file, 'utf8')) as { Statement: Stmt[] };
    edit(trust.Statement);
    writeFileSync(file, JSON.stringify(trust, null, 2) + '\n');
    return { generated, committed };
  }
  type Stmt = { Condition?: { StringEquals?: Record<string, unknown> } };
  const diff = (base: string, head: string, failOn = 'any') => {
    const r = cli(['diff', base, head, '--kind', 'iam', '--format', 'json', '--fail-on', failOn]);
    const d = JSON.parse(r.stdout) as Record<string, { summary: string; risk?: { level: string } }[]>;
    const said = (k: string) => d[k]!.map((f) => [f.summary, f.risk?.level]);
    return {
      code: r.code,
      added: said('newAccess'),
      removed: said('removedAccess'),
      undetermined: said('undetermined'),
    };
  };
  const podRecords = [
    ...podIdentity(CLUSTER, 'payments', 'payments-api'),
    call(PAYMENTS, 's3.amazonaws.com', 'ListBuckets', '2026-11-02T01:00:05Z'),
  ];

  it('diff: a Pod Identity trust losing its cluster pin is new access (low), gaining it removed access', () => {
    const { generated, committed } = trees(podRecords, A, 'payments', (st) => {
      delete st[0]!.Condition!.StringEquals!['aws:RequestTag/eks-cluster-arn'];
    });
    const any = [
      'sts:AssumeRole by system:serviceaccount:payments:payments-api of any EKS cluster: statement PodIdentity sets no condition on the session tag eks-cluster-arn',
      'low',
    ];
    // The pull request drops the pin: new access, risky.
    expect(diff(generated, committed, 'risky')).toEqual({ code: 1, added: [any], removed: [], undetermined: [] });
    // Adopting the generated tree adds it: pods of other clusters are refused.
    expect(diff(committed, generated)).toEqual({ code: 1, added: [], removed: [any], undetermined: [] });
    // Another cluster pinned: the one seen is removed access, the other new.
    const moved = trees(podRecords, A, 'payments', (st) => {
      st[0]!.Condition!.StringEquals!['aws:RequestTag/eks-cluster-arn'] = OTHER;
    });
    const from = (c: string) => [
      `sts:AssumeRole by system:serviceaccount:payments:payments-api: statement PodIdentity lets it in through EKS Pod Identity from the cluster ${c}`,
      undefined,
    ];
    expect(diff(moved.generated, moved.committed)).toEqual({
      code: 1,
      added: [from(OTHER)],
      removed: [from(CLUSTER)],
      undetermined: [],
    });
    expect(diff(generated, generated)).toEqual({ code: 0, added: [], removed: [], undetermined: [] });
  });

  it('diff: a trust losing sts:ExternalId is new access (medium across accounts), gaining it removed access', () => {
    const records = vendorCalls(2, '7f1c9e2a-secret-ext');
    const { generated, committed } = trees(records, B, 'audit-readonly', (st) => {
      delete st[0]!.Condition;
    });
    const any = [
      `sts:AssumeRole by ${VENDOR} with any external ID or none: statement AssumedWithExternalId sets no condition on sts:ExternalId`,
      'medium',
    ];
    expect(diff(generated, committed, 'risky')).toEqual({ code: 1, added: [any], removed: [], undetermined: [] });
    expect(diff(committed, generated)).toEqual({ code: 1, added: [], removed: [any], undetermined: [] });
    // Another external ID: the one the calls passed is removed access.
    const rotated = trees(records, B, 'audit-readonly', (st) => {
      st[0]!.Condition!.StringEquals!['sts:ExternalId'] = 'rotated-ext-2';
    });
    const withId = (id: string) => [
      `sts:AssumeRole by ${VENDOR}: statement AssumedWithExternalId lets it in with external ID ${id}`,
      undefined,
    ];
    expect(diff(rotated.generated, rotated.committed)).toEqual({
      code: 1,
      added: [withId('rotated-ext-2')],
      removed: [withId('7f1c9e2a-secret-ext')],
      undetermined: [],
    });
    // An account's grant losing the external ID: its stand-in role passes a made-up one, which the pin refuses.
    const account = trees(records, B, 'audit-readonly', (st) => {
      (st[0] as { Principal: unknown }).Principal = { AWS: A };
    });
    const unpinned = trees(records, B, 'audit-readonly', (st) => {
      (st[0] as { Principal: unknown }).Principal = { AWS: A };
      delete st[0]!.Condition;
    });
    expect(diff(account.committed, unpinned.committed).added).toEqual([
      [
        `sts:AssumeRole by any principal of account ${A}: statement AssumedWithExternalId names the account, not a principal`,
        'high',
      ],
    ]);
  });

  it('check: a Pod Identity trust naming the service account but no cluster is an unused grant, risk low', () => {
    const { file } = trail(podRecords);
    const unused = (trust: unknown) => {
      const r = cli(['check', '--cloudtrail', file, '--policies', account(tmp(), trust), '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Record<string, { summary: string; risk?: { level: string } }[]>;
      return report['unused']!.filter((f) => f.summary.startsWith('sts:')).map((f) => [f.summary, f.risk?.level]);
    };
    expect(unused(docsTrust(CLUSTER))).toEqual([]);
    const unpinned = docsTrust(CLUSTER);
    delete (unpinned.Statement[0]!.Condition.StringEquals as Record<string, string>)['aws:RequestTag/eks-cluster-arn'];
    expect(unused(unpinned)).toEqual([
      [
        'sts:AssumeRole by system:serviceaccount:payments:payments-api of any EKS cluster: statement #0 sets no condition on the session tag eks-cluster-arn; ' +
          `assumed by it in the logs from ${CLUSTER}`,
        'low',
      ],
    ]);
    // Already risks of their own: a token of any issuer, another account's every principal without an external ID.
    const broad = docsTrust(CLUSTER);
    (broad.Statement as unknown[]).push(
      { Effect: 'Allow', Principal: { Federated: '*' }, Action: 'sts:AssumeRoleWithWebIdentity' },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sts:AssumeRole' },
    );
    expect(unused(broad)).toEqual([
      [
        `sts:AssumeRole by any principal of account ${B}: statement #2 names the account, not a principal; never assumed in the logs`,
        'high',
      ],
      [
        "sts:AssumeRoleWithWebIdentity by any service account (any issuer): statement #1 sets no condition on the token's subject; never assumed in the logs",
        'high',
      ],
    ]);
  });
});
