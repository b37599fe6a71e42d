import { writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterFacts, Endpoint } from '../src/verify/netpol/evaluate.js';
import { MAYBE, NO, YES } from '../src/verify/netpol/cilium-peers.js';
import { loadInventory } from '../src/inventory/load.js';
import { cli, removeTmp, ROOT, tmp } from './helpers/cli.js';
import { pod, readPolicySet, tcp } from './helpers/netpolEval.js';

// Cilium host policies ("Host Policies", "Host Firewall" in Cilium's documentation): a CiliumClusterwideNetworkPolicy
// with a nodeSelector selects nodes by their labels and applies to the host endpoint (the node itself and its
// host-network pods), with the same rules as an endpoint policy; it never selects pods, and an endpoint policy never
// selects a node. Judged here through the real evaluator and the built CLI.

type Spec = Record<string, unknown>;
const ccnp = (name: string, spec: Spec) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumClusterwideNetworkPolicy',
  metadata: { name },
  spec,
});
const BASTION = pod('ops', { app: 'bastion' });
const WEB = pod('shop', { app: 'web' });
const SSH_NODE: Endpoint = { kind: 'ip', ip: '10.0.1.23', node: true };
const OTHER_NODE: Endpoint = { kind: 'ip', ip: '10.0.2.41', node: true };
const WORLD: Endpoint = { kind: 'ip', ip: '203.0.113.7' };
const NODES: ClusterFacts['nodes'] = [
  { name: 'a', ips: ['10.0.1.23'], labels: { 'node-access': 'ssh', 'kubernetes.io/hostname': 'a' } },
  { name: 'b', ips: ['10.0.2.41'], labels: { 'node-access': 'none', 'kubernetes.io/hostname': 'b' } },
];

const setOf = (objects: unknown[], facts: ClusterFacts = { nodes: NODES }) => readPolicySet(objects, facts);

// Ingress to nodes labelled node-access=ssh: SSH from the bastion pods only (the host firewall tutorial, narrowed).
const SSH_FROM_BASTION = ccnp('ssh-from-bastion', {
  nodeSelector: { matchLabels: { 'node-access': 'ssh' } },
  ingress: [
    {
      fromEndpoints: [{ matchLabels: { app: 'bastion' } }],
      toPorts: [{ ports: [{ port: '22', protocol: 'TCP' }] }],
    },
  ],
});

