import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffPolicies, loadSide } from '../src/diff/index.js';
import type { FlowEvidence, NetEdge, Peer, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import type { PolicyDoc } from '../src/policy/load.js';
import { loadInventory } from '../src/inventory/load.js';
import { serializeProfile } from '../src/profile/io.js';
import { NetworkPolicySet, type Connection, type Endpoint, type Tri } from '../src/verify/netpol/evaluate.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';
import { cli, tmp } from './helpers/cli.js';
import { CLIENT_DB_FLOW, clientDbInventory } from './helpers/clientDb.js';

// CiliumNetworkPolicy rules that decide on more than addresses and ports, with policies shaped as the examples of
// Cilium's documentation (security/policy/layer7: "Allow GET /public", the DNS policy and its visibility variant;
// security/policy/language: "Additional Label Requirements"). A flow carries no request, so a connection only an L7
// rule allows is a maybe: `verify` says undetermined, `diff` counts it as possible access. fromRequires/toRequires
// narrow every endpoint selector up to Cilium 1.17 and are gone in 1.19: a peer only they keep out is a maybe too.

const NO: Tri = 0;
const MAYBE: Tri = 1;
const YES: Tri = 2;

type Spec = Record<string, unknown>;
const pod = (labels: Record<string, string>, namespace = 'shop'): Endpoint => ({
  kind: 'pod',
  namespace,
  labels,
  ports: [],
});
const tcp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'TCP', port });
const udp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'UDP', port });
const setOf = (specs: Spec[], dnsNames = new Map<string, string[]>()) => {
  const set = new NetworkPolicySet(new Map(), dnsNames);
  specs.forEach((s, i) => set.add('CiliumNetworkPolicy', `p${i}`, 'shop', s));
  return set;
};
const port80 = (extra: Spec = {}) => ({ ports: [{ port: '80', protocol: 'TCP' }], ...extra });
const getPublic = { http: [{ method: 'GET', path: '/public' }] };

const SERVICE = pod({ app: 'service' });
const PROD = pod({ env: 'prod' });
const DEV = pod({ env: 'dev' });

