import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { networkPluginNamed } from '../src/knowledge/network/plugins.js';
import { loadInventory } from '../src/inventory/load.js';
import { networkPluginOf, podAddressesOf } from '../src/inventory/network.js';
import { NetworkPolicySet, type ClusterFacts, type Connection, type Endpoint } from '../src/verify/netpol/evaluate.js';
import { cli, tmp } from './helpers/cli.js';
import { CLIENT_DB_FLOW, clientDbInventory, daemonSet } from './helpers/clientDb.js';

// Whether a NetworkPolicy ipBlock applies to a pod's address is the network plugin's choice (Kubernetes "Network
// Policies"; Cilium "Layer 3 Examples", IP/CIDR based: CIDR rules do not apply between endpoints it manages, nor to
// node addresses unless policy-cidr-match-mode includes nodes; Calico matches on the packet's address). The evaluator
// answers maybe where only an ipBlock would let a pod through and the plugin is not known.

const NO = 0;
const MAYBE = 1;
const YES = 2;

type Spec = Record<string, unknown>;
const pod = (app: string, ips?: string[]): Endpoint => ({
  kind: 'pod',
  namespace: 'shop',
  labels: { app },
  ports: [],
  ...(ips ? { ips } : {}),
});
const tcp = (src: Endpoint, dst: Endpoint, port = 5432): Connection => ({ src, dst, protocol: 'TCP', port });
const setOf = (specs: Spec[], facts: ClusterFacts = {}) => {
  const set = new NetworkPolicySet(new Map(), new Map(), facts);
  specs.forEach((s, i) => set.add('NetworkPolicy', `p${i}`, 'shop', s));
  return set;
};
const dbFrom = (...from: unknown[]): Spec => ({
  podSelector: { matchLabels: { app: 'db' } },
  policyTypes: ['Ingress'],
  ingress: [{ from, ports: [{ port: 5432 }] }],
});
const block = (cidr: string, except?: string[]) => ({ ipBlock: { cidr, ...(except ? { except } : {}) } });
const plugin = (name: string) => {
  const p = networkPluginNamed(name);
  return p ? { plugin: p } : {};
};

const DB = pod('db', ['10.1.0.20']);
const CLIENT = pod('client', ['10.1.0.10']);
const CLIENT_UNKNOWN = pod('client');
const EXTERNAL: Endpoint = { kind: 'ip', ip: '10.9.9.9' };
const NODE: Endpoint = { kind: 'ip', ip: '10.0.0.5', node: true };