describe('host policies in the evaluator', () => {
  it('a pod to a node port: allowed or denied by the host policy selecting that node by label', () => {
    const { set, issues } = setOf([SSH_FROM_BASTION]);
    expect(issues).toEqual([]);
    expect(set.allows(tcp(BASTION, SSH_NODE, 22))).toMatchObject({ allowed: true });
    const web = set.allows(tcp(WEB, SSH_NODE, 22));
    expect(web.allowed).toBe(false);
    expect(web.undetermined).toBeUndefined();
    expect(web.detail).toMatch(/ingress of node 10\.0\.1\.23 isolated by ssh-from-bastion; no rule allows it/);
    expect(set.answer(tcp(BASTION, SSH_NODE, 80))).toBe(NO);
  });

  it('a host policy selecting other nodes leaves a node alone; its egress is not isolated by an ingress policy', () => {
    const { set } = setOf([SSH_FROM_BASTION]);
    expect(set.allows(tcp(WEB, OTHER_NODE, 22))).toMatchObject({ allowed: true });
    // Egress of the selected node: the policy has ingress rules only (the tutorial: ingress Enabled, egress Disabled).
    expect(set.answer(tcp(SSH_NODE, WEB, 8080))).toBe(YES);
  });

  it('host policies never select pods, and endpoint policies never select nodes', () => {
    const closed = ccnp('every-node-closed', { nodeSelector: {}, ingress: [{}], egress: [{}] });
    // Pods' traffic is not the host's: an empty nodeSelector isolates no pod.
    expect(setOf([closed]).set.answer(tcp(WEB, BASTION, 8080))).toBe(YES);
    expect(setOf([closed]).set.answer(tcp(WORLD, WEB, 8080))).toBe(YES);
    const { set } = setOf([
      closed,
      ccnp('every-pod-no-world', { endpointSelector: {}, ingressDeny: [{ fromEntities: ['world'] }] }),
    ]);
    // The endpoint policy's deny is not the node's: the node is isolated by the host policy alone (no rule allows).
    const d = set.allows(tcp(WORLD, SSH_NODE, 22));
    expect(d.allowed).toBe(false);
    expect(d.detail).toMatch(/isolated by every-node-closed/);
    expect(set.answer(tcp(WORLD, WEB, 22))).toBe(NO);
    expect(set.allows(tcp(WORLD, WEB, 22)).detail).toMatch(/every-pod-no-world ingressDeny/);
  });

  it('an ingressDeny of a host policy stops what another host policy allows, on the nodes it selects only', () => {
    const { set } = setOf([
      ccnp('cluster-to-nodes', { nodeSelector: {}, ingress: [{ fromEntities: ['cluster'] }] }),
      ccnp('no-bastion-ssh', {
        nodeSelector: { matchLabels: { 'node-access': 'ssh' } },
        ingressDeny: [{ fromEndpoints: [{ matchLabels: { app: 'bastion' } }] }],
      }),
    ]);
    const d = set.allows(tcp(BASTION, SSH_NODE, 22));
    expect(d.allowed).toBe(false);
    expect(d.detail).toMatch(/denied by CiliumClusterwideNetworkPolicy no-bastion-ssh ingressDeny rule 0/);
    expect(set.answer(tcp(BASTION, OTHER_NODE, 22))).toBe(YES);
    expect(set.answer(tcp(WEB, SSH_NODE, 22))).toBe(YES);
  });

  it('without the node labels a selection is a maybe, never an allow or a deny; an empty nodeSelector needs none', () => {
    for (const facts of [{}, { nodes: [{ name: 'a', ips: ['10.0.1.23'] }] }] as ClusterFacts[]) {
      const { set } = setOf([SSH_FROM_BASTION], facts);
      const d = set.allows(tcp(WEB, SSH_NODE, 22));
      expect(d).toMatchObject({ allowed: false, undetermined: true });
      expect(d.detail).toMatch(/labels of node 10\.0\.1\.23 are not known/);
      expect(set.answer(tcp(WEB, SSH_NODE, 22))).toBe(MAYBE);
      // The bastion is allowed by the policy if it selects the node, and the node is open if it does not.
      expect(set.answer(tcp(BASTION, SSH_NODE, 22))).not.toBe(NO);
    }
    const { set } = setOf([ccnp('all-nodes', { nodeSelector: {}, ingress: [{ fromEntities: ['world'] }] })], {});
    expect(set.answer(tcp(WEB, SSH_NODE, 22))).toBe(NO);
    expect(set.answer(tcp(WORLD, SSH_NODE, 22))).toBe(YES);
    // Without an inventory's nodes, a private address may be a node: a maybe; a public one is no node.
    expect(set.answer(tcp(WEB, { kind: 'ip', ip: '10.9.9.9' }, 22))).toBe(MAYBE);
    expect(set.answer(tcp(WEB, WORLD, 22))).toBe(YES);
  });

  it("a selection that Cilium's default label filter may change (kubernetes.io/...) is a maybe", () => {
    const { set } = setOf([
      ccnp('by-hostname', { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'a' } }, ingress: [{}] }),
    ]);
    expect(set.answer(tcp(WEB, SSH_NODE, 22))).toBe(MAYBE);
    expect(set.answer(tcp(WEB, OTHER_NODE, 22))).toBe(YES);
  });

  it('a nodeSelector where Cilium refuses one is an issue; a host policy is none', () => {
    const { issues } = setOf([
      SSH_FROM_BASTION,
      ccnp('both', { nodeSelector: {}, endpointSelector: {}, ingress: [{}] }),
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'ns', namespace: 'shop' },
        spec: { nodeSelector: {}, ingress: [{}] },
      },
      ccnp('', { nodeSelector: {} }),
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      'CiliumClusterwideNetworkPolicy both (document 2): it has both a nodeSelector and an endpointSelector, which are mutually exclusive; left out',
      'CiliumNetworkPolicy shop/ns (document 3): a nodeSelector is valid only in a CiliumClusterwideNetworkPolicy; left out',
      'CiliumClusterwideNetworkPolicy needs metadata.name and spec or specs (document 4); left out',
    ]);
  });

  it('an L7 rule other than DNS in a host policy is an issue, the policy left out; a DNS rule is none', () => {
    const port = (rules: Record<string, unknown>) => [{ ports: [{ port: '80', protocol: 'TCP' }], rules }];
    const { issues, policies } = setOf([
      ccnp('http', { nodeSelector: {}, ingress: [{ fromEntities: ['world'], toPorts: port({ http: [{}] }) }] }),
      ccnp('kafka', { nodeSelector: {}, egress: [{}, { toEntities: ['world'], toPorts: port({ kafka: [{}] }) }] }),
      ccnp('dns', {
        nodeSelector: {},
        egress: [{ toEntities: ['cluster'], toPorts: port({ dns: [{ matchPattern: '*' }] }) }],
      }),
    ]);
    expect(policies.map((p) => p.name)).toEqual(['dns']);
    expect(issues.map((i) => i.message)).toEqual([
      'CiliumClusterwideNetworkPolicy http (document 1): ingress rule 0 has an L7 rule (http): a host policy may hold L7 DNS rules only; left out',
      'CiliumClusterwideNetworkPolicy kafka (document 2): egress rule 1 has an L7 rule (kafka): a host policy may hold L7 DNS rules only; left out',
    ]);
  });
});

