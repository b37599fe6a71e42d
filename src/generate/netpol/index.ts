import { pushAll } from '../../util/array.js';
import { isPlatformNamespace } from '../../knowledge/kubernetes/platformNamespaces.js';
import { HOST_NETWORK_GROUP, OVN_NAMESPACE } from '../../knowledge/kubernetes/openShift.js';
import { cmp } from '../../model/issue.js';
import {
  describePeer,
  mergeFlowEvidence,
  peerKey,
  type FlowEvidence,
  type NetEdge,
  type Peer,
  type WorkloadInfo,
} from '../../model/network.js';
import type { Profile } from '../../model/profile.js';
import { nameSegment } from '../../util/paths.js';
import { evidenceDoc } from './evidence.js';
import { asStaged } from '../../knowledge/network/staged.js';
import { isPrivateAddress } from '../../knowledge/network/cidr.js';
import { ciliumPolicy, defaultDenyPolicy, networkPolicy } from './objects.js';
import { aggregate, rotatingNames, wkey, type Rule } from './rules.js';
import {
  clusterRangeBlocks,
  quietWorkloads,
  unresolvedTraffic,
  type QuietWorkload,
  type Unresolved,
} from './coverage.js';

/** Options of `generate netpol`; widenings are off by default. */
export interface NetpolOptions {
  flavor?: 'kubernetes' | 'cilium';
  /** One deny-all policy per namespace with generated policies (on by default). */
  defaultDeny?: boolean;
  /**
   * A default deny in the platform's namespaces too (`kube-system`, `kube-public`, `kube-node-lease`, OpenShift's
   * `openshift` and `openshift-*`; off: each is listed instead).
   */
  denySystemNamespaces?: boolean;
  /** All ports to an observed peer. */
  widenPorts?: boolean;
  /** External addresses into blocks of this prefix length (IPv4; IPv6 keeps /128). */
  aggregateCidr?: number;
  /** Peers as seen: on OpenShift with OVN-Kubernetes, nodes by address rather than the host-network policy group. */
  exact?: boolean;
  /**
   * Calico StagedKubernetesNetworkPolicies instead of NetworkPolicies (the kubernetes flavor): the same spec,
   * watched in Calico's flow logs before it is enforced (knowledge/network/staged.ts).
   */
  staged?: boolean;
}

export interface NetpolWidening {
  workload: string;
  option:
    | 'widen-ports'
    | 'aggregate-cidr'
    | 'dns'
    | 'unselectable-peer'
    | 'system-namespace'
    | 'unselectable-namespace'
    | 'host-network'
    | 'node-entities';
  detail: string;
}

export interface NetpolArtefact {
  namespace: string;
  /** `netpol/<namespace>/<workload>.yaml` or `netpol/<namespace>/_default-deny.yaml`. */
  path: string;
  objects: Record<string, unknown>[];
  evidencePath?: string;
  evidence?: Record<string, unknown>;
}

export interface NetpolResult {
  artefacts: NetpolArtefact[];
  widenings: NetpolWidening[];
  /** Things a Kubernetes NetworkPolicy cannot say (ICMP), by workload. */
  inexpressible: { workload: string; detail: string }[];
  /**
   * Traffic between a workload's pods and their own node (kubelet probes, node agents), by workload: Kubernetes
   * allows it whatever the NetworkPolicies, so no rule is written for it (`--flavor kubernetes`).
   */
  ownNode: { workload: string; detail: string }[];
  /** Peers that are nodes or host-network pods (allowed by node IP: flagged for review). */
  nodePeers: { workload: string; ip: string; direction: 'ingress' | 'egress' }[];
  /**
   * Connections with the Kubernetes API server, at the addresses the flows saw it at: allowed by those addresses
   * (`address`: a NetworkPolicy cannot name the API server, and managed control planes change them) or as Cilium's
   * kube-apiserver entity (`entity`), whatever its address.
   */
  apiServer: { by: 'address' | 'entity'; peers: { workload: string; ip: string; direction: 'ingress' | 'egress' }[] };
  /** Workloads left without a policy, and why (an empty selector would select the whole namespace). */
  skipped: { workload: string; reason: string }[];
  /** Workloads of the inventory that had no observed traffic, each said open when no default deny covers it. */
  quiet: QuietWorkload[];
  /**
   * Public addresses a workload reached with no DNS name seen for them: a `/32` follows the address, not the service.
   * (Private ones are left out: most are the cluster's own, such as the API server's, reached by address.)
   */
  unnamed: { workload: string; ip: string }[];
  /**
   * With an inventory, addresses in the cluster's ranges that no pod or node of it has, reached by `/32` blocks (a pod
   * gone before the inventory was taken is one: the next pod given its address inherits the rule).
   */
  clusterRangeBlocks: { workload: string; ip: string }[];
  /** Allowed traffic with no workload at either end (no policy is made from it), when there is any. */
  unresolved?: Unresolved;
  /** Flows the logs show as dropped: listed, never allowed. */
  denied: { from: string; to: string; protocol: string; port: number; records: number }[];
  /** The policies are Calico StagedKubernetesNetworkPolicies (`--staged`). */
  staged?: true;
}

