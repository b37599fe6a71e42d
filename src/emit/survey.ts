import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OutputConflictError } from './errors.js';
import { legacyEvidenceOf, legacyMarked, MANIFEST, parseManifest, sha256 } from './manifest.js';
import { entryKind, readRegular } from './readRegular.js';

/** What the previous tree at `-o` holds, as the writer needs it. */
export interface Survey {
  /** Whether the tree had a manifest (else its files were judged by their markers, once). */
  hadManifest: boolean;
  /** Files of audit2policy's (path → SHA-256): under the run's roots checked byte for byte, elsewhere as listed. */
  owned: Map<string, string>;
  /** Regular files under the run's roots (or where its directories go) that are not audit2policy's, sorted. */
  foreign: string[];
  /** Those of `foreign` the manifest lists but whose bytes changed since (edited by hand). */
  changed: Set<string>;
  /**
   * Without a manifest: files under the run's roots with no marker (path → SHA-256). Each is audit2policy's if this
   * run writes the same bytes there, and someone else's otherwise: the writer decides as it writes.
   */
  undecided: Map<string, string>;
}

export const under = (rel: string, roots: string[]): boolean => roots.some((r) => rel === r || rel.startsWith(r + '/'));
const above = (rel: string, roots: string[]): boolean => roots.some((r) => r.startsWith(rel + '/'));

/** A link or special file where the run writes: never followed, never opened; the run stops. */
function refuse(out: string, rel: string, kind: string, roots: string[]): OutputConflictError {
  return new OutputConflictError(
    `${rel} in ${out} is a ${kind}: audit2policy writes only regular files and directories under ${roots.join(', ')}; move it or choose another -o directory`,
  );
}

/**
 * Walk the previous tree: refuse links and special files under the run's roots (`scope`) and on the way to them,
 * and tell audit2policy's files from anyone else's. With a manifest it alone decides (and the bytes must still be
 * those recorded); without one (a tree of an earlier version) a file is adopted when it carries the generators'
 * marker where they put it, or is an IAM policy whose evidence does; one under the run's roots that does neither is
 * `undecided` (adopted if the run writes the same bytes there). `universe` is every root audit2policy may own (all
 * kinds), so a tree without a manifest is adopted whole.
 */
export async function survey(target: string, out: string, scope: string[], universe: string[]): Promise<Survey> {
  const mst = await lstat(join(target, MANIFEST)).catch(() => undefined);
  if (mst && !mst.isFile()) throw refuse(out, MANIFEST, entryKind(mst), [MANIFEST]);
  const bytes = mst ? await readRegular(join(target, MANIFEST)) : undefined;
  if (mst && !bytes) throw refuse(out, MANIFEST, 'special file', [MANIFEST]);
  const listed = bytes ? parseManifest(bytes, `${MANIFEST} in ${out}`) : undefined;

  const owned = new Map<string, string>();
  const foreign: string[] = [];
  const changed = new Set<string>();
  // Without a manifest: each file's hash, and whether it carries the marker.
  const legacy = new Map<string, { sha: string; marked: boolean }>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? join(target, ...rel.split('/')) : target, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === MANIFEST) continue;
      const kind = entryKind(e);
      const where = under(r, scope) || above(r, scope);
      if (where && kind !== 'file' && kind !== 'directory') throw refuse(out, r, kind, scope);
      if (kind === 'directory') {
        if (under(r, universe) || above(r, universe)) await walk(r);
        continue;
      }
      if (kind !== 'file' || !(where || under(r, universe))) continue;
      if (!where && listed) {
        // Another kind's file: its entry goes on as recorded, checked when a run writes that kind.
        const sha = listed.get(r);
        if (sha) owned.set(r, sha);
        continue;
      }
      const content = await readRegular(join(target, ...r.split('/')));
      if (!content) {
        if (where) throw refuse(out, r, 'special file', scope);
        continue;
      }
      const sha = sha256(content);
      if (listed) {
        if (listed.get(r) === sha) owned.set(r, sha);
        else {
          foreign.push(r);
          if (listed.has(r)) changed.add(r);
        }
        continue;
      }
      legacy.set(r, { sha, marked: legacyMarked(r, content) });
    }
  };
  await walk('');
  const undecided = new Map<string, string>();
  for (const [r, f] of legacy) {
    const evidence = legacyEvidenceOf(r);
    const ok = f.marked || (evidence !== undefined && legacy.get(evidence)?.marked === true);
    if (ok && under(r, universe)) owned.set(r, f.sha);
    else if (under(r, scope)) undecided.set(r, f.sha);
    else if (above(r, scope)) foreign.push(r);
  }
  foreign.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { hadManifest: !!listed, owned, foreign, changed, undecided };
}

/**
 * Copy the previous tree into the new one, leaving out `skip` (audit2policy's files under the run's roots, which
 * are rewritten or removed) and the manifest: hard links for files, links as links, never followed. Outside the
 * roots, directories are kept as they are (empty ones too); under them, a directory is made only for a file kept.
 */
export async function carryOver(from: string, to: string, scope: string[], skip: Set<string>, rel = ''): Promise<void> {
  for (const e of await readdir(rel ? join(from, ...rel.split('/')) : from, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (r === MANIFEST || skip.has(r)) continue;
    const src = join(from, ...r.split('/'));
    const dst = join(to, ...r.split('/'));
    const ours = under(r, scope) || above(r, scope);
    if (e.isDirectory()) {
      if (!ours) await mkdir(dst, { recursive: true });
      await carryOver(from, to, scope, skip, r);
      continue;
    }
    if (ours) await mkdir(dirname(dst), { recursive: true });
    if (e.isSymbolicLink()) await symlink(await readlink(src), dst);
    else if (e.isFile()) await link(src, dst).catch(() => copyFile(src, dst, constants.COPYFILE_EXCL));
    else await link(src, dst); // a FIFO, socket or device of the user's: the same node, never opened
  }
}

/** One file of the previous tree carried over into the new one as it is (a hard link, else a copy). */
export async function carryFile(from: string, to: string, rel: string): Promise<void> {
  const src = join(from, ...rel.split('/'));
  const dst = join(to, ...rel.split('/'));
  await mkdir(dirname(dst), { recursive: true });
  await link(src, dst).catch(() => copyFile(src, dst, constants.COPYFILE_EXCL));
}
