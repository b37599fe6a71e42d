#!/usr/bin/env node
// Generates the demo environment's audit logs (fixtures/demo/k8s-audit), its CloudTrail (fixtures/demo/cloudtrail)
// and their counts (README.md is hand-written).
// Seeded and byte-stable: `node scripts/gen-demo.js [outDir]` writes the same bytes every time.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateCloudTrail } from './lib/demo-cloudtrail.js';
import { writeDemoAccount } from './lib/demo-iam.js';
import { generateNetwork } from './lib/demo-network.js';
import { mulberry32 } from './lib/prng.js';
import {
  BACKUP_RUNS,
  DAY,
  DAYS,
  DB_PODS,
  DB_SCALE,
  HOUR,
  HPA,
  isoDate,
  MIN,
  randomSuffix,
  REPORT_RUNS,
  START,
  WEB_PODS,
  WEB_ROLLOUT,
  webHash,
  webPodAt,
} from './lib/demo-timeline.js';

const SEED = 20261102;

const rand = mulberry32(SEED);
const int = (n) => Math.floor(rand() * n);
const jitter = (ms) => Math.floor(rand() * ms);
const hex = (n) => Array.from({ length: n }, () => int(16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]}${hex(3)}-${hex(12)}`;
/** A generateName suffix: five characters of apimachinery's alphabet. */
const sfx = () => randomSuffix(int);
const micro = (ms, extraMicros) => new Date(ms).toISOString().slice(0, 23) + String(extraMicros).padStart(3, '0') + 'Z';

// ---- the environment -------------------------------------------------------------------------
export const ENV = {
  cluster: 'acme-staging',
  account: '111122223333',
  nodes: [
    { name: 'ip-10-0-1-23.ec2.internal', ip: '10.0.1.23' },
    { name: 'ip-10-0-2-41.ec2.internal', ip: '10.0.2.41' },
    { name: 'ip-10-0-3-17.ec2.internal', ip: '10.0.3.17' },
  ],
  workloads: [
    {
      ns: 'shop',
      sa: 'web',
      kind: 'Deployment',
      name: 'web',
      ip: WEB_PODS[0].ip,
      agent: 'web/1.4.2 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: 'storefront: reads its configmap web-config often and its TLS secret web-tls; watches configmaps in shop (informer)',
    },
    {
      ns: 'shop',
      sa: 'cart',
      kind: 'Deployment',
      name: 'cart',
      ip: '10.0.1.102',
      agent: 'cart/2.0.1 (linux/amd64) kubernetes/v1.31.2',
      role: 'arn:aws:iam::111122223333:role/shop-cart',
      does: 'cart API: reads configmap cart-config; lists and watches endpoints in shop. Later: S3 bucket acme-staging-carts and DynamoDB table carts through IRSA',
    },
    {
      ns: 'payments',
      sa: 'payments-api',
      kind: 'Deployment',
      name: 'payments-api',
      ip: '10.0.2.110',
      agent: 'payments-api/3.2.0 (linux/amd64) kubernetes/v1.31.2',
      role: 'arn:aws:iam::111122223333:role/payments-api',
      does: 'reads secret payments-db and configmap payments-config; leader election on lease payments-api-leader. Later: a KMS key and a Secrets Manager secret',
    },
    {
      ns: 'monitoring',
      sa: 'pod-watcher',
      kind: 'Deployment',
      name: 'pod-watcher',
      ip: '10.0.3.120',
      agent: 'pod-watcher/0.9.0 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: 'a controller: lists and watches pods in all namespaces, reads nodes and namespaces; reads each new pod of shop/web and its log by name as it starts, and the long-lived one every six hours',
    },
    {
      ns: 'ci',
      sa: 'job-runner',
      kind: 'Deployment',
      name: 'job-runner',
      ip: '10.0.2.130',
      agent: 'job-runner/1.1.0 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: 'runs CI jobs as pods in ci during working hours: creates, polls, reads logs of and deletes them',
    },
    {
      ns: 'ci',
      sa: 'deployer',
      kind: 'Job',
      name: 'deploy',
      ip: '10.0.2.131',
      agent: 'deployer/5.3.1 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: 'the CI deploy pipeline: gets and patches deployments web and cart in shop and payments-api in payments, reads their status, lists replicasets',
    },
    {
      ns: 'ops',
      sa: 'cert-operator',
      kind: 'Deployment',
      name: 'cert-operator',
      ip: '10.0.3.140',
      agent: 'cert-operator/1.15.0 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: 'an operator with cluster-scoped reads: namespaces and CRDs; certificates in shop and payments; writes *-tls secrets; leader election in ops',
    },
    {
      ns: 'ops',
      sa: 'backup',
      kind: 'CronJob',
      name: 'backup',
      ip: '10.0.3.150',
      agent: 'backup/2.2.0 (linux/amd64) kubernetes/v1.31.2',
      role: 'arn:aws:iam::111122223333:role/ops-backup',
      does: "nightly at 02:00: lists PVCs in ops, reads secret backup-s3-credentials, creates volume snapshots in shop and payments and a backups.acme.io object nightly-<date>, reads and patches the previous night's. Later: S3 bucket acme-staging-backups",
    },
    {
      ns: 'ops',
      sa: 'report',
      kind: 'CronJob',
      name: 'report',
      ip: REPORT_RUNS[0].ip,
      agent: 'report/1.3.0 (linux/amd64) kubernetes/v1.31.2',
      role: 'arn:aws:iam::111122223333:role/ops-report',
      does: 'daily at 05:30: reads configmap report-config. Later: its template and a per-run export in S3 bucket acme-staging-reports, a log stream per run in CloudWatch Logs',
    },
    {
      ns: 'ops',
      sa: 'report-reader',
      kind: 'Deployment',
      name: 'report-reader',
      ip: '10.0.3.142',
      agent: 'report-reader/0.4.1 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: "collects each report run: polls the Job by name, finds its pod, reads the pod's log, deletes the Job",
    },
    {
      ns: 'ops',
      sa: 'db-operator',
      kind: 'Deployment',
      name: 'db-operator',
      ip: '10.0.3.144',
      agent: 'db-operator/0.12.0 (linux/amd64) kubernetes/v1.31.2',
      role: null,
      does: "looks after StatefulSet shop/db every two hours: reads it, each of its pods and each pod's volume claim by name",
    },
  ],
};

// ---- events ----------------------------------------------------------------------------------
const events = [];
const saUser = (ns, name) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  uid: uuid(),
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});
const users = {};
for (const w of ENV.workloads) users[`${w.ns}:${w.sa}`] = { ...saUser(w.ns, w.sa), ip: w.ip, agent: w.agent };
// Where a pod is replaced during the soak, requests come from the address of the pod running then.
users['shop:web'].ipAt = (t) => webPodAt(t).ip;
users['ops:report'].ipAt = (t) => REPORT_RUNS[Math.floor((t - START) / DAY)].ip;
const ALICE = {
  username: 'alice@acme.example',
  uid: uuid(),
  groups: ['sre', 'system:authenticated'],
  ip: '192.168.40.12',
  agent: 'kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46',
};
const CI_ADMIN = {
  username: 'ci-admin',
  uid: uuid(),
  groups: ['ci-admins', 'system:authenticated'],
  ip: '10.0.2.5',
  agent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
};
const system = {
  kcm: {
    username: 'system:kube-controller-manager',
    groups: ['system:authenticated'],
    ip: '10.0.1.23',
    agent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election',
  },
  sched: {
    username: 'system:kube-scheduler',
    groups: ['system:authenticated'],
    ip: '10.0.1.23',
    agent: 'kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election',
  },
  node: {
    username: 'system:node:ip-10-0-1-23.ec2.internal',
    groups: ['system:nodes', 'system:authenticated'],
    ip: '10.0.1.23',
    agent: 'kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46',
  },
  apiserver: {
    username: 'system:apiserver',
    groups: ['system:authenticated', 'system:masters'],
    ip: '::1',
    agent: 'kube-apiserver/v1.31.2 (linux/amd64) kubernetes/5864a46',
  },
  rs: {
    ...saUser('kube-system', 'replicaset-controller'),
    ip: '10.0.1.23',
    agent:
      'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller',
  },
  sts: {
    ...saUser('kube-system', 'statefulset-controller'),
    ip: '10.0.1.23',
    agent:
      'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:statefulset-controller',
  },
  cron: {
    ...saUser('kube-system', 'cronjob-controller'),
    ip: '10.0.1.23',
    agent:
      'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:cronjob-controller',
  },
  job: {
    ...saUser('kube-system', 'job-controller'),
    ip: '10.0.1.23',
    agent:
      'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:job-controller',
  },
};

const GROUP_VERSION = {
  '': 'v1',
  apps: 'v1',
  batch: 'v1',
  'acme.io': 'v1',
  'coordination.k8s.io': 'v1',
  'apiextensions.k8s.io': 'v1',
  'cert-manager.io': 'v1',
  'snapshot.storage.k8s.io': 'v1',
};

/** One request: a record per stage, as the API server's log backend writes them. */
function req(t, who, verb, ref, opts = {}) {
  const {
    code = verb === 'create' ? 201 : 200,
    uri,
    impersonate,
    query = '',
    stages = ['ResponseComplete'],
    level = 'Metadata',
  } = opts;
  const group = ref.group ?? '';
  const base = group === '' ? `/api/v1` : `/apis/${group}/${GROUP_VERSION[group]}`;
  let path = uri;
  if (!path) {
    path = `${base}${ref.ns ? `/namespaces/${ref.ns}` : ''}/${ref.resource}`;
    if (ref.name && verb !== 'create') path += `/${ref.name}`;
    else if (ref.name && ref.sub) path += `/${ref.name}`;
    if (ref.sub) path += `/${ref.sub}`;
  }
  const objectRef =
    uri && !ref.resource
      ? undefined
      : {
          resource: ref.resource,
          ...(ref.ns ? { namespace: ref.ns } : {}),
          ...(ref.name ? { name: ref.name } : {}),
          ...(group ? { apiGroup: group } : {}),
          apiVersion: GROUP_VERSION[group],
          ...(ref.sub ? { subresource: ref.sub } : {}),
        };
  const id = uuid();
  const received = t + jitter(900);
  const ext = int(1000);
  const denied = code === 403;
  const actor = impersonate ? CI_ADMIN : who;
  const binding = ref.ns
    ? `RoleBinding "audit2policy:${who.username.replace('system:serviceaccount:', 'serviceaccount:')}/${ref.ns}"`
    : `ClusterRoleBinding "audit2policy:${who.username.replace('system:serviceaccount:', 'serviceaccount:')}"`;
  const all = int(10) === 0 ? ['RequestReceived', ...stages] : stages;
  for (const stage of all) {
    const done =
      stage === 'RequestReceived'
        ? received
        : received +
          2 +
          jitter(40) +
          (stage === 'ResponseComplete' && verb === 'watch' ? 25 * MIN + jitter(10 * MIN) : 0);
    const ev = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: id,
      stage,
      requestURI: path + query,
      verb,
    };
    ev.user = { username: actor.username, ...(actor.uid ? { uid: actor.uid } : {}), groups: actor.groups };
    if (impersonate) ev.impersonatedUser = { username: who.username, groups: who.groups };
    ev.sourceIPs = [actor.ipAt?.(received) ?? actor.ip];
    ev.userAgent = actor.agent;
    if (objectRef) ev.objectRef = objectRef;
    if (stage !== 'RequestReceived')
      ev.responseStatus = denied
        ? {
            metadata: {},
            status: 'Failure',
            message: `${ref.resource} is forbidden: User "${who.username}" cannot ${verb} resource "${ref.resource}"`,
            reason: 'Forbidden',
            code,
          }
        : { metadata: {}, code };
    ev.requestReceivedTimestamp = micro(received, ext);
    ev.stageTimestamp = micro(done, int(1000));
    if (stage !== 'RequestReceived') {
      ev.annotations = denied
        ? { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' }
        : { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': `RBAC: allowed by ${binding}` };
    }
    events.push({ t: done, ev });
  }
}

const every = (step, fn, from = 0) => {
  for (let t = START + from; t < START + DAYS * 24 * HOUR; t += step) fn(t + jitter(Math.min(step / 4, 5 * MIN)));
};
const workingHours = (fn) => {
  for (let d = 0; d < DAYS; d++) {
    const day = new Date(START + d * 24 * HOUR).getUTCDay();
    if (day === 0 || day === 6) continue;
    fn(START + d * 24 * HOUR + 9 * HOUR, d);
  }
};
const watch = (t, who, ref, list = true) => {
  if (list) req(t, who, 'list', ref, { query: '?limit=500&resourceVersion=0' });
  req(t + 1000, who, 'watch', ref, {
    query: `?allowWatchBookmarks=true&resourceVersion=${100000 + int(900000)}&timeoutSeconds=${1800 + int(300)}&watch=true`,
    stages: int(3) === 0 ? ['ResponseStarted'] : ['ResponseStarted', 'ResponseComplete'],
  });
};

const U = users;
// shop:web
every(30 * MIN, (t) => req(t, U['shop:web'], 'get', { resource: 'configmaps', ns: 'shop', name: 'web-config' }));
every(6 * HOUR, (t) => req(t, U['shop:web'], 'get', { resource: 'secrets', ns: 'shop', name: 'web-tls' }));
every(2 * HOUR, (t) => watch(t, U['shop:web'], { resource: 'configmaps', ns: 'shop' }));
req(
  START + 50 * HOUR,
  U['shop:web'],
  'get',
  { resource: 'configmaps', ns: 'shop', name: 'feature-flags' },
  { code: 404 },
);
req(START + 77 * HOUR, U['shop:web'], 'list', { resource: 'secrets', ns: 'shop' }, { code: 403 });
// shop:cart
every(HOUR, (t) => req(t, U['shop:cart'], 'get', { resource: 'configmaps', ns: 'shop', name: 'cart-config' }));
every(2 * HOUR, (t) => watch(t, U['shop:cart'], { resource: 'endpoints', ns: 'shop' }), 10 * MIN);
// payments:payments-api
every(4 * HOUR, (t) =>
  req(t, U['payments:payments-api'], 'get', { resource: 'secrets', ns: 'payments', name: 'payments-db' }),
);
every(2 * HOUR, (t) =>
  req(t, U['payments:payments-api'], 'get', { resource: 'configmaps', ns: 'payments', name: 'payments-config' }),
);
every(HOUR, (t) => {
  const lease = { group: 'coordination.k8s.io', resource: 'leases', ns: 'payments', name: 'payments-api-leader' };
  req(t, U['payments:payments-api'], 'get', lease);
  req(t + 200, U['payments:payments-api'], 'update', lease);
});
req(
  START + 100 * HOUR,
  U['payments:payments-api'],
  'update',
  { group: 'coordination.k8s.io', resource: 'leases', ns: 'payments', name: 'payments-api-leader' },
  { code: 409 },
);
// monitoring:pod-watcher
every(HOUR, (t) => watch(t, U['monitoring:pod-watcher'], { resource: 'pods' }));
every(6 * HOUR, (t) =>
  ENV.nodes.forEach((n, i) =>
    req(t + i * 100, U['monitoring:pod-watcher'], 'get', { resource: 'nodes', name: n.name }),
  ),
);
every(
  6 * HOUR,
  (t) => req(t, U['monitoring:pod-watcher'], 'list', { resource: 'namespaces' }, { query: '?limit=500' }),
  30 * MIN,
);
// The API server files a namespace's own object under that namespace: objectRef.namespace = name.
every(
  24 * HOUR,
  (t) =>
    req(
      t,
      U['monitoring:pod-watcher'],
      'get',
      { resource: 'namespaces', ns: 'shop', name: 'shop' },
      { uri: '/api/v1/namespaces/shop' },
    ),
  3 * HOUR,
);
// ci:job-runner
every(2 * HOUR, (t) => watch(t, U['ci:job-runner'], { resource: 'pods', ns: 'ci' }, false), 5 * MIN);
workingHours((day) => {
  for (let j = 0; j < 14; j++) {
    const t = day + j * 35 * MIN + jitter(20 * MIN);
    const pod = `ci-job-${sfx()}`;
    req(t, U['ci:job-runner'], 'create', { resource: 'pods', ns: 'ci', name: pod });
    for (let p = 1; p <= 3; p++) req(t + p * MIN, U['ci:job-runner'], 'get', { resource: 'pods', ns: 'ci', name: pod });
    req(
      t + 4 * MIN,
      U['ci:job-runner'],
      'get',
      { resource: 'pods', ns: 'ci', name: pod, sub: 'log' },
      { query: '?container=job' },
    );
    req(t + 5 * MIN, U['ci:job-runner'], 'delete', { resource: 'pods', ns: 'ci', name: pod });
  }
});
// ci:deployer (and ci-admin impersonating it on one day)
const DEPLOYS = [
  ['shop', 'web'],
  ['shop', 'cart'],
  ['payments', 'payments-api'],
];
workingHours((day, d) => {
  for (const hour of [2, 6]) {
    // Friday's morning run ships a new web image: its patch of deployment web is the rollout.
    const t = d === 4 && hour === 2 ? WEB_ROLLOUT - 500 : day + hour * HOUR + jitter(HOUR);
    DEPLOYS.forEach(([ns, name], i) => {
      const dep = { group: 'apps', resource: 'deployments', ns, name };
      req(t + i * 5000, U['ci:deployer'], 'get', dep);
      req(t + i * 5000 + 500, U['ci:deployer'], 'patch', dep, {
        impersonate: d === 3 && hour === 6,
        query: '?fieldManager=kubectl-client-side-apply',
      });
      for (let p = 0; p < 3; p++)
        req(t + i * 5000 + 2000 + p * 10000, U['ci:deployer'], 'get', { ...dep, sub: 'status' });
    });
    req(
      t + 40000,
      U['ci:deployer'],
      'list',
      { group: 'apps', resource: 'replicasets', ns: 'shop' },
      { query: '?labelSelector=app%3Dweb' },
    );
  }
});
req(
  START + 4 * 24 * HOUR + 15 * HOUR,
  U['ci:deployer'],
  'delete',
  { group: 'apps', resource: 'deployments', ns: 'shop', name: 'web-canary' },
  { code: 403 },
);
// ops:cert-operator
every(4 * HOUR, (t) => {
  watch(t, U['ops:cert-operator'], { resource: 'namespaces' });
  for (const ns of ['shop', 'payments'])
    watch(t + 3000, U['ops:cert-operator'], { group: 'cert-manager.io', resource: 'certificates', ns });
});
every(12 * HOUR, (t) => {
  req(t, U['ops:cert-operator'], 'list', { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' });
  req(t + 500, U['ops:cert-operator'], 'get', {
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    name: 'certificates.cert-manager.io',
  });
});
every(
  HOUR,
  (t) => {
    const lease = { group: 'coordination.k8s.io', resource: 'leases', ns: 'ops', name: 'cert-operator-leader' };
    req(t, U['ops:cert-operator'], 'get', lease);
    req(t + 100, U['ops:cert-operator'], 'update', lease);
  },
  20 * MIN,
);
every(
  24 * HOUR,
  (t) => req(t, U['ops:cert-operator'], 'update', { resource: 'secrets', ns: 'shop', name: 'web-tls' }),
  4 * HOUR,
);
req(START + 26 * HOUR, U['ops:cert-operator'], 'create', { resource: 'secrets', ns: 'payments', name: 'payments-tls' });
req(START + 122 * HOUR, U['ops:cert-operator'], 'update', {
  resource: 'secrets',
  ns: 'payments',
  name: 'payments-tls',
});
// ops:backup, nightly at 02:00
for (let d = 0; d < DAYS; d++) {
  const t = START + d * 24 * HOUR + 2 * HOUR + jitter(2 * MIN);
  req(t, U['ops:backup'], 'list', { resource: 'persistentvolumeclaims', ns: 'ops' });
  req(t + 1000, U['ops:backup'], 'get', { resource: 'secrets', ns: 'ops', name: 'backup-s3-credentials' });
  const tonight = `nightly-${isoDate(START + d * DAY).replaceAll('-', '')}`;
  for (const ns of ['shop', 'payments'])
    req(t + 5000, U['ops:backup'], 'create', {
      group: 'snapshot.storage.k8s.io',
      resource: 'volumesnapshots',
      ns,
      name: tonight,
    });
  // Its record of the night (a backups.acme.io object named for the date); then last night's: read, and marked
  // verified.
  const backups = { group: 'acme.io', resource: 'backups', ns: 'ops' };
  const lastNight = `nightly-${isoDate(START + (d - 1) * DAY).replaceAll('-', '')}`;
  req(t + 8000, U['ops:backup'], 'create', { ...backups, name: tonight });
  req(t + 9000, U['ops:backup'], 'get', { ...backups, name: lastNight });
  req(t + 9500, U['ops:backup'], 'patch', { ...backups, name: lastNight }, { query: '?fieldManager=backup' });
}
// alice@acme.example: two kubectl sessions on the storefront's pod (before and after its rollout)
for (const d of [2, 5]) {
  const t = START + d * 24 * HOUR + 14 * HOUR + jitter(HOUR);
  const pod = webPodAt(t).name;
  for (const [i, uri] of ['/api', '/apis', '/version'].entries())
    req(t + i * 100, ALICE, 'get', {}, { uri, query: i === 2 ? '' : '?timeout=32s' });
  req(t + 2000, ALICE, 'list', { resource: 'pods', ns: 'shop' }, { query: '?limit=500' });
  req(t + 4000, ALICE, 'get', { resource: 'pods', ns: 'shop', name: pod });
  req(
    t + 6000,
    ALICE,
    'get',
    { resource: 'pods', ns: 'shop', name: pod, sub: 'log' },
    { query: '?container=web&tailLines=100' },
  );
  if (d === 5) {
    req(
      t + 9000,
      ALICE,
      'create',
      { resource: 'pods', ns: 'shop', name: pod, sub: 'exec' },
      { code: 101, stages: ['ResponseStarted'], query: '?command=sh&container=web&stdin=true&stdout=true&tty=true' },
    );
    req(t + 60000, ALICE, 'get', { resource: 'secrets', ns: 'shop', name: 'web-tls' }, { code: 403 });
  }
}
// ...and on Thursday she scales the catalogue database from two replicas to four (kubectl scale).
{
  const t = DB_SCALE - 30_000;
  for (const [i, uri] of ['/api', '/apis'].entries())
    req(t + i * 100, ALICE, 'get', {}, { uri, query: '?timeout=32s' });
  req(t + 2000, ALICE, 'get', { group: 'apps', resource: 'statefulsets', ns: 'shop', name: 'db' });
  req(DB_SCALE, ALICE, 'patch', { group: 'apps', resource: 'statefulsets', ns: 'shop', name: 'db', sub: 'scale' });
}

// ---- names the cluster makes up ----------------------------------------------------------------
// shop/web: the autoscaler's midday pods (every day: a storefront's weekend is busy too) and the
// rollout's new pod. pod-watcher reads each new pod and its log by name as it starts, and the
// long-lived pod every six hours.
const newWebPod = (t, name) => {
  req(t, system.rs, 'create', { resource: 'pods', ns: 'shop', name });
  req(t + 20_000, U['monitoring:pod-watcher'], 'get', { resource: 'pods', ns: 'shop', name });
  req(
    t + 75_000,
    U['monitoring:pod-watcher'],
    'get',
    { resource: 'pods', ns: 'shop', name, sub: 'log' },
    { query: '?container=web&limitBytes=65536' },
  );
};
newWebPod(WEB_ROLLOUT + 1500, WEB_PODS[1].name);
req(WEB_ROLLOUT + 95_000, system.rs, 'delete', { resource: 'pods', ns: 'shop', name: WEB_PODS[0].name });
for (let d = 0; d < DAYS; d++) {
  const day = START + d * DAY;
  const extra = [];
  for (let j = 0; j < HPA.perDay; j++) {
    const t = day + HPA.firstHour * HOUR + j * 50 * MIN + jitter(20 * MIN);
    const name = `web-${webHash(t)}-${sfx()}`;
    extra.push(name);
    newWebPod(t, name);
  }
  extra.forEach((name, j) =>
    req(day + HPA.downHour * HOUR + j * 40_000 + jitter(30_000), system.rs, 'delete', {
      resource: 'pods',
      ns: 'shop',
      name,
    }),
  );
}
every(
  6 * HOUR,
  (t) => req(t, U['monitoring:pod-watcher'], 'get', { resource: 'pods', ns: 'shop', name: webPodAt(t).name }),
  2 * HOUR,
);

// shop/db: a StatefulSet grown from two replicas to four; db-operator reads it, its pods and their
// volume claims by name every two hours.
for (const p of DB_PODS.filter((x) => x.from > START))
  req(p.from, system.sts, 'create', { resource: 'pods', ns: 'shop', name: p.name });
every(
  2 * HOUR,
  (t) => {
    req(t, U['ops:db-operator'], 'get', { group: 'apps', resource: 'statefulsets', ns: 'shop', name: 'db' });
    DB_PODS.filter((p) => p.from <= t).forEach((p, i) => {
      req(t + 300 + i * 200, U['ops:db-operator'], 'get', { resource: 'pods', ns: 'shop', name: p.name });
      req(t + 400 + i * 200, U['ops:db-operator'], 'get', {
        resource: 'persistentvolumeclaims',
        ns: 'shop',
        name: `data-${p.name}`,
      });
    });
  },
  15 * MIN,
);

// The CronJobs' runs: the cronjob-controller creates each Job (named for its scheduled minute), the
// job-controller its pod. ops/report reads its configmap; report-reader collects the run and deletes
// the Job once it is done.
for (const [cronjob, runs] of [
  ['backup', BACKUP_RUNS],
  ['report', REPORT_RUNS],
]) {
  for (const r of runs) {
    req(r.scheduled + jitter(800), system.cron, 'create', { group: 'batch', resource: 'jobs', ns: 'ops', name: r.job });
    req(r.scheduled + 1500 + jitter(800), system.job, 'create', { resource: 'pods', ns: 'ops', name: r.pod });
    if (cronjob !== 'report') continue;
    req(r.start + 2000, U['ops:report'], 'get', { resource: 'configmaps', ns: 'ops', name: 'report-config' });
    const job = { group: 'batch', resource: 'jobs', ns: 'ops', name: r.job };
    for (let p = 1; p <= 4; p++) req(r.scheduled + p * MIN + jitter(5000), U['ops:report-reader'], 'get', job);
    const done = r.end + 20_000 + jitter(20_000);
    req(
      done,
      U['ops:report-reader'],
      'list',
      { resource: 'pods', ns: 'ops' },
      { query: `?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${r.job}`)}` },
    );
    req(
      done + 800,
      U['ops:report-reader'],
      'get',
      { resource: 'pods', ns: 'ops', name: r.pod, sub: 'log' },
      { query: '?container=report' },
    );
    req(done + 3000, U['ops:report-reader'], 'delete', job);
  }
}
// control-plane noise, left out by default
every(20 * MIN, (t) => {
  req(t, system.kcm, 'get', {
    group: 'coordination.k8s.io',
    resource: 'leases',
    ns: 'kube-system',
    name: 'kube-controller-manager',
  });
  req(t + 50, system.kcm, 'update', {
    group: 'coordination.k8s.io',
    resource: 'leases',
    ns: 'kube-system',
    name: 'kube-controller-manager',
  });
  req(t + 300, system.sched, 'get', {
    group: 'coordination.k8s.io',
    resource: 'leases',
    ns: 'kube-system',
    name: 'kube-scheduler',
  });
  req(t + 400, system.node, 'patch', { resource: 'nodes', name: ENV.nodes[0].name, sub: 'status' });
});
every(HOUR, (t) => req(t, system.apiserver, 'get', {}, { uri: '/healthz', query: '?timeout=32s' }));

