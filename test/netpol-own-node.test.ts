import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// Kubernetes, "Network Policies": traffic to and from the node where a pod runs is always allowed, whatever the
// policies. Hubble names that node `reserved:host` when the flow is seen at the pod (an INGRESS flow to it, an EGRESS
// flow from it). Kubelet probes come from it, and after a reschedule or a node replacement from another address: the
// generator wrote each node's address as an ipBlock and the replay denied the next one (found by
// test/backtest-churn-property.test.ts). Cilium lets its host reach local endpoints (allow-localhost: `auto` is
// `always` on Kubernetes) and judges egress to it by its rules.

const A = { name: 'ip-10-0-1-23.eu-west-1.compute.internal', ip: '10.0.1.23' };
const B = { name: 'ip-10-0-2-41.eu-west-1.compute.internal', ip: '10.0.2.41' };
const PODS = [
  { name: 'web-7d4b9c6f5-x2kq9', ip: '10.0.1.101', node: A, day: '2026-11-02' },
  { name: 'web-7d4b9c6f5-b8m4z', ip: '10.0.2.102', node: B, day: '2026-11-03' },
];
const LABELS = ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'];

type Obj = Record<string, unknown>;
const host = { identity: 1, labels: ['reserved:host'] };
const remote = { identity: 6, labels: ['reserved:remote-node'] };
const podEnd = (p: (typeof PODS)[number]) => ({ namespace: 'shop', labels: LABELS, pod_name: p.name });

