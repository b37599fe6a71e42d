import { iamPolicyDir, partitionStem, policyStem } from '../../model/layout.js';
import type { IamIdentity } from '../../model/subject.js';
import { tupleKey } from '../../util/key.js';
import { caseDistinct } from '../../util/paths.js';

/**
 * Each identity's file stem, by directory and (partition, name stem): the name's, told apart where a case-insensitive
 * file system would merge two; a twin of another partition (same account id, kind and name: partitions have separate
 * IAMs) outside `aws` gets its partition as a suffix (`partitionStem`).
 */
export function stemsByDir(ids: IamIdentity[]): Map<string, Map<string, string>> {
  const byDir = new Map<string, { partition: string; stem: string }[]>();
  for (const id of ids) {
    const dir = iamPolicyDir(id.account, id.kind);
    const list = byDir.get(dir);
    const entry = { partition: id.partition, stem: policyStem(id.name) };
    if (list) list.push(entry);
    else byDir.set(dir, [entry]);
  }
  const out = new Map<string, Map<string, string>>();
  for (const [dir, entries] of byDir) {
    const cased = caseDistinct(entries.map((e) => e.stem));
    const partitions = new Map<string, Set<string>>();
    for (const e of entries) partitions.set(e.stem, (partitions.get(e.stem) ?? new Set()).add(e.partition));
    const stems = new Map<string, string>();
    for (const e of entries) {
      const stem = cased.get(e.stem)!;
      stems.set(
        tupleKey(e.partition, e.stem),
        partitions.get(e.stem)!.size > 1 ? partitionStem(stem, e.partition) : stem,
      );
    }
    out.set(dir, stems);
  }
  return out;
}
