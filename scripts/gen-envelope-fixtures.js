#!/usr/bin/env node
// Writes fixtures/envelopes/: a small set of native audit Events (native/events.jsonl) and the same Events as
// managed clusters deliver them, one file per documented shape, plain and gzip:
//   eks/  `aws logs filter-log-events` and `get-log-events` output, CloudWatch Logs subscription records as
//         Firehose writes them to S3 (back to back, a control message first; gzip: one member per record),
//         Logs Insights `get-query-results` output;
//   gke/  Cloud Logging entries (AuditLog of service k8s.io) as `gcloud logging read --format=json` prints them
//         and as a log sink writes them (one per line); native/gke-equivalent.jsonl is what GKE keeps of each
//         Event (no groups, one complete stage);
//   aks/  diagnostic-settings records as a storage account keeps them (one per line) and as Event Hubs delivers
//         them ({"records": [...]}), with records of other categories between them.
// Deterministic: `node scripts/gen-envelope-fixtures.js [outDir]` writes the same bytes every time
// (test/envelopes.test.ts checks the checked-in files against it).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(fileURLToPath(import.meta.url), '../..');
const out = process.argv[2] ?? join(root, 'fixtures/envelopes');

const SA = (ns, name) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});
const ALICE = { username: 'alice@example.com', groups: ['devs', 'system:authenticated'] };

// Each request: who, the verb, the target (group as the API serves it; `omit` leaves objectRef.apiGroup out as
// some shippers do, `uri: false` leaves the requestURI out too), the HTTP code and decision.
const SPECS = [
  { user: SA('shop', 'web'), verb: 'get', res: 'configmaps', ns: 'shop', name: 'web-config' },
  { user: SA('shop', 'web'), verb: 'list', res: 'configmaps', ns: 'shop' },
  { user: SA('shop', 'web'), verb: 'create', res: 'events', ns: 'shop', name: 'web-7d4b9c.18a2f', code: 201 },
  { user: SA('ci', 'deployer'), verb: 'patch', group: 'apps', res: 'deployments', ns: 'shop', name: 'web' },
  { user: SA('ci', 'deployer'), verb: 'get', group: 'apps', res: 'deployments', ns: 'shop', name: 'web', sub: 'scale' },
  {
    user: SA('ci', 'deployer'),
    verb: 'create',
    group: 'batch',
    omit: true,
    res: 'cronjobs',
    ns: 'shop',
    name: 'nightly-report',
    code: 201,
  },
  {
    user: SA('ci', 'deployer'),
    verb: 'get',
    group: 'networking.k8s.io',
    omit: true,
    uri: false,
    res: 'ingresses',
    ns: 'shop',
    name: 'web',
  },
  {
    user: SA('ci', 'deployer'),
    verb: 'update',
    group: 'coordination.k8s.io',
    res: 'leases',
    ns: 'ci',
    name: 'deployer-lock',
  },
  { user: SA('shop', 'worker'), verb: 'watch', group: 'discovery.k8s.io', res: 'endpointslices', ns: 'shop' },
  { user: SA('monitoring', 'prometheus'), verb: 'list', res: 'pods' },
  { user: SA('monitoring', 'prometheus'), verb: 'get', path: '/metrics' },
  { user: ALICE, verb: 'get', group: 'rbac.authorization.k8s.io', omit: true, res: 'clusterroles', name: 'view' },
  { user: ALICE, verb: 'get', res: 'namespaces', ns: 'shop', name: 'shop' },
  { user: ALICE, verb: 'list', res: 'secrets', ns: 'shop', code: 403 },
  { user: ALICE, verb: 'create', res: 'pods', ns: 'shop', name: 'web-7d4b9c-x2k9q', sub: 'exec', code: 101 },
];

const T0 = Date.parse('2026-11-02T08:00:00Z');
const at = (i) => new Date(T0 + i * 61_000 + 123);
const iso = (d) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1456Z');
const hex = (i, n) => ((i + 1) * 2654435761).toString(16).padStart(8, '0').repeat(4).slice(0, n);
const uuid = (i) => `${hex(i, 8)}-${hex(i + 7, 4)}-4${hex(i + 3, 3)}-8${hex(i + 5, 3)}-${hex(i + 11, 12)}`;

function pathOf(s, withName = true) {
  const base = s.group ? `/apis/${s.group}/v1/` : '/api/v1/';
  const ns = s.ns && s.res !== 'namespaces' ? `namespaces/${s.ns}/` : '';
  const name = withName && s.name ? `/${s.name}` : '';
  return base + ns + s.res + name + (s.sub ? `/${s.sub}` : '');
}

