// The envelopes test/envelopes-property.test.ts delivers records in: each shape the way its provider documents it
// (the comment above each names the page), and only shapes audit2policy says it reads (docs/formats.md, docs/cli.md,
// ADR 0014; test/envelopes*.test.ts, test/siem-exports.test.ts and test/envelope-times.test.ts hold one case of each).
// A shape writes one file of a chunk of records and says, for each record, where the tool names it in an issue: the
// line of the envelope record it is in and the element (`events[3]`, `hits.hits[1]._source`, `''` where the tool
// names none).
import { chance, int, pick, type Json, type Rand } from './envelopePropertyRecords.js';

export type Kind = 'audit' | 'trail' | 'hubble' | 'vpc';
/** What is done to one record inside its envelope: its JSON text cut short, a number in its place, a field dropped. */
export type Corruption = 'truncate' | 'number' | 'drop';
/** Corruptions of a shape that holds records as text (a message, `_raw`, a line), and of one that holds values. */
const TEXT: Corruption[] = ['truncate', 'number', 'drop'];
const VALUE: Corruption[] = ['number', 'drop'];
/** How finely an envelope's own time is written. */
export type Precision = 'ms' | 'us' | 'ns';

export interface Item {
  kind: Kind;
  /** The record as the plain tree holds it (a VPC flow log record is its line). */
  plain: Json | string;
  /** What the envelope is made of: the plain record, but for GKE's entries the Event the entry is made from. */
  rec: Json | string;
  broken?: Corruption;
  /** The fields `drop` leaves out (comma-separated). */
  dropped?: string;
  /** The record's own time, moved to the envelope (the record is then written without one). */
  moved?: string;
  /** Where the tool names the record: its file (relative to the run's directory), line and element. */
  loc?: { file: string; line: number; where: string };
  /** The shape it was written in. */
  shape?: string;
}

/** An instant as a record writes it: its milliseconds, the microseconds after them, and any nanosecond digits. */
export interface Instant {
  ms: number;
  us: number;
  ns: string;
}

export interface Ctx {
  r: Rand;
  /** The record as text in the envelope: its JSON (a VPC line as it is), corrupted when it is the broken one. */
  text(it: Item): string;
  /** The record as a JSON value in the envelope, corrupted when it is the broken one. */
  value(it: Item): unknown;
  /**
   * When the envelope logged the record, as precisely as it writes times: a little later than the record's own
   * (which must win); or, now and then, the record's own time moved there (the record then written without one), where
   * the tool documents that a record without a time takes the envelope's (`moves`: audit Events in every envelope by
   * default; a Hubble flow in its wrapper; a CloudTrail record or a flow beside a shipper's `@timestamp`). Call it
   * before the record's text or value.
   */
  time(it: Item, precision: Precision, moves?: boolean): Instant;
  /** The text cut short (the broken record's, where a shape writes it itself). */
  cut(text: string): string;
  /** Says where the tool names the record. */
  at(it: Item, line: number, where: string): void;
  /** Counts something the run did (tallies). */
  count(what: string): void;
}

/** A file a shape writes: its text, or the members of a Firehose object (each its own gzip member when gzip). */
export type Written = { text: string } | { members: string[] };

export interface Shape {
  name: string;
  kind: Kind;
  /** Corruptions of one of its records that stay that record's (cutting a document's JSON short would not). */
  corrupt: Corruption[];
  /** Whether the shape can hold this record (LookupEvents: management events; GKE: a decided request). */
  takes?: (rec: Json | string) => boolean;
  /** The record the plain tree holds for this one (GKE: the Event its entry stands for). */
  plain?: (rec: Json) => Json;
  write(items: Item[], c: Ctx): Written;
  /**
   * What the first record of a file decides (KNOWN in the test): `json`, each record's JSON text is a whole line (or
   * the message after a line's prefix); `vpc`, a text file of VPC records without a header line.
   */
  firstLine?: 'json' | 'vpc';
  /** Lines of a JSON lines file: a shape whose records are each a line of their own may be mixed with others. */
  line?: (it: Item, c: Ctx) => { line: string; where: string };
}

// ---- Times ----------------------------------------------------------------------------------------------------------

