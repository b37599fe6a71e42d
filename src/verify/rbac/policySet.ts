import { type InputIssue } from '../../model/issue.js';
import type { PolicyDoc } from '../../policy/load.js';
import { ruleAllows, ruleMayAllow } from './match.js';
import { readRbacObjects, type BindingDef, type RoleDef, type Rule } from './objects.js';
import { aggregate, type Resolved } from './aggregate.js';
import { aggregationFeeds, aggregationRules, type AggregationFeed, type AggregationRule } from './feeds.js';
import type { BindingGrant, GrantRef, RbacDecision, RbacPolicySet, RbacRequest, RuleSet } from './types.js';
import { admit } from './admit.js';
import { defaultBindingsOf } from './defaultBindings.js';
import { compareTuples, tupleKey, tupleKeyOf } from '../../util/key.js';
import { pushAll } from '../../util/array.js';

const SA_PREFIX = 'system:serviceaccount:';

/**
 * Build an evaluator over the RBAC objects among the documents; `defaultBindings`: with Kubernetes' default bindings
 * of the default ClusterRoles they redefine (./defaultBindings.ts).
 */
export function buildRbacPolicySet(
  docs: PolicyDoc[],
  opts: { defaultBindings?: boolean } = {},
): {
  set: RbacPolicySet;
  issues: InputIssue[];
  ignored: Record<string, number>;
} {
  const { roles, bindings, issues, ignored } = readRbacObjects(docs);
  const all = opts.defaultBindings ? [...bindings, ...defaultBindingsOf(roles)] : bindings;
  return { set: new PolicySet(roles, all), issues, ignored };
}

class PolicySet implements RbacPolicySet {
  readonly counts;
  readonly feeds: AggregationFeed[];
  readonly aggregations: AggregationRule[];
  private readonly roles = new Map<string, Resolved>();
  private readonly clusterRoles = new Map<string, Resolved>();
  /** Bindings by the subject they name: `u:alice`, `g:devs`, `sa:system:serviceaccount:ns:name`. */
  private readonly bySubject = new Map<string, BindingDef[]>();

  constructor(roles: RoleDef[], bindings: BindingDef[]) {
    this.counts = {
      roles: roles.filter((r) => r.kind === 'Role').length,
      clusterRoles: roles.filter((r) => r.kind === 'ClusterRole').length,
      roleBindings: bindings.filter((b) => b.kind === 'RoleBinding').length,
      clusterRoleBindings: bindings.filter((b) => b.kind === 'ClusterRoleBinding' && !b.defaultBinding).length,
    };
    for (const r of roles) if (r.kind === 'Role') this.roles.set(tupleKey(r.namespace, r.name), { rules: r.rules });
    const cluster = roles.filter((r) => r.kind === 'ClusterRole');
    for (const [name, res] of aggregate(cluster)) this.clusterRoles.set(name, res);
    this.feeds = aggregationFeeds(cluster);
    this.aggregations = aggregationRules(cluster);
    // Deterministic order: the first granting binding is reported.
    const sorted = [...bindings].sort((a, b) => compareTuples(order(a), order(b)));
    this.allBindings = sorted;
    for (const [i, b] of sorted.entries()) {
      this.rank.set(b, i);
      for (const s of b.subjects) {
        const key = subjectKey(b, s);
        if (key === undefined) continue;
        const list = this.bySubject.get(key);
        // A binding's subjects come together: one naming a subject twice is listed once.
        if (!list) this.bySubject.set(key, [b]);
        else if (list[list.length - 1] !== b) list.push(b);
      }
    }
  }

  /** Each binding's place in binding order. */
  private readonly rank = new Map<BindingDef, number>();
  /** The candidates of each user and its groups, as asked (a principal asks once per access). */
  private readonly candidatesOf = new Map<string, BindingDef[]>();

  private readonly allBindings: BindingDef[] = [];

