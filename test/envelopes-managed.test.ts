import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Records as managed services deliver them, each shape built from the provider's documented example, read to the
 * same profile as the same records in the plain format (apart from `sources`), with no issue. Each case names the
 * page its shape comes from.
 */

type Flag = 'k8sAudit' | 'cloudtrail' | 'flows';

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(flag: Flag, path: string) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [path] : [],
    ...(flag === 'cloudtrail' ? { cloudtrail: [path] } : {}),
    ...(flag === 'flows' ? { flows: [path] } : {}),
    scope: everyone(),
    workers: 1,
    cwd: ROOT,
  });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

// ---- CloudTrail: two records, as a trail writes them (eventTime in whole seconds, UTC).
const trailRecord = (i: number, time: string) => ({
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEAPP:s1',
    arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
    accountId: '111122223333',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEAPP',
        arn: 'arn:aws:iam::111122223333:role/app',
        accountId: '111122223333',
        userName: 'app',
      },
    },
  },
  eventTime: time,
  eventSource: 'sqs.amazonaws.com',
  eventName: i === 1 ? 'SendMessage' : 'DeleteMessage',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '10.0.4.20',
  userAgent: 'aws-sdk-go-v2/1.30.0',
  requestParameters: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders' },
  responseElements: null,
  requestID: `req-${i}`,
  eventID: `5e1a0000-0000-4000-8000-00000000000${i}`,
  readOnly: false,
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: '111122223333',
  eventCategory: 'Data',
});
const TRAIL = [trailRecord(1, '2026-11-03T09:15:02Z'), trailRecord(2, '2026-11-03T09:16:40Z')];
const TRAIL_PLAIN = TRAIL.map((r) => JSON.stringify(r)).join('\n') + '\n';
const trailMs = (r: { eventTime: string }) => Date.parse(r.eventTime);

// ---- VPC flow log records, default format (version 2), as the S3 file holds them with its header.
const VPC_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const VPC = [
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.20 10.0.2.30 40112 5432 6 10 3767 1794063600 1794063660 ACCEPT OK',
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.21 10.0.2.31 40113 443 6 4 600 1794063601 1794063660 REJECT OK',
];
const VPC_PLAIN = [VPC_HEADER, ...VPC].join('\n') + '\n';

/** `aws logs filter-log-events` output, as the AWS CLI prints it (pretty-printed). */
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

/** A subscription filter's record as Firehose delivers it to S3: back to back, no newline between records. */
const subscription = (group: string, stream: string, events: { timestamp: number; message: string }[]) =>
  JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: group,
    logStream: stream,
    subscriptionFilters: ['to-firehose'],
    logEvents: events.map((e, i) => ({ id: `3800000000000000000000000000000000000000000000000000000${i}`, ...e })),
  });