/** `2026-11-09T00:00:41.163537Z` (any number of fractional digits) as an instant. */
export function instantOf(t: string): Instant {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(t);
  if (!m) throw new Error(`not a UTC RFC 3339 time: ${t}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  const ns = (m[2] ?? '').length > 6 ? frac.slice(6, 9) : '';
  return { ms: Date.parse(`${m[1]}.${frac.slice(0, 3)}Z`), us: Number(frac.slice(3, 6)), ns };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const isoMs = (i: Instant) => new Date(i.ms).toISOString();
/** CloudWatch Logs' `timestamp`: epoch milliseconds. */
export const epochMs = (i: Instant) => i.ms;
/** Logs Insights' `@timestamp`: UTC without a zone, milliseconds (`2026-11-02 08:00:00.123`). */
export const insightsTime = (i: Instant) => isoMs(i).replace('T', ' ').replace('Z', '');
/** Azure's `time` and Log Analytics' `TimeGenerated`: seven fractional digits (100 ns ticks). */
export const azureTime = (i: Instant) => `${isoMs(i).slice(0, 23)}${pad(i.us, 3)}${i.ns[0] ?? '0'}Z`;
/** Splunk's `_time` in a JSON export: milliseconds and the zone (`2026-11-03T09:15:02.000+00:00`). */
export const splunkTime = (i: Instant) => `${isoMs(i).slice(0, 23)}+00:00`;
/** Elasticsearch's `@timestamp` (a `date`: milliseconds). */
export const esTime = (i: Instant) => isoMs(i);
/** logcli's `timestamp`: RFC 3339 with nanoseconds, in the local zone (here +01:00) unless told `--timezone UTC`. */
export const lokiTime = (i: Instant) =>
  `${new Date(i.ms + 3_600_000).toISOString().slice(0, 23)}${pad(i.us, 3)}${i.ns.padEnd(3, '0')}+01:00`;
/** Loki's query API: epoch nanoseconds as text. */
export const lokiNs = (i: Instant) =>
  (BigInt(i.ms) * 1_000_000n + BigInt(i.us) * 1000n + BigInt(Number(i.ns.padEnd(3, '0')))).toString();
/** A `date_nanos` in UTC: `2026-11-09T00:07:37.953809291Z`. */
const nanosUtc = (i: Instant) => `${isoMs(i).slice(0, 23)}${pad(i.us, 3)}${i.ns.padEnd(3, '0')}Z`;
/** CloudWatch Logs' export to S3: the event's time before its message (`2026-11-02T08:00:00.123Z {...}`). */
export const exportTime = (i: Instant) => isoMs(i);

// ---- Names ----------------------------------------------------------------------------------------------------------

const HEX = '0123456789abcdef';
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => pick(r, [...HEX])).join('');
const digits = (r: Rand, n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join('');
const ACCOUNT = '111122223333';
const join = (...parts: string[]) => parts.filter((p) => p).join(', ');

/** Lines of a file, one value each, `\n` at the end. */
const lines = (xs: string[]) => xs.map((x) => x + '\n').join('');

/** A shape of a record per line: its file, and its line for files of records in shapes of their own. */
const perLine = (line: NonNullable<Shape['line']>): Pick<Shape, 'write' | 'line'> => ({
  write: (items, c) => lineFile(items, c, line),
  line,
});

/** Records that are each a line: their lines in order, each record named at its line. */
function lineFile(items: Item[], c: Ctx, line: (it: Item, c: Ctx) => { line: string; where: string }): Written {
  const out: string[] = [];
  for (const it of items) {
    const l = line(it, c);
    out.push(l.line);
    c.at(it, out.length, l.where);
  }
  return { text: lines(out) };
}

/** A document of records written at its first line (the reader parses it whole: issues name line 1). */
function docAt1(items: Item[], c: Ctx, where: (it: Item, i: number) => string): void {
  items.forEach((it, i) => c.at(it, 1, where(it, i)));
}

// ---- Kubernetes audit Events (docs/formats.md, "Kubernetes audit logs as managed clusters deliver them") ------------

const AUDIT_STREAM = (r: Rand) => `kube-apiserver-audit-${hex(r, 32)}`;
const AKS_ID =
  '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/ACME-STAGING/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/ACME-STAGING';
const isWrite = (e: unknown) =>
  typeof e === 'object' && e !== null && !['get', 'list', 'watch'].includes(String((e as Json)['verb']));

/** The audit Event's own time (the first the decoder reads), as an instant. */
const eventTime = (e: Json | string) => instantOf(String((e as Json)['requestReceivedTimestamp']));

/** A CloudWatch Logs event of the EKS audit stream (`aws logs filter-log-events` and `get-log-events`). */
function cwEvent(it: Item, c: Ctx, stream: string | undefined, i: number) {
  const t = c.time(it, 'ms');
  return {
    ...(stream ? { logStreamName: stream } : {}),
    timestamp: epochMs(t),
    message: c.text(it),
    ingestionTime: epochMs(t) + int(c.r, 200, 3000),
    ...(stream ? { eventId: `3${pad(epochMs(t), 20)}${pad(i, 35)}` } : {}),
  };
}

/** Another EKS control-plane stream's event (the authenticator's): skipped and counted, never read as an Event. */
const authenticatorEvent = (r: Rand, ms: number) => ({
  logStreamName: `authenticator-${hex(r, 32)}`,
  timestamp: ms,
  message: `time="${new Date(ms).toISOString()}" level=info msg="access granted" arn="arn:aws:iam::${ACCOUNT}:role/ci"`,
  ingestionTime: ms + 900,
  eventId: `3${pad(ms, 20)}${'9'.repeat(35)}`,
});

/** A subscription filter's CONTROL_MESSAGE (CloudWatch Logs user guide, "Subscription filters"): skipped. */
const controlMessage = (ms: number) => ({
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [{ id: '', timestamp: ms, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
});

/**
 * Subscription records as Firehose delivers them to S3 (CloudWatch Logs user guide, "Subscription filters with Amazon
 * Data Firehose"): DATA_MESSAGE records of a few log events each, back to back without newlines, a CONTROL_MESSAGE now
 * and then; gzip with one member per record. `valueOnLine`: how the reader names the second record of the line on.
 */
function firehose(
  items: Item[],
  c: Ctx,
  group: string,
  stream: string,
  valueOnLine: boolean,
  time: (it: Item) => number,
): Written {
  const members: string[] = [];
  const first = items[0] ? time(items[0]) : 0;
  if (chance(c.r, 0.5)) members.push(JSON.stringify(controlMessage(first)));
  for (let i = 0; i < items.length;) {
    const batch = items.slice(i, i + int(c.r, 1, 5));
    i += batch.length;
    const n = members.length + 1;
    const logEvents = batch.map((it, j) => {
      c.at(it, 1, join(valueOnLine && n > 1 ? `value ${n} of the line` : '', `logEvents[${j}]`));
      const ms = time(it);
      return { id: `${pad(ms, 20)}${digits(c.r, 36)}`, timestamp: ms, message: c.text(it) };
    });
    members.push(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: ACCOUNT,
        logGroup: group,
        logStream: stream,
        subscriptionFilters: ['to-firehose'],
        logEvents,
      }),
    );
  }
  return { members };
}

/**
 * The Event as the ingest pipeline of Elastic's Kubernetes integration stores it: the request's and the response's
 * bodies without their metadata, every `.` of an annotation's key written `_`.
 */
function elasticAudit(e: Json): Json {
  const stored: Json = {};
  for (const [key, v] of Object.entries(e)) {
    const obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
    if (obj && (key === 'requestObject' || key === 'responseObject'))
      stored[key] = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'metadata'));
    else if (obj && key === 'annotations')
      stored[key] = Object.fromEntries(Object.entries(obj).map(([k, x]) => [k.replaceAll('.', '_'), x]));
    else stored[key] = v;
  }
  return stored;
}

/**
 * An ECS document of Elastic's Kubernetes integration (data stream kubernetes.audit_logs) holding the Event. A record
 * cut short (only ever kept in event.original) is one its ingest pipeline could not parse: no kubernetes.audit, the
 * pipeline's error.message instead.
 */
function ecsAuditDoc(it: Item, c: Ctx, original: boolean): Json {
  const t = c.time(it, 'ms');
  const v = it.broken === 'truncate' ? undefined : c.value(it);
  const audit = typeof v === 'object' && v !== null ? elasticAudit(v as Json) : v;
  return {
    '@timestamp': esTime(t),
    ...(it.broken === 'truncate'
      ? { error: { message: 'failed to parse the audit event' } }
      : { kubernetes: { audit } }),
    event: {
      kind: 'event',
      action: typeof v === 'object' && v !== null ? (v as Json)['verb'] : undefined,
      dataset: 'kubernetes.audit_logs',
      ...(original ? { original: c.text(it) } : {}),
    },
    data_stream: { namespace: 'default', type: 'logs', dataset: 'kubernetes.audit_logs' },
    ecs: { version: '8.11.0' },
  };
}

/** An AKS diagnostic record (Azure Monitor, "Resource logs": AKS's kube-audit category), the Event in its log. */
function aksRecord(it: Item, c: Ctx): Json {
  const e = it.rec as Json;
  const t = c.time(it, 'us');
  return {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category: isWrite(e) ? pick(c.r, ['kube-audit', 'kube-audit-admin']) : 'kube-audit',
    ccpNamespace: '65f1c0ffee0123456789abcd',
    resourceId: AKS_ID,
    properties: { log: c.text(it), stream: 'stdout', pod: `kube-apiserver-7c9d8f6b5-${hex(c.r, 5)}` },
    time: azureTime(t),
    Cloud: 'AzureCloud',
    Environment: 'prod',
  };
}

/** Records of AKS's other diagnostic categories between the audit ones: skipped and counted. */
const aksOther = (r: Rand, ms: number) => ({
  operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
  category: pick(r, ['kube-apiserver', 'guard']),
  resourceId: AKS_ID,
  properties: { log: 'I1109 08:04:00.000000 1 controller.go:615] quota admission added', stream: 'stderr' },
  time: azureTime({ ms, us: 0, ns: '' }),
});

/** A row of Log Analytics' AzureDiagnostics table (AKS, "Monitor and query apiserver requests"): log_s. */
function azureDiagnosticsRow(it: Item, c: Ctx): Json {
  const t = c.time(it, 'us');
  return {
    TenantId: 'aaaaaaaa-0000-0000-0000-000000000000',
    TimeGenerated: azureTime(t),
    ResourceId: AKS_ID,
    Category: isWrite(it.rec) ? 'kube-audit-admin' : 'kube-audit',
    ResourceProvider: 'MICROSOFT.CONTAINERSERVICE',
    OperationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    log_s: c.text(it),
    pod_s: 'kube-apiserver-6d5b7c9f8-abcde',
    stream_s: 'stdout',
    SourceSystem: 'Azure',
    Type: 'AzureDiagnostics',
  };
}

/** AKSAudit's columns (Azure Monitor table reference, AKSAudit), each an Event field's; dynamic ones JSON text. */
const AKS_COLUMNS: [string, string, string, boolean][] = [
  ['Level', 'string', 'level', false],
  ['AuditId', 'string', 'auditID', false],
  ['Stage', 'string', 'stage', false],
  ['RequestUri', 'string', 'requestURI', false],
  ['Verb', 'string', 'verb', false],
  ['User', 'dynamic', 'user', true],
  ['ImpersonatedUser', 'dynamic', 'impersonatedUser', true],
  ['UserAgent', 'string', 'userAgent', false],
  ['SourceIps', 'dynamic', 'sourceIPs', true],
  ['ObjectRef', 'dynamic', 'objectRef', true],
  ['ResponseStatus', 'dynamic', 'responseStatus', true],
  ['RequestObject', 'dynamic', 'requestObject', true],
  ['ResponseObject', 'dynamic', 'responseObject', true],
  ['RequestReceivedTime', 'datetime', 'requestReceivedTimestamp', false],
  ['StageReceivedTime', 'datetime', 'stageTimestamp', false],
  ['Annotations', 'dynamic', 'annotations', true],
];

/**
 * A row of AKSAudit / AKSAuditAdmin for an Event (undefined for a value that is no Event: the broken record's 42).
 * Times as Log Analytics writes them (seven digits); a row without its times is timed by its TimeGenerated.
 */
function aksAuditRow(it: Item, c: Ctx): Json | undefined {
  const t = c.time(it, 'us');
  const v = c.value(it);
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Json;
  const row: Json = { TenantId: 'aaaaaaaa-0000-0000-0000-000000000000', TimeGenerated: azureTime(t) };
  for (const [column, , field, dynamic] of AKS_COLUMNS) {
    const x = e[field];
    if (field.endsWith('Timestamp')) row[column] = x === undefined ? '' : azureTime(instantOf(String(x)));
    else row[column] = x === undefined ? '' : dynamic ? JSON.stringify(x) : x;
  }
  if (it.broken === 'drop') delete row[it.dropped === 'verb' ? 'Verb' : 'User'];
  row['PodName'] = 'kube-apiserver-6d5b7c9f8-abcde';
  row['SourceSystem'] = 'Azure';
  row['Type'] = isWrite(e) ? 'AKSAuditAdmin' : 'AKSAudit';
  row['_ResourceId'] = AKS_ID.toLowerCase();
  return row;
}

// ---- SIEM exports (docs/formats.md, "SIEM exports"; ADR 0014), for every kind ---------------------------------------

/** `splunk search … -output json` and the REST export (`search/jobs/export?output_mode=json`): a line per result. */
function splunkExportLine(sourcetype: string) {
  return (it: Item, c: Ctx) => {
    const t = c.time(it, 'ms');
    return {
      line: JSON.stringify({
        preview: false,
        offset: int(c.r, 0, 5000),
        result: {
          _raw: c.text(it),
          _time: splunkTime(t),
          host: 'hf-1',
          source: 'http:audit',
          sourcetype,
          index: 'main',
        },
      }),
      where: 'result._raw',
    };
  };
}
/** A Splunk result saved alone: `{"_raw": …}`. */
const splunkRawLine = (sourcetype: string) => (it: Item, c: Ctx) => {
  const t = c.time(it, 'ms');
  return { line: JSON.stringify({ _raw: c.text(it), _time: splunkTime(t), sourcetype }), where: '_raw' };
};
/** A search job's results (`search/jobs/<sid>/results?output_mode=json`): one document. */
function splunkResults(sourcetype: string) {
  return (items: Item[], c: Ctx): Written => {
    docAt1(items, c, (_it, i) => `results[${i}]._raw`);
    const results = items.map((it) => {
      const t = c.time(it, 'ms');
      return { _raw: c.text(it), _time: splunkTime(t), sourcetype };
    });
    const doc = {
      preview: false,
      init_offset: 0,
      messages: [],
      fields: [{ name: '_raw' }, { name: '_time' }],
      results,
    };
    return { text: JSON.stringify(doc, null, 2) + '\n' };
  };
}
/** Elasticsearch's search API answer: `hits.hits[]._source`. */
function esSearch(source: (it: Item, c: Ctx) => unknown, inner = '') {
  return (items: Item[], c: Ctx): Written => {
    docAt1(items, c, (it, i) => (sourceIsObject(it) ? `hits.hits[${i}]._source${inner}` : `hits.hits[${i}]`));
    const hits = items.map((it, i) => ({
      _index: 'logs',
      _id: `d${i}-${hex(c.r, 6)}`,
      _score: 1,
      _source: source(it, c),
    }));
    const doc = {
      took: int(c.r, 1, 40),
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: hits.length, relation: 'eq' }, max_score: 1, hits },
    };
    return { text: JSON.stringify(doc, null, 2) + '\n' };
  };
}
/** Documents one per line, as dump tools (elasticdump) write them. */
const esDocLine =
  (source: (it: Item, c: Ctx) => unknown, inner = '') =>
  (it: Item, c: Ctx) => ({
    line: JSON.stringify({ _index: 'logs', _type: '_doc', _id: hex(c.r, 20), _score: 1, _source: source(it, c) }),
    where: sourceIsObject(it) ? `_source${inner}` : '',
  });
/** Whether the broken record leaves `_source` an object (a number in its place leaves no document). */
const sourceIsObject = (it: Item) => it.broken !== 'number';
/** An ECS document keeping the record as text in event.original (an integration's `preserve_original_event`). */
const ecsOriginal = (it: Item, c: Ctx) => {
  const t = c.time(it, 'ms');
  return { '@timestamp': esTime(t), event: { original: c.text(it), kind: 'event' }, ecs: { version: '8.11.0' } };
};
/** `logcli query --output jsonl`: a line per entry. */
const lokiLine = (job: string) => (it: Item, c: Ctx) => {
  const t = c.time(it, 'ns');
  return {
    line: JSON.stringify({ labels: { job, cluster: 'acme-staging' }, line: c.text(it), timestamp: lokiTime(t) }),
    where: 'line',
  };
};
/** The HTTP API's answer to `/loki/api/v1/query_range`: streams of `[epoch ns, line]` (metadata at times). */
function lokiAnswer(job: string) {
  return (items: Item[], c: Ctx): Written => {
    const streams: { stream: Json; values: unknown[][] }[] = [];
    for (let i = 0; i < items.length;) {
      const batch = items.slice(i, i + int(c.r, 1, 8));
      i += batch.length;
      const s = streams.length;
      streams.push({
        stream: { job, pod: `kube-apiserver-${hex(c.r, 5)}` },
        values: batch.map((it, j) => {
          c.at(it, 1, `data.result[${s}].values[${j}]`);
          const v = [lokiNs(c.time(it, 'ns')), c.text(it)];
          return chance(c.r, 0.3) ? [...v, { trace_id: hex(c.r, 16) }] : v;
        }),
      });
    }
    const doc = { status: 'success', data: { resultType: 'streams', result: streams, stats: { summary: {} } } };
    return { text: JSON.stringify(doc) + '\n' };
  };
}

// ---- The shapes -----------------------------------------------------------------------------------------------------

const auditLine = (it: Item, c: Ctx) => ({ line: c.text(it), where: '' });
/**
 * A record as a shipper indexes it: Fluent Bit's es output, Logstash and Filebeat put a `@timestamp` beside the
 * record's fields (milliseconds; nanoseconds with Fluent Bit's Time_Key_Nanos). A record without a time of its own
 * takes it (docs/formats.md, "Record times": an Event's as the store's time, a CloudTrail record's or a flow's as the
 * shipper's, with a notice), so the record's own time is moved there now and then.
 */
const shippedSource = (precision: Precision) => (it: Item, c: Ctx) => {
  const t = c.time(it, precision, true);
  const v = c.value(it);
  const at = precision === 'ns' ? nanosUtc(t) : esTime(t);
  return typeof v === 'object' && v !== null ? { '@timestamp': at, ...(v as Json) } : v;
};
const auditEsSource = shippedSource('ms');

// ---- GKE: Cloud Logging entries (docs/formats.md: "GKE keeps no audit Event, so each entry is read back into the one
// it stands for"). The plain tree holds that Event: the request's user without groups (GKE logs none), one complete
// stage, the authorizer's decision and reason (the entry's labels), its target and time. -----------------------------

const AUDIT_LOG = 'type.googleapis.com/google.cloud.audit.AuditLog';
const decisionOf = (e: Json) => ((e['annotations'] ?? {}) as Json)['authorization.k8s.io/decision'];

/** What GKE logs: one entry per decided request; impersonation is not in its entries, so such requests are not sent. */
const gkeTakes = (rec: Json | string) => {
  const e = rec as Json;
  const ref = e['objectRef'] as Json | undefined;
  const decided = decisionOf(e) === 'allow' || decisionOf(e) === 'forbid';
  return decided && !('impersonatedUser' in e) && (ref ? typeof ref['apiVersion'] === 'string' : true);
};

/** The Event a GKE entry stands for (the table of docs/formats.md). */
function gkeEquivalent(e: Json): Json {
  const ann = e['annotations'] as Json;
  const reason = ann['authorization.k8s.io/reason'];
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: e['level'],
    auditID: e['auditID'],
    stage: 'ResponseComplete',
    requestURI: e['requestURI'],
    verb: e['verb'],
    user: { username: (e['user'] as Json)['username'] },
    ...(e['objectRef'] ? { objectRef: e['objectRef'] } : {}),
    requestReceivedTimestamp: e['requestReceivedTimestamp'],
    annotations: {
      'authorization.k8s.io/decision': decisionOf(e),
      ...(typeof reason === 'string' ? { 'authorization.k8s.io/reason': reason } : {}),
    },
  };
}

/** An API group as GKE's methodName writes it: reversed, `io.k8s.` before a one-word group, `io.k8s.core` for core. */
const reversedGroup = (g: string) =>
  !g ? 'io.k8s.core' : g.includes('.') ? g.split('.').reverse().join('.') : `io.k8s.${g}`;

/** A LogEntry's timestamp for a record's time: nanoseconds, an offset, lower case (LogEntry: RFC 3339, any of them). */
function gkeTimestamp(r: Rand, t: string): string {
  const i = instantOf(t);
  const frac = `${new Date(i.ms).toISOString().slice(19, 23)}${pad(i.us, 3)}`;
  return pick(r, [
    () => t,
    () => `${new Date(i.ms).toISOString().slice(0, 19)}${frac}${digits(r, 3)}Z`,
    () => `${new Date(i.ms + 3_600_000).toISOString().slice(0, 19)}${frac}${digits(r, 1)}+01:00`,
    () => t.toLowerCase(),
  ])();
}

/**
 * The Cloud Logging entry GKE writes for a request (Cloud Logging, LogEntry; Cloud Audit Logs, AuditLog; GKE audit
 * logging: methodName `io.k8s.<group, reversed>.<version>.<resource>[.<subresource>].<verb>`, resourceName
 * `<group | core>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`), or the broken record's number. A
 * request without verb or user gives an entry without methodName or principalEmail.
 */
function gkeEntry(v: unknown, r: Rand): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const e = v as Json;
  const ref = e['objectRef'] as Json | undefined;
  const verb = e['verb'] as string | undefined;
  let method: string;
  let resourceName: string;
  if (ref) {
    const group = String(ref['apiGroup'] ?? '');
    const version = String(ref['apiVersion']);
    const [res, ns, name, sub] = ['resource', 'namespace', 'name', 'subresource'].map((k) => String(ref[k] ?? ''));
    method = `${reversedGroup(group)}.${version}.${res}${sub ? `.${sub}` : ''}.${verb}`;
    resourceName =
      `${group || 'core'}/${version}/${ns && res !== 'namespaces' ? `namespaces/${ns}/` : ''}${res}` +
      `${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
  } else {
    method = `io.k8s.${verb}`;
    resourceName = String(e['requestURI']).replace(/^\//, '').replace(/\?.*$/, '');
  }
  const decision = decisionOf(e);
  const reason = ((e['annotations'] ?? {}) as Json)['authorization.k8s.io/reason'];
  const username = (e['user'] as Json | undefined)?.['username'];
  const time = String(e['requestReceivedTimestamp']);
  const write = isWrite(e);
  return {
    protoPayload: {
      '@type': AUDIT_LOG,
      authenticationInfo: username === undefined ? {} : { principalEmail: username },
      authorizationInfo: [{ permission: method, granted: decision === 'allow', resource: resourceName }],
      ...(verb === undefined ? {} : { methodName: method }),
      requestMetadata: {
        callerIp: (e['sourceIPs'] as string[] | undefined)?.[0] ?? '',
        callerSuppliedUserAgent: e['userAgent'],
      },
      resourceName,
      serviceName: 'k8s.io',
      status: decision === 'forbid' ? { code: 7, message: 'PERMISSION_DENIED' } : {},
    },
    insertId: `${hex(r, 8)}-${hex(r, 6)}`,
    resource: {
      type: 'k8s_cluster',
      labels: { cluster_name: 'acme-staging', location: 'europe-west1', project_id: 'acme-staging-1234' },
    },
    timestamp: gkeTimestamp(r, time),
    severity: decision === 'forbid' ? 'WARNING' : write ? 'NOTICE' : 'INFO',
    logName: `projects/acme-staging-1234/logs/cloudaudit.googleapis.com%2F${write ? 'activity' : 'data_access'}`,
    operation: { id: e['auditID'], producer: 'k8s.io', first: true, last: true },
    receiveTimestamp: new Date(instantOf(time).ms + int(r, 500, 5000)).toISOString(),
    labels: {
      'authorization.k8s.io/decision': decision,
      ...(typeof reason === 'string' ? { 'authorization.k8s.io/reason': reason } : {}),
    },
  };
}

/** The entry's name in issues. */
const insertIdOf = (entry: unknown) => `insertId ${JSON.stringify((entry as Json)['insertId'])}`;

/** A call of GKE's own API in the same log (service container.googleapis.com): skipped and counted. */
const gkeClusterCall = (r: Rand) => ({
  protoPayload: {
    '@type': AUDIT_LOG,
    authenticationInfo: { principalEmail: 'alice@acme.example' },
    methodName: 'google.container.v1.ClusterManager.GetCluster',
    resourceName: 'projects/acme-staging-1234/locations/europe-west1/clusters/acme-staging',
    serviceName: 'container.googleapis.com',
    status: {},
  },
  insertId: hex(r, 10),
  resource: { type: 'gke_cluster', labels: { cluster_name: 'acme-staging', location: 'europe-west1' } },
  timestamp: '2026-11-05T10:00:00.000000Z',
  severity: 'INFO',
  logName: 'projects/acme-staging-1234/logs/cloudaudit.googleapis.com%2Fdata_access',
});

/**
 * A row of the BigQuery table a log sink writes (Cloud Logging, "BigQuery schema for logs"): the payload in
 * protopayload_auditlog, labels' dots and slashes as `_`, a JSON export's INT64 as text and TIMESTAMP as
 * `2026-11-02 08:00:00.123456 UTC`.
 */
function bigQueryRow(entry: unknown, time: string): unknown {
  if (typeof entry !== 'object' || entry === null) return entry;
  const { protoPayload, labels, timestamp: _t, receiveTimestamp, ...rest } = entry as Record<string, Json>;
  const { '@type': _type, status, ...payload } = protoPayload!;
  const code = (status as Json)['code'];
  const i = instantOf(time);
  const bq = (ms: number, us: number) =>
    `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}${pad(us, 3)} UTC`;
  return {
    ...rest,
    timestamp: bq(i.ms, i.us),
    receiveTimestamp: bq(Date.parse(String(receiveTimestamp)), 0),
    labels: {
      authorization_k8s_io_decision: labels!['authorization.k8s.io/decision'],
      ...(labels!['authorization.k8s.io/reason'] === undefined
        ? {}
        : { authorization_k8s_io_reason: labels!['authorization.k8s.io/reason'] }),
    },
    protopayload_auditlog: {
      ...payload,
      status: code === undefined ? status : { ...(status as Json), code: String(code) },
    },
  };
}

const gkeShape = (name: string, write: Shape['write'], corrupt: Corruption[] = VALUE): Shape => ({
  name,
  kind: 'audit',
  corrupt,
  takes: gkeTakes,
  plain: gkeEquivalent,
  write,
});

export const GKE_SHAPES: Shape[] = [
  // Cloud Logging, "Route logs to supported destinations": a sink to Cloud Storage writes an entry per line.
  gkeShape('audit: GKE entries as a log sink writes them to Cloud Storage', (items, c) => {
    const out: string[] = [];
    for (const it of items) {
      if (chance(c.r, 0.1)) out.push(JSON.stringify(gkeClusterCall(c.r)));
      const entry = gkeEntry(c.value(it), c.r);
      out.push(JSON.stringify(entry));
      c.at(it, out.length, it.broken === 'number' ? '' : insertIdOf(entry));
    }
    return { text: lines(out) };
  }),
  // `gcloud logging read --format=json` (gcloud reference): a JSON array, two spaces.
  gkeShape('audit: GKE entries, gcloud logging read --format=json', (items, c) => {
    const entries: unknown[] = [];
    for (const it of items) {
      if (chance(c.r, 0.1)) entries.push(gkeClusterCall(c.r));
      const entry = gkeEntry(c.value(it), c.r);
      c.at(it, 1, it.broken === 'number' ? '' : `[${entries.length}], ${insertIdOf(entry)}`);
      entries.push(entry);
    }
    return { text: JSON.stringify(entries, null, 2) + '\n' };
  }),
  // Cloud Logging, "Route logs to Pub/Sub"; `gcloud pubsub subscriptions pull --format=json` (PubsubMessage: data
  // as base64).
  gkeShape(
    'audit: GKE entries routed to Pub/Sub, gcloud pubsub subscriptions pull --format=json',
    (items, c) => {
      const pulled = items.map((it, i) => {
        const entry = gkeEntry(it.broken === 'truncate' ? it.rec : c.value(it), c.r);
        const text = JSON.stringify(entry);
        const messageId = digits(c.r, 16);
        const id = `[${i}], messageId ${JSON.stringify(messageId)}`;
        c.at(it, 1, it.broken === 'truncate' || it.broken === 'number' ? id : `${id}, ${insertIdOf(entry)}`);
        const data = it.broken === 'truncate' ? c.cut(text) : text;
        const publishTime = new Date(instantOf(String((it.rec as Json)['requestReceivedTimestamp'])).ms + 3000);
        return {
          ackId: hex(c.r, 40),
          message: {
            attributes: { 'logging.googleapis.com/timestamp': (entry as Json)['timestamp'] },
            data: Buffer.from(data).toString('base64'),
            messageId,
            publishTime: publishTime.toISOString(),
          },
        };
      });
      return { text: JSON.stringify(pulled, null, 2) + '\n' };
    },
    TEXT,
  ),
  // Cloud Logging, "BigQuery schema for logs"; `bq extract --destination_format NEWLINE_DELIMITED_JSON`.
  gkeShape('audit: GKE entries routed to BigQuery, bq extract NEWLINE_DELIMITED_JSON', (items, c) =>
    lineFile(items, c, (it, cc) => {
      const entry = gkeEntry(cc.value(it), cc.r);
      const row = bigQueryRow(entry, String((it.rec as Json)['requestReceivedTimestamp']));
      return { line: JSON.stringify(row), where: it.broken === 'number' ? '' : insertIdOf(entry) };
    }),
  ),
];

export const AUDIT_SHAPES: Shape[] = [
  {
    // The API server's log backend (Kubernetes "Auditing": --audit-log-path): an Event per line.
    name: 'audit: JSON lines',
    kind: 'audit',
    corrupt: TEXT,
    firstLine: 'json',
    ...perLine(auditLine),
  },
  {
    // The webhook backend's batches (Kubernetes "Auditing", webhook backend): an EventList per line.
    name: 'audit: EventList batches, one per line',
    kind: 'audit',
    corrupt: VALUE,
    write: (items, c) => {
      const out: string[] = [];
      for (let i = 0; i < items.length;) {
        const batch = items.slice(i, i + int(c.r, 1, 10));
        i += batch.length;
        out.push(
          JSON.stringify({
            kind: 'EventList',
            apiVersion: 'audit.k8s.io/v1',
            metadata: {},
            items: batch.map((it) => c.value(it)),
          }),
        );
        for (const it of batch) c.at(it, out.length, '');
      }
      return { text: lines(out) };
    },
  },
  {
    // EKS control plane logging: `aws logs filter-log-events --log-group-name /aws/eks/NAME/cluster` (AWS CLI
    // reference; CloudWatch Logs API, FilterLogEvents), printed with four spaces; an authenticator stream's events
    // between the audit ones.
    name: 'audit: CloudWatch Logs, aws logs filter-log-events',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      const stream = AUDIT_STREAM(c.r);
      const events: unknown[] = [];
      for (const it of items) {
        if (chance(c.r, 0.1)) events.push(authenticatorEvent(c.r, eventTime(it.rec).ms));
        c.at(it, 1, `events[${events.length}]`);
        events.push(cwEvent(it, c, stream, events.length));
      }
      const doc = { events, searchedLogStreams: [{ logStreamName: stream, searchedCompletely: true }] };
      return { text: JSON.stringify(doc, null, 4) + '\n' };
    },
  },
  {
    // `aws logs get-log-events` (CloudWatch Logs API, GetLogEvents): one stream's events, no stream names.
    name: 'audit: CloudWatch Logs, aws logs get-log-events',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      docAt1(items, c, (_it, i) => `events[${i}]`);
      const events = items.map((it, i) => cwEvent(it, c, undefined, i));
      const doc = { events, nextForwardToken: `f/${digits(c.r, 56)}/s`, nextBackwardToken: `b/${digits(c.r, 56)}/s` };
      return { text: JSON.stringify(doc, null, 4) + '\n' };
    },
  },
  {
    name: 'audit: CloudWatch Logs subscription records delivered by Firehose',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) =>
      firehose(items, c, '/aws/eks/acme-staging/cluster', AUDIT_STREAM(c.r), true, (it) => epochMs(c.time(it, 'ms'))),
  },
  {
    // Logs Insights: `aws logs get-query-results` (CloudWatch Logs API, GetQueryResults) of `fields @timestamp,
    // @message`, rows of {field, value}.
    name: 'audit: CloudWatch Logs Insights, aws logs get-query-results',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      docAt1(items, c, (_it, i) => `results[${i}]`);
      const results = items.map((it) => [
        { field: '@timestamp', value: insightsTime(c.time(it, 'ms')) },
        { field: '@message', value: c.text(it) },
        { field: '@ptr', value: `CmQKKwonMTExMTIyMjIzMzMzOi9hd3MvZWtzL${hex(c.r, 12)}` },
      ]);
      const doc = {
        results,
        statistics: { recordsMatched: results.length, recordsScanned: 4096, bytesScanned: 1048576 },
        status: 'Complete',
      };
      return { text: JSON.stringify(doc, null, 4) + '\n' };
    },
  },
  {
    // AKS diagnostic settings to a storage account (Azure Monitor, "Resource logs": PT1H.json, a record per line);
    // records of other categories (kube-apiserver, guard) between the audit ones.
    name: 'audit: AKS diagnostic records in a storage account (PT1H.json)',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      const out: string[] = [];
      for (const it of items) {
        if (chance(c.r, 0.1)) out.push(JSON.stringify(aksOther(c.r, eventTime(it.rec).ms)));
        out.push(JSON.stringify(aksRecord(it, c)));
        c.at(it, out.length, '');
      }
      return { text: lines(out) };
    },
    line: (it, c) => ({ line: JSON.stringify(aksRecord(it, c)), where: '' }),
  },
  {
    // Diagnostic settings to Event Hubs (Azure Monitor, "Stream to Event Hubs"): each message {"records": [...]}.
    name: 'audit: AKS diagnostic records from Event Hubs ({"records": [...]})',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      const out: string[] = [];
      for (let i = 0; i < items.length;) {
        const batch = items.slice(i, i + int(c.r, 1, 8));
        i += batch.length;
        const records: unknown[] = [];
        for (const it of batch) {
          if (chance(c.r, 0.1)) records.push(aksOther(c.r, eventTime(it.rec).ms));
          c.at(it, out.length + 1, `records[${records.length}]`);
          records.push(aksRecord(it, c));
        }
        out.push(JSON.stringify({ records }));
      }
      return { text: lines(out) };
    },
  },
  {
    // AKS kube-audit to Log Analytics (AKS, "Monitor and query apiserver requests"), AzureDiagnostics rows as
    // `az monitor log-analytics query` prints them: a JSON array.
    name: 'audit: Log Analytics AzureDiagnostics rows (az monitor log-analytics query)',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      docAt1(items, c, (_it, i) => `[${i}]`);
      return {
        text:
          JSON.stringify(
            items.map((it) => azureDiagnosticsRow(it, c)),
            null,
            2,
          ) + '\n',
      };
    },
  },
  {
    // Resource-specific diagnostic settings: rows of AKSAudit / AKSAuditAdmin (Azure Monitor table reference) as
    // `az monitor log-analytics query` prints them, dynamic columns as JSON text.
    name: 'audit: Log Analytics AKSAudit rows (az monitor log-analytics query)',
    kind: 'audit',
    corrupt: VALUE,
    write: (items, c) => {
      docAt1(items, c, (it, i) =>
        it.broken === 'number' ? '' : `[${i}], AuditId ${JSON.stringify((it.rec as Json)['auditID'])}`,
      );
      return {
        text:
          JSON.stringify(
            items.map((it) => aksAuditRow(it, c) ?? 42),
            null,
            2,
          ) + '\n',
      };
    },
  },
  {
    // Log Analytics' query API answer (Azure Monitor, "Log Analytics API response format"): tables of columns and
    // rows, each row read by its columns' names.
    name: 'audit: Log Analytics query API answer (AKSAudit rows)',
    kind: 'audit',
    corrupt: ['drop'],
    write: (items, c) => {
      const columns = [
        ['TenantId', 'string'],
        ['TimeGenerated', 'datetime'],
        ...AKS_COLUMNS.map(([name, type]) => [name, type]),
        ['Type', 'string'],
      ];
      const rows = items.map((it, i) => {
        const row = aksAuditRow(it, c)!;
        c.at(it, 1, `tables[0].rows[${i}], AuditId ${JSON.stringify((it.rec as Json)['auditID'])}`);
        return columns.map(([name]) => row[name!] ?? null);
      });
      const doc = {
        tables: [{ name: 'PrimaryResult', columns: columns.map(([name, type]) => ({ name, type })), rows }],
      };
      return { text: JSON.stringify(doc) + '\n' };
    },
  },
  {
    name: 'audit: Log Analytics query API answer (AzureDiagnostics rows)',
    kind: 'audit',
    corrupt: TEXT,
    write: (items, c) => {
      const rows = items.map((it, i) => {
        c.at(it, 1, `tables[0].rows[${i}]`);
        return azureDiagnosticsRow(it, c);
      });
      const columns = Object.keys(rows[0]!).map((name) => ({
        name,
        type: name === 'TimeGenerated' ? 'datetime' : 'string',
      }));
      const doc = { tables: [{ name: 'PrimaryResult', columns, rows: rows.map((row) => Object.values(row)) }] };
      return { text: JSON.stringify(doc) + '\n' };
    },
  },
  {
    // `logcli query --no-labels` (Grafana Loki, "LogCLI"): the entry's time, in the local zone, before each line; not
    // read (docs/formats.md): an Event's own time is never moved there.
    name: 'audit: Grafana Loki, logcli query --no-labels (its time before each line)',
    kind: 'audit',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) =>
      lineFile(items, c, (it, cc) => ({ line: `${lokiTime(cc.time(it, 'ns', false))} ${cc.text(it)}`, where: '' })),
  },
  {
    name: 'audit: Splunk export, a line per result',
    kind: 'audit',
    corrupt: TEXT,
    ...perLine(splunkExportLine('kube:apiserver:audit')),
  },
  {
    name: 'audit: Splunk results saved alone (_raw)',
    kind: 'audit',
    corrupt: TEXT,
    ...perLine(splunkRawLine('kube:apiserver:audit')),
  },
  {
    name: 'audit: Splunk search job results',
    kind: 'audit',
    corrupt: TEXT,
    write: splunkResults('kube:apiserver:audit'),
  },
  {
    // Elasticsearch reference, "Search API": the Events as Fluent Bit's es output indexes them, @timestamp beside.
    name: 'audit: Elasticsearch search answer (hits.hits[]._source)',
    kind: 'audit',
    corrupt: VALUE,
    write: esSearch(auditEsSource),
  },
  {
    name: 'audit: Elasticsearch documents, one per line',
    kind: 'audit',
    corrupt: VALUE,
    ...perLine(esDocLine(auditEsSource)),
  },
  {
    // Elastic's Kubernetes integration, data stream kubernetes.audit_logs (its sample event and ingest pipeline):
    // the Event under kubernetes.audit, dedotted; documents one per line.
    name: "audit: Elastic's Kubernetes integration (kubernetes.audit), documents one per line",
    kind: 'audit',
    corrupt: ['drop'],
    write: (items, c) =>
      lineFile(
        items,
        c,
        esDocLine((it, cc) => ecsAuditDoc(it, cc, false), '.kubernetes.audit'),
      ),
    line: esDocLine((it, c) => ecsAuditDoc(it, c, false), '.kubernetes.audit'),
  },
  {
    name: "audit: Elastic's Kubernetes integration keeping event.original, a search answer",
    kind: 'audit',
    corrupt: TEXT,
    write: esSearch((it, c) => ecsAuditDoc(it, c, true), '.event.original'),
  },
  {
    name: 'audit: Grafana Loki, logcli query --output jsonl',
    kind: 'audit',
    corrupt: TEXT,
    ...perLine(lokiLine('kube-apiserver-audit')),
  },
  {
    name: 'audit: Grafana Loki, the query_range answer',
    kind: 'audit',
    corrupt: TEXT,
    write: lokiAnswer('kube-apiserver-audit'),
  },
  {
    // CloudWatch Logs user guide, "Exporting log data to Amazon S3": each line the event's time and its message. That
    // time is not read (docs/formats.md): an Event's own is never moved there.
    name: 'audit: CloudWatch Logs export to S3 (time before each message)',
    kind: 'audit',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) =>
      lineFile(items, c, (it, cc) => ({ line: `${exportTime(cc.time(it, 'ms', false))} ${cc.text(it)}`, where: '' })),
  },
  {
    // OpenShift, "Viewing audit logs": `oc adm node-logs --role=master --path=kube-apiserver/audit.log` prints each
    // node's name before its lines.
    name: "audit: OpenShift's oc adm node-logs (the node's name before each line)",
    kind: 'audit',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) =>
      lineFile(items, c, (it, cc) => ({
        line: `${pick(cc.r, ['master-0', 'master-1', 'ip-10-0-1-23.ec2.internal'])} ${cc.text(it)}`,
        where: '',
      })),
  },
];

