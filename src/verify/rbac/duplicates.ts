import type { InputIssue } from '../../model/issue.js';
import type { BindingDef, RoleDef } from './objects.js';

type Def = RoleDef | BindingDef;

/** What an object says, its place aside: two copies that say the same are one object. */
const meaning = (d: Def): string =>
  'rules' in d
    ? JSON.stringify([d.rules, Object.entries(d.labels).sort(), d.selectors ?? null])
    : JSON.stringify([d.roleKind, d.roleName, d.subjects]);

/**
 * One object per kind, namespace and name, as the API server holds them: the last in file order, as `kubectl apply -f
 * DIR` would leave it. A second definition that says something else is an issue on the later one, naming both places:
 * which one the cluster ends up with depends on how the files are applied (a kustomize patch or overlay beside its
 * base, a copy edited in one place), and taking either silently would narrow or widen the policy without a word.
 * Identical copies are one object, without an issue.
 */
export function lastDefinitions<D extends Def>(
  defs: D[],
  where: (d: D) => { file: string; line: number; document: number },
): { kept: D[]; issues: InputIssue[] } {
  const last = new Map<string, number>();
  const issues: InputIssue[] = [];
  defs.forEach((d, i) => {
    const key = JSON.stringify([d.kind, d.namespace, d.name]);
    const before = last.get(key);
    if (before !== undefined && meaning(defs[before]!) !== meaning(d)) {
      const a = where(defs[before]!);
      const b = where(d);
      const name = d.namespace ? `${d.namespace}/${d.name}` : d.name;
      const what = 'rules' in d ? 'rules or labels' : 'roleRef or subjects';
      issues.push({
        kind: 'issue',
        code: 'policy.duplicate-rbac',
        file: b.file,
        line: b.line,
        message: `document ${b.document} (${d.kind}): ${name} is also defined at ${a.file}:${a.line} with other ${what}; the cluster holds one object per name, and which one applies depends on how the files are applied (audit2policy applies no kustomize patch or overlay: give it what \`kustomize build\` writes); the later in file order is used`,
      });
    }
    last.set(key, i);
  });
  const keep = new Set(last.values());
  return { kept: defs.filter((_, i) => keep.has(i)), issues };
}