describe('node labels in the inventory', () => {
  it('are read from the snapshot, sorted; a node without labels has none', async () => {
    const dir = tmp();
    const node = (name: string, ip: string, labels?: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, ...(labels ? { labels } : {}) },
      status: { addresses: [{ type: 'InternalIP', address: ip }] },
    });
    writeFileSync(
      join(dir, 'inv.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [node('b', '10.0.0.2'), node('a', '10.0.0.1', { zone: 'z1', 'node-access': 'ssh' })],
      }),
    );
    const { inventory, issues } = await loadInventory([join(dir, 'inv.json')], ROOT);
    expect(issues).toEqual([]);
    expect(JSON.stringify(inventory.nodes)).toBe(
      '[{"name":"a","ips":["10.0.0.1"],"labels":{"node-access":"ssh","zone":"z1"}},{"name":"b","ips":["10.0.0.2"],"labels":{}}]',
    );
  });
});

// The demo: node 10.0.1.23 (zone eu-west-1a) runs the host-network pod kube-system/aws-node-7xk2p.
const INVENTORY = 'fixtures/demo/inventory';
const hostPolicy = (name: string, zone: string, rules: Spec) =>
  ccnp(name, { nodeSelector: { matchLabels: { 'topology.kubernetes.io/zone': zone } }, ...rules });
const yaml = (o: unknown) => JSON.stringify(o, null, 2) + '\n';

/** A Hubble flow from monitoring/prometheus-0 to the host-network pod aws-node-7xk2p on TCP 61678. */
function hostNetworkFlows(dir: string): string {
  const flow = {
    flow: {
      time: '2026-11-02T00:03:07.666196943Z',
      verdict: 'FORWARDED',
      IP: { source: '10.0.3.121', destination: '10.0.1.23', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40042, destination_port: 61678, flags: { SYN: true } } },
      source: {
        ID: 1005,
        identity: 20005,
        namespace: 'monitoring',
        labels: ['k8s:app=prometheus', 'k8s:io.kubernetes.pod.namespace=monitoring'],
        pod_name: 'prometheus-0',
      },
      destination: { identity: 1, namespace: 'kube-system', labels: [], pod_name: 'aws-node-7xk2p' },
      Type: 'L3_L4',
      is_reply: false,
      traffic_direction: 'EGRESS',
    },
  };
  const file = join(dir, 'flows.json');
  writeFileSync(file, JSON.stringify(flow) + '\n');
  return file;
}

