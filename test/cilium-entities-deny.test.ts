import { describe, expect, it } from 'vitest';
import { diffPolicies, loadSide } from '../src/diff/index.js';
import type { FlowEvidence, NetEdge, Peer, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import type { PolicyDoc } from '../src/policy/load.js';
import {
  NetworkPolicySet,
  type ClusterFacts,
  type Connection,
  type Endpoint,
  type Tri,
} from '../src/verify/netpol/evaluate.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';

// CiliumNetworkPolicy peers the evaluator used to read as "any peer" (entities, Services) and deny rules it used to
// ignore, with policies shaped as the examples of Cilium's documentation (security/policy: layer3 "Entities based",
// "Services based", "Simple Egress Deny"; deny.rst) are: each entity by what it selects among the endpoints the model
// knows (pods of the inventory, node addresses, other addresses), in three answers where the model cannot know.

const NO: Tri = 0;
const MAYBE: Tri = 1;
const YES: Tri = 2;

const pod = (namespace: string, labels: Record<string, string>): Endpoint => ({
  kind: 'pod',
  namespace,
  labels,
  ports: [],
});
const ip = (a: string): Endpoint => ({ kind: 'ip', ip: a });
const node = (a: string): Endpoint => ({ kind: 'ip', ip: a, node: true });

const FRONTEND = pod('shop', { role: 'frontend', env: 'dev' });
const BACKEND = pod('shop', { role: 'backend' });
const PUBLIC = pod('shop', { role: 'public' });
const INTERNET = ip('203.0.113.7');
const INTERNET6 = ip('2001:db8::7');
/** A private address no pod or node of the inventory has: a VPC database, or an unlisted endpoint of the cluster. */
const PRIVATE = ip('10.20.0.5');
const NODE = node('10.0.0.11');

type Spec = Record<string, unknown>;
const setOf = (specs: Spec[], facts: ClusterFacts = {}) => {
  const set = new NetworkPolicySet(new Map(), new Map(), facts);
  specs.forEach((s, i) => set.add('CiliumNetworkPolicy', `p${i}`, 'shop', s));
  return set;
};
const tcp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'TCP', port });

const egress = (selector: Record<string, string>, rules: Spec[], extra: Spec = {}): Spec => ({
  endpointSelector: { matchLabels: selector },
  egress: rules,
  ...extra,
});

