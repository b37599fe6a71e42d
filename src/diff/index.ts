import type { Profile } from '../model/profile.js';
import { iamEvidence, iamLabeler, iamUsage, netEvidence, rbacEvidence } from './evidence.js';
import {
  groupBy,
  iamFinding,
  iamGroupKey,
  netFinding,
  rbacFinding,
  rbacGroupKey,
  sortReport,
  undeterminedFinding,
  type CiReport,
} from './findings.js';
import type { IamGrant, Kind, PolicySide, RbacGrant, Universe } from './grants.js';
import { iamCovered, iamGrants } from './iamGrants.js';
import { netGrants, netKey } from './netGrants.js';
import { rbacCovered, rbacGrants } from './rbacGrants.js';

export type { CiEvidence, CiFinding, CiReport, FindingType } from './findings.js';
export { checkPolicies } from './checkPolicies.js';

/**
 * Compare meaning: what GENERATED grants that COMMITTED does not (granted) and the reverse (revoked),
 * each judged by the other side's evaluator. Undetermined: grants one side cannot state (conditions,
 * aggregated roles without sources) and comparisons the other side cannot decide.
 */
export async function diffPolicies(
  committed: PolicySide,
  generated: PolicySide,
  opts: { kinds: Kind[]; universe: Universe; profile?: Profile; texts: Map<string, string> },
): Promise<CiReport> {
  const report: CiReport = {
    command: 'diff',
    granted: [],
    revoked: [],
    undetermined: [],
    wouldDeny: [],
    unused: [],
    unusedShare: {},
    kinds: opts.kinds,
  };
  const p = opts.profile;
  const usage = p && opts.kinds.includes('iam') ? await iamUsage(p) : new Map();
  const label = iamLabeler(p);
  const sides: [PolicySide, PolicySide, 'revoked' | 'granted'][] = [
    [committed, generated, 'revoked'],
    [generated, committed, 'granted'],
  ];
  for (const [from, to, type] of sides) {
    if (opts.kinds.includes('rbac')) {
      const { grants, undetermined } = rbacGrants(from, opts.texts);
      report.undetermined.push(...undetermined.map(undeterminedFinding));
      const missing: RbacGrant[] = [];
      for (const g of grants) {
        const c = rbacCovered(g, to);
        if (c === 'no') missing.push(g);
        else if (c === 'undetermined')
          report.undetermined.push({
            ...rbacFinding('undetermined', { key: '', principal: g.subject, items: [g] }),
            detail: `the ${type === 'revoked' ? 'generated' : 'committed'} side may grant it through something not given`,
          });
      }
      for (const grp of groupBy(missing, rbacGroupKey, (g) => g.subject))
        report[type].push(rbacFinding(type, grp, p ? rbacEvidence(p, grp) : undefined));
    }
    if (opts.kinds.includes('iam')) {
      const { grants, undetermined } = await iamGrants(from, opts.texts);
      report.undetermined.push(...undetermined.map((u) => undeterminedFinding({ ...u, subject: label(u.subject) })));
      const missing: IamGrant[] = [];
      for (const g of grants) {
        const c = iamCovered(g, to);
        if (c === 'no') missing.push(g);
        else if (c === 'undetermined')
          report.undetermined.push({
            ...iamFinding('undetermined', { key: '', principal: g.principal, items: [g] }, label),
            detail: 'a Condition on the other side may or may not allow it',
          });
      }
      for (const grp of groupBy(missing, iamGroupKey, (g) => g.principal))
        report[type].push(iamFinding(type, grp, label, p ? iamEvidence(usage, grp) : undefined));
    }
  }
  if (opts.kinds.includes('netpol')) {
    const a = netGrants(committed, generated, opts.universe);
    const b = netGrants(generated, committed, opts.universe);
    const ka = new Set(a.map(netKey));
    const kb = new Set(b.map(netKey));
    for (const g of a)
      if (!kb.has(netKey(g))) report.revoked.push(netFinding('revoked', g, p ? netEvidence(p, g) : undefined));
    for (const g of b)
      if (!ka.has(netKey(g))) report.granted.push(netFinding('granted', g, p ? netEvidence(p, g) : undefined));
  }
  sortReport(report);
  return report;
}
