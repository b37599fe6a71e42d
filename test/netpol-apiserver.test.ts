import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// Cilium labels the Kubernetes API server's addresses `reserved:kube-apiserver` (Hubble's `destination.labels` or
// `source.labels`), beside `reserved:world` when it runs outside the cluster (EKS, GKE, AKS) and beside
// `reserved:host` or `reserved:remote-node` when it runs on a node (kubeadm, kind): shapes as `hubble observe -o json`
// prints them. Managed control planes change those addresses (EKS replaces its control-plane network interfaces on
// upgrades and scaling): a policy naming them by address cut the workloads off in production. Cilium's
// `kube-apiserver` entity ("Entities based", Cilium 1.11 and later) selects the API server at any address.

type Obj = Record<string, unknown>;
const OPERATOR = { name: 'operator-6b9f7c5d4-q7x2m', ip: '10.0.1.50' };
const WEBHOOK = { name: 'webhook-5c8d9f7b6-k3j8p', ip: '10.0.1.60' };
const outside = { identity: 7, labels: ['reserved:kube-apiserver', 'reserved:world'] };
const onNode = { identity: 7, labels: ['reserved:kube-apiserver', 'reserved:remote-node'] };
const pod = (p: typeof OPERATOR, app: string) => ({
  ID: 1201,
  identity: 41822,
  namespace: 'shop',
  labels: [`k8s:app=${app}`, 'k8s:io.kubernetes.pod.namespace=shop'],
  pod_name: p.name,
});

/** One Hubble flow (a TCP SYN), wrapped as `hubble observe -o json` prints it. */
function flow(time: string, src: string, sport: number, dst: string, dport: number, source: Obj, destination: Obj) {
  const egress = typeof source['pod_name'] === 'string';
  return {
    flow: {
      time,
      verdict: 'FORWARDED',
      ethernet: { source: '16:a7:56:02:43:76', destination: 'aa:0a:e6:b9:12:da' },
      IP: { source: src, destination: dst, ipVersion: 'IPv4' },
      l4: { TCP: { source_port: sport, destination_port: dport, flags: { SYN: true } } },
      source,
      destination,
      Type: 'L3_L4',
      node_name: 'ip-10-0-1-23.eu-west-1.compute.internal',
      event_type: { type: 4, sub_type: 3 },
      traffic_direction: egress ? 'EGRESS' : 'INGRESS',
      trace_observation_point: egress ? 'TO_STACK' : 'TO_ENDPOINT',
      is_reply: false,
      Summary: 'TCP Flags: SYN',
    },
    node_name: 'ip-10-0-1-23.eu-west-1.compute.internal',
    time,
  };
}

/**
 * Training (2 November): the operator calls the API server at its two addresses (EKS's two control-plane network
 * interfaces), the API server calls the webhook. Held out (3 November): the API server was replaced, at a new address.
 */
