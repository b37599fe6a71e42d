import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { CUT_AFTER_BYTES } from '../src/ingest/lines.js';
import type { Profile } from '../src/model/profile.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * An EKS audit log streamed by a CloudWatch Logs subscription to Firehose, as Firehose writes it to S3 (CloudWatch Logs
 * user guide, "Subscription filters with Amazon Data Firehose"): subscription records back to back with no newline
 * between them, each gzip-compressed, the first often CloudWatch Logs' CONTROL_MESSAGE. Firehose buffers up to 128
 * MiB, so the one "line" an object holds is long. Every whole record is read; a broken one is its issue alone.
 */

const everyone = () =>
  new Scope({ ...defaultScope(), includeSystem: true, subjectKinds: ['ServiceAccount', 'User', 'Group'] });

async function read(path: string) {
  return ingest({ k8sAudit: [path], scope: everyone(), workers: 1, cwd: ROOT });
}

const withoutSources = (p: Profile) => serializeProfile({ ...p, sources: [] });

const NATIVE = join(ROOT, 'fixtures/envelopes/native/events.jsonl');
const EVENTS = readFileSync(NATIVE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const STREAM = 'kube-apiserver-audit-0123456789abcdef0123456789abcdef';

const CONTROL = JSON.stringify({
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
});
/** One subscription record of the events; `pad` (a copy of the events under other audit IDs) makes it larger. */
const record = (events: Record<string, unknown>[], first: number) =>
  JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/eks/shop/cluster',
    logStream: STREAM,
    subscriptionFilters: ['to-firehose'],
    logEvents: events.map((e, i) => ({
      id: String(first + i),
      timestamp: Date.parse(String(e['requestReceivedTimestamp'])),
      message: JSON.stringify(e),
    })),
  });

describe('a Firehose object of CloudWatch Logs subscription records', () => {
  it('with its last record cut short: the records before it are read, the cut one is an issue naming it', async () => {
    const dir = tmp();
    const records = EVENTS.map((e, i) => record([e], i));
    const path = join(dir, 'firehose-cut');
    writeFileSync(path, CONTROL + records.join('') + record(EVENTS.slice(0, 1), 99).slice(0, 300));
    const r = await read(path);
    expect(r.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [
        1,
        'json.malformed',
        expect.stringMatching(new RegExp(`^value ${records.length + 2} of the line: not valid JSON: `)),
      ],
    ]);
    expect(r.profile.sources[0]!.records).toBe(EVENTS.length);
    const native = await read(NATIVE);
    expect(withoutSources(r.profile)).toBe(withoutSources(native.profile));
  });

  it(`longer than ${CUT_AFTER_BYTES / 2 ** 20} MiB (cut into records as it streams), gzip members, a record cut in the middle`, async () => {
    const dir = tmp();
    // Each event many times under other audit IDs: the same profile, as many records as make the object long.
    const copies = (n: number) =>
      EVENTS.map((e) => ({ ...e, auditID: `${String(e['auditID']).slice(0, -6)}${String(n).padStart(6, '0')}` }));
    const members: Buffer[] = [gzipSync(CONTROL)];
    let bytes = 0;
    let n = 0;
    let whole = 0;
    for (; bytes < CUT_AFTER_BYTES + (1 << 20); n++) {
      const text = record(copies(n), n * EVENTS.length);
      // One record in the middle cut short; the next is glued to its bytes, so no record starts there: both go.
      const cut = n === 40;
      members.push(gzipSync(cut ? text.slice(0, 2000) : text));
      bytes += text.length;
      if (!cut && n !== 41) whole += EVENTS.length;
    }
    const path = join(dir, 'firehose-big');
    writeFileSync(path, Buffer.concat(members));
    const r = await read(path);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[1, 'json.malformed']]);
    expect(r.issues[0]!.message).toMatch(/^value 42 of the line: not valid JSON: /);
    // The cut record and the one glued to it are left out; every other is read.
    expect(r.profile.sources[0]!.records).toBe(whole);
    expect(r.profile.sources[0]!.envelopes).toEqual({ 'cloudwatch-subscription': whole });
    expect(n).toBeGreaterThan(44);
  });
});
