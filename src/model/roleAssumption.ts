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
  /**
   * The external IDs its calls passed (`sts:ExternalId`), sorted, distinct; absent when none did (or the profile
   * predates external IDs). `withoutExternalId`: beside those, some calls passed none, so a trust may not ask one.
   */
  externalIds?: string[];
  withoutExternalId?: true;
  evidence: Evidence;
}

/** The roles a principal assumed, sorted by role; none for a principal that is no IAM role or user. */
export function roleAssumptions(p: Principal): RoleAssumption[] {
  const kind = iamKindOf(p.subject.kind);
  if (!kind || iamIdentity(p.username)?.kind !== kind) return [];
  // A role assumed in calls of several regions (or with and without tags, or external IDs) is one assumption.
  const byRole = new Map<string, { actions: Set<string>; ids: Set<string>; without: boolean; evidence: Evidence }>();
  for (const e of p.aws ?? []) {
    if (e.eventSource !== 'sts.amazonaws.com' || e.eventName !== 'AssumeRole' || !e.allowed) continue;
    for (const roleArn of e.resources) {
      if (iamIdentity(roleArn)?.kind !== 'role') continue;
      const more = e.implied.filter((i) => i.resource === roleArn && i.action.startsWith('sts:')).map((i) => i.action);
      let had = byRole.get(roleArn);
      if (!had) {
        const x = { actions: new Set(['sts:AssumeRole']), ids: new Set<string>(), without: false, evidence: e.allowed };
        byRole.set(roleArn, (had = x));
      } else had.evidence = mergeEvidence(had.evidence, e.allowed);
      for (const a of more) had.actions.add(a);
      if (e.externalId !== undefined) had.ids.add(e.externalId);
      else had.without = true;
    }
  }
  return [...byRole]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([roleArn, x]) => ({
      roleArn,
      actions: [...x.actions].sort(cmp),
      ...(x.ids.size ? { externalIds: [...x.ids].sort(cmp) } : {}),
      ...(x.without && x.ids.size ? { withoutExternalId: true as const } : {}),
      evidence: x.evidence,
    }));
}
