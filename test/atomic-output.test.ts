// `-o` is all or nothing: a run killed at any moment leaves the output as the previous tree, the complete
// new tree, or (killed between the two renames of the swap) absent; never a mix of both, never a partial
// file. The next run cleans up what a killed one left beside the output and finishes the job. Checked by
// killing the built CLI (a child process) at seeded random moments while it writes some 600 files.
// Repeat a run's kill moments with A2P_ATOMIC_SEED=<seed> (the seed is printed on failure).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { generateK8sAudit } from './helpers/k8s-audit-gen.js';
import { MANIFEST, writeTree } from '../src/emit/writeTree.js';

const SEED = Number(process.env.A2P_ATOMIC_SEED ?? 20261201);
/** SIGKILL iterations on the tree (one SIGINT iteration follows), and on the single file. */
const K = 10;
const K_FILE = 6;
/** Size of the generated log: one policy and one evidence file per service account. */
const INPUT = { seed: 20261109, namespaces: 24, serviceAccounts: 300 };
/** Files of the user's in DIR: not ours, so every run carries them over untouched. */
const FOREIGN: Record<string, string> = {
  'README.md': 'team notes: these policies are generated, review before applying\n',
  'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rbac\n',
};

type Tree = Record<string, string>;
type Signal = 'SIGKILL' | 'SIGINT';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time from spawn to exit. */
  ms: number;
  stderr: string;
  /** Whether the signal was sent (false: the run had already finished). */
  signalled: boolean;
}

const children = new Set<ChildProcess>();

/** Run the built CLI; with `kill`, send the signal that many milliseconds after the spawn. */
function launch(args: string[], kill?: { signal: Signal; afterMs: number }): Promise<Exit> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, '--quiet'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let signalled = false;
    const timer = kill
      ? setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) signalled = child.kill(kill.signal);
        }, kill.afterMs)
      : undefined;
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, ms: performance.now() - t0, stderr: stderr.trim(), signalled });
    });
  });
}

function sameTree(a: Tree, b: Tree): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && a[k] === b[k]);
}

interface Observed {
  state: 'absent' | 'old' | 'new' | 'mixed';
  detail: string;
}

/** What a killed run left at `dir`: absent, exactly OLD, exactly NEW, or a mix (described file by file). */
function observe(dir: string, OLD: Tree, NEW: Tree): Observed {
  if (!existsSync(dir)) return { state: 'absent', detail: '' };
  let tree: Tree;
  try {
    tree = readTree(dir);
  } catch (e) {
    return { state: 'mixed', detail: `unreadable: ${(e as Error).message}` };
  }
  if (sameTree(tree, OLD)) return { state: 'old', detail: '' };
  if (sameTree(tree, NEW)) return { state: 'new', detail: '' };
  let both = 0;
  let asOld = 0;
  let asNew = 0;
  const neither: string[] = [];
  for (const [p, text] of Object.entries(tree)) {
    if (OLD[p] === text && NEW[p] === text) both++;
    else if (OLD[p] === text) asOld++;
    else if (NEW[p] === text) asNew++;
    else neither.push(p);
  }
  const missOld = Object.keys(OLD).filter((p) => !(p in tree)).length;
  const missNew = Object.keys(NEW).filter((p) => !(p in tree)).length;
  const foreign = Object.keys(FOREIGN).filter((p) => tree[p] !== FOREIGN[p]);
  const detail =
    `${Object.keys(tree).length} files: ${both} same in OLD and NEW, ${asOld} as in OLD, ${asNew} as in NEW, ` +
    `${neither.length} in neither${neither.length ? ` (${neither.slice(0, 3).join(', ')})` : ''}; ` +
    `missing ${missOld} of OLD's ${Object.keys(OLD).length}, ${missNew} of NEW's ${Object.keys(NEW).length}` +
    (foreign.length ? `; foreign files lost or changed: ${foreign.join(', ')}` : '');
  return { state: 'mixed', detail };
}

/** Entries beside `target` that are temporaries of ours (`.<name>.a2p-new-…`, `.<name>.a2p-old-…`). */
function temporaries(target: string): string[] {
  const prefix = `.${basename(target)}.a2p-`;
  return readdirSync(dirname(target)).filter((n) => n.startsWith(prefix));
}

function putForeign(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(FOREIGN)) writeFileSync(join(dir, name), text);
}

/**
 * Kill moments over [0, ms], one in each of n slices, in seeded random order. The slices narrow towards the
 * end (ms·√(i/n)), where the writing is: the first lands while the logs are read, half land in the last 30%.
 */
function spread(n: number, ms: number, r: () => number): number[] {
  return shuffle(
    Array.from({ length: n }, (_, i) => Math.sqrt((i + r()) / n) * ms),
    r,
  );
}

const fmt = (ms: number): string => `${Math.round(ms)} ms`;
const exitText = (e: Exit): string =>
  `${e.signalled ? 'signalled' : 'had exited'}, ${e.signal ?? `code ${e.code}`}, ${fmt(e.ms)}` +
  (e.stderr && !e.signal ? `, stderr: ${e.stderr.split('\n')[0]}` : '');

