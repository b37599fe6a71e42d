import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * An audit Event without a time of its own takes its envelope record's: CloudWatch Logs' `timestamp` (epoch
 * milliseconds), Logs Insights' `@timestamp` (`2026-11-02 08:00:00.123`, UTC, no zone), Azure resource logs' `time`
 * (UTC, seven fractional digits) and Log Analytics' `TimeGenerated`. That time is read exactly as a record's own time
 * is (util/time.ts): to the same instant whatever its form, microseconds kept, an impossible date (02-30, 24:00) never
 * rolled over into another day but an issue naming the file and the line, the record kept with its time unknown.
 */

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(path: string) {
  return ingest({ k8sAudit: [path], scope: everyone(), workers: 1, cwd: ROOT });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

function event(time?: string) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a1',
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef: { resource: 'configmaps', namespace: 'shop', name: 'c', apiVersion: 'v1' },
    requestURI: '/api/v1/namespaces/shop/configmaps/c',
    responseStatus: { code: 200 },
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    ...(time === undefined ? {} : { requestReceivedTimestamp: time, stageTimestamp: time }),
  };
}

const RID = '/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS';

/** The Event without its own time, in each envelope, the envelope's time written as `t` (a string or a number). */
const ENVELOPES: Record<string, (t: unknown) => unknown> = {
  'filter-log-events': (t) => ({
    events: [{ logStreamName: 'kube-apiserver-audit-0123abcd', timestamp: t, message: JSON.stringify(event()) }],
    searchedLogStreams: [],
  }),
  'firehose-subscription': (t) => ({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/eks/c/cluster',
    logStream: 'kube-apiserver-audit-0123abcd',
    subscriptionFilters: ['f'],
    logEvents: [{ id: '1', timestamp: t, message: JSON.stringify(event()) }],
  }),
  'logs-insights': (t) => ({
    results: [
      [
        { field: '@timestamp', value: t },
        { field: '@message', value: JSON.stringify(event()) },
      ],
    ],
    status: 'Complete',
  }),
  'aks-storage': (t) => ({
    records: [
      { time: t, resourceId: RID, category: 'kube-audit', properties: { log: JSON.stringify(event()), pod: 'p' } },
    ],
  }),
  'azure-diagnostics-row': (t) => ({
    TimeGenerated: t,
    Category: 'kube-audit',
    log_s: JSON.stringify(event()),
    ResourceId: RID,
  }),
  // A row of the AKSAudit table whose RequestReceivedTime and StageReceivedTime are empty: its TimeGenerated.
  'aks-log-analytics-row': (t) => {
    const e = event();
    return {
      Type: 'AKSAudit',
      TimeGenerated: t,
      AuditId: e.auditID,
      Level: e.level,
      Stage: e.stage,
      RequestUri: e.requestURI,
      Verb: e.verb,
      User: JSON.stringify(e.user),
      ObjectRef: JSON.stringify(e.objectRef),
      ResponseStatus: JSON.stringify(e.responseStatus),
      Annotations: JSON.stringify(e.annotations),
      RequestReceivedTime: '',
      StageReceivedTime: '',
    };
  },
};

/** Writes `name` with the value as one JSON line; returns its path. */
function file(dir: string, name: string, value: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value) + '\n');
  return path;
}

