import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lstat, mkdir, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { unsafePathProblem } from '../util/paths.js';
import { fsProblem } from '../util/fsError.js';
import { OutputConflictError } from './errors.js';
import { alive, lockOutput } from './lock.js';
import { MANIFEST, renderManifest, sha256 } from './manifest.js';
import { entryKind } from './readRegular.js';
import { carryFile, carryOver, survey, under } from './survey.js';

export { OutputConflictError } from './errors.js';
export { MANIFEST } from './manifest.js';

/** What a tree write did beside writing the files it was given. */
export interface TreeReport {
  /** Files of audit2policy's under the roots that this run did not write again: removed. */
  removed: string[];
  /** Files under the roots that are not audit2policy's (not in its manifest, or changed since): left as they are. */
  leftAlone: string[];
  /** Of `leftAlone`, those the manifest lists whose bytes changed since audit2policy wrote them. */
  changed: string[];
  /** The derived file (the kustomization) when one of someone else's is there: not written, left alone. */
  derivedSkipped?: string;
  /** The tree had no manifest: how many of its files were taken as audit2policy's by their markers. */
  adopted?: number;
  /** The pid of a dead run whose lock this one took over. */
  lockTakenOver?: number;
}

export interface TreeOptions {
  /** Every root audit2policy may own in the directory (all kinds'): a tree without a manifest is adopted over these. */
  universe?: string[];
  /** A file made from every path audit2policy owns in the new tree (the kustomization.yaml listing). */
  derived?: { path: string; make(owned: string[]): string | undefined };
}

/**
 * The files of a tree write: relative path → content, or a function that hands them to `put` one at a time as they
 * are made (then none is held: a generated policy larger than memory is written as it is made).
 */
export type TreeFiles =
  Map<string, string> | ((put: (path: string, content: string) => Promise<void>) => Promise<void>);

/**
 * Replace what audit2policy owns under the subtrees `roots` of `dir` with `files`, all at once, and keep the record of
 * what it owns (`DIR/.audit2policy-manifest.json`).
 *
 * Runs on one directory are kept apart by a lock beside it (a second one stops with exit 2). The new tree is
 * built in a fresh directory beside `dir` (`.<name>.a2p-new-<pid>-<random>`): what `dir` holds that is not
 * audit2policy's is carried over (hard links; symbolic links as links, never followed), then every file is
 * created there with O_EXCL as it comes. Only when all of it is written is `dir` renamed aside and the new tree
 * renamed into its place, so an error (of the writer or of whatever makes the files), SIGINT or SIGKILL leaves the
 * previous tree or the new one, or, killed between the two renames, no `dir` and the previous tree beside it, which
 * the next run puts back before it starts. A file that is not audit2policy's is never replaced nor removed: where
 * this run must write it, nothing is written (exit 2); elsewhere it stays and is reported. Links and special files
 * under the roots stop the run before anything is written.
 */
export async function writeTree(
  dir: string,
  roots: string[],
  files: TreeFiles,
  options: TreeOptions = {},
): Promise<TreeReport> {
  let report: TreeReport | undefined;
  await explained(dir, async () => {
    report = await replaceTree(dir, roots, files, options);
  });
  return report!;
}