function policyDir(dir: string, name: string, objects: unknown[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  objects.forEach((o, i) => writeFileSync(join(d, `p${i}.yaml`), yaml(o)));
  return d;
}

describe('host policies through the CLI', () => {
  afterAll(removeTmp);
  const dir = tmp();
  const flows = hostNetworkFlows(dir);
  const verify = (policies: string, more: string[] = ['--flows', flows, '--inventory', INVENTORY]) =>
    cli(['verify', '--policies', policies, ...more, '--kind', 'netpol']);
  /** The details of what verify (JSON) did not allow. */
  const notAllowed = (stdout: string) =>
    (JSON.parse(stdout) as { notAllowed: { detail?: string }[] }).notAllowed.map((f) => f.detail);

  it("a host-network workload's ingress is judged by the host policy of its node", () => {
    const only22 = policyDir(dir, 'only22', [
      hostPolicy('ssh-only', 'eu-west-1a', {
        ingress: [{ fromEntities: ['world'], toPorts: [{ ports: [{ port: '22', protocol: 'TCP' }] }] }],
      }),
    ]);
    const denied = verify(only22);
    expect(denied.stderr).not.toMatch(/policy\.invalid-netpol/);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/monitoring\/prometheus → node 10\.0\.1\.23 TCP\/61678/);
    expect(notAllowed(verify(only22, ['--flows', flows, '--inventory', INVENTORY, '--format', 'json']).stdout)).toEqual(
      ['ingress of node 10.0.1.23 isolated by ssh-only; no rule allows it'],
    );

    const elsewhere = policyDir(dir, 'elsewhere', [
      hostPolicy('ssh-only-b', 'eu-west-1b', { ingress: [{ fromEntities: ['world'] }] }),
    ]);
    const other = verify(elsewhere);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/OK: 1 of 1 observed accesses allowed/);

    const allowed = policyDir(dir, 'allowed', [
      hostPolicy('prometheus-scrape', 'eu-west-1a', {
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { app: 'prometheus' } }],
            toPorts: [{ ports: [{ port: '61678', protocol: 'TCP' }] }],
          },
        ],
      }),
    ]);
    expect(verify(allowed)).toMatchObject({ code: 0 });

    const denyRule = policyDir(dir, 'deny', [
      hostPolicy('open', 'eu-west-1a', { ingress: [{ fromEntities: ['cluster'] }] }),
      hostPolicy('no-scrape', 'eu-west-1a', {
        ingressDeny: [{ fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'monitoring' } }] }],
      }),
    ]);
    const d = verify(denyRule, ['--flows', flows, '--inventory', INVENTORY, '--format', 'json']);
    expect(d.code).toBe(1);
    expect(notAllowed(d.stdout)).toEqual([
      'ingress: denied by CiliumClusterwideNetworkPolicy no-scrape ingressDeny rule 0',
    ]);
  });

  it('verify --profile without node labels reports the host side as undetermined', () => {
    const profile = join(dir, 'profile.json');
    expect(cli(['profile', '--flows', flows, '--inventory', INVENTORY, '-o', profile, '-q']).code).toBe(0);
    const r = verify(join(dir, 'only22'), ['--profile', profile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/undetermined \(1\)/);
    expect(r.stdout).toMatch(/the labels of node 10\.0\.1\.23 are not known: --inventory or --cluster gives them/);
    // The inventory beside the profile gives the labels: decided.
    expect(verify(join(dir, 'only22'), ['--profile', profile, '--inventory', INVENTORY]).code).toBe(1);
  });

  it('the demo with a host policy beside its generated policies no longer stops; check judges it too', () => {
    const out = join(dir, 'demo');
    const demo = ['--flows', 'fixtures/demo/flows', '--inventory', INVENTORY];
    expect(cli(['generate', 'netpol', ...demo, '-o', out, '-q']).code).toBe(0);
    // The demo's node 10.0.1.23 connects to shop/web:8080 (a kubelet probe): egress of the node.
    writeFileSync(
      join(out, 'netpol', 'host.yaml'),
      yaml(hostPolicy('node-egress', 'eu-west-1a', { egress: [{ toEntities: ['world'] }] })),
    );
    const r = cli(['verify', '--policies', out, ...demo]);
    expect(r.stderr).not.toMatch(/policy issue/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/node 10\.0\.1\.23 → shop\/web TCP\/8080/);
    expect(notAllowed(cli(['verify', '--policies', out, ...demo, '--format', 'json']).stdout)).toEqual([
      'egress of node 10.0.1.23 isolated by node-egress; no rule allows it',
    ]);
    const c = cli(['check', '--policies', out, ...demo]);
    expect(c.stderr).not.toMatch(/policy issue/);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/node 10\.0\.1\.23/);
  });

  it('diff names a host policy by the nodes it selects, not as pods', () => {
    const base = join(dir, 'diff-base');
    const head = join(dir, 'diff-head');
    const start = policyDir(dir, 'diff-start', [
      hostPolicy('ssh-only-b', 'eu-west-1b', { ingress: [{ fromEntities: ['world'] }] }),
    ]);
    cpSync(start, base, { recursive: true });
    cpSync(start, head, { recursive: true });
    writeFileSync(
      join(head, 'world.yaml'),
      yaml(hostPolicy('world-in', 'eu-west-1a', { ingress: [{ fromEntities: ['world'] }] })),
    );
    const r = cli(['diff', base, head, '--inventory', INVENTORY, '--format', 'json']);
    expect(r.stderr).not.toMatch(/invalid-netpol|Error/);
    expect(r.stdout).toMatch(
      /world-in ingress\[0\]: from fromEntities world on every port \(nodes topology\.kubernetes\.io\/zone=eu-west-1a\)/,
    );
    expect(r.stdout).not.toMatch(/world-in[^"]*every namespace/);
  });
});
