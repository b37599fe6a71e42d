import { cmp } from './issue.js';
import { tupleKey } from '../util/key.js';
import { addCounts, maxTime, minTime, type Sample } from './evidence.js';
import { put } from '../util/own.js';

/**
 * Network observations and the network part of the profile: who talked to whom, on which protocol
 * and port. Peers are workloads (a Deployment, StatefulSet, DaemonSet, CronJob..., named by namespace
 * and name), nodes, the Kubernetes API server, or plain IP addresses outside the cluster.
 */
export type Peer =
  | { kind: 'workload'; namespace: string; name: string }
  /**
   * A node by its address; `own` when it is the node the pod at the other end runs on (Hubble's `reserved:host`, seen
   * from that pod's side), whose traffic with the pod Kubernetes allows whatever the NetworkPolicies, and Cilium gives
   * the `host` identity.
   */
  | { kind: 'node'; ip: string; own?: true }
  /**
   * The Kubernetes API server, at the address a flow saw it at (Hubble's `reserved:kube-apiserver`): the address is
   * evidence, not the peer. Managed control planes (EKS, GKE, AKS) change it, on upgrades and scaling; Cilium selects
   * the API server by its entity, whatever its address.
   */
  | { kind: 'apiserver'; ip: string }
  | { kind: 'ip'; ip: string };

export type L4Protocol = 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6';

/** A workload as the network slice knows it: how to select its pods, and what they declare. */
export interface WorkloadInfo {
  namespace: string;
  name: string;
  /** Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, Pod; `Unknown` when guessed from a pod name. */
  kind: string;
  /** The labels that select its pods: the workload's `spec.selector.matchLabels`, or the pod's stable labels. */
  selector: Record<string, string>;
  /** Labels every seen pod of it carries (for evaluating hand-written selectors). */
  labels: Record<string, string>;
  /** Container ports its pods declare (named ports resolve against these). */
  ports: { name: string; port: number; protocol: L4Protocol }[];
  hostNetwork: boolean;
  /** The service account its pods run as ('' when unknown). */
  serviceAccount?: string;
  /** Pods of it the inventory holds (absent when not known from an inventory); 0 for a CronJob that never ran. */
  pods?: number;
  /** How it was identified: `inventory`, or `flow-labels` (from the flow's pod name and labels). */
  source: 'inventory' | 'flow-labels';
}

/** One flow record, normalised. */
export interface FlowObservation {
  kind: 'flow';
  from: Peer;
  to: Peer;
  protocol: L4Protocol;
  /** Destination port (0 for ICMP). */
  port: number;
  decision: 'allow' | 'deny';
  /** True when this record starts a connection (TCP SYN, a UDP or ICMP request, a VPC flow record). */
  starts: boolean;
  time: string;
  /** `srcIP:srcPort>dstIP:dstPort`: the sample id, the same whichever file the record came from. */
  id: string;
  /** Workloads met on the way (with their selectors), to be recorded in the profile. */
  workloads: WorkloadInfo[];
  /** DNS names seen for the destination IP (Hubble `destination_names`, DNS answers). */
  names: { ip: string; names: string[] }[];
}

/** A record left out while decoding, and why (counted in the profile's `skipped`). */
export type RecordSkip = {
  kind: 'skip';
  reason:
    | 'reply'
    /** ICMP messages other than echo requests and replies (errors, neighbour discovery, other queries). */
    | 'icmp-not-echo'
    | 'no-data'
    | 'unsupported-protocol'
    | 'dns-answer'
    | 'cloudtrail-digest'
    | 'cloudtrail-insight'
    /** Kubernetes: a 401 logged with no user (its credentials were not accepted). */
    | 'authentication-failure';
};

/** DNS names seen for addresses (a DNS answer), without a flow of their own. */
export type FlowNames = { kind: 'flow-names'; names: { ip: string; names: string[] }[]; time: string };

/** Evidence of a network edge: connections started, records seen, when, and sample flows. */
export interface FlowEvidence {
  /** Connections seen starting (TCP SYN, UDP/ICMP requests, VPC flow records). */
  connections: number;
  /** Every record from the initiating side (mid-connection packets included). */
  records: number;
  firstSeen: string;
  lastSeen: string;
  samples: Sample[];
}

