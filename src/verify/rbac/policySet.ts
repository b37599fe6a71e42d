import { type InputIssue } from '../../model/issue.js';
import type { PolicyDoc } from '../../policy/load.js';
import { ruleAllows } from './match.js';
import { readRbacObjects, selectorMatches, type BindingDef, type RoleDef, type Rule } from './objects.js';
import type { BindingGrant, GrantRef, RbacDecision, RbacPolicySet, RbacRequest, RuleSet } from './types.js';
import { admit } from './admit.js';
import { compareTuples, tupleKey } from '../../util/key.js';

const SA_PREFIX = 'system:serviceaccount:';

/** Effective rules of a role, or why they cannot be known. */
type Resolved = { rules: Rule[] } | { unknown: string };

/** Build an evaluator over the RBAC objects among the documents. */
export function buildRbacPolicySet(docs: PolicyDoc[]): {
  set: RbacPolicySet;
  issues: InputIssue[];
  ignored: Record<string, number>;
} {
  const { roles, bindings, issues, ignored } = readRbacObjects(docs);
  return { set: new PolicySet(roles, bindings), issues, ignored };
}

class PolicySet implements RbacPolicySet {
  readonly counts;
  private readonly roles = new Map<string, Resolved>();
  private readonly clusterRoles = new Map<string, Resolved>();
  /** Bindings by the subject they name: `u:alice`, `g:devs`, `sa:system:serviceaccount:ns:name`. */
  private readonly bySubject = new Map<string, BindingDef[]>();

  constructor(roles: RoleDef[], bindings: BindingDef[]) {
    this.counts = {
      roles: roles.filter((r) => r.kind === 'Role').length,
      clusterRoles: roles.filter((r) => r.kind === 'ClusterRole').length,
      roleBindings: bindings.filter((b) => b.kind === 'RoleBinding').length,
      clusterRoleBindings: bindings.filter((b) => b.kind === 'ClusterRoleBinding').length,
    };
    for (const r of roles) if (r.kind === 'Role') this.roles.set(tupleKey(r.namespace, r.name), { rules: r.rules });
    const cluster = roles.filter((r) => r.kind === 'ClusterRole');
    for (const [name, res] of aggregate(cluster)) this.clusterRoles.set(name, res);
    // Deterministic order: the first granting binding is reported.
    const sorted = [...bindings].sort((a, b) => compareTuples(order(a), order(b)));
    this.allBindings = sorted;
    for (const b of sorted) {
      for (const s of b.subjects) {
        const key = subjectKey(b, s);
        if (key === undefined) continue;
        const list = this.bySubject.get(key) ?? [];
        if (!list.includes(b)) list.push(b);
        this.bySubject.set(key, list);
      }
    }
  }

  private readonly allBindings: BindingDef[] = [];

  grants(): BindingGrant[] {
    const out: BindingGrant[] = [];
    for (const b of this.allBindings) {
      const role =
        b.roleKind === 'Role' ? this.roles.get(tupleKey(b.namespace, b.roleName)) : this.clusterRoles.get(b.roleName);
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
      else if (role.unknown.length) unknown.push(...role.unknown.map((u) => `${where} refers to ${u}`));
      else rules.push(...role.rules);
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
    for (const b of this.candidates(req)) {
      if (b.kind === 'RoleBinding' && (req.namespace === '' || b.namespace !== req.namespace)) continue;
      const role =
        b.roleKind === 'Role' ? this.roles.get(tupleKey(b.namespace, b.roleName)) : this.clusterRoles.get(b.roleName);
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

  /** Bindings naming the user, one of its groups, or its service account; in binding order. */
  private candidates(req: { username: string; groups: readonly string[] }): BindingDef[] {
    const groups = new Set(req.groups);
    if (req.username.startsWith(SA_PREFIX)) {
      const ns = req.username.slice(SA_PREFIX.length).split(':')[0]!;
      groups.add('system:serviceaccounts').add(`system:serviceaccounts:${ns}`).add('system:authenticated');
    }
    const found = new Set<BindingDef>();
    const add = (k: string) => this.bySubject.get(k)?.forEach((b) => found.add(b));
    if (req.username !== '') {
      add(`u:${req.username}`);
      add(`sa:${req.username}`);
    }
    for (const g of groups) add(`g:${g}`);
    return [...found].sort((a, b) => compareTuples(order(a), order(b)));
  }
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
  };
}

/**
 * ClusterRole aggregation as the controller does it: an aggregated role's rules are its own plus
 * those of every ClusterRole matching one of its selectors, repeated until nothing changes.
 */
function aggregate(roles: RoleDef[]): Map<string, Resolved> {
  const rules = new Map(roles.map((r) => [r.name, r.rules]));
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const r of roles) {
      if (!r.selectors) continue;
      const merged = [...r.rules];
      for (const other of roles) {
        if (other.name !== r.name && r.selectors.some((s) => selectorMatches(s, other.labels)))
          merged.push(...rules.get(other.name)!);
      }
      if (merged.length !== rules.get(r.name)!.length) {
        rules.set(r.name, merged);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const out = new Map<string, Resolved>();
  for (const r of roles) {
    const effective = rules.get(r.name)!;
    if (r.selectors && effective.length === 0)
      out.set(r.name, {
        unknown: `aggregated ClusterRole ${r.name}, whose source ClusterRoles are not among the policies given`,
      });
    else out.set(r.name, { rules: effective });
  }
  return out;
}