// ---- files ------------------------------------------------------------------------------------
events.sort((a, b) => a.t - b.t || (a.ev.auditID < b.ev.auditID ? -1 : 1));
const byDay = Array.from({ length: DAYS }, () => []);
for (const e of events) byDay[Math.min(DAYS - 1, Math.floor((e.t - START) / (24 * HOUR)))].push(e.ev);

const root = join(fileURLToPath(import.meta.url), '../..');
const out = process.argv[2] ?? join(root, 'fixtures/demo');
const dir = join(out, 'k8s-audit');
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'webhook'), { recursive: true });
const files = [];
for (let d = 0; d < DAYS; d++) {
  const date = new Date(START + d * 24 * HOUR).toISOString().slice(0, 10);
  let evs = byDay[d];
  if (d === 3)
    evs = evs.map((ev) =>
      int(5) === 0 ? Object.fromEntries(Object.entries(ev).filter(([k]) => k !== 'apiVersion')) : ev,
    );
  if (d === DAYS - 1) {
    const inBatch = (ev) => ev.stageTimestamp >= `${date}T12:00` && ev.stageTimestamp < `${date}T12:30`;
    const batch = evs.filter(inBatch);
    writeFileSync(
      join(dir, 'webhook/batch-0001.json'),
      JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: batch }) + '\n',
    );
    files.push({
      path: 'webhook/batch-0001.json',
      events: batch.length,
      format: 'one EventList on one line (the webhook backend batch)',
    });
    evs = evs.filter((ev) => !inBatch(ev));
    writeFileSync(join(dir, `kube-apiserver-audit-${date}.log`), evs.map((e) => JSON.stringify(e)).join('\n') + '\n');
    files.push({ path: `kube-apiserver-audit-${date}.log`, events: evs.length, format: 'plain JSON lines' });
  } else {
    writeFileSync(
      join(dir, `kube-apiserver-audit-${date}.log.gz`),
      gzipSync(evs.map((e) => JSON.stringify(e)).join('\n') + '\n', { level: 9 }),
    );
    files.push({
      path: `kube-apiserver-audit-${date}.log.gz`,
      events: evs.length,
      format: d === 3 ? 'gzip JSON lines; about a fifth of the events omit apiVersion' : 'gzip JSON lines',
    });
  }
}