/** The native audit Event of a spec (ResponseStarted for an exec, as the API server logs a stream). */
function nativeEvent(s, i) {
  const code = s.code ?? 200;
  const ev = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: uuid(i),
    stage: code === 101 ? 'ResponseStarted' : 'ResponseComplete',
  };
  if (s.path) ev.requestURI = s.path;
  else if (s.uri !== false)
    ev.requestURI = pathOf(s, s.verb !== 'create' || !!s.sub) + (s.verb === 'list' ? '?limit=500' : '');
  ev.verb = s.verb;
  ev.user = s.user;
  ev.sourceIPs = [`10.0.${i}.17`];
  ev.userAgent = 'kubectl/v1.34.1 (linux/amd64) kubernetes/abc1234';
  if (!s.path) {
    const ref = { resource: s.res };
    if (s.ns) ref.namespace = s.ns;
    if (s.name) ref.name = s.name;
    if (s.group && !s.omit) ref.apiGroup = s.group;
    ref.apiVersion = 'v1';
    if (s.sub) ref.subresource = s.sub;
    ev.objectRef = ref;
  }
  ev.responseStatus = { metadata: {}, code };
  ev.requestReceivedTimestamp = iso(at(i));
  ev.stageTimestamp = iso(new Date(at(i).getTime() + 4));
  ev.annotations = {
    'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow',
    'authorization.k8s.io/reason': code === 403 ? '' : 'RBAC: allowed by RoleBinding',
  };
  return ev;
}

/** What GKE keeps of an Event: no groups, one complete record, the decision. */
function gkeEquivalent(s, i) {
  const ev = nativeEvent(s, i);
  ev.user = { username: s.user.username };
  ev.stage = 'ResponseComplete';
  return ev;
}

const reversed = (g) => (!g ? 'io.k8s.core' : g.includes('.') ? g.split('.').reverse().join('.') : `io.k8s.${g}`);

/** The Cloud Logging entry GKE writes for a spec. */
function gkeEntry(s, i) {
  const code = s.code ?? 200;
  const write = !['get', 'list', 'watch'].includes(s.verb);
  const method = s.path ? `io.k8s.${s.verb}` : `${reversed(s.group)}.v1.${s.res}${s.sub ? `.${s.sub}` : ''}.${s.verb}`;
  const resourceName = s.path
    ? s.path.slice(1)
    : `${s.group || 'core'}/v1/` + pathOf({ ...s, group: '' }).slice('/api/v1/'.length);
  const entry = {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      authenticationInfo: { principalEmail: s.user.username },
      authorizationInfo: [{ permission: method, granted: code !== 403, resource: resourceName }],
      methodName: method,
      requestMetadata: { callerIp: `10.0.${i}.17`, callerSuppliedUserAgent: 'kubectl/v1.34.1 (linux/amd64)' },
      resourceName,
      serviceName: 'k8s.io',
      status: code === 403 ? { code: 7, message: 'PERMISSION_DENIED' } : {},
    },
    insertId: `${hex(i, 8)}-${hex(i + 1, 6)}`,
    resource: {
      type: 'k8s_cluster',
      labels: { cluster_name: 'shop-staging', location: 'europe-west1', project_id: 'shop-staging-1234' },
    },
    timestamp: iso(at(i)),
    severity: code === 403 ? 'WARNING' : write ? 'NOTICE' : 'INFO',
    logName: `projects/shop-staging-1234/logs/cloudaudit.googleapis.com%2F${write ? 'activity' : 'data_access'}`,
    operation: { id: uuid(i), producer: 'k8s.io', first: true, last: true },
    receiveTimestamp: iso(new Date(at(i).getTime() + 2100)),
  };
  // Newer entries carry the authorizer's decision as a label; older ones only authorizationInfo.
  if (i % 2 === 0) entry.labels = { 'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow' };
  return entry;
}

/** A GKE cluster-API call (not the Kubernetes API) in the same log: skipped and counted. */
const gkeClusterCall = {
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    authenticationInfo: { principalEmail: 'alice@example.com' },
    methodName: 'google.container.v1.ClusterManager.GetCluster',
    resourceName: 'projects/shop-staging-1234/locations/europe-west1/clusters/shop-staging',
    serviceName: 'container.googleapis.com',
    status: {},
  },
  insertId: 'x9y8z7w6v5',
  resource: { type: 'gke_cluster', labels: { cluster_name: 'shop-staging', location: 'europe-west1' } },
  timestamp: iso(at(3)),
  severity: 'INFO',
  logName: 'projects/shop-staging-1234/logs/cloudaudit.googleapis.com%2Fdata_access',
};

const natives = SPECS.map(nativeEvent);
const AUDIT_STREAM = `kube-apiserver-audit-${hex(99, 32)}`;
const ms = (ev) => Date.parse(ev.requestReceivedTimestamp) + 40;

function cloudWatchEvents(withStream) {
  const events = natives.map((ev, i) => ({
    ...(withStream ? { logStreamName: AUDIT_STREAM } : {}),
    timestamp: ms(ev),
    message: JSON.stringify(ev),
    ingestionTime: ms(ev) + 900,
    ...(withStream ? { eventId: `3${String(ms(ev)).padStart(20, '0')}${String(i).padStart(35, '0')}` } : {}),
  }));
  // An authenticator line from the same log group: not the audit log, skipped and counted.
  if (withStream)
    events.splice(2, 0, {
      logStreamName: `authenticator-${hex(7, 32)}`,
      timestamp: ms(natives[1]),
      message: 'time="2026-11-02T08:01:01Z" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/ci"',
      ingestionTime: ms(natives[1]) + 900,
      eventId: `3${String(ms(natives[1])).padStart(20, '0')}${'9'.repeat(35)}`,
    });
  return events;
}

