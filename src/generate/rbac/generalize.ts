import { generatedName, ordinalOf } from '../../knowledge/kubernetes/generatedNames.js';
import { cmp } from '../../model/issue.js';
import { grantEvidence, type CreatedNames, type K8sEdge } from '../../model/profile.js';
import { pushAll } from '../../util/array.js';

/** Names made up by the cluster or by the principal itself, seen for one verb on one resource in one namespace. */
export interface NameGeneralization {
  /** What made them up (`objects it created itself in the soak`, or a pattern's words), with a few names of each. */
  reasons: { why: string; count: number; examples: string[] }[];
  /** Distinct names behind the decision, with a few of them. */
  instances: number;
  examples: string[];
  firstSeen: string;
  lastSeen: string;
}

const DAY_MS = 86_400_000;

/**
 * The objects a StatefulSet names by ordinal: its pods `<set>-<N>` and the claims of its volumeClaimTemplates
 * `<template>-<set>-<N>`. Nothing else is: a Secret, a ConfigMap or a namespace numbered by people
 * (`stripe-api-key-2` after `-1`, preview namespaces `pr-4102`) is not a set that grew, and dropping its names would
 * grant every object of the resource.
 */
const STATEFULSET_NAMED: ReadonlySet<string> = new Set(['pods', 'persistentvolumeclaims']);

/** Distinct objects a principal must have created in one namespace and resource before their names count as made up. */
const MIN_CREATED = 3;

/**
 * Whether the names `edges` were used with are ones the cluster makes up (so the next run will use
 * others), and why; undefined when every name looks chosen. Evidence only, never a guess: names of
 * objects the same principal kept creating in the soak (three or more); names of controllers' making (a ReplicaSet's
 * pods,
 * a CronJob's runs, generateName suffixes); names with a date, time or UUID in them; StatefulSet
 * ordinals, of pods and persistent volume claims only (what a StatefulSet names), and only when higher ordinals
 * appeared a day or more after the first (the set grew).
 */
export function generalizeNames(edges: K8sEdge[], created: CreatedNames[]): NameGeneralization | undefined {
  const names = new Map<string, { first: string; last: string }>();
  for (const e of edges) {
    const ev = grantEvidence(e);
    if (!e.name || !ev) continue;
    const prev = names.get(e.name);
    names.set(
      e.name,
      prev
        ? { first: min(prev.first, ev.firstSeen), last: max(prev.last, ev.lastSeen) }
        : { first: ev.firstSeen, last: ev.lastSeen },
    );
  }
  if (names.size === 0) return undefined;
  const e0 = edges[0]!;
  // Objects it created itself count when it keeps creating them (a job runner's pods, nightly
  // snapshots); one it created once and then maintains (a certificate's secret) keeps its name.
  const ownList = created
    .filter((c) => c.namespace === e0.namespace && c.apiGroup === e0.apiGroup && c.resource === e0.resource)
    .flatMap((c) => c.names);
  const own = new Set(ownList.length >= MIN_CREATED ? ownList : []);
  const made = new Map<string, string>();
  const generated = new Set(
    created
      .filter((c) => c.namespace === e0.namespace && c.apiGroup === e0.apiGroup && c.resource === e0.resource)
      .flatMap((c) => c.generated ?? []),
  );
  const byPattern: string[] = [];
  for (const n of names.keys()) {
    if (generated.has(n)) made.set(n, 'objects it created with generateName');
    else if (own.has(n)) made.set(n, 'objects it created itself in the soak');
    else {
      const g = generatedName(n);
      if (g) {
        made.set(n, g.why);
        if (!g.alone) byPattern.push(n);
      }
    }
  }
  // Dropping a Secret's names grants every Secret of the namespace: one name that only looks made up (a legacy
  // token Secret, `web-token-2x9kq`, keeps its name for the service account's life) is not evidence enough; two or
  // more such names are (the next run will name another). A pattern that is evidence alone (a Helm release's revision:
  // the next upgrade writes the next) counts from one name.
  if (e0.apiGroup === '' && e0.resource === 'secrets' && byPattern.length === 1) made.delete(byPattern[0]!);
  if (e0.apiGroup === '' && STATEFULSET_NAMED.has(e0.resource))
    for (const n of growingOrdinals(names))
      if (!made.has(n)) made.set(n, 'ordinals of a StatefulSet that grew during the soak');
  if (made.size === 0) return undefined;
  const list = [...made.keys()].sort(cmp);
  const times = list.map((n) => names.get(n)!);
  return {
    reasons: [...new Set(made.values())].sort(cmp).map((why) => {
      const names = list.filter((n) => made.get(n) === why);
      return { why, count: names.length, examples: names.slice(0, 3) };
    }),
    instances: list.length,
    examples: list.slice(0, 3),
    firstSeen: times.map((t) => t.first).reduce(min),
    lastSeen: times.map((t) => t.last).reduce(max),
  };
}

/** Names `base-N` of one base whose highest ordinal was first seen a day or more after the lowest. */
function growingOrdinals(names: Map<string, { first: string; last: string }>): string[] {
  const byBase = new Map<string, { name: string; ordinal: number; first: string }[]>();
  for (const [name, t] of names) {
    const o = ordinalOf(name);
    if (!o || !t.first) continue;
    let list = byBase.get(o.base);
    if (!list) byBase.set(o.base, (list = []));
    list.push({ name, ordinal: o.ordinal, first: t.first });
  }
  const out: string[] = [];
  for (const list of byBase.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.ordinal - b.ordinal);
    const lo = Date.parse(list[0]!.first.slice(0, 23) + 'Z');
    const hi = Date.parse(list[list.length - 1]!.first.slice(0, 23) + 'Z');
    if (hi - lo >= DAY_MS)
      pushAll(
        out,
        list.map((x) => x.name),
      );
  }
  return out;
}

const min = (a: string, b: string) => (a === '' ? b : b === '' ? a : a < b ? a : b);
const max = (a: string, b: string) => (a > b ? a : b);

/**
 * The words for a widening: `get pods in ci: 14 names it made itself (ci-job-03638, ...), first seen ..., last seen
 * ...`.
 */
export function describeGeneralization(what: string, g: NameGeneralization): string {
  const reasons = g.reasons.map((r) => `${r.why}: ${r.examples.join(', ')}${r.count > r.examples.length ? ', …' : ''}`);
  return `${what}: ${g.instances} made-up name${g.instances === 1 ? '' : 's'} (${reasons.join('; ')}; seen ${g.firstSeen} .. ${g.lastSeen}), resourceNames dropped`;
}