// Per-subject counts for the README and the fixture test.
const counts = {};
for (const { ev } of events) {
  const who = ev.impersonatedUser?.username ?? ev.user.username;
  const c = (counts[who] ??= { records: 0, denied: 0 });
  c.records++;
  if (ev.responseStatus?.code === 403) c.denied++;
}
writeFileSync(
  join(out, 'counts.json'),
  JSON.stringify(
    { seed: SEED, records: events.length, files, subjects: Object.fromEntries(Object.entries(counts).sort()) },
    null,
    2,
  ) + '\n',
);
process.stderr.write(`wrote ${events.length} records in ${files.length} files to ${dir}\n`);

// The same environment's CloudTrail (its own seed, so the audit logs above keep their bytes).
rmSync(join(out, 'cloudtrail'), { recursive: true, force: true });
const ct = generateCloudTrail(out);
writeFileSync(join(out, 'cloudtrail-counts.json'), JSON.stringify(ct, null, 2) + '\n');
process.stderr.write(
  `wrote ${ct.records} CloudTrail records in ${ct.files.length} files to ${join(out, 'cloudtrail')}\n`,
);

// Its cluster inventory and flow logs (their own seed as well).
rmSync(join(out, 'flows'), { recursive: true, force: true });
rmSync(join(out, 'inventory'), { recursive: true, force: true });
const net = generateNetwork(out);
writeFileSync(join(out, 'flows-counts.json'), JSON.stringify(net, null, 2) + '\n');
process.stderr.write(
  `wrote an inventory of ${net.inventoryObjects} objects and ${net.files.reduce((n, f) => n + f.records, 0)} flow records in ${net.files.length} files\n`,
);