function subscriptionRecords() {
  const control = {
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp: T0, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
  };
  const data = (evs, k) => ({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/eks/shop-staging/cluster',
    logStream: AUDIT_STREAM,
    subscriptionFilters: ['audit-to-firehose'],
    logEvents: evs.map((ev, j) => ({
      id: `${String(ms(ev)).padStart(20, '0')}${String(k * 100 + j).padStart(36, '0')}`,
      timestamp: ms(ev),
      message: JSON.stringify(ev),
    })),
  });
  return [control, data(natives.slice(0, 6), 0), data(natives.slice(6, 11), 1), data(natives.slice(11), 2)];
}

function insightsResults() {
  return {
    results: natives.map((ev, i) => [
      { field: '@timestamp', value: new Date(ms(ev)).toISOString().replace('T', ' ').replace('Z', '') },
      { field: '@message', value: JSON.stringify(ev) },
      { field: '@ptr', value: `CmQKKwonMTExMTIyMjIzMzMzOi9hd3MvZWtzL3Nob3Atc3RhZ2luZy9jbHVzdGVyEAQ${i}` },
    ]),
    statistics: { recordsMatched: natives.length, recordsScanned: 4096, bytesScanned: 3145728 },
    status: 'Complete',
  };
}

const AKS_ID =
  '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/SHOP-STAGING/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SHOP-STAGING';

function aksRecords() {
  const records = natives.map((ev, i) => ({
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category: ['get', 'list', 'watch'].includes(ev.verb) ? 'kube-audit' : 'kube-audit-admin',
    ccpNamespace: '65f1c0ffee0123456789abcd',
    resourceId: AKS_ID,
    properties: {
      log: JSON.stringify(ev),
      stream: 'stdout',
      pod: `kube-apiserver-7c9d8f6b5-${hex(i % 3, 5)}`,
      containerID: hex(i, 64),
    },
    time: ev.stageTimestamp.replace(/Z$/, '0Z'),
    Cloud: 'AzureCloud',
    Environment: 'prod',
    UnderlayClass: 'hcp-underlay',
    UnderlayName: 'hcp-underlay-westeurope-cx-42',
  }));
  const other = (category, i, log) => ({
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category,
    resourceId: AKS_ID,
    properties: { log, stream: 'stderr', pod: `kube-apiserver-7c9d8f6b5-${hex(i, 5)}` },
    time: iso(at(i)),
  });
  records.splice(4, 0, other('kube-apiserver', 1, 'I1102 08:04:00.000000 1 controller.go:615] quota admission added'));
  records.splice(9, 0, other('guard', 2, '{"level":"info","msg":"authorized"}'));
  return records;
}

const lines = (xs) => xs.map((x) => JSON.stringify(x) + '\n').join('');
const gz = (b) => gzipSync(Buffer.isBuffer(b) ? b : Buffer.from(b), { level: 9 });

const files = {
  'native/events.jsonl': lines(natives),
  'native/gke-equivalent.jsonl': lines(SPECS.map(gkeEquivalent)),
  // The AWS CLI prints JSON with four-space indentation.
  'eks/filter-log-events.json': JSON.stringify(
    {
      events: cloudWatchEvents(true),
      searchedLogStreams: [
        { logStreamName: AUDIT_STREAM, searchedCompletely: true },
        { logStreamName: `authenticator-${hex(7, 32)}`, searchedCompletely: true },
      ],
    },
    null,
    4,
  ),
  'eks/get-log-events.json': JSON.stringify(
    {
      events: cloudWatchEvents(false),
      nextForwardToken: `f/${'3'.repeat(56)}/s`,
      nextBackwardToken: `b/${'3'.repeat(56)}/s`,
    },
    null,
    4,
  ),
  'eks/firehose-subscription': subscriptionRecords()
    .map((r) => JSON.stringify(r))
    .join(''),
  'eks/logs-insights-results.json': JSON.stringify(insightsResults(), null, 4),
  // gcloud prints a JSON array with two-space indentation; a sink writes one entry per line.
  'gke/gcloud-logging-read.json': JSON.stringify([gkeClusterCall, ...SPECS.map(gkeEntry)], null, 2),
  'gke/log-sink.jsonl': lines([...SPECS.map(gkeEntry), gkeClusterCall]),
  'aks/storage-PT1H.json': lines(aksRecords()),
  'aks/eventhub-records.json': lines([{ records: aksRecords().slice(0, 8) }, { records: aksRecords().slice(8) }]),
};

rmSync(out, { recursive: true, force: true });
for (const [name, text] of Object.entries(files)) {
  mkdirSync(join(out, name, '..'), { recursive: true });
  writeFileSync(join(out, name), text);
  if (name.startsWith('native/')) continue;
  // Firehose compresses each record on its own: the object is one gzip member per record.
  const zipped =
    name === 'eks/firehose-subscription'
      ? Buffer.concat(subscriptionRecords().map((r) => gz(JSON.stringify(r))))
      : gz(text);
  writeFileSync(join(out, `${name}.gz`), zipped);
}
