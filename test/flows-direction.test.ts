import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { canonicalInventory, emptyInventory, Resolver, type Inventory } from '../src/inventory/inventory.js';
import { addObject } from '../src/inventory/objects.js';
import { inClusterRange } from '../src/knowledge/network/cidr.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';
import { cli, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

// Which side of a VPC flow log record is the client (VPC records carry no direction: each direction of a
// connection is a record of its own), and what a flow's endpoints become: host-network pods are their node, and an
// address the inventory does not know is reported. Records are in AWS's default v2 format or a custom format with
// tcp-flags (AWS ORs the flags seen in the aggregation window: SYN 2, SYN-ACK 18, FIN 1, RST 4); Hubble records as
// `hubble observe -o json` prints them.

type Obj = Record<string, unknown>;
const meta = (namespace: string, name: string, labels: Record<string, string> = {}, owner?: [string, string]): Obj => ({
  name,
  namespace,
  labels,
  ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner[0], name: owner[1], controller: true }] } : {}),
});
const deployment = (ns: string, name: string, ip: string, ports: Obj[] = [], extra: Obj = {}): Obj[] => [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(ns, name),
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta(ns, `${name}-6b746f74dc`, { app: name, 'pod-template-hash': '6b746f74dc' }, ['Deployment', name]),
    spec: { selector: { matchLabels: { app: name, 'pod-template-hash': '6b746f74dc' } } },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(ns, `${name}-6b746f74dc-9rcxx`, { app: name, 'pod-template-hash': '6b746f74dc' }, [
      'ReplicaSet',
      `${name}-6b746f74dc`,
    ]),
    spec: { nodeName: 'ip-10-0-3-1', containers: [{ name: 'c', image: 'x', ports }], ...extra },
    status: { podIP: ip, podIPs: [{ ip }] },
  },
];
const node: Obj = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'ip-10-0-3-1' },
  status: { addresses: [{ type: 'InternalIP', address: '10.0.3.1' }] },
};
const agent: Obj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta('shop', 'agent-abcde', { app: 'agent' }),
  spec: {
    nodeName: 'ip-10-0-3-1',
    hostNetwork: true,
    containers: [{ name: 'agent', image: 'x', ports: [{ name: 'metrics', containerPort: 49100 }] }],
  },
  status: { podIP: '10.0.3.1', podIPs: [{ ip: '10.0.3.1' }] },
};

/** The shop: web (no ports), grpc (declares grpc:50051), batch (declares nothing; its Service's targetPort 50052). */
function shop(): Inventory {
  const inv = emptyInventory();
  const issues: InputIssue[] = [];
  const objects: Obj[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } },
    },
    node,
    agent,
    ...deployment('shop', 'web', '10.1.0.10'),
    ...deployment('shop', 'grpc', '10.1.0.20', [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }]),
    ...deployment('shop', 'batch', '10.1.0.30'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'batch', namespace: 'shop' },
      spec: {
        type: 'NodePort',
        clusterIP: '172.20.0.30',
        clusterIPs: ['172.20.0.30'],
        selector: { app: 'batch' },
        ports: [{ name: 'work', port: 50052, targetPort: 50052, nodePort: 30080, protocol: 'TCP' }],
      },
    },
  ];
  for (const o of objects) addObject(inv, o, { file: 'inv.json', line: 1 }, issues);
  expect(issues).toEqual([]);
  return canonicalInventory(inv);
}

type Out = FlowObservation | InputIssue | { kind: string; reason?: string };
function decode(lines: string[], inv: Inventory = emptyInventory()): Out[] {
  const out: Out[] = [];
  const d = new FlowDecoder('f.log', new Resolver(inv), (x) => out.push(x));
  lines.forEach((l, i) => (l.trim().startsWith('{') ? d.json(JSON.parse(l), i + 1) : d.text(l, i + 1)));
  return out;
}
/** A record in the default v2 format. */
const vpc = (src: string, dst: string, sport: number, dport: number, proto = 6) =>
  `2 111122223333 eni-0a1b2c3d4e5f60718 ${src} ${dst} ${sport} ${dport} ${proto} 10 840 1793606400 1793606460 ACCEPT OK`;
