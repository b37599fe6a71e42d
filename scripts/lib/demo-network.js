// The demo environment's cluster inventory and flow logs (fixtures/demo/inventory, fixtures/demo/flows):
// the same acme staging soak as the audit logs and CloudTrail, seen on the network. Seeded and
// byte-stable; called by scripts/gen-demo.js.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from './prng.js';
import {
  BACKUP_RUNS,
  DAYS,
  DB_PODS,
  HOUR,
  MIN,
  PAYMENTS_POD,
  REPORT_RUNS,
  START,
  WEB_HASHES,
  WEB_PODS,
  webPodAt,
} from './demo-timeline.js';

const SEED = 20261104;

const NODES = [
  { name: 'ip-10-0-1-23.ec2.internal', ip: '10.0.1.23' },
  { name: 'ip-10-0-2-41.ec2.internal', ip: '10.0.2.41' },
  { name: 'ip-10-0-3-17.ec2.internal', ip: '10.0.3.17' },
];
const API_SERVER = ['10.0.0.20', '10.0.0.21'];
const NLB = ['10.0.0.50', '10.0.0.51'];
const EXTERNAL = {
  stripe: { ips: ['54.187.174.169', '54.187.216.72'], name: 'api.stripe.com' },
  s3: { ips: ['52.218.36.91'], name: 'acme-staging-carts.s3.eu-west-1.amazonaws.com' },
  backups: { ips: ['52.218.48.7'], name: 'acme-staging-backups.s3.eu-west-1.amazonaws.com' },
  dynamodb: { ips: ['52.94.25.58'], name: 'dynamodb.eu-west-1.amazonaws.com' },
  ecr: { ips: ['3.248.29.107'], name: 'api.ecr.eu-west-1.amazonaws.com' },
  reports: { ips: ['52.218.60.12'], name: 'acme-staging-reports.s3.eu-west-1.amazonaws.com' },
  logs: { ips: ['52.94.218.40'], name: 'logs.eu-west-1.amazonaws.com' },
};