// ---- CloudTrail records (docs/formats.md, "CloudTrail files") -------------------------------------------------------

const trailTime = (rec: Json | string) => instantOf(String((rec as Json)['eventTime']).replace(/Z$/, '.000Z'));
const CT_GROUP = `aws-cloudtrail-logs-${ACCOUNT}`;
const CT_STREAM = `${ACCOUNT}_CloudTrail_eu-west-1`;
const trailLine = (it: Item, c: Ctx) => ({ line: c.text(it), where: '' });
/** A CloudWatch Logs event of the trail's log group: delivered a little after the call. */
const trailCwEvent = (it: Item, c: Ctx, i: number) => {
  const ms = trailTime(it.rec).ms + int(c.r, 1000, 300_000);
  return {
    logStreamName: CT_STREAM,
    timestamp: ms,
    message: c.text(it),
    ingestionTime: ms + int(c.r, 100, 2000),
    eventId: `3${pad(ms, 20)}${pad(i, 35)}`,
  };
};
/** The value CloudTrail's records stand at, indented as `JSON.stringify(…, null, 2)` indents a list's elements. */
function indentedList(values: unknown[], indent: number): { text: string; starts: number[] } {
  const pad2 = ' '.repeat(indent);
  const starts: number[] = [];
  let line = 0;
  const parts = values.map((v) => {
    const t = JSON.stringify(v, null, 2)
      .split('\n')
      .map((l) => pad2 + l)
      .join('\n');
    starts.push(line);
    line += t.split('\n').length;
    return t;
  });
  return { text: parts.join(',\n'), starts };
}

