import { createHash } from 'node:crypto';
import { loadAll } from 'js-yaml';
import { unsafePathProblem } from '../util/paths.js';
import { OutputConflictError } from './errors.js';
import { KUSTOMIZATION_HEADER } from './kustomization.js';

/**
 * `DIR/.audit2policy-manifest.json`: every file audit2policy wrote into DIR with its SHA-256, the only record of
 * what it owns there. A rerun replaces or removes a file only when the manifest lists it and the bytes are still
 * those it wrote; anything else under its directories is someone's and is left alone. Byte-deterministic: paths
 * in byte order, no timestamp.
 */
import { MANIFEST } from './manifestName.js';

export { MANIFEST };
const API_VERSION = 'audit2policy.dev/v1alpha1';
const KIND = 'OutputManifest';

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function renderManifest(files: Map<string, string>): string {
  const sorted = Object.fromEntries([...files].sort((a, b) => byteOrder(a[0], b[0])));
  return JSON.stringify({ apiVersion: API_VERSION, kind: KIND, files: sorted }, null, 2) + '\n';
}

/** A manifest's files (path → SHA-256); anything else there stops the run: it is not a manifest of ours. */
export function parseManifest(bytes: Buffer, where: string): Map<string, string> {
  const bad = (why: string) =>
    new OutputConflictError(`${where} is not a manifest audit2policy wrote (${why}); move it or choose another -o`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  const m = doc as { apiVersion?: unknown; kind?: unknown; files?: unknown };
  if (typeof m !== 'object' || m === null || m.apiVersion !== API_VERSION || m.kind !== KIND)
    throw bad(`apiVersion ${API_VERSION} and kind ${KIND} expected`);
  if (typeof m.files !== 'object' || m.files === null || Array.isArray(m.files)) throw bad('files is not an object');
  const out = new Map<string, string>();
  for (const [path, hash] of Object.entries(m.files)) {
    const problem = unsafePathProblem(path);
    if (problem || path === MANIFEST) throw bad(`the path ${JSON.stringify(path)} ${problem ?? 'is its own'}`);
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw bad(`${path}: not a SHA-256`);
    out.set(path, hash);
  }
  return out;
}

/**
 * A tree written before the manifest existed: which of its files audit2policy wrote. Not any file holding the
 * marker text somewhere (a hand-written kustomization.yaml quoting it), but one whose every document carries it
 * where the generators put it: the `app.kubernetes.io/managed-by: audit2policy` label of a policy object, or an
 * `apiVersion: audit2policy.dev/...` (evidence, the IAM index); the kustomization.yaml only when it is the
 * generator's own (its header line, and nothing but apiVersion, kind and resources).
 */
export function legacyMarked(rel: string, bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  let docs: unknown[];
  try {
    docs = (loadAll(text) as unknown[]).filter((d) => d !== null && d !== undefined);
  } catch {
    return false;
  }
  if (docs.length === 0) return false;
  if (!rel.includes('/') && text.startsWith(KUSTOMIZATION_HEADER)) {
    const k = docs[0] as Record<string, unknown>;
    return (
      docs.length === 1 &&
      typeof k === 'object' &&
      k.kind === 'Kustomization' &&
      Array.isArray(k.resources) &&
      Object.keys(k).every((key) => ['apiVersion', 'kind', 'resources'].includes(key))
    );
  }
  return docs.every((d) => {
    if (typeof d !== 'object' || d === null) return false;
    const o = d as { apiVersion?: unknown; metadata?: { labels?: Record<string, unknown> } };
    if (typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit2policy.dev/')) return true;
    return o.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'audit2policy';
  });
}

/**
 * IAM policy files carry no marker (AWS refuses unknown keys): in a tree without a manifest, one is ours when the
 * evidence file written for it is. `iam/<account>/role/<name>.json` and its split parts `<name>.2.json`... →
 * `evidence/iam/<account>/role/<name>.json` (an earlier layout's `iam/<account>/<name>.json` the same way).
 */
export function legacyEvidenceOf(rel: string): string | undefined {
  const m = /^iam\/(.+?)(\.\d+)?\.json$/.exec(rel);
  return m ? `evidence/iam/${m[1]}.json` : undefined;
}
