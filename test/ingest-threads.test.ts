// Without --workers, a small input is read on the main thread: starting workers and merging their parts costs more
// than it saves there (src/ingest/plan.ts). The choice never changes the profile's bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { isSmall } from '../src/ingest/plan.js';
import { serializeProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { cli, ROOT, tmp } from './helpers/cli.js';

const MiB = 1024 * 1024;

describe('how many threads read the input', () => {
  it('counts a gzip file at 8 times its size against 256 MiB', () => {
    expect(isSmall([])).toBe(true);
    expect(isSmall([{ size: 256 * MiB - 1, gzip: false }])).toBe(true);
    expect(isSmall([{ size: 256 * MiB, gzip: false }])).toBe(false);
    expect(isSmall([{ size: 32 * MiB - 1, gzip: true }])).toBe(true);
    expect(isSmall([{ size: 32 * MiB, gzip: true }])).toBe(false);
    // Summed over every file and flag.
    const many = Array.from({ length: 9 }, () => ({ size: 30 * MiB, gzip: false }));
    expect(isSmall(many.slice(0, 8))).toBe(true);
    expect(isSmall(many)).toBe(false);
    expect(isSmall([...many.slice(0, 7), { size: 6 * MiB, gzip: true }])).toBe(false);
  });

  it('reads a small input of many files on one thread unless the count was asked for, to the same bytes', async () => {
    const read = (workers: number, fewerWorkersWhenSmall: boolean) =>
      ingest({
        k8sAudit: [join(ROOT, 'fixtures/demo/k8s-audit')],
        cloudtrail: [join(ROOT, 'fixtures/demo/cloudtrail')],
        scope: new Scope(defaultScope()),
        workers,
        cwd: ROOT,
        ...(fewerWorkersWhenSmall ? { fewerWorkersWhenSmall } : {}),
      });
    const small = await read(2, true);
    const asked = await read(2, false);
    const one = await read(1, false);
    expect(small.threads).toBe(1);
    expect(asked.threads).toBe(2);
    expect(one.threads).toBe(1);
    expect(small.sources.length).toBeGreaterThan(2);
    const text = serializeProfile(one.profile);
    expect(serializeProfile(small.profile)).toBe(text);
    expect(serializeProfile(asked.profile)).toBe(text);
  });

  it('finds "now" for a duration on the same threads, to the same window and bytes', () => {
    const dir = tmp('threads-');
    const run = (...workers: string[]) => {
      const out = join(dir, `p${workers.join('')}.json`);
      const args = ['profile', '--k8s-audit', 'fixtures/demo/k8s-audit', '--since', '2d', ...workers, '-o', out];
      expect(cli(args).code).toBe(0);
      return readFileSync(out, 'utf8');
    };
    const one = run();
    expect(run('--workers', '2')).toBe(one);
    // The window is the last two days of the newest record's, not the whole week's.
    const start = (JSON.parse(one.slice(0, one.indexOf('\n'))) as { window: { start: string } }).window.start;
    expect(start >= '2026-11-07').toBe(true);
  });
});
