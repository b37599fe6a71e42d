import type { InputIssue } from '../model/issue.js';
import { loadPolicyDocs } from '../policy/load.js';
import { canonicalInventory, emptyInventory, type Inventory } from './inventory.js';
import { addObject } from './objects.js';
import { foreignSource } from '../ingest/sourceOf.js';

/**
 * Read an inventory from files and directories: `kubectl get ... -A -o json` Lists, or one object per
 * file (JSON or YAML, multi-document YAML too). The same objects in any order and layout give the
 * same inventory.
 */
export async function loadInventory(
  paths: string[],
  cwd: string,
): Promise<{ inventory: Inventory; issues: InputIssue[] }> {
  const { docs, issues } = await loadPolicyDocs(paths, cwd, 'inventory');
  const inv = emptyInventory();
  const found: InputIssue[] = [...issues];
  // A log given as --inventory (audit Events, CloudTrail, flows): one hint per file, not an issue per record.
  const foreign = new Map<string, string>();
  for (const d of docs) {
    if (!foreign.has(d.file)) foreign.set(d.file, foreignSource(d.object, 'inventory') ?? '');
    const hint = foreign.get(d.file);
    if (hint === '') addObject(inv, d.object, { file: d.file, line: 1 }, found);
  }
  for (const [file, hint] of foreign)
    if (hint)
      found.push({
        kind: 'issue',
        file,
        line: 0,
        code: 'inventory.foreign-format',
        message: `not cluster objects: ${hint}`,
      });
  return {
    inventory: canonicalInventory(inv),
    issues: found.map((i) => ({ ...i, code: i.code === 'policy.unparseable' ? 'inventory.unparseable' : i.code })),
  };
}

/** Every workload of the inventory (the top of each pod's owner chain), for the profile. */
export { workloadsOfInventory } from './workloads.js';