describe('toEntities / fromEntities select what each entity is, not any peer', () => {
  const to = (entities: string[]) => setOf([egress({ env: 'dev' }, [{ toEntities: entities }])]);
  const answers = (entities: string[]) =>
    [BACKEND, NODE, INTERNET, INTERNET6, PRIVATE].map((dst) => to(entities).answer(tcp(FRONTEND, dst, 443)));

  it.each([
    // pod, node, public IPv4, public IPv6, private unplaced address
    ['world: outside the cluster; a private address may be inside', ['world'], [NO, NO, YES, YES, MAYBE]],
    ['world-ipv4: IPv4 addresses outside the cluster only', ['world-ipv4'], [NO, NO, YES, NO, MAYBE]],
    ['world-ipv6: IPv6 addresses outside the cluster only', ['world-ipv6'], [NO, NO, NO, YES, NO]],
    ['cluster: pods and nodes, not the world', ['cluster'], [YES, YES, NO, NO, MAYBE]],
    ['host alone: a node may be another pod’s host', ['host'], [NO, MAYBE, NO, NO, MAYBE]],
    ['host and remote-node: every node', ['host', 'remote-node'], [NO, YES, NO, NO, MAYBE]],
    [
      'kube-apiserver: addresses unknown, never a pod of the inventory',
      ['kube-apiserver'],
      [NO, MAYBE, MAYBE, MAYBE, MAYBE],
    ],
    [
      'health, ingress, init, unmanaged: no endpoint the inventory lists',
      ['health', 'ingress', 'init', 'unmanaged'],
      [NO, NO, NO, NO, MAYBE],
    ],
    ['all: everything', ['all'], [YES, YES, YES, YES, YES]],
    ['world and cluster together: every endpoint there is', ['world', 'cluster'], [YES, YES, YES, YES, YES]],
  ] as [string, string[], Tri[]][])('%s', (_name, entities, want) => {
    expect(answers(entities)).toEqual(want);
  });

  it('verify claims only what is sure: a maybe is not allowed, and says why (the doc example to kube-apiserver)', () => {
    const set = to(['kube-apiserver']);
    expect(set.allows(tcp(FRONTEND, BACKEND, 443))).toMatchObject({ allowed: false });
    expect(set.allows(tcp(FRONTEND, BACKEND, 443)).undetermined).toBeUndefined();
    const d = set.allows(tcp(FRONTEND, NODE, 443));
    expect(d.allowed).toBe(false);
    expect(d.undetermined).toBe(true);
    expect(d.detail).toMatch(/egress: CiliumNetworkPolicy shop\/p0 rule 0 may allow it/);
    // isAllowed counts what may pass (diff, the narrowness count).
    expect(set.isAllowed(tcp(FRONTEND, NODE, 443))).toBe(true);
    expect(set.isAllowed(tcp(FRONTEND, BACKEND, 443))).toBe(false);
  });

  it('fromEntities: world (the doc example from-world-to-role-public) admits the internet, not the cluster', () => {
    const set = setOf([
      { endpointSelector: { matchLabels: { role: 'public' } }, ingress: [{ fromEntities: ['world'] }] },
    ]);
    expect(set.allows(tcp(INTERNET, PUBLIC, 80)).allowed).toBe(true);
    expect(set.allows(tcp(FRONTEND, PUBLIC, 80)).allowed).toBe(false);
    expect(set.isAllowed(tcp(FRONTEND, PUBLIC, 80))).toBe(false);
    expect(set.allows(tcp(NODE, PUBLIC, 80)).allowed).toBe(false);
  });

  it('a selector naming only a reserved label is that entity (fromEndpoints reserved:remote-node)', () => {
    const set = setOf([
      { endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { 'reserved:remote-node': '' } }] }] },
    ]);
    expect(set.answer(tcp(NODE, BACKEND, 80))).toBe(MAYBE);
    expect(set.answer(tcp(FRONTEND, BACKEND, 80))).toBe(NO);
    expect(set.answer(tcp(INTERNET, BACKEND, 80))).toBe(NO);
  });

  it('toCIDRSet: a block less its excepts (it was any peer too)', () => {
    const set = setOf([
      egress({ env: 'dev' }, [{ toCIDRSet: [{ cidr: '203.0.113.0/24', except: ['203.0.113.7/32'] }] }]),
    ]);
    expect(set.answer(tcp(FRONTEND, ip('203.0.113.8'), 443))).toBe(YES);
    expect(set.answer(tcp(FRONTEND, INTERNET, 443))).toBe(NO);
    expect(set.answer(tcp(FRONTEND, BACKEND, 443))).toBe(NO);
  });
});

