import { cmp } from '../model/issue.js';
import { sortedRecord, type L4Protocol, type Peer, type WorkloadInfo } from '../model/network.js';
import { tupleKey } from '../util/key.js';
import { inClusterRange } from '../knowledge/network/cidr.js';
import { isPerReleaseLabel, isUnstableLabel } from '../knowledge/kubernetes/podLabels.js';

/**
 * A cluster inventory: what the network slice needs of the cluster's objects to turn IP addresses
 * and pod names into workloads. Plain data (it crosses to worker threads and into snapshots).
 */
export interface Inventory {
  namespaces: { name: string; labels: Record<string, string> }[];
  pods: InvPod[];
  /** ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs. */
  controllers: InvController[];
  services: InvService[];
  nodes: InvNode[];
}

/**
 * A node: its addresses (InternalIP, ExternalIP) and `metadata.labels`, which a Cilium host policy's `nodeSelector`
 * selects it by. `labels` is absent where they are not known (an inventory built by other means, or labels no API
 * server would accept): a host policy's selection of the node is then a maybe.
 */
export interface InvNode {
  name: string;
  ips: string[];
  labels?: Record<string, string>;
  /** Its EC2 instance id, from `spec.providerID` (`aws:///eu-west-1a/i-0abc...`), on AWS. */
  instanceId?: string;
}

export interface InvPod {
  namespace: string;
  name: string;
  ips: string[];
  labels: Record<string, string>;
  node: string;
  hostNetwork: boolean;
  serviceAccount: string;
  owner?: { kind: string; name: string };
  ports: { name: string; port: number; protocol: L4Protocol }[];
  /** The SecurityContextConstraints OpenShift admitted it under (its `openshift.io/scc` annotation), if any. */
  scc?: string;
}

export interface InvController {
  namespace: string;
  kind: string;
  name: string;
  owner?: { kind: string; name: string };
  /** `spec.selector.matchLabels`, when it has one. */
  selector?: Record<string, string>;
  /** The pod template's labels and service account (a CronJob's through its job template). */
  template?: { labels: Record<string, string>; serviceAccount: string };
}

export interface InvService {
  namespace: string;
  name: string;
  clusterIPs: string[];
  selector: Record<string, string>;
  /**
   * `metadata.labels` (CiliumNetworkPolicy `toServices.k8sServiceSelector` selects Services by them); absent in an
   * inventory built by other means, where a selection by labels stays a maybe.
   */
  labels?: Record<string, string>;
  ports: { name: string; port: number; targetPort: number | string; protocol: L4Protocol; nodePort?: number }[];
}

export const emptyInventory = (): Inventory => ({ namespaces: [], pods: [], controllers: [], services: [], nodes: [] });

/** The labels a workload's pods share: without the unstable ones (knowledge/kubernetes/podLabels.ts). */
export function stableLabels(labels: Record<string, string>): Record<string, string> {
  const dc = deploymentConfigOf(labels) !== undefined;
  return sortedRecord(
    Object.fromEntries(Object.entries(labels).filter(([k]) => !isUnstableLabel(k) && !(dc && k === DC_ROLLOUT))),
  );
}

/** The labels to select a workload's pods by when no controller's selector says: stable ones, none per release. */
export function selectorLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(stableLabels(labels)).filter(([k]) => !isPerReleaseLabel(k)));
}

/** OpenShift's DeploymentConfig labels (openshift/api apps/v1: DeploymentConfigLabel, DeploymentLabel). */
const DC_LABEL = 'deploymentconfig';
const DC_ROLLOUT = 'deployment';

/**
 * The DeploymentConfig a pod's labels say it belongs to, or undefined. Each rollout of a DeploymentConfig `web` is a
 * ReplicationController `web-<version>`, whose pods carry `deploymentconfig: web` and `deployment: web-<version>`:
 * the second changes with every rollout, like a ReplicaSet's pod-template-hash. Only that pair is taken, so a
 * `deployment` label someone set themselves stays a label.
 */
export function deploymentConfigOf(labels: Record<string, string>): string | undefined {
  const dc = labels[DC_LABEL];
  const rollout = labels[DC_ROLLOUT];
  if (!dc || rollout === undefined || !rollout.startsWith(dc + '-')) return undefined;
  return /^\d+$/.test(rollout.slice(dc.length + 1)) ? dc : undefined;
}

