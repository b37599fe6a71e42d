// A task list that scales to a million files (issue 17): a CloudTrail tree of ~125k files (17 regions x 30 days)
// used to overflow the stack at `tasks.push(...)`. Listing walks directories with a bounded look-ahead and appends
// in loops; planning is one loop over the listing. Both keep name order, whatever the timing.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planTasks } from '../src/ingest/plan.js';
import { resolveInputs, type InputFile } from '../src/ingest/inputs.js';
import { tmp } from './helpers/cli.js';

/** The walk's documented order, computed the plain way: names sorted by code unit, a directory in its place. */
function reference(dir: string): string[] {
  const out: string[] = [];
  const names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) for (const x of reference(p)) out.push(x);
    else out.push(p);
  }
  return out;
}

describe('the task list', () => {
  it('lists a tree of 130,000 files (17 regions, daily folders) in name order, and plans one task per file', async () => {
    const root = tmp();
    const regions = 17;
    const perDay = 100;
    let n = 0;
    // AWSLogs/<account>/CloudTrail/<region>/2026/<day>/ as CloudTrail delivers them, empty files (a file's size
    // is not what is measured here).
    for (let r = 0; r < regions; r++)
      for (let d = 1; n < 130_000 && d <= 80; d++) {
        const dir = join(root, `region-${r}`, '2026', String(d).padStart(2, '0'));
        mkdirSync(dir, { recursive: true });
        for (let i = 0; i < perDay && n < 130_000; i++, n++)
          writeFileSync(join(dir, `111122223333_CloudTrail_r${r}_${d}_${i}.json.gz`), '');
      }
    expect(n).toBe(130_000);
    try {
      const t0 = Date.now();
      const { files, notices } = await resolveInputs([root], '/');
      const listed = Date.now() - t0;
      expect(notices).toEqual([]);
      expect(files.map((f) => f.path)).toEqual(reference(root));
      const t1 = Date.now();
      const tasks = planTasks(files, 4, 64 * 1024 * 1024, 'cloudtrail');
      expect(tasks).toHaveLength(130_000);
      expect(tasks[129_999]!.path).toBe(files[129_999]!.path);
      // Generous bounds for a shared machine: a stack overflow or a quadratic step fails them by far.
      expect(Date.now() - t1).toBeLessThan(5_000);
      expect(listed).toBeLessThan(150_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);

  it('plans a listing of 1,000,000 files, big plain ones split in byte ranges, in order and in seconds', () => {
    const files: InputFile[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const path = `AWSLogs/111122223333/CloudTrail/eu-west-1/${String(i).padStart(7, '0')}.json`;
      // Every 100,000th file is a 1 GiB plain JSON-lines file: split in one range per worker.
      const big = i % 100_000 === 0;
      files.push({ path, abs: `/${path}`, size: big ? 2 ** 30 : 1000, gzip: false, splittable: big });
    }
    const t0 = Date.now();
    const tasks = planTasks(files, 4, 64 * 1024 * 1024, 'cloudtrail');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(tasks).toHaveLength(1_000_000 - 10 + 10 * 4);
    expect(tasks.slice(0, 5).map((t) => [t.start, t.end])).toEqual([
      [0, 2 ** 28],
      [2 ** 28, 2 ** 29],
      [2 ** 29, 3 * 2 ** 28],
      [3 * 2 ** 28, 2 ** 30],
      [undefined, undefined],
    ]);
    let outOfOrder = 0;
    for (let i = 1; i < tasks.length; i++) if (tasks[i - 1]!.path > tasks[i]!.path) outOfOrder++;
    expect(outOfOrder).toBe(0);
  });
});