const CONTROL = JSON.stringify({
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [
    { id: '', timestamp: 1794063600000, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' },
  ],
});

// ---- Kubernetes audit Events: the envelope fixtures' native events (every kind of request they are about).
const EVENTS_PLAIN = readFileSync(join(ROOT, 'fixtures/envelopes/native/events.jsonl'), 'utf8');
const EVENTS = EVENTS_PLAIN.split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const AKS_ID =
  '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/SHOP/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SHOP';
/** Log Analytics' datetime: 100 ns ticks, seven fractional digits. */
const ticks = (t: unknown) =>
  String(t).replace(/(\.\d+)?Z$/, (_m, f: string = '') => (f + '0000000').slice(0, 8) + 'Z');

/**
 * A row of the AKSAudit table (Azure Monitor table reference, AKSAudit) as `az monitor log-analytics query` prints it:
 * dynamic columns as JSON text, an empty one as "".
 */
function aksAuditRow(e: Record<string, unknown>, dynamic: (v: unknown) => unknown) {
  const d = (v: unknown) => (v === undefined ? '' : dynamic(v));
  return {
    TenantId: 'aaaaaaaa-0000-0000-0000-000000000000',
    TimeGenerated: ticks(e['stageTimestamp']),
    Level: e['level'],
    AuditId: e['auditID'],
    Stage: e['stage'],
    RequestUri: e['requestURI'] ?? '',
    Verb: e['verb'],
    User: d(e['user']),
    ImpersonatedUser: d(e['impersonatedUser']),
    UserAgent: e['userAgent'] ?? '',
    SourceIps: d(e['sourceIPs']),
    ObjectRef: d(e['objectRef']),
    ResponseStatus: d(e['responseStatus']),
    RequestObject: d(e['requestObject']),
    ResponseObject: d(e['responseObject']),
    RequestReceivedTime: ticks(e['requestReceivedTimestamp']),
    StageReceivedTime: ticks(e['stageTimestamp']),
    Annotations: d(e['annotations']),
    PodName: 'kube-apiserver-6d5b7c9f8-abcde',
    SourceSystem: 'Azure',
    Type: 'AKSAudit',
    _ResourceId: AKS_ID.toLowerCase(),
  };
}

// ---- GKE: Cloud Logging entries as a log sink writes them to Cloud Storage, one per line.
const GKE_PLAIN = readFileSync(join(ROOT, 'fixtures/envelopes/gke/log-sink.jsonl'), 'utf8');
const GKE = GKE_PLAIN.split('\n').filter((l) => l.trim());
/** A Pub/Sub message (Pub/Sub reference, PubsubMessage): the LogEntry as base64 JSON. */
const pubsubMessage = (entry: string, i: number) => ({
  attributes: { 'logging.googleapis.com/timestamp': (JSON.parse(entry) as { timestamp: string }).timestamp },
  data: Buffer.from(entry).toString('base64'),
  messageId: String(9000 + i),
  publishTime: '2026-11-02T08:00:03.123456789Z',
});

/** A console sign-in and a service event, as CloudTrail records them (CloudTrail user guide, non-API events). */
const SIGNIN = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEALICE',
    arn: 'arn:aws:iam::111122223333:user/alice',
    accountId: '111122223333',
    userName: 'alice',
  },
  eventTime: '2026-11-03T09:10:00Z',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  awsRegion: 'us-east-1',
  sourceIPAddress: '192.0.2.10',
  userAgent: 'Mozilla/5.0',
  requestParameters: null,
  responseElements: { ConsoleLogin: 'Success' },
  additionalEventData: { MFAUsed: 'Yes' },
  eventID: '5e1a0000-0000-4000-8000-000000000011',
  readOnly: false,
  eventType: 'AwsConsoleSignIn',
  managementEvent: true,
  recipientAccountId: '111122223333',
  eventCategory: 'Management',
};
const SERVICE_EVENT = {
  eventVersion: '1.09',
  userIdentity: { accountId: '111122223333', invokedBy: 'kms.amazonaws.com' },
  eventTime: '2026-11-03T09:12:00Z',
  eventSource: 'kms.amazonaws.com',
  eventName: 'RotateKey',
  awsRegion: 'eu-west-1',
  sourceIPAddress: 'kms.amazonaws.com',
  userAgent: 'kms.amazonaws.com',
  requestParameters: null,
  responseElements: null,
  eventID: '5e1a0000-0000-4000-8000-000000000012',
  readOnly: false,
  eventType: 'AwsServiceEvent',
  managementEvent: true,
  recipientAccountId: '111122223333',
  eventCategory: 'Management',
};
/** An EventBridge event CloudTrail sends to the default bus (EventBridge user guide, events via CloudTrail). */
const eventBridge = (detailType: string, detail: { eventTime: string; awsRegion: string }) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': detailType,
  source: 'aws.cloudtrail',
  account: '111122223333',
  time: detail.eventTime,
  region: detail.awsRegion,
  resources: [],
  detail,
});

interface Case {
  /** The shape, and the page that documents it. */
  name: string;
  flag: Flag;
  plain: string;
  file: string;
  content: string | Buffer;
}

const TRAIL_EVENTS = TRAIL.map((r) => ({ timestamp: trailMs(r), message: JSON.stringify(r) }));
const VPC_EVENTS = VPC.map((m) => ({ timestamp: Number(m.split(' ')[10]) * 1000, message: m }));
const CT_GROUP = 'aws-cloudtrail-logs-111122223333';
const CT_STREAM = '111122223333_CloudTrail_eu-west-1';