describe('L7 rules: a port entry with rules allows only the requests they allow', () => {
  // "Allow GET /public": from env=prod to app=service, TCP/80, GET /public only.
  const getPublicFromProd = {
    endpointSelector: { matchLabels: { app: 'service' } },
    ingress: [{ fromEndpoints: [{ matchLabels: { env: 'prod' } }], toPorts: [port80({ rules: getPublic })] }],
  };

  it('the L4 connection on the rule’s port is a maybe; other ports and peers are denied', () => {
    const set = setOf([getPublicFromProd]);
    expect(set.answer(tcp(PROD, SERVICE, 80))).toBe(MAYBE);
    expect(set.answer(tcp(PROD, SERVICE, 81))).toBe(NO);
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(NO);
    expect(set.isAllowed(tcp(PROD, SERVICE, 80))).toBe(true);
  });

  it('allows() says undetermined and names the L7 rule', () => {
    const d = setOf([getPublicFromProd]).allows(tcp(PROD, SERVICE, 80));
    expect(d).toMatchObject({ allowed: false, undetermined: true });
    expect(d.detail).toBe(
      'ingress: CiliumNetworkPolicy shop/p0 rule 0 may allow it (toPorts[0] rules.http: only the requests (or TLS handshakes) they allow pass, and a flow carries none)',
    );
  });

  it('an L3 rule for the same peer makes the L7 rules moot for it, not for others', () => {
    // The same policy with its peer and its port in two rules: env=prod is allowed on every port by the first.
    const split = {
      endpointSelector: { matchLabels: { app: 'service' } },
      ingress: [{ fromEndpoints: [{ matchLabels: { env: 'prod' } }] }, { toPorts: [port80({ rules: getPublic })] }],
    };
    const set = setOf([split]);
    expect(set.answer(tcp(PROD, SERVICE, 80))).toBe(YES);
    expect(set.answer(tcp(PROD, SERVICE, 8080))).toBe(YES);
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(MAYBE);
    expect(set.answer(tcp(DEV, SERVICE, 8080))).toBe(NO);
  });

  it('a plain L4 rule of another policy for the same port wins over the L7 one', () => {
    const l4 = {
      endpointSelector: { matchLabels: { app: 'service' } },
      ingress: [{ fromEndpoints: [{ matchLabels: { env: 'prod' } }], toPorts: [port80()] }],
    };
    expect(setOf([getPublicFromProd, l4]).answer(tcp(PROD, SERVICE, 80))).toBe(YES);
    // Two entries of one rule: the plain one for 80 wins, the L7 one alone decides 8080.
    const twoEntries = {
      endpointSelector: { matchLabels: { app: 'service' } },
      ingress: [
        {
          toPorts: [
            { ports: [{ port: '8080', protocol: 'TCP' }], rules: getPublic },
            { ports: [{ port: '80', protocol: 'TCP' }] },
          ],
        },
      ],
    };
    expect(setOf([twoEntries]).answer(tcp(DEV, SERVICE, 80))).toBe(YES);
    expect(setOf([twoEntries]).answer(tcp(DEV, SERVICE, 8080))).toBe(MAYBE);
  });

  it.each([
    ['no rules (`rules: {}`)', {}, YES],
    ['an empty list (`http: []`)', { http: [] }, YES],
    ['an HTTP rule naming nothing: every request', { http: [{}] }, YES],
    ['an HTTP rule naming a header', { http: [{ headers: ['X-My-Header: true'] }] }, MAYBE],
    ['Kafka by role', { kafka: [{ role: 'produce', topic: 'empire-announce' }] }, MAYBE],
    ['a Kafka rule naming nothing: every message', { kafka: [{}] }, YES],
    ['a proxylib parser (l7proto) with key-value rules', { l7proto: 'r2d2', l7: [{ cmd: 'READ' }] }, MAYBE],
    ['a proxylib parser without rules', { l7proto: 'r2d2' }, MAYBE],
  ])('%s', (_name, rules, want) => {
    const set = setOf([{ endpointSelector: {}, ingress: [{ toPorts: [port80({ rules })] }] }]);
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(want);
  });

  it.each([
    ['serverNames (TLS SNI)', { serverNames: ['api.example.com'] }],
    [
      'a listener of a CiliumEnvoyConfig',
      { listener: { envoyConfig: { kind: 'CiliumEnvoyConfig', name: 'x' }, name: 'l' } },
    ],
    ['terminatingTLS', { terminatingTLS: { secret: { name: 'tls' } } }],
    ['originatingTLS', { originatingTLS: { secret: { name: 'ca' } } }],
  ])('%s restricts beyond L4: a maybe naming it', (_name, extra) => {
    const set = setOf([{ endpointSelector: {}, egress: [{ toPorts: [port80(extra)] }] }]);
    const field = Object.keys(extra)[0]!;
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(MAYBE);
    expect(set.allows(tcp(DEV, SERVICE, 80)).detail).toContain(`toPorts[0] ${field}:`);
  });

  it('mutual authentication required: a maybe', () => {
    const set = setOf([
      { endpointSelector: {}, egress: [{ toPorts: [port80()], authentication: { mode: 'required' } }] },
    ]);
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(MAYBE);
    expect(set.allows(tcp(DEV, SERVICE, 80)).detail).toMatch(/authentication\.mode required/);
  });
});

describe('DNS rules: the DNS proxy answers only the queries they allow', () => {
  const KUBE_DNS = pod({ 'k8s-app': 'kube-dns' }, 'kube-system');
  const ALLIANCE = pod({ org: 'alliance' });
  const toKubeDns = (dns: unknown[]) => ({
    toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
    toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns } }],
  });
  const fqdns = {
    toFQDNs: [{ matchName: 'cilium.io' }, { matchPattern: 'special*service.api.cilium.io' }],
    toPorts: [port80()],
  };
  const names = new Map([
    ['104.198.14.52', ['cilium.io']],
    ['203.0.113.9', ['region1-service.api.cilium.io']],
  ]);

  it('named queries only (the documentation’s DNS policy): a lookup is a maybe, the FQDN peers decided', () => {
    const dns = [{ matchName: 'cilium.io' }, { matchPattern: '*.cilium.io' }, { matchPattern: '*.api.cilium.io' }];
    const set = setOf(
      [{ endpointSelector: { matchLabels: { 'any:org': 'alliance' } }, egress: [toKubeDns(dns), fqdns] }],
      names,
    );
    expect(set.answer(udp(ALLIANCE, KUBE_DNS, 53))).toBe(MAYBE);
    expect(set.answer(tcp(ALLIANCE, KUBE_DNS, 53))).toBe(MAYBE);
    expect(set.allows(udp(ALLIANCE, KUBE_DNS, 53)).detail).toMatch(/toPorts\[0\] rules\.dns: only the requests/);
    expect(set.answer(tcp(ALLIANCE, { kind: 'ip', ip: '104.198.14.52' }, 80))).toBe(YES);
    expect(set.answer(tcp(ALLIANCE, { kind: 'ip', ip: '203.0.113.9' }, 80))).toBe(NO);
    expect(set.answer(udp(ALLIANCE, KUBE_DNS, 5353))).toBe(NO);
  });

  it('matchPattern "*" (the visibility policy, and what generate writes): every query passes', () => {
    const set = setOf([
      { endpointSelector: { matchLabels: { 'any:org': 'alliance' } }, egress: [toKubeDns([{ matchPattern: '*' }])] },
    ]);
    expect(set.answer(udp(ALLIANCE, KUBE_DNS, 53))).toBe(YES);
    expect(set.allows(udp(ALLIANCE, KUBE_DNS, 53)).allowed).toBe(true);
  });
});

