import { selectorMatches, type RoleDef, type Rule } from './objects.js';

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