const FLAGS_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
const flows = (out: Out[]) => out.filter((o): o is FlowObservation => o.kind === 'flow');
const edges = (out: Out[]) =>
  flows(out).map((f) => ({
    from: f.from.kind === 'workload' ? f.from.name : `${f.from.kind}:${f.from.ip}`,
    to: f.to.kind === 'workload' ? f.to.name : `${f.to.kind}:${f.to.ip}`,
    port: f.port,
  }));
const notices = (out: Out[]) => out.filter((o): o is InputIssue => o.kind === 'issue');

describe('VPC flow logs: which side is the client', () => {
  it('a port the destination pod declares makes it the server, whatever the source port (t1: grpc on 50051)', () => {
    const out = decode(
      [vpc('10.1.0.10', '10.1.0.20', 40000, 50051), vpc('10.1.0.20', '10.1.0.10', 50051, 40000)],
      shop(),
    );
    expect(edges(out)).toEqual([{ from: 'web', to: 'grpc', port: 50051 }]);
    expect(out.filter((o) => o.kind === 'skip')).toEqual([{ kind: 'skip', reason: 'reply' }]);
    expect(notices(out)).toEqual([]);
  });

  it('tcp-flags decide first: SYN (with FIN: 3) is the client’s record, SYN-ACK (with FIN: 19) the server’s', () => {
    // No inventory, and the ports point the wrong way: the flags alone must decide.
    const out = decode([
      FLAGS_HEADER,
      `${vpc('10.1.0.10', '10.1.0.20', 40000, 50051)} 3`,
      `${vpc('10.1.0.20', '10.1.0.10', 50051, 40000)} 19`,
      `${vpc('10.1.0.11', '10.1.0.20', 40001, 50051)} 2`,
      `${vpc('10.1.0.20', '10.1.0.11', 50051, 40001)} 18`,
      // SYN then RST (a refused connection): still the client's record.
      `${vpc('10.1.0.12', '10.1.0.20', 40002, 50051)} 6`,
    ]);
    expect(edges(out)).toEqual([
      { from: 'ip:10.1.0.10', to: 'ip:10.1.0.20', port: 50051 },
      { from: 'ip:10.1.0.11', to: 'ip:10.1.0.20', port: 50051 },
      { from: 'ip:10.1.0.12', to: 'ip:10.1.0.20', port: 50051 },
    ]);
    expect(out.filter((o) => o.kind === 'skip')).toHaveLength(2);
    expect(notices(out)).toEqual([]);
  });

  it('flags without SYN (a window in mid-connection) leave it to the inventory', () => {
    const out = decode(
      [
        FLAGS_HEADER,
        `${vpc('10.1.0.20', '10.1.0.10', 50051, 40000)} 1`,
        `${vpc('10.1.0.10', '10.1.0.20', 40000, 50051)} 0`,
      ],
      shop(),
    );
    expect(edges(out)).toEqual([{ from: 'web', to: 'grpc', port: 50051 }]);
  });

  it('a Service’s numeric targetPort, its port on the ClusterIP, its NodePort and a host-network pod’s port mark servers', () => {
    const out = decode(
      [
        // batch declares no containerPort: its Service's targetPort says it serves 50052.
        vpc('10.1.0.10', '10.1.0.30', 40000, 50052),
        vpc('10.1.0.30', '10.1.0.10', 50052, 40000),
        // To the ClusterIP (its backends, on the target port).
        vpc('10.1.0.10', '172.20.0.30', 40001, 50052),
        // A client behind NAT with a low source port, to the NodePort on the node.
        vpc('203.0.113.7', '10.0.3.1', 20000, 30080),
        vpc('10.0.3.1', '203.0.113.7', 30080, 20000),
        // The host-network agent listens on the node's address.
        vpc('10.1.0.10', '10.0.3.1', 40002, 49100),
        vpc('10.0.3.1', '10.1.0.10', 49100, 40002),
      ],
      shop(),
    );
    expect(edges(out)).toEqual([
      { from: 'web', to: 'batch', port: 50052 },
      { from: 'web', to: 'batch', port: 50052 },
      { from: 'ip:203.0.113.7', to: 'node:10.0.3.1', port: 30080 },
      { from: 'web', to: 'node:10.0.3.1', port: 49100 },
    ]);
    expect(out.filter((o) => o.kind === 'skip')).toHaveLength(3);
    expect(notices(out)).toEqual([]);
  });

  it('a record nothing decides is taken by the lower port, and counted as a notice (one per file, with the count)', () => {
    const out = decode([
      vpc('10.1.0.10', '10.1.0.20', 40000, 50051),
      vpc('10.1.0.20', '10.1.0.10', 50051, 40000),
      // A well-known port against an ephemeral one: the lower port is the server's without doubt.
      vpc('10.1.0.10', '10.1.0.40', 40003, 443),
    ]);
    expect(edges(out)).toEqual([
      { from: 'ip:10.1.0.20', to: 'ip:10.1.0.10', port: 40000 },
      { from: 'ip:10.1.0.10', to: 'ip:10.1.0.40', port: 443 },
    ]);
    expect(notices(out)).toMatchObject([
      { kind: 'issue', level: 'notice', perFile: true, code: 'flow.direction-guessed', file: 'f.log', line: 1 },
      { kind: 'issue', level: 'notice', perFile: true, code: 'flow.direction-guessed', file: 'f.log', line: 2 },
    ]);
    expect(notices(out)[0]!.message).toContain('10.1.0.10:40000 > 10.1.0.20:50051');
  });
});

