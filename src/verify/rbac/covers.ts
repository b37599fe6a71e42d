import type { PolicyRule } from './types.js';

/** Atoms of written rules that no rule held covers: the first few, in the order the rules list them, and how many. */
export interface Uncovered {
  first: PolicyRule[];
  count: number;
}

/**
 * Whether rules a user holds cover rules it writes or binds: the API server's escalation check
 * (kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping),
 * written here from its semantics: every rule written is split into single (group, resource, verb, name)
 * and (URL, verb) rules, and each must be covered by one rule held. A `*` written is covered only by a `*`
 * held; a name written by a rule without names or with that name; `*\/sub` held covers any resource's `sub`;
 * a URL held ending in `*` covers the URLs it prefixes.
 *
 * The split is a product (groups × resources × verbs × names), so it is not made: each value of each list is
 * marked with the rules held that cover it in that list, values marked alike are counted together, and an atom
 * is covered when one rule held covers each of its values. The cost is the lists' lengths times the kinds of marks,
 * not their product (56 of each was 9.8M atoms: minutes and gigabytes).
 */
export function uncovered(owner: readonly PolicyRule[], written: readonly PolicyRule[], examples = 3): Uncovered {
  const out: Uncovered = { first: [], count: 0 };
  const words = Math.ceil(owner.length / 32) || 1;
  const markOf = (covers: (o: PolicyRule) => boolean): Uint32Array => {
    const m = new Uint32Array(words);
    owner.forEach((o, i) => {
      if (covers(o)) m[i >>> 5]! |= 1 << (i & 31);
    });
    return m;
  };
  for (const w of written) {
    const names = w.resourceNames.length ? w.resourceNames : [undefined];
    const verbs = w.verbs.map((v) => markOf((o) => has(o.verbs, '*') || has(o.verbs, v)));
    atoms(
      out,
      examples,
      [
        w.apiGroups.map((g) => markOf((o) => has(o.apiGroups, '*') || has(o.apiGroups, g))),
        w.resources.map((r) => markOf((o) => resourcesCover(o.resources, [r]))),
        verbs,
        names.map((n) => markOf((o) => o.resourceNames.length === 0 || (n !== undefined && has(o.resourceNames, n)))),
      ],
      ([g, r, v, n]) => {
        const name = names[n!];
        return one({
          apiGroups: [w.apiGroups[g!]!],
          resources: [w.resources[r!]!],
          verbs: [w.verbs[v!]!],
          resourceNames: name === undefined ? [] : [name],
        });
      },
    );
    // A URL is covered only by a rule without names (as a split rule's empty names are).
    atoms(
      out,
      examples,
      [
        w.nonResourceURLs.map((u) =>
          markOf((o) => o.resourceNames.length === 0 && o.nonResourceURLs.some((x) => urlCovers(x, u))),
        ),
        verbs,
      ],
      ([u, v]) => one({ nonResourceURLs: [w.nonResourceURLs[u!]!], verbs: [w.verbs[v!]!] }),
    );
  }
  return out;
}

function one(x: Partial<PolicyRule>): PolicyRule {
  return { verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...x };
}

/**
 * The atoms of a product of lists whose values carry marks (a bitset of the rules held covering them): an atom is
 * covered when its values' marks share a bit. Adds how many are not to `out.count`, and the first of them (in the
 * lists' order, first list outermost) to `out.first` up to `examples`.
 */
function atoms(out: Uncovered, examples: number, dims: Uint32Array[][], atom: (at: number[]) => PolicyRule): void {
  if (dims.some((d) => d.length === 0)) return;
  // Values with equal marks are one class: the count walks classes, never the product.
  const classes = dims.map((d) => {
    const byKey = new Map<string, { mark: Uint32Array; size: number }>();
    for (const m of d) {
      const key = m.join(',');
      const c = byKey.get(key);
      if (c) c.size++;
      else byKey.set(key, { mark: m, size: 1 });
    }
    return [...byKey.values()];
  });
  const and = (a: Uint32Array, b: Uint32Array) => a.map((x, i) => x & b[i]!);
  const empty = (a: Uint32Array) => a.every((x) => x === 0);
  const sizeFrom = (d: number) => dims.slice(d).reduce((n, x) => n * x.length, 1);
  /** Uncovered atoms among lists d.. when the values before them share the marks `prefix`. */
  const left = (prefix: Uint32Array, d: number): number => {
    if (empty(prefix)) return sizeFrom(d);
    if (d === dims.length) return 0;
    let n = 0;
    for (const c of classes[d]!) n += c.size * left(and(prefix, c.mark), d + 1);
    return n;
  };
  const all = new Uint32Array(dims[0]![0]!.length).fill(0xffffffff);
  out.count += left(all, 0);
  // The first few, in order: a value is entered only when something under it is uncovered.
  const at: number[] = [];
  const find = (prefix: Uint32Array, d: number): void => {
    if (d === dims.length) {
      out.first.push(atom(at));
      return;
    }
    for (let i = 0; i < dims[d]!.length && out.first.length < examples; i++) {
      const next = and(prefix, dims[d]![i]!);
      if (left(next, d + 1) === 0) continue;
      at[d] = i;
      find(next, d + 1);
    }
  };
  if (out.first.length < examples) find(all, 0);
}

const has = (list: readonly string[], v: string) => list.includes(v);
const hasAll = (list: readonly string[], vs: readonly string[]) => vs.every((v) => list.includes(v));

function resourcesCover(owner: readonly string[], wanted: readonly string[]): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  for (const path of wanted) {
    if (has(owner, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0 || !has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlCovers(owner: string, path: string): boolean {
  if (owner === path) return true;
  // The owner's trailing `*`s trimmed by a scan: /\*+$/ tries every run of `*` to the end, n² on `**…*a*`.
  let end = owner.length;
  while (end > 0 && owner.charCodeAt(end - 1) === 0x2a) end--;
  return end < owner.length && path.startsWith(owner.slice(0, end));
}

/** A rule in words, for reasons: `get secrets (core) [db]`, `get /metrics`. */
export function ruleWords(r: PolicyRule): string {
  if (r.nonResourceURLs.length) return `${r.verbs.join(',')} ${r.nonResourceURLs.join(',')}`;
  const groups = r.apiGroups.map((g) => (g === '' ? 'core' : g)).join(',');
  const names = r.resourceNames.length ? ` [${r.resourceNames.join(',')}]` : '';
  return `${r.verbs.join(',')} ${r.resources.join(',')} (${groups})${names}`;
}
