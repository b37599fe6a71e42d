import type { Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { AwsEdge, K8sEdge, Principal } from '../model/profile.js';
import { canonicalSubject, compareLinks, sortCreated } from './order.js';
import { roleSessionsOf, type PrincipalState } from './principalState.js';

/** One principal as the profile has it, made from the builder's state and its edges. */
export function principalFromState(
  p: PrincipalState,
  k8s: K8sEdge[],
  aws: AwsEdge[] | undefined,
  toEvidence: (ev: number) => Evidence,
): Principal {
  const pr: Principal = {
    subject: canonicalSubject(p.subject),
    username: p.username,
    groups: [...p.groups].sort(cmp),
    k8s,
  };
  if (aws) pr.aws = aws;
  if (p.links.size) {
    pr.assumes = [...p.links.values()].sort(compareLinks).map((l) => {
      const providers = l.providers.size ? { providers: [...l.providers].sort(cmp) } : {};
      const clusters = l.clusters.size ? { clusters: [...l.clusters].sort(cmp) } : {};
      return { roleArn: l.roleArn, via: l.via, ...providers, ...clusters, evidence: toEvidence(l.ev) };
    });
  }
  if (p.created.size)
    pr.created = sortCreated(
      [...p.created.values()].map((c) => ({
        namespace: c.namespace,
        apiGroup: c.apiGroup,
        resource: c.resource,
        names: [...c.set],
        ...(c.gen.size ? { generated: [...c.gen] } : {}),
      })),
    );
  if (p.createdArns?.size) pr.createdArns = [...p.createdArns].sort(cmp);
  const sessions = roleSessionsOf(p);
  if (sessions) pr.roleSessions = sessions;
  if (p.outsideRbac) pr.outsideRbac = { ...p.outsideRbac };
  return pr;
}