describe('toServices: the Service’s backends from the inventory', () => {
  // The doc example service-rule: endpoints id=app2 to Service default/myservice; and by labels in another namespace.
  const APP2 = pod('default', { id: 'app2' });
  const MINE = pod('default', { app: 'mine' });
  const STAGED = pod('another-namespace', { app: 'staged' });
  const rule = {
    endpointSelector: { matchLabels: { id: 'app2' } },
    egress: [
      {
        toServices: [
          { k8sService: { serviceName: 'myservice', namespace: 'default' } },
          { k8sServiceSelector: { selector: { matchLabels: { env: 'staging' } }, namespace: 'another-namespace' } },
        ],
      },
    ],
  };
  const facts: ClusterFacts = {
    services: [
      { namespace: 'default', name: 'myservice', selector: { app: 'mine' } },
      { namespace: 'default', name: 'notmine', selector: { app: 'other' } },
      { namespace: 'another-namespace', name: 'staged', selector: { app: 'staged' }, labels: { env: 'staging' } },
      { namespace: 'another-namespace', name: 'prod', selector: { app: 'prod' }, labels: { env: 'prod' } },
    ],
  };
  const set = (f: ClusterFacts) => {
    const s = new NetworkPolicySet(new Map(), new Map(), f);
    s.add('CiliumNetworkPolicy', 'service-rule', 'default', rule);
    return s;
  };

  it('a Service with a selector: its pods in its namespace, nothing else', () => {
    const s = set(facts);
    expect(s.answer(tcp(APP2, MINE, 80))).toBe(YES);
    expect(s.answer(tcp(APP2, STAGED, 80))).toBe(YES);
    expect(s.answer(tcp(APP2, pod('default', { app: 'other' }), 80))).toBe(NO);
    expect(s.answer(tcp(APP2, pod('another-namespace', { app: 'prod' }), 80))).toBe(NO);
    expect(s.answer(tcp(APP2, pod('elsewhere', { app: 'mine' }), 80))).toBe(NO);
    expect(s.answer(tcp(APP2, INTERNET, 80))).toBe(NO);
  });

  it('without an inventory every answer is a maybe; a Service the inventory lacks selects nothing', () => {
    expect(set({}).answer(tcp(APP2, MINE, 80))).toBe(MAYBE);
    expect(set({}).allows(tcp(APP2, MINE, 80)).undetermined).toBe(true);
    expect(set({ services: [] }).answer(tcp(APP2, MINE, 80))).toBe(NO);
  });

  it('a Service without selector: its EndpointSlice addresses, never a pod (a maybe for an address)', () => {
    const s = set({ services: [{ namespace: 'default', name: 'myservice', selector: {} }] });
    expect(s.answer(tcp(APP2, MINE, 80))).toBe(NO);
    expect(s.answer(tcp(APP2, ip('192.0.2.10'), 80))).toBe(MAYBE);
  });

  it('k8sServiceSelector over Services whose labels the inventory did not keep: a maybe', () => {
    const s = set({ services: [{ namespace: 'another-namespace', name: 'staged', selector: { app: 'staged' } }] });
    expect(s.answer(tcp(APP2, STAGED, 80))).toBe(MAYBE);
  });
});