export interface NetEdge {
  from: Peer;
  to: Peer;
  protocol: L4Protocol;
  port: number;
  allowed?: FlowEvidence;
  denied?: FlowEvidence;
}

export const FLOW_SAMPLE_LIMIT = 3;

/** A peer's display and sort form: `w:shop/web`, `ip:10.0.0.1`, `apiserver:10.0.0.1`. Not a map key: use `peerId`. */
export function peerKey(p: Peer): string {
  return p.kind === 'workload'
    ? `w:${p.namespace}/${p.name}`
    : `${p.kind}:${p.ip}${p.kind === 'node' && p.own ? ':own' : ''}`;
}

/** A peer as a map key that no name can shift. */
export function peerId(p: Peer): string {
  if (p.kind === 'workload') return tupleKey('w', p.namespace, p.name);
  return p.kind === 'node' && p.own ? tupleKey('node', p.ip, 'own') : tupleKey(p.kind, p.ip);
}

/**
 * The profile's order of peers. The API server sorts as the address it is written as (`{kind: ip, ip, apiserver:
 * true}`, profile/lines.ts), so that a reader that does not know it finds the lines in the order it expects.
 */
export function comparePeers(a: Peer, b: Peer): number {
  return cmp(orderKey(a), orderKey(b)) || cmp(peerId(a), peerId(b));
}

const orderKey = (p: Peer): string => (p.kind === 'apiserver' ? `ip:${p.ip}` : peerKey(p));

/** A workload as a map key. */
export function workloadId(w: { namespace: string; name: string }): string {
  return tupleKey(w.namespace, w.name);
}

/** Workloads in `namespace/name` order. */
export function compareWorkloads(
  a: { namespace: string; name: string },
  b: { namespace: string; name: string },
): number {
  return cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || cmp(a.namespace, b.namespace);
}

export function describePeer(p: Peer): string {
  if (p.kind === 'workload') return `${p.namespace}/${p.name}`;
  if (p.kind === 'apiserver') return `API server ${p.ip}`;
  return p.kind === 'node' ? `${p.own ? 'own node' : 'node'} ${p.ip}` : p.ip;
}

type EdgeId = { from: Peer; to: Peer; protocol: string; port: number };

/** A network edge as a map key (joined, so that a map keeps one flat string: tupleKeyOf in util/key.ts). */
export function edgeKey(e: EdgeId): string {
  return [peerId(e.from), peerId(e.to), tupleKey(e.protocol, String(e.port))].join('');
}

/** The profile's order of network edges: source, destination, protocol, port. */
export function compareEdges(a: EdgeId, b: EdgeId): number {
  return comparePeers(a.from, b.from) || comparePeers(a.to, b.to) || cmp(a.protocol, b.protocol) || a.port - b.port;
}

/** Whether sample a goes before sample b: by time (no time last), then by id. */
function before(a: Sample, b: Sample): boolean {
  return a.time !== b.time ? (a.time === '' ? false : b.time === '' ? true : a.time < b.time) : a.id < b.id;
}

/** Whether samples are as evidence keeps them: at most FLOW_SAMPLE_LIMIT, each strictly before the next. */
export function flowSamplesKept(samples: readonly Sample[]): boolean {
  if (samples.length > FLOW_SAMPLE_LIMIT) return false;
  for (let i = 1; i < samples.length; i++) if (!before(samples[i - 1]!, samples[i]!)) return false;
  return true;
}

function addFlowSample(samples: Sample[], s: Sample): void {
  if (samples.some((x) => x.id === s.id && x.time === s.time)) return;
  let i = samples.length;
  while (i > 0 && before(s, samples[i - 1]!)) i--;
  if (i >= FLOW_SAMPLE_LIMIT) return;
  samples.splice(i, 0, s);
  if (samples.length > FLOW_SAMPLE_LIMIT) samples.pop();
}

export function newFlowEvidence(): FlowEvidence {
  return { connections: 0, records: 0, firstSeen: '', lastSeen: '', samples: [] };
}

