// Seeded property test of the core invariant on random flow RECORDS and a random cluster inventory: what
// `generate netpol` makes from flow logs, `verify` replays with nothing denied, and the same records in another order
// and other files give the same bytes. test/generate-netpol.test.ts holds it for the demo's fixed flows; this one goes
// through the decoders and the inventory reader, on records in the shapes the providers log:
// - Cilium Hubble, as `hubble observe -o json` prints flows (GetFlowsResponse `{"flow":…,"node_name","time"}`, or the
//   bare Flow): the fields of cilium/cilium api/v1/flow (flow.proto): IP, l4 TCP/UDP/SCTP/ICMPv4/ICMPv6 with TCPFlags,
//   source/destination Endpoint (ID, identity, namespace, labels `k8s:key=value`, pod_name, workloads), reserved
//   identities (host 1, world 2, remote-node 6, kube-apiserver 7, CIDR/FQDN identities), Type L3_L4, L7 (DNS with
//   query, ips and cnames; HTTP) and SOCK (socket load-balancing's pre- and post-translation traces), verdicts
//   FORWARDED, AUDIT, REDIRECTED, TRACED and DROPPED, traffic_direction, is_reply (absent when unknown, or the
//   deprecated `reply`), destination_service, destination_names; ClusterIPs before translation; pods replaced
//   between records (another pod-template-hash, replica or CronJob run) or of a Deployment deleted since, which the
//   inventory does not hold; NodeLocal DNSCache on the node's own address.
// - AWS VPC flow logs (Amazon VPC user guide, "Flow log records" and "Flow log record examples"): the default format
//   with the header line S3 delivery writes, or without it in CloudWatch Logs (a subscription's records as Firehose
//   writes them, `aws logs filter-log-events` output); custom formats with their header line (the guide's TCP flag
//   sequence example's order; every field of versions 2 to 5 in the table's order: pkt-srcaddr/pkt-dstaddr,
//   flow-direction, traffic-path...): both directions of a connection on each network interface that carries it
//   (replies to ephemeral ports), TCP flags ORed per aggregation window (SYN 2, SYN-ACK 18, with FIN 3 and 19, 0 or 1
//   in later windows), ACCEPT/REJECT, NODATA/SKIPDATA, a NAT gateway's records, EKS pods behind their node's interface
//   (the pod's address in pkt-*) or on a branch interface of their own, NodePorts, IPv6; and Route 53 Resolver query
//   logs, with CNAMEs, for names.
// The cluster: 2 to 4 namespaces (kube-system's CoreDNS and host-network agents always), Deployments with their
// ReplicaSets (a rollout's old one too; a selector with matchExpressions now and then), StatefulSets, DaemonSets (some
// on the host network), Jobs and CronJobs, bare pods, Services with named and numbered targetPorts (one in front of
// host-network pods), nodes, dual-stack now and then, OpenShift's OVN namespace rarely, as `kubectl get -A -o json`
// lists them (a List, or a directory of JSON, YAML and multi-document YAML files). Each run: `generate netpol`
// exits 0; `verify` denies nothing, leaves undetermined only what it documents (see `documented`), and exits as its
// report says. Odd runs use generate's flavor, widenings and scope, and verify's filters and network plugin. Every
// third run also generates from the records and inventory objects shuffled into other files and expects the same
// tree; every fifth with --workers 2.
// It found two bugs of --flavor cilium, each now a case in test/netpol-cilium-widenings.test.ts: --widen-ports dropped
// a DNS server's other ports from the client's rule; --aggregate-cidr wrote a block of a named and an unnamed address
// as the name alone. This default seed reached the first.
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { cliInProcess } from './helpers/inProcess.js';
import { judgeVerify, treeDiff } from './helpers/property.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261106) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 36);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

type Rand = () => number;
type Json = Record<string, unknown>;
type Proto = 'TCP' | 'UDP' | 'SCTP' | 'ICMP';

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const chance = (r: Rand, p: number) => r() < p;
/** Kubernetes' alphabet for generated names (pod-template-hash, pod suffixes: SafeEncodeString). */
const ALPHA = 'bcdfghjklmnpqrstvwxz2456789';
const word = (r: Rand, n: number) => Array.from({ length: n }, () => pick(r, [...ALPHA])).join('');
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => int(r, 0, 15).toString(16)).join('');
const uid = (r: Rand) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

// --- The cluster -----------------------------------------------------------------------------------------------------

interface NodeInfo {
  name: string;
  ip: string;
  ip6?: string;
  /** Its primary network interface (VPC flow logs' interface-id) and instance. */
  eni: string;
  instance: string;
  subnet: string;
}

interface Listen {
  name: string;
  port: number;
  protocol: Exclude<Proto, 'ICMP'>;
  /** Declared as a containerPort (with its name when `named`); else only a Service's numeric targetPort may say it. */
  declared: boolean;
  named: boolean;
  metrics?: boolean;
}

type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'Pod';

interface Workload {
  ns: string;
  name: string;
  kind: Kind;
  labels: Record<string, string>;
  listens: Listen[];
  hostNetwork: boolean;
  sa: string;
  role: 'front' | 'back' | 'store' | 'client' | 'agent' | 'scraper' | 'dns' | 'system';
  pods: Pod[];
  /** Pods seen in flows that the inventory no longer holds: an older rollout's, another replica, a past run's. */
  ghosts: Pod[];
  service?: Service;
  /** Gone before the inventory was taken (deleted, renamed): known from flows alone. */
  flowOnly?: boolean;
}

interface Pod {
  ns: string;
  name: string;
  ip: string;
  ip6?: string;
  node: NodeInfo;
  /** The pod's labels (unstable ones included). */
  labels: Record<string, string>;
  workload: Workload;
  ghost: boolean;
  /** Cilium's endpoint id. */
  id: number;
  /** On its own branch network interface (security groups for pods): its address is the interface's. */
  branchEni?: string;
}

interface SvcPort {
  name: string;
  port: number;
  targetPort: number | string;
  protocol: Exclude<Proto, 'ICMP'>;
  nodePort?: number;
  listen: Listen;
}

interface Service {
  ns: string;
  name: string;
  ip: string;
  ip6?: string;
  selector: Record<string, string>;
  ports: SvcPort[];
  workload?: Workload;
}

interface Cluster {
  namespaces: string[];
  nodes: NodeInfo[];
  workloads: Workload[];
  services: Service[];
  objects: Json[];
  /** The CNI and policy agents the inventory shows: Cilium's agent means Hubble runs. */
  cilium: boolean;
  dual: boolean;
  withNodes: boolean;
  /** The workloads that reach the internet (most such connections are theirs). */
  egress: Workload[];
  /** NodeLocal DNSCache: pods ask 169.254.20.10 on their own node. */
  nodeLocalDns: boolean;
}

const APP_NAMESPACES = ['shop', 'payments', 'monitoring', 'ci', 'data'];

/** A port a workload listens on. */
function listen(r: Rand, name: string, port: number, protocol: Listen['protocol'] = 'TCP', metrics = false): Listen {
  const declared = chance(r, metrics ? 0.9 : 0.75);
  return { name, port, protocol, declared, named: declared && chance(r, 0.8), ...(metrics ? { metrics } : {}) };
}

type Template = Omit<Workload, 'ns' | 'pods' | 'ghosts' | 'service' | 'sa'>;

const CATALOG: ((r: Rand) => Template)[] = [
  (r) => ({
    name: 'web',
    kind: 'Deployment',
    labels: { app: 'web', tier: 'frontend' },
    listens: [listen(r, 'http', 8080), listen(r, 'metrics', 9090, 'TCP', true)],
    hostNetwork: false,
    role: 'front',
  }),
  (r) => ({
    name: 'api',
    kind: 'Deployment',
    labels: { app: 'api', version: 'v1' },
    listens: [listen(r, 'grpc', 50051), listen(r, 'http-alt', 8081)],
    hostNetwork: false,
    role: 'back',
  }),
  (r) => ({
    name: 'cart',
    kind: 'Deployment',
    labels: { app: 'cart', tier: 'backend' },
    listens: [listen(r, 'api', 8081), listen(r, 'metrics', 9102, 'TCP', true)],
    hostNetwork: false,
    role: 'back',
  }),
  (r) => ({
    name: 'db',
    kind: 'StatefulSet',
    labels: { app: 'db' },
    listens: [listen(r, 'postgres', 5432)],
    hostNetwork: false,
    role: 'store',
  }),
  (r) => ({
    name: 'cache',
    kind: 'StatefulSet',
    labels: { app: 'cache', component: 'redis' },
    listens: [listen(r, 'redis', 6379)],
    hostNetwork: false,
    role: 'store',
  }),
  (r) => ({
    name: 'worker',
    kind: 'Deployment',
    labels: { app: 'worker' },
    listens: [listen(r, 'metrics', 9090, 'TCP', true)],
    hostNetwork: false,
    role: 'client',
  }),
  () => ({ name: 'migrate', kind: 'Job', labels: { app: 'migrate' }, listens: [], hostNetwork: false, role: 'client' }),
  () => ({
    name: 'backup',
    kind: 'CronJob',
    labels: { app: 'backup' },
    listens: [],
    hostNetwork: false,
    role: 'client',
  }),
  (r) => ({
    name: 'log-agent',
    kind: 'DaemonSet',
    labels: { app: 'log-agent' },
    listens: [listen(r, 'metrics', 24231, 'TCP', true)],
    hostNetwork: chance(r, 0.5),
    role: 'agent',
  }),
  (r) => ({
    name: 'diameter',
    kind: 'Deployment',
    labels: { app: 'diameter' },
    listens: [listen(r, 'diameter', 3868, 'SCTP')],
    hostNetwork: false,
    role: 'back',
  }),
  (r) => ({
    name: 'debug',
    kind: 'Pod',
    labels: chance(r, 0.5) ? ({} as Record<string, string>) : { run: 'debug' },
    listens: [],
    hostNetwork: false,
    role: 'client',
  }),
];

