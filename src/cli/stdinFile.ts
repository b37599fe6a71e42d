import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

/** What a run must remove when it ends, by the run's Io (`run` calls `removeSpooled`). */
const spooled = new WeakMap<Io, string[]>();

/**
 * A profile named on the command line: `-` is stdin (as for the log sources), written to a file of its own first,
 * because `generate` reads a profile twice and a pipe can be read once (`profile ... | generate all --profile -`).
 * The file is private to the run (a directory only its user may enter) and removed when the run ends.
 */
export async function profilePath(given: string, io: Io): Promise<string> {
  if (given !== '-') return resolve(io.cwd, given);
  const list = spooled.get(io) ?? [];
  if (list.length) throw new UsageError('stdin (-) can be read only once');
  const dir = mkdtempSync(join(tmpdir(), 'audit2policy-stdin-'));
  spooled.set(io, [...list, dir]);
  const file = join(dir, 'profile');
  await pipeline(io.stdin, createWriteStream(file, { mode: 0o600 }));
  return file;
}

/** What errors call a profile named on the command line: its path, or `-` for stdin. */
export const profileName = (given: string, io: Io): string => (given === '-' ? '-' : resolve(io.cwd, given));

/** Removes what the run wrote for stdin. */
export function removeSpooled(io: Io): void {
  for (const dir of spooled.get(io) ?? []) rmSync(dir, { recursive: true, force: true });
  spooled.delete(io);
}
