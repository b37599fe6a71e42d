import type { IamAccess } from '../src/model/finding.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIam } from '../src/generate/iam/index.js';
import { buildIamPolicySet, verifyIam } from '../src/verify/iam.js';
import { emptyReport } from '../src/verify/rbac.js';
import { firstVariableSegment } from '../src/knowledge/aws/variableSegments.js';
import { generatedName } from '../src/knowledge/kubernetes/generatedNames.js';
import type { AwsCallObservation } from '../src/model/observation.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, tmp } from './helpers/cli.js';

/**
 * Names real clusters and AWS services make up, taken from the code or documentation that makes them, and names
 * that look alike but stay: the day after a soak, a made-up name kept exact breaks, a stable one generalized is
 * excess.
 */
describe('names controllers and tools make up, from their source', () => {
  it.each([
    // helm pkg/storage makeKey: `sh.helm.release.v1.<release>.v<revision>`, the revision grows with every upgrade.
    ['sh.helm.release.v1.web.v1', 'helm-release'],
    ['sh.helm.release.v1.cert-manager.v12', 'helm-release'],
    // client-go tools/record: an Event is `<object>.<UnixNano in hex>`.
    ['web-7d9f8b6c5d-x2x9k.1875f5c1a8e3b2d4', 'event'],
    ['db-0.17a3b5c7d9e1f234', 'event'],
    // kustomize api/hasher: ten characters of the sha256 hex with 0,1,3,a,e mapped to g,h,k,m,t.
    ['app-config-7g2h9k5b8d', 'kustomize-hash'],
    ['db-secret-2mtk4hg9gc', 'kustomize-hash'],
    // A hash of no digit, one in 300 (sha256 hex 0ddba13d0b…): the mapped letters still say what it is.
    ['app-config-gddbmhkdgb', 'kustomize-hash'],
    // apimachinery ComputeHash: SafeEncodeString of the decimal FNV-32a, so only 4-9 and b,c,d,f.
    ['web-7d9f8b6c5d', 'replicaset'],
    ['web-5d8b9c7f6', 'replicaset'],
    // Argo Workflows GeneratePodName: `<workflow>-<template>-<decimal FNV-32a of the node name>`.
    ['ci-wf-x2k9p-main-2387467110', 'fnv-hash'],
    ['hello-xzkql-123456789', 'fnv-hash'],
    // cert-manager ComputeName: Orders `<request>-<decimal FNV-32>`, Challenges `<order>-<decimal FNV-32>`.
    ['web-tls-x2k9p-3312964542', 'fnv-hash'],
    ['web-tls-x2k9p-3312964542-4027521786', 'fnv-hash'],
    // Spark KubernetesUtils.uniqueID: 6 random hex + the time in hex (16 hex digits), driver and executor pods.
    ['spark-pi-3f2a8e8b2c1d4e7f-driver', 'hex-id'],
    ['spark-pi-0a9c1b78e3d4f5a6-exec-12', 'hex-id'],
    // Velero Schedule.TimestampedName: `<schedule>-<20060102150405>`.
    ['daily-20261108010000', 'dated'],
    ['snap-202611080100', 'dated'],
    // EC2 node names: private IP DNS names and, with resource-based naming, the instance id.
    ['ip-10-0-1-23.ec2.internal', 'ec2-node'],
    ['ip-10-0-1-23.eu-west-1.compute.internal', 'ec2-node'],
    ['i-0abc1234def567890.eu-west-1.compute.internal', 'ec2-node'],
    // GKE nodes: `gke-<cluster>-<pool>-<instance group hash>-<random>` (Kubernetes' AppArmor tutorial); `gk3-`.
    ['gke-test-default-pool-239f5d02-gyn2', 'gke-node'],
    ['gk3-prod-autopilot-pool-2-9f8e7d6c-x7k2', 'gke-node'],
    // AKS nodes: the scale set and its base-36 instance id (`vmss00000z` too), or an availability set's ordinal.
    ['aks-nodepool1-11400876-vmss000000', 'aks-node'],
    ['aks-nodepool1-51397738-vmss00000z', 'aks-node'],
    ['aks-nodepool1-79590246-0', 'aks-node'],
    // Nodes named by their address (OKE virtual nodes).
    ['10.0.5.207', 'address-node'],
    // Tekton: a PipelineRun's generateName suffix, its TaskRun and the TaskRun's `-pod`.
    ['build-run-x2k9p-fetch-pod', 'tekton-pod'],
    ['build-run-x2k9p-fetch-pod-retry1', 'tekton-pod'],
    // Already known: cert-manager CertificateRequests use generateName, Karpenter NodeClaims `<nodepool>-` too.
    ['web-tls-x2k9p', 'generated-suffix'],
    ['default-4k9xz', 'generated-suffix'],
    ['report-29384750-x2x9k', 'cronjob-pod'],
  ])('%s is made up (%s)', (name, id) => {
    expect(generatedName(name)?.id).toBe(id);
  });

  it.each([
    // Leader-election Leases keep their name for the component's life (controller-runtime's `<hash>.<domain>` too).
    'cert-manager-controller',
    'kube-controller-manager',
    'ingress-nginx-leader',
    '8f7c1a2b.acme.io',
    'external-attacher-leader-ebs-csi-aws-com',
    'karpenter-leader-election',
    // Names people choose that come near the shapes above.
    'spark-pi-driver',
    'helm-release-notes',
    'web-config',
    'payments-db',
    'db-0',
    'release-2026',
    'feature-flags-v2',
    'web-tls',
    // Ten letters of the hash's alphabet but none only its mapping makes.
    'app-config-bbcddfcbdf',
    'ip-allowlist',
    'build-pod',
    'web.config',
    'coredns-12345',
    'default',
    // Near the node shapes: a chosen name, a version, a pool.
    'gke-metadata-server',
    'aks-nodepool1',
    'aks-ingress-12345678',
    '10.0.5',
    'v1.29.7',
    '300.1.2.3',
  ])('%s looks chosen', (name) => expect(generatedName(name)).toBeUndefined());

  it('a Helm release Secret is made up even alone; a Secret that only has a generateName shape is not', () => {
    expect(generatedName('sh.helm.release.v1.web.v3')?.alone).toBe(true);
    expect(generatedName('web-token-2x9kq')?.alone).toBeFalsy();
  });
});

