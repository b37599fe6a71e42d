import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The CLI caps V8's old-generation growth once a heap is large, or when it starts a pool of workers
 * (src/util/heapGrowth.ts). The flag is process-wide, so each case runs in a child of its own, on the build in dist/
 * (`npm test` builds first), and prints what the module says it did.
 */
const root = resolve(import.meta.dirname, '..');
const url = (p: string) => JSON.stringify(pathToFileURL(resolve(root, p)).href);

const dir = mkdtempSync(join(tmpdir(), 'a2p-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let scripts = 0;

function child(script: string, args: string[] = []): string {
  // A file, not `-e`: worker threads inherit node's arguments, and `--input-type` is not one they take.
  const file = join(dir, `case-${scripts++}.mjs`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--expose-gc', file, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

/** Keep `mb` MB live, collect, and let the observer see the collection. */
const HOLD = `
  const held = [];
  async function hold(mb) {
    for (let i = 0; i < mb; i++) held.push(new Array(1 << 17).fill(i));
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }`;

describe('the heap growth cap', () => {
  it('is applied once the watched heap holds the threshold, and not before', () => {
    const out = child(`
      import { capGrowthWhenLarge, growthCapped } from ${url('dist/util/heapGrowth.js')};
      ${HOLD}
      const base = (await import('node:v8')).getHeapStatistics().used_heap_size;
      capGrowthWhenLarge(base + 32 * 1024 * 1024);
      await hold(4);
      const small = growthCapped();
      await hold(64);
      console.log(JSON.stringify([small, growthCapped(), held.length]));`);
    expect(JSON.parse(out)).toEqual([false, true, 68]);
  });

  it('is never applied for a caller that did not ask for it (a library user), even when a pool starts', () => {
    const out = child(`
      import { capGrowthNow, growthCapped } from ${url('dist/util/heapGrowth.js')};
      ${HOLD}
      await hold(96);
      capGrowthNow();
      console.log(JSON.stringify([growthCapped(), held.length]));`);
    expect(JSON.parse(out)).toEqual([false, 96]);
  });

  it("is left to node when it was given a growth of its own (the CLI's tuneHeap)", () => {
    const out = child(`
      import { tuneHeap } from ${url('dist/cli/heap.js')};
      import { capGrowthNow, growthCapped } from ${url('dist/util/heapGrowth.js')};
      ${HOLD}
      const tuned = tuneHeap(['--heap-growing-percent=20'], undefined);
      await hold(96);
      capGrowthNow();
      console.log(JSON.stringify([tuned, growthCapped()]));`);
    expect(JSON.parse(out)).toEqual([false, false]);
  });

  it('a small profile with one thread leaves V8 its default; a pool of workers caps at once', () => {
    const run = (workers: string) =>
      child(
        `
        import { tuneHeap } from ${url('dist/cli/heap.js')};
        import { growthCapped } from ${url('dist/util/heapGrowth.js')};
        import { run } from ${url('dist/cli/run.js')};
        import { PassThrough } from 'node:stream';
        import { mkdtempSync, rmSync } from 'node:fs';
        import { tmpdir } from 'node:os';
        import { dirname, join } from 'node:path';
        tuneHeap([], undefined);
        const sink = () => Object.assign(new PassThrough(), { isTTY: false });
        const io = { stdout: sink(), stderr: sink(), stdin: sink(), env: {}, stderrIsTTY: false, cwd: process.cwd() };
        const out = join(mkdtempSync(join(tmpdir(), 'a2p-heap-')), 'p.json');
        const code = await run(['profile', '--k8s-audit', 'fixtures/demo/k8s-audit', '--workers', process.argv[2],
          '-o', out, '-q'], io);
        rmSync(dirname(out), { recursive: true });
        console.log(JSON.stringify([code, growthCapped()]));`,
        [workers],
      );
    expect(JSON.parse(run('1'))).toEqual([0, false]);
    expect(JSON.parse(run('2'))).toEqual([0, true]);
  });
});
