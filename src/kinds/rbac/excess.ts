import type { Principal, Profile } from '../../model/profile.js';
import type { RbacPolicySet } from '../../verify/rbac/types.js';
import { emptyReport, verifyRbac } from '../../verify/rbac.js';
import type { Excess, KindPolicies, ReplayFacts } from '../types.js';
import { excessBySubject } from '../excessBySubject.js';
import { k8sRequester } from '../../model/subject.js';
import { defaultGrantFor } from '../../verify/rbac/defaults.js';

const key = (e: Principal['k8s'][number]) =>
  JSON.stringify([e.verb, e.apiGroup, e.resource, e.subresource, e.namespace, e.name, e.nonResourceURL]);

function clean(e: Principal['k8s'][number]): Principal['k8s'][number] {
  const { undecided: _u, denied: _d, ...rest } = e;
  return rest;
}

/**
 * Excess by negative samples: each principal that made requests is given, as if its own, every distinct
 * request the other principals made and it never did; the share its policy allows is what it could do
 * beyond its own behaviour among things this environment actually does. A sample the cluster's default ClusterRoles
 * grant it (discovery, health) is no sample: the cluster allows it whatever the policy says, so it is not the
 * policy's excess (unless the cluster removed those bindings: `defaultGrants: false`).
 */
export async function rbacExcess(
  both: Profile,
  policies: KindPolicies<RbacPolicySet>,
  facts: ReplayFacts = {},
): Promise<Excess | undefined> {
  const defaults = facts.defaultGrants !== false;
  const negatives: Principal[] = [];
  for (const p of both.principals) {
    if (p.k8s.length === 0) continue;
    const own = new Set(p.k8s.map(key));
    const who = k8sRequester(p.subject, p.username, p.groups);
    const k8s = new Map<string, Principal['k8s'][number]>();
    for (const o of both.principals)
      if (o !== p)
        for (const e of o.k8s)
          if (e.allowed && !own.has(key(e)) && !(defaults && !e.implied && defaultGrantFor({ ...who, ...clean(e) })))
            k8s.set(key(e), clean(e));
    if (k8s.size) negatives.push({ ...p, k8s: [...k8s.values()] });
  }
  const sampled = { ...both, principals: negatives, network: [], workloads: [] };
  const report = verifyRbac(sampled, policies.set, emptyReport(sampled), defaults);
  const v = report.byKind['rbac'];
  return v?.observed ? { samples: v.observed, allowed: v.allowed, ...excessBySubject(report) } : undefined;
}