// Workloads: the README's table, plus cluster DNS and a metrics scraper (network-only: it scrapes static
// targets). `pods` is what the inventory holds (a snapshot after the soak: web's pod after its rollout,
// the four db replicas, the last backup run; report's Jobs are deleted when collected); the flows use
// the pod that was running at the time (see podAt).
export const WORKLOADS = [
  {
    ns: 'shop',
    name: 'web',
    kind: 'Deployment',
    sa: 'web',
    labels: { app: 'web', tier: 'frontend' },
    oldHashes: [WEB_HASHES[0]],
    pods: [[WEB_PODS[1].name, WEB_PODS[1].ip, WEB_PODS[1].node]],
    ports: [
      ['http', 8080],
      ['metrics', 9090],
    ],
  },
  {
    ns: 'shop',
    name: 'cart',
    kind: 'Deployment',
    sa: 'cart',
    labels: { app: 'cart', tier: 'backend' },
    pods: [['cart-5f7b9c8d4-m8wzt', '10.0.1.102', 0]],
    ports: [
      ['api', 8081],
      ['metrics', 9090],
    ],
  },
  {
    ns: 'shop',
    name: 'db',
    kind: 'StatefulSet',
    sa: 'db',
    labels: { app: 'db' },
    pods: DB_PODS.map((p) => [p.name, p.ip, p.node]),
    ports: [['postgres', 5432]],
  },
  {
    ns: 'payments',
    name: 'payments-api',
    kind: 'Deployment',
    sa: 'payments-api',
    labels: { app: 'payments-api' },
    pods: [[PAYMENTS_POD, '10.0.2.110', 1]],
    ports: [
      ['https', 8443],
      ['metrics', 9090],
    ],
  },
  {
    ns: 'monitoring',
    name: 'pod-watcher',
    kind: 'Deployment',
    sa: 'pod-watcher',
    labels: { app: 'pod-watcher' },
    pods: [['pod-watcher-84c6d5f7b9-h2j5k', '10.0.3.120', 2]],
    ports: [],
  },
  {
    ns: 'monitoring',
    name: 'prometheus',
    kind: 'StatefulSet',
    sa: 'prometheus',
    labels: { app: 'prometheus' },
    pods: [['prometheus-0', '10.0.3.121', 2]],
    ports: [['web', 9090]],
  },
  {
    ns: 'ci',
    name: 'job-runner',
    kind: 'Deployment',
    sa: 'job-runner',
    labels: { app: 'job-runner' },
    pods: [['job-runner-59d7c8b6f4-t6r2p', '10.0.2.130', 1]],
    ports: [],
  },
  {
    ns: 'ci',
    name: 'deploy',
    kind: 'Job',
    sa: 'deployer',
    labels: { app: 'deploy' },
    pods: [['deploy-8xk2m', '10.0.2.131', 1]],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'cert-operator',
    kind: 'Deployment',
    sa: 'cert-operator',
    labels: { app: 'cert-operator' },
    pods: [['cert-operator-7b8c9d6f5-w9x3z', '10.0.3.140', 2]],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'backup',
    kind: 'CronJob',
    schedule: '0 2 * * *',
    sa: 'backup',
    labels: { app: 'backup' },
    pods: [[BACKUP_RUNS[DAYS - 1].pod, BACKUP_RUNS[DAYS - 1].ip, 2]],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'report',
    kind: 'CronJob',
    schedule: '30 5 * * *',
    sa: 'report',
    labels: { app: 'report' },
    pods: [],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'report-reader',
    kind: 'Deployment',
    sa: 'report-reader',
    labels: { app: 'report-reader' },
    pods: [['report-reader-6f9c8d7b5-k2m4p', '10.0.3.142', 2]],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'db-operator',
    kind: 'Deployment',
    sa: 'db-operator',
    labels: { app: 'db-operator' },
    pods: [['db-operator-5b7d9f6c8-r4t8w', '10.0.3.144', 2]],
    ports: [],
  },
  {
    ns: 'ops',
    name: 'invoice-archive',
    kind: 'CronJob',
    schedule: '0 3 1 * *',
    sa: 'default',
    labels: { app: 'invoice-archive' },
    pods: [],
    ports: [],
  },
  {
    ns: 'kube-system',
    name: 'coredns',
    kind: 'Deployment',
    sa: 'coredns',
    labels: { 'k8s-app': 'kube-dns' },
    pods: [
      ['coredns-5d78c9869d-4xg7p', '10.0.1.10', 0],
      ['coredns-5d78c9869d-9ktzw', '10.0.2.10', 1],
    ],
    ports: [
      ['dns', 53, 'UDP'],
      ['dns-tcp', 53, 'TCP'],
      ['metrics', 9153],
    ],
  },
];

const SERVICES = [
  { ns: 'shop', name: 'web', ip: '172.20.10.1', selector: { app: 'web' }, ports: [['http', 80, 'http']] },
  { ns: 'shop', name: 'cart', ip: '172.20.10.2', selector: { app: 'cart' }, ports: [['http', 80, 8081]] },
  {
    ns: 'payments',
    name: 'payments-api',
    ip: '172.20.20.1',
    selector: { app: 'payments-api' },
    ports: [['https', 443, 'https']],
  },
  {
    ns: 'kube-system',
    name: 'kube-dns',
    ip: '172.20.0.10',
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      ['dns', 53, 'dns', 'UDP'],
      ['dns-tcp', 53, 'dns-tcp', 'TCP'],
    ],
  },
];

