import { randomBytes } from 'node:crypto';
import { link, lstat, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputConflictError } from './errors.js';
import { entryKind, readRegular } from './readRegular.js';

const readText = async (path: string) => (await readRegular(path))?.toString('utf8');

/** A lock held on an output directory: release it when the tree is swapped in (or the run failed). */
export interface OutputLock {
  path: string;
  /** The pid of a run that died holding the lock, which this one took over. */
  tookOverFrom?: number;
  release(): Promise<void>;
}

/**
 * The lock of `target`: `.<name>.a2p-lock` beside it (not in it: the tree is renamed during the swap), holding
 * `<pid> <nonce>`. It comes into being with its content: written to a temporary first and hard-linked into place
 * (the link fails if a lock is there), so no run ever reads another's lock empty and takes it for a dead run's. A
 * lock whose pid is gone (a run killed with SIGKILL) is taken over; one whose process lives stops this run with
 * exit 2. Advisory: it keeps audit2policy runs apart, nothing else.
 */
export async function lockOutput(target: string, out: string): Promise<OutputLock> {
  const path = join(dirname(target), `.${basename(target)}.a2p-lock`);
  const nonce = randomBytes(8).toString('hex');
  const mine = `${process.pid} ${nonce}\n`;
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await createWithContent(path, mine, target);
      held.add(nonce);
      return {
        path,
        tookOverFrom,
        release: async () => {
          held.delete(nonce);
          // Only our own lock: never one a later run took over.
          if (((await readText(path).catch(() => undefined)) ?? '') === mine) await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = await readText(path).catch(() => undefined);
    if (text === undefined) {
      const st = await lstat(path).catch(() => undefined);
      if (!st) continue; // released meanwhile
      throw new OutputConflictError(
        `cannot lock ${out}: ${path} is a ${entryKind(st)}, not a lock of audit2policy's; remove it`,
      );
    }
    const m = /^(\d+) ([0-9a-f]+)\n$/.exec(text);
    // Not a lock's content: a run of a release that wrote its lock in two steps may be between them. Taken over only
    // once it is old enough that no run is still writing it.
    if (!m && (await youngerThan(path, PARTIAL_LOCK_MS)))
      throw new OutputConflictError(
        `another audit2policy run is taking the lock of ${out} (${path}); wait for it to finish (if no run is writing, remove the lock)`,
      );
    const pid = Number(m?.[1]);
    // Our own pid: a lock of this process (a concurrent call) if we hold its nonce, else a dead run's whose pid we got.
    const live = pid === process.pid ? held.has(m?.[2] ?? '') : Number.isSafeInteger(pid) && pid > 0 && alive(pid);
    if (live) {
      throw new OutputConflictError(
        `another audit2policy run (pid ${pid}) is writing ${out}: its lock is ${path}; wait for it to finish (if no such run exists, remove the lock)`,
      );
    }
    // A dead run's lock: set it aside under a name of our own, and drop it only if it is still the dead one
    // (another run may have taken it over and locked again in between: then that lock is put back).
    const aside = `${path}-stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch {
      continue;
    }
    const moved = (await readText(aside).catch(() => undefined)) ?? '';
    if (moved !== text) {
      await link(aside, path).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      continue;
    }
    await unlink(aside).catch(() => undefined);
    tookOverFrom = Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  }
  throw new OutputConflictError(`cannot lock ${out}: ${path} keeps changing; is another audit2policy run writing it?`);
}

/**
 * `path` created holding `text`, or EEXIST when something is there: a temporary named as the writer's new trees are
 * (`.<name>.a2p-new-<pid>-<hex>`, so a run killed here leaves nothing the next one does not clear), linked into place.
 * Where the file system has no hard links, the lock is created with O_EXCL and written, as before.
 */
async function createWithContent(path: string, text: string, target: string): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.a2p-new-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
  try {
    await link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    await writeFile(path, text, { flag: 'wx', mode: 0o644 });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** How long a lock that holds no lock's content may be another run's, still being written. */
const PARTIAL_LOCK_MS = 10_000;

async function youngerThan(path: string, ms: number): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  return !!st && Date.now() - st.mtimeMs < ms;
}

/** Nonces of the locks this process holds. */
const held = new Set<string>();

/** Whether a process with this pid exists (another user's counts: EPERM). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
