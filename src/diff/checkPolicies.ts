import { cmp } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import type { VerifyReport } from '../model/finding.js';
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
  type CiEvidence,
  type CiFinding,
  type CiReport,
  type FindingType,
  type CiAccess,
} from './findings.js';
import { locate, policyName, type Kind, type Location, type PolicySide, type Universe } from './grants.js';
import { iamGrants } from './iamGrants.js';
import { netGrants } from './netGrants.js';
import { rbacGrants } from './rbacGrants.js';

/**
 * The drift gate: what the fresh logs did that the committed policies would deny (from `verify`), and
 * what the committed policies grant that the logs never used, with the unused share per principal.
 */
export async function checkPolicies(
  committed: PolicySide,
  verify: VerifyReport,
  opts: { kinds: Kind[]; universe: Universe; profile: Profile; texts: Map<string, string> },
): Promise<CiReport> {
  const report: CiReport = {
    command: 'check',
    granted: [],
    revoked: [],
    undetermined: [],
    wouldDeny: [],
    unused: [],
    unusedShare: {},
    kinds: opts.kinds,
  };
  // A would-be denial comes from no rule; it points at the policy file of its principal, so CI
  // annotations and code scanning can show it where the fix goes.
  const where = (f: VerifyReport['notAllowed'][number]) => principalLocation(committed, f, opts.texts);
  for (const f of verify.notAllowed) report.wouldDeny.push({ ...fromVerify('would-deny', f), locations: where(f) });
  for (const f of verify.undetermined)
    report.undetermined.push({ ...fromVerify('undetermined', f), locations: where(f) });
  const p = opts.profile;
  const label = iamLabeler(p);
  const totals = new Map<string, { all: number; unused: number }>();
  const count = (principal: string, used: boolean) => {
    const t = totals.get(principal) ?? { all: 0, unused: 0 };
    t.all++;
    if (!used) t.unused++;
    totals.set(principal, t);
  };
  if (opts.kinds.includes('rbac')) {
    const { grants, undetermined } = rbacGrants(committed, opts.texts);
    report.undetermined.push(...undetermined.map(undeterminedFinding));
    for (const grp of groupBy(grants, rbacGroupKey, (g) => g.subject)) {
      const ev = rbacEvidence(p, grp);
      count(grp.principal, ev.used);
      if (!ev.used) report.unused.push(rbacFinding('unused', grp, ev));
    }
  }
  if (opts.kinds.includes('iam')) {
    const usage = await iamUsage(p);
    const { grants, undetermined } = await iamGrants(committed, opts.texts);
    report.undetermined.push(...undetermined.map((u) => undeterminedFinding({ ...u, subject: label(u.subject) })));
    for (const grp of groupBy(grants, iamGroupKey, (g) => g.principal)) {
      const ev = iamEvidence(usage, grp);
      count(label(grp.principal), ev.used);
      if (!ev.used) report.unused.push(iamFinding('unused', grp, label, ev));
    }
  }
  if (opts.kinds.includes('netpol')) {
    for (const g of netGrants(committed, committed, opts.universe)) {
      const ev = netEvidence(p, g);
      count(g.from, ev.used);
      if (!ev.used) report.unused.push(netFinding('unused', g, ev));
    }
  }
  for (const k of [...totals.keys()].sort(cmp)) {
    const t = totals.get(k)!;
    report.unusedShare[k] = Math.round((t.unused / t.all) * 100) / 100;
  }
  sortReport(report);
  return report;
}

function principalLocation(
  side: PolicySide,
  f: VerifyReport['notAllowed'][number],
  texts: Map<string, string>,
): Location[] {
  if (f.kind === 'rbac') {
    const g = side.rbac.grants().find((x) => x.binding.subjectName === f.subject);
    if (g)
      return [
        locate(
          g.binding.file,
          texts.get(g.binding.file),
          0,
          new RegExp(`name:\\s*['"]?${g.binding.bindingName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*$`),
        ),
      ];
  } else if (f.kind === 'iam') {
    const { account, name } = policyName(f.subject);
    const pol = side.iam.byPrincipal.get(`${account}/${name}`)?.[0];
    if (pol) return [{ file: pol.name, line: 1 }];
  } else {
    const ns = f.access.to.includes('/') ? f.access.to.split('/')[0] : f.access.from.split('/')[0];
    const doc = side.docs.find((d) => {
      const o = d.object as { kind?: string; metadata?: { namespace?: string } };
      return (o?.kind === 'NetworkPolicy' || o?.kind === 'CiliumNetworkPolicy') && o.metadata?.namespace === ns;
    });
    if (doc) return [{ file: doc.file, line: 1 }];
  }
  return [];
}

function fromVerify(type: FindingType, f: VerifyReport['notAllowed'][number]): CiFinding {
  const ev: CiEvidence = {
    used: true,
    count: f.evidence.count,
    firstSeen: f.evidence.firstSeen,
    lastSeen: f.evidence.lastSeen,
    samples: f.evidence.samples,
  };
  let summary: string;
  let access: CiAccess;
  if (f.kind === 'rbac') {
    const a = f.access;
    access = {
      namespace: a.namespace,
      apiGroup: a.apiGroup,
      resource: a.subresource ? `${a.resource}/${a.subresource}` : a.resource,
      verb: a.verb,
      resourceNames: a.name ? [a.name] : [],
      ...(a.nonResourceURL ? { nonResourceURLs: [a.nonResourceURL] } : {}),
    };
    summary = a.nonResourceURL
      ? `${a.verb} ${a.nonResourceURL}`
      : `${a.verb} ${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}${a.apiGroup ? '.' + a.apiGroup : ''}${a.name ? ' ' + a.name : ''}${a.namespace ? ' in ' + a.namespace : ' (cluster-wide)'}`;
  } else if (f.kind === 'iam') {
    access = {
      action: f.access.action,
      resources: f.access.resource ? [f.access.resource] : [],
      events: f.access.events,
    };
    summary = f.access.action
      ? `${f.access.action} on ${f.access.resource} (${f.access.events.join(', ')})`
      : f.access.events.join(', ');
  } else {
    access = { ...f.access };
    summary = `${f.access.from} → ${f.access.to} ${f.access.protocol}/${f.access.port}`;
  }
  return {
    type,
    kind: f.kind,
    principal: f.subject,
    access,
    summary,
    evidence: ev,
    locations: [],
    ...(f.detail ? { detail: f.detail } : {}),
  };
}
