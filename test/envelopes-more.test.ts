import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';
import { runInProcess } from './helpers/inproc.js';
import { profileOfText } from './helpers/profile.js';

/**
 * More shapes managed services deliver records in, each built from the provider's documented shape and read to the
 * same profile bytes as the same records in the plain format (apart from `sources`):
 *
 * - VPC flow logs of a custom format published to CloudWatch Logs (no header line: `--vpc-format` names the fields);
 * - AKS audit logs from Log Analytics' query API (`tables[].columns[]` and `tables[].rows[]`);
 * - GKE audit logs routed to BigQuery by a log sink and exported as JSON (`protopayload_auditlog`).
 *
 * What cannot be read is one issue naming the file and the line.
 */

type Flag = 'k8sAudit' | 'flows' | 'cloudtrail';

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(flag: Flag, path: string, vpcFields?: string[]) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [path] : [],
    ...(flag === 'flows' ? { flows: [path] } : {}),
    ...(flag === 'cloudtrail' ? { cloudtrail: [path] } : {}),
    ...(vpcFields ? { vpcFields } : {}),
    scope: everyone(),
    workers: 1,
    cwd: ROOT,
  });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

/** Writes the plain and the enveloped form in a directory of their own; returns both paths. */
function pair(dir: string, name: string, plain: string, content: string | Buffer): [string, string] {
  const sub = join(dir, name.replace(/\W/g, '_'));
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'plain'), plain);
  writeFileSync(join(sub, name), content);
  return [join(sub, 'plain'), join(sub, name)];
}

// ---- VPC flow logs of a custom format (Amazon VPC user guide, "Flow log records": custom format, available fields).
// The flow log's LogFormat, as given to `aws ec2 create-flow-logs --log-format`.
const LOG_FORMAT =
  '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ' +
  '${log-status} ${vpc-id} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction}';
const VPC_FIELDS = LOG_FORMAT.replace(/\$\{([^}]+)\}/g, '$1').split(' ');
/** The header line S3 delivery writes first: the field names, in the format's order. */
const VPC_HEADER = VPC_FIELDS.join(' ');
// A client's SYN (tcp-flags 3: SYN and FIN in one window) and the server's SYN-ACK (19), a pod behind its node's
// interface (pkt-srcaddr differs from srcaddr, as for EKS pods), a rejected connection, and a window without data.
const VPC = [
  '5 eni-0a1b2c3d4e5f60718 10.0.1.20 10.0.2.30 40112 5432 6 1794063600 1794063660 ACCEPT OK vpc-0abc 3 10.0.1.20 10.0.2.30 egress',
  '5 eni-0a1b2c3d4e5f60718 10.0.2.30 10.0.1.20 5432 40112 6 1794063600 1794063660 ACCEPT OK vpc-0abc 19 10.0.2.30 10.0.1.20 ingress',
  '5 eni-0b1b2c3d4e5f60719 10.0.1.5 10.0.2.31 40113 443 6 1794063601 1794063660 ACCEPT OK vpc-0abc 3 10.0.1.77 10.0.2.31 egress',
  '5 eni-0b1b2c3d4e5f60719 10.0.1.5 10.0.2.32 40114 6379 6 1794063602 1794063660 REJECT OK vpc-0abc 2 10.0.1.77 10.0.2.32 egress',
  '5 eni-0c1b2c3d4e5f60710 - - - - - 1794063600 1794063660 - NODATA - - - - -',
];
const VPC_PLAIN = [VPC_HEADER, ...VPC].join('\n') + '\n';
const VPC_EVENTS = VPC.map((m, i) => ({ timestamp: 1794063660000 + i, message: m }));

/** `aws logs filter-log-events` output (CloudWatch Logs API, FilterLogEvents), as the AWS CLI prints it. */
const filterLogEvents = (stream: string, events: { timestamp: number; message: string }[]) =>
  JSON.stringify(
    {
      events: events.map((e, i) => ({
        logStreamName: stream,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.timestamp + 2000,
        eventId: `3800000000000000000000000000000000000000000000000000000${i}`,
      })),
      searchedLogStreams: [],
    },
    null,
    4,
  ) + '\n';

