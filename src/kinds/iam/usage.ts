import { callPermissions } from '../../generate/iam/permissions.js';
import type { Evidence } from '../../model/evidence.js';
import type { CiEvidence } from '../../model/finding.js';
import type { Profile } from '../../model/profile.js';
import { compileGlob } from '../../util/glob.js';
import { fromEvidence, mergeAll } from '../findings.js';
import type { IamGrant } from './compare.js';
import type { IamSides } from './sides.js';

export type Usage = Map<string, { action: string; resource: string; ev: Evidence }[]>;

/** Each IAM principal's needed permissions with evidence, by its key (`<account>/role/<name>`: sides.ts). */
export async function usageOf(profile: Profile, keyOf: IamSides['key']): Promise<Usage> {
  const out: Usage = new Map();
  for (const p of profile.principals) {
    const key = keyOf(p.subject.kind, p.username);
    if (!key) continue;
    const list: { action: string; resource: string; ev: Evidence }[] = [];
    for (const e of p.aws ?? []) {
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions)
        for (const r of perm.resources) list.push({ action: perm.action, resource: r, ev: e.allowed });
    }
    out.set(key, list);
  }
  return out;
}

/** The evidence of the calls a finding's grants cover. */
export function evidenceOf(usage: Usage, items: IamGrant[]): CiEvidence {
  const patterns = items.map((i) => ({
    action: compileGlob(i.action, { caseInsensitive: true }),
    resource: compileGlob(i.resource),
  }));
  const found = (usage.get(items[0]!.principal) ?? [])
    .filter((u) => patterns.some((p) => p.action.test(u.action) && p.resource.test(u.resource)))
    .map((u) => u.ev);
  return fromEvidence(mergeAll(found));
}