async function replaceTree(dir: string, roots: string[], given: TreeFiles, options: TreeOptions): Promise<TreeReport> {
  const derived = options.derived;
  const scope = derived ? [...roots, derived.path] : roots;
  const checkPath = (rel: string) => {
    const problem = rel === MANIFEST ? 'is the manifest' : unsafePathProblem(rel);
    if (problem) throw new Error(`refusing to write ${JSON.stringify(rel)}: the path ${problem}`);
    if (!under(rel, scope)) throw new Error(`refusing to write ${JSON.stringify(rel)}: outside ${roots.join(', ')}`);
  };
  const produce =
    typeof given === 'function'
      ? given
      : async (put: (path: string, content: string) => Promise<void>) => {
          for (const rel of given.keys()) checkPath(rel); // every path before anything is written
          for (const [rel, content] of [...given].sort((a, b) => (a[0] < b[0] ? -1 : 1))) await put(rel, content);
        };
  const universe = [...new Set([...scope, ...(options.universe ?? [])])];
  const target = await outputDir(dir);
  await mkdir(dirname(target), { recursive: true });
  const lock = await lockOutput(target, dir);
  try {
    await recoverStale(target);
    const old = await lstat(target).catch(() => undefined);
    if (old && !old.isDirectory())
      throw new OutputConflictError(`${dir} exists and is a ${entryKind(old)}, not a directory`);
    const seen = old
      ? await survey(target, dir, scope, universe)
      : {
          hadManifest: false,
          owned: new Map<string, string>(),
          foreign: [],
          changed: new Set<string>(),
          undecided: new Map<string, string>(),
        };
    // The manifest of the new tree: this run's files, and audit2policy's files outside its roots as they were.
    const owned = new Map([...seen.owned].filter(([p]) => !under(p, scope)));
    const written = new Set<string>();
    const undecided = new Map(seen.undecided);
    let adoptedNow = 0;
    const conflicts = blockers(dir, [...seen.foreign, ...undecided.keys()], seen.changed);
    const inScope = [...seen.owned.keys()].filter((p) => under(p, scope));
    const fresh = tempName(target, 'new');
    await mkdir(fresh);
    let derivedSkipped: string | undefined;
    let foreign = seen.foreign;
    try {
      if (old) await carryOver(target, fresh, scope, new Set([...inScope, ...undecided.keys()]));
      const made = new Set<string>();
      const write = async (rel: string, content: string) => {
        const path = join(fresh, ...rel.split('/'));
        const parent = dirname(path);
        if (!made.has(parent)) {
          await mkdir(parent, { recursive: true });
          made.add(parent);
        }
        // Encoded once, for the file and its hash.
        const bytes = Buffer.from(content);
        await writeFile(path, bytes, { flag: 'wx' });
        owned.set(rel, sha256(bytes));
        written.add(rel);
      };
      await produce(async (rel, content) => {
        checkPath(rel);
        if (derived && rel === derived.path)
          throw new Error(`refusing to write ${JSON.stringify(rel)}: it is made from the tree`);
        if (written.has(rel)) throw new Error(`internal error: ${rel} written twice`);
        // A file of a tree without a manifest, with no marker: audit2policy's if it is what this run writes there.
        const before = undecided.get(rel);
        if (before !== undefined && before === sha256(content)) {
          undecided.delete(rel);
          adoptedNow++;
        } else conflicts(rel);
        await write(rel, content);
      });
      // What stays undecided is someone else's: carried over as it is, and left alone.
      for (const rel of undecided.keys()) await carryFile(target, fresh, rel);
      foreign = [...seen.foreign, ...undecided.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (derived) {
        const p = derived.path;
        if (foreign.some((f) => f === p || f.startsWith(p + '/'))) derivedSkipped = p;
        else {
          const text = derived.make([...owned.keys()]);
          if (text !== undefined) await write(p, text);
        }
      }
      await writeFile(join(fresh, MANIFEST), renderManifest(owned), { flag: 'wx' });
      await swapIn(fresh, target, !!old);
    } catch (e) {
      await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return {
      removed: inScope.filter((p) => !written.has(p)).sort(order),
      leftAlone: foreign,
      changed: [...seen.changed].sort(order),
      ...(derivedSkipped ? { derivedSkipped } : {}),
      ...(old && !seen.hadManifest ? { adopted: seen.owned.size + adoptedNow } : {}),
      ...(lock.tookOverFrom !== undefined ? { lockTakenOver: lock.tookOverFrom } : {}),
    };
  } finally {
    await lock.release();
  }
}

/**
 * A check for each path the run writes: someone's file there (the path itself, or a file where its directory goes)
 * stops the run (exit 2), before the swap.
 */
function blockers(dir: string, foreign: string[], changed: Set<string>): (path: string) => void {
  const theirs = new Set(foreign);
  const dirs = new Map<string, string>();
  for (const f of foreign) for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) dirs.set(f.slice(0, i), f);
  return (p) => {
    if (theirs.size === 0) return;
    const parts = p.split('/');
    const hit =
      (theirs.has(p) && p) ||
      dirs.get(p) ||
      parts.map((_, i) => parts.slice(0, i + 1).join('/')).find((q) => q !== p && theirs.has(q));
    if (!hit) return;
    const why = changed.has(hit)
      ? 'was changed since audit2policy wrote it (its bytes are not those its manifest records)'
      : 'was not written by audit2policy (its manifest does not list it)';
    throw new OutputConflictError(
      `${hit} in ${dir} ${why}, and this run writes ${hit === p ? 'that path' : p}; move it or choose another -o directory`,
    );
  };
}

/**
 * Write one file so that it is either the old content or the new, never a part: a temporary created
 * with O_EXCL beside it (a planted link there is never followed), then renamed over it.
 */
export async function writeFileAtomic(
  path: string,
  content: string | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  return explained(path, () => replaceFile(path, content));
}

/** A write's own words for some codes (the others as for reads: util/fsError.ts). */
const WRITE_PROBLEMS = {
  EACCES:
    'permission denied (the output is written beside it and renamed into place: its parent directory must be writable too)',
  EEXIST: 'a part of the path is a file, not a directory',
};

/**
 * File-system errors as one line naming the output (exit 2, never "an internal error"): a read-only
 * or full disk, a parent that cannot be written (the output is replaced by a rename beside it).
 */
async function explained(out: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof OutputConflictError || !code) throw e;
    throw new OutputConflictError(`cannot write ${out}: ${fsProblem(e, WRITE_PROBLEMS)}`);
  }
}