/** A probe of each pod from a node (its own by default, seen at the pod), and its call to a node agent on 9100. */
function environment(source: Obj = host, direction = 'INGRESS') {
  const dir = tmp('own-node-');
  const lines: Obj[] = [];
  for (const p of PODS)
    for (const [i, h] of ['10', '14'].entries()) {
      const time = `${p.day}T${h}:00:00.000000000Z`;
      lines.push({
        flow: {
          time,
          verdict: 'FORWARDED',
          IP: { source: p.node.ip, destination: p.ip, ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 40000 + i, destination_port: 8080, flags: { SYN: true } } },
          source,
          destination: podEnd(p),
          Type: 'L3_L4',
          node_name: `acme/${p.node.name}`,
          is_reply: false,
          traffic_direction: direction,
        },
      });
      lines.push({
        flow: {
          time: time.replace(':00:00.', ':00:01.'),
          verdict: 'FORWARDED',
          IP: { source: p.ip, destination: p.node.ip, ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 50000 + i, destination_port: 9100, flags: { SYN: true } } },
          source: podEnd(p),
          destination: host,
          Type: 'L3_L4',
          node_name: `acme/${p.node.name}`,
          is_reply: false,
          traffic_direction: 'EGRESS',
        },
      });
    }
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows/hubble.json'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const node = (n: typeof A) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name },
    status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
  });
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    node(A),
    node(B),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7d4b9c6f5',
        namespace: 'shop',
        labels: { app: 'web' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }],
      },
    },
    ...PODS.map((p) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: 'shop',
        labels: { app: 'web', 'pod-template-hash': '7d4b9c6f5' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c6f5', controller: true }],
      },
      spec: { nodeName: p.node.name, containers: [{ name: 'web', ports: [{ containerPort: 8080 }] }] },
      status: { phase: 'Running', hostIP: p.node.ip, podIP: p.ip, podIPs: [{ ip: p.ip }] },
    })),
  ];
  mkdirSync(join(dir, 'inventory'));
  writeFileSync(join(dir, 'inventory/cluster.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return { dir, sources: ['--flows', join(dir, 'flows'), '--inventory', join(dir, 'inventory'), '--no-config'] };
}

type Backtest = { observed: number; allowed: number; breakage: number; wouldDeny: { access: Obj }[] };
const backtest = (sources: string[], ...flags: string[]) => {
  const r = cli(['backtest', ...sources, '--split', '2026-11-03T00:00:00Z', '--format', 'json', ...flags]);
  return { code: r.code, out: JSON.parse(r.stdout) as Backtest, stderr: r.stderr };
};

describe("a pod's own node", () => {
  it('probes and calls of the next day from the node the pod moved to are not breakage', () => {
    const { sources } = environment();
    for (const flavor of ['kubernetes', 'cilium']) {
      const r = backtest(sources, '--flavor', flavor);
      // Day 2: the probe from node B and the call to it, each one access.
      expect(r.out.observed, flavor).toBe(2);
      expect(r.out.breakage, flavor).toBe(0);
      expect(r.out.allowed, flavor).toBe(2);
    }
  });

  it('gets no rule in a NetworkPolicy, listed as allowed without one; the Cilium flavor writes the host entity', () => {
    const { dir, sources } = environment();
    const out = join(dir, 'out');
    const g = cli(['generate', 'netpol', ...sources, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const policy = readFileSync(join(out, 'netpol/shop/web.yaml'), 'utf8');
    expect(policy).not.toContain('ipBlock');
    expect(g.stderr).toContain(
      "allowed without a rule, traffic with a pod's own node (kubelet probes, node agents), which Kubernetes allows whatever the policy: shop/web: own node 10.0.1.23 → shop/web TCP/8080",
    );
    expect(g.stderr).not.toContain('node or host-network peers');

    const cout = join(dir, 'cilium');
    const c = cli(['generate', 'netpol', ...sources, '--flavor', 'cilium', '-o', cout]);
    expect(c.code, c.stderr).toBe(0);
    const cnp = readFileSync(join(cout, 'netpol/shop/web.yaml'), 'utf8');
    expect(cnp).toMatch(/fromEntities:\n\s+- host\n/);
    expect(cnp).toMatch(/toEntities:\n\s+- host\n/);
    expect(cnp).not.toContain('remote-node');
    expect(c.stderr).not.toContain('node-entities');
    // verify replays every observation as allowed.
    for (const policies of [out, cout]) {
      const v = cli(['verify', '--policies', policies, ...sources, '--format', 'json']);
      expect(v.code, v.stdout).toBe(0);
    }
  });

  it('a profile written to a file keeps the own node, and generate from it writes the same policy', () => {
    const { dir, sources } = environment();
    const profile = join(dir, 'profile.json');
    const p = cli(['profile', ...sources, '-o', profile]);
    expect(p.code, p.stderr).toBe(0);
    const nodes = readFileSync(profile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"network"'))
      .map((l) => (JSON.parse(l) as { network: { from: Obj; to: Obj } }).network)
      .flatMap((e) => [e.from, e.to])
      .filter((x) => x['kind'] === 'node');
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((x) => x['own'] === true)).toBe(true);
    const fromLogs = join(dir, 'from-logs');
    const fromProfile = join(dir, 'from-profile');
    expect(cli(['generate', 'netpol', ...sources, '-o', fromLogs]).code).toBe(0);
    expect(cli(['generate', 'netpol', '--profile', profile, '-o', fromProfile]).code).toBe(0);
    const policy = readFileSync(join(fromProfile, 'netpol/shop/web.yaml'), 'utf8');
    expect(policy).not.toContain('ipBlock');
    expect(policy).toBe(readFileSync(join(fromLogs, 'netpol/shop/web.yaml'), 'utf8'));
    // The report lists the probe without the node peer's risk (no rule grants it); its call to the node's 9100 too.
    const md = join(dir, 'report.md');
    expect(cli(['report', '--profile', profile, '-o', md]).code).toBe(0);
    const rows = readFileSync(md, 'utf8')
      .split('\n')
      .filter((l) => l.includes('own node 10.0.1.23'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((l) => l.includes('node or host-network'))).toEqual([]);
  });

  it('another node, or the host seen from its own side, stays a node by address: the next one is breakage', () => {
    for (const env of [environment(remote), environment(host, 'EGRESS')]) {
      const r = backtest(env.sources);
      // The probes of day 2 (two) come from the new node's address; the pod's calls to its own node stay allowed.
      expect(r.out.breakage).toBeGreaterThan(0);
      expect(r.out.wouldDeny.map((f) => f.access['from'])).toEqual(['node 10.0.2.41']);
    }
  });

  it('a CiliumNetworkPolicy that isolates egress without the host entity denies the call to the own node; ingress passes', () => {
    const { dir, sources } = environment();
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'web.json'),
      JSON.stringify({
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { endpointSelector: { matchLabels: { app: 'web' } }, ingress: [{}], egress: [{}] },
      }),
    );
    const v = cli(['verify', '--policies', policies, ...sources, '--format', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as { allowed: number; notAllowed: { access: Obj }[] };
    expect(report.allowed).toBe(2);
    expect(report.notAllowed.map((f) => [f.access['from'], f.access['to'], f.access['port']])).toEqual([
      ['shop/web', 'own node 10.0.1.23', 9100],
      ['shop/web', 'own node 10.0.2.41', 9100],
    ]);
  });
});