/** Sort every list so that the same objects in any order give the same inventory. */
export function canonicalInventory(inv: Inventory): Inventory {
  const by =
    <T>(key: (x: T) => string) =>
    (a: T, b: T) =>
      cmp(key(a), key(b));
  const dedupe = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()].sort(by(key));
  return {
    namespaces: dedupe(inv.namespaces, (n) => n.name),
    pods: dedupe(inv.pods, (p) => `${p.namespace}/${p.name}`),
    controllers: dedupe(inv.controllers, (c) => `${c.namespace}/${c.kind}/${c.name}`),
    services: dedupe(inv.services, (s) => `${s.namespace}/${s.name}`),
    nodes: dedupe(inv.nodes, (n) => n.name),
  };
}

/** Strip controller suffixes from a pod name: `productpage-v1-6b746f74dc-9rcxx` → `productpage-v1`. */
export function workloadNameFromPod(pod: string, labels: Record<string, string> = {}): { name: string; kind: string } {
  const dc = deploymentConfigOf(labels);
  if (dc && pod.startsWith(labels[DC_ROLLOUT] + '-')) return { name: dc, kind: 'DeploymentConfig' };
  if (labels['statefulset.kubernetes.io/pod-name'] === pod)
    return { name: pod.replace(/-\d+$/, ''), kind: 'StatefulSet' };
  const job = labels['batch.kubernetes.io/job-name'] ?? labels['job-name'];
  if (job) {
    const cron = /^(.+)-\d{8,}$/.exec(job);
    return cron ? { name: cron[1]!, kind: 'CronJob' } : { name: job, kind: 'Job' };
  }
  const rs = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod);
  if (rs) return { name: rs[1]!, kind: 'Deployment' };
  const ds = /^(.+)-[a-z0-9]{5}$/.exec(pod);
  if (ds) return { name: ds[1]!, kind: labels['controller-revision-hash'] ? 'DaemonSet' : 'Unknown' };
  const sts = /^(.+)-\d+$/.exec(pod);
  if (sts && labels['controller-revision-hash']) return { name: sts[1]!, kind: 'StatefulSet' };
  return { name: pod, kind: 'Pod' };
}

const PROTOCOL_BASE: Partial<Record<L4Protocol, number>> = { TCP: 0, UDP: 1 << 16, SCTP: 2 << 16 };
/** A port and protocol as one number; protocols without ports (ICMP) fall outside every port's range. */
const servedKey = (port: number, protocol: L4Protocol): number => port + (PROTOCOL_BASE[protocol] ?? 3 << 16);

/** Turns addresses and pod names into peers, with the inventory when there is one. */
export class Resolver {
  private readonly podsByIp = new Map<string, InvPod>();
  private readonly podsByName = new Map<string, InvPod>();
  private readonly controllers = new Map<string, InvController>();
  private readonly servicesByIp = new Map<string, InvService>();
  private readonly nodeIps = new Set<string>();
  private readonly cache = new Map<string, WorkloadInfo>();
  /** Per address, the ports something there is declared to listen on, as `servedKey` numbers (no string per lookup). */
  private readonly served = new Map<string, Set<number>>();
  /** The /24 networks of the pods' IPv4 addresses (`10.1.0`). */
  private readonly podNets = new Set<string>();
  /** Namespace and name of top-level controllers of more than one kind with one name (`tupleKey`). */
  private readonly sharedNames = new Set<string>();

  constructor(readonly inventory: Inventory) {
    for (const p of inventory.pods) {
      this.podsByName.set(tupleKey(p.namespace, p.name), p);
      if (!p.hostNetwork) for (const ip of p.ips) this.podsByIp.set(ip, p);
      if (!p.hostNetwork)
        for (const ip of p.ips) if (ip.includes('.')) this.podNets.add(ip.slice(0, ip.lastIndexOf('.')));
      // A host-network pod's ports are the node's: its ips are the node's addresses.
      for (const ip of p.ips) for (const c of p.ports) this.serve(ip, c.port, c.protocol);
    }
    for (const c of inventory.controllers) this.controllers.set(tupleKey(c.namespace, c.kind, c.name), c);
    const kinds = new Map<string, string>();
    for (const c of inventory.controllers) {
      if (c.owner) continue;
      const k = tupleKey(c.namespace, c.name);
      const seen = kinds.get(k);
      if (seen === undefined) kinds.set(k, c.kind);
      else if (seen !== c.kind) this.sharedNames.add(k);
    }
    for (const n of inventory.nodes) for (const ip of n.ips) this.nodeIps.add(ip);
    const nodeIps = [...this.nodeIps];
    // A Service selects pods of its own namespace only: each looks among those, not every pod of the cluster.
    const podsIn = new Map<string, InvPod[]>();
    for (const p of inventory.pods) {
      const list = podsIn.get(p.namespace);
      if (list) list.push(p);
      else podsIn.set(p.namespace, [p]);
    }
    for (const s of inventory.services) {
      for (const ip of s.clusterIPs) this.servicesByIp.set(ip, s);
      for (const sp of s.ports) {
        for (const ip of s.clusterIPs) this.serve(ip, sp.port, sp.protocol);
        if (sp.nodePort) for (const ip of nodeIps) this.serve(ip, sp.nodePort, sp.protocol);
        // Containers need not declare the ports they listen on; a Service's numeric targetPort says it for them.
        if (typeof sp.targetPort === 'number' && Object.keys(s.selector).length)
          for (const p of podsIn.get(s.namespace) ?? [])
            if (Object.entries(s.selector).every(([k, v]) => p.labels[k] === v))
              for (const ip of p.ips) this.serve(ip, sp.targetPort, sp.protocol);
      }
    }
  }