function environment(server: Obj = outside, heldOut = '10.0.7.33') {
  const dir = tmp('apiserver-');
  const lines = [
    flow('2026-11-02T10:00:00.000000000Z', OPERATOR.ip, 41000, '10.0.5.10', 443, pod(OPERATOR, 'operator'), server),
    flow('2026-11-02T11:00:00.000000000Z', OPERATOR.ip, 41001, '10.0.6.20', 443, pod(OPERATOR, 'operator'), server),
    flow('2026-11-02T12:00:00.000000000Z', '10.0.5.10', 52000, WEBHOOK.ip, 9443, server, pod(WEBHOOK, 'webhook')),
    flow('2026-11-03T10:00:00.000000000Z', OPERATOR.ip, 41002, heldOut, 443, pod(OPERATOR, 'operator'), server),
    flow('2026-11-03T12:00:00.000000000Z', heldOut, 52001, WEBHOOK.ip, 9443, server, pod(WEBHOOK, 'webhook')),
  ];
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows/hubble.json'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const items: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }];
  for (const [p, app] of [
    [OPERATOR, 'operator'],
    [WEBHOOK, 'webhook'],
  ] as const) {
    items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: 'shop' },
      spec: { selector: { matchLabels: { app } } },
    });
    items.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: 'shop',
        labels: { app },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, controller: true }],
      },
      spec: { containers: [{ name: app, ports: app === 'webhook' ? [{ containerPort: 9443 }] : [] }] },
      status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
    });
  }
  mkdirSync(join(dir, 'inventory'));
  writeFileSync(join(dir, 'inventory/cluster.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return { dir, sources: ['--flows', join(dir, 'flows'), '--inventory', join(dir, 'inventory'), '--no-config'] };
}

type Backtest = { observed: number; allowed: number; breakage: number; wouldDeny: { access: Obj; newness?: string }[] };
const backtest = (sources: string[], ...flags: string[]) => {
  const r = cli(['backtest', ...sources, '--split', '2026-11-03T00:00:00Z', '--format', 'json', ...flags]);
  return { code: r.code, out: JSON.parse(r.stdout) as Backtest, stderr: r.stderr };
};

const networkLines = (profile: string) =>
  readFileSync(profile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"network"'));

describe('the Kubernetes API server as a peer (reserved:kube-apiserver)', () => {
  it('held-out flows to the API server at a new address are allowed by the Cilium output, not by addresses', () => {
    for (const server of [outside, onNode]) {
      const { sources } = environment(server);
      const c = backtest(sources, '--flavor', 'cilium');
      expect(c.code, c.stderr).toBe(0);
      expect(c.out.observed).toBe(2);
      expect(c.out.allowed).toBe(2);
      expect(c.out.breakage).toBe(0);
      // A NetworkPolicy names the API server by the addresses training saw: the new one is denied, and said why.
      const k = backtest(sources, '--flavor', 'kubernetes');
      expect(k.out.allowed).toBe(0);
      const egress = k.out.wouldDeny.find((d) => d.access['from'] === 'shop/operator');
      expect(egress?.access['to']).toBe('API server 10.0.7.33');
      expect(JSON.stringify(k.out.wouldDeny)).toContain(
        'a new address of the API server (seen at 10.0.5.10, 10.0.6.20 in training)',
      );
    }
  });

  it('Cilium: toEntities kube-apiserver with the ports seen, fromEntities for its calls; no address', () => {
    const { dir, sources } = environment();
    const out = join(dir, 'cilium');
    const g = cli(['generate', 'netpol', ...sources, '--flavor', 'cilium', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const operator = readFileSync(join(out, 'netpol/shop/operator.yaml'), 'utf8');
    expect(operator).toMatch(
      /- toEntities:\n\s+- kube-apiserver\n\s+toPorts:\n\s+- ports:\n\s+- port: '443'\n\s+protocol: TCP\n/,
    );
    expect(operator).not.toContain('toCIDR');
    expect(operator).not.toContain('10.0.5.10');
    const webhook = readFileSync(join(out, 'netpol/shop/webhook.yaml'), 'utf8');
    expect(webhook).toMatch(/- fromEntities:\n\s+- kube-apiserver\n\s+toPorts:\n\s+- ports:\n\s+- port: '9443'\n/);
    expect(webhook).not.toContain('fromCIDR');
    expect(g.stderr).toContain("the API server allowed as Cilium's kube-apiserver entity (Cilium 1.11 or later)");
    // The evidence keeps the addresses it was seen at.
    const ev = readFileSync(join(out, 'evidence/netpol/shop/operator.yaml'), 'utf8');
    expect(ev).toContain('API server 10.0.5.10');
    expect(ev).toContain('API server 10.0.6.20');
    const v = cli(['verify', '--policies', out, ...sources, '--format', 'json']);
    expect(v.code, v.stdout).toBe(0);
  });

  it('Kubernetes: the addresses seen as /32 blocks, with a warning that they change; never wider', () => {
    const { dir, sources } = environment();
    const out = join(dir, 'k8s');
    const g = cli(['generate', 'netpol', ...sources, '--until', '2026-11-03T00:00:00Z', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const operator = readFileSync(join(out, 'netpol/shop/operator.yaml'), 'utf8');
    expect(operator).toContain('cidr: 10.0.5.10/32');
    expect(operator).toContain('cidr: 10.0.6.20/32');
    expect(operator).not.toContain('10.0.7.33');
    expect(g.stderr).toContain(
      'the API server allowed at the addresses the flows saw it at (a NetworkPolicy cannot name it): shop/operator egress 10.0.5.10, 10.0.6.20; shop/webhook ingress 10.0.5.10; managed control planes (EKS, GKE, AKS) change these addresses',
    );
    expect(g.stderr).not.toContain('aggregate');
  });

  it('the profile writes it as an address with apiserver: true, which a reader that ignores the key reads in order', () => {
    const { dir, sources } = environment();
    const profile = join(dir, 'profile.json');
    const p = cli(['profile', ...sources, '-o', profile]);
    expect(p.code, p.stderr).toBe(0);
    const lines = networkLines(profile);
    expect(lines).toContain(
      '{"network":{"from":{"kind":"workload","namespace":"shop","name":"operator"},"to":{"kind":"ip","ip":"10.0.5.10","apiserver":true},"protocol":"TCP","port":443,"allowed":{"connections":1,"records":1,"firstSeen":"2026-11-02T10:00:00.000000Z","lastSeen":"2026-11-02T10:00:00.000000Z","samples":[{"id":"10.0.1.50:41000>10.0.5.10:443","time":"2026-11-02T10:00:00.000000Z"}]}}}',
    );
    expect(lines.some((l) => l.includes('"kind":"apiserver"'))).toBe(false);
    // Read back: the same policies as from the logs.
    const fromLogs = join(dir, 'from-logs');
    const fromProfile = join(dir, 'from-profile');
    expect(cli(['generate', 'netpol', ...sources, '--flavor', 'cilium', '-o', fromLogs]).code).toBe(0);
    const g = cli(['generate', 'netpol', '--profile', profile, '--flavor', 'cilium', '-o', fromProfile]);
    expect(g.code, g.stderr).toBe(0);
    for (const w of ['operator', 'webhook'])
      expect(readFileSync(join(fromProfile, `netpol/shop/${w}.yaml`), 'utf8')).toBe(
        readFileSync(join(fromLogs, `netpol/shop/${w}.yaml`), 'utf8'),
      );
    // A reader of this apiVersion that does not know the key (an older release) reads the addresses, in order.
    const older = join(dir, 'older.json');
    writeFileSync(older, readFileSync(profile, 'utf8').replaceAll(',"apiserver":true', ''));
    const o = cli(['generate', 'netpol', '--profile', older, '--flavor', 'cilium', '-o', join(dir, 'older')]);
    expect(o.code, o.stderr).toBe(0);
    expect(readFileSync(join(dir, 'older/netpol/shop/operator.yaml'), 'utf8')).toContain('10.0.5.10/32');
  });

  it('a VPC flow log record of the same connection joins the API server, in a profile and in a merge', () => {
    const { dir, sources } = environment();
    // The operator's first call as the VPC flow log of its network interface records it (default format, v2).
    const vpc = join(dir, 'vpc');
    mkdirSync(vpc);
    writeFileSync(
      join(vpc, 'eni.log'),
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n' +
        `2 111122223333 eni-0a1b2c3d4e5f60718 ${OPERATOR.ip} 10.0.5.10 41000 443 6 10 840 1793613600 1793613660 ACCEPT OK\n`,
    );
    const both = join(dir, 'both.json');
    const b = cli(['profile', ...sources, '--flows', vpc, '-o', both]);
    expect(b.code, b.stderr).toBe(0);
    const toServer = networkLines(both).filter((l) => l.includes('"ip":"10.0.5.10"') && l.includes('"port":443'));
    expect(toServer).toHaveLength(1);
    expect(toServer[0]).toContain('"apiserver":true');
    expect(toServer[0]).toContain('"records":2');
    // Profiles of each source, merged: the same bytes.
    const hubbleOnly = join(dir, 'hubble.json');
    const vpcOnly = join(dir, 'vpc-only.json');
    expect(cli(['profile', ...sources, '-o', hubbleOnly]).code).toBe(0);
    expect(
      cli(['profile', '--flows', vpc, '--inventory', join(dir, 'inventory'), '--no-config', '-o', vpcOnly]).code,
    ).toBe(0);
    const merged = join(dir, 'merged.json');
    for (const order of [
      [hubbleOnly, vpcOnly],
      [vpcOnly, hubbleOnly],
    ]) {
      const m = cli(['merge', ...order, '-o', merged]);
      expect(m.code, m.stderr).toBe(0);
      expect(networkLines(merged)).toEqual(networkLines(both));
    }
  });

  it("a flow log's record to an address training saw the API server at is the API server in the replay", () => {
    const { dir } = environment();
    // Held out: the operator's call as its network interface's VPC flow log records it (no labels), 3 November.
    const vpc = join(dir, 'vpc');
    mkdirSync(vpc);
    writeFileSync(
      join(vpc, 'eni.log'),
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n' +
        `2 111122223333 eni-0a1b2c3d4e5f60718 ${OPERATOR.ip} 10.0.6.20 41009 443 6 10 840 1793700000 1793700060 ACCEPT OK\n`,
    );
    const training = ['--until', '2026-11-03T00:00:00Z'];
    const sources = [
      '--flows',
      join(dir, 'flows'),
      '--flows',
      vpc,
      '--inventory',
      join(dir, 'inventory'),
      '--no-config',
    ];
    const out = join(dir, 'cilium');
    expect(cli(['generate', 'netpol', ...sources, ...training, '--flavor', 'cilium', '-o', out]).code).toBe(0);
    const c = backtest(sources, '--flavor', 'cilium');
    expect(c.code, c.stderr).toBe(0);
    expect((c.out as unknown as { undetermined: unknown[] }).undetermined).toEqual([]);
    // Day 2: the Hubble flows to and from the new address, and the flow log's record to a training address.
    expect(c.out.observed).toBe(3);
    expect(c.out.allowed).toBe(3);
  });

  it('diff names the API server, and its entity opens no address but those the flows saw it at', () => {
    const { dir, sources } = environment();
    const k8s = join(dir, 'k8s');
    const cilium = join(dir, 'cilium');
    const training = ['--until', '2026-11-03T00:00:00Z'];
    expect(cli(['generate', 'netpol', ...sources, ...training, '-o', k8s]).code).toBe(0);
    expect(cli(['generate', 'netpol', ...sources, ...training, '--flavor', 'cilium', '-o', cilium]).code).toBe(0);
    const profile = join(dir, 'profile.json');
    expect(cli(['profile', ...sources, '-o', profile]).code).toBe(0);
    const d = cli(['diff', k8s, cilium, '--profile', profile, '--inventory', join(dir, 'inventory'), '--no-config']);
    expect(d.stdout).toContain('shop/operator → API server 10.0.7.33 TCP/443');
    expect(d.stdout).toContain('API server 10.0.6.20, 10.0.7.33 → shop/webhook TCP/9443');
    expect(d.stdout).toContain('2 new access (0 risky)');
    expect(d.stdout).not.toContain('0.0.0.0/0');
  });
});
