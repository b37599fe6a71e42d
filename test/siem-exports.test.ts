import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * Logs saved from a SIEM, for every reader: Splunk's JSON exports (a line per result from `splunk search -output
 * json` or the REST export, a job's results document) and Elasticsearch / OpenSearch (a search answer, documents one
 * per line, Elastic's Kubernetes integration's ECS documents). Each reads to the same profile as the records
 * themselves (apart from `sources`), with no issue. Shapes from Splunk's REST API reference (search/jobs/export,
 * search/jobs/{sid}/results, output_mode=json), Elasticsearch's search API reference, and Elastic's
 * kubernetes.audit_logs data stream (its sample event and ingest pipeline: the Event under `kubernetes.audit`,
 * annotation keys with `.` written `_`, `requestObject.metadata` and `responseObject.metadata` removed).
 */

type Flag = 'k8sAudit' | 'cloudtrail' | 'flows';
type Obj = Record<string, unknown>;

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(flag: Flag, path: string, workers = 1) {
  return ingest({
    k8sAudit: flag === 'k8sAudit' ? [path] : [],
    ...(flag === 'cloudtrail' ? { cloudtrail: [path] } : {}),
    ...(flag === 'flows' ? { flows: [path] } : {}),
    scope: everyone(),
    workers,
    cwd: ROOT,
  });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

// ---- Kubernetes audit Events: the envelope fixtures' native events, and two whose annotations decide them.
const NATIVE = readFileSync(join(ROOT, 'fixtures/envelopes/native/events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Obj);
const event = (i: number, extra: Obj): Obj => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: `5a1e0000-0000-4000-8000-00000000000${i}`,
  stage: 'ResponseComplete',
  user: {
    username: 'system:serviceaccount:ops:drainer',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ops', 'system:authenticated'],
  },
  sourceIPs: ['10.0.0.31'],
  requestReceivedTimestamp: `2026-11-02T09:0${i}:00.000000Z`,
  stageTimestamp: `2026-11-02T09:0${i}:00.010000Z`,
  ...extra,
});
// An eviction a PodDisruptionBudget refused: 429 after authorization, which only the decision annotation tells.
const EVICTION = event(1, {
  verb: 'create',
  requestURI: '/api/v1/namespaces/shop/pods/web-0/eviction',
  objectRef: { resource: 'pods', subresource: 'eviction', namespace: 'shop', name: 'web-0', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 429 },
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by Role' },
});
// Allowed by another authorizer than RBAC: the reason annotation says which.
const WEBHOOK = event(2, {
  verb: 'list',
  requestURI: '/api/v1/namespaces/shop/pods',
  objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'EKS Access Policy: x' },
});
const EVENTS = [...NATIVE, EVICTION, WEBHOOK];
const EVENTS_PLAIN = EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n';

/** Elastic's ingest pipeline: metadata of the request and response objects removed, annotation keys dedotted. */
function elasticAudit(e: Obj): Obj {
  const audit: Obj = { ...e };
  for (const k of ['requestObject', 'responseObject'])
    if (audit[k] && typeof audit[k] === 'object') {
      const { metadata: _drop, ...rest } = audit[k] as Obj;
      audit[k] = rest;
    }
  const ann = e['annotations'] as Obj | undefined;
  if (ann) audit['annotations'] = Object.fromEntries(Object.entries(ann).map(([k, v]) => [k.replace(/\./g, '_'), v]));
  return audit;
}
const ecsDoc = (e: Obj, withOriginal: boolean): Obj => ({
  '@timestamp': '2026-11-02T10:00:00.000Z',
  kubernetes: { audit: elasticAudit(e) },
  event: {
    kind: 'event',
    action: e['verb'],
    dataset: 'kubernetes.audit_logs',
    ...(withOriginal ? { original: JSON.stringify(e) } : {}),
  },
  user: { name: (e['user'] as Obj)['username'] },
  data_stream: { namespace: 'default', type: 'logs', dataset: 'kubernetes.audit_logs' },
  ecs: { version: '8.0.0' },
});

// ---- CloudTrail: one record.
const TRAIL = [
  {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEAPP:s1',
      arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app', accountId: '111122223333' },
      },
    },
    eventTime: '2026-11-03T09:15:02Z',
    eventSource: 'sqs.amazonaws.com',
    eventName: 'SendMessage',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '10.0.4.20',
    requestParameters: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders' },
    requestID: 'req-1',
    eventID: '5e1a0000-0000-4000-8000-000000000001',
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: '111122223333',
    eventCategory: 'Data',
  },
];
const TRAIL_PLAIN = TRAIL.map((r) => JSON.stringify(r)).join('\n') + '\n';

// ---- Flows: Hubble flows (JSON) and VPC flow log lines (text).
const HUBBLE: Obj[] = [1, 2].map((i) => ({
  time: `2026-11-02T08:00:0${i}.000000000Z`,
  verdict: 'FORWARDED',
  IP: { source: '10.0.1.20', destination: '10.0.2.30', ipVersion: 'IPv4' },
  l4: { TCP: { source_port: 40110 + i, destination_port: 8080, flags: { SYN: true } } },
  source: { namespace: 'shop', labels: ['k8s:app=web'], pod_name: `web-7c9d8f6b5d-x${i}klq` },
  destination: { namespace: 'shop', labels: ['k8s:app=cart'], pod_name: 'cart-5f6d7c8b9-q2w3e' },
  Type: 'L3_L4',
  is_reply: false,
  traffic_direction: 'EGRESS',
}));
const HUBBLE_PLAIN = HUBBLE.map((f) => JSON.stringify({ flow: f, node_name: 'n1', time: f['time'] })).join('\n') + '\n';
const VPC = [
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.20 10.0.2.30 40112 5432 6 10 3767 1794063600 1794063660 ACCEPT OK',
  '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.21 10.0.2.31 40113 443 6 4 600 1794063601 1794063660 REJECT OK',
];
const VPC_PLAIN = VPC.join('\n') + '\n';

/** `splunk search … -output json` / the REST export: a line per result. */
const splunkExport = (raws: string[], sourcetype: string) =>
  raws
    .map((raw, i) =>
      JSON.stringify({
        preview: false,
        offset: i,
        ...(i === raws.length - 1 ? { lastrow: true } : {}),
        result: { _raw: raw, _time: '2026-11-03T09:15:02.000+00:00', host: 'hf-1', sourcetype, index: 'main' },
      }),
    )
    .join('\n') + '\n';
/** `GET search/jobs/{sid}/results?output_mode=json`: one document. */
const splunkResults = (raws: string[], sourcetype: string) =>
  JSON.stringify(
    {
      preview: false,
      init_offset: 0,
      messages: [],
      fields: [{ name: '_raw' }, { name: '_time' }, { name: 'sourcetype' }],
      results: raws.map((raw) => ({ _raw: raw, _time: '2026-11-03T09:15:02.000+00:00', sourcetype })),
      highlighted: {},
    },
    null,
    2,
  );
/** An Elasticsearch search answer. */
const searchAnswer = (sources: Obj[]) =>
  JSON.stringify(
    {
      took: 3,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        total: { value: sources.length, relation: 'eq' },
        max_score: 1,
        hits: sources.map((s, i) => ({ _index: 'logs', _id: `d${i}`, _score: 1, _source: s })),
      },
    },
    null,
    2,
  );
/** Documents one per line, as elasticdump and similar tools write them. */
const documents = (sources: Obj[]) =>
  sources
    .map((s, i) => JSON.stringify({ _index: 'logs', _type: '_doc', _id: `d${i}`, _score: 1, _source: s }))
    .join('\n');

/** `logcli query --output jsonl`: a line per entry (json.Marshal: keys sorted). */
const logcliJsonl = (lines: string[]) =>
  lines
    .map((line, i) =>
      JSON.stringify({
        labels: { job: 'kube-apiserver-audit', cluster: 'staging' },
        line,
        timestamp: `2026-11-03T09:15:0${i % 10}.123456789+01:00`,
      }),
    )
    .join('\n') + '\n';
/** The HTTP API's answer to /loki/api/v1/query_range: streams of [epoch ns, line] pairs. */
const lokiAnswer = (lines: string[]) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'streams',
      result: [
        {
          stream: { job: 'a' },
          values: lines.filter((_, i) => i % 2 === 0).map((l, i) => [`17940636${i}0000000000`, l]),
        },
        {
          stream: { job: 'b' },
          values: lines.filter((_, i) => i % 2 === 1).map((l, i) => [`17940637${i}0000000000`, l, { trace_id: 'x' }]),
        },
      ],
      stats: { summary: { bytesProcessedPerSecond: 1 } },
    },
  });

const CASES: { name: string; flag: Flag; plain: string; content: string; envelope?: string }[] = [
  {
    name: 'audit Events exported from Splunk, a line per result (result._raw)',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: splunkExport(
      EVENTS.map((e) => JSON.stringify(e)),
      'kube:apiserver:audit',
    ),
    envelope: 'splunk',
  },
  {
    name: 'audit Events as a Splunk search job’s results document (results[]._raw)',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: splunkResults(
      EVENTS.map((e) => JSON.stringify(e)),
      'kube:apiserver:audit',
    ),
    envelope: 'splunk',
  },
  {
    name: 'audit Events as Fluent Bit indexes them in Elasticsearch, a search answer (hits.hits[]._source)',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: searchAnswer(EVENTS.map((e) => ({ '@timestamp': '2026-11-02T10:00:00.000Z', ...e }))),
    envelope: 'elasticsearch',
  },
  {
    name: 'Elastic’s Kubernetes integration (kubernetes.audit, annotation keys dedotted), documents one per line',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: documents(EVENTS.map((e) => ecsDoc(e, false))),
    envelope: 'elasticsearch',
  },
  {
    name: 'Elastic’s Kubernetes integration, its documents’ _source saved alone, one per line',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: EVENTS.map((e) => JSON.stringify(ecsDoc(e, false))).join('\n'),
    envelope: 'elasticsearch',
  },
  {
    name: 'Elastic’s Kubernetes integration keeping the Event in event.original, a search answer',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: searchAnswer(EVENTS.map((e) => ecsDoc(e, true))),
    envelope: 'elasticsearch',
  },
  {
    name: 'audit Events from Grafana Loki, logcli query --output jsonl',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: logcliJsonl(EVENTS.map((e) => JSON.stringify(e))),
    envelope: 'loki',
  },
  {
    name: 'audit Events from Grafana Loki, the query_range API answer (two streams, structured metadata)',
    flag: 'k8sAudit',
    plain: EVENTS_PLAIN,
    content: lokiAnswer(EVENTS.map((e) => JSON.stringify(e))),
    envelope: 'loki',
  },
  {
    name: 'CloudTrail from Grafana Loki, the query_range API answer',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    content: lokiAnswer(TRAIL.map((r) => JSON.stringify(r))),
  },
  {
    name: 'VPC flow log lines from Grafana Loki, logcli jsonl',
    flag: 'flows',
    plain: VPC_PLAIN,
    content: logcliJsonl(VPC),
  },
  {
    name: 'CloudTrail as a Splunk search job’s results document',
    flag: 'cloudtrail',
    plain: TRAIL_PLAIN,
    content: splunkResults(
      TRAIL.map((r) => JSON.stringify(r)),
      'aws:cloudtrail',
    ),
  },
  {
    name: 'Hubble flows indexed in Elasticsearch, a search answer',
    flag: 'flows',
    plain: HUBBLE_PLAIN,
    content: searchAnswer(HUBBLE.map((f) => ({ flow: f, node_name: 'n1', time: f['time'] }))),
  },
  {
    name: 'Hubble flows exported from Splunk, a line per result',
    flag: 'flows',
    plain: HUBBLE_PLAIN,
    content: splunkExport(
      HUBBLE.map((f) => JSON.stringify({ flow: f, node_name: 'n1', time: f['time'] })),
      'cilium:hubble',
    ),
  },
  {
    name: 'VPC flow log lines exported from Splunk, a line per result',
    flag: 'flows',
    plain: VPC_PLAIN,
    content: splunkExport(VPC, 'aws:cloudwatchlogs:vpcflow'),
  },
  {
    name: 'VPC flow log lines from Elastic’s AWS integration (ECS documents keeping the line in event.original)',
    flag: 'flows',
    plain: VPC_PLAIN,
    content: documents(VPC.map((l) => ({ '@timestamp': '2026-11-02T10:00:00.000Z', event: { original: l } }))),
  },
];

describe('records saved from a SIEM read as the same records in the plain format', () => {
  const dir = tmp();
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const sub = join(dir, `case-${i}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'plain'), c.plain);
    writeFileSync(join(sub, 'siem.json'), c.content);
    const plain = await read(c.flag, join(sub, 'plain'));
    const wrapped = await read(c.flag, join(sub, 'siem.json'));
    expect(plain.issueCount).toBe(0);
    expect(wrapped.issues).toEqual([]);
    // Not vacuous: the plain records make accesses or network paths.
    expect(withoutSources(plain.profile)).toMatch(/"(k8s|aws|network)"/);
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(plain.profile));
    // Two workers read the same bytes (a document spanning lines, or a line per record).
    const two = await read(c.flag, join(sub, 'siem.json'), 2);
    expect(serializeProfile(two.profile)).toBe(serializeProfile(wrapped.profile));
    if (c.envelope)
      expect(wrapped.profile.sources[0]!.envelopes).toEqual({
        [c.envelope]: c.flag === 'k8sAudit' ? EVENTS.length : 0,
      });
  });

  it('the annotations Elastic dedotted decide as the originals do: an eviction a budget refused, another authorizer', async () => {
    const sub = join(dir, 'annotations');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'ecs.json'), documents([EVICTION, WEBHOOK].map((e) => ecsDoc(e, false))));
    const { profile, issues } = await read('k8sAudit', join(sub, 'ecs.json'));
    expect(issues).toEqual([]);
    const text = serializeProfile(profile);
    // The 429 eviction counts as allowed (the annotation wins over the code), not as unreached.
    expect(text).toMatch(/"eviction"/);
    expect(text).not.toMatch(/before-authorization/);
    // The other authorizer's reason is kept.
    expect(text).toMatch(/EKS Access Policy: x/);
  });
});

