import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

/** What a run must remove when it ends, by the run's Io (`run` calls `removeSpooled`): the removal of each spool. */
const spooled = new WeakMap<Io, (() => void)[]>();

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A profile named on the command line: `-` is stdin (as for the log sources), written to a file of its own first,
 * because `generate` reads a profile twice and a pipe can be read once (`profile ... | generate all --profile -`).
 * The file is private to the run (a directory only its user may enter) and removed when the run ends, also when the
 * process ends another way (a reader gone from stdout: `| head`) or is stopped by SIGINT, SIGTERM or SIGHUP: it is a
 * copy of the profile, whose names and ARNs are the account's. `file` is where to read it, `name` what errors call it
 * (its path, or `-`).
 */
export async function profileAt(given: string, io: Io): Promise<{ file: string; name: string }> {
  if (given !== '-') return { file: resolve(io.cwd, given), name: resolve(io.cwd, given) };
  const list = spooled.get(io) ?? [];
  if (list.length) throw new UsageError('stdin (-) can be read only once');
  const dir = mkdtempSync(join(tmpdir(), 'audit2policy-stdin-'));
  spooled.set(io, [...list, guard(dir)]);
  const file = join(dir, 'profile');
  await pipeline(io.stdin, createWriteStream(file, { mode: 0o600 }));
  return { file, name: '-' };
}

/**
 * Removes `dir` when the process exits or is signalled (the signal then raised again, so the process ends as it would
 * have); the function returned removes it now and stops watching.
 */
function guard(dir: string): () => void {
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    stop();
    process.kill(process.pid, signal);
  };
  const stop = () => {
    process.off('exit', remove);
    for (const s of SIGNALS) process.off(s, onSignal);
    remove();
  };
  process.once('exit', remove);
  for (const s of SIGNALS) process.once(s, onSignal);
  return stop;
}

/** Removes what the run wrote for stdin. */
export function removeSpooled(io: Io): void {
  for (const stop of spooled.get(io) ?? []) stop();
  spooled.delete(io);
}
