import { labelSelectorMatches, type LabelSelector } from '../../util/labels.js';
import type { InputIssue } from '../../model/issue.js';
import type { PolicyDoc } from '../../policy/load.js';
import { isObj } from '../../util/json.js';
import { eachObject, itemsWhere } from '../../policy/listItems.js';
import { own, put } from '../../util/own.js';
import { lastDefinitions } from './duplicates.js';

/** A PolicyRule with every list present (empty when absent). */
export interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export interface RoleDef {
  kind: 'Role' | 'ClusterRole';
  namespace: string;
  name: string;
  rules: Rule[];
  labels: Record<string, string>;
  /** clusterRoleSelectors of an aggregated ClusterRole. */
  selectors?: LabelSelector[];
  file: string;
}

export type { LabelSelector };

export interface BindingDef {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace: string;
  name: string;
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  subjects: { kind: string; name: string; namespace: string }[];
  file: string;
  /**
   * Not among the policies: Kubernetes' default binding of a default ClusterRole they redefine (./defaultBindings.ts),
   * `file` the role's.
   */
  defaultBinding?: true;
}

const API_VERSIONS = new Set([
  'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1',
]);

type Obj = Record<string, unknown>;
const strList = (v: unknown): string[] | undefined =>
  v === undefined || v === null
    ? []
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? (v as string[])
      : undefined;

/** Sort out the RBAC objects among parsed documents; broken ones become issues and are left out whole. */
export function readRbacObjects(docs: PolicyDoc[]): {
  roles: RoleDef[];
  bindings: BindingDef[];
  issues: InputIssue[];
  ignored: Record<string, number>;
} {
  const roles: RoleDef[] = [];
  const bindings: BindingDef[] = [];
  const issues: InputIssue[] = [];
  const ignored: Record<string, number> = {};
  const places = new Map<RoleDef | BindingDef, { file: string; line: number; document: number }>();
  const visit = (o: unknown, file: string, where: string, line: number, document: number) => {
    if (!isObj(o)) {
      ignored['(not an object)'] = (ignored['(not an object)'] ?? 0) + 1;
      return;
    }
    const kind = typeof o['kind'] === 'string' ? o['kind'] : '(no kind)';
    if (
      !['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind) ||
      !API_VERSIONS.has(o['apiVersion'] as string)
    ) {
      put(ignored, kind, (own(ignored, kind) ?? 0) + 1);
      return;
    }
    const bad = (msg: string) =>
      issues.push({
        kind: 'issue',
        code: 'policy.invalid-rbac',
        file,
        line,
        message: `${where} (${kind}): ${msg}; left out`,
      });
    const md = o['metadata'];
    if (!isObj(md) || typeof md['name'] !== 'string' || md['name'] === '') return bad('metadata.name missing');
    const name = md['name'];
    const namespace = typeof md['namespace'] === 'string' ? md['namespace'] : '';
    const namespaced = kind === 'Role' || kind === 'RoleBinding';
    if (namespaced && namespace === '') return bad(`${name} has no metadata.namespace (a ${kind} needs one)`);
    if (kind === 'Role' || kind === 'ClusterRole') {
      const rules = readRules(o['rules']);
      if (!rules) return bad(`${name}: rules must be a list of rules with string lists and verbs`);
      const labels = isObj(md['labels']) ? (md['labels'] as Record<string, string>) : {};
      const role: RoleDef = { kind, namespace: namespaced ? namespace : '', name, rules, labels, file };
      const agg = o['aggregationRule'];
      if (kind === 'ClusterRole' && isObj(agg) && Array.isArray(agg['clusterRoleSelectors'])) {
        role.selectors = agg['clusterRoleSelectors'].filter(isObj).map(readSelector);
      }
      roles.push(role);
      places.set(role, { file, line, document });
      return;
    }
    const ref = o['roleRef'];
    if (!isObj(ref) || (ref['kind'] !== 'Role' && ref['kind'] !== 'ClusterRole') || typeof ref['name'] !== 'string')
      return bad(`${name}: roleRef must name a Role or ClusterRole`);
    if (kind === 'ClusterRoleBinding' && ref['kind'] === 'Role')
      return bad(`${name}: a ClusterRoleBinding cannot refer to a Role`);
    const subjectsRaw = o['subjects'] ?? [];
    if (!Array.isArray(subjectsRaw)) return bad(`${name}: subjects must be a list`);
    const subjects = [];
    for (const s of subjectsRaw) {
      if (!isObj(s) || typeof s['kind'] !== 'string' || typeof s['name'] !== 'string')
        return bad(`${name}: every subject needs kind and name`);
      subjects.push({
        kind: s['kind'],
        name: s['name'],
        namespace: typeof s['namespace'] === 'string' ? s['namespace'] : '',
      });
    }
    const binding: BindingDef = {
      kind: kind as BindingDef['kind'],
      namespace: namespaced ? namespace : '',
      name,
      roleKind: ref['kind'],
      roleName: ref['name'],
      subjects,
      file,
    };
    bindings.push(binding);
    places.set(binding, { file, line, document });
  };
  for (const d of docs)
    eachObject(d.object, (o, path) => visit(o, d.file, `document ${d.index}${itemsWhere(path)}`, d.line ?? 1, d.index));
  // One object per kind, namespace and name: a second one that says otherwise is an issue (a kustomize patch beside
  // its base reads as one), the last kept as an apply in file order leaves it.
  const where = (d: RoleDef | BindingDef) => places.get(d)!;
  const r = lastDefinitions(roles, where);
  const b = lastDefinitions(bindings, where);
  return { roles: r.kept, bindings: b.kept, issues: [...issues, ...r.issues, ...b.issues], ignored };
}

function readRules(v: unknown): Rule[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return undefined;
  const out: Rule[] = [];
  for (const r of v) {
    if (!isObj(r)) return undefined;
    const verbs = strList(r['verbs']);
    const apiGroups = strList(r['apiGroups']);
    const resources = strList(r['resources']);
    const resourceNames = strList(r['resourceNames']);
    const nonResourceURLs = strList(r['nonResourceURLs']);
    if (!verbs || !apiGroups || !resources || !resourceNames || !nonResourceURLs) return undefined;
    out.push({ verbs, apiGroups, resources, resourceNames, nonResourceURLs });
  }
  return out;
}

function readSelector(s: Obj): LabelSelector {
  const ml = isObj(s['matchLabels']) ? (s['matchLabels'] as Record<string, string>) : {};
  const me = Array.isArray(s['matchExpressions'])
    ? s['matchExpressions'].filter(isObj).map((e) => ({
        key: String(e['key'] ?? ''),
        operator: String(e['operator'] ?? ''),
        values: strList(e['values']) ?? [],
      }))
    : [];
  return { matchLabels: ml, matchExpressions: me };
}

/** Kubernetes label selector semantics (an empty selector matches everything). */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  return labelSelectorMatches(sel, labels);
}