  /** The role a binding's roleRef names, resolved; undefined when it is not among the policies. */
  private roleOf(b: BindingDef): Resolved | undefined {
    // Kept per binding: a request walks its subject's bindings, and a key built per binding per request was most
    // of `diff`'s time with thousands of bindings to one group.
    if (this.roleOfBinding.has(b)) return this.roleOfBinding.get(b);
    const role =
      b.roleKind === 'Role' ? this.roles.get(tupleKey(b.namespace, b.roleName)) : this.clusterRoles.get(b.roleName);
    this.roleOfBinding.set(b, role);
    return role;
  }

  private readonly roleOfBinding = new Map<BindingDef, Resolved | undefined>();

  grants(): BindingGrant[] {
    const out: BindingGrant[] = [];
    for (const b of this.allBindings) {
      const role = this.roleOf(b);
      for (const s of b.subjects) {
        const subjectName =
          s.kind === 'ServiceAccount' ? `${SA_PREFIX}${s.namespace || b.namespace}:${s.name}` : s.name;
        const binding = { ...grant(b), subjectKind: s.kind, subjectName };
        if (!role) out.push({ binding, unknown: `${b.roleKind} ${b.roleName} is not among the policies given` });
        else if ('unknown' in role) out.push({ binding, unknown: role.unknown });
        else out.push({ binding, rules: role.rules });
      }
    }
    return out;
  }

  admit(req: RbacRequest): RbacDecision {
    return admit(this, req);
  }

  rulesFor(user: { username: string; groups: readonly string[] }, namespace: string): RuleSet {
    const rules: Rule[] = [];
    const unknown: string[] = [];
    for (const b of this.candidates(user)) {
      if (b.kind === 'RoleBinding' && (namespace === '' || b.namespace !== namespace)) continue;
      const role = this.roleRules(b.roleKind, b.namespace, b.roleName);
      const where = `${b.kind} ${b.namespace ? b.namespace + '/' : ''}${b.name}`;
      if (!role) unknown.push(`${where} refers to ${b.roleKind} ${b.roleName}, which is not among the policies given`);
      else if (role.unknown.length)
        pushAll(
          unknown,
          role.unknown.map((u) => `${where} refers to ${u}`),
        );
      else pushAll(rules, role.rules);
    }
    return { rules, unknown: [...new Set(unknown)] };
  }

  roleRules(kind: 'Role' | 'ClusterRole', namespace: string, name: string): RuleSet | undefined {
    const r = kind === 'Role' ? this.roles.get(tupleKey(namespace, name)) : this.clusterRoles.get(name);
    if (!r) return undefined;
    return 'unknown' in r ? { rules: [], unknown: [r.unknown] } : { rules: r.rules, unknown: [] };
  }

  authorize(req: RbacRequest): RbacDecision {
    const reasons: string[] = [];
    for (const b of this.relevant(req)) {
      if (b.kind === 'RoleBinding' && (req.namespace === '' || b.namespace !== req.namespace)) continue;
      const role = this.roleOf(b);
      if (!role) {
        reasons.push(
          `${b.kind} ${b.namespace ? b.namespace + '/' : ''}${b.name} refers to ${b.roleKind} ${b.roleName}, which is not among the policies given`,
        );
        continue;
      }
      if ('unknown' in role) {
        reasons.push(`${b.kind} ${b.namespace ? b.namespace + '/' : ''}${b.name} refers to ${role.unknown}`);
        continue;
      }
      if (role.rules.some((r) => ruleAllows(r, req))) return { result: 'allow', grantedBy: grant(b) };
    }
    return reasons.length ? { result: 'undetermined', reasons: [...new Set(reasons)] } : { result: 'deny' };
  }

  /**
   * The candidates whose role could allow a request on this resource (or URL), and those whose role is not known,
   * in binding order. A group every user is in (`system:authenticated`) may be bound thousands of times, and each
   * request of each user walked every binding: each subject's bindings are filtered once per resource and kept.
   */
  private relevant(req: RbacRequest): BindingDef[] {
    const key = req.nonResourceURL !== '' ? 'url' : this.resourceKey(req);
    const parts: BindingDef[][] = [];
    for (const list of this.subjectLists(req)) {
      let byResource = this.relevantOf.get(list);
      if (!byResource) this.relevantOf.set(list, (byResource = new Map()));
      let kept = byResource.get(key);
      if (!kept) byResource.set(key, (kept = this.mayAllow(list, req)));
      const named = req.nonResourceURL !== '' ? kept : this.byName(kept, req);
      if (named.length) parts.push(named);
    }
    return parts.length === 1 ? parts[0]! : this.inOrder(parts);
  }

