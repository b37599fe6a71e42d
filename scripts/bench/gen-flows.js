// Writes a large, seeded set of Hubble flow logs (`hubble observe -o json` lines, gzip) for the benchmark:
// 200 workloads in 10 namespaces talking over a fixed set of edges, with replies and DNS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../lib/prng.js';
import { reuseOrReset, saveMeta } from './gz-set.js';

const PER_FILE = 50_000;

/** The set's pods (the first draws of the seed's sequence), and the functions drawing from it. */
function podsOf(seed) {
  const r = mulberry32(seed);
  const int = (n) => Math.floor(r() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[int(36)];
    return s;
  };
  const pods = Array.from({ length: 200 }, (_, i) => {
    const ns = `team-${i % 10}`;
    const app = `svc-${i}`;
    return {
      ns,
      app,
      pod: `${app}-${hex(9)}-${hex(5)}`,
      ip: `10.${8 + (i >> 8)}.${i & 255}.${10 + int(200)}`,
      labels: [
        `k8s:app=${app}`,
        `k8s:tier=${['web', 'api', 'worker'][i % 3]}`,
        'k8s:io.cilium.k8s.policy.cluster=bench',
        `k8s:io.cilium.k8s.policy.serviceaccount=${app}`,
        `k8s:io.kubernetes.pod.namespace=${ns}`,
      ],
    };
  });
  return { pods, int };
}

export function generateFlows(dir, sizeBytes, seed = 13) {
  const reused = reuseOrReset(dir, seed, sizeBytes);
  if (reused) return reused;
  const { pods, int } = podsOf(seed);
  const edges = Array.from({ length: 1200 }, () => ({
    a: pods[int(200)],
    b: pods[int(200)],
    port: [80, 443, 8080, 9090, 5432, 6379][int(6)],
  }));
  const endpoint = (p) => ({
    ID: 1000 + pods.indexOf(p),
    identity: 30000 + pods.indexOf(p),
    namespace: p.ns,
    labels: p.labels,
    pod_name: p.pod,
  });
  let bytes = 0,
    events = 0,
    gzBytes = 0,
    files = 0;
  let t = Date.UTC(2026, 10, 2);
  while (bytes < sizeBytes) {
    const lines = [];
    for (let k = 0; k < PER_FILE; k++) {
      t += int(20);
      const e = edges[int(edges.length)];
      const reply = int(2) === 1;
      const [src, dst] = reply ? [e.b, e.a] : [e.a, e.b];
      const sport = reply ? e.port : 32768 + int(28000);
      const dport = reply ? 32768 + int(28000) : e.port;
      const ts = new Date(t)
        .toISOString()
        .replace('Z', `${String(int(1e6)).padStart(6, '0')}Z`)
        .replace(/\.(\d{3})(\d{6})Z$/, '.$1$2Z');
      lines.push(
        JSON.stringify({
          flow: {
            time: ts,
            verdict: int(200) === 0 ? 'DROPPED' : 'FORWARDED',
            ethernet: { source: '46:e5:ea:1f:95:ff', destination: 'd6:ec:b0:4a:ff:46' },
            IP: { source: src.ip, destination: dst.ip, ipVersion: 'IPv4' },
            l4: {
              TCP: {
                source_port: sport,
                destination_port: dport,
                flags: reply ? { SYN: true, ACK: true } : int(4) === 0 ? { SYN: true } : { ACK: true, PSH: true },
              },
            },
            source: endpoint(src),
            destination: endpoint(dst),
            Type: 'L3_L4',
            node_name: `bench/node-${int(20)}`,
            is_reply: reply,
            event_type: { type: 4 },
            traffic_direction: 'EGRESS',
            trace_observation_point: 'TO_STACK',
            Summary: 'TCP Flags: ACK',
          },
          node_name: `bench/node-${int(20)}`,
          time: ts,
        }),
      );
    }
    const text = lines.join('\n') + '\n';
    const gz = gzipSync(text, { level: 6 });
    writeFileSync(join(dir, `hubble-${String(files).padStart(4, '0')}.json.gz`), gz);
    bytes += Buffer.byteLength(text);
    gzBytes += gz.length;
    events += lines.length;
    files++;
  }
  return saveMeta(dir, { seed, target: sizeBytes, bytes, gzBytes, events, files });
}

/**
 * The cluster the set's flows come from, as `audit2policy inventory` or `kubectl get -o json` leaves it (a List):
 * each pod with its labels, service account, address and the ports its peers reach it on (the edges' ports, drawn
 * again from the seed), owned by a ReplicaSet (the pod name's hash) of a Deployment selecting its `app` label.
 */
export function flowsInventory(seed = 13) {
  const { pods, int } = podsOf(seed);
  const ports = new Map(pods.map((p) => [p, new Set()]));
  for (let k = 0; k < 1200; k++) {
    int(200);
    const b = pods[int(200)];
    ports.get(b).add([80, 443, 8080, 9090, 5432, 6379][int(6)]);
  }
  const items = [];
  for (const p of pods) {
    const labels = { app: p.app, tier: p.labels[1].slice('k8s:tier='.length) };
    const rs = p.pod.slice(0, p.pod.lastIndexOf('-'));
    const containerPorts = [...ports.get(p)].sort((x, y) => x - y);
    items.push(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          namespace: p.ns,
          name: p.pod,
          labels,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, controller: true }],
        },
        spec: {
          serviceAccountName: p.app,
          nodeName: 'node-1',
          containers: [{ name: p.app, ports: containerPorts.map((n) => ({ containerPort: n, protocol: 'TCP' })) }],
        },
        status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          namespace: p.ns,
          name: rs,
          labels,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: p.app, controller: true }],
        },
        spec: { selector: { matchLabels: { app: p.app } } },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { namespace: p.ns, name: p.app, labels },
        spec: { selector: { matchLabels: { app: p.app } }, template: { metadata: { labels } } },
      },
    );
  }
  return { apiVersion: 'v1', kind: 'List', items };
}