const CASES: Case[] = [
  {
    // CloudTrail user guide, "Sending events to CloudWatch Logs"; CloudWatch Logs API, FilterLogEvents.
    name: 'CloudTrail sent to CloudWatch Logs, saved with aws logs filter-log-events',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'ct-filter-log-events.json',
    content: filterLogEvents(CT_STREAM, TRAIL_EVENTS),
  },
  {
    // CloudWatch Logs user guide, "Subscription filters with Amazon Data Firehose": gzip, records back to back.
    name: 'CloudTrail in CloudWatch Logs, a subscription delivered by Firehose to S3 (gzip, with a control message)',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'ct-firehose.gz',
    content: gzipSync(
      CONTROL +
        subscription(CT_GROUP, CT_STREAM, TRAIL_EVENTS.slice(0, 1)) +
        subscription(CT_GROUP, CT_STREAM, TRAIL_EVENTS.slice(1)),
    ),
  },
  {
    name: 'CloudTrail subscription records, one per line (a Lambda or Kinesis consumer’s save)',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'ct-subscription.jsonl',
    content: TRAIL_EVENTS.map((e) => subscription(CT_GROUP, CT_STREAM, [e])).join('\n') + '\n',
  },
  {
    // VPC user guide, "Publish flow logs to CloudWatch Logs": one log stream per interface, a record per log event.
    name: 'VPC flow log published to CloudWatch Logs, saved with aws logs filter-log-events',
    flag: 'flows',
    plain: VPC_PLAIN,
    file: 'vpc-filter-log-events.json',
    content: filterLogEvents('eni-0a1b2c3d4e5f60718-all', VPC_EVENTS),
  },
  {
    name: 'VPC flow log in CloudWatch Logs, a subscription delivered by Firehose to S3 (gzip)',
    flag: 'flows',
    plain: VPC_PLAIN,
    file: 'vpc-firehose.gz',
    content: gzipSync(CONTROL + subscription('vpc-flow-logs', 'eni-0a1b2c3d4e5f60718-all', VPC_EVENTS)),
  },
  {
    // Splunk search manual, "Export data using the Splunk REST API" (output_mode=json): a line per result.
    name: 'CloudTrail exported from Splunk as JSON (result._raw)',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'splunk-export.json',
    content:
      TRAIL.map((r, i) =>
        JSON.stringify({
          preview: false,
          offset: i,
          ...(i === TRAIL.length - 1 ? { lastrow: true } : {}),
          result: {
            _raw: JSON.stringify(r),
            _time: r.eventTime.replace('Z', '.000+00:00'),
            host: 'hf-1',
            source: 's3://trail-bucket/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/03/x.json.gz',
            sourcetype: 'aws:cloudtrail',
            index: 'aws',
          },
        }),
      ).join('\n') + '\n',
  },
  {
    name: 'CloudTrail Splunk results saved alone (_raw)',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'splunk-raw.jsonl',
    content: TRAIL.map((r) => JSON.stringify({ _raw: JSON.stringify(r), sourcetype: 'aws:cloudtrail' })).join('\n'),
  },
  {
    // Elasticsearch reference, search API: hits.hits[]._source; a document per line as dump tools write them.
    name: 'CloudTrail from Elasticsearch / OpenSearch: a search answer (hits.hits[]._source)',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'elastic-search.json',
    content: JSON.stringify(
      {
        took: 3,
        timed_out: false,
        hits: {
          total: { value: 2, relation: 'eq' },
          hits: TRAIL.map((r, i) => ({ _index: 'cloudtrail', _id: `d${i}`, _score: 1, _source: r })),
        },
      },
      null,
      2,
    ),
  },
  {
    name: 'CloudTrail from Elastic’s AWS integration: ECS documents keeping the record in event.original',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    file: 'elastic-ecs.jsonl',
    content: TRAIL.map((r, i) =>
      JSON.stringify({
        _index: '.ds-logs-aws.cloudtrail-default',
        _id: `d${i}`,
        _source: {
          '@timestamp': r.eventTime,
          event: { original: JSON.stringify(r), provider: r.eventSource, action: r.eventName },
          aws: { cloudtrail: { event_version: r.eventVersion } },
        },
      }),
    ).join('\n'),
  },
  {
    // AKS, "Monitor and query apiserver requests": kube-audit to Log Analytics, the AzureDiagnostics table's log_s.
    name: 'AKS kube-audit in Log Analytics, AzureDiagnostics rows (az monitor log-analytics query)',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    file: 'aks-azurediagnostics.json',
    content: JSON.stringify(
      EVENTS.map((e) => ({
        TenantId: 'aaaaaaaa-0000-0000-0000-000000000000',
        TimeGenerated: ticks(e['stageTimestamp']),
        ResourceId: AKS_ID,
        Category: 'kube-audit',
        ResourceGroup: 'SHOP',
        SubscriptionId: '00000000-1111-2222-3333-444444444444',
        ResourceProvider: 'MICROSOFT.CONTAINERSERVICE',
        Resource: 'SHOP',
        ResourceType: 'MANAGEDCLUSTERS',
        OperationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
        log_s: JSON.stringify(e),
        pod_s: 'kube-apiserver-6d5b7c9f8-abcde',
        stream_s: 'stdout',
        SourceSystem: 'Azure',
        Type: 'AzureDiagnostics',
        _ResourceId: AKS_ID.toLowerCase(),
      })),
      null,
      2,
    ),
  },
  {
    // Azure Monitor table reference, AKSAudit: the resource-specific table, one column per Event field.
    name: 'AKS kube-audit in Log Analytics, AKSAudit rows with dynamic columns as JSON text',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    file: 'aks-aksaudit.json',
    content: JSON.stringify(
      EVENTS.map((e) => aksAuditRow(e, (v) => JSON.stringify(v))),
      null,
      2,
    ),
  },
  {
    name: 'AKS kube-audit-admin in Log Analytics, AKSAuditAdmin rows with dynamic columns as objects, one per line',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    file: 'aks-aksauditadmin.jsonl',
    content: EVENTS.map((e) => JSON.stringify({ ...aksAuditRow(e, (v) => v), Type: 'AKSAuditAdmin' })).join('\n'),
  },
  {
    // Cloud Logging, "Route logs to Pub/Sub"; gcloud pubsub subscriptions pull --format=json: ReceivedMessage list.
    name: 'GKE audit logs routed to Pub/Sub, pulled with gcloud pubsub subscriptions pull --format=json',
    flag: 'k8sAudit',
    plain: GKE_PLAIN,
    file: 'gke-pubsub-pull.json',
    content: JSON.stringify(
      GKE.map((e, i) => ({ ackId: `ack-${i}`, message: pubsubMessage(e, i) })),
      null,
      2,
    ),
  },
  {
    // Pub/Sub push subscriptions: each request body holds one message and the subscription's name.
    name: 'GKE audit logs routed to Pub/Sub, push request bodies saved one per line',
    flag: 'k8sAudit',
    plain: GKE_PLAIN,
    file: 'gke-pubsub-push.jsonl',
    content: GKE.map((e, i) =>
      JSON.stringify({ message: pubsubMessage(e, i), subscription: 'projects/shop-staging-1234/subscriptions/audit' }),
    ).join('\n'),
  },
  {
    // EventBridge user guide, "AWS service events delivered via AWS CloudTrail": one detail-type per kind of event.
    name: 'CloudTrail events from EventBridge of every detail-type (API call, console sign-in, service event)',
    flag: 'cloudtrail',
    plain: [TRAIL[0], SIGNIN, SERVICE_EVENT].map((r) => JSON.stringify(r)).join('\n') + '\n',
    file: 'eventbridge.jsonl',
    content:
      [
        eventBridge('AWS API Call via CloudTrail', TRAIL[0]!),
        eventBridge('AWS Console Signin via CloudTrail', SIGNIN),
        eventBridge('AWS Service Event via CloudTrail', SERVICE_EVENT),
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
  },
];

describe('records in a managed service’s envelope read as the same records in the plain format', () => {
  const dir = tmp();
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const sub = join(dir, c.file.replace(/\W/g, '_'));
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'plain'), c.plain);
    writeFileSync(join(sub, c.file), c.content);
    const plain = await read(c.flag, join(sub, 'plain'));
    const wrapped = await read(c.flag, join(sub, c.file));
    expect(plain.issueCount).toBe(0);
    expect(wrapped.issues).toEqual([]);
    expect(wrapped.profile.sources.map((s) => [s.format, s.records, s.notice])).toEqual([
      [plain.profile.sources[0]!.format, plain.profile.sources[0]!.records, undefined],
    ]);
    // Not vacuous: the plain records make accesses or network paths.
    expect(withoutSources(plain.profile)).toMatch(/"(k8s|aws|network)"/);
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
  });
});

