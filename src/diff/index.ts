import { KIND_NAMES, KINDS, policyIssues, readAllPolicies, type KindName, type KindPolicies } from '../kinds/index.js';
import type { CompareContext, Comparison } from '../kinds/types.js';
import { RISK_ORDER, type CiFinding, type CiReport, type Finding, type VerifyReport } from '../model/finding.js';
import { cmp, type InputIssue } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';
import { kustomizeIssues } from '../policy/kustomize.js';
import { andList, pushAll } from '../util/array.js';
import { put } from '../util/own.js';
import { keptWidenings, usedGrantKeys } from './kept.js';

export type { CiEvidence, CiFinding, CiReport, FindingType, Location } from '../model/finding.js';

/** A set of policy files read as every kind's policies. */
export interface PolicySide {
  docs: PolicyDoc[];
  policies: Map<KindName, KindPolicies<unknown>>;
  issues: InputIssue[];
}

export function loadSide(docs: PolicyDoc[], issues: InputIssue[] = []): PolicySide {
  const policies = readAllPolicies(docs);
  return { docs, policies, issues: [...issues, ...kustomizeIssues(docs), ...policyIssues(policies)] };
}

/** What diff and check know beside the policies: evidence, the workloads NetworkPolicies are compared over. */
export interface CompareOptions {
  kinds: KindName[];
  /** The text of every policy file, for file:line locations. */
  texts: Map<string, string>;
  profile?: Profile;
  inventory?: CompareContext['inventory'];
  /** The network plugin enforcing NetworkPolicies, when known (`--network-plugin`, or the inventory's agents). */
  plugin?: CompareContext['plugin'];
  /** false: the cluster removed Kubernetes' default RBAC bindings (`--no-default-grants`). */
  defaultGrants?: false;
}

const emptyReport = (command: CiReport['command'], kinds: KindName[]): CiReport => ({
  command,
  newAccess: [],
  removedAccess: [],
  undetermined: [],
  wouldDeny: [],
  unused: [],
  unusedShare: {},
  kinds,
});

async function comparisons(
  sides: PolicySide[],
  opts: CompareOptions,
  newSide?: number,
): Promise<Map<KindName, Comparison>> {
  const ctx: CompareContext = {
    texts: opts.texts,
    names: ['base', 'head'],
    ...(newSide === undefined ? {} : { newSide }),
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.inventory ? { inventory: opts.inventory } : {}),
    ...(opts.plugin ? { plugin: opts.plugin } : {}),
    ...(opts.defaultGrants === false ? { defaultGrants: false as const } : {}),
  };
  const out = new Map<KindName, Comparison>();
  for (const k of KIND_NAMES.filter((n) => opts.kinds.includes(n)))
    out.set(
      k,
      await KINDS[k].compare(
        sides.map((s) => ({ policies: s.policies.get(k)!, docs: s.docs })),
        ctx,
      ),
    );
  return out;
}

