// The compact profile builder (issue 16, item 2): evidence in columns (EvidenceStore) must say exactly what the
// record-by-record rules say, and a profile streamed from the builder's state, or from workers a batch of principals
// at a time, must be the bytes of the profile built in memory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSample, countOf, maxTime, minTime, STAGES, type Evidence, type Stage } from '../src/model/evidence.js';
import { EvidenceStore } from '../src/model/evidenceStore.js';
import { principalsDieYoung, tuneHeap } from '../src/cli/heap.js';
import { ingest, ingestStream } from '../src/ingest/index.js';
import { serializeProfile } from '../src/profile/io.js';
import { profileLines } from '../src/profile/write.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, ROOT, rng, tmp } from './helpers/cli.js';

/** The rules of evidence.ts applied record by record, with times as strings: what the store must agree with. */
function reference(records: { stage: Stage; time: string; id: string }[]): Evidence {
  const stages: Partial<Record<Stage, number>> = {};
  let first = '';
  let last = '';
  const samples: Evidence['samples'] = [];
  for (const r of records) {
    stages[r.stage] = (stages[r.stage] ?? 0) + 1;
    first = minTime(first, r.time);
    last = maxTime(last, r.time);
    addSample(samples, { id: r.id, time: r.time });
  }
  const ordered: Partial<Record<Stage, number>> = {};
  for (const st of STAGES) if (stages[st]) ordered[st] = stages[st];
  return { count: countOf(ordered), firstSeen: first, lastSeen: last, stages: ordered, samples };
}

describe('EvidenceStore', () => {
  it('agrees with the record-by-record rules on 400 accumulators fed interleaved (times out of order, none, ties)', () => {
    const r = rng(16);
    const store = new EvidenceStore(16); // grows many times
    const fed = new Map<number, { stage: Stage; time: string; id: string }[]>();
    const ids: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      let i: number;
      if (ids.length < 400 && r() < 0.05) {
        i = store.create();
        ids.push(i);
        fed.set(i, []);
      } else if (ids.length) i = ids[Math.floor(r() * ids.length)]!;
      else continue;
      const stage = STAGES[Math.floor(r() * STAGES.length)]!;
      // Few distinct times and ids, so ties and repeats are common; '' for a record without a time or an id.
      const sec = Math.floor(r() * 40);
      const time =
        r() < 0.1
          ? ''
          : `2026-11-0${1 + (sec % 3)}T08:00:${String(sec).padStart(2, '0')}.${sec % 2 ? '000001' : '999999'}Z`;
      const id = r() < 0.05 ? '' : `id-${Math.floor(r() * 30)}`;
      store.add(i, stage, time, id);
      fed.get(i)!.push({ stage, time, id });
    }
    expect(ids.length).toBe(400);
    for (const i of ids) expect(store.toEvidence(i), `accumulator ${i}`).toEqual(reference(fed.get(i)!));
  });

  it('keeps the times of records from any four-digit year (years 0-99 are not 1900-1999)', () => {
    const store = new EvidenceStore();
    // Exact to the microsecond from 1685 to 2255; outside, to 16 µs (util/time.ts): whole and half seconds there.
    const times = [
      '0001-01-01T00:00:00.000000Z',
      '0050-06-15T12:30:45.500000Z',
      '0099-12-31T23:59:59.000000Z',
      '0999-02-28T01:02:03.000000Z',
      '9999-12-31T23:59:59.500000Z',
      '1700-03-01T00:00:00.500000Z',
      '2026-11-02T08:00:00.123456Z',
      '2255-06-01T00:00:00.654321Z',
    ];
    for (const t of times) {
      const i = store.create();
      store.add(i, 'ResponseComplete', t, 'x');
      expect(store.toEvidence(i)).toMatchObject({ firstSeen: t, lastSeen: t, samples: [{ id: 'x', time: t }] });
    }
  });

  it('an accumulator with only timeless records has no first or last time, and keeps its ids in order', () => {
    const store = new EvidenceStore();
    const i = store.create();
    for (const id of ['c', 'a', 'b', 'a', 'd']) store.add(i, 'ResponseStarted', '', id);
    expect(store.toEvidence(i)).toEqual({
      count: 5,
      firstSeen: '',
      lastSeen: '',
      stages: { ResponseStarted: 5 },
      samples: ['a', 'b', 'c'].map((id) => ({ id, time: '' })),
    });
  });
});

