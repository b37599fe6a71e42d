import { selectorMatches, type RoleDef, type Rule } from './objects.js';

/** Effective rules of a role, or why they cannot be known. */
export type Resolved = { rules: Rule[] } | { unknown: string };

/**
 * ClusterRole aggregation as the controller does it (pkg/controller/clusterroleaggregation): an aggregated role's
 * rules are replaced by those of every other ClusterRole one of its selectors matches, its own `rules` dropped (the
 * controller writes the union over them; they stand only when it matches none of the roles given, as the
 * controller's last output), with an aggregated role matched taking its aggregated rules: the fixed
 * point, whatever the graph (roles that aggregate each other, chains of any length). Roles that reach each other
 * share one rule list (a strongly connected component, found without recursion); each rule is kept once.
 */
export function aggregate(all: RoleDef[]): Map<string, Resolved> {
  // A name given twice: the last definition, as a later apply would leave it.
  const roles = [...new Map(all.map((r) => [r.name, r])).values()];
  const edges = roles.map((r, i) => {
    const out: number[] = [];
    if (r.selectors)
      for (const [j, other] of roles.entries())
        if (j !== i && r.selectors.some((s) => selectorMatches(s, other.labels))) out.push(j);
    return out;
  });
  const comp = components(edges);
  const members: number[][] = [];
  for (const [i, c] of comp.entries()) (members[c] ??= []).push(i);
  // Components come sinks first: every component a role aggregates from is resolved before it.
  const shared: Rule[][] = [];
  for (const [c, list] of members.entries()) {
    const seen = new Set<string>();
    const rules: Rule[] = [];
    const add = (rule: Rule) => {
      const k = JSON.stringify([rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]);
      if (!seen.has(k)) {
        seen.add(k);
        rules.push(rule);
      }
    };
    const from = new Set<number>();
    for (const m of list) {
      // A role without an aggregationRule keeps what it lists; the controller overwrites an aggregated one's rules
      // with its sources'. One none of whose sources is given keeps its own: then they are what the controller last
      // wrote (a snapshot of a live cluster's admin or edit without the aggregate-to-* roles), or nothing.
      if (!roles[m]!.selectors || edges[m]!.length === 0) for (const rule of roles[m]!.rules) add(rule);
      for (const j of edges[m]!) if (comp[j] !== c) from.add(comp[j]!);
    }
    for (const f of [...from].sort((a, b) => a - b)) for (const rule of shared[f]!) add(rule);
    shared[c] = rules;
  }
  const out = new Map<string, Resolved>();
  for (const [i, r] of roles.entries()) {
    const effective = shared[comp[i]!]!;
    if (r.selectors && effective.length === 0)
      out.set(r.name, {
        unknown: `aggregated ClusterRole ${r.name}, whose source ClusterRoles are not among the policies given`,
      });
    else out.set(r.name, { rules: effective });
  }
  return out;
}

/** Tarjan's strongly connected components, iterative: the component of each node, sinks first. */
function components(edges: number[][]): number[] {
  const n = edges.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const comp = new Array<number>(n).fill(-1);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let next = 0;
  let count = 0;
  const visit = (v: number, work: [number, number][]) => {
    index[v] = low[v] = next++;
    stack.push(v);
    onStack[v] = true;
    work.push([v, 0]);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [];
    visit(root, work);
    while (work.length) {
      const top = work[work.length - 1]!;
      const v = top[0];
      if (top[1] < edges[v]!.length) {
        const w = edges[v]![top[1]++]!;
        if (index[w] === -1) visit(w, work);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1]![0];
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp[w] = count;
        } while (w !== v);
        count++;
      }
    }
  }
  return comp;
}