describe('an ipBlock peer, per network plugin', () => {
  // [what, specs, source, answer with the plugin unknown, cilium, calico, aws-vpc-cni, antrea]
  const cases: [string, Spec, Endpoint, number, number, number, number, number][] = [
    ['a pod whose address the block holds', dbFrom(block('10.0.0.0/8')), CLIENT, MAYBE, NO, YES, YES, YES],
    ['a pod the block holds less an except', dbFrom(block('10.0.0.0/8', ['10.1.0.0/16'])), CLIENT, NO, NO, NO, NO, NO],
    ['a pod the block does not hold', dbFrom(block('192.168.0.0/16')), CLIENT, NO, NO, NO, NO, NO],
    [
      'a pod the block holds, a selector peer matching it too',
      dbFrom(block('10.0.0.0/8'), { podSelector: { matchLabels: { app: 'client' } } }),
      CLIENT,
      YES,
      YES,
      YES,
      YES,
      YES,
    ],
    [
      'a pod of unknown address, a private block',
      dbFrom(block('10.0.0.0/8')),
      CLIENT_UNKNOWN,
      MAYBE,
      NO,
      MAYBE,
      MAYBE,
      MAYBE,
    ],
    ['a pod of unknown address, a public block', dbFrom(block('52.0.0.0/8')), CLIENT_UNKNOWN, NO, NO, NO, NO, NO],
    ['an address outside the cluster the block holds', dbFrom(block('10.0.0.0/8')), EXTERNAL, YES, YES, YES, YES, YES],
    ['an address the except takes out', dbFrom(block('10.0.0.0/8', ['10.9.0.0/16'])), EXTERNAL, NO, NO, NO, NO, NO],
    ['a node address the block holds', dbFrom(block('10.0.0.0/24')), NODE, YES, MAYBE, YES, YES, YES],
    ['a node address outside the block', dbFrom(block('10.1.0.0/16')), NODE, NO, NO, NO, NO, NO],
  ];
  const plugins = ['unknown', 'cilium', 'calico', 'aws-vpc-cni', 'antrea'];
  for (const [what, spec, src, ...answers] of cases)
    it.each(plugins.map((p, i) => [p, answers[i]!] as const))(`${what}: %s → %i`, (name, want) => {
      expect(setOf([spec], plugin(name)).answer(tcp(src, DB))).toBe(want);
    });

  it('gke-dataplane-v2 is Cilium', () => {
    expect(setOf([dbFrom(block('10.0.0.0/8'))], plugin('gke-dataplane-v2')).answer(tcp(CLIENT, DB))).toBe(NO);
  });

  it('egress: a pod destination the block holds is a maybe the same way', () => {
    const spec = {
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Egress'],
      egress: [{ to: [block('10.0.0.0/8')] }],
    };
    expect(setOf([spec]).answer(tcp(CLIENT, DB))).toBe(MAYBE);
    expect(setOf([spec], plugin('cilium')).answer(tcp(CLIENT, DB))).toBe(NO);
    expect(setOf([spec], plugin('calico')).answer(tcp(CLIENT, DB))).toBe(YES);
  });

  it('some of the pods held: a maybe even where the plugin applies ipBlock', () => {
    const two = pod('client', ['10.1.0.10', '192.168.3.4']);
    const set = setOf([dbFrom(block('10.0.0.0/8'))], plugin('calico'));
    expect(set.answer(tcp(two, DB))).toBe(MAYBE);
    expect(set.allows(tcp(two, DB)).detail).toBe(
      "ingress: NetworkPolicy shop/p0 rule 0 may allow it (ipBlock 10.0.0.0/8 holds 1 of the peer pods' 2 addresses; Calico applies ipBlock to pods)",
    );
  });

  it('the maybe names the plugin dependence; allows() says undetermined', () => {
    const d = setOf([dbFrom(block('10.0.0.0/8', ['10.200.0.0/16']))]).allows(tcp(CLIENT, DB));
    expect(d).toMatchObject({ allowed: false, undetermined: true });
    expect(d.detail).toBe(
      "ingress: NetworkPolicy shop/p0 rule 0 may allow it (ipBlock 10.0.0.0/8 except 10.200.0.0/16 holds the peer pods' addresses; whether an ipBlock applies to traffic between pods depends on the network plugin (Calico, Antrea and the Amazon VPC CNI apply it, Cilium does not: --network-plugin says which))",
    );
  });

  it('an address the flows saw as a host holds no pod: a block of hosts alone is no maybe', () => {
    const spec = dbFrom(block('10.0.0.20/32'));
    expect(setOf([spec]).answer(tcp(CLIENT_UNKNOWN, DB))).toBe(MAYBE);
    expect(setOf([spec], { hosts: ['10.0.0.20'] }).answer(tcp(CLIENT_UNKNOWN, DB))).toBe(NO);
    // A /30 with one host seen: three addresses may still be pods'.
    expect(setOf([dbFrom(block('10.0.0.20/30'))], { hosts: ['10.0.0.20'] }).answer(tcp(CLIENT_UNKNOWN, DB))).toBe(
      MAYBE,
    );
  });

  it('another policy allowing the pod by selector decides alone', () => {
    const bySelector = dbFrom({ podSelector: { matchLabels: { app: 'client' } } });
    expect(setOf([dbFrom(block('10.0.0.0/8')), bySelector]).answer(tcp(CLIENT, DB))).toBe(YES);
  });
});

// The inventory: a client and a db pod, and the DaemonSets of a cluster's agents.
const inventory = (...agents: [string, string][]) =>
  clientDbInventory(...agents.map(([ns, name]) => daemonSet(ns, name)));

describe('the plugin an inventory shows', () => {
  const pluginOf = async (...agents: [string, string][]) => {
    const dir = tmp();
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify(inventory(...agents)));
    const { inventory: inv, issues } = await loadInventory([join(dir, 'inventory.json')], dir);
    expect(issues).toEqual([]);
    return { plugin: networkPluginOf(inv)?.name, addresses: podAddressesOf(inv) };
  };

  it.each([
    [[['kube-system', 'cilium']], 'cilium'],
    [[['kube-system', 'anetd']], 'cilium'],
    [[['calico-system', 'calico-node']], 'calico'],
    [[['kube-system', 'calico-node']], 'calico'],
    [[['kube-system', 'antrea-agent']], 'antrea'],
    [[['kube-system', 'aws-node']], undefined],
    [[['shop', 'cilium']], undefined],
    [[], undefined],
    [
      [
        ['kube-system', 'cilium'],
        ['calico-system', 'calico-node'],
      ],
      undefined,
    ],
  ] as [[string, string][], string | undefined][])('%j → %s', async (agents, want) => {
    expect((await pluginOf(...agents)).plugin).toBe(want);
  });

  it("each workload's pod addresses", async () => {
    const { addresses } = await pluginOf();
    expect([...addresses.values()]).toEqual([['10.0.1.10'], ['10.0.1.20']]);
  });
});