describe('an envelope’s time is read to the same instant as the record’s own time would be', () => {
  // 2026-11-02T08:00:00.123Z as each envelope writes it.
  const MS = Date.UTC(2026, 10, 2, 8, 0, 0, 123);
  const milli: Record<string, unknown> = {
    'filter-log-events': MS,
    'firehose-subscription': MS,
    'logs-insights': '2026-11-02 08:00:00.123',
    'aks-storage': '2026-11-02T08:00:00.1230000Z',
    'azure-diagnostics-row': '2026-11-02T09:00:00.123+01:00',
    'aks-log-analytics-row': '2026-11-02T08:00:00.1230000Z',
  };

  it.each(Object.keys(ENVELOPES))('%s: epoch milliseconds, no zone, seven digits, an offset', async (name) => {
    const dir = tmp();
    const native = await read(file(join(dir, 'n'), 'native.log', event('2026-11-02T08:00:00.123Z')));
    const wrapped = await read(file(join(dir, 'e'), 'env.json', ENVELOPES[name]!(milli[name])));
    expect(wrapped.profile.window).toEqual({
      start: '2026-11-02T08:00:00.123000Z',
      end: '2026-11-02T08:00:00.123000Z',
    });
    expect(wrapped.issues).toEqual([]);
    expect(wrapped.notices).toEqual([]);
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(native.profile));
  });

  it.each([
    ['aks-storage', '2026-11-02T08:00:00.1234567Z'],
    ['azure-diagnostics-row', '2026-11-02T08:00:00.1234567Z'],
    ['azure-diagnostics-row', '2026-11-02T06:00:00.1234567-02:00'],
  ])('%s %s: the microseconds are kept, as the record’s own time keeps them', async (name, t) => {
    const dir = tmp();
    const native = await read(file(join(dir, 'n'), 'native.log', event('2026-11-02T08:00:00.123456Z')));
    const wrapped = await read(file(join(dir, 'e'), 'env.json', ENVELOPES[name]!(t)));
    expect(wrapped.profile.window.start).toBe('2026-11-02T08:00:00.123456Z');
    expect(withoutSources(wrapped.profile)).toBe(withoutSources(native.profile));
  });

  it('a time 23:30 at -02:00 is the next day in UTC', async () => {
    const wrapped = await read(file(tmp(), 'env.json', ENVELOPES['aks-storage']!('2026-11-02T23:30:00-02:00')));
    expect(wrapped.profile.window.start).toBe('2026-11-03T01:30:00.000000Z');
  });
});

describe('an envelope time that is no time is a notice naming the file and the line; the record is kept', () => {
  it.each([
    ['aks-storage', '2026-02-30T08:00:00Z'],
    ['aks-storage', '2026-11-02T24:00:00Z'],
    ['azure-diagnostics-row', '2026-13-02T08:00:00Z'],
    ['logs-insights', 'yesterday'],
    ['filter-log-events', -1],
    ['filter-log-events', 1e20],
  ])('%s %j: never rolled into another day, never said to be missing', async (name, t) => {
    const dir = tmp();
    const path = join(dir, 'env.json');
    // Line 2: a blank line first, so the line is not 1 by chance.
    writeFileSync(path, '\n' + JSON.stringify(ENVELOPES[name]!(t)) + '\n');
    const r = await read(path);
    expect(r.profile.window).toEqual({ start: '', end: '' });
    const edge = r.profile.principals[0]!.k8s![0]!;
    expect(edge.allowed).toMatchObject({ count: 1, firstSeen: '', lastSeen: '' });
    expect(r.notices.map((n) => [n.code, n.file, n.line])).toEqual([['k8s.bad-time', path, 2]]);
    expect(r.notices[0]!.message).toContain(typeof t === 'string' ? JSON.stringify(t) : String(t));
  });

  it('the Event’s own time wins over its envelope’s', async () => {
    const own = structuredClone(ENVELOPES['aks-storage']!('2026-11-05T00:00:00Z')) as {
      records: { properties: object }[];
    };
    own.records[0]!.properties = { log: JSON.stringify(event('2026-11-02T08:00:00.5Z')) };
    const r = await read(file(tmp(), 'env.json', own));
    expect(r.profile.window.start).toBe('2026-11-02T08:00:00.500000Z');
  });
});

describe('GKE: a LogEntry’s timestamp with nanoseconds or an offset (Cloud Logging, LogEntry)', () => {
  // The fixture's first entry, at 2026-11-02T08:00:00.123456Z.
  const entry = JSON.parse(readFileSync(join(ROOT, 'fixtures/envelopes/gke/log-sink.jsonl'), 'utf8').split('\n')[0]!);

  it.each([
    '2026-11-02T08:00:00.123456789Z',
    '2026-11-02T09:00:00.1234567+01:00',
    '2026-11-02T05:30:00.123456-02:30',
    '2026-11-02t08:00:00.123456z',
  ])('%s: the profile of the entry at 08:00:00.123456Z', async (t) => {
    const dir = tmp();
    const plain = await read(file(join(dir, 'p'), 'entry.jsonl', entry));
    const r = await read(file(join(dir, 'e'), 'entry.jsonl', { ...entry, timestamp: t }));
    expect(r.notices).toEqual([]);
    expect(r.profile.window.start).toBe('2026-11-02T08:00:00.123456Z');
    expect(withoutSources(r.profile)).toBe(withoutSources(plain.profile));
  });
});