export function generateNetwork(outDir) {
  const rand = mulberry32(SEED);
  const int = (n) => Math.floor(rand() * n);
  const hex = (n) => Array.from({ length: n }, () => int(16).toString(16)).join('');
  const uid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

  // ---- inventory: what `kubectl get ns,nodes,pods,rs,deploy,sts,ds,jobs,cronjobs,svc -A -o json` gives
  const items = [];
  for (const ns of ['kube-system', 'shop', 'payments', 'monitoring', 'ci', 'ops']) {
    items.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        uid: uid(),
        labels: {
          'kubernetes.io/metadata.name': ns,
          ...(ns === 'shop' || ns === 'payments' ? { 'acme.example/tier': 'app' } : {}),
        },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  for (const n of NODES)
    items.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        uid: uid(),
        labels: {
          'kubernetes.io/hostname': n.name,
          'topology.kubernetes.io/zone': `eu-west-1${'abc'[NODES.indexOf(n)]}`,
        },
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: n.ip },
          { type: 'Hostname', address: n.name },
        ],
      },
    });
  for (const w of WORKLOADS) {
    const selector = { matchLabels: { ...w.labels } };
    const template = {
      metadata: { labels: { ...w.labels } },
      spec: {
        serviceAccountName: w.sa,
        containers: [
          {
            name: w.name,
            image: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/${w.ns}/${w.name}:1.0`,
            ports: w.ports.map(([name, port, protocol]) => ({
              name,
              containerPort: port,
              protocol: protocol ?? 'TCP',
            })),
          },
        ],
      },
    };
    let owner;
    if (w.kind === 'Deployment') {
      const hash = w.pods[0]?.[0].split('-').slice(-2, -1)[0] ?? hex(9);
      const dep = uid();
      items.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: w.name, namespace: w.ns, uid: dep },
        spec: { replicas: w.pods.length, selector, template },
      });
      // A rollout leaves the previous ReplicaSets behind, scaled to zero (revisionHistoryLimit).
      for (const h of [...(w.oldHashes ?? []), hash]) {
        items.push({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${w.name}-${h}`,
            namespace: w.ns,
            uid: uid(),
            labels: { ...w.labels, 'pod-template-hash': h },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid: dep, controller: true }],
          },
          spec: {
            replicas: h === hash ? w.pods.length : 0,
            selector: { matchLabels: { ...w.labels, 'pod-template-hash': h } },
          },
        });
      }
      owner = { kind: 'ReplicaSet', name: `${w.name}-${hash}`, extra: { 'pod-template-hash': hash } };
    } else if (w.kind === 'StatefulSet') {
      items.push({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: w.name, namespace: w.ns, uid: uid() },
        spec: { replicas: w.pods.length, selector, template, serviceName: w.name },
      });
      owner = { kind: 'StatefulSet', name: w.name, extra: { 'controller-revision-hash': `${w.name}-6d5c8b7f9d` } };
    } else if (w.kind === 'Job') {
      const u = uid();
      items.push({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: w.name, namespace: w.ns, uid: u },
        spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': u } }, template },
      });
      owner = {
        kind: 'Job',
        name: w.name,
        extra: {
          'batch.kubernetes.io/controller-uid': u,
          'batch.kubernetes.io/job-name': w.name,
          'job-name': w.name,
          'controller-uid': u,
        },
      };
    } else if (w.kind === 'CronJob') {
      items.push({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: w.name, namespace: w.ns, uid: uid() },
        spec: { schedule: w.schedule, jobTemplate: { spec: { template } } },
      });
      if (w.pods.length) {
        const job = w.pods[0][0].split('-').slice(0, 2).join('-');
        const u = uid();
        items.push({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name: job,
            namespace: w.ns,
            uid: u,
            ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: w.name, uid: uid(), controller: true }],
          },
          spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': u } }, template },
        });
        owner = {
          kind: 'Job',
          name: job,
          extra: {
            'batch.kubernetes.io/controller-uid': u,
            'batch.kubernetes.io/job-name': job,
            'job-name': job,
            'controller-uid': u,
          },
        };
      }
    }
    w.pods.forEach(([pod, ip, node], i) => {
      items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod,
          namespace: w.ns,
          uid: uid(),
          labels: {
            ...w.labels,
            ...(owner?.extra ?? {}),
            ...(w.kind === 'StatefulSet'
              ? { 'statefulset.kubernetes.io/pod-name': pod, 'apps.kubernetes.io/pod-index': String(i) }
              : {}),
          },
          ...(owner
            ? {
                ownerReferences: [
                  {
                    apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1',
                    kind: owner.kind,
                    name: owner.name,
                    uid: uid(),
                    controller: true,
                    blockOwnerDeletion: true,
                  },
                ],
              }
            : {}),
        },
        spec: { ...template.spec, nodeName: NODES[node].name },
        status: { phase: 'Running', hostIP: NODES[node].ip, podIP: ip, podIPs: [{ ip }] },
      });
    });
  }
  // aws-node (the VPC CNI) runs on the host network: its pods carry the node's address.
  items.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'aws-node', namespace: 'kube-system', uid: uid() },
    spec: { selector: { matchLabels: { 'k8s-app': 'aws-node' } } },
  });
  NODES.forEach((n, i) =>
    items.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `aws-node-${['7xk2p', 'b9q4w', 'm3t8z'][i]}`,
        namespace: 'kube-system',
        uid: uid(),
        labels: { 'k8s-app': 'aws-node', 'controller-revision-hash': '7d9c5b8f6', 'pod-template-generation': '3' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'aws-node', uid: uid(), controller: true }],
      },
      spec: {
        hostNetwork: true,
        nodeName: n.name,
        serviceAccountName: 'aws-node',
        containers: [{ name: 'aws-node', image: 'amazon-k8s-cni:v1.18.3' }],
      },
      status: { phase: 'Running', hostIP: n.ip, podIP: n.ip, podIPs: [{ ip: n.ip }] },
    }),
  );
  for (const s of SERVICES) {
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: s.ns, uid: uid() },
      spec: {
        type: 'ClusterIP',
        clusterIP: s.ip,
        clusterIPs: [s.ip],
        selector: s.selector,
        ports: s.ports.map(([name, port, target, protocol]) => ({
          name,
          port,
          targetPort: target,
          protocol: protocol ?? 'TCP',
        })),
      },
    });
  }
  mkdirSync(join(outDir, 'inventory'), { recursive: true });
  writeFileSync(
    join(outDir, 'inventory/acme-staging.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } }, null, 1) + '\n',
  );

  // ---- flows ----------------------------------------------------------------------------------
  const byKey = new Map(WORKLOADS.map((w) => [`${w.ns}/${w.name}`, w]));
  const keys = [...byKey.keys()];
  /** The pod of a workload that talked at time t: the one running then (the last listed for the rest). */
  const podAt = (key, t) => {
    const d = Math.floor((t - START) / (24 * HOUR));
    const w = byKey.get(key);
    if (key === 'shop/web') return { w, pod: webPodAt(t).name, ip: webPodAt(t).ip };
    // The primary takes the connections.
    if (key === 'shop/db') return { w, pod: DB_PODS[0].name, ip: DB_PODS[0].ip };
    if (key === 'ops/backup') return { w, pod: BACKUP_RUNS[d].pod, ip: BACKUP_RUNS[d].ip };
    if (key === 'ops/report') return { w, pod: REPORT_RUNS[d].pod, ip: REPORT_RUNS[d].ip };
    const [pod, ip] = w.pods[w.pods.length - 1];
    return { w, pod, ip };
  };
  const ciliumLabels = (w) =>
    [
      ...Object.entries(w.labels).map(([k, v]) => `k8s:${k}=${v}`),
      `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${w.ns}`,
      'k8s:io.cilium.k8s.policy.cluster=acme-staging',
      `k8s:io.cilium.k8s.policy.serviceaccount=${w.sa}`,
      `k8s:io.kubernetes.pod.namespace=${w.ns}`,
    ].sort();
  const endpoint = (key, t) => {
    if (key.startsWith('ip:')) return { identity: 2, labels: ['reserved:world'] };
    if (key.startsWith('node:')) return { identity: 1, labels: ['reserved:host'] };
    if (key.startsWith('api:')) return { identity: 7, labels: ['reserved:kube-apiserver', 'reserved:world'] };
    const p = podAt(key, t);
    return {
      ID: 1000 + keys.indexOf(key),
      identity: 20000 + keys.indexOf(key),
      namespace: p.w.ns,
      labels: ciliumLabels(p.w),
      pod_name: p.pod,
      workloads: [{ name: p.w.name, kind: p.w.kind }],
    };
  };
  const ipOf = (key, t) =>
    key.includes(':') && !key.includes('/') ? key.slice(key.indexOf(':') + 1) : podAt(key, t).ip;
  const days = Array.from({ length: DAYS }, () => []);
  let sport = 40000;
  /**
   * One connection: the SYN from the client, the SYN-ACK back (a reply), maybe an L7 DNS pair. Seen leaving the client
   * (EGRESS) at a node drawn at random; `opts.at`: seen arriving at the server (INGRESS), at its node (that index).
   */
  function connect(t, from, to, port, proto = 'TCP', opts = {}) {
    const d = Math.floor((t - START) / (24 * HOUR));
    if (d < 0 || d >= DAYS) return;
    sport = sport >= 60999 ? 40000 : sport + 1 + int(7);
    // The draw is made either way, so that the records after keep their bytes.
    const observer = () => {
      const drawn = NODES[int(3)].name;
      return opts.at === undefined ? drawn : NODES[opts.at].name;
    };
    const base = (ts, src, dst, sp, dp, extra) => ({
      flow: {
        time: `${new Date(ts).toISOString().slice(0, 23)}${String(int(1e6)).padStart(6, '0')}Z`,
        verdict: opts.dropped ? 'DROPPED' : 'FORWARDED',
        ...(opts.dropped ? { drop_reason_desc: 'POLICY_DENIED' } : {}),
        IP: { source: ipOf(src, ts), destination: ipOf(dst, ts), ipVersion: 'IPv4' },
        l4:
          proto === 'TCP'
            ? { TCP: { source_port: sp, destination_port: dp, flags: extra.flags } }
            : proto === 'UDP'
              ? { UDP: { source_port: sp, destination_port: dp } }
              : { ICMPv4: { type: extra.icmp } },
        source: endpoint(src, ts),
        destination: endpoint(dst, ts),
        Type: extra.l7 ? 'L7' : 'L3_L4',
        node_name: `acme-staging/${observer()}`,
        ...(extra.l7 ? { l7: extra.l7 } : {}),
        ...(extra.names ? { destination_names: extra.names } : {}),
        is_reply: extra.reply,
        traffic_direction: opts.at === undefined ? 'EGRESS' : 'INGRESS',
        Summary: extra.summary ?? '',
      },
      node_name: `acme-staging/${observer()}`,
      time: new Date(ts).toISOString(),
    });
    const out = days[d];
    if (proto === 'TCP') {
      out.push(
        base(t, from, to, sport, port, {
          flags: { SYN: true },
          reply: false,
          names: opts.names,
          summary: 'TCP Flags: SYN',
        }),
      );
      if (!opts.dropped)
        out.push(
          base(t + 1, to, from, port, sport, {
            flags: { SYN: true, ACK: true },
            reply: true,
            summary: 'TCP Flags: SYN, ACK',
          }),
        );
    } else if (proto === 'UDP') {
      const query = opts.query;
      out.push(base(t, from, to, sport, port, { reply: false, summary: query ? `DNS Query ${query}. A` : 'UDP' }));
      if (query) {
        out.push(
          base(t + 2, to, from, port, sport, {
            reply: true,
            l7: {
              type: 'RESPONSE',
              latency_ns: '412000',
              dns: {
                query: `${query}.`,
                ips: opts.answers,
                ttl: 60,
                rcode: 0,
                qtypes: ['A'],
                rrtypes: ['A'],
                observation_source: 'proxy',
              },
            },
            summary: `DNS Answer "${opts.answers.join(',')}" TTL: 60 (Proxy ${query}. A)`,
          }),
        );
      } else out.push(base(t + 2, to, from, port, sport, { reply: true, summary: 'UDP' }));
    }
  }
  const dns = (t, from, name, ext) =>
    connect(t - 40, from, 'kube-system/coredns', 53, 'UDP', name ? { query: name, answers: ext.ips } : {});

  for (let d = 0; d < DAYS; d++) {
    const day = START + d * 24 * HOUR;
    const weekday = new Date(day).getUTCDay() % 6 !== 0;
    for (let h = 0; h < 24; h++) {
      const t = day + h * HOUR + int(10 * MIN);
      // Shoppers through the load balancer; the storefront calls the cart; checkout calls payments.
      connect(t, `ip:${NLB[int(2)]}`, 'shop/web', 8080);
      connect(t + 2000, 'shop/web', 'shop/cart', 8081);
      // The storefront reads the catalogue from its database (the StatefulSet's primary, db-0).
      connect(t + 2500, 'shop/web', 'shop/db', 5432);
      if (h % 3 === 0) connect(t + 4000, 'shop/cart', 'payments/payments-api', 8443);
      // Payments talk to Stripe by name; the cart to S3 and DynamoDB.
      if (h % 3 === 0) {
        const ip = EXTERNAL.stripe.ips[int(2)];
        dns(t + 5000, 'payments/payments-api', EXTERNAL.stripe.name, EXTERNAL.stripe);
        connect(t + 5000, 'payments/payments-api', `ip:${ip}`, 443, 'TCP', { names: [EXTERNAL.stripe.name] });
      }
      dns(t + 6000, 'shop/cart', EXTERNAL.dynamodb.name, EXTERNAL.dynamodb);
      connect(t + 6000, 'shop/cart', `ip:${EXTERNAL.dynamodb.ips[0]}`, 443, 'TCP', { names: [EXTERNAL.dynamodb.name] });
      if (h % 2 === 0) {
        dns(t + 7000, 'shop/cart', EXTERNAL.s3.name, EXTERNAL.s3);
        connect(t + 7000, 'shop/cart', `ip:${EXTERNAL.s3.ips[0]}`, 443, 'TCP', { names: [EXTERNAL.s3.name] });
      }
      // The web pod resolves the cart service by name (the cluster DNS, over UDP and now and then TCP).
      dns(t + 1900, 'shop/web', '', null);
      if (h === 12) connect(t + 1950, 'shop/web', 'kube-system/coredns', 53, 'TCP');
      // Prometheus scrapes metrics across namespaces; the kubelet probes the storefront from its node, which Hubble
      // shows arriving at the pod as from reserved:host.
      for (const target of ['shop/web', 'shop/cart', 'payments/payments-api'])
        connect(t + 9000, 'monitoring/prometheus', target, 9090);
      connect(t + 9500, 'monitoring/prometheus', 'kube-system/coredns', 9153);
      const probed = webPodAt(t + 11000).node;
      connect(t + 11000, `node:${NODES[probed].ip}`, 'shop/web', 8080, 'TCP', { at: probed });
      // Controllers watch the API server.
      for (const c of ['monitoring/pod-watcher', 'ops/cert-operator', 'ops/report-reader', 'ops/db-operator'])
        if (h % 6 === 0) connect(t + 12000, c, `api:${API_SERVER[int(2)]}`, 443);
      if (weekday && h >= 9 && h < 18) {
        connect(t + 13000, 'ci/job-runner', `api:${API_SERVER[int(2)]}`, 443);
        if (h === 10 || h === 15) {
          connect(t + 14000, 'ci/deploy', `api:${API_SERVER[int(2)]}`, 443);
          dns(t + 15000, 'ci/deploy', EXTERNAL.ecr.name, EXTERNAL.ecr);
          connect(t + 15000, 'ci/deploy', `ip:${EXTERNAL.ecr.ips[0]}`, 443, 'TCP', { names: [EXTERNAL.ecr.name] });
        }
      }
    }
    // Nightly backup at 02:00.
    const b = day + 2 * HOUR + int(2 * MIN);
    connect(b, 'ops/backup', `api:${API_SERVER[0]}`, 443);
    dns(b + 3000, 'ops/backup', EXTERNAL.backups.name, EXTERNAL.backups);
    connect(b + 3000, 'ops/backup', `ip:${EXTERNAL.backups.ips[0]}`, 443, 'TCP', { names: [EXTERNAL.backups.name] });
    // The daily report run at 05:30: the API server (its configmap), its bucket and CloudWatch Logs by name.
    const r = REPORT_RUNS[d];
    connect(r.start + 500, 'ops/report', `api:${API_SERVER[1]}`, 443);
    for (const [i, ext] of [EXTERNAL.reports, EXTERNAL.logs].entries()) {
      dns(r.start + 2500 + i * 1000, 'ops/report', ext.name, ext);
      connect(r.start + 2500 + i * 1000, 'ops/report', `ip:${ext.ips[0]}`, 443, 'TCP', { names: [ext.name] });
    }
    // Dropped on purpose: a CI job probing the payments API.
    if (d === 3)
      connect(day + 14 * HOUR + 7 * MIN, 'ci/job-runner', 'payments/payments-api', 8443, 'TCP', { dropped: true });
  }
  mkdirSync(join(outDir, 'flows/hubble'), { recursive: true });
  const files = [];
  days.forEach((records, d) => {
    const date = new Date(START + d * 24 * HOUR).toISOString().slice(0, 10);
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    // The last day is plain JSON lines without the {"flow": ...} wrapper (hubble observe -o jsonpb of old); the rest
    // gzip.
    if (d === DAYS - 1) {
      writeFileSync(
        join(outDir, `flows/hubble/hubble-${date}.json`),
        records.map((r) => JSON.stringify(r.flow)).join('\n') + '\n',
      );
      files.push({ path: `hubble/hubble-${date}.json`, records: records.length });
    } else {
      writeFileSync(join(outDir, `flows/hubble/hubble-${date}.json.gz`), gzipSync(text, { level: 9 }));
      files.push({ path: `hubble/hubble-${date}.json.gz`, records: records.length });
    }
  });

  // A VPC flow log of the nodes' ENIs for one hour (custom format with a header, as the console
  // writes it to S3): the load balancer reaching the web Service's ClusterIP, web → the cart
  // Service, both directions of each flow, a NODATA line, and a rejected probe from the internet.
  const eni = 'eni-0a1b2c3d4e5f60718';
  const t0 = Math.floor((START + 5 * 24 * HOUR + 15 * HOUR) / 1000);
  // The storefront's pod of that hour (after Friday's rollout).
  const web = webPodAt(t0 * 1000).ip;
  const vpc = [
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
  ];
  for (let i = 0; i < 20; i++) {
    const s = t0 + i * 180;
    const p = 50000 + i;
    vpc.push(
      `2 111122223333 ${eni} ${NLB[i % 2]} 172.20.10.1 ${p} 80 6 ${8 + int(20)} ${2000 + int(9000)} ${s} ${s + 60} ACCEPT OK`,
    );
    vpc.push(
      `2 111122223333 ${eni} 172.20.10.1 ${NLB[i % 2]} 80 ${p} 6 ${6 + int(20)} ${9000 + int(90000)} ${s} ${s + 60} ACCEPT OK`,
    );
    vpc.push(
      `2 111122223333 ${eni} ${web} 172.20.10.2 ${p + 100} 80 6 ${4 + int(10)} ${900 + int(3000)} ${s} ${s + 60} ACCEPT OK`,
    );
    vpc.push(
      `2 111122223333 ${eni} 172.20.10.2 ${web} 80 ${p + 100} 6 ${4 + int(10)} ${900 + int(3000)} ${s} ${s + 60} ACCEPT OK`,
    );
  }
  vpc.push(`2 111122223333 ${eni} - - - - - - - ${t0 + 3600} ${t0 + 3660} - NODATA`);
  vpc.push(`2 111122223333 ${eni} 185.220.101.45 ${web} 51234 22 6 1 60 ${t0 + 100} ${t0 + 160} REJECT OK`);
  mkdirSync(join(outDir, 'flows/vpc'), { recursive: true });
  writeFileSync(join(outDir, 'flows/vpc/eni-0a1b2c3d4e5f60718-2026-11-07T15.log'), vpc.join('\n') + '\n');
  // Flow records: every line but the header and the NODATA one.
  files.push({ path: 'vpc/eni-0a1b2c3d4e5f60718-2026-11-07T15.log', records: vpc.length - 2 });
  return { seed: SEED, inventoryObjects: items.length, files };
}