/** LookupEvents' Event for a record: CloudTrail's summary of it, and the record as JSON text in CloudTrailEvent. */
function lookupEvent(it: Item, c: Ctx): Json {
  const rec = it.rec as Json;
  const who = rec['userIdentity'] as Json;
  return {
    EventId: rec['eventID'],
    EventName: rec['eventName'],
    ReadOnly: String(rec['readOnly']),
    ...(who['accessKeyId'] ? { AccessKeyId: who['accessKeyId'] } : {}),
    EventTime: String(rec['eventTime']).replace('Z', '+00:00'),
    EventSource: rec['eventSource'],
    Username: String(
      who['userName'] ??
        String(who['arn'] ?? '')
          .split('/')
          .pop(),
    ),
    Resources: [],
    CloudTrailEvent: c.text(it),
  };
}

/** The EventBridge source of a record (EventBridge user guide: `aws.<service>`). */
const bridgeSource = (rec: Json) => `aws.${String(rec['eventSource']).split('.')[0]}`;

export const TRAIL_SHAPES: Shape[] = [
  {
    // CloudTrail user guide, "CloudTrail log file examples": the S3 object, {"Records": [...]} on one line.
    name: 'trail: S3 delivery file ({"Records": [...]} on one line)',
    kind: 'trail',
    corrupt: VALUE,
    write: (items, c) => {
      docAt1(items, c, () => '');
      return { text: JSON.stringify({ Records: items.map((it) => c.value(it)) }) };
    },
  },
  {
    name: 'trail: {"Records": [...]} pretty-printed',
    kind: 'trail',
    corrupt: VALUE,
    write: (items, c) => {
      const list = indentedList(
        items.map((it) => c.value(it)),
        4,
      );
      // Lines 1 and 2 open the document and its list.
      items.forEach((it, i) => c.at(it, 3 + list.starts[i]!, ''));
      return { text: `{\n  "Records": [\n${list.text}\n  ]\n}\n` };
    },
  },
  {
    name: 'trail: a JSON array of records',
    kind: 'trail',
    corrupt: VALUE,
    write: (items, c) => {
      const list = indentedList(
        items.map((it) => c.value(it)),
        2,
      );
      items.forEach((it, i) => c.at(it, 2 + list.starts[i]!, ''));
      return { text: `[\n${list.text}\n]\n` };
    },
  },
  {
    // A record per line, as CloudTrail Lake's and CloudWatch Logs' exports keep them.
    name: 'trail: a record per line',
    kind: 'trail',
    corrupt: TEXT,
    firstLine: 'json',
    ...perLine(trailLine),
  },
  {
    // A record per line, eventTime as CloudTrail Lake's and Athena's result sets write it (`2026-11-09 00:00:04.000`,
    // UTC, no zone): read as the same instant, with one notice per file (docs/formats.md, "Record times").
    name: 'trail: a record per line, eventTime as a query result writes it',
    kind: 'trail',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) => {
      // The record with its time written so (a record cut short or a number in its place: as it is).
      const lake = (it: Item) => {
        if (it.broken === 'truncate' || it.broken === 'number') return c.text(it);
        const v = c.value(it) as Json;
        return JSON.stringify({ ...v, eventTime: String(v['eventTime']).replace('T', ' ').replace(/Z$/, '.000') });
      };
      return lineFile(items, c, (it) => ({ line: lake(it), where: '' }));
    },
  },
  {
    // EventBridge user guide, "Events from AWS services delivered via AWS CloudTrail": the record in `detail`.
    name: 'trail: EventBridge events, one per line',
    kind: 'trail',
    corrupt: VALUE,
    write: (items, c) =>
      lineFile(items, c, (it, cc) => {
        const rec = it.rec as Json;
        const event = {
          version: '0',
          id: `${hex(cc.r, 8)}-${hex(cc.r, 4)}-4${hex(cc.r, 3)}-8${hex(cc.r, 3)}-${hex(cc.r, 12)}`,
          'detail-type': 'AWS API Call via CloudTrail',
          source: bridgeSource(rec),
          account: ACCOUNT,
          time: rec['eventTime'],
          region: rec['awsRegion'],
          resources: [],
          detail: cc.value(it),
        };
        return { line: JSON.stringify(event), where: '' };
      }),
  },
  {
    // `aws cloudtrail lookup-events` (CloudTrail API reference, LookupEvents; Event): the record as JSON text in
    // CloudTrailEvent, printed with four spaces. LookupEvents gives management events only.
    name: 'trail: LookupEvents answer (aws cloudtrail lookup-events)',
    kind: 'trail',
    corrupt: TEXT,
    takes: (rec) => (rec as Json)['managementEvent'] !== false,
    write: (items, c) => {
      docAt1(items, c, (it, i) => `Events[${i}], event ${JSON.stringify((it.rec as Json)['eventID'])}`);
      const events = items.map((it) => lookupEvent(it, c));
      return { text: JSON.stringify({ Events: events, NextToken: hex(c.r, 40) }, null, 4) + '\n' };
    },
  },
  {
    // The same answers, one page per line (`jq -c`: docs/formats.md, "CloudTrail files").
    name: 'trail: LookupEvents pages, one per line',
    kind: 'trail',
    corrupt: TEXT,
    takes: (rec) => (rec as Json)['managementEvent'] !== false,
    write: (items, c) => {
      const pages: string[] = [];
      for (let i = 0; i < items.length;) {
        const page = items.slice(i, i + int(c.r, 1, 6));
        i += page.length;
        page.forEach((it, j) =>
          c.at(it, pages.length + 1, `Events[${j}], event ${JSON.stringify((it.rec as Json)['eventID'])}`),
        );
        const more = i < items.length ? { NextToken: hex(c.r, 40) } : {};
        pages.push(JSON.stringify({ Events: page.map((it) => lookupEvent(it, c)), ...more }));
      }
      return { text: lines(pages) };
    },
  },
  {
    name: 'trail: Grafana Loki, logcli query --no-labels (its time before each line)',
    kind: 'trail',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) =>
      lineFile(items, c, (it, cc) => ({
        line: `${lokiTime({ ...trailTime(it.rec), ns: digits(cc.r, 3) })} ${cc.text(it)}`,
        where: '',
      })),
  },
  {
    // CloudTrail user guide, "Sending events to CloudWatch Logs"; `aws logs filter-log-events`.
    name: 'trail: CloudWatch Logs, aws logs filter-log-events',
    kind: 'trail',
    corrupt: TEXT,
    write: (items, c) => {
      docAt1(items, c, (_it, i) => `events[${i}]`);
      const events = items.map((it, i) => trailCwEvent(it, c, i));
      return { text: JSON.stringify({ events, searchedLogStreams: [] }, null, 4) + '\n' };
    },
  },
  {
    name: 'trail: CloudWatch Logs subscription records delivered by Firehose',
    kind: 'trail',
    corrupt: TEXT,
    write: (items, c) =>
      firehose(items, c, CT_GROUP, CT_STREAM, false, (it) => trailTime(it.rec).ms + int(c.r, 1000, 300_000)),
  },
  {
    name: 'trail: CloudWatch Logs export to S3 (time before each message)',
    kind: 'trail',
    corrupt: TEXT,
    firstLine: 'json',
    write: (items, c) =>
      lineFile(items, c, (it, cc) => ({
        line: `${exportTime({ ...trailTime(it.rec), us: 0 })} ${cc.text(it)}`,
        where: '',
      })),
  },
  {
    name: 'trail: Splunk export, a line per result',
    kind: 'trail',
    corrupt: TEXT,
    ...perLine(splunkExportLine('aws:cloudtrail')),
  },
  {
    name: 'trail: Splunk results saved alone (_raw)',
    kind: 'trail',
    corrupt: TEXT,
    ...perLine(splunkRawLine('aws:cloudtrail')),
  },
  { name: 'trail: Splunk search job results', kind: 'trail', corrupt: TEXT, write: splunkResults('aws:cloudtrail') },
  {
    name: 'trail: Elasticsearch search answer (hits.hits[]._source)',
    kind: 'trail',
    corrupt: VALUE,
    write: esSearch(shippedSource('ms')),
  },
  {
    name: 'trail: Elasticsearch documents, one per line',
    kind: 'trail',
    corrupt: VALUE,
    ...perLine(esDocLine(shippedSource('ms'))),
  },
  {
    // Elastic's AWS integration (aws.cloudtrail) keeping the record in event.original (`preserve_original_event`).
    name: "trail: Elastic's AWS integration keeping event.original, documents one per line",
    kind: 'trail',
    corrupt: TEXT,
    ...perLine(esDocLine(ecsOriginal, '.event.original')),
  },
  {
    name: 'trail: Grafana Loki, logcli query --output jsonl',
    kind: 'trail',
    corrupt: TEXT,
    ...perLine(lokiLine('cloudtrail')),
  },
  {
    name: 'trail: Grafana Loki, the query_range answer',
    kind: 'trail',
    corrupt: TEXT,
    write: lokiAnswer('cloudtrail'),
  },
];

