// Code that may hang (a backtracking regex, a deep recursion) run in a child process that is killed at a deadline,
// so a regression fails the test instead of hanging the suite. The child imports the build (npm test builds first).
import { spawn, spawnSync } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

export interface Timed {
  /** The child's stdout parsed as JSON (runTimed), or undefined when it did not finish. */
  out: unknown;
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the child, startup included. */
  ms: number;
  timedOut: boolean;
}

function timed(args: string[], deadlineMs: number, cwd = ROOT): Timed {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, {
    cwd,
    timeout: deadlineMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Date.now() - t0;
  const timedOut = r.signal === 'SIGKILL';
  const stdout = r.stdout?.toString('utf8') ?? '';
  let out: unknown;
  try {
    out = timedOut || r.status !== 0 ? undefined : JSON.parse(stdout);
  } catch {
    out = undefined;
  }
  return { out, code: r.status ?? -1, stdout, stderr: r.stderr?.toString('utf8') ?? '', ms, timedOut };
}

/** Run an ES module body (it may import `./dist/...`; it prints JSON) in a fresh node, killed after `deadlineMs`. */
export function runTimed(body: string, deadlineMs: number): Timed {
  return timed(['--input-type=module', '-e', body], deadlineMs);
}

/** Run the built CLI, killed after `deadlineMs`. */
export function cliTimed(args: string[], deadlineMs: number, cwd = ROOT): Timed {
  return timed([BIN, ...args], deadlineMs, cwd);
}

/** cliTimed without blocking this process (a test's local server must keep answering). */
export function cliTimedAsync(
  args: string[],
  deadlineMs: number,
  env: Record<string, string>,
): Promise<Omit<Timed, 'out'>> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - t0,
        timedOut,
      });
    });
  });
}
