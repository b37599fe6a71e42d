import { accessKey, compareAccess, type K8sAccess } from '../model/access.js';
import type { Stage } from '../model/evidence.js';
import type { EvidenceStore } from '../model/evidenceStore.js';
import type { Decision } from '../model/observation.js';
import { cmp } from '../model/issue.js';
import { edgeAccess, type ImpliedBy, type K8sEdge } from '../model/profile.js';
import { k8sLine, k8sLineOf } from './lines.js';
import { orderKeyField, tupleKey } from '../util/key.js';
import { k8sKeyHead, k8sKeyTail } from './orderKeys.js';
import { grown } from '../util/array.js';

/** The identity of an implied-by entry as a map key. */
export function impliedKey(i: ImpliedBy): string {
  return tupleKey(accessKey(i.request), i.as ?? '', i.role ?? '');
}

/** Implied-by entries in their canonical order and key order, each once. */
export function sortImplied(list: Iterable<ImpliedBy>): ImpliedBy[] {
  const by = new Map<string, ImpliedBy>();
  for (const i of list) by.set(impliedKey(i), i);
  return [...by.values()]
    .sort(
      (a, b) => compareAccess(a.request, b.request) || cmp(a.as ?? '', b.as ?? '') || cmp(a.role ?? '', b.role ?? ''),
    )
    .map(canonicalImplied);
}

export function canonicalImplied(i: ImpliedBy): ImpliedBy {
  const out: ImpliedBy = { request: edgeAccess(i.request) };
  if (i.as !== undefined) out.as = i.as;
  if (i.role !== undefined) out.role = i.role;
  return out;
}

/**
 * A principal's Kubernetes edges by name. A name with few edges (most: one or two verbs on one resource) has the
 * number of its newest edge, the others following it in K8sEdgeTable's chain; a name with more (a list across many
 * resources, a well-known name in every namespace) has its edges by prefix number. Looked up with the record's own
 * name string: nothing is built per record.
 */
export type K8sEdges = Map<string, number | Map<number, number>>;

/** Per prefix number: its rank before the name and after it in the order of accesses. */
interface PrefixRanks {
  head: Int32Array;
  tail: Int32Array;
}

/** Most edges of one name chained before they go into a map by prefix. */
const CHAIN_LIMIT = 8;

/** Interned prefixes: one level per field of the access without its name, the prefix's number at the last. */
type PrefixTrie = Map<string, PrefixTrie | number>;

/**
 * The Kubernetes edges of a builder, compact (ADR 0010 addendum): an edge is a number reached from its principal's
 * K8sEdges by its name and the number of its interned access-without-name (its prefix); per number, in `slots`, the
 * evidence accumulators of its allowed, denied and undecided records in the builder's EvidenceStore (-1: none), its
 * prefix and the next edge of its chain (-1: none); and, rarely, the requests that implied it, that its roleRef was
 * unknown, or that it wrote only GC fields.
 */
export class K8sEdgeTable {
  /** Interned (namespace, group, resource, subresource, URL, verb) tuples: the access without its name. */
  private readonly prefixIds: PrefixTrie = new Map();
  private readonly prefixes: K8sAccess[] = [];
  private slots = new Int32Array(STRIDE * 4096);
  private size = 0;
  private readonly implied = new Map<number, Map<string, ImpliedBy>>();
  private readonly roleRefUnknown = new Set<number>();
  /** RBAC object patches: whether every allowed record changed only GC fields (K8sEdge.gcOnly). */
  private readonly gcOnly = new Map<number, boolean>();

  private ranks: PrefixRanks | undefined;
  private keyed: { head: string[]; tail: string[] } | undefined;

  constructor(private readonly ev: EvidenceStore) {}

  /** The number of an access's prefix (all of it but its name), made on first use. */
  prefixOf(a: K8sAccess): number {
    const m = level(
      level(level(level(level(this.prefixIds, a.namespace), a.apiGroup), a.resource), a.subresource),
      a.nonResourceURL,
    );
    let id = m.get(a.verb) as number | undefined;
    if (id === undefined) {
      id = this.prefixes.length;
      this.prefixes.push(edgeAccess({ ...a, name: '' }));
      m.set(a.verb, id);
    }
    return id;
  }