describe('object keys and log streams written per run, from the documentation of their writers', () => {
  it.each([
    // Athena: Hive-style partitions `key=value` (`year=2021/month=01/day=26/`).
    ['events/dt=2026-11-08/hour=01/part-00000.parquet', 1, 'a date'],
    ['logs/year=2026/month=11/day=08/x.json', 1, 'a date (year/month/day)'],
    ['tbl/country=us/dt=2026-11-08-01/x.json', 2, 'a date'],
    ['tbl/ingest_ts=1762041600/x.json', 1, 'a Unix time'],
    // Firehose: `YYYY/MM/dd/HH/<stream>-<version>-<year>-<month>-<day>-<hour>-<minute>-<second>-<uuid>`.
    ['2026/11/08/01/orders-1-2026-11-08-01-00-00-3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab', 0, 'a date (year/month/day)'],
    // Athena query results: `<query id>.csv`.
    ['athena-results/3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab.csv', 1, 'a UUID'],
    // Lambda: `YYYY/MM/DD/[$LATEST]<hex>`; ECS awslogs: `<prefix>/<container>/<task id>`; EKS control plane.
    ['2026/11/08/[$LATEST]35aa9c956b4fe8e908a7834893e8d9af', 0, 'a date (year/month/day)'],
    ['ecs/web/0b1c2d3e4f5a46b7a8c9d0e1f2a3b4c5', 2, 'a hex id'],
    // Random ids in letters and digits: nanoid (its `_` and `-` split it), Stripe-style ids, short lower-case ids.
    ['uploads/V1StGXR8_Z5jdHi6B-myT.png', 1, 'a generated id'],
    ['invoices/cus_NffrFeUfNV2Hib/2.pdf', 1, 'a generated id'],
    ['cache/x7k2m9q4/blob', 1, 'a generated id'],
  ] as const)('%s: variable from segment %i (%s)', (key, index, why) => {
    expect(firstVariableSegment(key.split('/'))).toEqual({ index, why });
  });
  it.each([
    'tbl/country=us/x.json',
    'tbl/region=eu-west-1/latest.json',
    'year=2026/summary.csv',
    'conf/env=prod/app.yaml',
    // Words, camelCase names and versions with digits change class between few neighbours.
    'assets/S3Bucket/OAuth2Token.json',
    'tools/sha256sum/Html5Game.zip',
    'devices/iPhone12Pro/K8sCluster.yaml',
    'reports/Quarterly_Report-2024.pdf',
    'media/thumbs200x200/JavaScript.png',
  ])('%s is stable', (key) => expect(firstVariableSegment(key.split('/'))).toBeUndefined());
});

