// The Cilium flavor's widenings, each replayed by verify (found by test/netpol-records-property.test.ts):
// - --widen-ports to the cluster DNS: the rule carrying the DNS entry's toPorts (port 53 through the DNS proxy)
//   restricts that rule to port 53, so the widening to every port (the DNS server's metrics port, ICMP) was lost;
// - --aggregate-cidr over addresses only some of which had a DNS name: the block was written as toFQDNs of those
//   names alone, and the unnamed address was denied.
// And what the evaluator did not see: Cilium's CIDR rules select no pod, and a node's address only under an agent
// setting, so a node written as toCIDR would be denied in production.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const PROM = {
  namespace: 'monitoring',
  pod_name: 'prometheus-7c9d8f6b5d-abcde',
  labels: ['k8s:app=prometheus', 'k8s:io.kubernetes.pod.namespace=monitoring'],
};
const DNS = {
  namespace: 'kube-system',
  pod_name: 'coredns-5d78c9869d-x2k9p',
  labels: ['k8s:k8s-app=kube-dns', 'k8s:io.kubernetes.pod.namespace=kube-system'],
};
const WORLD = { identity: 2, labels: ['reserved:world'] };

const pod = (ns: string, name: string, rs: string, labels: Record<string, string>, ip: string, ports: unknown[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: ns,
    labels: { ...labels, 'pod-template-hash': rs.split('-').at(-1) },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, controller: true }],
  },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img', ports }] },
  status: { podIP: ip, podIPs: [{ ip }] },
});
const INVENTORY = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    ...['kube-system', 'monitoring'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    })),
    pod('kube-system', DNS.pod_name, 'coredns-5d78c9869d', { 'k8s-app': 'kube-dns' }, '10.0.1.101', [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
    ]),
    pod('monitoring', PROM.pod_name, 'prometheus-7c9d8f6b5d', { app: 'prometheus' }, '10.0.1.102', []),
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n2', labels: { 'kubernetes.io/hostname': 'n2' } },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.12' }] },
    },
  ],
};
const REMOTE_NODE = { identity: 6, labels: ['reserved:remote-node'] };

/** A Hubble flow (hubble observe -o json) from Prometheus, at second `s`. */
function flow(s: number, to: string, peer: object, l4: object, more: object = {}) {
  const time = `2026-11-02T08:00:0${s}.000000001Z`;
  return {
    flow: {
      time,
      verdict: 'FORWARDED',
      IP: { source: '10.0.1.102', destination: to, ipVersion: 'IPv4' },
      l4,
      source: PROM,
      destination: peer,
      ...more,
      Type: 'L3_L4',
      traffic_direction: 'EGRESS',
      is_reply: false,
      node_name: 'default/n1',
    },
    node_name: 'default/n1',
    time,
  };
}
const tcp = (port: number, s: number) => ({
  TCP: { source_port: 40000 + s, destination_port: port, flags: { SYN: true } },
});

/** generate netpol --flavor cilium with `flags`, then verify: the egress rules written and verify's report. */
function run(flows: object[], flags: string[]) {
  const dir = tmp('a2p-cilium-');
  const f = join(dir, 'hubble.json');
  const inv = join(dir, 'inventory.json');
  writeFileSync(f, flows.map((x) => JSON.stringify(x)).join('\n') + '\n');
  writeFileSync(inv, JSON.stringify(INVENTORY));
  const out = join(dir, 'out');
  const g = cli(['generate', 'netpol', '--flows', f, '--inventory', inv, '-o', out, '--flavor', 'cilium', ...flags]);
  expect(g.code, g.stderr).toBe(0);
  const [policy] = loadAll(readFileSync(join(out, 'netpol/monitoring/prometheus.yaml'), 'utf8')) as {
    spec: { egress: Record<string, unknown>[] };
  }[];
  const v = cli(['verify', '--policies', out, '--flows', f, '--inventory', inv, '--format', 'json']);
  const report = JSON.parse(v.stdout) as { notAllowed: unknown[]; undetermined: { detail?: string }[] };
  return { egress: policy!.spec.egress, code: v.code, report, stderr: g.stderr, out, f, inv };
}