// ---- Hubble flows (docs/cli.md, --flows; Cilium's flow.proto and observer.proto) ------------------------------------

const hubbleLine = (it: Item, c: Ctx) => ({ line: c.text(it), where: '' });
/**
 * A GetFlowsResponse as `hubble observe -o json` prints it, and the Hubble exporter's flow log lines: `{"flow",
 * "node_name", "time"}`. A flow without a time of its own takes the wrapper's.
 */
function observed(it: Item, c: Ctx): Json {
  const flow = it.rec as Json;
  // The wrapper's time is the flow's (cut to milliseconds now and then); or the flow's own, moved there.
  c.time(it, 'ns', true);
  const own = String(flow['time']);
  const time = it.moved ?? pick(c.r, [own, new Date(instantOf(own).ms).toISOString()]);
  return { flow: c.value(it), node_name: flow['node_name'], time };
}
/** What hubble observe and the exporter print besides flows: node status and lost events (no traffic). */
const hubbleNoise = (r: Rand, ms: number) =>
  pick(r, [
    {
      node_status: { state_change: 'NODE_CONNECTED', node_names: ['acme-staging/ip-10-0-2-41.ec2.internal'] },
      node_name: 'acme-staging/ip-10-0-2-41.ec2.internal',
      time: new Date(ms).toISOString(),
    },
    { lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: int(r, 1, 50) }, time: new Date(ms).toISOString() },
    // The exporter's agent and debug events (ExportEvent).
    { agent_event: { type: 'AGENT_STARTED', agent_start: { time: new Date(ms).toISOString() } }, node_name: 'n1' },
    { debug_event: { type: 'DBG_GENERIC', message: 'policy verdict', cpu: 1 }, node_name: 'n1' },
  ]);