  private serve(ip: string, port: number, protocol: L4Protocol): void {
    let set = this.served.get(ip);
    if (!set) this.served.set(ip, (set = new Set()));
    set.add(servedKey(port, protocol));
  }

  /**
   * Whether the inventory says something at `ip` listens on `port`: a pod's containerPort (a host-network pod's on
   * its node's address), a Service's port on its ClusterIP or numeric targetPort on its pods, a NodePort on every node.
   */
  serves(ip: string, port: number, protocol: L4Protocol): boolean {
    return this.served.get(ip)?.has(servedKey(port, protocol)) ?? false;
  }

  get empty(): boolean {
    return (
      this.inventory.pods.length === 0 && this.inventory.nodes.length === 0 && this.inventory.services.length === 0
    );
  }

  isNode(ip: string): boolean {
    return this.nodeIps.has(ip);
  }

  pod(namespace: string, name: string): InvPod | undefined {
    return this.podsByName.get(tupleKey(namespace, name));
  }

  podByIp(ip: string): InvPod | undefined {
    return this.podsByIp.get(ip);
  }

  service(ip: string): InvService | undefined {
    return this.servicesByIp.get(ip);
  }

  /**
   * A top-level controller's workload name: its own, unless another kind of controller in its namespace has the
   * same name (a Deployment and a StatefulSet `cache`): then all but the Deployment take their kind as a suffix
   * (`cache.statefulset`, a DNS subdomain like the name), so the two never become one workload with the selector
   * their labels share.
   */
  workloadName(namespace: string, kind: string, name: string): string {
    return kind !== 'Deployment' && this.sharedNames.has(tupleKey(namespace, name))
      ? `${name}.${kind.toLowerCase()}`
      : name;
  }

  /** The workload a pod belongs to: the top of its owner chain, selected by its selector. */
  workloadOf(pod: InvPod): WorkloadInfo {
    const key = tupleKey(pod.namespace, pod.name);
    const hit = this.cache.get(key);
    if (hit) return hit;
    let top: { kind: string; name: string } = { kind: 'Pod', name: pod.name };
    let ctl: InvController | undefined;
    let ref = pod.owner;
    for (let depth = 0; ref && depth < 5; depth++) {
      top = ref;
      ctl = this.controllers.get(tupleKey(pod.namespace, ref.kind, ref.name));
      ref = ctl?.owner;
    }
    if (!ctl && pod.owner) {
      // The owner is not in the inventory: name the workload from what the pod says.
      if (pod.owner.kind === 'ReplicaSet')
        top = { kind: 'Deployment', name: pod.owner.name.replace(/-[a-z0-9]{6,10}$/, '') };
      else if (pod.owner.kind === 'Job' && /-\d{8,}$/.test(pod.owner.name))
        top = { kind: 'CronJob', name: pod.owner.name.replace(/-\d{8,}$/, '') };
      else if (pod.owner.kind === 'ReplicationController' && pod.owner.name === pod.labels[DC_ROLLOUT]) {
        const dc = deploymentConfigOf(pod.labels);
        if (dc) top = { kind: 'DeploymentConfig', name: dc };
      }
    }
    // Jobs select on their controller-uid: the pods' stable labels are the selector that survives the next run.
    const jobLike = top.kind === 'Job' || top.kind === 'CronJob';
    const selector = !jobLike && ctl?.selector ? { ...ctl.selector } : selectorLabels(pod.labels);
    // Frozen whole, copies of the inventory's own objects: every flow of the pod shares it, and the name checks
    // (knowledge/network/names.ts) check a frozen workload once.
    const w: WorkloadInfo = Object.freeze({
      namespace: pod.namespace,
      name: this.workloadName(pod.namespace, top.kind, top.name),
      kind: top.kind,
      selector: Object.freeze(selector),
      labels: Object.freeze(stableLabels(pod.labels)),
      ports: Object.freeze(pod.ports.map((x) => Object.freeze({ ...x }))) as WorkloadInfo['ports'],
      hostNetwork: pod.hostNetwork,
      serviceAccount: pod.serviceAccount,
      pods: 1,
      source: 'inventory' as const,
    });
    this.cache.set(key, w);
    return w;
  }