/** The objects of one run's cluster, and what flows need of them. */
function makeCluster(r: Rand): Cluster {
  const dual = chance(r, 0.3);
  const nodes: NodeInfo[] = Array.from({ length: int(r, 2, 3) }, (_, i) => {
    const k = i + 1;
    const ip = `10.0.${k}.${20 + k}`;
    return {
      name: `ip-10-0-${k}-${20 + k}.us-west-2.compute.internal`,
      ip,
      ...(dual ? { ip6: `2600:1f14:abc:7d0${k}::${(20 + k).toString(16)}` } : {}),
      eni: `eni-0${hex(r, 16)}`,
      instance: `i-0${hex(r, 16)}`,
      subnet: `subnet-0${hex(r, 16)}`,
    };
  });
  const apps = shuffle(APP_NAMESPACES, r).slice(0, int(r, 1, 3));
  // Most clusters have their monitoring: Prometheus scrapes everything, CoreDNS too.
  if (!apps.includes('monitoring') && chance(r, 0.4)) apps[apps.length - 1] = 'monitoring';
  const namespaces = ['kube-system', ...apps].sort();
  const cilium = chance(r, 0.65);
  const workloads: Workload[] = [];
  const add = (ns: string, t: Template, sa = t.name) => {
    const w: Workload = { ...t, ns, pods: [], ghosts: [], sa };
    workloads.push(w);
    return w;
  };
  // kube-system: cluster DNS, kube-proxy and the network agents on the host network.
  const coredns = add(
    'kube-system',
    {
      name: 'coredns',
      kind: 'Deployment',
      labels: { 'k8s-app': 'kube-dns' },
      listens: [
        { name: 'dns', port: 53, protocol: 'UDP', declared: true, named: true },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', declared: true, named: true },
        { name: 'metrics', port: 9153, protocol: 'TCP', declared: true, named: true, metrics: true },
      ],
      hostNetwork: false,
      role: 'dns',
    },
    'coredns',
  );
  add('kube-system', {
    name: 'kube-proxy',
    kind: 'DaemonSet',
    labels: { 'k8s-app': 'kube-proxy' },
    listens: [{ name: 'metrics', port: 10249, protocol: 'TCP', declared: false, named: false, metrics: true }],
    hostNetwork: true,
    role: 'system',
  });
  add('kube-system', {
    name: 'aws-node',
    kind: 'DaemonSet',
    labels: { 'k8s-app': 'aws-node' },
    listens: [{ name: 'metrics', port: 61678, protocol: 'TCP', declared: true, named: true, metrics: true }],
    hostNetwork: true,
    role: 'system',
  });
  if (cilium)
    add('kube-system', {
      name: 'cilium',
      kind: 'DaemonSet',
      labels: { 'k8s-app': 'cilium' },
      listens: [{ name: 'health', port: 4240, protocol: 'TCP', declared: true, named: true }],
      hostNetwork: true,
      role: 'system',
    });
  for (const ns of apps) {
    if (ns === 'monitoring')
      add(ns, {
        name: 'prometheus',
        kind: chance(r, 0.5) ? 'Deployment' : 'StatefulSet',
        labels: { app: 'prometheus' },
        listens: [listen(r, 'web', 9090)],
        hostNetwork: false,
        role: 'scraper',
      });
    const n = int(r, 2, 4);
    const taken = new Set(workloads.filter((w) => w.ns === ns).map((w) => w.name));
    for (const make of shuffle(CATALOG, r)) {
      if (workloads.filter((w) => w.ns === ns).length >= n + (ns === 'monitoring' ? 1 : 0)) break;
      const t = make(r);
      if (taken.has(t.name)) continue;
      taken.add(t.name);
      add(ns, t);
    }
    // Now and then a Deployment deleted before the inventory was taken: its pods are in flows only.
    if (chance(r, 0.25))
      add(ns, {
        name: 'legacy',
        kind: 'Deployment',
        labels: { app: 'legacy', version: 'v1' },
        listens: [{ name: 'http', port: 8080, protocol: 'TCP', declared: false, named: false }],
        hostNetwork: false,
        role: 'back',
        flowOnly: true,
      });
    // Now and then a Deployment named as a StatefulSet of its namespace (workload names then tell them apart).
    const sts = workloads.find((w) => w.ns === ns && w.kind === 'StatefulSet');
    if (sts && chance(r, 0.1))
      add(ns, {
        name: sts.name,
        kind: 'Deployment',
        labels: { app: sts.name, component: 'proxy' },
        listens: [listen(r, 'proxy', 7000)],
        hostNetwork: false,
        role: 'back',
      });
  }

  const nodeLocalDns = chance(r, 0.2);
  if (nodeLocalDns)
    add('kube-system', {
      name: 'node-local-dns',
      kind: 'DaemonSet',
      labels: { 'k8s-app': 'node-local-dns' },
      listens: [
        { name: 'dns', port: 53, protocol: 'UDP', declared: true, named: true },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', declared: true, named: true },
        { name: 'metrics', port: 9253, protocol: 'TCP', declared: true, named: true, metrics: true },
      ],
      hostNetwork: true,
      role: 'system',
    });
  // OpenShift with OVN-Kubernetes now and then: its namespace makes the nodes a policy group of their own.
  if (chance(r, 0.08)) {
    namespaces.push('openshift-ovn-kubernetes');
    add('openshift-ovn-kubernetes', {
      name: 'ovnkube-node',
      kind: 'DaemonSet',
      labels: { app: 'ovnkube-node' },
      listens: [{ name: 'metrics', port: 9103, protocol: 'TCP', declared: true, named: true, metrics: true }],
      hostNetwork: true,
      role: 'system',
    });
  }

  // Pods, with addresses from their node's subnet (the Amazon VPC CNI's secondary addresses).
  let next = 0;
  const podIp = (node: NodeInfo, ghost: boolean) => {
    next++;
    const k = nodes.indexOf(node) + 1;
    return {
      ip: `10.0.${k}.${(ghost ? 200 : 100) + (next % 50)}`,
      ...(dual ? { ip6: `2600:1f14:abc:7d0${k}::${ghost ? 'b' : 'a'}:${next.toString(16)}` } : {}),
    };
  };
  const objects: Json[] = [];
  const meta = (ns: string, name: string, labels?: Record<string, string>, owner?: [string, string, string]) => ({
    name,
    namespace: ns,
    uid: uid(r),
    ...(labels && Object.keys(labels).length ? { labels } : {}),
    ...(owner
      ? {
          ownerReferences: [
            {
              apiVersion: owner[0],
              kind: owner[1],
              name: owner[2],
              uid: uid(r),
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        }
      : {}),
  });
  const containers = (w: Workload) => [
    {
      name: w.name,
      image: `123456789010.dkr.ecr.us-west-2.amazonaws.com/${w.name}:1.${int(r, 0, 9)}`,
      ...(w.listens.some((l) => l.declared)
        ? {
            ports: w.listens
              .filter((l) => l.declared)
              .map((l) => ({ ...(l.named ? { name: l.name } : {}), containerPort: l.port, protocol: l.protocol })),
          }
        : {}),
    },
  ];
  const podObject = (p: Pod, owner?: [string, string, string]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(p.ns, p.name, p.labels, owner),
    spec: {
      serviceAccountName: p.workload.sa,
      nodeName: p.node.name,
      ...(p.workload.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      containers: containers(p.workload),
    },
    status: {
      phase: 'Running',
      hostIP: p.node.ip,
      podIP: p.ip,
      podIPs: [{ ip: p.ip }, ...(p.ip6 ? [{ ip: p.ip6 }] : [])],
    },
  });
  const template = (w: Workload, labels: Record<string, string>) => ({
    metadata: { labels },
    spec: {
      serviceAccountName: w.sa,
      ...(w.hostNetwork ? { hostNetwork: true } : {}),
      containers: containers(w),
    },
  });
  const newPod = (w: Workload, name: string, labels: Record<string, string>, ghost: boolean, node?: NodeInfo): Pod => {
    const on = node ?? pick(r, nodes);
    const addr = w.hostNetwork ? { ip: on.ip, ...(on.ip6 ? { ip6: on.ip6 } : {}) } : podIp(on, ghost);
    const p: Pod = { ns: w.ns, name, ...addr, node: on, labels, workload: w, ghost, id: int(r, 100, 3999) };
    if (!w.hostNetwork && !ghost && chance(r, 0.15)) p.branchEni = `eni-0${hex(r, 16)}`;
    (ghost ? w.ghosts : w.pods).push(p);
    return p;
  };
  for (const w of workloads) {
    const ns = w.ns;
    const selector = w.kind === 'Job' || w.kind === 'CronJob' ? undefined : { ...w.labels };
    if (w.flowOnly) {
      // Pods of two rollouts (another version label each), none of them in the inventory.
      for (const version of ['v1', 'v2'].slice(0, int(r, 1, 2))) {
        const hash = word(r, 10);
        newPod(w, `${w.name}-${hash}-${word(r, 5)}`, { ...w.labels, version, 'pod-template-hash': hash }, true);
      }
      continue;
    }
    if (w.kind === 'Deployment') {
      if (w.labels['tier'] && selector) delete selector['tier'];
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(ns, w.name, w.labels),
        spec: {
          replicas: 2,
          // Now and then a selector with matchExpressions (not carried as labels: the pods' stable labels stand in).
          selector:
            w.labels['tier'] && chance(r, 0.15)
              ? {
                  matchLabels: selector,
                  matchExpressions: [{ key: 'tier', operator: 'In', values: [w.labels['tier']] }],
                }
              : { matchLabels: selector },
          template: template(w, w.labels),
        },
      });
      // The current ReplicaSet, sometimes a rollout's old one with pods still running, and a newer one in flows only.
      const sets: { hash: string; labels: Record<string, string>; pods: number; ghost: boolean }[] = [
        { hash: word(r, int(r, 9, 10)), labels: w.labels, pods: int(r, 1, 3), ghost: false },
      ];
      if (chance(r, 0.25))
        sets.push({
          hash: word(r, int(r, 9, 10)),
          labels: { ...w.labels, ...(w.labels['version'] ? { version: 'v0' } : {}) },
          pods: 1,
          ghost: false,
        });
      if (chance(r, 0.35))
        sets.push({ hash: word(r, int(r, 9, 10)), labels: w.labels, pods: int(r, 1, 2), ghost: true });
      for (const s of sets) {
        const rs = `${w.name}-${s.hash}`;
        const labels = { ...s.labels, 'pod-template-hash': s.hash };
        if (!s.ghost)
          objects.push({
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            metadata: meta(ns, rs, labels, ['apps/v1', 'Deployment', w.name]),
            spec: {
              replicas: s.pods,
              selector: { matchLabels: { ...selector, 'pod-template-hash': s.hash } },
              template: template(w, labels),
            },
          });
        for (let i = 0; i < s.pods; i++) {
          const p = newPod(w, `${rs}-${word(r, 5)}`, labels, s.ghost);
          if (!s.ghost) objects.push(podObject(p, ['apps/v1', 'ReplicaSet', rs]));
        }
      }
    } else if (w.kind === 'StatefulSet' || w.kind === 'DaemonSet') {
      const revision = `${w.name}-${word(r, 10)}`;
      objects.push({
        apiVersion: 'apps/v1',
        kind: w.kind,
        metadata: meta(ns, w.name, w.labels),
        spec: { selector: { matchLabels: selector }, template: template(w, w.labels) },
      });
      const count = w.kind === 'DaemonSet' ? nodes.length : int(r, 1, 3);
      for (let i = 0; i < count + (chance(r, 0.3) ? 1 : 0); i++) {
        const ghost = i >= count;
        const name = w.kind === 'DaemonSet' ? `${w.name}-${word(r, 5)}` : `${w.name}-${i}`;
        const labels: Record<string, string> = {
          ...w.labels,
          'controller-revision-hash': w.kind === 'DaemonSet' ? word(r, 10) : revision,
          ...(w.kind === 'DaemonSet'
            ? { 'pod-template-generation': '1' }
            : { 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) }),
        };
        const p = newPod(w, name, labels, ghost, w.kind === 'DaemonSet' ? nodes[i % nodes.length] : undefined);
        if (!ghost) objects.push(podObject(p, ['apps/v1', w.kind, w.name]));
      }
    } else if (w.kind === 'Job' || w.kind === 'CronJob') {
      const runs = w.kind === 'CronJob' ? [29364480, 29364540] : [0];
      if (w.kind === 'CronJob')
        objects.push({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: meta(ns, w.name, w.labels),
          spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template(w, w.labels) } } },
        });
      for (const [i, run] of runs.entries()) {
        const job = run ? `${w.name}-${run}` : w.name;
        const jobUid = uid(r);
        const labels = {
          ...w.labels,
          'batch.kubernetes.io/controller-uid': jobUid,
          'batch.kubernetes.io/job-name': job,
          'controller-uid': jobUid,
          'job-name': job,
        };
        // The last run of a CronJob is in flows only: its Job was cleaned up before the inventory was taken.
        const ghost = w.kind === 'CronJob' && i === runs.length - 1 && chance(r, 0.5);
        if (!ghost)
          objects.push({
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: meta(ns, job, labels, w.kind === 'CronJob' ? ['batch/v1', 'CronJob', w.name] : undefined),
            spec: {
              selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': jobUid } },
              template: template(w, labels),
            },
          });
        const p = newPod(w, `${job}-${word(r, 5)}`, labels, ghost);
        if (!ghost) objects.push(podObject(p, ['batch/v1', 'Job', job]));
      }
    } else {
      const p = newPod(w, w.name, w.labels, false);
      objects.push(podObject(p));
    }
  }

  // Services: ClusterIP (NodePort now and then) with named or numbered targetPorts; the API server's, without selector.
  const services: Service[] = [];
  let svcN = 0;
  const serviceObject = (s: Service, type = 'ClusterIP') => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.ns, uid: uid(r), labels: s.workload ? { app: s.workload.name } : {} },
    spec: {
      type,
      clusterIP: s.ip,
      clusterIPs: [s.ip, ...(s.ip6 ? [s.ip6] : [])],
      ipFamilies: s.ip6 ? ['IPv4', 'IPv6'] : ['IPv4'],
      ...(Object.keys(s.selector).length ? { selector: s.selector } : {}),
      ports: s.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
        ...(p.nodePort ? { nodePort: p.nodePort } : {}),
      })),
    },
  });
  const dnsSvc: Service = {
    ns: 'kube-system',
    name: 'kube-dns',
    ip: '172.20.0.10',
    ...(dual ? { ip6: 'fd4e:a2b3:c1d0::a' } : {}),
    selector: { 'k8s-app': 'kube-dns' },
    ports: coredns.listens.map((l) => ({
      name: l.name,
      port: l.port,
      targetPort: chance(r, 0.5) ? l.name : l.port,
      protocol: l.protocol,
      listen: l,
    })),
    workload: coredns,
  };
  coredns.service = dnsSvc;
  services.push(dnsSvc);
  objects.push(serviceObject(dnsSvc));
  const kubernetes: Service = {
    ns: 'default',
    name: 'kubernetes',
    ip: '172.20.0.1',
    selector: {},
    ports: [
      {
        name: 'https',
        port: 443,
        targetPort: 443,
        protocol: 'TCP',
        listen: { name: 'https', port: 443, protocol: 'TCP', declared: false, named: false },
      },
    ],
  };
  services.push(kubernetes);
  objects.push(serviceObject(kubernetes));
  for (const w of workloads) {
    if (!CATALOG_SERVICE.has(w.name) || w.ns === 'kube-system' || w.listens.length === 0 || w.flowOnly) continue;
    // One Service of a name per namespace (the Deployment named as a StatefulSet gets none).
    if (workloads.some((o) => o !== w && o.ns === w.ns && o.name === w.name && o.kind === 'StatefulSet')) continue;
    if (w.kind === 'StatefulSet' && chance(r, 0.3)) {
      // Headless: no ClusterIP, DNS names its pods.
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: w.name, namespace: w.ns, uid: uid(r) },
        spec: {
          clusterIP: 'None',
          clusterIPs: ['None'],
          selector: { app: w.labels['app']! },
          ports: [{ name: w.listens[0]!.name, port: w.listens[0]!.port }],
        },
      });
      continue;
    }
    svcN++;
    const nodePort = w.role === 'front' && chance(r, 0.3);
    const s: Service = {
      ns: w.ns,
      name: w.name,
      ip: `172.20.${10 + svcN}.${int(r, 2, 250)}`,
      ...(dual ? { ip6: `fd4e:a2b3:c1d0::${(0x100 + svcN).toString(16)}` } : {}),
      selector: { app: w.labels['app']! },
      ports: w.listens
        .filter((l) => !l.metrics || w.role === 'agent' || chance(r, 0.3))
        .map((l, i) => ({
          name: l.name,
          port: chance(r, 0.5) ? l.port : l.port === 8080 ? 80 : l.port + 10000,
          targetPort: l.named && chance(r, 0.7) ? l.name : l.port,
          protocol: l.protocol,
          ...(nodePort && i === 0 ? { nodePort: 30000 + int(r, 0, 2767) } : {}),
          listen: l,
        })),
      workload: w,
    };
    if (s.ports.length === 0) continue;
    w.service = s;
    services.push(s);
    objects.push(serviceObject(s, nodePort ? 'NodePort' : 'ClusterIP'));
  }

  const withNodes = chance(r, 0.6);
  for (const ns of ['default', ...namespaces])
    objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, uid: uid(r), labels: { 'kubernetes.io/metadata.name': ns } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  if (withNodes)
    for (const n of nodes)
      objects.push({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          uid: uid(r),
          labels: { 'kubernetes.io/hostname': n.name, 'topology.kubernetes.io/zone': 'us-west-2a' },
        },
        status: {
          addresses: [
            { type: 'InternalIP', address: n.ip },
            ...(n.ip6 ? [{ type: 'InternalIP', address: n.ip6 }] : []),
            { type: 'Hostname', address: n.name },
            { type: 'InternalDNS', address: n.name },
          ],
        },
      });
  const clients = workloads.filter((w) => w.ns !== 'kube-system' && !w.hostNetwork && w.role !== 'scraper');
  const egress = shuffle(clients, r).slice(0, int(r, 1, 2));
  return { namespaces, nodes, workloads, services, objects, cilium, dual, withNodes, egress, nodeLocalDns };
}

