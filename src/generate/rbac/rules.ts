import { resourcePath } from '../../model/access.js';
import { cmp } from '../../model/issue.js';
import { CHECK_VERBS, type CreatedNames, type K8sEdge } from '../../model/profile.js';
import { describeGeneralization, generalizeNames } from './generalize.js';
import { NAMEABLE_VERBS, type RbacOptions } from './options.js';
import { compareTuples, tupleKey, tupleKeyOf } from '../../util/key.js';
import { pushAll } from '../../util/array.js';

/** An RBAC PolicyRule in the key order kubectl prints. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** A rule and the observations that justify it. */
export interface RuleWithEvidence {
  rule: PolicyRule;
  observed: K8sEdge[];
  /** Options that made this rule broader than what was observed. */
  widenedBy: string[];
  /** Words for the summary, one per widening. */
  widenings: { option: string; detail: string }[];
}

interface VerbUse {
  names: Set<string>;
  /** Some request with this verb named no object (or the verb cannot be restricted by name). */
  unnamed: boolean;
  edges: K8sEdge[];
}

const EXPANSIONS: Record<string, string[]> = { list: ['watch', 'get'], watch: ['list'] };

/**
 * Rules that allow exactly the observed accesses: observed verbs only; resourceNames where every
 * request of a verb named its object; verbs merged where group, resource and names are equal.
 */
export function buildRules(edges: K8sEdge[], opts: RbacOptions, created: CreatedNames[] = []): RuleWithEvidence[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Map<string, VerbUse> }>();
  const byURL = new Map<string, Map<string, K8sEdge[]>>();
  for (const e of edges) {
    if (e.nonResourceURL) {
      const verbs = byURL.get(e.nonResourceURL) ?? new Map<string, K8sEdge[]>();
      byURL.set(e.nonResourceURL, verbs);
      const list = verbs.get(e.verb);
      if (list) list.push(e);
      else verbs.set(e.verb, [e]);
      continue;
    }
    const res = resourcePath(e);
    const key = tupleKey(e.apiGroup, res);
    let r = byResource.get(key);
    if (!r) byResource.set(key, (r = { group: e.apiGroup, resource: res, verbs: new Map() }));
    let use = r.verbs.get(e.verb);
    if (!use) r.verbs.set(e.verb, (use = { names: new Set(), unnamed: false, edges: [] }));
    const nameable = NAMEABLE_VERBS.has(e.verb) || CHECK_VERBS.has(e.verb) || (e.verb === 'create' && e.subresource);
    if (e.name && nameable) use.names.add(e.name);
    else use.unnamed = true;
    use.edges.push(e);
  }

  const out: RuleWithEvidence[] = [];
  for (const r of byResource.values()) pushAll(out, resourceRules(r.group, r.resource, r.verbs, opts, created));
  for (const [url, verbs] of byURL) {
    out.push({
      rule: { nonResourceURLs: [url], verbs: [...verbs.keys()].sort(cmp) },
      observed: [...verbs.values()].flat(),
      widenedBy: [],
      widenings: [],
    });
  }
  return out.sort((a, b) => compareTuples(ruleOrder(a.rule), ruleOrder(b.rule)));
}