describe('ingressDeny / egressDeny override every allow', () => {
  it('the doc example deny-egress-example: allow all, deny role=backend', () => {
    const set = setOf([
      egress({ role: 'frontend' }, [{ toEntities: ['all'] }], {
        egressDeny: [{ toEndpoints: [{ matchLabels: { role: 'backend' } }] }],
      }),
    ]);
    expect(set.allows(tcp(FRONTEND, BACKEND, 5432))).toMatchObject({
      allowed: false,
      detail: 'egress: denied by CiliumNetworkPolicy shop/p0 egressDeny rule 0',
    });
    expect(set.isAllowed({ src: FRONTEND, dst: BACKEND })).toBe(false);
    expect(set.allows(tcp(FRONTEND, PUBLIC, 80)).allowed).toBe(true);
    expect(set.allows(tcp(FRONTEND, INTERNET, 443)).allowed).toBe(true);
  });

  // deny.rst's table: allow L3 from the client and L4 80, 81; a deny of L4 80, then of L3 from the client.
  const CLIENT = pod('shop', { app: 'client' });
  const SERVER = pod('shop', { app: 'server' });
  const allow = {
    endpointSelector: { matchLabels: { app: 'server' } },
    ingress: [
      { fromEndpoints: [{ matchLabels: { app: 'client' } }] },
      {
        toPorts: [
          {
            ports: [
              { port: '80', protocol: 'TCP' },
              { port: '81', protocol: 'TCP' },
            ],
          },
        ],
      },
    ],
  };
  const denyL4 = {
    endpointSelector: { matchLabels: { app: 'server' } },
    ingressDeny: [{ toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] }],
  };
  const denyL3 = {
    endpointSelector: { matchLabels: { app: 'server' } },
    ingressDeny: [{ fromEndpoints: [{ matchLabels: { app: 'client' } }] }],
  };
  const ping: Connection = { src: CLIENT, dst: SERVER, protocol: 'ICMP', port: 0 };
  it.each([
    ['allow only', [allow], [true, true, true]],
    ['with a deny of L4 80/TCP', [allow, denyL4], [true, false, true]],
    ['with a deny of L3 from the client', [allow, denyL3], [false, false, false]],
    ['with both denies', [allow, denyL4, denyL3], [false, false, false]],
    ['a deny alone isolates: nothing allowed', [denyL4], [false, false, false]],
  ] as [string, Spec[], boolean[]][])('deny.rst: %s → curl :81, curl :80, ping', (_n, specs, want) => {
    const set = setOf(specs);
    expect([tcp(CLIENT, SERVER, 81), tcp(CLIENT, SERVER, 80), ping].map((c) => set.allows(c).allowed)).toEqual(want);
  });

  it('a deny with enableDefaultDeny false still denies, and isolates nothing else', () => {
    const set = setOf([
      {
        endpointSelector: { matchLabels: { app: 'server' } },
        enableDefaultDeny: { ingress: false },
        ingressDeny: [{ fromEndpoints: [{ matchLabels: { app: 'client' } }] }],
      },
    ]);
    expect(set.allows(tcp(CLIENT, SERVER, 80)).allowed).toBe(false);
    expect(set.allows(tcp(FRONTEND, SERVER, 80)).allowed).toBe(true);
  });

  it('a Cilium deny overrides a Kubernetes NetworkPolicy allow', () => {
    const set = new NetworkPolicySet(new Map());
    set.add('NetworkPolicy', 'allow-all', 'shop', { podSelector: {}, ingress: [{}] });
    set.add('CiliumNetworkPolicy', 'deny', 'shop', denyL3);
    expect(set.allows(tcp(CLIENT, SERVER, 80)).allowed).toBe(false);
    expect(set.allows(tcp(FRONTEND, SERVER, 80)).allowed).toBe(true);
  });

  it('the doc example external-lockdown: deny from world, allow from all; a private address may be world', () => {
    const set = setOf([
      { endpointSelector: {}, ingressDeny: [{ fromEntities: ['world'] }], ingress: [{ fromEntities: ['all'] }] },
    ]);
    expect(set.allows(tcp(FRONTEND, BACKEND, 80)).allowed).toBe(true);
    expect(set.allows(tcp(NODE, BACKEND, 80)).allowed).toBe(true);
    expect(set.allows(tcp(INTERNET, BACKEND, 80)).allowed).toBe(false);
    const d = set.allows(tcp(PRIVATE, BACKEND, 80));
    expect(d).toMatchObject({ allowed: false, undetermined: true });
    expect(d.detail).toMatch(/ingressDeny rule 0 may deny it/);
  });

  it('rules that each select some of the identities an address may have decide together (it has one of them)', () => {
    // One rule each for world and cluster: a private address is one or the other, so it is allowed (or denied)
    // whichever it is, as one rule of both entities would have it.
    const allowSplit = setOf([egress({ role: 'frontend' }, [{ toEntities: ['world'] }, { toEntities: ['cluster'] }])]);
    expect(allowSplit.answer(tcp(FRONTEND, PRIVATE, 5432))).toBe(YES);
    const a = allowSplit.allows(tcp(FRONTEND, PRIVATE, 5432));
    expect(a.allowed).toBe(true);
    expect(a.detail).toBe(
      'egress: allowed whichever identity 10.20.0.5 has (as world, world-ipv4, kube-apiserver: CiliumNetworkPolicy shop/p0 rule 0; as host, cluster, remote-node, kube-apiserver, unmanaged, health, ingress, init: CiliumNetworkPolicy shop/p0 rule 1); ingress: not a pod',
    );
    const denySplit = setOf([
      egress({ role: 'frontend' }, [{ toEntities: ['all'] }], {
        egressDeny: [{ toEntities: ['world'] }, { toEntities: ['cluster'] }],
      }),
    ]);
    expect(denySplit.answer(tcp(FRONTEND, PRIVATE, 5432))).toBe(NO);
    expect(denySplit.allows(tcp(FRONTEND, PRIVATE, 5432)).allowed).toBe(false);
    // A deny of the world and an allow of the world alone: denied as the world, not allowed as anything else.
    const denyAndAllowWorld = setOf([
      egress({ role: 'frontend' }, [{ toEntities: ['world'] }], { egressDeny: [{ toEntities: ['world'] }] }),
    ]);
    expect(denyAndAllowWorld.answer(tcp(FRONTEND, PRIVATE, 5432))).toBe(NO);
    // Whichever identity decides differently stays a maybe: allowed as the world, not as a node.
    const worldOnly = setOf([egress({ role: 'frontend' }, [{ toEntities: ['world'] }])]);
    expect(worldOnly.answer(tcp(FRONTEND, PRIVATE, 5432))).toBe(MAYBE);
    expect(worldOnly.allows(tcp(FRONTEND, PRIVATE, 5432))).toMatchObject({ allowed: false, undetermined: true });
  });

  it('a deny of some ports leaves the others, and the question "any port?" open', () => {
    const set = setOf([
      egress({ role: 'frontend' }, [{ toEntities: ['cluster'] }], {
        egressDeny: [{ toEndpoints: [{ matchLabels: { role: 'backend' } }], toPorts: [{ ports: [{ port: '5432' }] }] }],
      }),
    ]);
    expect(set.allows(tcp(FRONTEND, BACKEND, 5432)).allowed).toBe(false);
    // No protocol is any protocol (Cilium's ANY).
    expect(set.allows({ src: FRONTEND, dst: BACKEND, protocol: 'UDP', port: 5432 }).allowed).toBe(false);
    expect(set.allows({ src: FRONTEND, dst: BACKEND, protocol: 'UDP', port: 53 }).allowed).toBe(true);
    expect(set.allows(tcp(FRONTEND, BACKEND, 8080)).allowed).toBe(true);
    expect(set.isAllowed({ src: FRONTEND, dst: BACKEND, protocol: 'TCP' })).toBe(true);
  });
});