describe('generate netpol --flavor cilium: widenings verify replays', () => {
  it('--widen-ports to the cluster DNS allows every port beside the DNS entry, ICMP too', () => {
    const flows = [
      flow(0, '10.0.1.101', DNS, { UDP: { source_port: 40000, destination_port: 53 } }),
      flow(1, '10.0.1.101', DNS, tcp(9153, 1)),
      flow(2, '10.0.1.101', DNS, { ICMPv4: { type: 8 } }),
    ];
    const narrow = run(flows, []);
    expect([narrow.code, narrow.report.notAllowed]).toEqual([0, []]);
    const wide = run(flows, ['--widen-ports']);
    expect([wide.code, wide.report.notAllowed]).toEqual([0, []]);
    const dns = { matchLabels: { 'k8s-app': 'kube-dns', 'k8s:io.kubernetes.pod.namespace': 'kube-system' } };
    // Every port by a rule of its own; the DNS entry stays, so the DNS proxy still sees the lookups.
    expect(wide.egress).toContainEqual({ toEndpoints: [dns] });
    expect(wide.egress).toContainEqual({
      toEndpoints: [dns],
      toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
    });
  });

  it('--aggregate-cidr over named and unnamed addresses writes the block, not the names alone', () => {
    const named = flow(0, '52.218.236.9', WORLD, tcp(443, 0), { destination_names: ['s3.us-west-2.amazonaws.com'] });
    const unnamed = flow(1, '52.218.237.40', WORLD, tcp(443, 1));
    const mixed = run([named, unnamed], ['--aggregate-cidr', '16']);
    expect([mixed.code, mixed.report.notAllowed]).toEqual([0, []]);
    expect(mixed.egress).toEqual([
      { toCIDR: ['52.218.0.0/16'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
    ]);
    // Every address named: the names are narrower than the block, and cover each address seen.
    const both = run(
      [named, { ...unnamed, flow: { ...unnamed.flow, destination_names: ['s3.us-west-2.amazonaws.com'] } }],
      ['--aggregate-cidr', '16'],
    );
    expect([both.code, both.report.notAllowed]).toEqual([0, []]);
    expect(JSON.stringify(both.egress)).toContain('"toFQDNs":[{"matchName":"s3.us-west-2.amazonaws.com"}]');
    expect(JSON.stringify(both.egress)).not.toContain('toCIDR');
  });

  it("a node's address is written as Cilium's host and remote-node entities, listed; a CIDR holding it is undetermined", () => {
    const kubelet = run([flow(0, '10.0.0.12', REMOTE_NODE, tcp(10250, 0))], []);
    expect([kubelet.code, kubelet.report.notAllowed, kubelet.report.undetermined]).toEqual([0, [], []]);
    expect(kubelet.egress).toContainEqual({
      toEntities: ['host', 'remote-node'],
      toPorts: [{ ports: [{ port: '10250', protocol: 'TCP' }] }],
    });
    expect(kubelet.stderr).toMatch(
      /\(node peers, --flavor cilium\) monitoring\/prometheus: node 10\.0\.0\.12 allowed as Cilium's host and remote-node entities/,
    );
    // The same policy by address, as a hand-written one may have it: Cilium allows it only under
    // policy-cidr-match-mode nodes, so verify cannot say it is allowed.
    const file = join(kubelet.out, 'netpol/monitoring/prometheus.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/toEntities:\n\s+- host\n\s+- remote-node/, 'toCIDR: [10.0.0.12/32]'),
    );
    const v = cli([
      'verify',
      '--policies',
      kubelet.out,
      '--flows',
      kubelet.f,
      '--inventory',
      kubelet.inv,
      '--format',
      'json',
    ]);
    const report = JSON.parse(v.stdout) as { notAllowed: unknown[]; undetermined: { detail?: string }[] };
    expect(report.notAllowed).toEqual([]);
    expect(report.undetermined.map((u) => u.detail)).toEqual([
      expect.stringContaining(
        'toCIDR holds the node address 10.0.0.12: Cilium selects a node by CIDR only with policy-cidr-match-mode nodes',
      ),
    ]);
  });

  it("a CiliumNetworkPolicy's CIDR holding a pod's address does not allow it: Cilium identifies pods by labels", () => {
    const dns = run([flow(0, '10.0.1.101', DNS, { UDP: { source_port: 40000, destination_port: 53 } })], []);
    expect([dns.code, dns.report.notAllowed]).toEqual([0, []]);
    const file = join(dns.out, 'netpol/monitoring/prometheus.yaml');
    const [policy] = loadAll(readFileSync(file, 'utf8')) as { spec: { egress: unknown[] } }[];
    policy!.spec.egress = [{ toCIDR: ['10.0.1.0/24'], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }] }] }];
    writeFileSync(file, JSON.stringify(policy));
    const v = cli(['verify', '--policies', dns.out, '--flows', dns.f, '--inventory', dns.inv, '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as { notAllowed: { access: object }[] };
    expect(report.notAllowed.map((f) => f.access)).toEqual([
      { from: 'monitoring/prometheus', to: 'kube-system/coredns', protocol: 'UDP', port: 53 },
    ]);
  });
});