function resourceRules(
  group: string,
  resource: string,
  verbs: Map<string, VerbUse>,
  opts: RbacOptions,
  created: CreatedNames[],
): RuleWithEvidence[] {
  // Per verb: the names it may be restricted to ('' = any object).
  const restrict = new Map<
    string,
    { names: string[]; edges: K8sEdge[]; widenedBy: string[]; widenings: { option: string; detail: string }[] }
  >();
  for (const [verb, use] of verbs) {
    const w: { option: string; detail: string }[] = [];
    let names = use.unnamed ? [] : [...use.names].sort(cmp);
    // Names the logs show to be made up: the next run uses others, so resourceNames would break it.
    // bind, escalate and impersonate are named by the role or identity they are for: never generalized by name
    // (bind on any role is cluster-admin).
    const check = CHECK_VERBS.has(verb);
    const made = names.length > 0 && !opts.exact && !check ? generalizeNames(use.edges, created) : undefined;
    if (made) {
      w.push({
        option: 'generated-names',
        detail: describeGeneralization(`${verb} ${resource}${group ? '.' + group : ''}`, made),
      });
      names = [];
    }
    if (names.length > 0 && !check && opts.widenNames !== undefined && names.length > opts.widenNames) {
      w.push({
        option: 'widen-names',
        detail: `${verb} ${resource}${group ? '.' + group : ''}: ${names.length} names used (more than ${opts.widenNames}), resourceNames dropped`,
      });
      names = [];
    }
    restrict.set(verb, { names, edges: use.edges, widenedBy: w.map((x) => x.option), widenings: w });
  }
  if (opts.expandVerbs) {
    for (const [verb, companions] of Object.entries(EXPANSIONS)) {
      const base = restrict.get(verb);
      if (!base || base.names.length > 0) continue;
      for (const c of companions) {
        const have = restrict.get(c);
        if (have && have.names.length === 0) continue;
        const detail = `${c} ${resource}${group ? '.' + group : ''} added beside ${verb}`;
        restrict.set(c, {
          names: [],
          edges: have?.edges ?? [],
          widenedBy: ['expand-verbs', ...(have?.widenedBy ?? [])],
          widenings: [{ option: 'expand-verbs', detail }, ...(have?.widenings ?? [])],
        });
      }
    }
  }
  websocketCreate(group, resource, restrict);
  // Merge verbs whose name restriction is the same.
  const groups = new Map<
    string,
    {
      names: string[];
      verbs: string[];
      edges: K8sEdge[];
      widenedBy: Set<string>;
      widenings: { option: string; detail: string }[];
    }
  >();
  for (const [verb, r] of restrict) {
    const sig = tupleKeyOf(r.names);
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { names: r.names, verbs: [], edges: [], widenedBy: new Set(), widenings: [] }));
    g.verbs.push(verb);
    pushAll(g.edges, r.edges);
    r.widenedBy.forEach((x) => g.widenedBy.add(x));
    pushAll(g.widenings, r.widenings);
  }
  return [...groups.values()].map((g) => {
    const rule: PolicyRule =
      g.names.length > 0
        ? { apiGroups: [group], resources: [resource], resourceNames: g.names, verbs: g.verbs.sort(cmp) }
        : { apiGroups: [group], resources: [resource], verbs: g.verbs.sort(cmp) };
    return { rule, observed: g.edges, widenedBy: [...g.widenedBy].sort(cmp), widenings: g.widenings };
  });
}

/** The pod subresources a websocket upgrade (`get` in the log) connects to. */
const WEBSOCKET_CONNECT = new Set(['pods/exec', 'pods/attach', 'pods/portforward']);

/**
 * `create` beside `get` on pods/exec, pods/attach and pods/portforward, on the same objects, listed
 * (`websocket-create`). A websocket upgrade is authorized as `get`, and from Kubernetes 1.35 the pod registry also
 * authorizes `create` (AuthorizePodWebsocketUpgradeCreatePermission, beta, on by default): `get` alone breaks there.
 * The log cannot tell the cluster's version, and `create` adds no power `get` lacked (before 1.35 `get` alone already
 * opens a session; `create` opens the same one over SPDY), so it is always added.
 */
function websocketCreate(
  group: string,
  resource: string,
  restrict: Map<
    string,
    { names: string[]; edges: K8sEdge[]; widenedBy: string[]; widenings: { option: string; detail: string }[] }
  >,
): void {
  const get = group === '' && WEBSOCKET_CONNECT.has(resource) ? restrict.get('get') : undefined;
  if (!get) return;
  const have = restrict.get('create');
  if (have && (have.names.length === 0 || get.names.every((n) => have.names.includes(n)))) return;
  const names = !have ? get.names : get.names.length === 0 ? [] : [...new Set([...have.names, ...get.names])].sort(cmp);
  const on = get.names.length
    ? ` on ${get.names.length === 1 ? get.names[0] : `the ${get.names.length} names it allows`}`
    : '';
  const detail = `create ${resource} added beside get${on}: Kubernetes 1.35 and later also check create on a websocket exec, attach or port-forward (AuthorizePodWebsocketUpgradeCreatePermission), which the audit log records as get`;
  restrict.set('create', {
    names,
    edges: have?.edges ?? [],
    widenedBy: ['websocket-create', ...(have?.widenedBy ?? [])],
    widenings: [{ option: 'websocket-create', detail }, ...(have?.widenings ?? [])],
  });
}

/** Resource rules before non-resource ones; then group, resource, names (unrestricted first), verbs. */
function ruleOrder(r: PolicyRule): string[] {
  if (r.nonResourceURLs) return ['2', r.nonResourceURLs.join(','), r.verbs.join(',')];
  const names = r.resourceNames ?? [];
  return [
    '1',
    r.apiGroups!.join(','),
    r.resources!.join(','),
    names.length === 0 ? '' : '1' + names.join(','),
    r.verbs.join(','),
  ];
}