export function addFlow(ev: FlowEvidence, starts: boolean, time: string, id: string): void {
  ev.records++;
  if (starts) ev.connections++;
  if (time !== '') {
    ev.firstSeen = minTime(ev.firstSeen, time);
    ev.lastSeen = maxTime(ev.lastSeen, time);
  }
  const s = { id, time };
  // A full list keeps its samples from a record that goes after its last (most: flow logs come in time order).
  const n = ev.samples.length;
  if (n === FLOW_SAMPLE_LIMIT && !before(s, ev.samples[n - 1]!)) return;
  addFlowSample(ev.samples, s);
}

/** Associative and commutative. */
export function mergeFlowEvidence(a: FlowEvidence, b: FlowEvidence): FlowEvidence {
  const samples: Sample[] = [];
  for (const s of [...a.samples, ...b.samples]) addFlowSample(samples, s);
  return {
    connections: addCounts(a.connections, b.connections),
    records: addCounts(a.records, b.records),
    firstSeen: minTime(a.firstSeen, b.firstSeen),
    lastSeen: maxTime(a.lastSeen, b.lastSeen),
    samples,
  };
}

/** Two views of one workload (from different pods or shards) → one: labels are what both carry. */
export function mergeWorkload(a: WorkloadInfo, b: WorkloadInfo): WorkloadInfo {
  // An inventory's view wins over one guessed from flow labels.
  if (a.source !== b.source) return a.source === 'inventory' ? a : b;
  // A view without labels (a flow that named the pod but carried none) knows nothing about them.
  const inter = (x: Record<string, string>, y: Record<string, string>) =>
    Object.keys(x).length === 0
      ? sortedRecord(y)
      : Object.keys(y).length === 0
        ? sortedRecord(x)
        : sortedRecord(Object.fromEntries(Object.entries(x).filter(([k, v]) => y[k] === v)));
  const ports = new Map<string, WorkloadInfo['ports'][number]>();
  for (const p of [...a.ports, ...b.ports]) ports.set(tupleKey(p.name, String(p.port), p.protocol), p);
  return {
    ...a,
    kind: a.kind === b.kind ? a.kind : cmp(a.kind, b.kind) <= 0 ? a.kind : b.kind,
    selector: inter(a.selector, b.selector),
    labels: inter(a.labels, b.labels),
    ports: [...ports.values()].sort((x, y) => x.port - y.port || cmp(x.protocol, y.protocol) || cmp(x.name, y.name)),
    hostNetwork: a.hostNetwork || b.hostNetwork,
    ...(a.serviceAccount || b.serviceAccount
      ? { serviceAccount: [a.serviceAccount, b.serviceAccount].filter((x): x is string => !!x).sort(cmp)[0]! }
      : {}),
    // Pod counts come whole from one inventory; two views of it (shards, days) do not add up.
    ...(a.pods !== undefined || b.pods !== undefined ? { pods: Math.max(a.pods ?? 0, b.pods ?? 0) } : {}),
  };
}

/**
 * Labels every view that carries any agrees on (a view without labels knows nothing about them); `{}` when
 * none carries any or they share none. Over the whole set at once, so the answer is the same in any order.
 */
export function agreedLabels(views: Record<string, string>[]): Record<string, string> {
  const known = views.filter((v) => Object.keys(v).length > 0);
  if (known.length === 0) return {};
  return sortedRecord(Object.fromEntries(Object.entries(known[0]!).filter(([k, v]) => known.every((x) => x[k] === v))));
}

/**
 * Every view of one workload (from several profiles, days, shards, pods) → one, by a rule no order changes: the
 * inventory's views when there are any (they win over views guessed from flow labels); labels and selector what
 * all of those views that carry any agree on; kind and service account the smallest in code-unit order; ports
 * united; host network if any view says so; pods the largest count. Pairwise `mergeWorkload` gives the same but
 * for labels: an empty intersection of two views reads as "unknown" to the third.
 */
export function mergeWorkloads(views: WorkloadInfo[]): WorkloadInfo {
  const acc = new WorkloadViews(views[0]!);
  for (const w of views.slice(1)) acc.add(w);
  return acc.get();
}