const flowTime = (rec: Json | string) => instantOf(String((rec as Json)['time']));
const observedLine = (it: Item, c: Ctx) => ({ line: JSON.stringify(observed(it, c)), where: '' });

export const HUBBLE_SHAPES: Shape[] = [
  {
    name: 'hubble: flows, one per line',
    kind: 'hubble',
    corrupt: TEXT,
    firstLine: 'json',
    ...perLine(hubbleLine),
  },
  {
    // `hubble observe -o json` (GetFlowsResponse) and the Hubble exporter's flow log file (ExportEvent): the flow
    // with node_name and time beside it, node status and lost events between the flows.
    name: 'hubble: hubble observe -o json / the exporter ({"flow", "node_name", "time"})',
    kind: 'hubble',
    corrupt: VALUE,
    write: (items, c) => {
      const out: string[] = [];
      for (const it of items) {
        if (chance(c.r, 0.1)) out.push(JSON.stringify(hubbleNoise(c.r, flowTime(it.rec).ms)));
        out.push(observedLine(it, c).line);
        c.at(it, out.length, '');
      }
      return { text: lines(out) };
    },
    line: observedLine,
  },
  {
    name: 'hubble: the flow in a {"flow": …} wrapper alone',
    kind: 'hubble',
    corrupt: VALUE,
    write: (items, c) => lineFile(items, c, (it, cc) => ({ line: JSON.stringify({ flow: cc.value(it) }), where: '' })),
  },
  {
    name: 'hubble: Splunk export, a line per result',
    kind: 'hubble',
    corrupt: TEXT,
    ...perLine(splunkExportLine('cilium:hubble')),
  },
  {
    name: 'hubble: Splunk results saved alone (_raw)',
    kind: 'hubble',
    corrupt: TEXT,
    ...perLine(splunkRawLine('cilium:hubble')),
  },
  { name: 'hubble: Splunk search job results', kind: 'hubble', corrupt: TEXT, write: splunkResults('cilium:hubble') },
  {
    name: 'hubble: Elasticsearch search answer (hits.hits[]._source, the exporter lines)',
    kind: 'hubble',
    corrupt: ['drop'],
    write: esSearch((it, c) => observed(it, c)),
  },
  {
    name: 'hubble: Elasticsearch documents, one per line (the flows)',
    kind: 'hubble',
    corrupt: VALUE,
    ...perLine(esDocLine(shippedSource('ns'))),
  },
  {
    name: 'hubble: ECS documents keeping event.original, one per line',
    kind: 'hubble',
    corrupt: TEXT,
    ...perLine(esDocLine(ecsOriginal, '.event.original')),
  },
  {
    name: 'hubble: Grafana Loki, logcli query --output jsonl',
    kind: 'hubble',
    corrupt: TEXT,
    ...perLine(lokiLine('hubble')),
  },
  { name: 'hubble: Grafana Loki, the query_range answer', kind: 'hubble', corrupt: TEXT, write: lokiAnswer('hubble') },
];

