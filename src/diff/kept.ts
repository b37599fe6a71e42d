import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { KINDS } from '../kinds/index.js';
import type { KeptOptions } from '../kinds/keptTypes.js';
import type { CiFinding } from '../model/finding.js';
import { isObj } from '../util/json.js';

/** A used grant's keys, as its kind's `kept` hook tells them (kinds/keptTypes.ts), for `candidate` to look up. */
export function usedGrantKeys(f: CiFinding): string[] {
  return KINDS[f.kind].kept?.usedKeys(f) ?? [];
}

/**
 * Of `check`'s unused findings, those `generate` wrote on purpose, as a widening it listed, where the logs used what
 * it widens, each with its detail (`kept: a widening generate listed in ...`): reported as kept, not unused, since
 * a reader of "unused" removes it. The evidence `generate -o` wrote beside the policy file says which (read from the
 * file's place, and only when it names that file's workload or trust policy); each kind's `kept` hook says what of it
 * counts (kinds/<kind>/kept.ts). Hand-written policy, a tree without its evidence, a grant the evidence does not list
 * stay unused.
 */
export async function keptWidenings(unused: readonly CiFinding[], opts: KeptOptions): Promise<Map<CiFinding, string>> {
  const read = new Map<string, Promise<Record<string, unknown> | undefined>>();
  const evidence = (path: string) => {
    let hit = read.get(path);
    if (!hit) read.set(path, (hit = readEvidence(resolve(opts.cwd, path))));
    return hit;
  };
  const kept = new Map<CiFinding, string>();
  for (const f of unused) {
    const hook = KINDS[f.kind].kept;
    // Only what could be one is looked up: an account's thousands of unused grants read no evidence.
    if (!hook?.candidate(f, opts)) continue;
    for (const at of f.locations) {
      const path = hook.evidenceBeside(at.file);
      const ev = path === undefined ? undefined : await evidence(path);
      const listed = ev ? hook.listed(f, ev, at.file, opts) : undefined;
      if (listed === undefined) continue;
      kept.set(f, `kept: a widening generate listed in ${path}: ${listed.what}; unseen in these logs ${listed.beside}`);
      break;
    }
  }
  return kept;
}

/** An evidence document (YAML or JSON), or undefined when there is none there or it is no object. */
async function readEvidence(abs: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v = load(await readFile(abs, 'utf8'), { schema: CORE_SCHEMA });
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
