import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { unsafePathProblem } from '../util/paths.js';
import { pushAll } from '../util/array.js';

/** What marks a file as written by audit2policy, so a rerun may replace it. */
const MARKERS = [
  'app.kubernetes.io/managed-by: audit2policy',
  'apiVersion: audit2policy.dev/',
  '"apiVersion": "audit2policy.dev/',
];

/** Raised when the output directory holds files audit2policy did not write, or cannot be one. */
export class OutputConflictError extends Error {}

/**
 * Replace the subtrees `roots` of `dir` with `files` (relative path → content), all at once.
 *
 * The new tree is built in a fresh directory beside `dir` (`.<name>.a2p-new-<pid>-<random>`): what
 * `dir` holds outside `roots` is carried over (hard links; symbolic links as links, never followed),
 * then every file is created there with O_EXCL. Only when all of it is written is `dir` renamed aside
 * and the new tree renamed into its place, so an error, SIGINT or SIGKILL leaves the previous tree or
 * the new one, or, killed between the two renames, no `dir` and the previous tree beside it, which the
 * next run puts back before it starts. Files under `roots` that audit2policy did not write stop the run
 * before anything is created.
 */
export async function writeTree(dir: string, roots: string[], files: Map<string, string>): Promise<void> {
  return explained(dir, () => replaceTree(dir, roots, files));
}

async function replaceTree(dir: string, roots: string[], files: Map<string, string>): Promise<void> {
  for (const rel of files.keys()) {
    const problem = unsafePathProblem(rel);
    if (problem) throw new Error(`refusing to write ${JSON.stringify(rel)}: the path ${problem}`);
    if (!roots.some((r) => rel === r || rel.startsWith(r + '/')))
      throw new Error(`refusing to write ${JSON.stringify(rel)}: outside ${roots.join(', ')}`);
  }
  const target = await outputDir(dir);
  await recoverStale(target);
  const old = await lstat(target).catch(() => undefined);
  if (old && !old.isDirectory()) throw new OutputConflictError(`${dir} exists and is not a directory`);
  if (old) await checkOwned(target, roots);
  await mkdir(dirname(target), { recursive: true });
  const fresh = tempName(target, 'new');
  await mkdir(fresh);
  try {
    if (old)
      await carryOver(
        target,
        fresh,
        roots.map((r) => r.split('/').join(sep)),
      );
    for (const [rel, content] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const path = join(fresh, ...rel.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { flag: 'wx' });
    }
    await swapIn(fresh, target, !!old);
  } catch (e) {
    await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Write one file so that it is either the old content or the new, never a part: a temporary created
 * with O_EXCL beside it (a planted link there is never followed), then renamed over it. The content is
 * a string, or pieces written as they come (a streamed profile: never one string of the whole).
 */
export async function writeFileAtomic(
  path: string,
  content: string | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  return explained(path, () => replaceFile(path, content));
}

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
    const why: Record<string, string> = {
      EACCES:
        'permission denied (the output is written beside it and renamed into place: its parent directory must be writable too)',
      EPERM: 'not permitted',
      EROFS: 'the file system is read-only',
      ENOSPC: 'no space left on the device',
      ENOTDIR: 'a part of the path is a file, not a directory',
      EEXIST: 'a part of the path is a file, not a directory',
      EISDIR: 'it is a directory',
      ENAMETOOLONG: 'the path is too long',
    };
    throw new OutputConflictError(`cannot write ${out}: ${why[code] ?? (e as Error).message}`);
  }
}

async function replaceFile(path: string, content: string | AsyncIterable<string | Uint8Array>): Promise<void> {
  const target = resolve(path);
  await recoverStale(target);
  await mkdir(dirname(target), { recursive: true });
  const st = await lstat(target).catch(() => undefined);
  if (st?.isDirectory()) throw new OutputConflictError(`${path} is a directory; give a file name`);
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

/** The directory to replace: `-o` resolved, through a symbolic link the user made to point elsewhere. */
async function outputDir(dir: string): Promise<string> {
  let target = resolve(dir);
  const st = await lstat(target).catch(() => undefined);
  if (st?.isSymbolicLink()) target = await realpath(target);
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

function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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

/** Copy what the output directory holds outside `roots` into the new tree: hard links, links as links. */
async function carryOver(from: string, to: string, roots: string[], rel = ''): Promise<void> {
  for (const e of await readdir(join(from, rel), { withFileTypes: true })) {
    const r = rel ? join(rel, e.name) : e.name;
    if (roots.includes(r)) continue;
    const src = join(from, r);
    const dst = join(to, r);
    if (e.isDirectory()) {
      await mkdir(dst);
      await carryOver(from, to, roots, r);
    } else if (e.isSymbolicLink()) await symlink(await readlink(src), dst);
    else if (e.isFile()) await link(src, dst).catch(() => copyFile(src, dst, constants.COPYFILE_EXCL));
  }
}

/** Every file under the roots must be one audit2policy wrote; links and other entries are not. */
async function checkOwned(dir: string, roots: string[]): Promise<void> {
  for (const root of roots) {
    const top = join(dir, ...root.split('/'));
    const st = await lstat(top).catch(() => undefined);
    if (!st) continue;
    // A root may be one file (the kustomization.yaml beside the kind directories).
    if (st.isFile()) {
      const text = await readFile(top, 'utf8').catch(() => '');
      if (!MARKERS.some((m) => text.includes(m))) throw conflict(dir, top);
      continue;
    }
    if (!st.isDirectory()) throw conflict(dir, top);
    for (const f of await listEntries(top)) {
      if (!f.file) throw conflict(dir, f.path);
      const text = await readFile(f.path, 'utf8').catch(() => '');
      if (!MARKERS.some((m) => text.includes(m)) && !(await ownedPolicy(dir, f.path))) throw conflict(dir, f.path);
    }
  }
}

function conflict(dir: string, path: string): OutputConflictError {
  return new OutputConflictError(
    `${relative(dir, path).split(sep).join('/')} in ${dir} was not written by audit2policy; move it or choose another -o directory`,
  );
}

/**
 * IAM policy files carry no marker (AWS would reject unknown keys; the index beside them, `iam/<account>/index.json`,
 * carries its own): one is ours when the evidence file written for it in evidence/ carries the marker.
 * `iam/<account>/role/<name>.json` and its split parts `<name>.2.json`... → `evidence/iam/<account>/role/<name>.json`
 * (a user's under `user/`; an earlier version's `iam/<account>/<name>.json` → `evidence/iam/<account>/<name>.json`).
 */
async function ownedPolicy(dir: string, file: string): Promise<boolean> {
  const rel = relative(dir, file).split(sep).join('/');
  const m = /^iam\/(.+?)(\.\d+)?\.json$/.exec(rel);
  if (!m) return false;
  const evidence = await readFile(join(dir, 'evidence', 'iam', ...`${m[1]}.json`.split('/')), 'utf8').catch(() => '');
  return MARKERS.some((k) => evidence.includes(k));
}

/** Entries under a directory (not following links): regular files, and anything else as not a file. */
async function listEntries(d: string): Promise<{ path: string; file: boolean }[]> {
  const out: { path: string; file: boolean }[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) pushAll(out, await listEntries(p));
    else out.push({ path: p, file: e.isFile() });
  }
  return out;
}
