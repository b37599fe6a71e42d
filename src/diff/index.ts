import { callPermissions } from '../generate/iam/permissions.js';
import { mergeEvidence, type Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import { mergeFlowEvidence, type FlowEvidence, type Peer } from '../model/network.js';
import { grantEvidence, isGrantable, type Profile } from '../model/profile.js';
import { isAwsKind } from '../model/subject.js';
import type { VerifyReport } from '../model/finding.js';
import {
  iamCovered,
  iamGrants,
  netGrants,
  netKey,
  policyName,
  rbacCovered,
  rbacGrants,
  type IamGrant,
  type Kind,
  locate,
  type Location,
  type NetGrant,
  type PolicySide,
  type RbacGrant,
  type Undetermined,
  type Universe,
} from './grants.js';

/** What a CI finding says: evidence when logs or a profile were given. */
export interface CiEvidence {
  used: boolean;
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

export type FindingType = 'granted' | 'revoked' | 'undetermined' | 'would-deny' | 'unused';

/** One finding per principal and access, the affected resources listed inside it (docs/formats.md). */
export interface CiFinding {
  type: FindingType;
  kind: Kind;
  /** Subject, IAM principal (`<account>/<name>` or its ARN) or source workload. */
  principal: string;
  /**
   * RBAC: namespace ('' = cluster-wide), apiGroup, resource, verb, names; IAM: action, resources; netpol: from, to,
   * protocol, port.
   */
  access: Record<string, unknown>;
  /** The access in words, for people: `get configmaps web-config in shop`. */
  summary: string;
  evidence?: CiEvidence;
  locations: Location[];
  detail?: string;
}

export interface CiReport {
  command: 'diff' | 'check';
  granted: CiFinding[];
  revoked: CiFinding[];
  undetermined: CiFinding[];
  wouldDeny: CiFinding[];
  unused: CiFinding[];
  /** check: share of each principal's grants that the logs never used. */
  unusedShare: Record<string, number>;
  /** Kinds compared or checked. */
  kinds: Kind[];
}

// ---- grouping grants into findings -----------------------------------------------------------

interface Group<G> {
  key: string;
  principal: string;
  items: G[];
}

function groupBy<G>(xs: G[], key: (g: G) => string, principal: (g: G) => string): Group<G>[] {
  const m = new Map<string, Group<G>>();
  for (const x of xs) {
    const k = key(x);
    let g = m.get(k);
    if (!g) m.set(k, (g = { key: k, principal: principal(x), items: [] }));
    g.items.push(x);
  }
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

const rbacGroupKey = (g: RbacGrant) =>
  [g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb].join('\u0000');
const iamGroupKey = (g: IamGrant) => [g.principal, g.action.toLowerCase()].join('\u0000');

function rbacSummary(items: RbacGrant[]): string {
  const g = items[0]!;
  if (g.nonResourceURL) return `${g.verb} ${items.map((i) => i.nonResourceURL).join(', ')}`;
  const res = g.subresource ? `${g.resource}/${g.subresource}` : g.resource;
  const names = items.map((i) => i.name).filter((n) => n !== '*');
  const group = g.apiGroup ? `.${g.apiGroup}` : '';
  return `${g.verb} ${res}${group}${names.length && names.length === items.length ? ' ' + names.join(', ') : ''}${g.namespace ? ' in ' + g.namespace : ' (cluster-wide)'}`;
}

function rbacFinding(type: FindingType, grp: Group<RbacGrant>, evidence?: CiEvidence): CiFinding {
  const g = grp.items[0]!;
  const names = [...new Set(grp.items.map((i) => i.name))].sort(cmp);
  return {
    type,
    kind: 'rbac',
    principal: g.subject,
    access: g.nonResourceURL
      ? { verb: g.verb, nonResourceURLs: [...new Set(grp.items.map((i) => i.nonResourceURL))].sort(cmp) }
      : {
          namespace: g.namespace,
          apiGroup: g.apiGroup,
          resource: g.subresource ? `${g.resource}/${g.subresource}` : g.resource,
          verb: g.verb,
          resourceNames: names.includes('*') ? [] : names,
        },
    summary: rbacSummary(grp.items),
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(grp.items.map((i) => i.at)),
  };
}

function iamFinding(
  type: FindingType,
  grp: Group<IamGrant>,
  label: (p: string) => string,
  evidence?: CiEvidence,
): CiFinding {
  const g = grp.items[0]!;
  const resources = [...new Set(grp.items.map((i) => i.resource))].sort(cmp);
  return {
    type,
    kind: 'iam',
    principal: label(g.principal),
    access: { action: g.action, resources },
    summary: `${g.action} on ${resources.length > 3 ? `${resources.slice(0, 3).join(', ')} and ${resources.length - 3} more` : resources.join(', ')}`,
    ...(evidence ? { evidence } : {}),
    locations: uniqueLocations(grp.items.map((i) => i.at)),
  };
}

function netFinding(type: FindingType, g: NetGrant, evidence?: CiEvidence): CiFinding {
  return {
    type,
    kind: 'netpol',
    principal: g.from,
    access: { from: g.from, to: g.to, protocol: g.protocol, port: g.port },
    summary: `${g.from} → ${g.to} ${g.protocol}/${g.port}`,
    ...(evidence ? { evidence } : {}),
    locations: [g.at],
  };
}

function undeterminedFinding(u: Undetermined): CiFinding {
  return {
    type: 'undetermined',
    kind: u.kind,
    principal: u.subject,
    access: {},
    summary: u.detail,
    locations: [u.at],
    detail: u.detail,
  };
}

function uniqueLocations(ls: Location[]): Location[] {
  const m = new Map(ls.map((l) => [`${l.file}:${l.line}`, l]));
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

// ---- evidence from a profile -----------------------------------------------------------------

const noEvidence = (): CiEvidence => ({ used: false, count: 0, firstSeen: '', lastSeen: '', samples: [] });

function fromEvidence(ev: Evidence | undefined): CiEvidence {
  return ev
    ? {
        used: true,
        count: ev.count,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

function fromFlow(ev: FlowEvidence | undefined): CiEvidence {
  return ev
    ? {
        used: true,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

const wild = (pattern: string, v: string) => pattern === '*' || pattern === v;

/** Evidence of the profile's accesses that an RBAC group covers. */
function rbacEvidence(profile: Profile, grp: Group<RbacGrant>): CiEvidence {
  let ev: Evidence | undefined;
  const g = grp.items[0]!;
  const names = new Set(grp.items.map((i) => i.name));
  for (const p of profile.principals) {
    if (p.username !== g.subject && !(g.subjectKind === 'Group' && p.groups.includes(g.subject))) continue;
    for (const e of p.k8s) {
      if (!isGrantable(e)) continue;
      const ok = g.nonResourceURL
        ? e.nonResourceURL !== '' &&
          grp.items.some(
            (i) =>
              i.nonResourceURL === e.nonResourceURL ||
              (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(i.nonResourceURL.slice(0, -1))),
          ) &&
          wild(g.verb, e.verb)
        : e.nonResourceURL === '' &&
          (g.namespace === '' || g.namespace === e.namespace) &&
          wild(g.apiGroup, e.apiGroup) &&
          wild(g.resource, e.resource) &&
          (g.subresource === e.subresource || g.subresource === '*') &&
          wild(g.verb, e.verb) &&
          (names.has('*') || names.has(e.name));
      if (!ok) continue;
      const x = grantEvidence(e)!;
      ev = ev ? mergeEvidence(ev, x) : x;
    }
  }
  return fromEvidence(ev);
}

const globRe = (pattern: string, flags = '') =>
  new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
        .join('') +
      '$',
    flags,
  );

/** Each IAM principal's needed permissions with evidence, by `<account>/<name>`. */
async function iamUsage(profile: Profile): Promise<Map<string, { action: string; resource: string; ev: Evidence }[]>> {
  const out = new Map<string, { action: string; resource: string; ev: Evidence }[]>();
  for (const p of profile.principals) {
    if (!isAwsKind(p.subject.kind)) continue;
    const { account, name } = policyName(p.username);
    const list: { action: string; resource: string; ev: Evidence }[] = [];
    for (const e of p.aws ?? []) {
      if (!e.allowed) continue;
      const needed = await callPermissions(e);
      if (needed.kind !== 'actions') continue;
      for (const perm of needed.permissions)
        for (const r of perm.resources) list.push({ action: perm.action, resource: r, ev: e.allowed });
    }
    out.set(`${account}/${name}`, list);
  }
  return out;
}

function iamEvidence(
  usage: Map<string, { action: string; resource: string; ev: Evidence }[]>,
  grp: Group<IamGrant>,
): CiEvidence {
  let ev: Evidence | undefined;
  const action = globRe(grp.items[0]!.action, 'i');
  const resources = grp.items.map((i) => globRe(i.resource));
  for (const u of usage.get(grp.principal) ?? []) {
    if (!action.test(u.action) || !resources.some((r) => r.test(u.resource))) continue;
    ev = ev ? mergeEvidence(ev, u.ev) : u.ev;
  }
  return fromEvidence(ev);
}

/** Names as the universe gives them: `ns/name` for workloads, the address for nodes and IPs. */
const peerName = (p: Peer) => (p.kind === 'workload' ? `${p.namespace}/${p.name}` : p.ip);

function netEvidence(profile: Profile, g: NetGrant): CiEvidence {
  let ev: FlowEvidence | undefined;
  for (const e of profile.network ?? []) {
    if (
      !e.allowed ||
      peerName(e.from) !== g.from ||
      peerName(e.to) !== g.to ||
      e.protocol !== g.protocol ||
      e.port !== g.port
    )
      continue;
    ev = ev ? mergeFlowEvidence(ev, e.allowed) : e.allowed;
  }
  return fromFlow(ev);
}

/** Names IAM principals by ARN when the profile knows them. */
function iamLabeler(profile: Profile | undefined): (p: string) => string {
  const arns = new Map<string, string>();
  for (const pr of profile?.principals ?? []) {
    if (!isAwsKind(pr.subject.kind)) continue;
    const { account, name } = policyName(pr.username);
    arns.set(`${account}/${name}`, pr.username);
  }
  return (p) => arns.get(p) ?? p;
}

// ---- diff ---------------------------------------------------------------------------------------

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

// ---- check --------------------------------------------------------------------------------------

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
  let access: Record<string, unknown>;
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

function sortReport(r: CiReport): void {
  const key = (f: CiFinding) => `${f.kind}\u0000${f.principal}\u0000${f.summary}`;
  for (const list of [r.granted, r.revoked, r.undetermined, r.wouldDeny, r.unused]) {
    const seen = new Set<string>();
    const uniq = list.filter((f) => {
      const k = key(f) + '\u0000' + (f.detail ?? '');
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    uniq.sort((a, b) => cmp(key(a), key(b)));
    list.splice(0, list.length, ...uniq);
  }
}