const ACCOUNT = '111122223333';
function awsCall(eventSource: string, eventName: string, resources: string[], time: string): AwsCallObservation {
  return {
    kind: 'aws-call',
    principal: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/etl`, account: ACCOUNT },
    eventSource,
    eventName,
    region: 'eu-west-1',
    account: ACCOUNT,
    decision: 'allow',
    errorCode: '',
    time,
    id: `${eventName}-${resources.join(',')}-${time}`,
    resources,
    implied: [],
  };
}

describe('IAM: per-run resources beyond keys and streams', () => {
  it('an ECS task and a Step Functions execution become a wildcard after their parent; tables and queues stay', async () => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    const ecs = `arn:aws:ecs:eu-west-1:${ACCOUNT}`;
    const states = `arn:aws:states:eu-west-1:${ACCOUNT}`;
    for (let d = 2; d <= 5; d++) {
      const t = `2026-11-0${d}T01:00:00.000000Z`;
      b.add(awsCall('ecs.amazonaws.com', 'DescribeTasks', [`${ecs}:task/jobs/${d}b1c2d3e4f5a46b7a8c9d0e1f2a3b4c5`], t));
      b.add(
        awsCall(
          'states.amazonaws.com',
          'DescribeExecution',
          [`${states}:execution:nightly-etl:${d}f2a1b6c-9d4e-4f5a-8b7c-0123456789ab`],
          t,
        ),
      );
      b.add(
        awsCall('dynamodb.amazonaws.com', 'GetItem', [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/etl-state-2026`], t),
      );
    }
    const r = await generateIam(b.toProfile());
    const byAction = new Map(
      r.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Action.map((a) => [a, s.Resource] as const)),
    );
    expect(byAction.get('ecs:DescribeTasks')).toEqual([`${ecs}:task/jobs/*`]);
    // The catalogue also authorizes DescribeExecution on an Express execution, which the generator implies.
    expect(byAction.get('states:DescribeExecution')).toEqual([
      `${states}:execution:nightly-etl:*`,
      `${states}:express:nightly-etl:*`,
    ]);
    expect(byAction.get('dynamodb:GetItem')).toEqual([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/etl-state-2026`]);
    expect(r.widenings.filter((w) => w.option === 'generated-keys').map((w) => w.detail)).toEqual([
      expect.stringMatching(
        /^ecs:DescribeTasks: 4 resources named with an ECS task id .* → arn:aws:ecs:eu-west-1:111122223333:task\/jobs\/\*$/,
      ),
      expect.stringMatching(
        /^states:DescribeExecution: 4 resources named with an execution's name .* → .*:execution:nightly-etl:\*$/,
      ),
      expect.stringMatching(
        /^states:DescribeExecution: 4 resources named with an execution's name .* → .*:express:nightly-etl:\*$/,
      ),
    ]);
    const exact = await generateIam(b.toProfile(), { exact: true });
    expect(exact.widenings.filter((w) => w.option === 'generated-keys')).toEqual([]);
  });

  it('revisions AWS numbers at each deploy (task and job definitions, Lambda versions) become the family; aliases stay', async () => {
    const ecs = `arn:aws:ecs:eu-west-1:${ACCOUNT}`;
    const batch = `arn:aws:batch:eu-west-1:${ACCOUNT}`;
    const lambda = `arn:aws:lambda:eu-west-1:${ACCOUNT}`;
    const training = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 4; d++) {
      const t = `2026-11-0${d}T01:00:00.000000Z`;
      training.add(awsCall('ecs.amazonaws.com', 'RunTask', [`${ecs}:task-definition/etl:${40 + d}`], t));
      training.add(awsCall('batch.amazonaws.com', 'SubmitJob', [`${batch}:job-definition/nightly:${6 + d}`], t));
      training.add(awsCall('lambda.amazonaws.com', 'Invoke', [`${lambda}:function:resize:${10 + d}`], t));
      training.add(awsCall('lambda.amazonaws.com', 'Invoke', [`${lambda}:function:thumbnail:live`], t));
    }
    const r = await generateIam(training.toProfile());
    // (SubmitJob also takes a job queue and a job, which the call here does not name: listed apart.)
    const resources = r.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Resource)
      .filter((x) => /definition|function/.test(x))
      .sort();
    expect(resources).toEqual([
      `${batch}:job-definition/nightly:*`,
      `${ecs}:task-definition/etl:*`,
      `${lambda}:function:resize:*`,
      `${lambda}:function:thumbnail:live`,
    ]);
    // The next deploy's revisions, on the held-out day, are allowed; another family is not.
    const { set } = buildIamPolicySet(
      r.artefacts.flatMap((a) => a.policies.map((p) => ({ file: p.path, index: 0, object: p.document }))),
    );
    const heldOut = new ProfileBuilder(new Scope(defaultScope()));
    const t = '2026-11-08T01:00:00.000000Z';
    heldOut.add(awsCall('ecs.amazonaws.com', 'RunTask', [`${ecs}:task-definition/etl:45`], t));
    heldOut.add(awsCall('batch.amazonaws.com', 'SubmitJob', [`${batch}:job-definition/nightly:11`], t));
    heldOut.add(awsCall('lambda.amazonaws.com', 'Invoke', [`${lambda}:function:resize:15`], t));
    heldOut.add(awsCall('ecs.amazonaws.com', 'RunTask', [`${ecs}:task-definition/other:1`], t));
    const profile = heldOut.toProfile();
    const report = emptyReport(profile);
    await verifyIam(profile, set, report);
    expect(report.notAllowed.map((f) => (f.access as IamAccess).resource)).toEqual([`${ecs}:task-definition/other:1`]);
  });

  it('SageMaker jobs named by the SDK (`<base>-<time>`) keep their base; a name without a run part stays', async () => {
    const sm = `arn:aws:sagemaker:eu-west-1:${ACCOUNT}`;
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (let d = 2; d <= 4; d++) {
      const t = `2026-11-0${d}T01:00:00.000000Z`;
      b.add(
        awsCall(
          'sagemaker.amazonaws.com',
          'DescribeTrainingJob',
          [`${sm}:training-job/churn-2026-11-0${d}-01-00-07-${d}12`],
          t,
        ),
      );
      b.add(
        awsCall('sagemaker.amazonaws.com', 'DescribeProcessingJob', [`${sm}:processing-job/prep-26110${d}-0100`], t),
      );
      b.add(awsCall('sagemaker.amazonaws.com', 'DescribeTrainingJob', [`${sm}:training-job/golden-run`], t));
    }
    const r = await generateIam(b.toProfile());
    const resources = r.artefacts[0]!.policies[0]!.document.Statement.flatMap((s) => s.Resource).sort();
    expect(resources).toEqual([
      `${sm}:processing-job/prep-*`,
      `${sm}:training-job/churn-*`,
      `${sm}:training-job/golden-run`,
    ]);
    expect(r.widenings.map((w) => w.detail)).toContainEqual(
      expect.stringMatching(/^sagemaker:DescribeTrainingJob: 3 resources named with a job's name with a date in it /),
    );
  });
});

/**
 * Eight days of a cluster and an account, with the made-up names above: trained on days 2-7, replayed on 8-9. Every
 * access of the held-out days is one the soak had in kind, under the next name.
 */
function soak(dir: string): { audit: string; trail: string } {
  const audit: string[] = [];
  const trail: string[] = [];
  let i = 0;
  const k8s = (user: string, verb: string, resource: string, ns: string, name: string, time: string, group = '') =>
    audit.push(
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: `k-${i++}`,
        stage: 'ResponseComplete',
        requestURI: `/api/v1/${resource}`,
        verb,
        user: { username: user, groups: ['system:authenticated'] },
        objectRef: {
          resource,
          ...(ns ? { namespace: ns } : {}),
          ...(name ? { name } : {}),
          apiGroup: group,
          apiVersion: 'v1',
        },
        responseStatus: { code: verb === 'create' ? 201 : 200 },
        requestReceivedTimestamp: time,
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      }),
    );
  const aws = (eventSource: string, eventName: string, requestParameters: object, time: string) =>
    trail.push(
      JSON.stringify({
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/etl/s`,
          accountId: ACCOUNT,
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/etl`, accountId: ACCOUNT },
          },
        },
        eventTime: time,
        eventSource,
        eventName,
        awsRegion: 'eu-west-1',
        requestParameters,
        eventID: `a-${i++}`,
        recipientAccountId: ACCOUNT,
        eventCategory: eventSource === 's3.amazonaws.com' ? 'Data' : 'Management',
      }),
    );
  const hex = (d: number) => `${d}b1c2d3e4f5a46b7a8c9d0e1f2a3b4c5`;
  const fnv = [
    '2387467110',
    '3312964542',
    '4027521786',
    '1953627481',
    '2745913680',
    '3894561207',
    '2210983746',
    '4111627385',
  ];
  const suffix = ['x2k9p', 'b7k2q', 'm5n4z', 't6v8w', 'c4d7f', 'g8h9j', 'k2l4m', 'n5p6q'];
  for (let d = 2; d <= 9; d++) {
    const t = (h: number) => `2026-11-0${d}T${String(h).padStart(2, '0')}:00:00.000000Z`;
    // A release auditor reads the Helm release's current revision: upgraded on day 5 and day 8.
    const rev = d < 5 ? 1 : d < 8 ? 2 : 3;
    k8s('system:serviceaccount:ops:auditor', 'get', 'secrets', 'shop', `sh.helm.release.v1.web.v${rev}`, t(1));
    // An operator records Events on its database pod, counting repeats with a patch of the Event.
    k8s(
      'system:serviceaccount:ops:operator',
      'patch',
      'events',
      'shop',
      `db-0.${(0x1875f5c1a8e3b2d4n + BigInt(d) * 86_400_000_000_000n).toString(16)}`,
      t(2),
    );
    // ...and renews its leader-election Lease, by name, every day.
    k8s(
      'system:serviceaccount:ops:operator',
      'update',
      'leases',
      'ops',
      '8f7c1a2b.acme.io',
      t(2),
      'coordination.k8s.io',
    );
    // An Argo Workflows executor patches the pod it runs in.
    k8s('system:serviceaccount:wf:runner', 'patch', 'pods', 'wf', `ci-wf-${suffix[d - 2]}-main-${fnv[d - 2]}`, t(3));
    // A node agent reads the node it runs on; the autoscaler replaced the node on day 8.
    k8s(
      'system:serviceaccount:monitoring:node-agent',
      'get',
      'nodes',
      '',
      `ip-10-0-${d < 8 ? 1 : 2}-23.eu-west-1.compute.internal`,
      t(4),
    );
    // The app reads its kustomize-generated ConfigMap; its content changed on day 8.
    k8s(
      'system:serviceaccount:shop:web',
      'get',
      'configmaps',
      'shop',
      d < 8 ? 'web-config-7g2h9k5b8d' : 'web-config-5bk8g6dt2m',
      t(5),
    );
    const at = `2026-11-0${d}T06:00:00Z`;
    aws(
      's3.amazonaws.com',
      'PutObject',
      { bucketName: 'acme-lake', key: `events/dt=2026-11-0${d}/hour=01/part-00000.parquet` },
      at,
    );
    aws('ecs.amazonaws.com', 'DescribeTasks', { cluster: 'jobs', tasks: [hex(d)] }, at);
    aws(
      'states.amazonaws.com',
      'DescribeExecution',
      {
        executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:nightly-etl:${d}f2a1b6c-9d4e-4f5a-8b7c-0123456789ab`,
      },
      at,
    );
    aws('dynamodb.amazonaws.com', 'GetItem', { tableName: 'etl-state' }, at);
  }
  const auditFile = join(dir, 'audit.log');
  const trailFile = join(dir, 'trail.jsonl');
  writeFileSync(auditFile, audit.join('\n') + '\n');
  writeFileSync(trailFile, trail.join('\n') + '\n');
  return { audit: auditFile, trail: trailFile };
}

