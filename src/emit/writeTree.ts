import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/** What marks a file as written by audit2policy, so a rerun may replace it. */
const MARKERS = ['app.kubernetes.io/managed-by: audit2policy', 'apiVersion: audit2policy.dev/', '"apiVersion": "audit2policy.dev/'];

/** Raised when the output directory holds files audit2policy did not write. */
export class OutputConflictError extends Error {}

/**
 * Replace the subtrees `roots` under `dir` with `files` (relative path → content). Stale files from
 * an earlier run are removed, but only files audit2policy wrote: anything else is left alone and the
 * run stops before touching the tree. Each file is written to a temporary name and renamed.
 */
export async function writeTree(dir: string, roots: string[], files: Map<string, string>): Promise<void> {
  for (const root of roots) {
    for (const f of await listFiles(join(dir, root))) {
      const text = await readFile(f, 'utf8').catch(() => '');
      if (!MARKERS.some((m) => text.includes(m)) && !(await ownedPolicy(dir, f))) {
        throw new OutputConflictError(`${relative(dir, f).split(sep).join('/')} in ${dir} was not written by audit2policy; move it or choose another -o directory`);
      }
    }
  }
  for (const root of roots) await rm(join(dir, root), { recursive: true, force: true });
  for (const [rel, content] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    await writeFile(tmp, content);
    await rename(tmp, target);
  }
}

/**
 * IAM policy files carry no marker (AWS would reject unknown keys, and every JSON file under iam/ must
 * be a policy): one is ours when the evidence file written beside it in evidence/ carries the marker.
 * `iam/<account>/<name>.json` and its split parts `<name>.2.json`... → `evidence/iam/<account>/<name>.json`.
 */
async function ownedPolicy(dir: string, file: string): Promise<boolean> {
  const rel = relative(dir, file).split(sep).join('/');
  const m = /^iam\/([^/]+)\/(.+?)(\.\d+)?\.json$/.exec(rel);
  if (!m) return false;
  const evidence = await readFile(join(dir, 'evidence', 'iam', m[1]!, `${m[2]}.json`), 'utf8').catch(() => '');
  return MARKERS.some((k) => evidence.includes(k));
}

async function listFiles(d: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(d, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

/** Write one file atomically (temporary name, then rename). */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
