import type { Principal, Profile } from '../../model/profile.js';
import type { RbacPolicySet } from '../../verify/rbac/types.js';
import { emptyReport, verifyRbac } from '../../verify/rbac.js';
import type { KindPolicies } from '../types.js';

const key = (e: Principal['k8s'][number]) =>
  JSON.stringify([e.verb, e.apiGroup, e.resource, e.subresource, e.namespace, e.name, e.nonResourceURL]);

function clean(e: Principal['k8s'][number]): Principal['k8s'][number] {
  const { undecided: _u, denied: _d, ...rest } = e;
  return rest;
}

/**
 * Excess by negative samples: each principal that made requests is given, as if its own, every distinct
 * request the other principals made and it never did; the share its policy allows is what it could do
 * beyond its own behaviour among things this environment actually does.
 */
export async function rbacExcess(
  both: Profile,
  policies: KindPolicies<RbacPolicySet>,
): Promise<{ samples: number; allowed: number } | undefined> {
  const negatives: Principal[] = [];
  for (const p of both.principals) {
    if (p.k8s.length === 0) continue;
    const own = new Set(p.k8s.map(key));
    const k8s = new Map<string, Principal['k8s'][number]>();
    for (const o of both.principals)
      if (o !== p) for (const e of o.k8s) if (e.allowed && !own.has(key(e))) k8s.set(key(e), clean(e));
    if (k8s.size) negatives.push({ ...p, k8s: [...k8s.values()] });
  }
  const sampled = { ...both, principals: negatives, network: [], workloads: [] };
  const v = verifyRbac(sampled, policies.set, emptyReport(sampled)).byKind['rbac'];
  return v?.observed ? { samples: v.observed, allowed: v.allowed } : undefined;
}
