import { accessKey, compareAccess, type K8sAccess } from '../model/access.js';
import { EvidenceAccumulator } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { Decision } from '../model/observation.js';
import { edgeAccess, type ImpliedBy, type K8sEdge } from '../model/profile.js';
import type { Stage } from '../model/evidence.js';
import { tupleKey } from '../util/key.js';

/** One Kubernetes access of a principal while profiling: counters only. */
export interface EdgeState {
  access: K8sAccess;
  allowed?: EvidenceAccumulator;
  denied?: EvidenceAccumulator;
  undecided?: EvidenceAccumulator;
  /** For an implied check: the requests behind it, by `impliedKey`. */
  implied?: Map<string, ImpliedBy>;
  roleRefUnknown?: boolean;
}

/** Count one record on the edge `key` of `edges` (made on first use). */
export function countOn(
  edges: Map<string, EdgeState>,
  key: string,
  access: K8sAccess,
  decision: Decision,
  record: { stage: Stage; time: string; id: string },
): EdgeState {
  let edge = edges.get(key);
  if (!edge) edges.set(key, (edge = { access }));
  const slot = decision === 'allow' ? 'allowed' : decision === 'deny' ? 'denied' : 'undecided';
  (edge[slot] ??= new EvidenceAccumulator()).add(record.stage, record.time, record.id);
  return edge;
}

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

/** The profile form of an edge's state. */
export function toEdge(st: EdgeState): K8sEdge {
  const edge: K8sEdge = edgeAccess(st.access);
  if (st.allowed) edge.allowed = st.allowed.toEvidence();
  if (st.denied) edge.denied = st.denied.toEvidence();
  if (st.undecided) edge.undecided = st.undecided.toEvidence();
  if (st.implied) edge.implied = sortImplied(st.implied.values());
  if (st.roleRefUnknown) edge.roleRefUnknown = true;
  return edge;
}