const docs = (file: string, objects: unknown[]): PolicyDoc[] =>
  objects.map((object, index) => ({ file, index, object }));
const cnp = (name: string, spec: Spec) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});

describe('deny rules carry no L7 rules', () => {
  const allowAll = { endpointSelector: {}, egress: [{ toEntities: ['all'] }] };

  it('L7 rules in a deny rule are an invalid-netpol issue; the deny of that port is only a maybe', () => {
    const spec = {
      ...allowAll,
      egressDeny: [{ toEndpoints: [{ matchLabels: { app: 'service' } }], toPorts: [port80({ rules: getPublic })] }],
    };
    const { policies, issues } = readNetworkPolicies(docs('deny.yaml', [cnp('deny-l7', spec)]));
    expect(issues).toEqual([
      {
        kind: 'issue',
        code: 'policy.invalid-netpol',
        file: 'deny.yaml',
        line: 1,
        message:
          "CiliumNetworkPolicy shop/deny-l7 (document 1): egressDeny rule 0 toPorts[0]: rules cannot be in a deny rule (Cilium's deny port rules carry ports only; the API server drops or refuses them): read as a deny that may cover its ports",
      },
    ]);
    const set = new NetworkPolicySet(new Map());
    for (const p of policies) set.add(p.kind, p.name, p.namespace, p.spec);
    expect(set.answer(tcp(DEV, SERVICE, 80))).toBe(MAYBE);
    expect(set.allows(tcp(DEV, SERVICE, 80)).detail).toMatch(
      /egressDeny rule 0 may deny it \(toPorts\[0\] has fields a deny rule cannot carry/,
    );
    expect(set.answer(tcp(DEV, SERVICE, 443))).toBe(YES);
    // The same deny without rules denies the port.
    const plain = {
      ...allowAll,
      egressDeny: [{ toEndpoints: [{ matchLabels: { app: 'service' } }], toPorts: [port80()] }],
    };
    expect(setOf([plain]).answer(tcp(DEV, SERVICE, 80))).toBe(NO);
  });

  it('two kinds of L7 rule in one port entry: Cilium rejects the policy, an issue', () => {
    const spec = {
      endpointSelector: {},
      ingress: [{ toPorts: [port80({ rules: { ...getPublic, dns: [{ matchName: 'a.io' }] } })] }],
    };
    const { issues } = readNetworkPolicies(docs('mixed.yaml', [cnp('mixed', spec)]));
    expect(issues.map((i) => [i.code, i.message])).toEqual([
      [
        'policy.invalid-netpol',
        'CiliumNetworkPolicy shop/mixed (document 1): ingress rule 0 toPorts[0]: rules mixes http and dns (Cilium takes one kind of L7 rule per port and rejects the policy)',
      ],
    ]);
  });
});

describe('fromRequires / toRequires: requirements on every endpoint selector of the endpoint’s policies', () => {
  // The documentation's pair: env=prod endpoints require env=prod sources, and a separate policy allows role=frontend.
  const requiresRule = {
    endpointSelector: { matchLabels: { env: 'prod' } },
    ingress: [{ fromRequires: [{ matchLabels: { env: 'prod' } }] }],
  };
  const l3Rule = {
    endpointSelector: { matchLabels: { env: 'prod' } },
    ingress: [{ fromEndpoints: [{ matchLabels: { role: 'frontend' } }] }],
  };
  const DB = pod({ env: 'prod', app: 'db' });

  it('a source with both labels is allowed; one without the required label is a maybe; others are denied', () => {
    const set = setOf([requiresRule, l3Rule]);
    expect(set.answer(tcp(pod({ role: 'frontend', env: 'prod' }), DB, 5432))).toBe(YES);
    expect(set.answer(tcp(pod({ role: 'frontend', env: 'dev' }), DB, 5432))).toBe(MAYBE);
    expect(set.answer(tcp(pod({ role: 'backend', env: 'prod' }), DB, 5432))).toBe(NO);
    const d = set.allows(tcp(pod({ role: 'frontend', env: 'dev' }), DB, 5432));
    expect(d.undetermined).toBe(true);
    expect(d.detail).toMatch(
      /p1 rule 0 may allow it \(fromRequires .* Cilium up to 1\.17 \(deprecated there, removed in 1\.19\)\)/,
    );
  });

  it('the requirement alone allows nothing (and isolates)', () => {
    const set = setOf([requiresRule]);
    expect(set.answer(tcp(pod({ env: 'prod' }), DB, 5432))).toBe(NO);
  });

  it('it narrows endpoint selectors only: a CIDR or entity peer is not affected', () => {
    const cidr = { endpointSelector: { matchLabels: { env: 'prod' } }, ingress: [{ fromCIDR: ['192.0.2.0/24'] }] };
    expect(setOf([requiresRule, cidr]).answer(tcp({ kind: 'ip', ip: '192.0.2.10' }, DB, 5432))).toBe(YES);
  });

  it('toRequires narrows egress the same way', () => {
    const spec = {
      endpointSelector: { matchLabels: { role: 'frontend' } },
      egress: [{ toRequires: [{ matchLabels: { env: 'prod' } }] }, { toEndpoints: [{ matchLabels: { app: 'db' } }] }],
    };
    const FE = pod({ role: 'frontend' });
    expect(setOf([spec]).answer(tcp(FE, DB, 5432))).toBe(YES);
    expect(setOf([spec]).answer(tcp(FE, pod({ app: 'db', env: 'dev' }), 5432))).toBe(MAYBE);
  });

  it('deny rules take the deny rules’ requirements, not the allow rules’', () => {
    const allowAll = { endpointSelector: { matchLabels: { env: 'prod' } }, ingress: [{ fromEntities: ['all'] }] };
    const denyFe = (extra: Spec) => ({
      endpointSelector: { matchLabels: { env: 'prod' } },
      ingressDeny: [{ fromEndpoints: [{ matchLabels: { role: 'frontend' } }], ...extra }],
    });
    const feDev = pod({ role: 'frontend', env: 'dev' });
    // A deny requirement the source misses: the deny may not apply.
    expect(
      setOf([allowAll, denyFe({ fromRequires: [{ matchLabels: { env: 'prod' } }] })]).answer(tcp(feDev, DB, 80)),
    ).toBe(MAYBE);
    // An allow requirement does not narrow the deny.
    expect(
      setOf([
        { ...allowAll, ingress: [{ fromEntities: ['all'] }, { fromRequires: [{ matchLabels: { env: 'prod' } }] }] },
        denyFe({}),
      ]).answer(tcp(feDev, DB, 80)),
    ).toBe(NO);
  });
});

// verify and diff over a small profile: a client and a web server, one observed connection to TCP/80.
const EV: FlowEvidence = {
  connections: 3,
  records: 3,
  firstSeen: '2026-11-02T08:00:00.000000Z',
  lastSeen: '2026-11-02T08:00:00.000000Z',
  samples: [{ id: 'f1', time: '2026-11-02T08:00:00.000000Z' }],
};
const workload = (name: string, labels: Record<string, string>): WorkloadInfo => ({
  namespace: 'shop',
  name,
  kind: 'Deployment',
  selector: labels,
  labels,
  ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  hostNetwork: false,
  source: 'inventory',
});
const W = (name: string): Peer => ({ kind: 'workload', namespace: 'shop', name });
const PROFILE: Profile = {
  apiVersion: PROFILE_API_VERSION,
  kind: 'Profile',
  window: { start: EV.firstSeen, end: EV.lastSeen },
  sources: [],
  skipped: {},
  principals: [],
  workloads: [workload('client', { env: 'prod' }), workload('web', { app: 'service' })],
  network: [{ from: W('client'), to: W('web'), protocol: 'TCP', port: 80, allowed: EV } as NetEdge],
  namespaces: [{ name: 'shop', labels: {} }],
};
const webL7 = cnp('web', {
  endpointSelector: { matchLabels: { app: 'service' } },
  ingress: [{ fromEndpoints: [{ matchLabels: { env: 'prod' } }], toPorts: [port80({ rules: getPublic })] }],
});
const webL4 = cnp('web', {
  endpointSelector: { matchLabels: { app: 'service' } },
  ingress: [{ fromEndpoints: [{ matchLabels: { env: 'prod' } }], toPorts: [port80()] }],
});

describe('verify and diff read L7 rules as a maybe', () => {
  it('verify: the observed connection is undetermined, never allowed nor denied', () => {
    const { policies } = readNetworkPolicies(docs('web.yaml', [webL7]));
    const report = emptyReport(PROFILE);
    verifyNetpol(PROFILE, policies, report);
    expect(report.byKind['netpol']).toMatchObject({ observed: 1, allowed: 0 });
    expect(report.notAllowed).toEqual([]);
    expect(report.undetermined.map((f) => f.detail)).toEqual([
      'ingress: CiliumNetworkPolicy shop/web rule 0 may allow it (toPorts[0] rules.http: only the requests (or TLS handshakes) they allow pass, and a flow carries none)',
    ]);
  });

  const diff = (base: unknown[], head: unknown[]) =>
    diffPolicies(loadSide(docs('base.yaml', base)), loadSide(docs('head.yaml', head)), {
      kinds: ['netpol'],
      texts: new Map(),
      profile: PROFILE,
    });
  const deny = cnp('web', { endpointSelector: { matchLabels: { app: 'service' } }, ingress: [{}] });

  it('diff: an L7 rule where nothing was allowed is possible new access on its port', async () => {
    const r = await diff([deny], [webL7]);
    expect(r.newAccess.map((f) => f.summary)).toEqual(['shop/client → shop/web TCP/80']);
    expect(r.removedAccess).toEqual([]);
  });

  it('diff: an L4 rule narrowed to L7 rules is removed access (HEAD lets only some requests through)', async () => {
    const r = await diff([webL4], [webL7]);
    expect(r.newAccess).toEqual([]);
    expect(r.undetermined).toEqual([]);
    expect(r.removedAccess.map((f) => [f.summary, f.detail])).toEqual([
      [
        'shop/client → shop/web TCP/80',
        'HEAD allows it only under an L7 rule (http) of its own; BASE allows it without one',
      ],
    ]);
  });
});

describe('CLI: verify of a profile against an L7 policy', () => {
  it('reports the connection undetermined and exits as verify does for undetermined (0)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'profile.json'), serializeProfile(PROFILE));
    writeFileSync(join(dir, 'web.json'), JSON.stringify(webL7));
    const r = cli([
      'verify',
      '--policies',
      join(dir, 'web.json'),
      '--profile',
      join(dir, 'profile.json'),
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { notAllowed: unknown[]; undetermined: { detail: string }[]; allowed: number };
    expect(out.notAllowed).toEqual([]);
    expect(out.allowed).toBe(0);
    expect(out.undetermined.map((f) => f.detail)).toEqual([
      expect.stringMatching(/^ingress: CiliumNetworkPolicy shop\/web rule 0 may allow it \(toPorts\[0\] rules\.http/),
    ]);
    // The plain L4 policy allows it: verify passes with the connection allowed.
    writeFileSync(join(dir, 'web.json'), JSON.stringify(webL4));
    const l4 = cli([
      'verify',
      '--policies',
      join(dir, 'web.json'),
      '--profile',
      join(dir, 'profile.json'),
      '--format',
      'json',
    ]);
    expect(l4.code).toBe(0);
    expect(JSON.parse(l4.stdout)).toMatchObject({ allowed: 1, undetermined: [], notAllowed: [] });
  });
});

// toServices in verify and check: the Services of the inventory the logs were read with, as `diff --inventory` has
// them (a profile keeps none). A pod client talks to a pod db behind the Service db (labels tier=data).
const INVENTORY = clientDbInventory({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'db', namespace: 'shop', labels: { tier: 'data' } },
  spec: { selector: { app: 'db' }, clusterIP: '10.96.0.10', ports: [{ port: 5432 }] },
});
const clientTo = (service: Spec) =>
  cnp('client', { endpointSelector: { matchLabels: { app: 'client' } }, egress: [{ toServices: [service] }] });
const BY_NAME = clientTo({ k8sService: { serviceName: 'db', namespace: 'shop' } });
const BY_LABELS = clientTo({ k8sServiceSelector: { selector: { matchLabels: { tier: 'data' } } } });
const BY_OTHER_LABELS = clientTo({ k8sServiceSelector: { selector: { matchLabels: { tier: 'cache' } } } });

describe('toServices in verify: the inventory’s Services, labels included', () => {
  it('the inventory loader keeps a Service’s metadata.labels', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify(INVENTORY));
    const { inventory, issues } = await loadInventory([join(dir, 'inventory.json')], dir);
    expect(issues).toEqual([]);
    expect(inventory.services.map((s) => [s.name, s.selector, s.labels])).toEqual([
      ['db', { app: 'db' }, { tier: 'data' }],
    ]);
  });

  it('verifyNetpol: resolved with the Services, a maybe without', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify(INVENTORY));
    const { inventory } = await loadInventory([join(dir, 'inventory.json')], dir);
    const profile: Profile = {
      ...PROFILE,
      workloads: [workload('client', { app: 'client' }), workload('db', { app: 'db' })],
      network: [{ from: W('client'), to: W('db'), protocol: 'TCP', port: 5432, allowed: EV } as NetEdge],
    };
    const run = (policy: unknown, services?: typeof inventory.services) => {
      const { policies } = readNetworkPolicies(docs('client.yaml', [policy]));
      const report = emptyReport(profile);
      verifyNetpol(profile, policies, report, services ? { services } : {});
      return report;
    };
    for (const policy of [BY_NAME, BY_LABELS]) {
      expect(run(policy, inventory.services)).toMatchObject({ allowed: 1, undetermined: [], notAllowed: [] });
      const without = run(policy);
      expect(without.allowed).toBe(0);
      expect(without.undetermined.map((f) => f.detail)).toEqual([
        'egress: CiliumNetworkPolicy shop/client rule 0 may allow it (toServices: no Services are known (--inventory or --cluster gives them, beside the logs or a profile))',
      ]);
    }
    expect(run(BY_OTHER_LABELS, inventory.services).notAllowed).toHaveLength(1);
    // Services whose labels were not kept: a selection by labels stays a maybe.
    const unlabelled = inventory.services.map(({ labels: _labels, ...s }) => s);
    expect(run(BY_LABELS, unlabelled).undetermined).toHaveLength(1);
  });

  it('CLI: verify and check with --flows and --inventory resolve toServices; without the inventory, undetermined', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'flows.json'), JSON.stringify(CLIENT_DB_FLOW) + '\n');
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify(INVENTORY));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(BY_LABELS));
    const sources = ['--policies', join(dir, 'policy.json'), '--flows', join(dir, 'flows.json'), '--format', 'json'];
    const inv = ['--inventory', join(dir, 'inventory.json')];

    const withInv = cli(['verify', ...sources, ...inv]);
    expect(withInv.code).toBe(0);
    expect(JSON.parse(withInv.stdout)).toMatchObject({ observed: 1, allowed: 1, undetermined: [], notAllowed: [] });
    const without = cli(['verify', ...sources]);
    expect(without.code).toBe(0);
    const w = JSON.parse(without.stdout) as { allowed: number; undetermined: { detail: string }[] };
    expect(w.allowed).toBe(0);
    expect(w.undetermined.map((f) => f.detail)).toEqual([expect.stringMatching(/toServices: no Services are known/)]);

    type Check = { wouldDeny: unknown[]; undetermined?: { summary: string }[] };
    const checked = JSON.parse(cli(['check', ...sources, ...inv]).stdout) as Check;
    expect(checked.wouldDeny).toEqual([]);
    expect(checked.undetermined ?? []).toEqual([]);
    const unchecked = JSON.parse(cli(['check', ...sources]).stdout) as Check;
    expect((unchecked.undetermined ?? []).map((f) => f.summary)).toEqual(['shop/client → shop/db TCP/5432']);
  });
});