// The account's IAM as it stood before the soak: broad hand-written policies, for check and diff.
rmSync(join(out, 'iam'), { recursive: true, force: true });
writeDemoAccount(out);
process.stderr.write(`wrote the account's IAM (authorization details) to ${join(out, 'iam/account.json')}\n`);

// Drift: the day after the soak. The same traffic as its last day, and one new call: the storefront
// starts reading configmap feature-flags-v2 (authorized in staging, not in the generated policy).
{
  const dir = join(out, 'drift');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const last = events.filter(({ ev }) => ev.requestReceivedTimestamp.startsWith('2026-11-09')).map(({ ev }) => ev);
  const shifted = last.map((ev) =>
    JSON.parse(
      JSON.stringify(ev)
        .replaceAll('2026-11-09T', '2026-11-10T')
        .replace(/"auditID":"[0-9a-f]/, '"auditID":"d'),
    ),
  );
  const template = shifted.find(
    (ev) =>
      ev.user.username === 'system:serviceaccount:shop:web' &&
      ev.objectRef?.name === 'web-config' &&
      ev.stage === 'ResponseComplete',
  );
  const fresh = JSON.parse(JSON.stringify(template).replaceAll('web-config', 'feature-flags-v2'));
  fresh.auditID = 'd1f2e3a4-0000-4000-8000-000000000010';
  fresh.requestReceivedTimestamp = '2026-11-10T09:15:02.120000Z';
  fresh.stageTimestamp = '2026-11-10T09:15:02.161000Z';
  shifted.push(fresh);
  shifted.sort((a, b) =>
    a.requestReceivedTimestamp < b.requestReceivedTimestamp
      ? -1
      : a.requestReceivedTimestamp > b.requestReceivedTimestamp
        ? 1
        : 0,
  );
  writeFileSync(
    join(dir, 'kube-apiserver-audit-2026-11-10.log'),
    shifted.map((e) => JSON.stringify(e)).join('\n') + '\n',
  );
}
