import { describeAccess } from '../../model/access.js';
import { grantableEdges, grantEvidence, isGrantable, type Profile } from '../../model/profile.js';
import { checkGaps } from '../../generate/rbac/checks.js';
import { isAwsKind, k8sRequester, subjectKey } from '../../model/subject.js';
import { RbacGenerator } from '../../generate/rbac/index.js';
import type { RuleWithEvidence } from '../../generate/rbac/rules.js';
import type { K8sEdge } from '../../model/profile.js';
import { widenedWords } from './granted.js';
import { defaultGrantMatcher } from '../../knowledge/kubernetes/defaultGrants.js';
import {
  riskRow,
  sparseWarning,
  type Permission,
  type PrincipalSection,
  type ReportContext,
  type ReportPart,
} from '../../report/types.js';
import { k8sRiskList } from './risks.js';
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
  const principals = profile.principals.filter((x) => !isAwsKind(x.subject.kind));
  // The generator with its default options, as the report's widenings are: which rule covers each request.
  const generator = new RbacGenerator();
  for (const p of principals) generator.survey(p);
  for (const p of principals) {
    reads.add(p);
    const ruleOf = new Map<K8sEdge, RuleWithEvidence>();
    for (const rule of generator.principal(p).rules) for (const e of rule.observed) ruleOf.set(e, rule);
    // A widened rule is listed once among the risky permissions, as what it grants, beside the first request it covers.
    const listed = new Set<RuleWithEvidence>();
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
      const found = isDenied ? [] : k8sRiskList(e);
      const r = found.map((x) => x.reason);
      // Discovery, health, self-reviews: every cluster grants them (generate writes no rule for them by default).
      const byDefault = isDenied || e.implied ? undefined : grantOf(e);
      perms.push({
        text: byDefault ? `${describeAccess(e)} (granted by default: ${byDefault})` : describeAccess(e),
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((x) => x.id),
        denied: isDenied,
        risks: r,
      });
      const rule = isDenied ? undefined : ruleOf.get(e);
      const widened = rule && widenedWords(rule, e);
      if (rule && widened) {
        // What the policy grants: every verb of the rule, on any name where the names were dropped.
        const row = riskRow(
          p.username,
          widened,
          rule.rule.verbs.flatMap((verb) => k8sRiskList({ ...e, verb })),
        );
        if (row && !listed.has(rule)) {
          listed.add(rule);
          part.risks.push(row);
        }
      } else {
        const row = riskRow(p.username, describeAccess(e), found);
        if (row) part.risks.push(row);
      }
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
      // Generate keys its widenings by subject (`serviceaccount:ci:job-runner`, `user:alice@acme.example`).
      widenings: ctx.widened.get(subjectKey(p.subject)) ?? [],
    };
    part.sections.push(section);
    const thin = sparseWarning(section);
    if (thin) part.sparse.push(thin);
  }
  for (const r of sessions.list()) part.coverage.push(sessionWarning(r));
  const noReads = reads.warning();
  if (noReads) part.coverage.push(noReads);
  const scc = sccCoverage(principals);
  if (scc) part.coverage.push(sccWarning(scc.writers, scc.fromInventory));
  return part;
}
