import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue } from '../src/ingest/cloudTrail/decode.js';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import { emptyInventory, Resolver } from '../src/inventory/inventory.js';

// A log shipper (Logstash's date filter, Filebeat, Fluent Bit's Elasticsearch output) may move a record's own time
// into `@timestamp` and drop the original field: the OTRF Security-Datasets CloudTrail files in ../shared/corpus are
// such records. Their time was lost (`cloudtrail.no-time` on every record), so `--since`, `--until` and the
// backtest's split could not place them. Now `@timestamp` is read when the record's own time is missing, with one
// notice per file saying so; a record's own time always wins, and an unreadable `@timestamp` is as no time.

type Out = { time?: string; kind: string; code?: string; level?: string; perFile?: boolean };

const CT = {
  eventVersion: '1.05',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/pedro', accountId: '123456789012' },
  eventSource: 's3.amazonaws.com',
  eventName: 'ListBuckets',
  awsRegion: 'us-east-1',
  requestParameters: null,
  eventID: 'fd4f1042-c7f6-4107-a6ee-d841d92596e7',
  recipientAccountId: '123456789012',
};

const K8S = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '5601c567-fbb5-4522-ae53-a50ae8dae18a',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/shop/configmaps/cart',
  verb: 'get',
  user: { username: 'system:serviceaccount:shop:cart', groups: ['system:serviceaccounts', 'system:authenticated'] },
  objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
  responseStatus: { code: 200 },
};

const FLOW = {
  verdict: 'FORWARDED',
  IP: { source: '10.0.1.5', destination: '10.0.2.7' },
  l4: { TCP: { source_port: 40000, destination_port: 5432, flags: { SYN: true } } },
  source: { namespace: 'shop', pod_name: 'web-6b746f74dc-9rcxx', labels: ['k8s:app=web'] },
  destination: { namespace: 'shop', pod_name: 'db-0', labels: ['k8s:app=db'] },
  Type: 'L3_L4',
  is_reply: false,
};

function run(kind: 'cloudtrail' | 'k8s' | 'flow', record: Record<string, unknown>): Out[] {
  const out: Out[] = [];
  const emit = (x: unknown) => out.push(x as Out);
  if (kind === 'cloudtrail') decodeCloudTrailValue(record, { file: 'f.json', line: 3 }, emit);
  else if (kind === 'k8s') decodeValue(record, { file: 'f.json', line: 3 }, emit);
  else new FlowDecoder('f.json', new Resolver(emptyInventory()), emit).json(record, 3);
  return out;
}

const observed = (out: Out[]) => out.filter((x) => x.kind !== 'issue').map((x) => x.time);
const notices = (out: Out[]) => out.filter((x) => x.kind === 'issue').map((x) => [x.code, x.level, !!x.perFile]);

describe("a shipper's @timestamp when the record has no time of its own", () => {
  const cases = [
    ['cloudtrail', CT, 'eventTime', '2020-09-14T00:44:23Z'],
    ['k8s', K8S, 'requestReceivedTimestamp', '2026-11-02T00:00:00.000039Z'],
    ['flow', FLOW, 'time', '2026-11-02T08:00:00.123456789Z'],
  ] as const;

  it.each(cases)('%s: read, with a per-file notice', (kind, base) => {
    const out = run(kind, { ...base, '@timestamp': '2020-09-14T00:44:23.000Z', '@version': '1' });
    expect(observed(out)).toEqual(['2020-09-14T00:44:23.000000Z']);
    expect(notices(out)).toEqual([[`${kind}.shipper-time`, 'notice', true]]);
  });

  it.each(cases)("%s: the record's own time wins, no notice", (kind, base, field, own) => {
    const out = run(kind, { ...base, [field]: own, '@timestamp': '1999-01-01T00:00:00.000Z' });
    expect(observed(out)).toHaveLength(1);
    expect(observed(out)[0]!.startsWith(own.slice(0, 19))).toBe(true);
    expect(notices(out)).toEqual([]);
  });

  it.each(cases)('%s: an unreadable @timestamp is no time (kept, its time unknown)', (kind, base) => {
    const out = run(kind, { ...base, '@timestamp': 'last tuesday' });
    expect(observed(out)).toEqual(['']);
    expect(notices(out)).toEqual([[`${kind}.no-time`, 'notice', false]]);
  });

  it("a Hubble flow inside its hubble-observe wrapper: the wrapper's @timestamp", () => {
    const out = run('flow', { flow: FLOW, node_name: 'n1', '@timestamp': '2026-11-02T08:00:01Z' });
    expect(observed(out)).toEqual(['2026-11-02T08:00:01.000000Z']);
    expect(notices(out)).toEqual([['flow.shipper-time', 'notice', true]]);
  });

  const otrf = join(
    __dirname,
    '../../shared/corpus/cloudtrail/OTRF__Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration_2020-09-14011940.json',
  );
  it.skipIf(!existsSync(otrf))('the OTRF corpus records (Logstash-shipped) get their times back', () => {
    const lines = readFileSync(otrf, 'utf8').split('\n').filter(Boolean);
    const out: Out[] = [];
    lines.forEach((l, i) => {
      const v = JSON.parse(l) as Record<string, unknown>;
      expect(v['eventTime']).toBeUndefined();
      decodeCloudTrailValue(v, { file: otrf, line: i + 1 }, (x) => out.push(x as Out));
    });
    const times = observed(out);
    expect(times.length).toBeGreaterThan(10);
    expect(times.every((t) => /^2020-09-1[34]T\d\d:\d\d:\d\d\.\d{6}Z$/.test(t!))).toBe(true);
    expect(notices(out).every(([code]) => code === 'cloudtrail.shipper-time')).toBe(true);
  });
  if (!existsSync(otrf)) console.log(`skipped the OTRF corpus case: ${otrf} is absent`);
});