describe('a CloudWatch Logs envelope given to the wrong flag says whose it is', () => {
  const dir = tmp();
  it.each([
    [
      'CloudTrail subscription records to --k8s-audit',
      'k8sAudit',
      subscription(CT_GROUP, CT_STREAM, TRAIL_EVENTS),
      /looks like CloudTrail: read it with --cloudtrail/,
    ],
    [
      'VPC flow log subscription records to --cloudtrail',
      'cloudtrail',
      subscription('vpc', 'eni-1-all', VPC_EVENTS),
      /looks like flow logs: read it with --flows/,
    ],
    [
      'CloudTrail filter-log-events output to --flows',
      'flows',
      filterLogEvents(CT_STREAM, TRAIL_EVENTS),
      /looks like CloudTrail: read it with --cloudtrail/,
    ],
  ] as const)('%s', async (name, flag, content, notice) => {
    const path = join(dir, name.replace(/\W/g, '_'));
    writeFileSync(path, content);
    const r = await read(flag as Flag, path);
    expect(r.profile.sources.map((s) => [s.format, s.notice])).toEqual([['skipped', expect.stringMatching(notice)]]);
  });
});

describe('a bad record in an envelope is an issue naming the file, its line and the inner record; the others are read', () => {
  const dir = tmp();
  const good = JSON.stringify(TRAIL[0]);
  it.each([
    [
      'a CloudTrail log event whose message is not JSON',
      'cloudtrail',
      filterLogEvents(CT_STREAM, [
        { timestamp: 1, message: good },
        { timestamp: 2, message: 'not json' },
      ]),
      [1, 'json.malformed', /^events\[1\]: the message is not a CloudTrail record as JSON/],
    ],
    [
      'a CloudTrail record without its identity in a subscription record',
      'cloudtrail',
      subscription(CT_GROUP, CT_STREAM, [
        { timestamp: 1, message: good },
        { timestamp: 2, message: JSON.stringify({ ...TRAIL[1], userIdentity: undefined }) },
      ]) + '\n',
      [1, 'cloudtrail.not-a-record', /^logEvents\[1\]: event "[^"]+": not a CloudTrail record/],
    ],
    [
      'a VPC flow log line of another format in CloudWatch Logs (no header)',
      'flows',
      filterLogEvents('eni-1-all', [
        VPC_EVENTS[0]!,
        { timestamp: 3, message: '5 vpc-1 subnet-1 10.0.1.20 10.0.2.30 40112 5432 6 ACCEPT OK' },
      ]),
      [1, 'flow.vpc-fields', /^events\[1\]: expected 14 fields/],
    ],
    [
      'a Splunk result whose _raw is not JSON',
      'cloudtrail',
      `${JSON.stringify({ result: { _raw: good } })}\n${JSON.stringify({ result: { _raw: '{"eventVersion":' } })}\n`,
      [2, 'json.malformed', /^result\._raw is not a CloudTrail record as JSON/],
    ],
    [
      'an ECS document without event.original',
      'cloudtrail',
      `${JSON.stringify({ _source: TRAIL[0] })}\n${JSON.stringify({ _source: { '@timestamp': 'x', event: { action: 'SendMessage' } } })}\n`,
      [2, 'cloudtrail.not-a-record', /^_source holds no CloudTrail record \(ECS fields are not read/],
    ],
    [
      'an AKSAudit row whose User column is cut short',
      'k8sAudit',
      [
        aksAuditRow(EVENTS[0]!, (v) => JSON.stringify(v)),
        { ...aksAuditRow(EVENTS[1]!, (v) => JSON.stringify(v)), User: '{"username":"sys' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
      [2, 'k8s.bad-envelope', /^AuditId "13c6ef36-58ff-4317-8453-808d12dfd808", User is not JSON$/],
    ],
  ] as const)('%s', async (name, flag, content, [line, code, message]) => {
    const path = join(dir, name.replace(/\W/g, '_'));
    writeFileSync(path, content);
    const r = await read(flag as Flag, path);
    expect(r.issues.map((i) => [i.file, i.line, i.code, i.message])).toEqual([
      [path, line, code, expect.stringMatching(message)],
    ]);
    expect(r.profile.sources[0]!.records).toBe(1);
  });
});

describe('a shape that holds no record is one issue saying what it is and what to read instead', () => {
  const dir = tmp();
  it('a CloudTrail Lake query answer (aws cloudtrail get-query-results): columns as text, not records', async () => {
    // CloudTrail API reference, GetQueryResults: QueryResultRows is a list of rows, each a list of column→text maps.
    const path = join(dir, 'lake-results.json');
    const row = [
      { eventTime: '2026-11-03 09:15:02.000' },
      { eventSource: 'sqs.amazonaws.com' },
      { eventName: 'SendMessage' },
      { userIdentity: '{type=AssumedRole, arn=arn:aws:sts::111122223333:assumed-role/app/s1}' },
    ];
    const answer = {
      QueryStatus: 'FINISHED',
      QueryStatistics: { ResultsCount: 2, TotalResultsCount: 2, BytesScanned: 1024 },
      QueryResultRows: [row, row],
    };
    writeFileSync(path, JSON.stringify(answer, null, 4));
    const r = await read('cloudtrail', path);
    expect(r.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [1, 'cloudtrail.not-a-record', expect.stringMatching(/^a CloudTrail Lake query answer \(get-query-results\)/)],
    ]);
    expect(r.issues[0]!.message).toMatch(/2 rows/);
  });
});

describe('a CSV export is skipped with a notice that says which JSON export to use instead', () => {
  const dir = tmp();
  const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
  it.each([
    [
      // CloudWatch Logs console, Logs Insights: results downloaded as a CSV table.
      'Logs Insights results downloaded as CSV',
      'k8sAudit',
      `@timestamp,@message\n${EVENTS.slice(0, 2)
        .map((e) => `2026-11-02 08:00:00.127,${q(JSON.stringify(e))}`)
        .join('\n')}\n`,
      /Logs Insights.*aws logs get-query-results/,
    ],
    [
      'Splunk results exported as CSV',
      'cloudtrail',
      `"_time","_raw",sourcetype\n${TRAIL.map((r) => `"${r.eventTime}",${q(JSON.stringify(r))},aws:cloudtrail`).join('\n')}\n`,
      /Splunk.*output_mode=json/,
    ],
    [
      // Athena's console download of `SELECT * FROM cloudtrail_logs`: lower-case columns, structs as Hive text.
      'Athena CloudTrail results downloaded as CSV',
      'cloudtrail',
      `"eventversion","useridentity","eventtime","eventsource","eventname"\n${TRAIL.map(
        (r) =>
          `"1.08",${q(`{type=${r.userIdentity.type}, arn=${r.userIdentity.arn}}`)},"${r.eventTime}","${r.eventSource}","${r.eventName}"`,
      ).join('\n')}\n`,
      /CloudTrail query results as CSV.*UNLOAD the query WITH \(format = 'JSON'\)/,
    ],
    [
      // CloudTrail Lake's saved results (gzip CSV), camelCase columns.
      'CloudTrail Lake results saved as gzip CSV',
      'cloudtrail',
      gzipSync(
        `eventID,eventTime,eventSource,eventName,userIdentity\n${TRAIL.map((r) => `${r.eventID},${r.eventTime},${r.eventSource},${r.eventName},"{type=${r.userIdentity.type}}"`).join('\n')}\n`,
      ),
      /CloudTrail query results as CSV/,
    ],
  ] as const)('%s', async (name, flag, content, notice) => {
    const path = join(dir, name.replace(/\W/g, '_') + '.csv');
    writeFileSync(path, content);
    const r = await read(flag as Flag, path).catch((e: Error) => e);
    const text = r instanceof Error ? r.message : JSON.stringify(r.profile.sources);
    expect(text).toMatch(notice);
  });
});
