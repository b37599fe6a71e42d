import { cmp } from './issue.js';
import { mergeEvidence, type Evidence } from './evidence.js';
import type { Principal } from './profile.js';
import { iamIdentity, iamKindOf } from './subject.js';

/**
 * A role an IAM role or user assumed with `sts:AssumeRole` (role chaining, a user switching into a role, across
 * accounts or not), as the profile holds it: an allowed AWS call of the caller whose resource is the role. `actions`:
 * `sts:AssumeRole`, and `sts:TagSession` / `sts:SetSourceIdentity` where a request passed session tags or a source
 * identity (its implied permissions on the role): the role's trust policy must allow each.
 */
export interface RoleAssumption {
  roleArn: string;
  actions: string[];
  evidence: Evidence;
}

/** The roles a principal assumed, sorted by role; none for a principal that is no IAM role or user. */
export function roleAssumptions(p: Principal): RoleAssumption[] {
  const kind = iamKindOf(p.subject.kind);
  if (!kind || iamIdentity(p.username)?.kind !== kind) return [];
  // A role assumed in calls of several regions (or with and without tags) is one assumption.
  const byRole = new Map<string, { actions: Set<string>; evidence: Evidence }>();
  for (const e of p.aws ?? []) {
    if (e.eventSource !== 'sts.amazonaws.com' || e.eventName !== 'AssumeRole' || !e.allowed) continue;
    for (const roleArn of e.resources) {
      if (iamIdentity(roleArn)?.kind !== 'role') continue;
      const more = e.implied.filter((i) => i.resource === roleArn && i.action.startsWith('sts:')).map((i) => i.action);
      const had = byRole.get(roleArn);
      if (!had) byRole.set(roleArn, { actions: new Set(['sts:AssumeRole', ...more]), evidence: e.allowed });
      else {
        for (const a of more) had.actions.add(a);
        had.evidence = mergeEvidence(had.evidence, e.allowed);
      }
    }
  }
  return [...byRole]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([roleArn, x]) => ({ roleArn, actions: [...x.actions].sort(cmp), evidence: x.evidence }));
}