/** An audit event line: `who` reads or writes one named object in `ns`. */
function event(i: number, who: string, ns: string, name: string, verb: string): string {
  const t = new Date(Date.UTC(2026, 10, 2) + i * 7).toISOString().replace('Z', '000Z');
  const ev = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/configmaps/${name}`,
    verb,
    user: {
      username: `system:serviceaccount:${ns}:${who}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
    },
    objectRef: { resource: 'configmaps', namespace: ns, name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: i % 11 ? 200 : 403 },
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    annotations: { 'authorization.k8s.io/decision': i % 11 ? 'allow' : 'forbid' },
  };
  return JSON.stringify(ev) + '\n';
}

describe('a profile streamed from the builder and from workers', () => {
  const dir = tmp('a2p-compact-');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  // Two files that share principals: one service account with 24k accesses (more than a worker's batch of
  // principals), and 300 small ones, each seen in both files with overlapping and own accesses.
  const r = rng(7);
  const files = ['a', 'b'].map(() => [] as string[]);
  let n = 0;
  for (let k = 0; k < 24_000; k++) files[k % 2]!.push(event(n++, 'bulk', 'data', `obj-${k}`, 'get'));
  for (let s = 0; s < 300; s++)
    for (let k = 0; k < 12; k++) {
      const verb = ['get', 'update', 'delete'][Math.floor(r() * 3)]!;
      files[Math.floor(r() * 2)]!.push(event(n++, `sa-${s}`, `ns-${s % 17}`, `cm-${Math.floor(r() * 6)}`, verb));
    }
  files.forEach((lines, k) => writeFileSync(join(logs, `audit-${k}.log`), lines.join('')));

  it('writes the same bytes with 1 and 2 workers, and the same profile as the one built in memory', async () => {
    const out = (w: number) => join(dir, `w${w}.json`);
    for (const w of [1, 2]) {
      const res = cli(['profile', '--k8s-audit', logs, '--workers', String(w), '-q', '-o', out(w)], { cwd: ROOT });
      expect(res.code, res.stderr).toBe(0);
    }
    const one = readFileSync(out(1), 'utf8');
    expect(readFileSync(out(2), 'utf8')).toBe(one);
    expect(one.split('\n').filter((l) => l.startsWith('{"principal"')).length).toBe(301);
    const { profile } = await ingest({ k8sAudit: [logs], scope: new Scope(defaultScope()), workers: 2, cwd: ROOT });
    expect(profile.principals.find((p) => p.subject.name === 'bulk')!.k8s.length).toBe(24_000);
    // The in-memory profile, written by the same writer (its sources name the path as given).
    const mem = await ingest({ k8sAudit: [logs], scope: new Scope(defaultScope()), workers: 1, cwd: ROOT });
    expect(serializeProfile(mem.profile)).toBe(serializeProfile(profile));
  });

  it('ingestStream gives the principals in order, each once, and its counts before they are read', async () => {
    for (const workers of [1, 2]) {
      const s = await ingestStream({ k8sAudit: [logs], scope: new Scope(defaultScope()), workers, cwd: ROOT });
      try {
        expect(s.counts.principals).toBe(301);
        let text = '';
        for await (const piece of profileLines(s.parts)) text += piece;
        const names = text
          .split('\n')
          .filter((l) => l.startsWith('{"principal"'))
          .map((l) => (JSON.parse(l) as { principal: { subject: { name: string } } }).principal.subject.name);
        expect(new Set(names).size).toBe(301);
        const mem = await ingest({ k8sAudit: [logs], scope: new Scope(defaultScope()), workers: 1, cwd: ROOT });
        expect(text).toBe(serializeProfile(mem.profile));
      } finally {
        await s.close();
      }
    }
  });
});

describe("the CLI's heap setting", () => {
  it('sets the heap growth unless node was given one, in its arguments or NODE_OPTIONS', () => {
    expect(tuneHeap(['--heap-growing-percent=10'], undefined)).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --heap_growing_percent=5')).toBe(false);
    expect(tuneHeap(['--expose-gc'], '--max-old-space-size=4096')).toBe(true);
  });

  it('turns allocation-site pretenuring off for a profile read once, unless node was given the flag', () => {
    tuneHeap(['--allocation-site-pretenuring'], undefined);
    expect(principalsDieYoung()).toBe(false);
    tuneHeap([], '--max-old-space-size=512 --no_allocation_site_pretenuring');
    expect(principalsDieYoung()).toBe(false);
    tuneHeap(['--expose-gc'], undefined);
    expect(principalsDieYoung()).toBe(true);
  });
});