// verify and diff over a small profile: a frontend, a backend, a node and two addresses.
const EV: FlowEvidence = {
  connections: 1,
  records: 1,
  firstSeen: '2026-11-02T08:00:00.000000Z',
  lastSeen: '2026-11-02T08:00:00.000000Z',
  samples: [{ id: 'f1', time: '2026-11-02T08:00:00.000000Z' }],
};
const workload = (name: string, selector: Record<string, string>): WorkloadInfo => ({
  namespace: 'shop',
  name,
  kind: 'Deployment',
  selector,
  labels: selector,
  ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  hostNetwork: false,
  source: 'inventory',
});
const W = (name: string): Peer => ({ kind: 'workload', namespace: 'shop', name });
const edge = (to: Peer, port: number): NetEdge => ({ from: W('frontend'), to, protocol: 'TCP', port, allowed: EV });
const PROFILE: Profile = {
  apiVersion: PROFILE_API_VERSION,
  kind: 'Profile',
  window: { start: EV.firstSeen, end: EV.lastSeen },
  sources: [],
  skipped: {},
  principals: [],
  workloads: [workload('frontend', { role: 'frontend' }), workload('backend', { role: 'backend' })],
  network: [
    edge({ kind: 'ip', ip: '203.0.113.7' }, 443),
    edge({ kind: 'ip', ip: '10.20.0.5' }, 5432),
    edge({ kind: 'node', ip: '10.0.0.11' }, 10250),
  ],
  namespaces: [{ name: 'shop', labels: {} }],
};
const cnp = (name: string, spec: Spec) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});
const docs = (file: string, objects: unknown[]): PolicyDoc[] =>
  objects.map((object, index) => ({ file, index, object }));

