import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, ROOT, tmp } from './helpers/cli.js';

const FIX = join(ROOT, 'fixtures/envelopes');

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** Everyone, system identities and groups included: the whole of what a file says. */
const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function profileOf(paths: string[], workers = 1, splitBytes?: number) {
  const r = await ingest({
    k8sAudit: paths,
    scope: everyone(),
    workers,
    cwd: ROOT,
    ...(splitBytes ? { splitBytes } : {}),
  });
  return r;
}

/** The profile's bytes apart from its sources, the one part that says which files were read. */
const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

const ENVELOPE_OF: Record<string, string> = {
  'eks/filter-log-events.json': 'cloudwatch-logs',
  'eks/get-log-events.json': 'cloudwatch-logs',
  'eks/firehose-subscription': 'cloudwatch-subscription',
  'eks/logs-insights-results.json': 'logs-insights',
  'gke/gcloud-logging-read.json': 'gke-cloud-logging',
  'gke/log-sink.jsonl': 'gke-cloud-logging',
  'aks/storage-PT1H.json': 'aks-diagnostics',
  'aks/eventhub-records.json': 'aks-diagnostics',
};
const SKIPS: Record<string, Record<string, number>> = {
  'eks/filter-log-events.json': { 'cloudwatch-logs/stream:authenticator': 1 },
  'eks/firehose-subscription': { 'cloudwatch-subscription/control-message': 1 },
  'gke/gcloud-logging-read.json': { 'gke-cloud-logging/service:container.googleapis.com': 1 },
  'gke/log-sink.jsonl': { 'gke-cloud-logging/service:container.googleapis.com': 1 },
  'aks/storage-PT1H.json': { 'aks-diagnostics/category:guard': 1, 'aks-diagnostics/category:kube-apiserver': 1 },
  'aks/eventhub-records.json': { 'aks-diagnostics/category:guard': 1, 'aks-diagnostics/category:kube-apiserver': 1 },
};

describe('envelope fixtures', () => {
  it('are what scripts/gen-envelope-fixtures.js writes (regenerate with it after changing it)', () => {
    const out = tmp();
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-envelope-fixtures.js'), out]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const names = (d: string) => files(d).map((f) => relative(d, f));
    expect(names(out)).toEqual(names(FIX));
    for (const f of names(FIX)) expect(readFileSync(join(out, f)).equals(readFileSync(join(FIX, f))), f).toBe(true);
  });

  it('cover every shape, each plain and gzip', () => {
    const all = files(FIX).map((f) => relative(FIX, f));
    for (const shape of Object.keys(ENVELOPE_OF)) expect(all).toEqual(expect.arrayContaining([shape, `${shape}.gz`]));
    for (const f of all.filter((x) => x.endsWith('.gz'))) expect(readFileSync(join(FIX, f))[0]).toBe(0x1f);
  });
});

