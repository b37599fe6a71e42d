// A log in two of merge's inputs (a day merged twice, or a merged week merged again with one of its days) would
// have its records counted twice in the evidence: merge says so, naming both inputs and the log, even with --quiet.
// Nothing is refused: the policy made from the result is the same (a merge is a union of what was seen).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const DAY = (d: string) => join(ROOT, `fixtures/demo/k8s-audit/kube-apiserver-audit-2026-11-0${d}.log.gz`);

describe('merge of inputs that hold the same log', () => {
  const dir = tmp();
  const p = (n: string) => join(dir, n);
  for (const d of ['2', '3']) expect(cli(['profile', '--k8s-audit', DAY(d), '-o', p(`d${d}.json`), '-q']).code).toBe(0);
  const week = cli(['merge', p('d2.json'), p('d3.json'), '-o', p('w.json')]);

  it('days apart: no warning', () => {
    expect(week.code, week.stderr).toBe(0);
    expect(week.stderr).not.toMatch(/warning/);
  });

  it('a merged profile merged again with one of its days: the log, both inputs, and what to do', async () => {
    const again = cli(['merge', p('w.json'), p('d3.json'), '-o', p('w2.json'), '-q']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      `warning: ${p('w.json')} and ${p('d3.json')} both hold ${DAY('3')} (55,934 bytes, 1,036 records): its records are counted twice\n` +
        'warning: merge each profile once: a merged profile already holds the profiles it was merged from\n',
    );
    // What it warns of: the evidence counts grow, the accesses do not.
    const [w, w2] = [await readProfileFile(p('w.json')), await readProfileFile(p('w2.json'))];
    const total = (x: typeof w) =>
      x.principals.reduce((n, q) => n + q.k8s.reduce((m, e) => m + (e.allowed?.count ?? 0), 0), 0);
    expect(total(w2)).toBeGreaterThan(total(w));
    expect(w2.principals.map((q) => q.k8s.length)).toEqual(w.principals.map((q) => q.k8s.length));
  });

  it('the same file twice: five logs named, the rest counted', () => {
    const all = cli(['profile', '--k8s-audit', join(ROOT, 'fixtures/demo/k8s-audit'), '-o', p('all.json'), '-q']);
    expect(all.code).toBe(0);
    const twice = cli(['merge', p('all.json'), p('all.json'), '-o', p('x.json'), '-q']);
    const lines = twice.stderr.trim().split('\n');
    expect(lines.slice(0, 5).every((l) => / both hold .* its records are counted twice$/.test(l))).toBe(true);
    expect(lines[5]).toBe('warning: 4 more logs are in two inputs');
  });

  it('shards of one log by filter: it may count a record twice, no word of a merged profile merged again', () => {
    const shop = ['--subject', 'system:serviceaccount:shop:*'];
    expect(cli(['profile', '--k8s-audit', DAY('3'), ...shop, '-o', p('shop.json'), '-q']).code).toBe(0);
    const rest = ['--exclude-subject', 'system:serviceaccount:shop:*'];
    expect(cli(['profile', '--k8s-audit', DAY('3'), ...rest, '-o', p('rest.json'), '-q']).code).toBe(0);
    const m = cli(['merge', p('shop.json'), p('rest.json'), '-o', p('m.json'), '-q']);
    expect(m.code, m.stderr).toBe(0);
    const lines = m.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `warning: ${p('shop.json')} and ${p('rest.json')} both hold ${DAY('3')} (55,934 bytes, 1,036 records), read with different filters: a record both keep is counted twice`,
    );
    expect(lines.slice(1).join('\n')).toMatch(/^warning: the profiles were made with different filters/);
    expect(m.stderr).not.toContain('merge each profile once');
  });
});
