import { tally, type Finding, type FindingEvidence, type VerifyReport } from '../model/finding.js';
import type { Evidence } from '../model/evidence.js';
import { grantEvidence, isGrantable, type K8sEdge, type Principal, type Profile } from '../model/profile.js';
import type { RbacPolicySet, RbacRequest } from './rbac/types.js';

/**
 * Replay every authorized access of the profile against RBAC policies. Uses the evaluator in
 * ./rbac/, which follows Kubernetes' authorizer and shares no code with the generator.
 */
export function verifyRbac(
  profile: Profile,
  policies: RbacPolicySet,
  report: VerifyReport = emptyReport(profile),
): VerifyReport {
  let observed = 0;
  let allowed = 0;
  for (const p of profile.principals) {
    for (const e of p.k8s) {
      if (e.denied && !e.allowed) report.denied.push(finding(p, e, e.denied));
      if (!isGrantable(e)) continue;
      observed++;
      const d = policies.authorize(request(p, e));
      tally(report, p.username, d.result === 'allow');
      if (d.result === 'allow') allowed++;
      else if (d.result === 'deny') report.notAllowed.push(finding(p, e, grantEvidence(e)!));
      else report.undetermined.push({ ...finding(p, e, grantEvidence(e)!), detail: d.reasons.join('; ') });
    }
  }
  report.observed += observed;
  report.allowed += allowed;
  report.byKind['rbac'] = { observed, allowed };
  return report;
}

/** A report with nothing replayed yet: the profile's skipped counts. */
export function emptyReport(profile: Profile): VerifyReport {
  return {
    observed: 0,
    allowed: 0,
    notAllowed: [],
    undetermined: [],
    skipped: { ...profile.skipped },
    byKind: {},
    denied: [],
  };
}

/** The request a principal's access stands for. A group principal is replayed as an anonymous member. */
function request(p: Principal, e: K8sEdge): RbacRequest {
  const isGroup = p.subject.kind === 'Group';
  return {
    username: isGroup ? '' : p.username,
    groups: isGroup ? [p.username] : p.groups,
    verb: e.verb,
    apiGroup: e.apiGroup,
    resource: e.resource,
    subresource: e.subresource,
    namespace: e.namespace,
    name: e.name,
    nonResourceURL: e.nonResourceURL,
  };
}

function finding(p: Principal, e: K8sEdge, ev: Evidence): Finding {
  const { allowed: _a, denied: _d, undecided: _u, ...access } = e;
  return { kind: 'rbac', subject: p.username, subjectKind: p.subject.kind, access, evidence: findingEvidence(ev) };
}

export function findingEvidence(ev: Evidence): FindingEvidence {
  return { count: ev.count, firstSeen: ev.firstSeen, lastSeen: ev.lastSeen, samples: ev.samples.map((s) => s.id) };
}
