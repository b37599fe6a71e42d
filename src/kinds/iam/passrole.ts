import { compileGlob, iamAsValue } from '../../util/glob.js';
import type { IamPolicySet } from '../../verify/iam.js';
import {
  evaluateIdentityPolicies,
  grantingPolicies,
  readStatements,
  type NamedPolicy,
} from '../../verify/iam/evaluate.js';
import { PASSROLE_TARGETS, type PrincipalContext } from './risks.js';

/**
 * The halves of the iam:PassRole combination (risks.ts) each principal of a side holds: iam:PassRole, and the compute
 * creates that run code as a passed role. `diff` judges a principal's new access with what its proposed policies hold,
 * so that a gain of either half beside the other, new or already there, is the privilege escalation it makes.
 *
 * Held is read from the Allow statements as written (Action or NotAction, a Condition or not: a conditional
 * `iam:PassRole`, `iam:PassedToService` limited, is the usual way of granting it) on some resource the principal's own
 * Deny statements do not take away without a Condition.
 */
export function heldCombination(set: IamPolicySet, principal: string): PrincipalContext {
  let bySet = cache.get(set);
  if (!bySet) cache.set(set, (bySet = new Map()));
  let out = bySet.get(principal);
  if (!out) {
    const policies = set.byPrincipal.get(principal) ?? [];
    out = {
      passesRole: holds(policies, 'iam:PassRole'),
      computeCreates: PASSROLE_TARGETS.filter((a) => holds(policies, a)),
    };
    bySet.set(principal, out);
  }
  return out;
}

/** What each side holds, per principal, computed once a principal is asked about. */
const cache = new WeakMap<IamPolicySet, Map<string, PrincipalContext>>();

/** Whether an Allow statement of the policies covers the action on a resource that no own unconditional Deny takes. */
function holds(policies: NamedPolicy[], action: string): boolean {
  for (const pol of grantingPolicies(policies)) {
    const stmts = readStatements(pol.document);
    if (typeof stmts === 'string') continue;
    for (const st of stmts) {
      if (st.effect !== 'Allow') continue;
      const names = (list: string[]) => list.some((p) => compileGlob(p, { caseInsensitive: true }).test(action));
      if (st.actions ? !names(st.actions) : names(st.notActions!)) continue;
      for (const resource of st.resources ?? ['*'])
        if (evaluateIdentityPolicies(policies, { action, resource: iamAsValue(resource) }).result !== 'deny')
          return true;
    }
  }
  return false;
}
