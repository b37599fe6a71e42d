import { cmp, type InputIssue } from '../model/issue.js';
import { sortedRecord, type L4Protocol, type Peer, type WorkloadInfo } from '../model/network.js';
import { tupleKey } from '../util/key.js';
import {
  labelKeyProblem,
  labelValueProblem,
  namespaceProblem,
  portNameProblem,
  shown,
  subdomainProblem,
} from '../knowledge/kubernetes/names.js';
import { ipProblem, portProblem } from '../knowledge/network/names.js';

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
  nodes: { name: string; ips: string[] }[];
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
  ports: { name: string; port: number; targetPort: number | string; protocol: L4Protocol }[];
}

export const emptyInventory = (): Inventory => ({ namespaces: [], pods: [], controllers: [], services: [], nodes: [] });

/** Labels that differ between pods of one workload, or between runs: never selectors. */
const UNSTABLE = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/job-completion-index',
]);

export function stableLabels(labels: Record<string, string>): Record<string, string> {
  return sortedRecord(Object.fromEntries(Object.entries(labels).filter(([k]) => !UNSTABLE.has(k))));
}

const CONTROLLER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const labelsOf = (v: unknown): Record<string, string> =>
  isObj(v)
    ? sortedRecord(Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string') as [string, string][]))
    : {};
const proto = (v: unknown): L4Protocol => (v === 'UDP' || v === 'SCTP' ? v : 'TCP');

/**
 * Objects (from files or the API) → an inventory. Objects of other kinds are ignored; an object
 * without `kind` is an issue (some exporters strip it: guessing would be wrong), as is one that lacks
 * what its kind needs.
 */
export function addObject(
  inv: Inventory,
  o: unknown,
  where: { file: string; line: number },
  issues: InputIssue[],
  kindHint?: string,
): void {
  const issue = (code: string, message: string): void =>
    void issues.push({ kind: 'issue', code, file: where.file, line: where.line, message });
  if (!isObj(o)) return issue('inventory.not-an-object', 'expected a Kubernetes object or a List');
  const kind = str(o['kind']) || kindHint || '';
  if (kind === 'List' || kind.endsWith('List')) {
    if (!Array.isArray(o['items'])) return issue('inventory.bad-list', `${kind} without items`);
    const itemKind = kind !== 'List' ? kind.slice(0, -4) : undefined;
    for (const item of o['items']) addObject(inv, item, where, issues, itemKind);
    return;
  }
  const meta = isObj(o['metadata']) ? o['metadata'] : {};
  const name = str(meta['name']);
  const namespace = str(meta['namespace']);
  if (!kind)
    return issue(
      'inventory.no-kind',
      `object ${JSON.stringify(name || '?')} has no kind: the exporter stripped it; re-export with kind and apiVersion (kubectl get -o json keeps them)`,
    );
  if (!name) return issue('inventory.no-name', `${kind} without metadata.name`);
  const spec = isObj(o['spec']) ? o['spec'] : {};
  const status = isObj(o['status']) ? o['status'] : {};
  const owner = ownerOf(meta);
  // Names and labels that no API server would accept make no workload: they could only come from a
  // tampered file, and would reach policies and file names.
  const bad =
    kind === 'Pod' || kind === 'Service' || CONTROLLER_KINDS.has(kind)
      ? objectProblem(namespace, name, meta, owner)
      : undefined;
  if (bad) return issue('inventory.bad-name', `${kind} ${shown(name)}: ${bad}`);
  switch (kind) {
    case 'Namespace': {
      const labels = labelsOf(meta['labels']);
      const p = named('namespace', name, namespaceProblem) ?? labelsProblem(labels);
      if (p) return issue('inventory.bad-name', `Namespace: ${p}`);
      inv.namespaces.push({ name, labels });
      return;
    }
    case 'Node': {
      const addrs = Array.isArray(status['addresses']) ? status['addresses'].filter(isObj) : [];
      const ips = addrs
        .filter((a) => a['type'] === 'InternalIP' || a['type'] === 'ExternalIP')
        .map((a) => str(a['address']))
        .filter(Boolean)
        .sort(cmp);
      const p = ips.map((ip) => named('node address', ip, ipProblem)).find(Boolean);
      if (p) return issue('inventory.bad-name', `Node ${shown(name)}: ${p}`);
      inv.nodes.push({ name, ips });
      return;
    }
    case 'Pod': {
      const ips = new Set<string>();
      if (str(status['podIP'])) ips.add(str(status['podIP']));
      if (Array.isArray(status['podIPs']))
        for (const p of status['podIPs']) if (isObj(p) && str(p['ip'])) ips.add(str(p['ip']));
      const ports: InvPod['ports'] = [];
      const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isObj) : [];
      for (const c of containers) {
        for (const p of Array.isArray(c['ports']) ? c['ports'].filter(isObj) : []) {
          if (typeof p['containerPort'] === 'number')
            ports.push({ name: str(p['name']), port: p['containerPort'], protocol: proto(p['protocol']) });
        }
      }
      const serviceAccount = str(spec['serviceAccountName']) || 'default';
      const p =
        [...ips].map((ip) => named('pod address', ip, ipProblem)).find(Boolean) ??
        named('service account', serviceAccount, subdomainProblem) ??
        ports
          .map((x) =>
            x.name
              ? named('port name', x.name, portNameProblem)
              : portProblem(x.port)
                ? `port ${x.port} is not a port`
                : undefined,
          )
          .find(Boolean);
      if (p) return issue('inventory.bad-name', `Pod ${shown(name)}: ${p}`);
      inv.pods.push({
        namespace,
        name,
        ips: [...ips].sort(cmp),
        labels: labelsOf(meta['labels']),
        node: str(spec['nodeName']),
        hostNetwork: spec['hostNetwork'] === true,
        serviceAccount,
        ...(owner ? { owner } : {}),
        ports: ports.sort((a, b) => a.port - b.port || cmp(a.name, b.name)),
      });
      return;
    }
    case 'Service': {
      const ips = new Set<string>();
      if (str(spec['clusterIP']) && spec['clusterIP'] !== 'None') ips.add(str(spec['clusterIP']));
      if (Array.isArray(spec['clusterIPs']))
        for (const ip of spec['clusterIPs']) if (typeof ip === 'string' && ip !== 'None') ips.add(ip);
      const ports = (Array.isArray(spec['ports']) ? spec['ports'].filter(isObj) : []).map((p) => ({
        name: str(p['name']),
        port: typeof p['port'] === 'number' ? p['port'] : 0,
        targetPort:
          typeof p['targetPort'] === 'number' || typeof p['targetPort'] === 'string'
            ? (p['targetPort'] as number | string)
            : typeof p['port'] === 'number'
              ? p['port']
              : 0,
        protocol: proto(p['protocol']),
      }));
      const selector = labelsOf(spec['selector']);
      const p = [...ips].map((ip) => named('cluster IP', ip, ipProblem)).find(Boolean) ?? labelsProblem(selector);
      if (p) return issue('inventory.bad-name', `Service ${shown(name)}: ${p}`);
      inv.services.push({ namespace, name, clusterIPs: [...ips].sort(cmp), selector, ports });
      return;
    }
    default:
      if (CONTROLLER_KINDS.has(kind)) {
        const sel = isObj(spec['selector']) ? spec['selector'] : undefined;
        const matchLabels = sel && isObj(sel['matchLabels']) ? labelsOf(sel['matchLabels']) : undefined;
        // A selector with matchExpressions cannot be carried as labels: the pods' stable labels stand in.
        const usable =
          matchLabels &&
          Object.keys(matchLabels).length > 0 &&
          !(sel && Array.isArray(sel['matchExpressions']) && sel['matchExpressions'].length);
        const jobSpec =
          kind === 'CronJob' && isObj(spec['jobTemplate']) && isObj(spec['jobTemplate']['spec'])
            ? spec['jobTemplate']['spec']
            : spec;
        const tpl = isObj(jobSpec['template']) ? jobSpec['template'] : undefined;
        const tplMeta = tpl && isObj(tpl['metadata']) ? tpl['metadata'] : {};
        const tplSpec = tpl && isObj(tpl['spec']) ? tpl['spec'] : {};
        const template = tpl
          ? { labels: labelsOf(tplMeta['labels']), serviceAccount: str(tplSpec['serviceAccountName']) || 'default' }
          : undefined;
        const p =
          labelsProblem(matchLabels ?? {}) ??
          (template
            ? (labelsProblem(template.labels) ?? named('service account', template.serviceAccount, subdomainProblem))
            : undefined);
        if (p) return issue('inventory.bad-name', `${kind} ${shown(name)}: ${p}`);
        inv.controllers.push({
          namespace,
          kind,
          name,
          ...(owner ? { owner } : {}),
          ...(usable ? { selector: matchLabels } : {}),
          ...(template ? { template } : {}),
        });
      }
  }
}

