import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Managed clusters' audit log exports given to --cloudtrail or --flows: each file is one notice naming --k8s-audit
 * (formats.md: "Given to the wrong flag, an export is one notice naming the flag that reads it"), never an issue per
 * record, whatever its first record is.
 */

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

const event = (i: number) => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: `a000000${i}-0000-4000-8000-000000000001`,
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/shop/configmaps/c',
  verb: 'get',
  user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:authenticated'] },
  objectRef: { resource: 'configmaps', namespace: 'shop', name: 'c', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: `2026-11-02T08:00:0${i}.000000Z`,
  stageTimestamp: `2026-11-02T08:00:0${i}.010000Z`,
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
});
const EVENTS = [1, 2, 3].map(event);
const RESOURCE_ID =
  '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/SHOP/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SHOP';

/** Azure Monitor diagnostic settings to a storage account: PT1H.json, one record per line, every AKS category. */
const diagnostic = (category: string, log: string) => ({
  time: '2026-11-02T08:00:00.0000000Z',
  resourceId: RESOURCE_ID,
  category,
  operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
  properties: { log, stream: 'stdout', pod: 'kube-apiserver-6b8f9d8c7-abcde' },
});
const PT1H = [
  diagnostic('kube-apiserver', 'I1102 08:00:00.000000 1 trace.go:205] Trace[1]: "List" url:/api/v1/pods'),
  ...EVENTS.map((e) => diagnostic('kube-audit', JSON.stringify(e))),
]
  .map((r) => JSON.stringify(r))
  .join('\n');

/** Log Analytics' AzureDiagnostics rows, as `az monitor log-analytics query` saves them. */
const AZURE_DIAGNOSTICS = JSON.stringify(
  EVENTS.map((e) => ({
    Category: 'kube-audit',
    OperationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    ResourceId: RESOURCE_ID,
    TableName: 'PrimaryResult',
    TimeGenerated: '2026-11-02T08:00:00.1250000Z',
    Type: 'AzureDiagnostics',
    log_s: JSON.stringify(e),
  })),
  null,
  2,
);

/** Rows of the resource-specific AKSAudit table: one column per Event field, dynamic columns as JSON text. */
const AKS_AUDIT = JSON.stringify(
  EVENTS.map((e) => ({
    AuditId: e.auditID,
    Level: e.level,
    ObjectRef: JSON.stringify(e.objectRef),
    RequestReceivedTime: e.requestReceivedTimestamp,
    RequestUri: e.requestURI,
    ResponseStatus: JSON.stringify(e.responseStatus),
    Stage: e.stage,
    StageReceivedTime: e.stageTimestamp,
    User: JSON.stringify(e.user),
    Verb: e.verb,
    Annotations: JSON.stringify(e.annotations),
    TableName: 'PrimaryResult',
    Type: 'AKSAudit',
  })),
  null,
  2,
);

/** The query API's answer over the same table (`tables[].columns[]`, `tables[].rows[]`). */
const ANSWER = JSON.stringify({
  tables: [
    {
      name: 'PrimaryResult',
      columns: ['AuditId', 'Verb', 'RequestUri', 'User', 'ObjectRef', 'ResponseStatus', 'RequestReceivedTime'].map(
        (name) => ({ name, type: 'string' }),
      ),
      rows: EVENTS.map((e) => [
        e.auditID,
        e.verb,
        e.requestURI,
        JSON.stringify(e.user),
        JSON.stringify(e.objectRef),
        JSON.stringify(e.responseStatus),
        e.requestReceivedTimestamp,
      ]),
    },
  ],
});

/** `aws logs get-query-results`: Logs Insights rows of fields, the Event in `@message`. */
const INSIGHTS = JSON.stringify(
  {
    results: EVENTS.map((e) => [
      { field: '@timestamp', value: '2026-11-02 08:00:00.123' },
      { field: '@message', value: JSON.stringify(e) },
      { field: '@ptr', value: 'CmAKJwoj' },
    ]),
    statistics: { recordsMatched: 3, recordsScanned: 3, bytesScanned: 3000 },
    status: 'Complete',
  },
  null,
  4,
);

/** Firehose's object in S3: subscription records back to back, the control message CloudWatch Logs sends first. */
const subscription = (type: string, events: unknown[]) =>
  JSON.stringify({
    messageType: type,
    owner: type === 'CONTROL_MESSAGE' ? 'CloudwatchLogs' : '111122223333',
    logGroup: type === 'CONTROL_MESSAGE' ? '' : '/aws/eks/shop/cluster',
    logStream: type === 'CONTROL_MESSAGE' ? '' : 'kube-apiserver-audit-0123456789abcdef0123456789abcdef',
    subscriptionFilters: type === 'CONTROL_MESSAGE' ? [] : ['to-firehose'],
    logEvents: events,
  });
const CONTROL = subscription('CONTROL_MESSAGE', [
  { id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' },
]);
const data = (e: (typeof EVENTS)[number], i: number) =>
  subscription('DATA_MESSAGE', [{ id: String(i), timestamp: 1793606400123 + i, message: JSON.stringify(e) }]);
const FIREHOSE = CONTROL + EVENTS.map(data).join('');
// The object cut short (a copy stopped mid-record): what is wrong with a skipped file is not its issue.
const FIREHOSE_CUT = FIREHOSE.slice(0, FIREHOSE.length - 40);

const FILES: Record<string, string> = {
  'PT1H.json': PT1H,
  'azurediagnostics.json': AZURE_DIAGNOSTICS,
  'aksaudit.json': AKS_AUDIT,
  'log-analytics-answer.json': ANSWER,
  'insights.json': INSIGHTS,
  firehose: FIREHOSE,
  'firehose-cut': FIREHOSE_CUT,
};

function write(): string {
  const dir = join(tmp(), 'exports');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text + '\n');
  return dir;
}

async function read(flag: 'k8sAudit' | 'cloudtrail' | 'flows', dir: string) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [dir] : [],
    ...(flag === 'flows' ? { flows: [dir] } : {}),
    ...(flag === 'cloudtrail' ? { cloudtrail: [dir] } : {}),
    scope: everyone(),
    workers: 1,
    cwd: ROOT,
  });
}

describe('audit log exports of managed clusters given to another flag', () => {
  it('are read by --k8s-audit (the files are what the test says they are)', async () => {
    const r = await read('k8sAudit', write());
    const by = Object.fromEntries(r.profile.sources.map((s) => [s.path.replace(/.*\//, ''), [s.records, s.issues]]));
    expect(by).toEqual({
      'PT1H.json': [3, 0],
      'azurediagnostics.json': [3, 0],
      'aksaudit.json': [3, 0],
      'log-analytics-answer.json': [3, 0],
      'insights.json': [3, 0],
      firehose: [3, 0],
      'firehose-cut': [2, 1],
    });
  });

  it.each(['cloudtrail', 'flows'] as const)(
    'to --%s: each file one notice naming --k8s-audit, no issue',
    async (flag) => {
      const r = await read(flag, write());
      expect(r.issues).toEqual([]);
      expect(r.profile.sources.map((s) => [s.path.replace(/.*\//, ''), s.format, s.notice]).sort()).toEqual(
        Object.keys(FILES)
          .sort()
          .map((name) => [name, 'skipped', 'looks like a Kubernetes audit log: read it with --k8s-audit']),
      );
    },
  );
});