/** The catalog's workloads that get a Service of their own name. */
const CATALOG_SERVICE = new Set(['web', 'api', 'cart', 'db', 'cache', 'diameter', 'log-agent']);

// --- Who talks to whom -----------------------------------------------------------------------------------------------

/** An endpoint of a connection. */
type Ep =
  | { kind: 'pod'; pod: Pod }
  | { kind: 'node'; node: NodeInfo }
  | { kind: 'ext'; ip: string; ip6?: string; names: string[]; what: 'internet' | 'lb' | 'apiserver' | 'nodelocal' };

interface Conn {
  client: Ep;
  server: Ep;
  /** ICMP: an echo request, answered by an echo reply. */
  protocol: Proto;
  /** The server's port (a Service's target port when through one). */
  port: number;
  /** Through a Service's ClusterIP: the Service and its port. */
  svc?: { s: Service; port: number };
  v6: boolean;
  verdict: 'FORWARDED' | 'AUDIT' | 'REDIRECTED' | 'DROPPED';
  /** A DNS lookup of this name came first, answered with these addresses (the server's among them). */
  lookup?: string;
  answer?: { ip: string; ip6?: string }[];
}

/** Services on the internet, each at several addresses (they rotate: a lookup in the window names only some). */
const EXTERNAL: { names: string[]; at: { ip: string; ip6?: string }[] }[] = [
  { names: ['api.stripe.com'], at: [{ ip: '54.187.174.169' }, { ip: '54.187.216.72' }] },
  { names: ['github.com'], at: [{ ip: '140.82.112.3', ip6: '2606:50c0:8000::153' }, { ip: '140.82.113.4' }] },
  {
    names: ['s3.us-west-2.amazonaws.com'],
    at: [{ ip: '52.218.236.9' }, { ip: '52.218.237.40' }, { ip: '52.92.160.2' }],
  },
  { names: [], at: [{ ip: '93.184.215.14', ip6: '2606:2800:21f:cb07:6820:80da:af6b:8b2c' }] },
];
const LB = ['10.0.100.50', '10.0.100.51'];
const APISERVER = ['10.0.200.10', '10.0.200.11'];
const SCANNER = '185.220.101.45';
const NATGW = '10.0.100.5';

const podEp = (w: Workload, r: Rand, ghosts = 0.25): Ep => {
  const pool = w.ghosts.length && chance(r, ghosts) ? w.ghosts : w.pods.length ? w.pods : w.ghosts;
  const pod = pick(r, pool);
  return pod.workload.hostNetwork ? { kind: 'node', node: pod.node } : { kind: 'pod', pod };
};