  /** Count one record on the edge (`prefix`, `name`) of `edges` (made on first use); returns the edge's number. */
  count(
    edges: K8sEdges,
    prefix: number,
    name: string,
    decision: Decision,
    r: { stage: Stage; time: string; id: string },
  ): number {
    const edge = this.edgeOf(edges, prefix, name);
    const slot = STRIDE * edge + (decision === 'allow' ? 0 : decision === 'deny' ? 1 : 2);
    let e = this.slots[slot]!;
    if (e < 0) this.slots[slot] = e = this.ev.create();
    this.ev.add(e, r.stage, r.time, r.id);
    return edge;
  }

  /** The number of the edge (`prefix`, `name`) of `edges`, made on first use. */
  private edgeOf(edges: K8sEdges, prefix: number, name: string): number {
    const v = edges.get(name);
    if (v === undefined) {
      const n = this.newEdge(prefix, -1);
      edges.set(name, n);
      return n;
    }
    if (typeof v !== 'number') {
      let n = v.get(prefix);
      if (n === undefined) v.set(prefix, (n = this.newEdge(prefix, -1)));
      return n;
    }
    let length = 0;
    for (let n = v; n >= 0; n = this.slots[STRIDE * n + NEXT]!, length++)
      if (this.slots[STRIDE * n + PREFIX] === prefix) return n;
    if (length < CHAIN_LIMIT) {
      const n = this.newEdge(prefix, v);
      edges.set(name, n);
      return n;
    }
    // A long chain becomes a map by prefix (its edges keep their numbers; the chain is no longer read).
    const byPrefix = new Map<number, number>();
    for (let n = v; n >= 0; n = this.slots[STRIDE * n + NEXT]!) byPrefix.set(this.slots[STRIDE * n + PREFIX]!, n);
    const n = this.newEdge(prefix, -1);
    byPrefix.set(prefix, n);
    edges.set(name, byPrefix);
    return n;
  }

  private newEdge(prefix: number, next: number): number {
    const n = this.size++;
    const s = STRIDE * n;
    if (s + STRIDE > this.slots.length) this.slots = grown(this.slots);
    this.slots[s] = this.slots[s + 1] = this.slots[s + 2] = -1;
    this.slots[s + PREFIX] = prefix;
    this.slots[s + NEXT] = next;
    return n;
  }

  /** Mark edge `n` as implied by `by` (a request, an impersonator or a role). */
  impliedBy(n: number, by: ImpliedBy): void {
    let m = this.implied.get(n);
    if (!m) this.implied.set(n, (m = new Map()));
    m.set(impliedKey(by), by);
  }

  markRoleRefUnknown(n: number): void {
    this.roleRefUnknown.add(n);
  }

  /** An allowed record of an RBAC object patch on edge `n`: GC fields only or not (any other write wins). */
  markWrite(n: number, gcOnly: boolean): void {
    this.gcOnly.set(n, gcOnly && this.gcOnly.get(n) !== false);
  }

  /** Edge `n`, named `name`, as the profile has it. */
  private edge(name: string, n: number): K8sEdge {
    const p = this.prefixes[this.slots[STRIDE * n + PREFIX]!]!;
    // edgeAccess's fields in its order, made at once.
    const edge: K8sEdge = {
      verb: p.verb,
      apiGroup: p.apiGroup,
      resource: p.resource,
      subresource: p.subresource,
      namespace: p.namespace,
      name,
      nonResourceURL: p.nonResourceURL,
    };
    const a = this.slots[STRIDE * n]!;
    const d = this.slots[STRIDE * n + 1]!;
    const u = this.slots[STRIDE * n + 2]!;
    if (a >= 0) edge.allowed = this.ev.toEvidence(a);
    if (d >= 0) edge.denied = this.ev.toEvidence(d);
    if (u >= 0) edge.undecided = this.ev.toEvidence(u);
    const implied = this.implied.get(n);
    if (implied) edge.implied = sortImplied(implied.values());
    if (this.roleRefUnknown.has(n)) edge.roleRefUnknown = true;
    if (this.gcOnly.get(n) === true) edge.gcOnly = true;
    return edge;
  }