async function replaceFile(path: string, content: string | AsyncIterable<string | Uint8Array>): Promise<void> {
  const target = resolve(path);
  await recoverStale(target);
  await mkdir(dirname(target), { recursive: true });
  await checkFileTarget(target, path);
  const tmp = tempName(target, 'new');
  try {
    if (typeof content === 'string') await writeFile(tmp, content, { flag: 'wx' });
    else await pipeline(Readable.from(content), createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * What `-o FILE` names may be replaced only if it is a regular file (or nothing yet): a directory, a symbolic link,
 * a FIFO, a socket or a device is refused (renamed over, `/dev/null` would become a file).
 */
async function checkFileTarget(target: string, out: string): Promise<void> {
  const st = await lstat(target).catch(() => undefined);
  if (!st || st.isFile()) return;
  if (st.isDirectory()) throw new OutputConflictError(`${out} is a directory; give a file name`);
  throw new OutputConflictError(
    `-o ${out} is a ${entryKind(st)}: audit2policy replaces the file it names with a new one, so give a regular file or a new name`,
  );
}

/** The directory to replace: `-o` resolved; a symbolic link there is refused (the swap would follow it). */
async function outputDir(dir: string): Promise<string> {
  const target = resolve(dir);
  const st = await lstat(target).catch(() => undefined);
  if (st?.isSymbolicLink())
    throw new OutputConflictError(
      `-o ${dir} is a symbolic link (to ${await realpath(target).catch(() => 'nowhere')}): audit2policy replaces the output directory as a whole, so give the directory itself`,
    );
  const cwd = resolve('.');
  if (cwd === target || cwd.startsWith(target.endsWith(sep) ? target : target + sep)) {
    throw new OutputConflictError(
      `-o ${dir} is the working directory or holds it: audit2policy replaces the output directory as a whole, so give it a directory of its own (e.g. -o policy)`,
    );
  }
  if (await lstat(join(target, '.git')).catch(() => undefined)) {
    throw new OutputConflictError(
      `-o ${dir} holds a git repository (.git): audit2policy replaces the output directory as a whole, so write into a directory inside it`,
    );
  }
  return target;
}

const PREFIX = (target: string) => `.${basename(target)}.a2p-`;

function tempName(target: string, what: 'new' | 'old'): string {
  return join(dirname(target), `${PREFIX(target)}${what}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Temporaries of runs that died: a new tree never swapped in is removed; a previous tree set aside
 * just before a kill is put back when the output is missing, and removed otherwise.
 */
async function recoverStale(target: string): Promise<void> {
  const parent = dirname(target);
  const prefix = PREFIX(target);
  const names = await readdir(parent).catch(() => [] as string[]);
  const stale = names
    .filter((n) => n.startsWith(prefix))
    .map((n) => ({ name: n, m: /^(new|old)-(\d+)-[0-9a-f]+$/.exec(n.slice(prefix.length)) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => !!x.m && !alive(Number(x.m[2])))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const { name, m } of stale) {
    const path = join(parent, name);
    if (m[1] === 'old' && !(await lstat(target).catch(() => undefined))) await rename(path, target);
    else await rm(path, { recursive: true, force: true });
  }
}

/** Rename the old tree aside, the new one into place, then drop the old one. */
async function swapIn(fresh: string, target: string, hadOld: boolean): Promise<void> {
  if (!hadOld) {
    await rename(fresh, target);
    return;
  }
  const aside = tempName(target, 'old');
  await rename(target, aside);
  try {
    await rename(fresh, target);
  } catch (e) {
    await rename(aside, target).catch(() => undefined);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}