// ---- VPC flow log records (Amazon VPC user guide, "Flow log records": the default format) ---------------------------

/** When a VPC record's window ended (its `end`), which CloudWatch Logs and the SIEMs log it at. */
const vpcTime = (rec: Json | string): Instant => ({ ms: Number(String(rec).split(' ')[11]) * 1000, us: 0, ns: '' });
const vpcCwEvent = (it: Item, c: Ctx, i: number) => {
  const ms = vpcTime(it.rec).ms + int(c.r, 0, 60_000);
  return {
    logStreamName: 'eni-0a1b2c3d4e5f60718-all',
    timestamp: ms,
    message: c.text(it),
    ingestionTime: ms + 900,
    eventId: `3${pad(ms, 20)}${pad(i, 35)}`,
  };
};

export function vpcShapes(header: string): Shape[] {
  return [
    {
      // S3 delivery (Amazon VPC user guide, "Flow log files"): the header line, then a record per line.
      name: 'vpc: a flow log file with its header line',
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) => {
        items.forEach((it, i) => c.at(it, i + 2, ''));
        return { text: lines([header, ...items.map((it) => c.text(it))]) };
      },
    },
    {
      // Amazon VPC user guide, "Publish flow logs to CloudWatch Logs": a log event per record, no header line.
      name: 'vpc: CloudWatch Logs, aws logs filter-log-events',
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) => {
        docAt1(items, c, (_it, i) => `events[${i}]`);
        const events = items.map((it, i) => vpcCwEvent(it, c, i));
        return { text: JSON.stringify({ events, searchedLogStreams: [] }, null, 4) + '\n' };
      },
    },
    {
      name: 'vpc: CloudWatch Logs subscription records delivered by Firehose',
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) =>
        firehose(items, c, 'vpc-flow-logs', 'eni-0a1b2c3d4e5f60718-all', false, (it) => vpcTime(it.rec).ms + 1000),
    },
    {
      name: 'vpc: CloudWatch Logs export to S3 (time before each message)',
      kind: 'vpc',
      corrupt: TEXT,
      firstLine: 'vpc',
      write: (items, c) =>
        lineFile(items, c, (it, cc) => ({ line: `${exportTime(vpcTime(it.rec))} ${cc.text(it)}`, where: '' })),
    },
    {
      name: 'vpc: Splunk export, a line per result',
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) => lineFile(items, c, splunkExportLine('aws:cloudwatchlogs:vpcflow')),
      line: splunkExportLine('aws:cloudwatchlogs:vpcflow'),
    },
    {
      // Elastic's AWS integration (aws.vpcflow) keeping the line in event.original.
      name: "vpc: Elastic's AWS integration keeping event.original, documents one per line",
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) => lineFile(items, c, esDocLine(ecsOriginal, '.event.original')),
      line: esDocLine(ecsOriginal, '.event.original'),
    },
    {
      name: 'vpc: Grafana Loki, logcli query --output jsonl',
      kind: 'vpc',
      corrupt: TEXT,
      write: (items, c) => lineFile(items, c, lokiLine('vpc-flow-logs')),
      line: lokiLine('vpc-flow-logs'),
    },
    {
      name: 'vpc: Grafana Loki, the query_range answer',
      kind: 'vpc',
      corrupt: TEXT,
      write: lokiAnswer('vpc-flow-logs'),
    },
  ];
}