/** A subscription filter's record as Firehose writes it to S3 (CloudWatch Logs, "Subscription filters"). */
const subscription = (stream: string, events: { timestamp: number; message: string }[]) =>
  JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: 'vpc-flow-logs',
    logStream: stream,
    subscriptionFilters: ['to-firehose'],
    logEvents: events.map((e, i) => ({ id: `3800000000000000000000000000000000000000000000000000000${i}`, ...e })),
  });

describe('VPC flow logs of a custom format without a header line: --vpc-format names the fields', () => {
  const dir = tmp();
  it.each([
    ['CloudWatch Logs, saved with aws logs filter-log-events', filterLogEvents('eni-all', VPC_EVENTS)],
    [
      'CloudWatch Logs, a subscription delivered by Firehose to S3 (gzip)',
      gzipSync(subscription('eni-all', VPC_EVENTS)),
    ],
    ['a text file of records without the header line', VPC.join('\n') + '\n'],
  ] as const)('%s: the profile of the file with its header', async (name, content) => {
    const [plainPath, path] = pair(dir, name, VPC_PLAIN, content);
    const plain = await read('flows', plainPath);
    const wrapped = await read('flows', path, VPC_FIELDS);
    expect(plain.issueCount).toBe(0);
    expect(wrapped.issues).toEqual([]);
    expect(wrapped.profile.sources.map((s) => [s.format, s.records])).toEqual([
      ['flows', plain.profile.sources[0]!.records],
    ]);
    // Not vacuous: the pod's own address (pkt-srcaddr), not its node's, is the source of a path.
    expect(withoutSources(plain.profile)).toContain('10.0.1.77');
    expect(withoutSources(plain.profile)).not.toContain('"10.0.1.5"');
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
  });

  it('a header line in the file wins over --vpc-format for the lines after it', async () => {
    const [plainPath] = pair(dir, 'header-wins', VPC_PLAIN, '');
    const plain = await read('flows', plainPath);
    const other = await read('flows', plainPath, [
      'version',
      'srcaddr',
      'dstaddr',
      'srcport',
      'dstport',
      'protocol',
      'start',
      'action',
    ]);
    expect(other.issues).toEqual([]);
    expect(withoutSources(other.profile)).toBe(withoutSources(plain.profile));
  });

  it('without --vpc-format each record is one issue naming the file, the line and the log event, and the option', async () => {
    const path = join(dir, 'no-format.json');
    writeFileSync(path, filterLogEvents('eni-all', VPC_EVENTS.slice(0, 2)));
    const r = await read('flows', path);
    expect(r.issues.map((i) => [i.file, i.line, i.code])).toEqual([
      [path, 1, 'flow.vpc-fields'],
      [path, 1, 'flow.vpc-fields'],
    ]);
    expect(r.issues[0]!.message).toMatch(
      /^events\[0\]: expected 14 fields \(version account-id .*\), got 16 \(.*--vpc-format/,
    );
    expect(r.issues[1]!.message).toMatch(/^events\[1\]: /);
    expect(r.profile.sources[0]!.records).toBe(0);
  });

  it('a record that does not fit the format given is an issue naming its line; the others are read', async () => {
    const path = join(dir, 'short-line.txt');
    writeFileSync(path, `${VPC[0]}\n${VPC[2]!.split(' ').slice(0, 10).join(' ')}\n${VPC[3]}\n`);
    const r = await read('flows', path, VPC_FIELDS);
    expect(r.issues.map((i) => [i.file, i.line, i.code, i.message])).toEqual([
      [path, 2, 'flow.vpc-fields', expect.stringMatching(/^expected 16 fields \(version interface-id .*\), got 10/)],
    ]);
    expect(r.profile.sources[0]!.records).toBe(2);
  });
});

/** A pod of the inventory (a `kubectl get pods -A -o json` item) at an address the flows name. */
const pod = (name: string, ip: string, port: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { containers: [{ name, image: `${name}:1`, ports: [{ containerPort: port, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});
const INVENTORY = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    pod('web', '10.0.1.20', 8080),
    pod('db', '10.0.2.30', 5432),
    pod('api', '10.0.2.31', 443),
    pod('worker', '10.0.1.77', 8080),
  ],
});

describe('--vpc-format on the command line', () => {
  const dir = tmp();
  const [plainPath, cwlPath] = pair(dir, 'cwl.json', VPC_PLAIN, filterLogEvents('eni-all', VPC_EVENTS));
  const inventory = join(dir, 'inventory.json');
  writeFileSync(inventory, INVENTORY);

  it('profile and generate netpol read CloudWatch Logs messages as the file with its header', async () => {
    const plain = await runInProcess(['profile', '--flows', plainPath, '-q'], dir);
    const cwl = await runInProcess(['profile', '--flows', cwlPath, '--vpc-format', LOG_FORMAT, '-q'], dir);
    expect(cwl.code, cwl.stderr).toBe(0);
    expect(withoutSources(await profileOfText(cwl.stdout))).toBe(withoutSources(await profileOfText(plain.stdout)));
    // The field names as a header gives them are the same format.
    const netpol = ['generate', 'netpol', '--inventory', inventory, '-q', '--flows'];
    const names = await runInProcess([...netpol, cwlPath, '--vpc-format', VPC_HEADER], dir);
    const fromPlain = await runInProcess([...netpol, plainPath], dir);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).toContain('kind: NetworkPolicy');
    expect(names.stdout).toBe(fromPlain.stdout);
  });

  it('from the config file’s sources', async () => {
    const cwd = join(dir, 'with-config');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'audit2policy.yaml'),
      `apiVersion: audit2policy.dev/v1alpha1\nkind: Config\nsources:\n  flows: ${JSON.stringify(cwlPath)}\n  vpcFormat: ${JSON.stringify(LOG_FORMAT)}\n`,
    );
    const plain = await runInProcess(['profile', '--flows', plainPath, '-q'], dir);
    const r = await runInProcess(['profile', '-q'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(withoutSources(await profileOfText(r.stdout))).toBe(withoutSources(await profileOfText(plain.stdout)));
  });

  it.each([
    [
      'an unknown field',
      '${version} ${srcaddr} ${dstaddr} ${bogus-field}',
      /^error: --vpc-format: unknown field "\$\{bogus-field\}"/,
    ],
    ['a field named twice', `${LOG_FORMAT} \${srcaddr}`, /^error: --vpc-format: srcaddr is named twice/],
    [
      'no action',
      '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start}',
      /^error: --vpc-format: the format lacks action/,
    ],
    ['a token of neither form', '${srcaddr ${dstaddr}', /^error: --vpc-format: "\$\{srcaddr" is neither/],
    ['nothing', ' ', /^error: --vpc-format: no field given/],
  ])('%s is a usage error naming the option (exit 2), before anything is read', async (_name, format, message) => {
    const r = await runInProcess(['profile', '--flows', cwlPath, '--vpc-format', format, '-q'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('without --flows it is a usage error', async () => {
    const r = await runInProcess(['profile', '--k8s-audit', plainPath, '--vpc-format', LOG_FORMAT, '-q'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vpc-format goes with --flows/);
  });
});

// ---- AKS audit logs in Log Analytics, as its query API answers (Azure Monitor, "Log Analytics API response format":
// tables of columns, each {name, type}, and rows of values in the columns' order; dynamic columns as JSON text).
const EVENTS_PLAIN = readFileSync(join(ROOT, 'fixtures/envelopes/native/events.jsonl'), 'utf8');
const EVENTS = EVENTS_PLAIN.split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const AKS_ID =
  '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/SHOP/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SHOP';
/** Log Analytics' datetime: 100 ns ticks, seven fractional digits. */
const ticks = (t: unknown) =>
  String(t).replace(/(\.\d+)?Z$/, (_m, f: string = '') => (f + '0000000').slice(0, 8) + 'Z');
const writes = (e: Record<string, unknown>) => !['get', 'list', 'watch'].includes(String(e['verb']));
const text = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** The AKSAudit / AKSAuditAdmin columns (Azure Monitor table reference), with their types, and a row's values. */
const AKS_AUDIT_COLUMNS: [string, string, (e: Record<string, unknown>) => unknown][] = [
  ['TenantId', 'string', () => 'aaaaaaaa-0000-0000-0000-000000000000'],
  ['TimeGenerated', 'datetime', (e) => ticks(e['stageTimestamp'])],
  ['Level', 'string', (e) => e['level']],
  ['AuditId', 'string', (e) => e['auditID']],
  ['Stage', 'string', (e) => e['stage']],
  ['RequestUri', 'string', (e) => e['requestURI'] ?? ''],
  ['Verb', 'string', (e) => e['verb']],
  ['User', 'dynamic', (e) => text(e['user'])],
  ['ImpersonatedUser', 'dynamic', (e) => text(e['impersonatedUser'])],
  ['UserAgent', 'string', (e) => e['userAgent'] ?? ''],
  ['SourceIps', 'dynamic', (e) => text(e['sourceIPs'])],
  ['ObjectRef', 'dynamic', (e) => text(e['objectRef'])],
  ['ResponseStatus', 'dynamic', (e) => text(e['responseStatus'])],
  ['RequestObject', 'dynamic', (e) => text(e['requestObject'])],
  ['ResponseObject', 'dynamic', (e) => text(e['responseObject'])],
  ['RequestReceivedTime', 'datetime', (e) => ticks(e['requestReceivedTimestamp'])],
  ['StageReceivedTime', 'datetime', (e) => ticks(e['stageTimestamp'])],
  ['Annotations', 'dynamic', (e) => text(e['annotations'])],
  ['PodName', 'string', () => 'kube-apiserver-6d5b7c9f8-abcde'],
  ['SourceSystem', 'string', () => 'Azure'],
  ['Type', 'string', (e) => (writes(e) ? 'AKSAuditAdmin' : 'AKSAudit')],
  ['_ResourceId', 'string', () => AKS_ID.toLowerCase()],
];

/** The AzureDiagnostics columns of kube-audit records (AKS, "Monitor and query apiserver requests"). */
const AZURE_DIAGNOSTICS_COLUMNS: [string, string, (e: Record<string, unknown>) => unknown][] = [
  ['TenantId', 'string', () => 'aaaaaaaa-0000-0000-0000-000000000000'],
  ['TimeGenerated', 'datetime', (e) => ticks(e['stageTimestamp'])],
  ['ResourceId', 'string', () => AKS_ID],
  ['Category', 'string', (e) => (writes(e) ? 'kube-audit-admin' : 'kube-audit')],
  ['ResourceProvider', 'string', () => 'MICROSOFT.CONTAINERSERVICE'],
  ['OperationName', 'string', () => 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read'],
  ['log_s', 'string', (e) => JSON.stringify(e)],
  ['pod_s', 'string', () => 'kube-apiserver-6d5b7c9f8-abcde'],
  ['stream_s', 'string', () => 'stdout'],
  ['SourceSystem', 'string', () => 'Azure'],
  ['Type', 'string', () => 'AzureDiagnostics'],
];

type Column = [string, string, (e: Record<string, unknown>) => unknown];
const table = (columns: Column[], rows: unknown[][]) => ({
  name: 'PrimaryResult',
  columns: columns.map(([name, type]) => ({ name, type })),
  rows,
});
const rowsOf = (columns: Column[], events: Record<string, unknown>[]) =>
  events.map((e) => columns.map(([, , f]) => f(e)));
/** The query API's answer: the tables, and the error a query that met a non-fatal one carries beside them. */
const answer = (tables: unknown[], error?: unknown) => ({ tables, ...(error ? { error } : {}) });

// ---- GKE audit logs routed to BigQuery by a log sink (Cloud Logging, "BigQuery schema for logs"): the LogEntry's
// fields keep their names, the AuditLog payload is the column protopayload_auditlog, characters a column name cannot
// hold become "_"; a JSON export (BigQuery, "Export table data": INT64 as strings) of the table's rows.
const GKE_PLAIN = readFileSync(join(ROOT, 'fixtures/envelopes/gke/log-sink.jsonl'), 'utf8');
const GKE = GKE_PLAIN.split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
/** A TIMESTAMP as a JSON export writes it. */
const bqTime = (t: unknown) => String(t).replace('T', ' ').replace(/Z$/, ' UTC');

function bigQueryRow(entry: Record<string, unknown>): Record<string, unknown> {
  const { protoPayload, labels, timestamp, receiveTimestamp, ...rest } = entry as Record<
    string,
    Record<string, unknown>
  >;
  const { '@type': _type, status, ...payload } = protoPayload!;
  const code = (status as Record<string, unknown> | undefined)?.['code'];
  return {
    ...rest,
    timestamp: bqTime(timestamp),
    receiveTimestamp: bqTime(receiveTimestamp),
    ...(labels ? { labels: { authorization_k8s_io_decision: labels['authorization.k8s.io/decision'] } } : {}),
    protopayload_auditlog: {
      ...payload,
      status: code === undefined ? status : { ...(status as Record<string, unknown>), code: String(code) },
    },
  };
}

interface Case {
  name: string;
  plain: string;
  file: string;
  content: string;
}

const CASES: Case[] = [
  {
    name: 'AKSAudit and AKSAuditAdmin rows from the Log Analytics query API (AKSAudit | union AKSAuditAdmin)',
    plain: EVENTS_PLAIN,
    file: 'aks-query-api.json',
    content: JSON.stringify(answer([table(AKS_AUDIT_COLUMNS, rowsOf(AKS_AUDIT_COLUMNS, EVENTS))]), null, 2),
  },
  {
    name: 'AKSAudit and AKSAuditAdmin as two tables, one answer per line',
    plain: EVENTS_PLAIN,
    file: 'aks-query-api.jsonl',
    content:
      [
        answer([table(AKS_AUDIT_COLUMNS, rowsOf(AKS_AUDIT_COLUMNS, EVENTS.filter(writes)))]),
        answer([
          table(AKS_AUDIT_COLUMNS, []),
          table(
            AKS_AUDIT_COLUMNS,
            rowsOf(
              AKS_AUDIT_COLUMNS,
              EVENTS.filter((e) => !writes(e)),
            ),
          ),
        ]),
      ]
        .map((a) => JSON.stringify(a))
        .join('\n') + '\n',
  },
  {
    name: 'AzureDiagnostics rows of kube-audit and kube-audit-admin from the query API, other categories between them',
    plain: EVENTS_PLAIN,
    file: 'aks-azurediagnostics-query-api.json',
    content: JSON.stringify(
      answer([
        table(AZURE_DIAGNOSTICS_COLUMNS, [
          ...rowsOf(AZURE_DIAGNOSTICS_COLUMNS, EVENTS.slice(0, 5)),
          AZURE_DIAGNOSTICS_COLUMNS.map(([name, , f]) =>
            name === 'Category'
              ? 'kube-apiserver'
              : name === 'log_s'
                ? 'I1102 08:04:00 quota admission added'
                : f(EVENTS[0]!),
          ),
          ...rowsOf(AZURE_DIAGNOSTICS_COLUMNS, EVENTS.slice(5)),
        ]),
      ]),
    ),
  },
  {
    name: 'GKE audit logs in BigQuery, bq extract --destination_format NEWLINE_DELIMITED_JSON',
    plain: GKE_PLAIN,
    file: 'gke-bigquery.jsonl',
    content: GKE.map((e) => JSON.stringify(bigQueryRow(e))).join('\n') + '\n',
  },
  {
    name: 'GKE audit logs in BigQuery, a query’s rows saved as a JSON array',
    plain: GKE_PLAIN,
    file: 'gke-bigquery-query.json',
    content: JSON.stringify(GKE.map(bigQueryRow), null, 2),
  },
];

describe('AKS from Log Analytics’ query API and GKE from BigQuery read as the same records in the plain format', () => {
  const dir = tmp();
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const [plainPath, path] = pair(dir, c.file, c.plain, c.content);
    const plain = await read('k8sAudit', plainPath);
    const wrapped = await read('k8sAudit', path);
    expect(plain.issueCount).toBe(0);
    expect(wrapped.issues).toEqual([]);
    expect(wrapped.profile.sources.map((s) => [s.format, s.records])).toEqual([
      ['k8s-audit', plain.profile.sources[0]!.records],
    ]);
    expect(withoutSources(plain.profile)).toMatch(/"k8s"/);
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
  });

  // The 403 of the fixtures with one of the three signs GKE gives of the decision: the row must read it as the entry.
  const forbidden = GKE.find((e) => (e['protoPayload'] as { status: { code?: number } }).status.code === 7)!;
  const only = (sign: 'status' | 'label') => {
    const { authorizationInfo: _a, status, ...payload } = forbidden['protoPayload'] as Record<string, unknown>;
    const { labels: _l, ...entry } = forbidden;
    return sign === 'status'
      ? { ...entry, protoPayload: { ...payload, status } }
      : { ...entry, protoPayload: payload, labels: { 'authorization.k8s.io/decision': 'forbid' } };
  };
  it.each([
    ['its status code (7, PERMISSION_DENIED: an INT64, exported as text)', only('status')],
    ['the authorizer’s decision label (authorization_k8s_io_decision)', only('label')],
  ])('a BigQuery row whose denial only %s says is denied as the entry is', async (name, entry) => {
    const [plainPath, path] = pair(
      dir,
      name.replace(/\W/g, '_'),
      JSON.stringify(entry) + '\n',
      JSON.stringify(bigQueryRow(entry)) + '\n',
    );
    const plain = await read('k8sAudit', plainPath);
    const row = await read('k8sAudit', path);
    expect(row.issues).toEqual([]);
    expect(withoutSources(plain.profile)).toMatch(/"denied":\[1,/);
    expect(withoutSources(row.profile)).toBe(withoutSources(plain.profile));
  });
});

describe('what cannot be read is an issue naming the file, the line and the row; the rest is read', () => {
  const dir = tmp();
  const two = EVENTS.slice(0, 2);
  it.each([
    [
      'a query API row with fewer values than the table has columns',
      JSON.stringify(answer([table(AKS_AUDIT_COLUMNS, rowsOf(AKS_AUDIT_COLUMNS, EVENTS.slice(0, 1)))])) +
        '\n' +
        JSON.stringify(
          answer([
            table(AKS_AUDIT_COLUMNS, [
              rowsOf(AKS_AUDIT_COLUMNS, two)[0]!,
              rowsOf(AKS_AUDIT_COLUMNS, two)[1]!.slice(0, 5),
            ]),
          ]),
        ),
      [2, 'k8s.bad-envelope', /^tables\[0\]\.rows\[1\], 5 values for the table's 22 columns$/],
      2,
    ],
    [
      'an AKSAudit row of the query API whose User is cut short',
      JSON.stringify(
        answer([
          table(
            AKS_AUDIT_COLUMNS,
            rowsOf(AKS_AUDIT_COLUMNS, two).map((r, i) =>
              i === 1 ? r.map((v, j) => (j === 7 ? '{"username":"sys' : v)) : r,
            ),
          ),
        ]),
      ),
      [
        1,
        'k8s.bad-envelope',
        /^tables\[0\]\.rows\[1\], AuditId "13c6ef36-58ff-4317-8453-808d12dfd808", User is not JSON$/,
      ],
      1,
    ],
    [
      'an answer whose query met a non-fatal error (PartialError): its rows are read, and it is said',
      JSON.stringify(
        answer([table(AKS_AUDIT_COLUMNS, rowsOf(AKS_AUDIT_COLUMNS, two))], {
          code: 'PartialError',
          message: 'There were some errors when processing your query.',
        }),
      ),
      [
        1,
        'k8s.partial-results',
        /^the query answer carries an error \("PartialError" "There were some errors.*"\): its results are incomplete$/,
      ],
      2,
    ],
    [
      'a BigQuery row without its method',
      [bigQueryRow(GKE[0]!), bigQueryRow(GKE[1]!)]
        .map((r, i) => {
          if (i === 1) delete (r['protopayload_auditlog'] as Record<string, unknown>)['methodName'];
          return JSON.stringify(r);
        })
        .join('\n'),
      [2, 'k8s.bad-envelope', /^insertId "13c6ef36-1daa66", protopayload_auditlog\.methodName is missing$/],
      1,
    ],
    [
      'a BigQuery row whose status code is no number',
      [
        bigQueryRow(GKE[0]!),
        {
          ...bigQueryRow(GKE[1]!),
          protopayload_auditlog: {
            ...(bigQueryRow(GKE[1]!)['protopayload_auditlog'] as object),
            status: { code: 'seven' },
          },
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
      [
        2,
        'k8s.bad-envelope',
        /^insertId "13c6ef36-1daa66", protopayload_auditlog\.status\.code is not a whole number$/,
      ],
      1,
    ],
  ] as const)('%s', async (name, content, [line, code, message], records) => {
    const path = join(dir, name.replace(/\W/g, '_'));
    writeFileSync(path, content);
    const r = await read('k8sAudit', path);
    expect(r.issues.map((i) => [i.file, i.line, i.code, i.message])).toEqual([
      [path, line, code, expect.stringMatching(message)],
    ]);
    expect(r.profile.sources[0]!.records).toBe(records);
  });

  it('an answer of another table is one issue for the input, with the count of rows like it', async () => {
    const path = join(dir, 'containerlog.json');
    const columns: Column[] = [
      ['TimeGenerated', 'datetime', () => '2026-11-02T08:00:00.0000000Z'],
      ['ContainerName', 'string', () => 'web'],
      ['LogMessage', 'dynamic', () => '{"msg":"GET /"}'],
    ];
    writeFileSync(path, JSON.stringify(answer([table(columns, rowsOf(columns, EVENTS.slice(0, 3)))])));
    const r = await read('k8sAudit', path);
    expect(r.issues.map((i) => [i.file, i.line, i.code])).toEqual([[path, 1, 'k8s.unknown-format']]);
    expect(r.issues[0]!.message).toMatch(
      /^a JSON object with keys TimeGenerated, ContainerName, LogMessage: .* \(first at tables\[0\]\.rows\[0\]\) \(and 2 more records/,
    );
  });
});

describe('GKE’s BigQuery rows given to another flag say whose they are', () => {
  it('to --cloudtrail: skipped with one notice naming --k8s-audit', async () => {
    const path = join(tmp(), 'gke-bigquery.jsonl');
    writeFileSync(path, GKE.map((e) => JSON.stringify(bigQueryRow(e))).join('\n') + '\n');
    const r = await read('cloudtrail', path);
    expect(r.profile.sources.map((s) => [s.format, s.notice])).toEqual([
      ['skipped', expect.stringMatching(/looks like a Kubernetes audit log: read it with --k8s-audit/)],
    ]);
  });
});
