import { resolve } from 'node:path';
import { readAllPolicies, type KindName, type KindPolicies } from '../kinds/index.js';
import { LOG_SOURCES, looksLike, sourceOf, type SourceKind } from '../ingest/sourceOf.js';
import { sourceOfFile } from '../ingest/sourceOfFile.js';
import type { InputIssue } from '../model/issue.js';
import type { GivenPath, PolicyDoc } from '../policy/load.js';
import { UsageError } from './errors.js';

/** How many files of a path without policies are opened to tell whose they are. */
const SNIFFED = 32;

/** What loadPolicyDocs read of the paths given. */
interface Loaded {
  docs: PolicyDoc[];
  issues: InputIssue[];
  given: GivenPath[];
}

/** A path given that holds no document any kind reads as a policy, and what its files look like, when they say. */
export interface EmptyPath {
  path: string;
  directory: boolean;
  files: number;
  /** `looks like an audit2policy profile: read it with --profile`, of its first file that looks like an input. */
  hint?: string;
}

/**
 * The paths given where policies are read (`--policies`, diff's sides), looked at before anything else is read: a log
 * among them (a Kubernetes audit log, CloudTrail, flows: a file whose first value is one, as the log flags tell a file
 * given to the wrong one) is a mistake of flags, a usage error naming the file and the flag that reads it; nothing is
 * compared with a log read as no policy at all. Looked at: the first document of each file read, each file that is
 * not YAML or JSON (JSON lines), and, of a path that holds no policy, its other files (`.log`, `.gz`, `.jsonl`: a
 * directory of logs) up to SNIFFED. Returns the paths that hold no policy, for the caller to judge (`emptyPathsError`).
 */
export async function examinePolicyPaths(
  loaded: Loaded,
  cwd: string,
  name: (path: string) => string,
  /** Every kind's policies read from all the paths, when read already: for one path, what it holds. */
  read?: Map<KindName, KindPolicies<unknown>>,
): Promise<EmptyPath[]> {
  const logs = new Map<string, SourceKind>();
  const firstDocs = new Map<string, unknown>();
  for (const d of loaded.docs) if (!firstDocs.has(d.file)) firstDocs.set(d.file, d.object);
  for (const [file, object] of firstDocs) {
    const s = sourceOf(object);
    if (s && LOG_SOURCES.has(s)) logs.set(file, s);
  }
  for (const i of loaded.issues) {
    if (i.code !== 'policy.unparseable' || logs.has(i.file)) continue;
    const s = await sourceOfFile(resolve(cwd, i.file));
    if (s && LOG_SOURCES.has(s)) logs.set(i.file, s);
  }
  const docsOf = new Map<string, PolicyDoc[]>();
  for (const d of loaded.docs) (docsOf.get(d.file) ?? docsOf.set(d.file, []).get(d.file)!).push(d);
  const empty: EmptyPath[] = [];
  for (const g of loaded.given) {
    const policies =
      read && loaded.given.length === 1 ? read : readAllPolicies(g.files.flatMap((f) => docsOf.get(f) ?? []));
    // A policy of a kind no evaluator judges (an AdminNetworkPolicy) is found too: its issue is counted, and under
    // --on-error skip the run goes on without it, as with any other issue.
    const files = new Set(g.files);
    const holds = [...policies.values()].some((p) => p.count > 0 || p.issues.some((i) => files.has(i.file)));
    let hint: string | undefined;
    if (!holds && !g.files.some((f) => logs.has(f))) {
      // Of a path that holds no policy, the files that did not say whose they are by a document: up to the first log.
      let sniffed = 0;
      for (const file of [...g.files, ...g.other]) {
        const said = firstDocs.has(file) ? sourceOf(firstDocs.get(file)) : undefined;
        if (said && !LOG_SOURCES.has(said)) hint ??= `${file} ${looksLike(said)}`;
        if (said || logs.has(file) || ++sniffed > SNIFFED) continue;
        const s = await sourceOfFile(resolve(cwd, file));
        if (s && LOG_SOURCES.has(s)) {
          logs.set(file, s);
          break;
        }
        if (s) hint ??= `${file} ${looksLike(s)}`;
      }
      empty.push({
        path: g.path,
        directory: g.directory,
        files: g.files.length + g.other.length,
        ...(hint ? { hint } : {}),
      });
    }
    const first = [...g.files, ...g.other].find((f) => logs.has(f));
    if (first === undefined) continue;
    const what = looksLike(logs.get(first)!);
    throw new UsageError(
      g.directory
        ? `${name(g.path)} holds logs, not policies: ${first} ${what}`
        : `${name(g.path)} is a log, not policies: it ${what}`,
    );
  }
  return empty;
}

/**
 * The error for paths given that hold no policy (an empty directory, a wrong path in a checkout, a directory of other
 * files): a gate that read no policy from a path it was given must not pass on what the others hold, nor say
 * "nothing to verify" as if the logs were at fault.
 */
export function emptyPathsError(empty: readonly EmptyPath[], name: (path: string) => string): UsageError {
  const e = empty[0]!;
  const none = 'RBAC object, IAM policy or NetworkPolicy';
  const what = !e.directory
    ? `no ${none} in it`
    : e.files
      ? `none of its ${e.files} file${e.files === 1 ? ' is an' : 's is an'} ${none}`
      : 'an empty directory';
  const more =
    empty.length > 1
      ? `; nor do ${empty
          .slice(1)
          .map((x) => x.path)
          .join(', ')}`
      : '';
  return new UsageError(`${name(e.path)}: no policy documents found (${what})${more}: ${e.hint ?? 'check the path'}`);
}
