// A network edge's evidence (src/model/network.ts): counts, first and last seen, and the earliest FLOW_SAMPLE_LIMIT
// distinct samples by (time, id), a record without a time last. Records come in any order (files read in any order,
// shards, clocks that disagree); the evidence must not depend on it, nor on how it is split and merged.
import { describe, expect, it } from 'vitest';
import {
  addFlow,
  FLOW_SAMPLE_LIMIT,
  mergeFlowEvidence,
  newFlowEvidence,
  type FlowEvidence,
} from '../src/model/network.js';
import { rng } from './helpers/cli.js';

type Rec = { starts: boolean; time: string; id: string };

/** The evidence of a set of records, taken whole (the rule written out). */
function reference(recs: Rec[]): FlowEvidence {
  const times = recs.map((r) => r.time).filter((t) => t !== '');
  const distinct = new Map(recs.map((r) => [`${r.time}\u0000${r.id}`, { id: r.id, time: r.time }]));
  const samples = [...distinct.values()]
    .sort((a, b) =>
      a.time !== b.time ? (a.time === '' ? 1 : b.time === '' ? -1 : a.time < b.time ? -1 : 1) : a.id < b.id ? -1 : 1,
    )
    .slice(0, FLOW_SAMPLE_LIMIT);
  return {
    connections: recs.filter((r) => r.starts).length,
    records: recs.length,
    firstSeen: times.length ? times.reduce((a, b) => (a < b ? a : b)) : '',
    lastSeen: times.length ? times.reduce((a, b) => (a > b ? a : b)) : '',
    samples,
  };
}

function evidenceOf(recs: Rec[]): FlowEvidence {
  const ev = newFlowEvidence();
  for (const r of recs) addFlow(ev, r.starts, r.time, r.id);
  return ev;
}

describe('flow evidence', () => {
  it('keeps the earliest samples whatever the order of the records (2,000 random sequences)', () => {
    const r = rng(20261207);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const times = ['', '2026-11-02T00:00:01Z', '2026-11-02T00:00:02Z', '2026-11-02T00:00:03Z', '2026-11-02T00:00:04Z'];
    for (let round = 0; round < 2000; round++) {
      const recs: Rec[] = Array.from({ length: 1 + Math.floor(r() * 9) }, () => ({
        starts: r() < 0.5,
        time: pick(times),
        id: pick(['10.0.0.1:1>10.0.0.2:80', '10.0.0.1:2>10.0.0.2:80', '10.0.0.3:1>10.0.0.2:80']),
      }));
      // Mostly in time order, as flow logs come, sometimes not.
      if (r() < 0.6) recs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      const want = reference(recs);
      expect(evidenceOf(recs), JSON.stringify(recs)).toEqual(want);
      // Split anywhere and merged: the same.
      const cut = Math.floor(r() * (recs.length + 1));
      expect(mergeFlowEvidence(evidenceOf(recs.slice(0, cut)), evidenceOf(recs.slice(cut)))).toEqual(want);
    }
  });

  it('a record after a full list enters it when it goes before the last kept sample', () => {
    const ev = evidenceOf([
      { starts: true, time: '2026-11-02T00:00:02Z', id: 'b' },
      { starts: true, time: '2026-11-02T00:00:03Z', id: 'c' },
      { starts: true, time: '2026-11-02T00:00:04Z', id: 'd' },
      { starts: false, time: '2026-11-02T00:00:05Z', id: 'e' },
      { starts: false, time: '2026-11-02T00:00:01Z', id: 'a' },
      { starts: false, time: '2026-11-02T00:00:03Z', id: 'a' },
    ]);
    expect(ev.samples.map((s) => s.id)).toEqual(['a', 'b', 'a']);
    expect([ev.records, ev.connections, ev.firstSeen, ev.lastSeen]).toEqual([
      6,
      3,
      '2026-11-02T00:00:01Z',
      '2026-11-02T00:00:05Z',
    ]);
  });
});