function groupBy<G>(xs: G[], key: (g: G) => string): G[][] {
  const m = new Map<string, G[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

/**
 * A policy change as a reviewer reads it: what HEAD (the proposed policy) allows that BASE does not
 * (new access, located on HEAD's files) and the reverse (removed access, on BASE's), each kind's
 * grants judged by the other side's evaluator, one finding per rule or statement (a wildcard's
 * expansion collapsed into it), ranked by risk. Undetermined: grants one side cannot state
 * (conditions, aggregated roles without sources) and comparisons the other side cannot decide.
 */
export async function diffPolicies(base: PolicySide, head: PolicySide, opts: CompareOptions): Promise<CiReport> {
  const report = emptyReport('diff', opts.kinds);
  // HEAD (side 1) is the proposed policy: its gains are the new access.
  const kinds = await comparisons([base, head], opts, 1);
  const directions: [number, number, 'removed-access' | 'new-access'][] = [
    [0, 1, 'removed-access'],
    [1, 0, 'new-access'],
  ];
  for (const [from, to, type] of directions) {
    for (const c of kinds.values()) {
      const { grants, undetermined, changes } = await c.grants(from);
      pushAll(report.undetermined, undetermined);
      const list = type === 'new-access' ? report.newAccess : report.removedAccess;
      for (const f of changes ?? []) list.push({ ...f, type });
      const missing: unknown[] = [];
      // Grants this side surely allows and the other only under a Condition of its own: a restriction one side
      // drops (removing an IAM Condition from a pull request widens it), so a change, not an open question.
      const restricted: unknown[] = [];
      for (const g of grants) {
        const cov = c.covered(g, to);
        if (cov === 'no') missing.push(g);
        else if (cov !== 'yes') {
          if (cov.context && c.covered(g, from) === 'yes') restricted.push(g);
          else report.undetermined.push({ ...c.finding('undetermined', [g]), detail: cov.undetermined });
        }
      }
      for (const group of groupBy(missing, (g) => (c.changeKey ?? c.groupKey)(g)))
        list.push(c.finding(type, group, c.evidence?.(group, to)));
      const [names, other] = [['BASE', 'HEAD'][from]!, ['BASE', 'HEAD'][to]!];
      for (const group of groupBy(restricted, (g) => (c.changeKey ?? c.groupKey)(g))) {
        // What the other side restricts it with, as the kind names it (a NetworkPolicy's L7 rule), else IAM's words.
        const own = new Set<string>();
        for (const g of group) {
          const cov = c.covered(g, to);
          if (cov !== 'yes' && cov !== 'no') for (const r of cov.restrictions ?? []) own.add(r);
        }
        const under = own.size
          ? `${andList([...own].sort(cmp))} of its own`
          : 'a Condition of its own (or a conditional Deny may refuse it)';
        list.push({
          ...c.finding(type, group, c.evidence?.(group, to)),
          detail: `${other} allows it only under ${under}; ${names} allows it without one`,
        });
      }
    }
  }
  sortReport(report);
  return report;
}

/**
 * The drift gate: what the fresh logs did that the committed policies would deny (from `verify`), and
 * what the committed policies grant that the logs never used, with the unused share per principal.
 */
export async function checkPolicies(
  committed: PolicySide,
  verify: VerifyReport,
  opts: CompareOptions & {
    profile: Profile;
    /** Where the policy files' paths are relative to: the evidence `generate` wrote beside them is read from there. */
    cwd?: string;
  },
): Promise<CiReport> {
  const report = emptyReport('check', opts.kinds);
  const kinds = await comparisons([committed], opts);
  // A would-be denial comes from no rule; it points at the policy file of its principal, so CI
  // annotations and code scanning can show it where the fix goes.
  const judged = (type: 'would-deny' | 'undetermined', f: Finding): CiFinding => {
    const { access, summary } = KINDS[f.kind].describe(f);
    return {
      type,
      kind: f.kind,
      principal: f.subject,
      access,
      summary,
      evidence: {
        used: true,
        count: f.evidence.count,
        firstSeen: f.evidence.firstSeen,
        lastSeen: f.evidence.lastSeen,
        samples: f.evidence.samples,
      },
      locations: kinds.get(f.kind)?.locate(f, 0) ?? [],
      ...(f.detail ? { detail: f.detail } : {}),
    } as CiFinding;
  };
  for (const f of verify.notAllowed) report.wouldDeny.push(judged('would-deny', f));
  for (const f of verify.undetermined) report.undetermined.push(judged('undetermined', f));
  // Each grant once, used or not: the unused share counts them; the used ones tell the kept widenings (kept.ts).
  const judgedGrants: CiFinding[] = [];
  const used = new Set<string>();
  const partlyUsed = new Map<CiFinding, string>();
  for (const c of kinds.values()) {
    const { grants, undetermined, unused, partlyUsed: partly } = await c.grants(0);
    pushAll(report.undetermined, undetermined);
    pushAll(report.unused, unused ?? []);
    for (const p of partly ?? []) partlyUsed.set(p.finding, p.grant);
    for (const group of groupBy(grants, (g) => c.groupKey(g))) {
      const ev = c.evidence!(group);
      const f = c.finding('unused', group, ev);
      judgedGrants.push(f);
      if (ev.used) for (const k of usedGrantKeys(f)) used.add(k);
      else report.unused.push(f);
    }
  }
  // What generate wrote as a listed widening (its evidence beside the policy says so) is kept, not unused.
  const kept =
    opts.cwd === undefined ? new Map() : await keptWidenings(report.unused, { cwd: opts.cwd, used, partlyUsed });
  if (kept.size) {
    report.kept = report.unused
      .filter((f) => kept.has(f))
      .map((f) => ({ ...f, type: 'kept-widening' as const, detail: kept.get(f)! }));
    report.unused = report.unused.filter((f) => !kept.has(f));
  }
  const totals = new Map<string, { all: number; unused: number }>();
  for (const f of judgedGrants) {
    const t = totals.get(f.principal) ?? { all: 0, unused: 0 };
    t.all++;
    if (!f.evidence?.used && !kept.has(f)) t.unused++;
    totals.set(f.principal, t);
  }
  for (const k of [...totals.keys()].sort(cmp)) {
    const t = totals.get(k)!;
    put(report.unusedShare, k, Math.round((t.unused / t.all) * 100) / 100);
  }
  sortReport(report);
  return report;
}

/**
 * Each list once per (kind, principal, words, detail); changes riskiest first, then every list in
 * (kind, principal, words) order.
 */
function sortReport(r: CiReport): void {
  const rank = (f: CiFinding) => (f.risk ? RISK_ORDER[f.risk.level] : 3);
  const key = (f: CiFinding) => JSON.stringify([f.kind, f.principal, f.summary]);
  for (const list of [r.newAccess, r.removedAccess, r.undetermined, r.wouldDeny, r.unused, r.kept ?? []]) {
    const ranked = list === r.newAccess || list === r.removedAccess;
    const seen = new Set<string>();
    const uniq = list.filter((f) => {
      const k = JSON.stringify([f.kind, f.principal, f.summary, f.detail ?? '']);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    uniq.sort((a, b) => (ranked ? rank(a) - rank(b) : 0) || cmp(key(a), key(b)));
    list.length = 0;
    pushAll(list, uniq);
  }
}