// CLI: a committed policy letting 10.0.0.0/8 reach the db, and a Hubble flow client → db.
const POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'db', namespace: 'shop' },
  spec: dbFrom(block('10.0.0.0/8')),
};

describe('CLI: verify and check of a committed ipBlock policy', () => {
  let dir = '';
  let sources: string[] = [];
  const inv = (name: string, ...agents: [string, string][]) => {
    writeFileSync(join(dir, name), JSON.stringify(inventory(...agents)));
    return ['--inventory', join(dir, name)];
  };
  beforeAll(() => {
    dir = tmp();
    writeFileSync(join(dir, 'flows.json'), JSON.stringify(CLIENT_DB_FLOW) + '\n');
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
    sources = ['--policies', join(dir, 'policy.json'), '--flows', join(dir, 'flows.json'), '--format', 'json', '-q'];
  });
  type Verify = { allowed: number; notAllowed: { detail: string }[]; undetermined: { detail: string }[] };
  const verify = (...args: string[]) => {
    const r = cli(['verify', ...sources, ...args]);
    return { code: r.code, out: JSON.parse(r.stdout) as Verify };
  };
  type Check = { wouldDeny: { summary: string }[]; undetermined?: { summary: string }[] };
  const check = (...args: string[]) => {
    const r = cli(['check', ...sources, ...args]);
    return { code: r.code, out: JSON.parse(r.stdout) as Check };
  };

  it('no plugin known: undetermined, naming the plugin dependence; check neither passes nor denies it', () => {
    const v = verify();
    expect(v.code).toBe(0);
    expect(v.out.allowed).toBe(0);
    expect(v.out.notAllowed).toEqual([]);
    expect(v.out.undetermined.map((f) => f.detail)).toEqual([expect.stringMatching(/depends on the network plugin/)]);
    const c = check();
    expect(c.out.wouldDeny).toEqual([]);
    expect((c.out.undetermined ?? []).map((f) => f.summary)).toEqual(['shop/client → shop/db TCP/5432']);
  });

  it('--network-plugin cilium: denied, a would-deny for check', () => {
    const v = verify('--network-plugin', 'cilium');
    expect(v.code).toBe(1);
    expect(v.out.notAllowed.map((f) => f.detail)).toEqual([
      'ingress of shop pod isolated by shop/db; no rule allows it',
    ]);
    const c = check('--network-plugin', 'cilium');
    expect(c.code).toBe(1);
    expect(c.out.wouldDeny.map((f) => f.summary)).toEqual(['shop/client → shop/db TCP/5432']);
  });

  it('--network-plugin calico with the inventory (the pods’ addresses): allowed', () => {
    const v = verify('--network-plugin', 'calico', ...inv('plain.json'));
    expect(v).toMatchObject({ code: 0, out: { allowed: 1, notAllowed: [], undetermined: [] } });
    const c = check('--network-plugin', 'calico', ...inv('plain.json'));
    expect(c.code).toBe(0);
    expect(c.out.wouldDeny).toEqual([]);
    expect(c.out.undetermined ?? []).toEqual([]);
  });

  it('an inventory showing cilium decides as --network-plugin cilium; the option overrides it', () => {
    const cilium = inv('cilium.json', ['kube-system', 'cilium']);
    expect(verify(...cilium).out.notAllowed).toHaveLength(1);
    expect(check(...cilium).out.wouldDeny).toHaveLength(1);
    expect(verify(...cilium, '--network-plugin', 'calico').out).toMatchObject({ allowed: 1, notAllowed: [] });
    expect(verify(...cilium, '--network-plugin', 'unknown').out.undetermined).toHaveLength(1);
  });

  it('an unknown name is a usage error naming the option', () => {
    for (const cmd of ['verify', 'check']) {
      const r = cli([cmd, ...sources, '--network-plugin', 'flannel']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /--network-plugin: expected one of antrea, aws-vpc-cni, calico, cilium, gke-dataplane-v2, unknown, got "flannel"/,
      );
    }
  });

  it('the output is byte-deterministic', () => {
    const a = cli(['verify', ...sources]);
    const b = cli(['verify', ...sources]);
    expect(a.stdout).toBe(b.stdout);
  });
});