/**
 * `mergeWorkloads` as views come (while reading flows or an inventory's pods), in any order the same: the labels and
 * selector agreed so far are kept apart from the rest, so that none agreed (two views sharing no label) stays "none",
 * where a pairwise merge would read it as "unknown" and take the next view's labels whole.
 */
export class WorkloadViews {
  /** The views merged so far but for labels and selector, which are kept below (get() takes them from there). */
  private base: WorkloadInfo;
  /** Whether `base` came out of mergeWorkload (its ports sorted and distinct), so a view it absorbs may be skipped. */
  private merged = false;
  /** Undefined while no view of the winning source carried any. */
  private selector: Record<string, string> | undefined;
  private labels: Record<string, string> | undefined;
  /** The view added last. */
  private last: WorkloadInfo | undefined;

  constructor(first: WorkloadInfo) {
    this.base = first;
    this.selector = agree(undefined, first.selector);
    this.labels = agree(undefined, first.labels);
  }

  add(w: WorkloadInfo): void {
    // The same view again (a pod's flows share one, frozen whole: flowPods.ts, the inventory's resolver) adds nothing
    // once `base` is a merge's: it absorbs it, and the labels agreed are a part of its own. Only a view frozen whole is
    // remembered: another could have changed since.
    if (w === this.last && this.merged) return;
    this.last = frozenWhole(w) ? w : undefined;
    if (w.source !== this.base.source) {
      // An inventory's view wins over those guessed from flow labels: they are forgotten, later ones ignored.
      if (w.source !== 'inventory') return;
      this.base = w;
      this.merged = false;
      this.selector = agree(undefined, w.selector);
      this.labels = agree(undefined, w.labels);
      return;
    }
    // Most views of a workload (one per flow record) repeat what is known: merging them changes nothing.
    if (!this.merged || !absorbs(this.base, w)) {
      this.base = mergeWorkload(this.base, w);
      this.merged = true;
    }
    this.selector = agree(this.selector, w.selector);
    this.labels = agree(this.labels, w.labels);
  }

  get(): WorkloadInfo {
    return { ...this.base, selector: this.selector ?? {}, labels: this.labels ?? {} };
  }
}

/** Whether a view cannot change: it, its selector, labels, ports and each port frozen. */
export function frozenWhole(w: WorkloadInfo): boolean {
  return (
    Object.isFrozen(w) &&
    Object.isFrozen(w.selector) &&
    Object.isFrozen(w.labels) &&
    Object.isFrozen(w.ports) &&
    w.ports.every(Object.isFrozen)
  );
}

/** A view's workload merged into the map's (by key), or the first view of it. */
export function addView(views: Map<string, WorkloadViews>, key: string, w: WorkloadInfo): void {
  const known = views.get(key);
  if (known) known.add(w);
  else views.set(key, new WorkloadViews(w));
}

/**
 * Whether `mergeWorkload(a, b)` is `a` but for labels and selector: `b`'s kind, ports, host network, service account
 * and pod count add nothing. `a` must be a merge's result (its ports sorted, one per name, port and protocol).
 */
function absorbs(a: WorkloadInfo, b: WorkloadInfo): boolean {
  return (
    cmp(a.kind, b.kind) <= 0 &&
    (a.hostNetwork || !b.hostNetwork) &&
    (!b.serviceAccount || (!!a.serviceAccount && cmp(a.serviceAccount, b.serviceAccount) <= 0)) &&
    (b.pods === undefined || (a.pods !== undefined && a.pods >= b.pods)) &&
    b.ports.every((p) => a.ports.some((q) => q.name === p.name && q.port === p.port && q.protocol === p.protocol))
  );
}

/** Labels agreed so far and a view's: a view without labels knows nothing about them. */
function agree(acc: Record<string, string> | undefined, r: Record<string, string>): Record<string, string> | undefined {
  if (Object.keys(r).length === 0) return acc;
  if (acc === undefined) return sortedRecord(r);
  // A view that carries every label agreed so far leaves them as they are (most views of a workload).
  if (Object.entries(acc).every(([k, v]) => r[k] === v)) return acc;
  return sortedRecord(Object.fromEntries(Object.entries(acc).filter(([k, v]) => r[k] === v)));
}

export function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort(cmp)) put(out, k, r[k]!);
  return out;
}
