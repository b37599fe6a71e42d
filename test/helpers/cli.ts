import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../scripts/lib/prng.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const BIN = join(ROOT, 'bin/audit2policy.js');

/** The demo environment's sources, as `npm run demo` reads them, relative to the project. */
import { DEMO_SOURCES } from '../../scripts/lib/demo-sources.js';
export { DEMO_SOURCES };

/**
 * Whether ../shared/corpus is beside the project (CI has it; a bare clone does not: those tests skip, said once per
 * file).
 */
export const HAS_CORPUS = existsSync(CORPUS);
if (!HAS_CORPUS)
  console.warn(
    `NOTICE: ${CORPUS} not found: the tests on the shared corpus are SKIPPED (clone the project with ../shared beside it to run them)`,
  );

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would (npm test builds first). */
export function cli(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

const made: string[] = [];

/** A fresh directory under the system's temporary directory, removed after the test file (`removeTmp`). */
export function tmp(prefix = 'a2p-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * The demo environment profiled and every kind generated from it, as `npm run demo` does, into a fresh directory:
 * `profile` (the profile file), `policy` (the generated tree) and each command's result, to assert they ran.
 */
export function demoPolicies(): { profile: string; policy: string; made: CliResult[] } {
  const dir = tmp();
  const profile = join(dir, 'profile.json');
  const policy = join(dir, 'policy');
  const made = [
    cli(['profile', ...DEMO_SOURCES, '-o', profile, '-q']),
    cli(['generate', 'all', '--profile', profile, '-o', policy, '-q']),
  ];
  return { profile, policy, made };
}

/**
 * Remove every directory `tmp` made in this test file: test/helpers/cleanup.ts (vitest's setup file) calls it after
 * each file. A2P_KEEP_TMP=1 keeps them, to look at what a failing test wrote.
 */
export function removeTmp(): void {
  if (process.env.A2P_KEEP_TMP === '1') return;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Every file under dir with its content, keyed by relative path (sorted). */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** The project's seeded PRNG, for shuffles. */
export const rng = mulberry32;

export function shuffle<T>(xs: T[], r: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