describe('flow endpoints', () => {
  const hubble = (source: Obj, ip = '10.0.3.1') =>
    JSON.stringify({
      flow: {
        time: '2026-11-02T00:00:00.000000Z',
        verdict: 'FORWARDED',
        IP: { source: ip, destination: '10.1.0.20', ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 40001, destination_port: 50051, flags: { SYN: true } } },
        source,
        destination: { namespace: 'shop', pod_name: 'grpc-6b746f74dc-9rcxx', labels: ['k8s:app=grpc'] },
        Type: 'L3_L4',
        is_reply: false,
        traffic_direction: 'EGRESS',
      },
    });

  it('a host-network pod named in a Hubble flow is its node, never a workload a podSelector would select', () => {
    const out = decode([hubble({ namespace: 'shop', pod_name: 'agent-abcde', labels: ['k8s:app=agent'] })], shop());
    expect(edges(out)).toEqual([{ from: 'node:10.0.3.1', to: 'grpc', port: 50051 }]);
    expect(flows(out)[0]!.workloads.map((w) => w.name)).toEqual(['grpc']);
    // Without an inventory, Cilium's reserved:host identity says the same.
    const bare = decode([hubble({ namespace: 'shop', pod_name: 'agent-abcde', labels: ['reserved:host'] })]);
    expect(edges(bare)).toEqual([{ from: 'node:10.0.3.1', to: 'grpc', port: 50051 }]);
  });

  it("a Hubble destination seen before translation, a Service's ClusterIP, is its backends on the target port", () => {
    const toService = JSON.stringify({
      flow: {
        time: '2026-11-02T00:00:00.000000Z',
        verdict: 'FORWARDED',
        IP: { source: '10.1.0.10', destination: '172.20.0.30', ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 40002, destination_port: 50052, flags: { SYN: true } } },
        source: { namespace: 'shop', pod_name: 'web-6b746f74dc-9rcxx', labels: ['k8s:app=web'] },
        destination: { identity: 2, labels: ['reserved:world'] },
        destination_service: { name: 'batch', namespace: 'shop' },
        Type: 'L3_L4',
        is_reply: false,
        traffic_direction: 'EGRESS',
      },
    });
    expect(edges(decode([toService], shop()))).toEqual([{ from: 'web', to: 'batch', port: 50052 }]);
    // Without the inventory nothing says whose address it is: it stays one.
    expect(edges(decode([toService]))).toEqual([{ from: 'web', to: 'ip:172.20.0.30', port: 50052 }]);
  });

  it('a Service whose pods are on the host network leads to their node on the target port, not to its ClusterIP', () => {
    const inv = shop();
    const issues: InputIssue[] = [];
    // The agent (hostNetwork, metrics on 49100) behind a Service: port 80 → targetPort metrics.
    addObject(
      inv,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'agent', namespace: 'shop' },
        spec: {
          clusterIP: '172.20.0.40',
          clusterIPs: ['172.20.0.40'],
          selector: { app: 'agent' },
          ports: [{ name: 'metrics', port: 80, targetPort: 'metrics', protocol: 'TCP' }],
        },
      },
      { file: 'inv.json', line: 1 },
      issues,
    );
    expect(issues).toEqual([]);
    const out = decode([vpc('10.1.0.10', '172.20.0.40', 40003, 80)], canonicalInventory(inv));
    expect(edges(out)).toEqual([{ from: 'web', to: 'node:10.0.3.1', port: 49100 }]);
  });

  it('a private address the inventory does not know stays an address, with a notice; public ones and no inventory: none', () => {
    const out = decode([vpc('10.1.0.99', '10.1.0.20', 40000, 50051), vpc('10.1.0.10', '1.2.3.4', 40001, 443)], shop());
    expect(edges(out)).toEqual([
      { from: 'ip:10.1.0.99', to: 'grpc', port: 50051 },
      { from: 'web', to: 'ip:1.2.3.4', port: 443 },
    ]);
    expect(notices(out)).toMatchObject([
      {
        level: 'notice',
        perFile: true,
        code: 'flow.unknown-address',
        line: 1,
        message: expect.stringContaining('10.1.0.99'),
      },
    ]);
    expect(notices(decode([vpc('10.1.0.99', '10.1.0.20', 40000, 8080)]))).toEqual([]);
    // A load balancer in a subnet of its own (no pod of the inventory in its /24) is no vanished pod.
    expect(notices(decode([vpc('10.2.0.50', '10.1.0.20', 40000, 50051)], shop()))).toEqual([]);
    expect(
      ['10.1.0.9', '172.31.255.1', '192.168.1.1', '100.64.0.1', 'fd00::1', '::ffff:10.0.0.1'].map(inClusterRange),
    ).toEqual([true, true, true, true, true, true]);
    expect(['172.32.0.1', '1.2.3.4', '169.254.169.254', 'fe80::1', 'fc::1', '2001:db8::1'].map(inClusterRange)).toEqual(
      [false, false, false, false, false, false],
    );
  });
});

