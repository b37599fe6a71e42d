import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

/** A window whose --since is not before its --until holds nothing: a usage error naming both ends as resolved. */
const D = 'fixtures/demo/k8s-audit';

describe('profile: an impossible window', () => {
  it('since not before until (durations, times, or a mix) and --since 0d are refused: exit 2, nothing written', () => {
    const out = join(tmp(), 'p.json');
    const run = (...w: string[]) => cli(['profile', '--k8s-audit', D, ...w, '-q', '-o', out]);
    const rel = run('--since', '7d', '--until', '8d');
    expect(rel.code).toBe(2);
    // Counted back from the newest record, 2026-11-09T23:42:04.067662Z.
    expect(rel.stderr).toContain(
      '--since 7d (2026-11-02T23:42:04.067662Z) is not before --until 8d (2026-11-01T23:42:04.067662Z): the window holds nothing',
    );
    const abs = run('--since', '2026-11-08T00:00:00Z', '--until', '2026-11-05T00:00:00Z');
    expect(abs.code).toBe(2);
    expect(abs.stderr).toContain(
      '--since 2026-11-08T00:00:00.000000Z is not before --until 2026-11-05T00:00:00.000000Z',
    );
    expect(run('--since', '2026-11-08T00:00:00Z', '--until', '2026-11-08T00:00:00Z').code).toBe(2);
    const mix = run('--since', '2026-11-09T12:00:00Z', '--until', '1d');
    expect(mix.code).toBe(2);
    expect(mix.stderr).toContain('is not before --until 1d (2026-11-08T23:42:04.067662Z)');
    const zero = run('--since', '0d');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--since 0d: a window of no time');
    expect(existsSync(out)).toBe(false);
    // A real window still works.
    expect(run('--since', '3d', '--until', '1d').code).toBe(0);
  });
});