  private readonly relevantOf = new WeakMap<BindingDef[], Map<string, BindingDef[]>>();

  /** A request's resource as a key; the last one is kept (a principal's accesses come sorted by resource). */
  private resourceKey(req: RbacRequest): string {
    const last = this.lastResource;
    if (
      last &&
      last.apiGroup === req.apiGroup &&
      last.resource === req.resource &&
      last.subresource === req.subresource
    )
      return last.key;
    const key = tupleKey('res', req.apiGroup, req.resource, req.subresource);
    this.lastResource = { apiGroup: req.apiGroup, resource: req.resource, subresource: req.subresource, key };
    return key;
  }

  private lastResource: { apiGroup: string; resource: string; subresource: string; key: string } | undefined;

  /**
   * Of the bindings kept for a resource, those whose role could allow a request for this name: a role whose rules
   * on the resource all list resourceNames allows none but those names (`""` among them: a request without a name),
   * and no request standing for every name. When every team's role names its own ConfigMaps, a request walked every
   * binding, and `diff` asks once per grant.
   */
  private byName(kept: BindingDef[], req: RbacRequest): BindingDef[] {
    let index = this.nameIndexes.get(kept);
    if (!index) this.nameIndexes.set(kept, (index = this.indexNames(kept, req)));
    if (index.byName.size === 0) return kept;
    const named = req.anyName ? undefined : index.byName.get(req.name);
    if (!named) return index.any;
    // Both in binding order, and no binding in both: merged by rank.
    const out: BindingDef[] = [];
    let i = 0;
    let j = 0;
    while (i < named.length || j < index.any.length) {
      const a = named[i];
      const b = index.any[j];
      if (b === undefined || (a !== undefined && this.rank.get(a)! < this.rank.get(b)!)) {
        out.push(a!);
        i++;
      } else {
        out.push(b);
        j++;
      }
    }
    return out;
  }

  private readonly nameIndexes = new WeakMap<BindingDef[], NameIndex>();

  /** `kept` (every binding in it may allow `req`'s resource) by the names its roles' rules on that resource list. */
  private indexNames(kept: BindingDef[], req: RbacRequest): NameIndex {
    const index: NameIndex = { byName: new Map(), any: [] };
    for (const b of kept) {
      const role = this.roleOf(b);
      const rules = !role || 'unknown' in role ? undefined : role.rules.filter((r) => ruleMayAllow(r, req));
      if (!rules || rules.some((r) => r.resourceNames.length === 0)) {
        index.any.push(b);
        continue;
      }
      for (const r of rules)
        for (const name of r.resourceNames) {
          const l = index.byName.get(name);
          if (!l) index.byName.set(name, [b]);
          else if (l[l.length - 1] !== b) l.push(b);
        }
    }
    return index;
  }

  /**
   * The bindings of a list whose role could allow requests on this resource (or URL), or is not known, in list
   * order. Only those whose role names the request's API group (or `*`, or any URL for a URL) are tried: when each
   * role names an API group of its own, a list of N bindings is asked about ~N resources.
   */
  private mayAllow(list: BindingDef[], req: RbacRequest): BindingDef[] {
    let index = this.listIndexes.get(list);
    if (!index) this.listIndexes.set(list, (index = this.indexList(list)));
    const sources =
      req.nonResourceURL !== ''
        ? [index.url, index.unknown]
        : [index.byGroup.get(req.apiGroup) ?? [], index.byGroup.get('*') ?? [], index.unknown];
    const positions = [...new Set(sources.flat())].sort((a, b) => a - b);
    const out: BindingDef[] = [];
    for (const i of positions) {
      const b = list[i]!;
      const role = this.roleOf(b);
      if (!role || 'unknown' in role || role.rules.some((r) => ruleMayAllow(r, req))) out.push(b);
    }
    return out;
  }

