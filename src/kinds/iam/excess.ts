import type { Principal, Profile } from '../../model/profile.js';
import type { IamPolicySet } from '../../verify/iam.js';
import { verifyIam } from '../../verify/iam.js';
import { emptyReport } from '../../verify/rbac.js';
import type { Excess, KindPolicies } from '../types.js';
import { excessBySubject } from '../excessBySubject.js';

type Call = NonNullable<Principal['aws']>[number];

const key = (e: Call) => JSON.stringify([e.eventSource, e.eventName, e.region, e.account, e.resources, e.implied]);

/**
 * Excess by negative samples: each principal that made calls is given, as if its own, every distinct
 * call the other principals made and it never did; the share its policy allows is its excess.
 */
export async function iamExcess(both: Profile, policies: KindPolicies<IamPolicySet>): Promise<Excess | undefined> {
  const negatives: Principal[] = [];
  for (const p of both.principals) {
    if ((p.aws?.length ?? 0) === 0) continue;
    const own = new Set((p.aws ?? []).map(key));
    const aws = new Map<string, Call>();
    for (const o of both.principals) {
      if (o === p) continue;
      for (const e of o.aws ?? [])
        if (e.allowed && !own.has(key(e)))
          aws.set(key(e), {
            eventSource: e.eventSource,
            eventName: e.eventName,
            resources: e.resources,
            implied: e.implied,
            ...(e.region ? { region: e.region } : {}),
            ...(e.account ? { account: e.account } : {}),
            allowed: e.allowed,
          });
    }
    if (aws.size) negatives.push({ ...p, aws: [...aws.values()] });
  }
  // Only the principals' negative samples: services', web identities' and SAML users' assumptions are what they did.
  const { serviceAssumptions: _, webIdentityAssumptions: __, samlAssumptions: ___, ...rest } = both;
  const sampled = { ...rest, principals: negatives, network: [], workloads: [] };
  const report = emptyReport(sampled);
  await verifyIam(sampled, policies.set, report);
  const v = report.byKind['iam'];
  return v?.observed ? { samples: v.observed, allowed: v.allowed, ...excessBySubject(report) } : undefined;
}