describe('an Event without a time of its own takes the store’s', () => {
  it('Loki’s epoch nanoseconds, read to the microsecond', async () => {
    const dir = tmp();
    const { requestReceivedTimestamp: _r, stageTimestamp: _s, ...untimed } = NATIVE[0]!;
    const path = join(dir, 'loki.json');
    writeFileSync(
      path,
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'streams',
          result: [{ stream: {}, values: [['1794063600123456789', JSON.stringify(untimed)]] }],
        },
      }),
    );
    const { profile, issues } = await read('k8sAudit', path);
    expect(issues).toEqual([]);
    expect(serializeProfile(profile)).toContain('2026-11-07T15:00:00.123456Z');
  });
});

describe('a SIEM record that holds no record is an issue naming file, line and the record; the others are read', () => {
  const dir = tmp();
  it.each([
    [
      'k8sAudit',
      searchAnswer([NATIVE[0]!, { '@timestamp': 'x', message: 'GET /healthz 200', host: { name: 'n1' } }]),
      [
        1,
        'k8s.unknown-format',
        /^an Elasticsearch document that holds no audit Event .*\(first at hits\.hits\[1\]\._source\)$/,
      ],
    ],
    [
      'k8sAudit',
      `${splunkExport([JSON.stringify(NATIVE[0])], 'kube:apiserver:audit')}${JSON.stringify({ preview: false, offset: 1, result: { verb: 'get', count: '3' } })}\n`,
      [2, 'k8s.unknown-format', /^a Splunk result that has no _raw: the search kept fields, not the events/],
    ],
    [
      'k8sAudit',
      `${JSON.stringify({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '3']] }] },
      })}\n${JSON.stringify(NATIVE[0])}\n`,
      [1, 'k8s.unknown-format', /^a Loki entry that is "matrix", not streams: a metric query's samples/],
    ],
    [
      'cloudtrail',
      lokiAnswer([JSON.stringify(TRAIL[0])]).replace('"values":[]', '"values":[["1794063600000000000"]]'),
      [1, 'cloudtrail.not-a-record', /^data\.result\[1\]\.values\[0\] is not a \[time, line\] pair$/],
    ],
    [
      'cloudtrail',
      JSON.stringify({ hits: { hits: [{ _source: TRAIL[0] }, { _id: 'x' }] } }),
      [1, 'cloudtrail.not-a-record', /^hits\.hits\[1\] has no _source$/],
    ],
    [
      'cloudtrail',
      splunkResults([JSON.stringify(TRAIL[0]), '{"eventVersion":'], 'aws:cloudtrail'),
      [1, 'json.malformed', /^results\[1\]\._raw is not a CloudTrail record as JSON/],
    ],
    [
      'flows',
      searchAnswer([{ flow: HUBBLE[0] }, { '@timestamp': 'x', aws: { vpcflow: { action: 'ACCEPT' } } }]),
      [1, 'flow.not-a-flow', /^hits\.hits\[1\]\._source: holds no flow \(ECS fields are not read/],
    ],
  ] as const)('%s', async (flag, content, [line, code, message]) => {
    const path = join(dir, `${flag}-${code}-${String(line)}-${content.length}.json`);
    writeFileSync(path, content);
    const r = await read(flag, path);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[line, code]]);
    expect(r.issues[0]!.message).toMatch(message);
    expect(r.issues[0]!.file).toBe(path);
    // The good record beside it was read.
    expect(withoutSources(r.profile)).toMatch(/"(k8s|aws|network)"/);
  });
});

describe('a SIEM export given to the wrong flag says which flag reads it', () => {
  const dir = tmp();
  it.each([
    ['k8sAudit', 'Splunk CloudTrail', splunkExport([JSON.stringify(TRAIL[0])], 'aws:cloudtrail'), '--cloudtrail'],
    ['cloudtrail', 'Elastic Kubernetes', documents(EVENTS.map((e) => ecsDoc(e, false))), '--k8s-audit'],
    ['cloudtrail', 'Splunk audit Events', splunkResults([JSON.stringify(NATIVE[0])], 'kube:audit'), '--k8s-audit'],
    ['k8sAudit', 'Elasticsearch Hubble', searchAnswer([{ flow: HUBBLE[0] }]), '--flows'],
  ] as const)('%s given %s', async (flag, _what, content, right) => {
    const path = join(dir, `${flag}-${right}-${content.length}.json`);
    writeFileSync(path, content);
    const r = await read(flag, path);
    expect(r.profile.sources.map((x) => [x.format, x.notice])).toEqual([
      ['skipped', expect.stringContaining(`read it with ${right}`)],
    ]);
    expect(withoutSources(r.profile)).not.toMatch(/"(k8s|aws|network)"/);
  });
});