let files = { audit: '', trail: '' };
beforeAll(() => {
  files = soak(tmp());
});

const backtest = (...more: string[]) => {
  const r = cli([
    'backtest',
    '--k8s-audit',
    files.audit,
    '--cloudtrail',
    files.trail,
    '--split',
    '2026-11-08T00:00:00Z',
    '--format',
    'json',
    '-q',
    ...more,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    observed: number;
    allowed: number;
    wouldDeny: { kind: string; subject: string; access: Record<string, unknown> }[];
    generalized: { detail: string }[];
  };
};

describe('backtest over the made-up names of a real cluster and account', () => {
  it('--exact breaks on each of them the day after the soak', () => {
    const j = backtest('--exact');
    const denied = j.wouldDeny.map((f) => `${f.subject} ${JSON.stringify(f.access)}`).join('\n');
    for (const x of [
      'sh.helm.release.v1.web.v3',
      'db-0.',
      'ci-wf-',
      'ip-10-0-2-23',
      'web-config-5bk8g6dt2m',
      'dt=2026-11-08',
      'task/jobs/',
      'execution:nightly-etl:',
    ])
      expect(denied).toContain(x);
    expect(denied).not.toContain('8f7c1a2b.acme.io');
    expect(denied).not.toContain('etl-state');
  });

  it('by default none of them breaks, and the stable Lease and table keep their names', () => {
    const j = backtest();
    expect(j.wouldDeny).toEqual([]);
    expect(j.allowed).toBe(j.observed);
    const generalized = j.generalized.map((g) => g.detail).join('\n');
    expect(generalized).not.toContain('leases');
    expect(generalized).not.toContain('etl-state');
    const rbac = cli(['generate', 'rbac', '--k8s-audit', files.audit]).stdout;
    expect(rbac).toMatch(/resourceNames:\n\s+- 8f7c1a2b\.acme\.io/);
    const iam = cli(['generate', 'iam', '--cloudtrail', files.trail]).stdout;
    expect(iam).toContain(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/etl-state"`);
  });
});