  /**
   * The lines of one principal's edges as `k8sLine` writes them, in the profile's order, made from the columns
   * without the edges' objects, each as it is asked for (the profile's hot writer: ADR 0010). An edge with more than
   * its evidence (implied, roleRefUnknown, gcOnly: rare) is made as its object and written by `k8sLine`. With
   * `keys`, each line's order key is pushed to it as the line is made (keyedLines.ts).
   */
  *lines(edges: K8sEdges, keys?: string[]): Generator<string> {
    const ranks = this.ranked();
    const keyParts = keys && this.keyParts();
    const names: string[] = [];
    const ns: number[] = [];
    for (const [name, v] of edges) {
      if (typeof v !== 'number')
        for (const n of v.values()) {
          names.push(name);
          ns.push(n);
        }
      else
        for (let n = v; n >= 0; n = this.slots[STRIDE * n + NEXT]!) {
          names.push(name);
          ns.push(n);
        }
    }
    const slots = this.slots;
    const order = Array.from(names.keys()).sort((x, y) => {
      const px = slots[STRIDE * ns[x]! + PREFIX]!;
      const py = slots[STRIDE * ns[y]! + PREFIX]!;
      return ranks.head[px]! - ranks.head[py]! || cmp(names[x]!, names[y]!) || ranks.tail[px]! - ranks.tail[py]!;
    });
    for (const i of order) {
      const n = ns[i]!;
      const name = names[i]!;
      if (keyParts) {
        const p = slots[STRIDE * n + PREFIX]!;
        keys!.push(keyParts.head[p]! + orderKeyField(name) + keyParts.tail[p]!);
      }
      if (this.implied.has(n) || this.roleRefUnknown.has(n) || this.gcOnly.get(n) === true) {
        yield k8sLine(this.edge(name, n));
        continue;
      }
      const a = this.prefixes[slots[STRIDE * n + PREFIX]!]!;
      yield k8sLineOf(
        [a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, name, a.nonResourceURL],
        this.ev.tupleOf(slots[STRIDE * n]!),
        this.ev.tupleOf(slots[STRIDE * n + 1]!),
        this.ev.tupleOf(slots[STRIDE * n + 2]!),
      );
    }
  }

  /** The prefixes' ranks in the profile's order of accesses, before and after the name. */
  private ranked(): PrefixRanks {
    if (this.ranks?.head.length === this.prefixes.length) return this.ranks;
    const ps = this.prefixes;
    const rank = (compare: (a: K8sAccess, b: K8sAccess) => number): Int32Array => {
      const order = Array.from(ps.keys()).sort((x, y) => compare(ps[x]!, ps[y]!));
      const r = new Int32Array(ps.length);
      // Equal keys share a rank, so the next field decides.
      for (let i = 0; i < order.length; i++)
        r[order[i]!] = i && compare(ps[order[i - 1]!]!, ps[order[i]!]!) === 0 ? r[order[i - 1]!]! : i;
      return r;
    };
    this.ranks = {
      head: rank(
        (a, b) =>
          cmp(a.namespace, b.namespace) ||
          cmp(a.apiGroup, b.apiGroup) ||
          cmp(a.resource, b.resource) ||
          cmp(a.subresource, b.subresource),
      ),
      tail: rank((a, b) => cmp(a.nonResourceURL, b.nonResourceURL) || cmp(a.verb, b.verb)),
    };
    return this.ranks;
  }

  /** Per prefix number, its part of an order key before the name and after it (made when first asked for). */
  private keyParts(): { head: string[]; tail: string[] } {
    if (this.keyed?.head.length === this.prefixes.length) return this.keyed;
    return (this.keyed = { head: this.prefixes.map(k8sKeyHead), tail: this.prefixes.map(k8sKeyTail) });
  }

  /** How many edges one principal's map has. */
  edgeCount(edges: K8sEdges): number {
    let count = 0;
    for (const v of edges.values())
      if (typeof v !== 'number') count += v.size;
      else for (let n = v; n >= 0; n = this.slots[STRIDE * n + NEXT]!) count++;
    return count;
  }

  /** The edges of one principal's map as the profile has them, in its order. */
  edgesOf(edges: K8sEdges): K8sEdge[] {
    const out: K8sEdge[] = [];
    for (const [name, v] of edges) {
      if (typeof v !== 'number') for (const n of v.values()) out.push(this.edge(name, n));
      else for (let n = v; n >= 0; n = this.slots[STRIDE * n + NEXT]!) out.push(this.edge(name, n));
    }
    return out.sort(compareAccess);
  }
}

/** Per K8s edge in `slots`: allowed, denied and undecided accumulators, prefix number, next edge of its chain. */
const STRIDE = 5;
const PREFIX = 3;
const NEXT = 4;

/** The trie below `m` at `k`, made on first use. */
function level(m: PrefixTrie, k: string): PrefixTrie {
  let next = m.get(k) as PrefixTrie | undefined;
  if (next === undefined) m.set(k, (next = new Map()));
  return next;
}
