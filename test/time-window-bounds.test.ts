import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { defaultScope, Scope, type ScopeOptions } from '../src/profile/scope.js';
import { parseTimeSpec, resolveTimeSpec } from '../src/util/time.js';
import { ROOT, tmp } from './helpers/cli.js';
import { runInProcess } from './helpers/inproc.js';

/**
 * The window (`--since`, `--until`) and the backtest's split at second and sub-second boundaries and across offsets:
 * every time is compared as the instant it names, in UTC (a record at 23:30 at -02:00 is the next day), both ends of
 * the window hold the record exactly at them, and a duration counts back from the newest record to the microsecond.
 */

function event(name: string, time: string) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${name}`,
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef: { resource: 'configmaps', namespace: 'shop', name, apiVersion: 'v1' },
    requestURI: `/api/v1/namespaces/shop/configmaps/${name}`,
    responseStatus: { code: 200 },
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    requestReceivedTimestamp: time,
  };
}

function log(events: [string, string][]): string {
  const path = join(tmp(), 'audit.log');
  writeFileSync(path, events.map(([n, t]) => JSON.stringify(event(n, t))).join('\n') + '\n');
  return path;
}

/** The configmaps read within the window. */
async function namesIn(path: string, window: Pick<ScopeOptions, 'since' | 'until'>): Promise<string[]> {
  const r = await ingest({
    k8sAudit: [path],
    scope: new Scope({ ...defaultScope(), ...window }),
    workers: 1,
    cwd: ROOT,
  });
  return (r.profile.principals[0]?.k8s ?? []).map((e) => e.name ?? '').sort();
}

describe('--since/--until across offsets and at their ends', () => {
  const path = () =>
    log([
      ['before', '2026-11-02T22:00:00Z'],
      ['last-of-day', '2026-11-02T23:59:59.999999Z'],
      ['at-midnight', '2026-11-03T00:00:00.000000+00:00'],
      ['offset', '2026-11-02T23:30:00-02:00'],
    ]);
  const abs = (t: string) => parseTimeSpec(t);

  it.each(['2026-11-03T00:00:00Z', '2026-11-03T01:00:00+01:00', '2026-11-02T22:00:00-02:00', '2026-11-03 00:00:00Z'])(
    '--since %s: the same instant, whatever its form; a record at it is in',
    async (since) => {
      expect(await namesIn(path(), { since: abs(since) })).toEqual(['at-midnight', 'offset']);
    },
  );

  it('--until: the record at it is in, a microsecond after is out', async () => {
    expect(await namesIn(path(), { until: abs('2026-11-02T23:59:59.999999Z') })).toEqual(['before', 'last-of-day']);
    expect(await namesIn(path(), { until: abs('2026-11-03T00:00:00Z') })).toEqual([
      'at-midnight',
      'before',
      'last-of-day',
    ]);
  });
});

describe('a duration counts back from the newest record to the microsecond', () => {
  // The newest record at .000999: one hour back is 09:00:00.000999 exactly.
  const path = () =>
    log([
      ['newest', '2026-11-03T10:00:00.000999Z'],
      ['exactly-1h', '2026-11-03T09:00:00.000999Z'],
      ['1h-and-499us', '2026-11-03T09:00:00.000500Z'],
    ]);

  it('--since 1h holds the record exactly an hour before the newest, not one 499µs earlier', async () => {
    expect(await namesIn(path(), { since: parseTimeSpec('1h') })).toEqual(['exactly-1h', 'newest']);
  });

  it('--until 1h holds the record exactly an hour before the newest', async () => {
    expect(await namesIn(path(), { until: parseTimeSpec('1h') })).toEqual(['1h-and-499us', 'exactly-1h']);
  });

  it('a fraction of a millisecond in the duration is kept: --since 0.0005s', async () => {
    const p = log([
      ['newest', '2026-11-03T10:00:00.001000Z'],
      ['500us-before', '2026-11-03T10:00:00.000500Z'],
      ['501us-before', '2026-11-03T10:00:00.000499Z'],
    ]);
    expect(await namesIn(p, { since: parseTimeSpec('0.0005s') })).toEqual(['500us-before', 'newest']);
  });
  it('a duration longer than the calendar stops at 0000-01-01, a time the window can compare', () => {
    expect(resolveTimeSpec(parseTimeSpec('9999999w'), '2026-11-03T10:00:00.000999Z')).toBe(
      '0000-01-01T00:00:00.000000Z',
    );
  });
});

describe('backtest --split across offsets and at the split', () => {
  const soak = () =>
    log([
      ['trained', '2026-11-02T22:00:00Z'],
      ['last-of-day', '2026-11-02T23:59:59.999999Z'],
      ['trained', '2026-11-02T23:30:00-02:00'],
      ['at-split', '2026-11-03T00:00:00.000000+00:00'],
    ]);

  it.each(['2026-11-03T00:00:00Z', '2026-11-03T01:00:00+01:00'])('--split %s', async (split) => {
    const r = await runInProcess(['backtest', '--k8s-audit', soak(), '--split', split, '--format', 'json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.train).toEqual({ from: '2026-11-02T22:00:00.000000Z', until: '2026-11-03T00:00:00.000000Z' });
    // The record at 23:30 at -02:00 is 01:30 UTC the next day: held out, and the newest.
    expect(j.test).toEqual({ from: '2026-11-03T00:00:00.000000Z', until: '2026-11-03T01:30:00.000000Z' });
    // Held out: the read at the split (new: denied) and the offset one (trained on the day before: allowed).
    expect(j.observed).toBe(2);
    expect(j.wouldDeny.map((f: { access: { name: string } }) => f.access.name)).toEqual(['at-split']);
  });
});