const DNS_PORT = 53;

/** A DNS server workload: something in kube-system answering on 53, or labelled as cluster DNS. */
function isDnsServer(w: WorkloadInfo | undefined): boolean {
  if (!w) return false;
  return (
    w.selector['k8s-app'] === 'kube-dns' ||
    w.labels['k8s-app'] === 'kube-dns' ||
    (w.namespace === 'kube-system' && /dns/.test(w.name))
  );
}

/** Least-privilege NetworkPolicies from the profile's network edges. Deterministic. */
export function generateNetpol(profile: Profile, opts: NetpolOptions = {}): NetpolResult {
  const flavor = opts.flavor ?? 'kubernetes';
  const result: NetpolResult = {
    artefacts: [],
    widenings: [],
    inexpressible: [],
    ownNode: [],
    nodePeers: [],
    apiServer: { by: flavor === 'cilium' ? 'entity' : 'address', peers: [] },
    skipped: [],
    quiet: [],
    unnamed: [],
    clusterRangeBlocks: [],
    denied: [],
  };
  const workloads = new Map<string, WorkloadInfo>();
  for (const w of profile.workloads ?? []) workloads.set(wkey(w.namespace, w.name), w);
  const inventory = (profile.workloads ?? []).some((w) => w.source === 'inventory');
  // OpenShift with OVN-Kubernetes: a node's traffic is selected by the host-network policy group, which a replaced
  // node (another address) keeps; elsewhere only by address.
  const hostGroup =
    flavor === 'kubernetes' && !opts.exact && (profile.namespaces ?? []).some((n) => n.name === OVN_NAMESPACE);
  const names = new Map<string, string[]>();
  for (const n of profile.dnsNames ?? []) names.set(n.ip, n.names);

  // Per workload: egress rules (by destination peer) and ingress rules (by source peer).
  const egress = new Map<string, Map<string, Rule>>();
  const ingress = new Map<string, Map<string, Rule>>();
  const active = new Set<string>();
  const addRule = (
    table: Map<string, Map<string, Rule>>,
    owner: string,
    peer: Peer,
    e: NetEdge,
    ev: FlowEvidence,
    port: number | string,
  ) => {
    let rules = table.get(owner);
    if (!rules) table.set(owner, (rules = new Map()));
    const k = peerKey(peer);
    let r = rules.get(k);
    if (!r) rules.set(k, (r = { peer, ports: new Map(), ev, allPorts: false, names: new Set() }));
    else r.ev = mergeFlowEvidence(r.ev, ev);
    r.ports.set(`${e.protocol}/${port}`, { protocol: e.protocol, port });
    if (peer.kind !== 'workload') for (const n of names.get(peer.ip) ?? []) r.names.add(n);
    return r;
  };

  for (const e of profile.network ?? []) {
    if (e.denied)
      result.denied.push({
        from: describePeer(e.from),
        to: describePeer(e.to),
        protocol: e.protocol,
        port: e.port,
        records: e.denied.records,
      });
    if (!e.allowed) continue;
    const src = e.from.kind === 'workload' ? wkey(e.from.namespace, e.from.name) : undefined;
    const dst = e.to.kind === 'workload' ? wkey(e.to.namespace, e.to.name) : undefined;
    if (src) active.add(src);
    if (dst) active.add(dst);
    if (flavor === 'kubernetes' && (isOwnNode(e.from) || isOwnNode(e.to))) {
      for (const w of [src, dst])
        if (w)
          result.ownNode.push({
            workload: w,
            detail: `${describePeer(e.from)} → ${describePeer(e.to)} ${e.protocol}${e.port ? `/${e.port}` : ''}`,
          });
      continue;
    }
    if (e.protocol === 'ICMP' || e.protocol === 'ICMPv6') {
      if (flavor === 'kubernetes') {
        for (const w of [src, dst])
          if (w)
            result.inexpressible.push({
              workload: w,
              detail: `${e.protocol} ${describePeer(e.from)} → ${describePeer(e.to)}: a NetworkPolicy cannot name ICMP (--flavor cilium can)`,
            });
        continue;
      }
    }
    const dstW = dst ? workloads.get(dst) : undefined;
    // A port the destination declares by name is written by its name.
    const named = dstW?.ports.find((p) => p.port === e.port && p.protocol === e.protocol && p.name)?.name;
    const port: number | string = named ?? e.port;
    if (src) {
      const r = addRule(egress, src, e.to, e, e.allowed, port);
      if (e.port === DNS_PORT && isDnsServer(dstW)) r.dns = true;
      if (e.to.kind === 'node' && !e.to.own) result.nodePeers.push({ workload: src, ip: e.to.ip, direction: 'egress' });
      if (e.to.kind === 'apiserver') result.apiServer.peers.push({ workload: src, ip: e.to.ip, direction: 'egress' });
    }
    if (dst) {
      const r = addRule(ingress, dst, e.from, e, e.allowed, port);
      if (e.port === DNS_PORT && isDnsServer(dstW)) r.dns = true;
      if (e.from.kind === 'node' && !e.from.own && !hostGroup)
        result.nodePeers.push({ workload: dst, ip: e.from.ip, direction: 'ingress' });
      if (e.from.kind === 'apiserver')
        result.apiServer.peers.push({ workload: dst, ip: e.from.ip, direction: 'ingress' });
    }
  }

  const byNamespace = new Map<string, string[]>();
  for (const key of [...active].sort(cmp)) {
    const w = workloads.get(key);
    if (!w) {
      result.skipped.push({ workload: key, reason: 'not in the profile’s workloads' });
      continue;
    }
    if (Object.keys(w.selector).length === 0) {
      result.skipped.push({
        workload: key,
        reason:
          'no stable labels to select its pods by (an empty podSelector would select the whole namespace)' +
          (w.source === 'flow-labels' ? '; known only from flows: --inventory or --cluster gives its labels' : ''),
      });
      continue;
    }
    const out = egress.get(key) ?? new Map<string, Rule>();
    const inn = ingress.get(key) ?? new Map<string, Rule>();
    if (flavor === 'kubernetes') rotatingNames(key, out, names, result);
    for (const r of out.values())
      if (r.peer.kind === 'ip' && !r.names.size && !isPrivateAddress(r.peer.ip))
        result.unnamed.push({ workload: key, ip: r.peer.ip });
    if (inventory) pushAll(result.clusterRangeBlocks, clusterRangeBlocks(key, [...out.values(), ...inn.values()]));
    // DNS: the cluster DNS pods on UDP and TCP 53, whichever was seen; on both ends, as the server's ingress that
    // admitted only UDP would still cut off the fallback to TCP its clients' egress allows.
    for (const [rules, dir] of [
      [out, 'to'],
      [inn, 'from'],
    ] as const) {
      for (const r of rules.values()) {
        if (!r.dns) continue;
        const had = [...r.ports.keys()].sort().join(',');
        const dnsW =
          dir === 'from'
            ? w
            : r.peer.kind === 'workload'
              ? workloads.get(wkey(r.peer.namespace, r.peer.name))
              : undefined;
        for (const protocol of ['UDP', 'TCP'] as const) {
          const port =
            dnsW?.ports.find((p) => p.port === DNS_PORT && p.protocol === protocol && p.name)?.name ?? DNS_PORT;
          r.ports.set(`${protocol}/${port}`, { protocol, port });
        }
        if ([...r.ports.keys()].sort().join(',') !== had)
          result.widenings.push({
            workload: key,
            option: 'dns',
            detail: `DNS ${dir} ${describePeer(r.peer)} on UDP and TCP 53 (seen: ${had})`,
          });
      }
    }
    if (opts.widenPorts) {
      for (const r of [...out.values(), ...inn.values()]) {
        r.allPorts = true;
        result.widenings.push({
          workload: key,
          option: 'widen-ports',
          detail: `all ports with ${describePeer(r.peer)} (seen: ${[...r.ports.keys()].sort().join(', ')})`,
        });
      }
    }
    if (opts.aggregateCidr !== undefined) {
      for (const rules of [out, inn]) aggregate(rules, opts.aggregateCidr, key, result.widenings);
    }
    for (const r of [...out.values(), ...inn.values()]) {
      if (r.peer.kind !== 'workload') continue;
      const pw = workloads.get(wkey(r.peer.namespace, r.peer.name));
      if (!pw || Object.keys(pw.selector).length === 0) {
        result.widenings.push({
          workload: key,
          option: 'unselectable-peer',
          detail: `${describePeer(r.peer)} has no stable labels: the rule admits every pod of namespace ${r.peer.namespace}`,
        });
      }
    }
    const nodes = hostGroup ? [...inn.values()].filter((r) => r.peer.kind === 'node') : [];
    if (nodes.length)
      result.widenings.push({
        workload: key,
        option: 'host-network',
        detail: `ingress from ${nodes.map((r) => describePeer(r.peer)).join(', ')} allowed from OpenShift's host-network policy group (${HOST_NETWORK_GROUP}): a replaced node has another address`,
      });
    // Cilium gives a node's address the host or remote-node identity, which its CIDR rules do not select unless the
    // agent runs with policy-cidr-match-mode nodes (off by default): node peers are written as those entities.
    const nodePeers =
      flavor === 'cilium'
        ? [...out.values(), ...inn.values()].filter((r) => r.peer.kind === 'node' && !r.peer.own)
        : [];
    if (nodePeers.length)
      result.widenings.push({
        workload: key,
        option: 'node-entities',
        detail: `${[...new Set(nodePeers.map((r) => describePeer(r.peer)))].sort(cmp).join(', ')} allowed as Cilium's host and remote-node entities (every node): its CIDR rules select a node only with policy-cidr-match-mode nodes`,
      });
    const evidence = evidenceDoc(w, out, inn);
    const objects =
      flavor === 'cilium' ? [ciliumPolicy(w, out, inn, workloads)] : [networkPolicy(w, out, inn, workloads, hostGroup)];
    result.artefacts.push({
      namespace: w.namespace,
      path: `netpol/${nameSegment(w.namespace)}/${nameSegment(w.name)}.yaml`,
      objects,
      evidencePath: `evidence/netpol/${nameSegment(w.namespace)}/${nameSegment(w.name)}.yaml`,
      evidence,
    });
    byNamespace.set(w.namespace, [...(byNamespace.get(w.namespace) ?? []), w.name]);
  }
  // Which namespaces a default deny covers, and why each other one with generated policies has none.
  const denied = new Set<string>();
  const noDeny = new Map<string, string>();
  if (opts.defaultDeny ?? true) {
    // A namespace holding a workload that talked but cannot be selected gets no default deny: it would cut that
    // workload off.
    const unselectable = new Set(result.skipped.map((s) => s.workload.split('/')[0]!));
    for (const ns of [...byNamespace.keys()].sort(cmp)) {
      // Namespaces the control plane, add-ons and the distribution's operators own: no default deny unless asked.
      if (isPlatformNamespace(ns) && !opts.denySystemNamespaces) {
        noDeny.set(ns, 'a system namespace (--deny-system-namespaces adds its default deny)');
        result.widenings.push({
          workload: ns,
          option: 'system-namespace',
          detail: `no default deny in ${ns}: a system namespace, whose add-ons talk to the API server, nodes and each other in ways flows rarely show in full (--deny-system-namespaces adds it)`,
        });
        continue;
      }
      if (unselectable.has(ns)) {
        noDeny.set(ns, 'a workload there that talked could not be given a policy');
        result.widenings.push({
          workload: ns,
          option: 'unselectable-namespace',
          detail: `no default deny in ${ns}: ${result.skipped
            .filter((s) => s.workload.startsWith(ns + '/'))
            .map((s) => s.workload)
            .join(', ')} could not be given a policy`,
        });
        continue;
      }
      denied.add(ns);
      result.artefacts.push({
        namespace: ns,
        path: `netpol/${nameSegment(ns)}/_default-deny.yaml`,
        objects: [defaultDenyPolicy(ns)],
      });
    }
  }
  result.artefacts.sort((a, b) => cmp(a.path, b.path));
  // Staged: every policy as Calico's StagedKubernetesNetworkPolicy, the default deny too (promoting only part of a
  // namespace's policies is its own outage).
  if (opts.staged && flavor === 'kubernetes') {
    for (const a of result.artefacts) a.objects = a.objects.map((o) => asStaged(o));
    result.staged = true;
  }
  result.quiet = quietWorkloads(workloads, active, denied, noDeny, opts.defaultDeny ?? true);
  const unresolved = unresolvedTraffic(profile);
  if (unresolved) result.unresolved = unresolved;
  return result;
}

/** A pod's own node (model/network.ts `Peer`). */
const isOwnNode = (p: Peer): boolean => p.kind === 'node' && p.own === true;