/** One connection of the cluster's traffic, drawn by what each kind of workload does. */
function drawConn(r: Rand, c: Cluster): Conn {
  const apps = c.workloads.filter((w) => w.ns !== 'kube-system');
  const clients = apps.filter((w) => w.role !== 'agent' || !w.hostNetwork);
  const servers = c.workloads.filter((w) => w.listens.some((l) => !l.metrics) && w.role !== 'system');
  const v6 = c.dual && chance(r, 0.3);
  const verdict = chance(r, 0.06)
    ? 'DROPPED'
    : chance(r, 0.05)
      ? 'AUDIT'
      : chance(r, 0.03)
        ? 'REDIRECTED'
        : 'FORWARDED';
  const base = { v6, verdict } as const;
  const roll = r();
  const one = <T>(xs: T[]): T => pick(r, xs);
  const client = one(clients.length ? clients : c.workloads);
  if (roll < 0.18) {
    // Cluster DNS through kube-dns, UDP mostly; sometimes the lookup of a name the client then connects to.
    const dns = c.workloads.find((w) => w.role === 'dns')!;
    const tcp = chance(r, 0.15);
    const sp = dns.service!.ports.find((p) => p.protocol === (tcp ? 'TCP' : 'UDP') && p.listen.port === 53)!;
    if (c.nodeLocalDns && chance(r, 0.6))
      return {
        ...base,
        v6: false,
        verdict: 'FORWARDED',
        client: podEp(client, r),
        server: { kind: 'ext', ip: '169.254.20.10', names: [], what: 'nodelocal' },
        protocol: tcp ? 'TCP' : 'UDP',
        port: 53,
      };
    return {
      ...base,
      verdict: 'FORWARDED',
      client: podEp(client, r),
      server: podEp(dns, r, 0),
      protocol: tcp ? 'TCP' : 'UDP',
      port: 53,
      svc: { s: dns.service!, port: sp.port },
    };
  }
  if (roll < 0.3) {
    // Out to the internet, by a name looked up first or by address.
    const svc = one(EXTERNAL);
    const at = one(svc.at);
    const ping = chance(r, 0.1);
    // A lookup names the address; one resolved before the capture began stays an address.
    const lookup = svc.names.length && !ping && chance(r, 0.55) ? svc.names[0] : undefined;
    const from = c.egress.length && chance(r, 0.8) ? one(c.egress) : client;
    return {
      ...base,
      v6: v6 && !!at.ip6,
      client: podEp(from, r),
      server: { kind: 'ext', ...at, names: lookup ? svc.names : [], what: 'internet' },
      protocol: ping ? 'ICMP' : 'TCP',
      port: ping ? 0 : 443,
      ...(lookup ? { lookup, answer: chance(r, 0.4) ? svc.at : [at] } : {}),
    };
  }
  if (roll < 0.38) {
    // Into the cluster: a load balancer's health checks and traffic, the internet through it, a scanner refused.
    const front = servers.filter((w) => w.role === 'front' || w.role === 'back');
    const to = front.length ? one(front) : one(servers);
    const l = one(to.listens.filter((x) => !x.metrics));
    if (chance(r, 0.2))
      return {
        ...base,
        v6: false,
        verdict: 'DROPPED',
        client: { kind: 'ext', ip: SCANNER, names: [], what: 'internet' },
        server: podEp(to, r),
        protocol: 'TCP',
        port: 22,
      };
    const from: Ep = chance(r, 0.7)
      ? { kind: 'ext', ip: one(LB), names: [], what: 'lb' }
      : { kind: 'ext', ip: '203.0.113.7', ip6: '2001:db8:4006:812::200e', names: [], what: 'internet' };
    // A NodePort: to any node's address (kube-proxy then forwards it from the node: the kubelet branch's hop).
    const np = to.service?.ports.find((p) => p.nodePort);
    if (np && chance(r, 0.5))
      return {
        ...base,
        v6: false,
        client: from,
        server: { kind: 'node', node: one(c.nodes) },
        protocol: 'TCP',
        port: np.nodePort!,
      };
    return { ...base, client: from, server: podEp(to, r), protocol: l.protocol, port: l.port };
  }
  if (roll < 0.46) {
    // Metrics scraped: by Prometheus where there is one (across namespaces, host-network agents on their node's
    // address), else by the kubelet or an agent on the node.
    const scraper = c.workloads.find((w) => w.role === 'scraper');
    const targets = c.workloads.filter((w) => w.listens.some((l) => l.metrics) && (w.pods.length || w.ghosts.length));
    const dns = c.workloads.find((w) => w.role === 'dns')!;
    const to = scraper && chance(r, 0.3) ? dns : one(targets);
    const l = one(to.listens.filter((x) => x.metrics));
    const from: Ep = scraper ? podEp(scraper, r) : { kind: 'node', node: one(c.nodes) };
    const sp = to.service?.ports.find((p) => p.listen === l);
    return {
      ...base,
      client: from,
      server: podEp(to, r),
      protocol: 'TCP',
      port: l.port,
      ...(sp && chance(r, 0.4) ? { svc: { s: to.service!, port: sp.port } } : {}),
    };
  }
  if (roll < 0.52) {
    // The kubelet's probes, from the pod's own node; a host-network agent to a pod.
    const to = one(servers.filter((w) => !w.hostNetwork));
    const server = podEp(to, r);
    const node = server.kind === 'pod' ? server.pod.node : one(c.nodes);
    const l = one(to.listens.filter((x) => !x.metrics));
    return {
      ...base,
      verdict: 'FORWARDED',
      client: { kind: 'node', node },
      server,
      protocol: l.protocol,
      port: l.port,
    };
  }
  if (roll < 0.58) {
    // The API server: through the `kubernetes` Service, or its addresses directly.
    const svc = c.services.find((s) => s.name === 'kubernetes')!;
    return {
      ...base,
      v6: false,
      client: podEp(client, r),
      server: { kind: 'ext', ip: one(APISERVER), names: [], what: 'apiserver' },
      protocol: 'TCP',
      port: 443,
      ...(chance(r, 0.5)
        ? {
            svc: { s: svc, port: 443 },
            ...(chance(r, 0.3) ? { lookup: 'kubernetes.default.svc.cluster.local', answer: [svc] } : {}),
          }
        : {}),
    };
  }
  if (roll < 0.62) {
    // A ping between pods.
    const to = one(c.workloads.filter((w) => !w.hostNetwork && w.role !== 'system'));
    return { ...base, client: podEp(client, r), server: podEp(to, r), protocol: 'ICMP', port: 0 };
  }
  // Workload to workload, within the namespace mostly, through the Service now and then.
  const near = servers.filter((w) => w.ns === client.ns && w !== client);
  const to = near.length && chance(r, 0.75) ? one(near) : one(servers);
  const l = one(to.listens.filter((x) => !x.metrics));
  const sp = to.service?.ports.find((p) => p.listen === l);
  const s = sp && chance(r, 0.5) ? to.service! : undefined;
  return {
    ...base,
    client: podEp(client, r),
    server: podEp(to, r),
    protocol: l.protocol,
    port: l.port,
    ...(s ? { svc: { s, port: sp!.port } } : {}),
    // The Service's cluster DNS name, looked up first: its answer is the ClusterIP.
    ...(s && chance(r, 0.3) ? { lookup: `${s.name}.${s.ns}.svc.cluster.local`, answer: [s] } : {}),
  };
}

// --- The records -----------------------------------------------------------------------------------------------------

/** What a run's records exercised, summed over the runs so that the test cannot pass on records that show nothing. */
interface Tally {
  records: number;
  hubble: number;
  vpc: number;
  resolver: number;
  replies: number;
  dropped: number;
  external: number;
  services: number;
  preTranslation: number;
  nodes: number;
  hostNetwork: number;
  ghosts: number;
  dnsAnswers: number;
  ipv6: number;
  icmp: number;
  sctp: number;
  l7: number;
  noData: number;
  natGateway: number;
  unknownReply: number;
  sock: number;
  http: number;
  cloudWatch: number;
  customFormats: number;
  headerless: number;
  directories: number;
}

const newTally = (): Tally => ({
  records: 0,
  hubble: 0,
  vpc: 0,
  resolver: 0,
  replies: 0,
  dropped: 0,
  external: 0,
  services: 0,
  preTranslation: 0,
  nodes: 0,
  hostNetwork: 0,
  ghosts: 0,
  dnsAnswers: 0,
  ipv6: 0,
  icmp: 0,
  sctp: 0,
  l7: 0,
  noData: 0,
  natGateway: 0,
  unknownReply: 0,
  sock: 0,
  http: 0,
  cloudWatch: 0,
  customFormats: 0,
  headerless: 0,
  directories: 0,
});

/** VPC flow log formats: field names in order, and the version its records carry (the highest of its fields'). */
interface VpcFormat {
  id: string;
  fields: string[];
  version: number;
  /** Whether files of it start with the header line (S3 delivery); only the default format may go without. */
  header: boolean;
}
const V2 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const FORMATS: VpcFormat[] = [
  { id: 'v2', fields: V2.split(' '), version: 2, header: true },
  { id: 'v2-bare', fields: V2.split(' '), version: 2, header: false },
  {
    // The order of the user guide's "TCP flag sequence" example.
    id: 'v3-flags',
    fields: (
      'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport ' +
      'pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status'
    ).split(' '),
    version: 3,
    header: true,
  },
  {
    // Every field of versions 2 to 5, in the order of the table of available fields.
    id: 'v5-all',
    fields: (
      `${V2} vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type ` +
      'sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path'
    ).split(' '),
    version: 5,
    header: true,
  },
  {
    id: 'v5-short',
    fields: (
      'version interface-id flow-direction traffic-path srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport ' +
      'protocol tcp-flags start end action log-status'
    ).split(' '),
    version: 5,
    header: true,
  },
];

interface Records {
  /** Hubble records (JSON lines) and Route 53 Resolver query log records (JSON lines). */
  hubble: Json[];
  resolver: Json[];
  /** VPC flow log records by format, each a text line. */
  vpc: Map<VpcFormat, string[]>;
}

const T0 = Date.parse('2026-11-02T08:00:00Z');
const ns9 = (r: Rand) => String(int(r, 0, 999_999_999)).padStart(9, '0');
const hubbleTime = (r: Rand, ms: number) => `${new Date(ms).toISOString().slice(0, 19)}.${ns9(r)}Z`;

/** The records of one run: 30 to 100 of them, Hubble's, VPC flow logs' or both (Hubble only where Cilium runs). */
function makeRecords(r: Rand, c: Cluster, tally: Tally): Records {
  const out: Records = { hubble: [], resolver: [], vpc: new Map() };
  const mode = c.cilium ? pick(r, ['hubble', 'hubble', 'both'] as const) : 'vpc';
  // One or two formats (the default one without a header line, as CloudWatch Logs holds it, the likeliest).
  const formats = [...new Set(Array.from({ length: int(r, 1, 2) }, () => pick(r, [...FORMATS, FORMATS[1]!])))];
  for (const f of formats) out.vpc.set(f, []);
  const target = int(r, 30, 100);
  const count = () => out.hubble.length + out.resolver.length + [...out.vpc.values()].reduce((n, l) => n + l.length, 0);
  let clock = T0;
  for (let n = 0; count() < target && n < 500; n++) {
    const conn = drawConn(r, c);
    clock += int(r, 1, 40) * 1000;
    const hubble = mode === 'hubble' || (mode === 'both' && chance(r, 0.5));
    const before = count();
    if (hubble) hubbleConn(r, c, conn, clock, out, tally);
    else vpcConn(r, c, conn, clock, pick(r, formats), out, tally);
    if (count() === before) continue;
    if (conn.server.kind === 'ext' && conn.server.what === 'internet') tally.external++;
    if (conn.svc) tally.services++;
    if (conn.client.kind === 'node' || conn.server.kind === 'node') tally.nodes++;
    for (const e of [conn.client, conn.server])
      if (e.kind === 'node' && c.workloads.some((w) => w.hostNetwork && w.pods.some((p) => p.node === e.node)))
        tally.hostNetwork++;
    if (conn.v6) tally.ipv6++;
    if (conn.protocol === 'ICMP') tally.icmp++;
    if (conn.protocol === 'SCTP') tally.sctp++;
  }
  // Now and then an interface with nothing to say in a window, or records skipped for capacity.
  for (const [f, lines] of out.vpc)
    if (chance(r, 0.3)) {
      lines.push(
        vpcLine(f, { status: pick(r, ['NODATA', 'SKIPDATA']), start: Math.floor(clock / 1000), eni: c.nodes[0]!.eni }),
      );
      tally.noData++;
    }
  tally.records += count();
  tally.hubble += out.hubble.length;
  tally.resolver += out.resolver.length;
  tally.vpc += [...out.vpc.values()].reduce((n, l) => n + l.length, 0);
  return out;
}

