import type { CiFinding } from '../../model/finding.js';
import type { AggregationFeed, AggregationRule } from '../../verify/rbac/feeds.js';
import type { RbacPolicySet } from '../../verify/rbac/types.js';
import { bindingLine, ruleLine } from './lines.js';
import { selectorCovers } from '../../util/labels.js';
import { uncovered } from '../../verify/rbac/covers.js';

/** Kubernetes' default roles built by aggregation (the API server's bootstrap policy). */
const DEFAULT_AGGREGATED = new Set(['admin', 'edit', 'view']);

/** A feed's identity across sides: the role, the role it feeds and its rules, each list in any order. */
function feedKey(f: AggregationFeed): string {
  const rules = f.rules.map((r) =>
    JSON.stringify([r.verbs, r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs].map((l) => [...l].sort())),
  );
  return JSON.stringify([f.role, f.into, rules.sort()]);
}

/** A rule in words: `get, list secrets`, `get /healthz`. */
function ruleText(r: AggregationFeed['rules'][number]): string {
  const what = [
    ...r.resources.map((res) => (r.apiGroups.some((g) => g !== '') ? `${res} (${r.apiGroups.join(', ')})` : res)),
    ...r.nonResourceURLs,
  ].join(', ');
  const names = r.resourceNames.length ? ` named ${r.resourceNames.join(', ')}` : '';
  return `${r.verbs.join(', ')} ${what}${names}`;
}

/**
 * `diff`: a ClusterRole whose labels extend an aggregated role (`view`, `edit`, `admin`, or one given), and that the
 * other side does not feed into it with the same rules, is a change as a whole and a high risk. No binding names it:
 * for a role not given the grants of bindings never show it, and for a given role whose other sources are not they
 * are only undetermined; in a cluster, every subject bound to the role it feeds gains its rules (a pull request adding
 * `get secrets` to `view` through a label passed `--fail-on any`).
 */
export function feedChanges(set: RbacPolicySet, other: RbacPolicySet, texts: Map<string, string>): CiFinding[] {
  const twins = new Set(other.feeds.map(feedKey));
  // What the other side feeds into each aggregated role, whichever of its ClusterRoles holds it.
  const into = new Map<string, AggregationFeed['rules']>();
  for (const f of other.feeds) into.set(f.into, [...(into.get(f.into) ?? []), ...f.rules]);
  const out: CiFinding[] = [];
  for (const f of set.feeds) {
    if (twins.has(feedKey(f))) continue;
    // The aggregated role gains nothing the other side does not give it: a rule moved between its sources, a source
    // renamed. Judged as the API server judges escalation (`uncovered`: each atom within a rule of the other side's).
    const theirs = into.get(f.into) ?? [];
    const gained = uncovered(theirs, f.rules, 3);
    if (gained.count === 0) continue;
    // What it adds: its rules as written when the other side holds none of them, else the first few atoms it adds.
    const more = gained.count - gained.first.length;
    const rules = !f.rules.length
      ? 'no rules'
      : gained.count < uncovered([], f.rules, 0).count
        ? gained.first.map(ruleText).join('; ') + (more > 0 ? `; and ${more} more` : '')
        : f.rules.map(ruleText).join('; ');
    const builtin = DEFAULT_AGGREGATED.has(f.into) ? ", one of Kubernetes' default roles" : '';
    out.push({
      type: 'new-access',
      kind: 'rbac',
      principal: `every subject bound to ClusterRole ${f.into}`,
      access: { verb: '*' },
      summary: `ClusterRole ${f.role} aggregates into ClusterRole ${f.into}${f.given ? '' : ' (not among the policies given)'}: ${rules}`,
      risk: {
        level: 'high',
        reasons: [
          `extends ClusterRole ${f.into}${builtin} through its labels: every subject bound to it gains these rules, though no binding names ${f.role}`,
        ],
      },
      locations: [ruleLine(f.file, texts, 'ClusterRole', f.role, 0) ?? bindingLine(f.file, texts, f.role)],
    });
  }
  return out;
}

/**
 * `diff`: an aggregated ClusterRole whose aggregationRule the other side does not have (the same role, the same
 * selectors in any order) is a change as a whole and a high risk. The evaluator knows only the roles given, and keeps
 * a role's own rules when none of them is selected; in a cluster, the controller overwrites them with the rules of
 * every ClusterRole the selectors match (a pull request adding `aggregate-to-admin` to a bound role's aggregationRule,
 * its rules kept as they were, passed `--fail-on any`).
 */
export function aggregationRuleChanges(
  set: RbacPolicySet,
  other: RbacPolicySet,
  texts: Map<string, string>,
): CiFinding[] {
  const had = new Map(other.aggregations.map((a) => [a.role, a]));
  // The other side gathers at least as much when each selector of this rule is within one of its own
  // (`selectorCovers`: matchLabels as `In` of one, an `In` of more values): the same rule respelled, or a narrower one.
  const covered = (a: AggregationRule) => {
    const o = had.get(a.role);
    return !!o && (o.key === a.key || a.selectors.every((s) => o.selectors.some((t) => selectorCovers(t, s))));
  };
  return set.aggregations
    .filter((a) => !covered(a))
    .map((a) => ({
      type: 'new-access' as const,
      kind: 'rbac' as const,
      principal: `every subject bound to ClusterRole ${a.role}`,
      access: { verb: '*' },
      summary: `ClusterRole ${a.role} aggregates the ClusterRoles its aggregationRule selects: ${a.text}`,
      risk: {
        level: 'high' as const,
        reasons: [
          `its aggregationRule is not the other side's: every subject bound to it gains the rules of every ClusterRole of the cluster those selectors match, among the policies given or not (the aggregation controller overwrites the role's own rules with theirs)`,
        ],
      },
      locations: [bindingLine(a.file, texts, a.role)],
    }));
}