describe(`atomic output (seed ${SEED}): a killed run leaves the old output, the new output or none`, () => {
  let base = '';
  let logA = '';
  let logB = '';

  beforeAll(() => {
    base = tmp('a2p-atomic-');
    logA = join(base, 'audit-a.log');
    logB = join(base, 'audit-b.log');
    writeFileSync(logA, generateK8sAudit({ ...INPUT, variant: 'A' }));
    writeFileSync(logB, generateK8sAudit({ ...INPUT, variant: 'B' }));
  });

  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('generate all -o DIR: the previous tree, the complete new tree, or absent; the rerun cleans up', async () => {
    const parent = join(base, 'repo');
    const dir = join(parent, 'policies');
    const refDir = join(base, 'reference-new');
    const gen = (log: string, out: string, kill?: { signal: Signal; afterMs: number }): Promise<Exit> =>
      launch(['generate', 'all', '--k8s-audit', log, '-o', out], kill);

    putForeign(dir);
    const first = await gen(logA, dir);
    expect(first.code, first.stderr).toBe(0);
    const OLD = readTree(dir);
    // The reference run starts from OLD too, so it takes as long as the runs that get killed.
    cpSync(dir, refDir, { recursive: true });
    const ref = await gen(logB, refDir);
    expect(ref.code, ref.stderr).toBe(0);
    const NEW = readTree(refDir);
    const took = ref.ms;

    // The two trees differ in their file sets and in content, and both hold the user's files.
    expect(Object.keys(OLD).length).toBeGreaterThan(500);
    for (const [name, text] of Object.entries(FOREIGN)) {
      expect(OLD[name]).toBe(text);
      expect(NEW[name]).toBe(text);
    }
    expect(Object.keys(OLD).filter((p) => !(p in NEW)).length).toBeGreaterThan(0);
    expect(Object.keys(NEW).filter((p) => !(p in OLD)).length).toBeGreaterThan(0);
    expect(Object.keys(OLD).filter((p) => p in NEW && OLD[p] !== NEW[p]).length).toBeGreaterThan(0);

    const r = rng(SEED);
    const plan: { signal: Signal; afterMs: number }[] = spread(K, took, r).map((afterMs) => ({
      signal: 'SIGKILL',
      afterMs,
    }));
    plan.push({ signal: 'SIGINT', afterMs: (0.5 + 0.4 * r()) * took });

    const log: string[] = [];
    const failures: string[] = [];
    for (const [i, kill] of plan.entries()) {
      if (i > 0) {
        // Back to OLD: a run on A to completion.
        const reset = await gen(logA, dir);
        const back = observe(dir, OLD, NEW);
        if (reset.code !== 0 || back.state !== 'old') {
          failures.push(`#${i} reset to OLD: ${exitText(reset)}; ${back.state} ${back.detail}`);
          rmSync(dir, { recursive: true, force: true });
          for (const t of temporaries(dir)) rmSync(join(parent, t), { recursive: true, force: true });
          putForeign(dir);
          const again = await gen(logA, dir);
          if (again.code !== 0 || !sameTree(readTree(dir), OLD)) {
            throw new Error(`cannot reset DIR to OLD (${exitText(again)})\n${log.join('\n')}`);
          }
        }
      }
      const killed = await gen(logB, dir, kill);
      const seen = observe(dir, OLD, NEW);
      const left = temporaries(dir);
      const line =
        `#${i} ${kill.signal} at ${fmt(kill.afterMs)} (${exitText(killed)}): ${seen.state}` +
        `${seen.detail ? ` [${seen.detail}]` : ''}; beside DIR: ${left.length ? left.join(', ') : 'nothing'}`;
      log.push(line);
      if (seen.state === 'mixed') failures.push(line);

      const rerun = await gen(logB, dir);
      const after = observe(dir, OLD, NEW);
      const stale = temporaries(dir);
      const res = `#${i} rerun (${exitText(rerun)}): ${after.state}${after.detail ? ` [${after.detail}]` : ''}`;
      log.push(`   ${res}; beside DIR: ${stale.length ? stale.join(', ') : 'nothing'}`);
      if (rerun.code !== 0 || after.state !== 'new') failures.push(res);
      if (stale.length) failures.push(`#${i} temporaries left beside DIR after the rerun: ${stale.join(', ')}`);
      if (seen.state === 'absent') {
        const lost = Object.keys(FOREIGN).filter((n) => !existsSync(join(dir, n)));
        if (lost.length) failures.push(`#${i} DIR was absent after the kill; the rerun lost ${lost.join(', ')}`);
      }
    }

    const report =
      `seed ${SEED} (A2P_ATOMIC_SEED=${SEED} repeats the kill moments); run on B took ${fmt(took)}; ` +
      `OLD ${Object.keys(OLD).length} files, NEW ${Object.keys(NEW).length} files\n${log.join('\n')}`;
    if (process.env.A2P_ATOMIC_VERBOSE) process.stderr.write(`${report}\n`);
    expect(failures, `${report}\nfailures:\n${failures.join('\n')}`).toEqual([]);
  }, 120_000);

  it('profile -o FILE: the old bytes, the new bytes, or no file; never a partial one', async () => {
    const parent = join(base, 'profiles');
    const file = join(parent, 'profile.json');
    const refFile = join(base, 'reference-profile.json');
    mkdirSync(parent, { recursive: true });
    const prof = (log: string, out: string, kill?: { signal: Signal; afterMs: number }): Promise<Exit> =>
      launch(['profile', '--k8s-audit', log, '-o', out], kill);

    const first = await prof(logA, file);
    expect(first.code, first.stderr).toBe(0);
    const OLD = readFileSync(file);
    const ref = await prof(logB, refFile);
    expect(ref.code, ref.stderr).toBe(0);
    const NEW = readFileSync(refFile);
    expect(OLD.equals(NEW)).toBe(false);
    const took = ref.ms;

    const r = rng(SEED ^ 0x5f3759df);
    const log: string[] = [];
    const failures: string[] = [];
    for (const [i, afterMs] of spread(K_FILE, took, r).entries()) {
      if (i > 0) {
        const reset = await prof(logA, file);
        if (reset.code !== 0 || !readFileSync(file).equals(OLD)) {
          throw new Error(`cannot reset FILE to OLD (${exitText(reset)})\n${log.join('\n')}`);
        }
      }
      const killed = await prof(logB, file, { signal: 'SIGKILL', afterMs });
      const bytes = existsSync(file) ? readFileSync(file) : undefined;
      const state = !bytes
        ? 'absent'
        : bytes.equals(OLD)
          ? 'old'
          : bytes.equals(NEW)
            ? 'new'
            : `partial (${bytes.length} of ${NEW.length} bytes)`;
      const beside = readdirSync(parent).filter((n) => n !== 'profile.json');
      const line =
        `#${i} SIGKILL at ${fmt(afterMs)} (${exitText(killed)}): ${state}; ` +
        `beside FILE: ${beside.length ? beside.join(', ') : 'nothing'}`;
      log.push(line);
      if (!['absent', 'old', 'new'].includes(state)) failures.push(line);

      const rerun = await prof(logB, file);
      const ok = rerun.code === 0 && existsSync(file) && readFileSync(file).equals(NEW);
      const stale = readdirSync(parent).filter((n) => n !== 'profile.json');
      const res = `   rerun (${exitText(rerun)}): ${ok ? 'new' : 'NOT the new bytes'}`;
      log.push(`${res}; beside FILE: ${stale.join(', ') || 'nothing'}`);
      if (!ok) failures.push(`#${i} rerun on B did not leave the new bytes (${exitText(rerun)})`);
      if (stale.length) failures.push(`#${i} temporaries left beside FILE after the rerun: ${stale.join(', ')}`);
    }

    const report =
      `seed ${SEED} (A2P_ATOMIC_SEED=${SEED} repeats the kill moments); profile of B took ${fmt(took)}, ` +
      `${NEW.length} bytes\n${log.join('\n')}`;
    if (process.env.A2P_ATOMIC_VERBOSE) process.stderr.write(`${report}\n`);
    expect(failures, `${report}\nfailures:\n${failures.join('\n')}`).toEqual([]);
  }, 60_000);

  it('killed between the two renames (DIR absent, the old tree aside): the next run puts it back, then swaps', async () => {
    // The window is too short to hit by chance: lay out what such a kill leaves, with the pid of a process
    // that has exited, and run the writer.
    const parent = tmp('a2p-swap-');
    const dir = join(parent, 'out');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const aside = join(parent, `.out.a2p-old-${dead}-0a1b2c3d4e5f`);
    mkdirSync(join(aside, 'rbac', 'shop'), { recursive: true });
    writeFileSync(join(aside, 'README.md'), FOREIGN['README.md']!);
    writeFileSync(
      join(aside, 'rbac', 'shop', 'old.yaml'),
      'metadata:\n  labels:\n    app.kubernetes.io/managed-by: audit2policy\n',
    );
    mkdirSync(join(parent, `.out.a2p-new-${dead}-0a1b2c3d4e5f`, 'rbac'), { recursive: true });
    await writeTree(dir, ['rbac', 'evidence/rbac'], new Map([['rbac/shop/new.yaml', 'new\n']]));
    expect(readdirSync(parent)).toEqual(['out']);
    const { [MANIFEST]: manifest, ...tree } = readTree(dir);
    expect(tree).toEqual({ 'README.md': FOREIGN['README.md'], 'rbac/shop/new.yaml': 'new\n' });
    expect(Object.keys(JSON.parse(manifest!).files)).toEqual(['rbac/shop/new.yaml']);
  });
});