const ipOf = (e: Ep, v6: boolean): string =>
  e.kind === 'pod'
    ? (v6 && e.pod.ip6) || e.pod.ip
    : e.kind === 'node'
      ? (v6 && e.node.ip6) || e.node.ip
      : (v6 && e.ip6) || e.ip;

/** A stable number for a set of labels (Cilium's security identity of a workload's pods). */
function identityOf(labels: string[]): number {
  let h = 2166136261;
  for (const ch of labels.join(',')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return 10000 + (h % 50000);
}

/** Cilium's labels of a pod's endpoint: its own (Cilium leaves out the unstable ones by default) and Cilium's. */
function ciliumLabels(r: Rand, p: Pod): string[] {
  const keep = chance(r, 0.15);
  const own = Object.entries(p.labels)
    .filter(([k]) => keep || !/hash|generation|controller-uid|kubernetes\.io|^job-name$/.test(k))
    .map(([k, v]) => `k8s:${k}=${v}`);
  return [
    ...own,
    `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${p.ns}`,
    'k8s:io.cilium.k8s.policy.cluster=default',
    `k8s:io.cilium.k8s.policy.serviceaccount=${p.workload.sa}`,
    `k8s:io.kubernetes.pod.namespace=${p.ns}`,
  ].sort();
}

/** A Hubble Endpoint as the node `at` sees it. */
function hubbleEndpoint(r: Rand, e: Ep, at: NodeInfo, tally: Tally): Json {
  if (e.kind === 'pod') {
    const labels = ciliumLabels(r, e.pod);
    if (e.pod.ghost) tally.ghosts++;
    const w = e.pod.workload;
    return {
      ID: e.pod.id,
      identity: identityOf(labels),
      namespace: e.pod.ns,
      labels,
      pod_name: e.pod.name,
      ...(chance(r, 0.6) && w.kind !== 'Pod' ? { workloads: [{ name: w.name, kind: w.kind }] } : {}),
    };
  }
  if (e.kind === 'node')
    return e.node === at
      ? { ID: 0, identity: 1, labels: ['reserved:host'] }
      : { identity: 6, labels: ['reserved:remote-node'] };
  if (e.what === 'apiserver') return { identity: 7, labels: ['reserved:kube-apiserver', 'reserved:world'] };
  // NodeLocal DNSCache's address is one of the node's own.
  if (e.what === 'nodelocal') return { ID: 0, identity: 1, labels: ['reserved:host'] };
  if (e.names.length && chance(r, 0.5))
    return {
      identity: 16777217 + int(r, 0, 200),
      labels: [`cidr:${e.ip}/32`, ...e.names.map((n) => `fqdn:${n}`), 'reserved:world'],
    };
  return { identity: 2, labels: ['reserved:world'] };
}

const nodeOf = (e: Ep): NodeInfo | undefined =>
  e.kind === 'pod' ? e.pod.node : e.kind === 'node' ? e.node : undefined;

/** A connection as Hubble shows it: the packets each side's node saw, both directions, sometimes the L7 DNS. */
function hubbleConn(r: Rand, c: Cluster, conn: Conn, ms: number, out: Records, tally: Tally): void {
  // Hubble sees the traffic of Cilium's endpoints: a pod on one side at least.
  if (conn.client.kind !== 'pod' && conn.server.kind !== 'pod') return;
  const cnode = nodeOf(conn.client);
  const snode = nodeOf(conn.server);
  const v6 = conn.v6 && ipOf(conn.client, true).includes(':') && ipOf(conn.server, true).includes(':');
  const cip = ipOf(conn.client, v6);
  // Through a Service: Hubble shows the backend once translated, and the ClusterIP when it saw the packet before.
  const pre = !!conn.svc && conn.svc.s.ip && chance(r, 0.2);
  const sip = pre ? (v6 && conn.svc!.s.ip6) || conn.svc!.s.ip : ipOf(conn.server, v6);
  if (pre) tally.preTranslation++;
  const sport = int(r, 32768, 60999);
  const dport = pre ? conn.svc!.port : conn.port;
  let t = ms;
  const push = (f: Json, at: NodeInfo, time: string) => {
    const node = `default/${at.name}`;
    f['node_name'] = node;
    out.hubble.push(chance(r, 0.5) ? { flow: f, node_name: node, time } : f);
  };
  const replyField = (reply: boolean): Json => {
    const p = r();
    if (p < 0.08) {
      tally.unknownReply++;
      return {};
    }
    if (p < 0.13) return reply ? { reply: true } : {};
    return { is_reply: reply };
  };
  // One packet: `back` from server to client. Observed at the client's node (EGRESS for its own packets) or the
  // server's (INGRESS); traffic_direction is the connection's as that endpoint sees it.
  const packet = (back: boolean, atServer: boolean, l4: Json, extra: Json = {}, summary = '') => {
    const at = (atServer ? snode : cnode) ?? (atServer ? cnode : snode)!;
    t += int(r, 1, 900);
    const time = hubbleTime(r, t);
    const src = back ? conn.server : conn.client;
    const dst = back ? conn.client : conn.server;
    const sIp = back ? sip : cip;
    const dIp = back ? cip : sip;
    const dstEp = !back && pre ? { identity: 2, labels: ['reserved:world'] } : hubbleEndpoint(r, dst, at, tally);
    const f: Json = {
      time,
      uuid: uid(r),
      verdict: conn.verdict,
      ...(conn.verdict === 'DROPPED' ? { drop_reason: 133, drop_reason_desc: 'POLICY_DENIED' } : {}),
      ethernet: {
        source: `0a:58:${hex(r, 2)}:${hex(r, 2)}:${hex(r, 2)}:${hex(r, 2)}`,
        destination: `0a:58:${hex(r, 2)}:00:00:01`,
      },
      IP: { source: sIp, destination: dIp, ipVersion: v6 ? 'IPv6' : 'IPv4' },
      l4,
      source: hubbleEndpoint(r, src, at, tally),
      destination: dstEp,
      Type: 'L3_L4',
      event_type: { type: conn.verdict === 'DROPPED' ? 1 : 4, sub_type: conn.verdict === 'DROPPED' ? 133 : 3 },
      ...(conn.svc && !back ? { destination_service: { name: conn.svc.s.name, namespace: conn.svc.s.ns } } : {}),
      ...(conn.svc && back && chance(r, 0.5)
        ? { source_service: { name: conn.svc.s.name, namespace: conn.svc.s.ns } }
        : {}),
      // Cilium's DNS proxy names the addresses its answers gave.
      ...(!back && conn.lookup && (conn.answer ?? []).some((a) => a.ip === dIp || a.ip6 === dIp) && chance(r, 0.6)
        ? { destination_names: [conn.lookup] }
        : {}),
      traffic_direction: atServer ? 'INGRESS' : 'EGRESS',
      trace_observation_point: atServer ? 'TO_ENDPOINT' : 'TO_STACK',
      ...(conn.verdict === 'DROPPED' && chance(r, 0.5) ? {} : replyField(back)),
      ...extra,
      Summary: summary,
    };
    if (back) tally.replies++;
    if (conn.verdict === 'DROPPED') tally.dropped++;
    push(f, at, time);
  };
  const clientSide = conn.client.kind === 'pod';
  const serverSide = conn.server.kind === 'pod';
  // The lookup first: the client asks the cluster DNS (L3/L4 and, with DNS visibility, L7), and the answer names the
  // address it then connects to.
  if (conn.lookup && clientSide) hubbleLookup(r, c, conn, cip, v6, () => (t += int(r, 1, 50)), push, tally);
  // With socket load-balancing Cilium traces the translation at connect(): the ClusterIP before, the backend after.
  if (
    conn.svc &&
    conn.svc.s.ip &&
    clientSide &&
    conn.protocol !== 'ICMP' &&
    conn.verdict !== 'DROPPED' &&
    chance(r, 0.2)
  )
    for (const post of [false, true]) {
      t += 1;
      const time = hubbleTime(r, t);
      const f: Json = {
        time,
        verdict: 'TRACED',
        IP: {
          source: cip,
          destination: post ? ipOf(conn.server, v6) : (v6 && conn.svc.s.ip6) || conn.svc.s.ip,
          ipVersion: v6 ? 'IPv6' : 'IPv4',
        },
        l4: {
          [conn.protocol]: {
            source_port: chance(r, 0.5) ? 0 : sport,
            destination_port: post ? conn.port : conn.svc.port,
          },
        },
        source: hubbleEndpoint(r, conn.client, cnode!, tally),
        destination: post ? hubbleEndpoint(r, conn.server, cnode!, tally) : { identity: 2, labels: ['reserved:world'] },
        Type: 'SOCK',
        event_type: { type: 14, sub_type: post ? 2 : 1 },
        destination_service: { name: conn.svc.s.name, namespace: conn.svc.s.ns },
        sock_xlate_point: post ? 'SOCK_XLATE_POINT_POST_DIRECTION_FWD' : 'SOCK_XLATE_POINT_PRE_DIRECTION_FWD',
        socket_cookie: int(r, 1, 1_000_000_000),
        cgroup_id: int(r, 1000, 99999),
        Summary: post ? 'post-xlate-fwd' : 'pre-xlate-fwd',
      };
      tally.sock++;
      push(f, cnode!, time);
    }
  if (conn.protocol === 'ICMP') {
    const key = v6 ? 'ICMPv6' : 'ICMPv4';
    packet(false, !clientSide, { [key]: { type: v6 ? 128 : 8 } }, {}, 'ICMPv4 EchoRequest');
    if (conn.verdict !== 'DROPPED' && chance(r, 0.7))
      packet(true, !clientSide, { [key]: { type: v6 ? 129 : 0 } }, {}, 'EchoReply');
    return;
  }
  const l4 = (back: boolean, flags?: Json): Json => {
    const ports = back
      ? { source_port: dport, destination_port: sport }
      : { source_port: sport, destination_port: dport };
    if (conn.protocol === 'TCP') return { TCP: { ...ports, flags } };
    return { [conn.protocol]: ports };
  };
  if (conn.verdict === 'DROPPED') {
    // Refused: the first packet, retransmitted now and then; seen where the policy dropped it.
    const atServer = !clientSide || (serverSide && chance(r, 0.5));
    for (let i = chance(r, 0.3) ? 2 : 1; i > 0; i--)
      packet(false, atServer, l4(false, { SYN: true }), {}, 'TCP Flags: SYN');
    return;
  }
  if (conn.protocol !== 'TCP') {
    if (clientSide) packet(false, false, l4(false));
    if (serverSide && (!clientSide || chance(r, 0.5))) packet(false, true, l4(false));
    if (chance(r, 0.7)) packet(true, serverSide, l4(true));
    return;
  }
  // TCP: the handshake where the capture saw it start, data packets either way, FIN at the end.
  const started = chance(r, 0.85);
  if (started) {
    if (clientSide) packet(false, false, l4(false, { SYN: true }), {}, 'TCP Flags: SYN');
    if (serverSide && (!clientSide || chance(r, 0.5)))
      packet(false, true, l4(false, { SYN: true }), {}, 'TCP Flags: SYN');
    if (chance(r, 0.7)) packet(true, serverSide, l4(true, { SYN: true, ACK: true }), {}, 'TCP Flags: SYN, ACK');
  }
  if (!started || chance(r, 0.4))
    packet(false, !clientSide, l4(false, { ACK: true, PSH: true }), {}, 'TCP Flags: ACK, PSH');
  // With L7 visibility (a proxy redirect), the HTTP request and its response.
  if ([8080, 8081, 9090].includes(conn.port) && clientSide && serverSide && chance(r, 0.2)) {
    tally.http++;
    const http = {
      method: 'GET',
      url: `http://${conn.server.kind === 'pod' ? conn.server.pod.workload.name : 'x'}/v1/items`,
      protocol: 'HTTP/1.1',
    };
    packet(
      false,
      true,
      l4(false),
      { Type: 'L7', l7: { type: 'REQUEST', http: { ...http, headers: [{ key: ':authority', value: 'web' }] } } },
      'HTTP/1.1 GET',
    );
    packet(
      true,
      true,
      l4(true),
      { Type: 'L7', l7: { type: 'RESPONSE', latency_ns: int(r, 100_000, 9_000_000), http: { ...http, code: 200 } } },
      'HTTP/1.1 200',
    );
  }
  if (chance(r, 0.35))
    packet(true, serverSide && chance(r, 0.5), l4(true, { ACK: true, PSH: true }), {}, 'TCP Flags: ACK, PSH');
  if (chance(r, 0.2)) packet(false, !clientSide, l4(false, { ACK: true, FIN: true }), {}, 'TCP Flags: ACK, FIN');
}

/** A DNS lookup through kube-dns as Hubble shows it: the UDP packets, and with DNS visibility the L7 request/answer. */
function hubbleLookup(
  r: Rand,
  c: Cluster,
  conn: Conn,
  cip: string,
  v6: boolean,
  tick: () => number,
  push: (f: Json, at: NodeInfo, time: string) => void,
  tally: Tally,
): void {
  const dns = c.workloads.find((w) => w.role === 'dns')!;
  const server = pick(r, dns.pods);
  const client = conn.client as Extract<Ep, { kind: 'pod' }>;
  const at = client.pod.node;
  const sport = int(r, 32768, 60999);
  const name = `${conn.lookup!}.`;
  const ips = (conn.answer ?? []).filter((a) => !v6 || a.ip6).map((a) => (v6 ? a.ip6! : a.ip));
  const cnames = conn.lookup === 'api.stripe.com' ? ['stripe.map.fastly.net.'] : [];
  const dnsIp = (v6 && server.ip6) || server.ip;
  const ep = (e: Ep) => hubbleEndpoint(r, e, at, tally);
  const flow = (back: boolean, l7?: Json): Json => {
    const time = hubbleTime(r, tick());
    const f: Json = {
      time,
      verdict: 'FORWARDED',
      IP: { source: back ? dnsIp : cip, destination: back ? cip : dnsIp, ipVersion: v6 ? 'IPv6' : 'IPv4' },
      l4: { UDP: back ? { source_port: 53, destination_port: sport } : { source_port: sport, destination_port: 53 } },
      source: ep(back ? { kind: 'pod', pod: server } : client),
      destination: ep(back ? client : { kind: 'pod', pod: server }),
      Type: l7 ? 'L7' : 'L3_L4',
      ...(l7 ? { l7 } : {}),
      ...(back ? {} : { destination_service: { name: 'kube-dns', namespace: 'kube-system' } }),
      traffic_direction: 'EGRESS',
      is_reply: back,
      Summary: l7 ? `DNS ${back ? 'Answer' : 'Query'} ${name}` : 'UDP',
    };
    if (back) tally.replies++;
    push(f, at, time);
    return f;
  };
  flow(false);
  const visibility = chance(r, 0.7);
  if (visibility) {
    tally.l7++;
    flow(false, { type: 'REQUEST', dns: { query: name, qtypes: [v6 ? 'AAAA' : 'A'], observation_source: 'proxy' } });
    flow(true, {
      type: 'RESPONSE',
      latency_ns: int(r, 100_000, 9_000_000),
      dns: {
        query: name,
        ips,
        ...(cnames.length ? { cnames } : {}),
        ttl: 60,
        rcode: 0,
        qtypes: [v6 ? 'AAAA' : 'A'],
        rrtypes: [v6 ? 'AAAA' : 'A'],
        observation_source: 'proxy',
      },
    });
    tally.dnsAnswers++;
  } else if (chance(r, 0.5)) flow(true);
}

/** The fields of one VPC flow log record. */
interface VpcRec {
  eni: string;
  instance?: string;
  subnet?: string;
  src?: string;
  dst?: string;
  pktSrc?: string;
  pktDst?: string;
  sport?: number;
  dport?: number;
  proto?: number;
  flags?: number;
  start: number;
  action?: 'ACCEPT' | 'REJECT';
  status?: 'OK' | 'NODATA' | 'SKIPDATA';
  direction?: 'ingress' | 'egress';
  path?: string;
  v6?: boolean;
  dstService?: string;
}

/** One record as a line of format `f` ('-' where a field does not apply: AWS's "not applicable" value). */
function vpcLine(f: VpcFormat, x: VpcRec): string {
  const ok = (x.status ?? 'OK') === 'OK';
  const values: Record<string, string> = {
    version: String(f.version),
    'account-id': '123456789010',
    'interface-id': x.eni,
    srcaddr: ok ? x.src! : '-',
    dstaddr: ok ? x.dst! : '-',
    srcport: ok ? String(x.sport) : '-',
    dstport: ok ? String(x.dport) : '-',
    protocol: ok ? String(x.proto) : '-',
    packets: ok ? String(3 + (x.start % 40)) : '-',
    bytes: ok ? String(180 + ((x.start * 7) % 9000)) : '-',
    start: String(x.start),
    end: String(x.start + 60),
    action: ok ? x.action! : '-',
    'log-status': x.status ?? 'OK',
    'vpc-id': 'vpc-0a1b2c3d4e5f67890',
    'subnet-id': x.subnet ?? '-',
    'instance-id': x.instance ?? '-',
    'tcp-flags': ok ? String(x.flags ?? 0) : '-',
    type: ok ? (x.v6 ? 'IPv6' : 'IPv4') : '-',
    'pkt-srcaddr': ok ? (x.pktSrc ?? x.src!) : '-',
    'pkt-dstaddr': ok ? (x.pktDst ?? x.dst!) : '-',
    region: 'us-west-2',
    'az-id': 'usw2-az1',
    'sublocation-type': '-',
    'sublocation-id': '-',
    'pkt-src-aws-service': '-',
    'pkt-dst-aws-service': ok ? (x.dstService ?? '-') : '-',
    'flow-direction': ok ? (x.direction ?? 'ingress') : '-',
    'traffic-path': ok && x.direction === 'egress' ? (x.path ?? '1') : '-',
  };
  return f.fields.map((k) => values[k] ?? '-').join(' ');
}

/**
 * A connection as VPC flow logs record it: on each network interface that carries it (the client's and the server's
 * node, a pod's own branch interface, a NAT gateway's), a record per direction and aggregation window. Behind a
 * node's interface an EKS pod is the packet's address (pkt-srcaddr/pkt-dstaddr), the interface's own its srcaddr or
 * dstaddr; the default format has no pkt-* fields, so only a pod on its own branch interface (security groups for
 * pods) shows there; the others' records in it are of nodes, load balancers, the API server and the internet.
 */
function vpcConn(r: Rand, c: Cluster, conn: Conn, ms: number, f: VpcFormat, out: Records, tally: Tally): void {
  const pkt = f.fields.includes('pkt-srcaddr');
  const lines = out.vpc.get(f)!;
  // NodeLocal DNSCache answers on the pod's own node: nothing reaches an interface.
  if (conn.server.kind === 'ext' && conn.server.what === 'nodelocal') return;
  const v6 = conn.v6 && ipOf(conn.client, true).includes(':') && ipOf(conn.server, true).includes(':');
  // In the default format a pod shows only on its own interface; drop the connection elsewhere.
  const visible = (e: Ep) => pkt || e.kind !== 'pod' || !!e.pod.branchEni || v6;
  if (!visible(conn.client) || !visible(conn.server)) return;
  const cip = ipOf(conn.client, v6);
  const sip = ipOf(conn.server, v6);
  // On the same node pod-to-pod traffic never reaches an interface.
  const cnode = nodeOf(conn.client);
  const snode = nodeOf(conn.server);
  if (cnode && cnode === snode && !(conn.client.kind === 'pod' && conn.client.pod.branchEni)) return;
  const sport = conn.protocol === 'ICMP' ? 0 : int(r, 32768, 60999);
  const dport = conn.protocol === 'ICMP' ? 0 : conn.port;
  const proto =
    conn.protocol === 'ICMP' ? (v6 ? 58 : 1) : conn.protocol === 'TCP' ? 6 : conn.protocol === 'UDP' ? 17 : 132;
  const start = Math.floor(ms / 1000 / 60) * 60 + int(r, 0, 59);
  const rejected = conn.verdict === 'DROPPED';
  // TCP flags as AWS ORs them per window: a short connection's client records 3 (SYN, FIN), its server 19 (SYN-ACK,
  // FIN); a longer one 2 and 18 in its first window and 0 or 1 after; a refused one 2 (or 6 with RST).
  const short = chance(r, 0.5);
  const later = !short && chance(r, 0.3);
  const flags = (back: boolean, window: number) =>
    conn.protocol !== 'TCP'
      ? 0
      : rejected
        ? back
          ? 4
          : 2
        : window > 0
          ? pick(r, [0, 1])
          : (back ? 18 : 2) | (short ? 1 : 0);
  /** An interface of an endpoint: its node's (the pod's address then packet-level only), or a pod's own. */
  const iface = (e: Ep): { eni: string; ip: string; instance?: string; subnet?: string } | undefined => {
    if (e.kind === 'pod' && e.pod.branchEni) return { eni: e.pod.branchEni, ip: ipOf(e, v6) };
    const n = nodeOf(e);
    if (n) return { eni: n.eni, ip: (v6 && n.ip6) || n.ip, instance: n.instance, subnet: n.subnet };
    if (e.kind === 'ext' && e.what === 'lb') return { eni: 'eni-0lb0000000000050', ip: e.ip };
    return undefined;
  };
  const record = (side: 'client' | 'server', back: boolean, window: number, action: 'ACCEPT' | 'REJECT') => {
    const me = side === 'client' ? conn.client : conn.server;
    const i = iface(me)!;
    const outgoing = (side === 'client') !== back;
    const [from, to] = back ? [sip, cip] : [cip, sip];
    const rec: VpcRec = {
      eni: i.eni,
      ...(i.instance ? { instance: i.instance, subnet: i.subnet } : {}),
      // srcaddr: the interface's own address for outgoing traffic; dstaddr its own for incoming.
      src: outgoing && pkt ? i.ip : from,
      dst: !outgoing && pkt ? i.ip : to,
      pktSrc: from,
      pktDst: to,
      sport: back ? dport : sport,
      dport: back ? sport : dport,
      proto,
      flags: flags(back, window),
      start: start + window * 60,
      action,
      direction: outgoing ? 'egress' : 'ingress',
      path: (me.kind === 'pod' || me.kind === 'node') && (back ? conn.client : conn.server).kind === 'ext' ? '8' : '1',
      v6,
      ...(to.startsWith('52.218.') && chance(r, 0.5) ? { dstService: 'S3' } : {}),
    };
    lines.push(vpcLine(f, rec));
    if (back) tally.replies++;
    if (action === 'REJECT') tally.dropped++;
  };
  const sides = (['client', 'server'] as const).filter((s) => iface(s === 'client' ? conn.client : conn.server));
  if (sides.length === 0) return;
  for (const side of sides) {
    // Refused: the server's interface rejects the request; the client's (security groups allow egress) accepts it.
    if (rejected) {
      if (side === 'server' || chance(r, 0.5)) record(side, false, 0, side === 'server' ? 'REJECT' : 'ACCEPT');
      continue;
    }
    if (chance(r, 0.9)) record(side, false, 0, 'ACCEPT');
    if (chance(r, 0.8)) record(side, true, 0, 'ACCEPT');
    if (later) {
      record(side, false, 1, 'ACCEPT');
      if (chance(r, 0.7)) record(side, true, 1, 'ACCEPT');
    }
  }
  // To the internet through a NAT gateway: its interface's records (the user guide's NAT gateway example): from the
  // pod to the gateway's address, the internet as pkt-dstaddr, and the gateway's own to the internet.
  if (conn.server.kind === 'ext' && conn.server.what === 'internet' && pkt && !v6 && !rejected && chance(r, 0.4)) {
    tally.natGateway++;
    const eni = 'eni-0natgw00000000005';
    const base = { eni, proto, start, action: 'ACCEPT' as const, flags: flags(false, 0) };
    lines.push(
      vpcLine(f, { ...base, src: cip, dst: NATGW, pktSrc: cip, pktDst: sip, sport, dport, direction: 'ingress' }),
    );
    lines.push(
      vpcLine(f, { ...base, src: NATGW, dst: sip, sport: int(r, 1024, 65535), dport, direction: 'egress', path: '8' }),
    );
    lines.push(
      vpcLine(f, {
        ...base,
        flags: flags(true, 0),
        src: NATGW,
        dst: cip,
        pktSrc: sip,
        pktDst: cip,
        sport: dport,
        dport: sport,
        direction: 'egress',
        path: '1',
      }),
    );
    tally.replies++;
  }
  // Route 53 Resolver query logs name the address the client resolved.
  if (conn.lookup && conn.server.kind === 'ext' && conn.server.what === 'internet' && chance(r, 0.6)) {
    out.resolver.push({
      version: '1.100000',
      account_id: '123456789010',
      region: 'us-west-2',
      vpc_id: 'vpc-0a1b2c3d4e5f67890',
      query_timestamp: new Date(ms - 1000).toISOString().replace('.000Z', 'Z'),
      query_name: `${conn.lookup}.`,
      query_type: v6 ? 'AAAA' : 'A',
      query_class: 'IN',
      rcode: 'NOERROR',
      answers: [
        ...(conn.lookup === 'api.stripe.com' ? [{ Rdata: 'stripe.map.fastly.net.', Type: 'CNAME', Class: 'IN' }] : []),
        ...(conn.answer ?? [])
          .filter((a) => !v6 || a.ip6)
          .map((a) => ({ Rdata: v6 ? a.ip6! : a.ip, Type: v6 ? 'AAAA' : 'A', Class: 'IN' })),
      ],
      srcaddr: nodeOf(conn.client)?.ip ?? cip,
      srcport: String(int(r, 32768, 60999)),
      transport: 'UDP',
      srcids: { instance: nodeOf(conn.client)?.instance ?? 'i-0d15cd0d3example' },
    });
    tally.dnsAnswers++;
  }
}

// --- The files -------------------------------------------------------------------------------------------------------

/** Write the flow records under `dir` (flows/...), split into `parts` files per source; some gzipped. */
function writeFlows(r: Rand, dir: string, rec: Records, parts: number, tally?: Tally): void {
  const flows = join(dir, 'flows');
  mkdirSync(flows, { recursive: true });
  const split = <T>(xs: T[], k: number): T[][] => {
    const out: T[][] = Array.from({ length: k }, () => []);
    xs.forEach((x, i) => out[i % k]!.push(x));
    return out.filter((p) => p.length);
  };
  const write = (name: string, text: string, gz: boolean) =>
    writeFileSync(join(flows, gz ? `${name}.gz` : name), gz ? gzipSync(text) : text);
  split(rec.hubble, parts).forEach((p, i) =>
    write(`hubble-${i}.json`, p.map((x) => JSON.stringify(x)).join('\n') + '\n', chance(r, 0.3)),
  );
  if (rec.resolver.length) write('resolver.log', rec.resolver.map((x) => JSON.stringify(x)).join('\n') + '\n', false);
  for (const [f, lines] of rec.vpc)
    split(lines, parts).forEach((p, i) => {
      if (!f.header && tally) tally.headerless++;
      if (f.id !== 'v2' && f.id !== 'v2-bare' && tally) tally.customFormats++;
      if (!f.header && chance(r, 0.6)) {
        // Published to CloudWatch Logs (no header line there): a subscription's records as Firehose writes them to
        // S3, back to back, or what `aws logs filter-log-events` prints.
        if (tally) tally.cloudWatch++;
        const stream = `eni-0${hex(r, 16)}-all`;
        const events = p.map((message, k) => ({
          timestamp: Number(message.split(' ')[10]) * 1000 + k,
          message,
        }));
        const text = chance(r, 0.5)
          ? split(events, int(r, 1, 3))
              .map((ev) =>
                JSON.stringify({
                  messageType: 'DATA_MESSAGE',
                  owner: '123456789010',
                  logGroup: '/aws/vpc/flow-logs',
                  logStream: stream,
                  subscriptionFilters: ['to-firehose'],
                  logEvents: ev.map((e) => ({ id: String(e.timestamp * 1000 + int(r, 0, 999)), ...e })),
                }),
              )
              .join('')
          : JSON.stringify(
              {
                events: events.map((e) => ({
                  logStreamName: stream,
                  ...e,
                  ingestionTime: e.timestamp + 600_000,
                  eventId: String(e.timestamp * 1000 + int(r, 0, 999)),
                })),
                searchedLogStreams: [{ logStreamName: stream, searchedCompletely: true }],
              },
              null,
              4,
            );
        write(`cloudwatch-${i}.json`, text + '\n', chance(r, 0.2));
        return;
      }
      const text = [...(f.header ? [f.fields.join(' ')] : []), ...p].join('\n') + '\n';
      write(`eni-${f.id}-${i}.log`, text, chance(r, 0.2));
    });
}

/** Write the inventory: a `kubectl get -A -o json` List, or a directory of object files (JSON and YAML). */
function writeInventory(r: Rand, dir: string, objects: Json[], asDir: boolean): string {
  if (!asDir) {
    writeFileSync(
      join(dir, 'inventory.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } }, null, 2),
    );
    return 'inventory.json';
  }
  const inv = join(dir, 'inventory');
  mkdirSync(inv, { recursive: true });
  for (let i = 0; i < objects.length;) {
    // One object per file (JSON or YAML), or a few in one multi-document YAML file.
    const group = objects.slice(i, i + (chance(r, 0.3) ? int(r, 2, 4) : 1));
    const meta = group[0]!['metadata'] as Json;
    const name = `${String(i).padStart(3, '0')}-${String(group[0]!['kind']).toLowerCase()}-${String(meta['name'])}`;
    if (group.length > 1) writeFileSync(join(inv, `${name}.yaml`), group.map((o) => dump(o)).join('---\n'));
    else if (chance(r, 0.5)) writeFileSync(join(inv, `${name}.yaml`), dump(group[0]));
    else writeFileSync(join(inv, `${name}.json`), JSON.stringify(group[0]));
    i += group.length;
  }
  return 'inventory';
}

// --- Options ---------------------------------------------------------------------------------------------------------

/**
 * Odd runs generate with a flavor and widenings; the scope (--namespace, --since/--until) goes to both, and verify
 * may be told the network plugin and the kind.
 */
function options(r: Rand, c: Cluster, rec: Records): { generate: string[]; verify: string[] } {
  const generate: string[] = [];
  const both: string[] = [];
  const verify: string[] = [];
  const cilium = chance(r, 0.5);
  if (cilium) generate.push('--flavor', 'cilium');
  if (!cilium && chance(r, 0.12)) generate.push('--staged');
  if (chance(r, 0.2)) generate.push('--no-default-deny');
  if (chance(r, 0.3)) generate.push('--deny-system-namespaces');
  if (chance(r, 0.35)) generate.push('--widen-ports');
  if (chance(r, 0.35)) generate.push('--aggregate-cidr', String(pick(r, [8, 16, 24, 28])));
  if (chance(r, 0.2)) generate.push('--exact');
  if (chance(r, 0.15)) both.push('--namespace', pick(r, c.namespaces));
  if (chance(r, 0.15)) {
    // A window inside the records' span.
    const times = rec.hubble.map((x) => String((x['flow'] as Json | undefined)?.['time'] ?? x['time'])).sort();
    const at = (q: number) => times[Math.floor(times.length * q)]!.slice(0, 19) + 'Z';
    if (times.length > 4) both.push(...(chance(r, 0.5) ? ['--since', at(1 / 3)] : ['--until', at(2 / 3)]));
    else both.push('--since', '2026-11-02T08:05:00Z');
  }
  if (chance(r, 0.3))
    verify.push(
      '--network-plugin',
      pick(r, ['calico', 'cilium', 'aws-vpc-cni', 'antrea', 'gke-dataplane-v2', 'unknown']),
    );
  if (chance(r, 0.3)) verify.push('--kind', 'netpol');
  return { generate: [...generate, ...both], verify: [...verify, ...both] };
}

// --- Running the CLI in-process --------------------------------------------------------------------------------------

/** The CLI in this process, with no config file (the working directory is a sandbox of the run's). */
const cli = (args: string[], cwd: string) => cliInProcess([...args, '--no-config'], cwd);

interface Finding {
  subject: string;
  access: Record<string, unknown>;
  detail?: string;
  evidence?: { samples?: string[] };
}

/**
 * The undetermined results verify documents for these policies (docs/cli.md, "ipBlocks that cover pods" and verify's
 * netpol section): an ICMP connection a NetworkPolicy cannot name; an ipBlock holding a node's address under Cilium
 * (matched only with policy-cidr-match-mode nodes), or perhaps pods' when the plugin is not known. An ICMP connection
 * generate wrote no rule for (it cannot, in a NetworkPolicy) may also be left to an ipBlock a widening made that holds
 * some of the peer's pods, or pods whose addresses the inventory does not have.
 */
const documented = (f: Finding): boolean => {
  const d = f.detail ?? '';
  return (
    /^ICMP(v6)?: a Kubernetes NetworkPolicy cannot allow it by protocol/.test(d) ||
    /policy-cidr-match-mode nodes/.test(d) ||
    /depends on the network plugin/.test(d) ||
    (/^ICMP/.test(String(f.access['protocol'])) &&
      /ipBlock \S+ (holds \d+ of the peer pods' \d+ addresses|may hold the peer pods' addresses)/.test(d))
  );
};

/** A finding, with the records its samples name (cut short), for the failure message. */
function shown(f: Finding, rec: Records): string {
  const ids = new Set(f.evidence?.samples ?? []);
  const hits: string[] = [];
  for (const x of rec.hubble) {
    const fl = ((x['flow'] as Json | undefined) ?? x) as Json;
    const ip = fl['IP'] as Json;
    const l4 = fl['l4'] as Record<string, Json>;
    const l = Object.values(l4)[0] ?? {};
    const id = `${String(ip['source'])}:${String(l['source_port'] ?? 0)}>${String(ip['destination'])}:${String(l['destination_port'] ?? 0)}`;
    if (ids.has(id)) hits.push(`  hubble: ${JSON.stringify(x).slice(0, 1200)}`);
  }
  for (const [fmt, lines] of rec.vpc)
    for (const line of lines) {
      const v = line.split(' ');
      const at = (k: string) => v[fmt.fields.indexOf(k)];
      const src = at('pkt-srcaddr') ?? at('srcaddr');
      const dst = at('pkt-dstaddr') ?? at('dstaddr');
      if (ids.has(`${src}:${at('srcport')}>${dst}:${at('dstport')}`)) hits.push(`  vpc (${fmt.id}): ${line}`);
    }
  return [JSON.stringify(f).slice(0, 800), ...hits.slice(0, 4)].join('\n');
}

describe('generate netpol → verify on random flow records and inventories', () => {
  it(`verify allows every connection generate made policies from (seed ${SEED}, ${RUNS} runs)`, async () => {
    const dir = tmp('a2p-netrec-');
    const failures: string[] = [];
    const tally = newTally();
    let observed = 0;
    let undetermined = 0;
    let denied = 0;
    let skippedReplies = 0;
    let shuffled = 0;
    let threaded = 0;
    let empty = 0;
    let flavored = 0;
    for (let i = 0; i < RUNS; i++) {
      if (ONLY !== undefined && i !== ONLY) continue;
      const seed = (SEED + i * 7919) >>> 0;
      const r = rng(seed);
      const cluster = makeCluster(r);
      const rec = makeRecords(r, cluster, tally);
      const at = join(dir, `run-${i}`);
      mkdirSync(at, { recursive: true });
      writeFlows(r, at, rec, int(r, 1, 2), tally);
      const asDir = chance(r, 0.3);
      if (asDir) tally.directories++;
      const inv = writeInventory(r, at, cluster.objects, asDir);
      const flags = i % 2 ? options(r, cluster, rec) : { generate: [], verify: [] };
      if (flags.generate.includes('cilium')) flavored++;
      const said =
        flags.generate.length || flags.verify.length ? `, ${[...flags.generate, '|', ...flags.verify].join(' ')}` : '';
      const what = `run ${i} (FUZZ_SEED=${SEED} FUZZ_RUN=${i}${said}, ${at})`;

      // 1. generate exits 0.
      const g = await cli(
        ['generate', 'netpol', '--flows', 'flows', '--inventory', inv, '-o', 'out', '-q', ...flags.generate],
        at,
      );
      // Nothing in scope (a --subject no record matches): exit 2 before anything is written (cli.md, generate all).
      if (g.code === 2 && g.stderr.includes('error: nothing to generate: ') && !existsSync(join(at, 'out'))) {
        empty++;
        continue;
      }
      if (g.code !== 0) {
        failures.push(`${what}\n  generate exited ${g.code}: ${g.stderr.slice(0, 800)}`);
        continue;
      }
      // 2. verify denies nothing, and leaves undetermined only what it documents.
      const v = await cli(
        ['verify', '--policies', 'out', '--flows', 'flows', '--inventory', inv, '--format', 'json', ...flags.verify],
        at,
      );
      const policies = Object.keys(readTree(join(at, 'out'))).filter((f) => f.startsWith('netpol/'));
      const report = judgeVerify(v, policies.length, what, documented, (f) => shown(f, rec), failures);
      if (report === 'empty') {
        empty++;
        continue;
      }
      if (!report) continue;
      observed += report.observed;
      undetermined += report.undetermined.length;
      denied += report.denied?.length ?? 0;
      skippedReplies += report.skipped?.['reply'] ?? 0;

      // 3. Every third run: the records and the inventory's objects in another order, in other files, give the same
      // tree; every fifth, read by two worker threads.
      const again = async (name: string, extra: string[], reorder: boolean) => {
        const there = join(at, name);
        mkdirSync(there, { recursive: true });
        const mixed: Records = reorder
          ? {
              hubble: shuffle(rec.hubble, r),
              resolver: shuffle(rec.resolver, r),
              vpc: new Map([...rec.vpc].map(([f, l]) => [f, shuffle(l, r)])),
            }
          : rec;
        writeFlows(r, there, mixed, reorder ? int(r, 1, 3) : 1);
        const inv2 = writeInventory(
          r,
          there,
          reorder ? shuffle(cluster.objects, r) : cluster.objects,
          reorder ? !asDir : asDir,
        );
        const s = await cli(
          [
            'generate',
            'netpol',
            '--flows',
            'flows',
            '--inventory',
            inv2,
            '-o',
            'out',
            '-q',
            ...flags.generate,
            ...extra,
          ],
          there,
        );
        const diff = s.code === 0 ? treeDiff(readTree(join(at, 'out')), readTree(join(there, 'out'))) : undefined;
        if (s.code !== 0) failures.push(`${what}\n  generate (${name}) exited ${s.code}: ${s.stderr.slice(0, 800)}`);
        else if (diff) failures.push(`${what}\n  ${name} gives another tree: ${diff}`);
      };
      if (i % 3 === 0) {
        shuffled++;
        await again('shuffled', [], true);
      }
      if (i % 5 === 0) {
        threaded++;
        await again('threads', ['--workers', '2'], false);
      }
    }
    if (env['FUZZ_TALLY'])
      console.log(
        JSON.stringify({
          ...tally,
          observed,
          undetermined,
          denied,
          skippedReplies,
          shuffled,
          threaded,
          empty,
          flavored,
        }),
      );
    if (ONLY === undefined) {
      // The runs exercised what the property is about.
      const t = tally;
      expect(t.records, 'records').toBeGreaterThan(RUNS * 30 - 1);
      expect(t.hubble, 'Hubble records').toBeGreaterThan(RUNS * 10);
      expect(t.vpc, 'VPC flow log records').toBeGreaterThan(RUNS * 5);
      expect(t.resolver, 'Route 53 Resolver records').toBeGreaterThan(0);
      expect(t.replies, 'replies').toBeGreaterThan(RUNS * 5);
      expect(t.dropped, 'dropped or rejected records').toBeGreaterThan(RUNS / 2);
      expect(t.external, 'connections to the internet').toBeGreaterThan(RUNS);
      expect(t.services, 'connections through a Service').toBeGreaterThan(RUNS);
      expect(t.preTranslation, 'ClusterIPs seen before translation').toBeGreaterThan(0);
      expect(t.nodes, 'connections of nodes').toBeGreaterThan(RUNS / 2);
      expect(t.hostNetwork, 'host-network endpoints').toBeGreaterThan(RUNS / 4);
      expect(t.ghosts, 'records of pods the inventory no longer holds').toBeGreaterThan(RUNS);
      expect(t.dnsAnswers, 'DNS answers').toBeGreaterThan(RUNS / 4);
      expect(t.l7, 'L7 DNS flows').toBeGreaterThan(0);
      expect(t.ipv6, 'IPv6 connections').toBeGreaterThan(0);
      expect(t.icmp, 'ICMP').toBeGreaterThan(0);
      expect(t.noData, 'NODATA and SKIPDATA records').toBeGreaterThan(0);
      expect(t.natGateway, 'NAT gateway records').toBeGreaterThan(0);
      expect(t.unknownReply, 'Hubble records without is_reply').toBeGreaterThan(0);
      expect(t.sock, 'Hubble socket translation traces').toBeGreaterThan(0);
      expect(t.http, 'Hubble L7 HTTP flows').toBeGreaterThan(0);
      expect(t.cloudWatch, 'VPC records in CloudWatch Logs envelopes').toBeGreaterThan(0);
      expect(t.customFormats, 'files in a custom VPC format').toBeGreaterThan(0);
      expect(t.headerless, 'VPC files without a header line').toBeGreaterThan(0);
      expect(t.directories, 'inventories as directories').toBeGreaterThan(0);
      expect(observed, 'connections verify replayed').toBeGreaterThan(RUNS * 8);
      expect(skippedReplies, 'replies the decoders left out').toBeGreaterThan(RUNS * 3);
      expect(denied, 'dropped connections verify listed').toBeGreaterThan(0);
      expect(undetermined, 'documented undetermined results').toBeGreaterThan(0);
      expect(flavored, 'runs with --flavor cilium').toBeGreaterThan(0);
      expect(shuffled).toBeGreaterThan(0);
      expect(threaded).toBeGreaterThan(0);
      expect(empty, 'runs with nothing in scope').toBeLessThan(RUNS / 6);
    }
    expect(failures.join('\n\n')).toBe('');
  }, 120_000);
});
