import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countDay, plausibleNewest, type DayCounts } from '../src/ingest/anchor.js';
import { cli, ROOT, tmp } from './helpers/cli.js';

/** "Now" for --since 1d is the newest plausible record: one wrong clock must not hide the real ones. */
describe('the anchor of relative windows', () => {
  const days = (times: string[]): DayCounts => {
    const d: DayCounts = {};
    for (const t of times) countDay(d, t);
    return d;
  };
  const bulk = Array.from(
    { length: 300 },
    (_, i) => `2026-11-0${1 + (i % 8)}T10:00:${String(i % 60).padStart(2, '0')}.000000Z`,
  );

  it('a record years ahead, or a handful a week ahead, stand apart from the bulk', () => {
    expect(plausibleNewest(days([...bulk, '9999-12-31T00:00:00.000000Z']))).toEqual({
      time: '2026-11-08T10:00:59.000000Z',
      outliers: 1,
      newestOutlier: '9999-12-31T00:00:00.000000Z',
    });
    const week = ['2026-11-15T01:00:00.000000Z', '2026-11-15T02:00:00.000000Z'];
    expect(plausibleNewest(days([...bulk, ...week])).outliers).toBe(2);
  });

  it('the next day, or many records, are the data: they decide', () => {
    expect(plausibleNewest(days([...bulk, '2026-11-09T03:00:00.000000Z'])).time).toBe('2026-11-09T03:00:00.000000Z');
    const many = Array.from({ length: 10 }, () => '2026-12-20T00:00:00.000000Z');
    expect(plausibleNewest(days([...bulk, ...many])).time).toBe('2026-12-20T00:00:00.000000Z');
    // A tolerance of 30 days takes the lone record a week ahead as the data.
    expect(plausibleNewest(days([...bulk, '2026-11-15T00:00:00.000000Z']), 30 * 86_400_000).outliers).toBe(0);
    expect(plausibleNewest({})).toEqual({ time: '', outliers: 0, newestOutlier: '' });
  });

  it('check --since 1d still finds the would-be denial when one record is dated 9999-12-31', () => {
    const base = tmp();
    const out = join(base, 'out');
    const demo = join(ROOT, 'fixtures/demo');
    expect(cli(['generate', 'rbac', '--k8s-audit', join(demo, 'k8s-audit'), '-o', out, '-q']).code).toBe(0);
    const drift = join(base, 'drift');
    mkdirSync(drift);
    const f = readdirSync(join(demo, 'drift'))[0]!;
    const raw = readFileSync(join(demo, 'drift', f));
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').trimEnd().split('\n');
    const skewed = {
      ...JSON.parse(text.at(-1)!),
      auditID: 'wrong-clock',
      requestReceivedTimestamp: '9999-12-31T00:00:00.000000Z',
      stageTimestamp: '9999-12-31T00:00:00.000000Z',
    };
    writeFileSync(join(drift, 'audit.log'), [...text, JSON.stringify(skewed)].join('\n') + '\n');
    const r = cli(['check', '--policies', out, '--k8s-audit', drift, '--since', '1d', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).wouldDeny).toHaveLength(1);
    expect(r.stderr).toMatch(/^notice: 1 record dated up to 9999-12-31T00:00:00\.000000Z stand apart from the rest/m);
    expect(r.stderr).toMatch(/^durations count back from 2026-11-10T/m);
  });
});