describe('through the CLI', () => {
  it('profiles t1 right and reports the guessed and unknown records in the summary and the profile’s sources', () => {
    const dir = tmp();
    const invObjects = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        node,
        agent,
        ...deployment('shop', 'web', '10.1.0.10'),
        ...deployment('shop', 'grpc', '10.1.0.20', [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }]),
      ],
    };
    writeFileSync(join(dir, 'inv.json'), JSON.stringify(invObjects));
    writeFileSync(
      join(dir, 'vpc.log'),
      [
        vpc('10.1.0.10', '10.1.0.20', 40000, 50051),
        vpc('10.1.0.20', '10.1.0.10', 50051, 40000),
        vpc('10.1.0.99', '10.1.0.20', 40001, 50051),
        vpc('10.1.0.10', '10.1.0.98', 42000, 41000),
        '',
      ].join('\n'),
    );
    const r = cli(['profile', '--flows', 'vpc.log', '--inventory', 'inv.json', '-o', 'p.json'], { cwd: dir });
    expect(r.stderr).toContain('notice: vpc.log:3: flow.unknown-address');
    expect(r.stderr).toContain('notice: vpc.log:4: flow.direction-guessed');
    expect(r.code).toBe(0);
    const lines = profileLinesOf(join(dir, 'p.json'));
    const net = lines.filter((l) => 'network' in l).map((l) => l['network'] as { from: Obj; to: Obj; port: number });
    expect(net.map((n) => [n.from['name'] ?? n.from['ip'], n.to['name'] ?? n.to['ip'], n.port])).toEqual([
      ['10.1.0.99', 'grpc', 50051],
      ['web', '10.1.0.98', 41000],
      ['web', 'grpc', 50051],
    ]);
    const source = (lines[0]!['sources'] as Obj[])[0]!;
    // One notice per code and file, with its count: flow.unknown-address for lines 3 and 4.
    expect(source['notices']).toBe(2);
    expect(r.stderr).toContain('2 records in this file like this one (the first): 10.1.0.99 is a private address');
    expect(lines[0]!['skipped']).toEqual({ reply: 1 });
    // The same input gives the same bytes.
    const again = cli(['profile', '--flows', 'vpc.log', '--inventory', 'inv.json', '-o', 'q.json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(profileLinesOf(join(dir, 'q.json'))).toEqual(lines);
  });
});