  private byWorkload?: Map<string, WorkloadInfo>;

  /**
   * A workload by its name in a namespace (as workloadName gives it), as the inventory's pods of it make it: a flow
   * log that names a pod's workload but not a pod the inventory holds (one replaced since) still selects it.
   */
  workloadNamed(namespace: string, name: string): WorkloadInfo | undefined {
    if (!this.byWorkload) {
      this.byWorkload = new Map();
      for (const p of this.inventory.pods) {
        const w = p.hostNetwork ? undefined : this.workloadOf(p);
        if (w && !this.byWorkload.has(tupleKey(w.namespace, w.name)))
          this.byWorkload.set(tupleKey(w.namespace, w.name), w);
      }
    }
    return this.byWorkload.get(tupleKey(namespace, name));
  }

  /** The pods a Service sends to, and for each the port a service port maps to. */
  backends(svc: InvService, port: number, protocol: L4Protocol): { pod: InvPod; port: number }[] {
    // Asked once per flow record to a ClusterIP: kept per Service, port and protocol.
    let byPort = this.backendsOf.get(svc);
    if (!byPort) this.backendsOf.set(svc, (byPort = new Map()));
    const key = servedKey(port, protocol);
    let found = byPort.get(key);
    if (!found) byPort.set(key, (found = this.findBackends(svc, port, protocol)));
    return found;
  }

  /**
   * The peers a destination address stands for, each with its port: a Service's ClusterIP its backing workloads on the
   * target port (a host-network backend its node, as policies see it), any other address what `peerOf` makes it.
   */
  serviceOrPeer(
    ip: string,
    port: number,
    protocol: L4Protocol,
  ): { peer: Peer; workload?: WorkloadInfo; port: number }[] {
    const svc = this.service(ip);
    if (svc) {
      const seen = new Map<string, { peer: Peer; workload?: WorkloadInfo; port: number }>();
      for (const b of this.backends(svc, port, protocol)) {
        if (b.pod.hostNetwork) {
          const node = b.pod.ips[0];
          if (node)
            seen.set(tupleKey('node', node, String(b.port)), { peer: { kind: 'node', ip: node }, port: b.port });
          continue;
        }
        const w = this.workloadOf(b.pod);
        seen.set(tupleKey(w.namespace, w.name, String(b.port)), {
          peer: { kind: 'workload', namespace: w.namespace, name: w.name },
          workload: w,
          port: b.port,
        });
      }
      if (seen.size) return [...seen.values()];
    }
    return [{ ...this.peerOf(ip), port }];
  }

  private readonly backendsOf = new WeakMap<InvService, Map<number, { pod: InvPod; port: number }[]>>();

  /** A Service's pods (host-network ones too: the caller makes them their node) with the target port of `port`. */
  private findBackends(svc: InvService, port: number, protocol: L4Protocol): { pod: InvPod; port: number }[] {
    const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
    if (!sp || Object.keys(svc.selector).length === 0) return [];
    const out: { pod: InvPod; port: number }[] = [];
    for (const p of this.inventory.pods) {
      if (p.namespace !== svc.namespace) continue;
      if (!Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v)) continue;
      const target =
        typeof sp.targetPort === 'number'
          ? sp.targetPort
          : p.ports.find((c) => c.name === sp.targetPort && c.protocol === protocol)?.port;
      if (target) out.push({ pod: p, port: target });
    }
    return out;
  }

  /**
   * Whether an address no pod has looks like a pod's all the same (one that came and went before the inventory was
   * taken): private, and for IPv4 in a /24 where the inventory has pods, so that load balancers and databases in
   * subnets of their own do not count. Any ULA IPv6 address counts.
   */
  looksLikePod(ip: string): boolean {
    if (!inClusterRange(ip)) return false;
    const dot = ip.lastIndexOf('.');
    return dot < 0 || this.podNets.has(ip.slice(0, dot));
  }

  /** An address seen in a flow, as a peer (a workload when the inventory knows the pod). */
  peerOf(ip: string): { peer: Peer; workload?: WorkloadInfo } {
    const pod = this.podsByIp.get(ip);
    if (pod) {
      const w = this.workloadOf(pod);
      return { peer: { kind: 'workload', namespace: w.namespace, name: w.name }, workload: w };
    }
    if (this.nodeIps.has(ip)) return { peer: { kind: 'node', ip } };
    return { peer: { kind: 'ip', ip } };
  }
}