  private readonly listIndexes = new WeakMap<BindingDef[], ListIndex>();

  private indexList(list: BindingDef[]): ListIndex {
    const index: ListIndex = { byGroup: new Map(), url: [], unknown: [] };
    list.forEach((b, i) => {
      const role = this.roleOf(b);
      if (!role || 'unknown' in role) {
        index.unknown.push(i);
        return;
      }
      const groups = new Set<string>();
      let url = false;
      for (const r of role.rules) {
        for (const g of r.apiGroups) groups.add(g);
        if (r.nonResourceURLs.length) url = true;
      }
      for (const g of groups) {
        const l = index.byGroup.get(g);
        if (l) l.push(i);
        else index.byGroup.set(g, [i]);
      }
      if (url) index.url.push(i);
    });
    return index;
  }

  /** Bindings naming the user, one of its groups, or its service account; in binding order. */
  private candidates(req: { username: string; groups: readonly string[] }): BindingDef[] {
    const key = tupleKeyOf([req.username, ...[...req.groups].sort()]);
    let found = this.candidatesOf.get(key);
    if (!found) this.candidatesOf.set(key, (found = this.inOrder(this.subjectLists(req))));
    return found;
  }

  /**
   * The bindings of each subject a request is made as: the user, its service account, its groups (as given). The
   * last answer is kept: a replay asks for each access of a principal in turn, with the same user and groups.
   */
  private subjectLists(req: { username: string; groups: readonly string[] }): BindingDef[][] {
    const last = this.lastSubject;
    if (last && last.username === req.username && sameList(last.groups, req.groups)) return last.lists;
    const lists = this.listsOf(req);
    this.lastSubject = { username: req.username, groups: [...req.groups], lists };
    return lists;
  }

  private lastSubject: { username: string; groups: string[]; lists: BindingDef[][] } | undefined;

  private listsOf(req: { username: string; groups: readonly string[] }): BindingDef[][] {
    // Exactly the groups given: a username that reads as a service account's gains none here (the request builders
    // give a service account principal its groups, ../../model/subject.ts `serviceAccountGroups`).
    const groups = new Set(req.groups);
    const keys = req.username !== '' ? [`u:${req.username}`, `sa:${req.username}`] : [];
    for (const g of groups) keys.push(`g:${g}`);
    const out: BindingDef[][] = [];
    for (const k of keys) {
      const list = this.bySubject.get(k);
      if (list) out.push(list);
    }
    return out;
  }

  /** Lists of bindings as one, each binding once, in binding order. */
  private inOrder(lists: BindingDef[][]): BindingDef[] {
    const found = new Set<BindingDef>();
    for (const list of lists) for (const b of list) found.add(b);
    return [...found].sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }
}

/**
 * Bindings kept for a resource by name: under each name their role's rules on it list (when they all list names),
 * or in `any` (a rule without names, or a role not known); each in binding order.
 */
interface NameIndex {
  byName: Map<string, BindingDef[]>;
  any: BindingDef[];
}

/** A subject's bindings by position: by an API group their role's rules name, with URL rules, role not known. */
interface ListIndex {
  byGroup: Map<string, number[]>;
  url: number[];
  unknown: number[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function order(b: BindingDef): string[] {
  return [b.kind, b.namespace, b.name];
}

function subjectKey(b: BindingDef, s: BindingDef['subjects'][number]): string | undefined {
  switch (s.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    case 'ServiceAccount': {
      // A subject without a namespace means the binding's own; a ClusterRoleBinding has none.
      const ns = s.namespace || b.namespace;
      return ns ? `sa:${SA_PREFIX}${ns}:${s.name}` : undefined;
    }
    default:
      return undefined;
  }
}

function grant(b: BindingDef): GrantRef {
  return {
    bindingKind: b.kind,
    bindingNamespace: b.namespace,
    bindingName: b.name,
    roleKind: b.roleKind,
    roleName: b.roleName,
    file: b.file,
    ...(b.defaultBinding ? { defaultBinding: true as const } : {}),
  };
}
