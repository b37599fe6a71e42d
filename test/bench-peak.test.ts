// The benchmark's peak RSS is the measured run's own, not the driver's: on Linux getrusage's maxRSS survives exec,
// so a child spawned by a process holding a large heap reported that process's peak as its own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const linux = existsSync('/proc/self/status');
const HELD_MB = 200;

describe.skipIf(!linux)('bench child peak RSS', () => {
  it("is the child's own, whatever the process that spawned it holds", () => {
    const dir = mkdtempSync(join(tmpdir(), 'a2p-peak-'));
    try {
      const file = join(dir, 'audit.log');
      writeFileSync(file, '{"kind":"Event"}\n'.repeat(100));
      // Touched pages, so that they are resident in this process when the child is spawned.
      const held = Buffer.alloc(HELD_MB * 1024 * 1024, 7);
      expect(process.memoryUsage().rss / 1024 / 1024).toBeGreaterThan(HELD_MB);
      const out = execFileSync(process.execPath, [join('scripts', 'bench', 'child.js'), 'floor', file], {
        encoding: 'utf8',
      });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { maxRssKB: number; records: number };
      expect(r.records).toBe(100);
      // A bare node reading 100 lines: tens of MB, far below what this process holds.
      expect(r.maxRssKB / 1024).toBeGreaterThan(10);
      expect(r.maxRssKB / 1024).toBeLessThan(HELD_MB / 2);
      expect(held[held.length - 1]).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