describe('verify: an entity the profile cannot place is undetermined, never allowed', () => {
  it('world: the public address allowed, the private one undetermined, the node denied', () => {
    const { policies } = readNetworkPolicies(
      docs('p.yaml', [cnp('fe', egress({ role: 'frontend' }, [{ toEntities: ['world'] }]))]),
    );
    const report = emptyReport(PROFILE);
    verifyNetpol(PROFILE, policies, report);
    expect(report.byKind['netpol']).toMatchObject({ observed: 3, allowed: 1 });
    expect(report.undetermined.map((f) => f.subject + ' → ' + (f.access as { to: string }).to)).toEqual([
      'shop/frontend → 10.20.0.5',
    ]);
    expect(report.notAllowed.map((f) => (f.access as { to: string }).to)).toEqual(['node 10.0.0.11']);
  });
});

async function diff(base: unknown[], head: unknown[], inventory?: Parameters<typeof diffPolicies>[2]['inventory']) {
  return diffPolicies(loadSide(docs('base.yaml', base)), loadSide(docs('head.yaml', head)), {
    kinds: ['netpol'],
    texts: new Map(),
    ...(inventory ? { inventory } : { profile: PROFILE }),
  });
}
const summaries = (fs: { summary: string }[]) => fs.map((f) => f.summary);

