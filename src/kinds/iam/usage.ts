import { callPermissions } from '../../generate/iam/permissions.js';
import type { Evidence } from '../../model/evidence.js';
import type { CiEvidence } from '../../model/finding.js';
import type { Profile } from '../../model/profile.js';
import { compileGlob, iamAsValue } from '../../util/glob.js';
import { fromEvidence, mergeAll } from '../findings.js';
import type { Comparison } from '../types.js';
import type { IamGrant } from './compare.js';
import type { IamSides } from './sides.js';

/**
 * One permission an observed call needed, as the generator grants it: on create (tag on create) or passed to a service
 * (`iam:PassRole`) where the call says so.
 */
export interface Use {
  action: string;
  resource: string;
  createAction?: string;
  passedTo?: string;
  ev: Evidence;
}

export type Usage = Map<string, Use[]>;

/** Each IAM principal's needed permissions with evidence, by its key (`<account>/role/<name>`: sides.ts). */
export async function usageOf(profile: Profile, keyOf: IamSides['key']): Promise<Usage> {
  const out: Usage = new Map();
  for (const p of profile.principals) {
    const key = keyOf(p.subject.kind, p.username);
    if (!key) continue;
    const list: Use[] = [];
    for (const e of p.aws ?? []) {
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions)
        for (const r of perm.resources)
          list.push({
            action: perm.action,
            resource: r,
            ...(perm.onCreate ? { createAction: perm.onCreate } : {}),
            ...(perm.passedTo ? { passedTo: perm.passedTo } : {}),
            ev: e.allowed,
          });
    }
    out.set(key, list);
  }
  return out;
}

/**
 * The evidence of the calls a finding's grants cover; with `allowedElsewhere`, less the calls it says the other side
 * of a diff allows too (those the change neither takes away nor adds).
 */
export function evidenceOf(usage: Usage, items: IamGrant[], allowedElsewhere?: (u: Use) => boolean): CiEvidence {
  const patterns = items.map((i) => ({
    action: compileGlob(i.action, { caseInsensitive: true }),
    resource: compileGlob(i.resource, { iamEscapes: true }),
  }));
  const found = (usage.get(items[0]!.principal) ?? [])
    .filter((u) => patterns.some((p) => p.action.test(u.action) && p.resource.test(iamAsValue(u.resource))))
    .filter((u) => !allowedElsewhere?.(u))
    .map((u) => u.ev);
  return fromEvidence(mergeAll(found));
}

/**
 * A comparison's `evidence` over the profile's calls. In a diff (`besides`, the other side), a call that side allows
 * too is no use of the change: each is asked of it as a grant of the finding's principal, once per side.
 */
export function usageEvidence(
  usage: Usage,
  covered: Comparison<IamGrant>['covered'],
): NonNullable<Comparison<IamGrant>['evidence']> {
  const asked = new Map<number, WeakMap<Use, boolean>>();
  const allowedBy = (by: number, g: IamGrant) => {
    let seen = asked.get(by);
    if (!seen) asked.set(by, (seen = new WeakMap()));
    const memo = seen;
    return (u: Use) => {
      let yes = memo.get(u);
      if (yes === undefined) {
        const { createAction: _c, passedTo: _p, ...rest } = g;
        const call: IamGrant = {
          ...rest,
          action: u.action,
          resource: u.resource,
          ...(u.createAction ? { createAction: u.createAction } : {}),
          ...(u.passedTo ? { passedTo: u.passedTo } : {}),
        };
        memo.set(u, (yes = covered(call, by) === 'yes'));
      }
      return yes;
    };
  };
  return (items, besides) =>
    evidenceOf(usage, items, besides === undefined ? undefined : allowedBy(besides, items[0]!));
}