function named(what: string, v: string, check: (x: string) => string | undefined): string | undefined {
  const p = check(v);
  return p ? `${what} ${shown(v)} ${p}` : undefined;
}

function labelsProblem(labels: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(labels)) {
    const p = named('label key', k, labelKeyProblem) ?? named(`label ${k}`, v, labelValueProblem);
    if (p) return p;
  }
  return undefined;
}

/** A namespaced object's namespace, name, labels and owner. */
function objectProblem(
  namespace: string,
  name: string,
  meta: Obj,
  owner: { kind: string; name: string } | undefined,
): string | undefined {
  return (
    named('namespace', namespace, namespaceProblem) ??
    named('name', name, subdomainProblem) ??
    labelsProblem(labelsOf(meta['labels'])) ??
    (owner
      ? (named('owner kind', owner.kind, (k) => (/^[A-Z][A-Za-z0-9]{0,62}$/.test(k) ? undefined : 'is not a kind')) ??
        named('owner', owner.name, subdomainProblem))
      : undefined)
  );
}

function ownerOf(meta: Obj): { kind: string; name: string } | undefined {
  const refs = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isObj) : [];
  const ref = refs.find((r) => r['controller'] === true) ?? refs[0];
  return ref && str(ref['kind']) && str(ref['name']) ? { kind: str(ref['kind']), name: str(ref['name']) } : undefined;
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