describe('diff: removing or narrowing a deny, or widening an entity, is new access', () => {
  const allowAll = egress({ role: 'frontend' }, [{ toEntities: ['all'] }]);
  const denyBackend = (rule: Spec) => ({ ...allowAll, egressDeny: [rule] });
  const toBackend = { toEndpoints: [{ matchLabels: { role: 'backend' } }] };

  it('a deny removed', async () => {
    const r = await diff([cnp('fe', denyBackend(toBackend))], [cnp('fe', allowAll)]);
    expect(summaries(r.newAccess)).toEqual([
      'shop/frontend → shop/backend SCTP/1-65535',
      'shop/frontend → shop/backend TCP/1-65535',
      'shop/frontend → shop/backend UDP/1-65535',
      'shop/frontend → shop/backend ICMP',
      'shop/frontend → shop/backend ICMPv6',
    ]);
    expect(r.removedAccess).toEqual([]);
  });

  it('a deny narrowed to one port: every other port is new', async () => {
    const narrowed = { ...toBackend, toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] };
    const r = await diff([cnp('fe', denyBackend(toBackend))], [cnp('fe', denyBackend(narrowed))]);
    expect(summaries(r.newAccess).filter((x) => x.includes('TCP'))).toEqual([
      'shop/frontend → shop/backend TCP/1-5431, 5433-65535',
    ]);
  });

  it('world widened to world and cluster: the backend and the node are new, the addresses are not', async () => {
    const world = egress({ role: 'frontend' }, [{ toEntities: ['world'] }]);
    const wider = egress({ role: 'frontend' }, [{ toEntities: ['world', 'cluster'] }]);
    const r = await diff([cnp('fe', world)], [cnp('fe', wider)]);
    const to = new Set(r.newAccess.map((f) => (f.access as { to: string }).to));
    // The pairs, and the rule's new broad peer (diff-broad-peers.test.ts): `world` was there, `cluster` is not.
    expect(to).toEqual(new Set(['shop/backend', '10.0.0.11', 'every pod of every namespace']));
    expect(r.newAccess.find((f) => f.summary.includes('toEntities'))!.summary).toMatch(
      /egress\[0\]: to toEntities cluster /,
    );
    expect(r.removedAccess).toEqual([]);
  });

  it('from the backend to the world: no pod or node is new (world read as any peer)', async () => {
    const toBackend = egress({ role: 'frontend' }, [{ toEndpoints: [{ matchLabels: { role: 'backend' } }] }]);
    const toWorld = egress({ role: 'frontend' }, [{ toEntities: ['world'] }]);
    const r = await diff([cnp('fe', toBackend)], [cnp('fe', toWorld)]);
    const to = new Set(r.newAccess.map((f) => (f.access as { to: string }).to));
    expect(to.has('shop/backend')).toBe(false);
    expect(to.has('10.0.0.11')).toBe(false);
    // The addresses, and the rule's broad peer as written (diff-broad-peers.test.ts).
    expect([...to].sort()).toEqual([expect.stringMatching(/^::\/0 except /), 'outside the cluster']);
    expect(new Set(r.removedAccess.map((f) => (f.access as { to: string }).to))).toEqual(new Set(['shop/backend']));
  });

  it('a deny of the world removed: the private address it may have covered is undetermined', async () => {
    const denyWorld = { ...allowAll, egressDeny: [{ toEntities: ['world'] }] };
    const r = await diff([cnp('fe', denyWorld)], [cnp('fe', allowAll)]);
    // The public addresses were surely denied: new. The private ones may have been world: undetermined.
    const newTo = [...new Set(r.newAccess.map((f) => (f.access as { to: string }).to))];
    expect(newTo).toEqual([expect.stringMatching(/^::\/0 except .*10\.0\.0\.0\/8/)]);
    expect(r.newAccess).toHaveLength(5);
    const unsure = r.undetermined.map((f) => f.summary);
    expect(unsure.length).toBeGreaterThan(0);
    expect(
      unsure.every((x) => /^shop\/frontend → (10|100\.64|127|169\.254|172\.|192\.168|f[cd]|fe80|::1)/.test(x)),
    ).toBe(true);
    expect(r.undetermined[0]!.detail).toMatch(/^base may allow it or not/);
  });

  it('toServices resolved on the inventory: switching Services moves access to the other backends only', async () => {
    const inventory = {
      workloads: [
        workload('frontend', { role: 'frontend' }),
        workload('backend', { role: 'backend' }),
        workload('cache', { role: 'cache' }),
      ],
      namespaces: [{ name: 'shop', labels: {} }],
      services: [
        { namespace: 'shop', name: 'db', selector: { role: 'backend' } },
        { namespace: 'shop', name: 'cache', selector: { role: 'cache' } },
      ],
    };
    const toSvc = (name: string) =>
      cnp('fe', egress({ role: 'frontend' }, [{ toServices: [{ k8sService: { serviceName: name } }] }]));
    const r = await diff([toSvc('db')], [toSvc('cache')], inventory);
    expect(new Set(r.newAccess.map((f) => (f.access as { to: string }).to))).toEqual(new Set(['shop/cache']));
    expect(new Set(r.removedAccess.map((f) => (f.access as { to: string }).to))).toEqual(new Set(['shop/backend']));
  });
});

describe('an entity Cilium does not define', () => {
  it('is an issue naming the file, and selects nothing', () => {
    const spec = egress({ role: 'frontend' }, [{ toEntities: ['world', 'wrold'] }]);
    const { policies, issues } = readNetworkPolicies(docs('p.yaml', [cnp('fe', spec)]));
    expect(issues).toEqual([
      {
        kind: 'issue',
        code: 'policy.cilium-unknown-entity',
        file: 'p.yaml',
        line: 1,
        message:
          'CiliumNetworkPolicy shop/fe (document 1): egress rule 0 toEntities: "wrold" is no Cilium entity; it selects nothing here',
      },
    ]);
    expect(policies).toHaveLength(1);
    const set = setOf([spec]);
    expect(set.answer(tcp(FRONTEND, INTERNET, 443))).toBe(YES);
    expect(set.answer(tcp(FRONTEND, BACKEND, 443))).toBe(NO);
    expect(setOf([egress({ role: 'frontend' }, [{ toEntities: ['none'] }])]).answer(tcp(FRONTEND, INTERNET, 1))).toBe(
      NO,
    );
  });
});