describe('each envelope gives the profile its Events give natively', async () => {
  const native = (await profileOf([join(FIX, 'native/events.jsonl')])).profile;
  const gkeNative = (await profileOf([join(FIX, 'native/gke-equivalent.jsonl')])).profile;
  const count = (p: Profile) => p.principals.reduce((n, x) => n + x.k8s.length, 0);

  it('the native files hold every kind of request the fixtures are about', () => {
    expect(native.sources[0]).toMatchObject({ records: 15, issues: 0 });
    expect(count(native)).toBeGreaterThan(20);
    // GKE keeps no groups: the same requests, without the group principals.
    expect(gkeNative.principals.map((p) => p.subject.kind)).not.toContain('Group');
    expect(native.principals.map((p) => p.subject.kind)).toContain('Group');
  });

  it.each(Object.keys(ENVELOPE_OF).flatMap((f) => [f, `${f}.gz`]))('%s', async (name) => {
    const shape = name.replace(/\.gz$/, '');
    const { profile, issueCount } = await profileOf([join(FIX, name)]);
    expect(issueCount).toBe(0);
    expect(withoutSources(profile)).toBe(withoutSources(shape.startsWith('gke/') ? gkeNative : native));
    const src = profile.sources[0]!;
    expect(src).toMatchObject({ format: 'k8s-audit', records: 15, issues: 0 });
    expect(src.envelopes).toEqual({ [ENVELOPE_OF[shape]!]: 15 });
    expect(src.envelopeSkipped).toEqual(SKIPS[shape]);
  });

  it('in any order, with workers, and split into byte ranges: the same bytes, the counts summed', async () => {
    const every = files(FIX).filter((f) => !f.includes('/native/') && !f.includes('/gke/'));
    const one = await profileOf(every, 1);
    const many = await profileOf([...every].reverse(), 3);
    expect(withoutSources(many.profile)).toBe(withoutSources(one.profile));
    const aks = join(FIX, 'aks/storage-PT1H.json');
    const split = await profileOf([aks], 3, 4096);
    expect(withoutSources(split.profile)).toBe(withoutSources(native));
    expect(split.profile.sources[0]).toMatchObject({
      records: 15,
      envelopes: { 'aks-diagnostics': 15 },
      envelopeSkipped: SKIPS['aks/storage-PT1H.json'],
    });
  });

  it('the input summary counts the events per envelope and the records skipped', () => {
    const r = cli([
      'profile',
      '--k8s-audit',
      join(FIX, 'eks'),
      join(FIX, 'aks/storage-PT1H.json'),
      '-o',
      join(tmp(), 'p'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /envelopes: aks-diagnostics 15, cloudwatch-logs 60, cloudwatch-subscription 30, logs-insights 30 \(records without an audit event, skipped: aks-diagnostics\/category:guard 1, aks-diagnostics\/category:kube-apiserver 1, cloudwatch-logs\/stream:authenticator 2, cloudwatch-subscription\/control-message 2\)/,
    );
  });
});

describe('bad records inside envelopes', () => {
  const event = (extra: Record<string, unknown> = {}) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: 'a1',
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:web' },
    objectRef: { resource: 'configmaps', namespace: 'shop', name: 'c' },
    requestURI: '/api/v1/namespaces/shop/configmaps/c',
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '2026-11-02T08:00:00Z',
    ...extra,
  });

  it('name the file, the line of the envelope record and the inner record', async () => {
    const dir = tmp();
    const cw = {
      events: [
        { message: JSON.stringify(event()) },
        { message: JSON.stringify(event({ verb: undefined })) },
        { message: JSON.stringify(event({ objectRef: { resource: 'widgets' }, requestURI: undefined })) },
      ],
    };
    writeFileSync(join(dir, 'cw.json'), JSON.stringify(cw, null, 2));
    const sub = (events: unknown[]) =>
      JSON.stringify({ messageType: 'DATA_MESSAGE', logGroup: 'g', logStream: 's', logEvents: events });
    const m = (e: unknown) => ({ id: '1', timestamp: 1, message: JSON.stringify(e) });
    writeFileSync(
      join(dir, 'fh'),
      sub([m(event())]) + sub([m(event()), m(event({ user: { username: 'system:serviceaccount:BAD:x' } }))]) + '\n',
    );
    const { issues, profile } = await profileOf([dir]);
    expect(issues.map((i) => [i.file.slice(dir.length + 1), i.line, i.code, i.message])).toEqual([
      ['cw.json', 1, 'k8s.not-an-event', 'events[1]: not an audit Event: verb or user.username missing'],
      [
        'cw.json',
        1,
        'k8s.undetermined-api-group',
        expect.stringMatching(/^events\[2\]: resource "widgets": objectRef/),
      ],
      ['fh', 1, 'k8s.bad-name', expect.stringMatching(/^value 2 of the line, logEvents\[1\]: user.username "sys/)],
    ]);
    expect(profile.sources.map((s) => s.records)).toEqual([1, 2]);
  });

  it('a message that is no JSON, or a record of an unknown shape, is one issue per input with a count', async () => {
    const dir = tmp();
    const cw = { events: [1, 2, 3].map((i) => ({ logStreamName: 'app', message: `plain text ${i}` })) };
    writeFileSync(join(dir, 'text.json'), JSON.stringify(cw));
    const trail = (i: number) => ({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventID: `e${i}` });
    writeFileSync(join(dir, 'trail.json'), [1, 2, 3, 4].map((i) => JSON.stringify(trail(i))).join('\n'));
    writeFileSync(join(dir, 'odd.jsonl'), '{"a":1,"b":{"c":2}}\n{"a":2,"b":{}}\n');
    writeFileSync(join(dir, 'pods.json.gz'), gzipSync(JSON.stringify({ kind: 'PodList', items: [] })));
    const { issues, issueCount } = await profileOf([dir]);
    expect(issueCount).toBe(4);
    expect(issues.map((i) => [i.file.slice(dir.length + 1), i.line, i.code, i.message])).toEqual([
      [
        'odd.jsonl',
        1,
        'k8s.unknown-format',
        'a JSON object with keys a, b: not an audit Event, nor an envelope of one this tool reads (CloudWatch Logs, ' +
          'Cloud Logging, Azure diagnostic records, Splunk or Elasticsearch exports) (and 1 more record like it in this input, all left out)',
      ],
      [
        'pods.json.gz',
        1,
        'k8s.wrong-kind',
        'a Kubernetes "PodList" object, not an audit Event (cluster objects go to --inventory)',
      ],
      [
        'text.json',
        1,
        'k8s.not-json-message',
        'cloudwatch-logs messages that are not JSON (another log?) (first at events[0]) (and 2 more records like it ' +
          'in this input, all left out)',
      ],
      [
        'trail.json',
        1,
        'k8s.foreign-format',
        'looks like a CloudTrail document or record: pass it with --cloudtrail (and 3 more records like it in this ' +
          'input, all left out)',
      ],
    ]);
  });

  it('a message cut short (an Event over CloudWatch Logs’ event size) is json.malformed naming its record', async () => {
    const dir = tmp();
    // CloudWatch Logs cuts a message at its event size limit: the Event's JSON ends mid-string.
    const big = JSON.stringify(event({ auditID: 'a2', requestObject: { data: 'x'.repeat(300_000) } }));
    const cw = {
      events: [
        { message: JSON.stringify(event()) },
        { message: big.slice(0, 262_118) },
        { message: '[INFO] plain text' },
        { message: ` ${JSON.stringify(event({ auditID: 'a3' }))}` },
      ],
    };
    writeFileSync(join(dir, 'cw.json'), JSON.stringify(cw, null, 2));
    const { issues, profile } = await profileOf([dir]);
    expect(issues.map((i) => [i.file.slice(dir.length + 1), i.line, i.code, i.message])).toEqual([
      [
        'cw.json',
        1,
        'json.malformed',
        expect.stringMatching(
          /^events\[1\], the message \(262,118 characters\) is not valid JSON: Unterminated string/,
        ),
      ],
      [
        'cw.json',
        1,
        'k8s.not-json-message',
        'cloudwatch-logs messages that are not JSON (another log?) (first at events[2])',
      ],
    ]);
    expect(profile.sources[0]!.records).toBe(2);
  });

  it('an Event Hubs Capture file (Avro) is a notice that says what to pass instead', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'capture.avro'), Buffer.concat([Buffer.from('Obj\x01'), Buffer.alloc(64, 2)]));
    const { profile } = await profileOf([dir]);
    expect(profile.sources[0]).toMatchObject({ format: 'skipped', notice: expect.stringMatching(/Avro.*Body/) });
  });

  it('an event without a time takes the envelope record’s', async () => {
    const dir = tmp();
    const e = event({ requestReceivedTimestamp: undefined });
    const rows = {
      results: [
        [
          { field: '@timestamp', value: '2026-11-03 09:10:11.250' },
          { field: '@message', value: JSON.stringify(e) },
        ],
      ],
      status: 'Complete',
    };
    writeFileSync(join(dir, 'q.json'), JSON.stringify(rows));
    const { profile } = await profileOf([dir]);
    expect(profile.window).toEqual({ start: '2026-11-03T09:10:11.250000Z', end: '2026-11-03T09:10:11.250000Z' });
  });
});