/** Turns addresses and pod names into peers, with the inventory when there is one. */
export class Resolver {
  private readonly podsByIp = new Map<string, InvPod>();
  private readonly podsByName = new Map<string, InvPod>();
  private readonly controllers = new Map<string, InvController>();
  private readonly servicesByIp = new Map<string, InvService>();
  private readonly nodeIps = new Set<string>();
  private readonly cache = new Map<string, WorkloadInfo>();

  constructor(readonly inventory: Inventory) {
    for (const p of inventory.pods) {
      this.podsByName.set(tupleKey(p.namespace, p.name), p);
      if (!p.hostNetwork) for (const ip of p.ips) this.podsByIp.set(ip, p);
    }
    for (const c of inventory.controllers) this.controllers.set(tupleKey(c.namespace, c.kind, c.name), c);
    for (const s of inventory.services) for (const ip of s.clusterIPs) this.servicesByIp.set(ip, s);
    for (const n of inventory.nodes) for (const ip of n.ips) this.nodeIps.add(ip);
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
    }
    // Jobs select on their controller-uid: the pods' stable labels are the selector that survives the next run.
    const jobLike = top.kind === 'Job' || top.kind === 'CronJob';
    const selector = !jobLike && ctl?.selector ? ctl.selector : stableLabels(pod.labels);
    const w: WorkloadInfo = {
      namespace: pod.namespace,
      name: top.name,
      kind: top.kind,
      selector,
      labels: stableLabels(pod.labels),
      ports: pod.ports,
      hostNetwork: pod.hostNetwork,
      serviceAccount: pod.serviceAccount,
      pods: 1,
      source: 'inventory',
    };
    this.cache.set(key, w);
    return w;
  }

  /** The pods a Service sends to, and for each the port a service port maps to. */
  backends(svc: InvService, port: number, protocol: L4Protocol): { pod: InvPod; port: number }[] {
    const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
    if (!sp || Object.keys(svc.selector).length === 0) return [];
    const out: { pod: InvPod; port: number }[] = [];
    for (const p of this.inventory.pods) {
      if (p.namespace !== svc.namespace || p.hostNetwork) continue;
      if (!Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v)) continue;
      const target =
        typeof sp.targetPort === 'number'
          ? sp.targetPort
          : p.ports.find((c) => c.name === sp.targetPort && c.protocol === protocol)?.port;
      if (target) out.push({ pod: p, port: target });
    }
    return out;
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
