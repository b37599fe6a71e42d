import { cmp } from '../../model/issue.js';
import { selectorMatches, type LabelSelector, type RoleDef, type Rule } from './objects.js';

/** The label prefix of Kubernetes' aggregated roles: `…/aggregate-to-view: "true"` adds a ClusterRole to `view`. */
const AGGREGATE_TO = 'rbac.authorization.k8s.io/aggregate-to-';

/** A ClusterRole whose labels add its rules to an aggregated ClusterRole. */
export interface AggregationFeed {
  role: string;
  /** The aggregated ClusterRole it feeds (`view`, `edit`, `admin`: built-ins no repository holds; or one given). */
  into: string;
  /** Whether `into` is among the policies (its aggregationRule selects the role). */
  given: boolean;
  rules: Rule[];
  file: string;
}

/**
 * ClusterRoles whose labels add their rules to an aggregated ClusterRole: one among the policies whose aggregationRule
 * selects them, or one not given named by an `rbac.authorization.k8s.io/aggregate-to-<role>: "true"` label
 * (Kubernetes' default roles aggregate `admin`, `edit` and `view` so, and `edit` and `view` feed the roles above
 * them). Every subject
 * bound to that role gains their rules, though no binding among the policies names them: `diff` reports a feed the
 * other side does not have, since when the aggregated role's other sources are not given its bindings alone say only
 * "undetermined". The last definition of a name counts, as `aggregate` reads them.
 */
export function aggregationFeeds(clusterRoles: RoleDef[]): AggregationFeed[] {
  const roles = [...new Map(clusterRoles.map((r) => [r.name, r])).values()];
  const aggregated = roles.filter((r) => r.selectors);
  const given = new Set(aggregated.map((r) => r.name));
  const out: AggregationFeed[] = [];
  for (const r of roles) {
    const into = new Set<string>();
    for (const a of aggregated)
      if (a.name !== r.name && a.selectors!.some((s) => selectorMatches(s, r.labels))) into.add(a.name);
    for (const [k, v] of Object.entries(r.labels)) {
      if (!k.startsWith(AGGREGATE_TO) || v !== 'true') continue;
      const name = k.slice(AGGREGATE_TO.length);
      if (name && !given.has(name)) into.add(name);
    }
    for (const name of into)
      out.push({ role: r.name, into: name, given: given.has(name), rules: r.rules, file: r.file });
  }
  return out.sort((a, b) =>
    a.role < b.role ? -1 : a.role > b.role ? 1 : a.into < b.into ? -1 : a.into > b.into ? 1 : 0,
  );
}

/** An aggregated ClusterRole's aggregationRule: what it gathers in a cluster, whichever roles the files give. */
export interface AggregationRule {
  role: string;
  /** The selectors in a canonical form: the same rule whatever the order of selectors, labels and values. */
  key: string;
  /** The selectors in words (`rbac.authorization.k8s.io/aggregate-to-admin=true`; `every ClusterRole` for `{}`). */
  text: string;
  /** The selectors as read: a ClusterRole any of them matches is gathered. */
  selectors: LabelSelector[];
  file: string;
}

/** One selector in words, and in a canonical form. */
function selectorForms(s: LabelSelector): { key: string; text: string } {
  const labels = Object.entries(s.matchLabels)
    .map(([k, v]) => [k, String(v)] as const)
    .sort((a, b) => cmp(a[0], b[0]));
  const exprs = s.matchExpressions
    .map((e) => ({ key: e.key, operator: e.operator, values: [...e.values].sort(cmp) }))
    .sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)));
  const words = [
    ...labels.map(([k, v]) => `${k}=${v}`),
    ...exprs.map((e) => `${e.key} ${e.operator}${e.values.length ? ` (${e.values.join(', ')})` : ''}`),
  ];
  return { key: JSON.stringify([labels, exprs]), text: words.length ? words.join(', ') : 'every ClusterRole' };
}

/**
 * The aggregationRule of each aggregated ClusterRole (the last definition of a name). In a cluster, the aggregation
 * controller replaces such a role's rules with those of every ClusterRole its selectors match, the files' or not
 * (`aggregate-to-admin` gathers `edit`, `view` and every operator's admin rules; an empty selector, every ClusterRole,
 * `cluster-admin` included): `diff` reports a rule the other side does not have, as the evaluator, which knows only
 * the roles given, keeps the role's own rules when none of them is selected.
 */
export function aggregationRules(clusterRoles: RoleDef[]): AggregationRule[] {
  const roles = [...new Map(clusterRoles.map((r) => [r.name, r])).values()];
  const out: AggregationRule[] = [];
  for (const r of roles) {
    if (!r.selectors) continue;
    const forms = r.selectors.map(selectorForms).sort((a, b) => cmp(a.key, b.key));
    out.push({
      role: r.name,
      key: JSON.stringify(forms.map((f) => f.key)),
      text: forms.length ? forms.map((f) => f.text).join('; ') : 'no selector',
      selectors: r.selectors,
      file: r.file,
    });
  }
  return out.sort((a, b) => cmp(a.role, b.role));
}
