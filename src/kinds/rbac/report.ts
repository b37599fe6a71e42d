import { describeAccess } from '../../model/access.js';
import { grantableEdges, grantEvidence, isGrantable, type Profile } from '../../model/profile.js';
import { checkGaps } from '../../generate/rbac/checks.js';
import { isAwsKind, k8sRequester } from '../../model/subject.js';
import { defaultGrantMatcher } from '../../knowledge/kubernetes/defaultGrants.js';
import {
  sparseWarning,
  type Permission,
  type PrincipalSection,
  type ReportContext,
  type ReportPart,
} from '../../report/types.js';
import { k8sRisks } from './risks.js';
import { SessionUsers, sessionWarning } from '../../knowledge/kubernetes/sessionUsers.js';
import { ReadsLogged } from '../../knowledge/kubernetes/readsLogged.js';
import { PRIVILEGED_GROUP, privilegedGroupWarning } from '../../knowledge/kubernetes/managedIdentities.js';
import { outsideRbacWarning } from '../../knowledge/kubernetes/outsideRbac.js';
import { sccCoverage, sccWarning } from '../../knowledge/kubernetes/openShift.js';

/** The report's Kubernetes principals: each request they made, risky ones flagged, their role links. */
export function rbacReport(profile: Profile, ctx: ReportContext): ReportPart {
  const part: ReportPart = { sections: [], risks: [], coverage: [], sparse: [], dropped: [], denied: 0, once: 0 };
  const sessions = new SessionUsers();
  const reads = new ReadsLogged();
  for (const p of profile.principals.filter((x) => !isAwsKind(x.subject.kind))) {
    reads.add(p);
    if (p.k8s.some(isGrantable)) sessions.add(p);
    if (p.k8s.some(isGrantable) && p.groups.includes(PRIVILEGED_GROUP))
      part.coverage.push(privilegedGroupWarning(p.username));
    if (p.outsideRbac) part.coverage.push(outsideRbacWarning(p.username, p.outsideRbac));
    // RBAC writes whose bind or escalate check the logs cannot show: generate grants none, production makes it.
    for (const g of checkGaps(p, grantableEdges(p)))
      part.coverage.push(`${g.subject}: ${describeAccess(g.access)}: ${g.reason}`);
    const perms: Permission[] = [];
    const grantOf = defaultGrantMatcher(k8sRequester(p.subject, p.username, p.groups));
    for (const e of p.k8s) {
      const ev = grantEvidence(e) ?? e.denied!;
      const isDenied = !isGrantable(e);
      if (isDenied) part.denied++;
      const r = isDenied ? [] : k8sRisks(e);
      // Discovery, health, self-reviews: every cluster grants them (generate writes no rule for them by default).
      const byDefault = isDenied || e.implied ? undefined : grantOf(e);
      perms.push({
        text: byDefault ? `${describeAccess(e)} (granted by default: ${byDefault})` : describeAccess(e),
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        denied: isDenied,
        risks: r,
      });
      if (r.length) part.risks.push({ principal: p.username, permission: describeAccess(e), reasons: r });
      if (!isDenied && ev.count === 1) part.once++;
    }
    const links = (p.assumes ?? []).map((l) => `assumes ${l.roleArn} (${l.via}, ${l.evidence.count}×)`);
    const section: PrincipalSection = {
      kind: 'kubernetes',
      name: p.username,
      subjectKind: p.subject.kind,
      permissions: perms,
      links,
      events: perms.reduce((n, x) => n + x.count, 0),
      widenings: ctx.widened.get(p.username) ?? [],
    };
    part.sections.push(section);
    const thin = sparseWarning(section);
    if (thin) part.sparse.push(thin);
  }
  for (const r of sessions.list()) part.coverage.push(sessionWarning(r));
  const noReads = reads.warning();
  if (noReads) part.coverage.push(noReads);
  const scc = sccCoverage(profile.principals.filter((x) => !isAwsKind(x.subject.kind)));
  if (scc) part.coverage.push(sccWarning(scc.writers, scc.fromInventory));
  return part;
}
