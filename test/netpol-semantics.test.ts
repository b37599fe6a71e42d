import { describe, expect, it } from 'vitest';
import { generateNetpol, type NetpolOptions } from '../src/generate/netpol/index.js';
import type { NetEdge, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import { NetworkPolicySet, type Connection, type Endpoint } from '../src/verify/netpol/evaluate.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';

// Where the evaluator and the generator must follow what Kubernetes and Cilium actually enforce: the API server's
// policyTypes defaulting, Cilium's empty rule lists, named ports and selector keys without a source prefix, and the
// cluster DNS rule on both of its ends.

const pod = (
  namespace: string,
  labels: Record<string, string>,
  ports: { name: string; port: number; protocol: string }[] = [],
): Endpoint => ({ kind: 'pod', namespace, labels, ports });
const ip = (a: string): Endpoint => ({ kind: 'ip', ip: a });
const WEB = pod('shop', { app: 'web' });
const API = pod('shop', { app: 'api' }, [
  { name: 'http', port: 8080, protocol: 'TCP' },
  { name: 'probe', port: 9090, protocol: 'UDP' },
]);
const DB = pod('shop', { app: 'db' }, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
const DNS = pod('kube-system', { 'k8s-app': 'kube-dns' }, [{ name: 'dns', port: 53, protocol: 'UDP' }]);
const PROM = pod('monitoring', { app: 'prom' });

type Pol = { ns: string; spec: Record<string, unknown>; kind?: 'NetworkPolicy' | 'CiliumNetworkPolicy' };
const cnp = (ns: string, spec: Record<string, unknown>): Pol => ({ ns, kind: 'CiliumNetworkPolicy', spec });

function allowed(pols: Pol[], c: Connection): boolean {
  const set = new NetworkPolicySet(new Map());
  pols.forEach((p, i) => set.add(p.kind ?? 'NetworkPolicy', `p${i}`, p.ns, p.spec));
  return set.allows(c).allowed;
}
const tcp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'TCP', port });
const udp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'UDP', port });

const webOnly = { matchLabels: { app: 'web' } };
const toApiHttp = { toEndpoints: [{ matchLabels: { app: 'api' } }], toPorts: [{ ports: [{ port: '8080' }] }] };

type Case = [string, Pol[], Connection, boolean];
const cases: Case[] = [
  // Kubernetes SetDefaults_NetworkPolicy: Ingress always, Egress only when the egress list is not empty.
  [
    'NetworkPolicy: `egress: []` without policyTypes is Ingress only: egress stays open',
    [{ ns: 'shop', spec: { podSelector: webOnly, ingress: [], egress: [] } }],
    tcp(WEB, ip('1.2.3.4'), 443),
    true,
  ],
  [
    'NetworkPolicy: `egress: []` without policyTypes still isolates ingress',
    [{ ns: 'shop', spec: { podSelector: webOnly, ingress: [], egress: [] } }],
    tcp(API, WEB, 8080),
    false,
  ],
  [
    'NetworkPolicy: `egress: []` with policyTypes Egress denies all egress',
    [{ ns: 'shop', spec: { podSelector: webOnly, policyTypes: ['Egress'], egress: [] } }],
    tcp(WEB, ip('1.2.3.4'), 443),
    false,
  ],
  [
    'NetworkPolicy: a non-empty egress list without policyTypes isolates egress',
    [{ ns: 'shop', spec: { podSelector: webOnly, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] } }],
    tcp(WEB, ip('1.2.3.4'), 443),
    false,
  ],
  // Cilium: "If omitted or empty, this rule does not apply at egress"; `[{}]` is the default-deny idiom.
  [
    'Cilium: `egress: []` does not put the endpoint into default deny at egress',
    [cnp('shop', { endpointSelector: webOnly, egress: [] })],
    tcp(WEB, ip('1.2.3.4'), 443),
    true,
  ],
  [
    'Cilium: `ingress: []` does not put the endpoint into default deny at ingress',
    [cnp('shop', { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [] })],
    tcp(WEB, API, 8080),
    true,
  ],
  [
    'Cilium: `egress: [{}]` denies all egress',
    [cnp('shop', { endpointSelector: webOnly, egress: [{}] })],
    tcp(WEB, API, 8080),
    false,
  ],
  [
    'Cilium: `ingress: [{}]` denies all ingress',
    [cnp('shop', { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [{}] })],
    tcp(WEB, API, 8080),
    false,
  ],
  [
    'Cilium: a rule with toPorts and no peer allows that port to any peer',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, ip('1.2.3.4'), 443),
    true,
  ],
  [
    'Cilium: enableDefaultDeny.egress false: rules allow, the rest stays open',
    [cnp('shop', { endpointSelector: webOnly, enableDefaultDeny: { egress: false }, egress: [toApiHttp] })],
    tcp(WEB, ip('1.2.3.4'), 443),
    true,
  ],
  [
    'Cilium: enableDefaultDeny.egress false: its rules still allow where another policy isolates',
    [
      cnp('shop', { endpointSelector: webOnly, enableDefaultDeny: { egress: false }, egress: [toApiHttp] }),
      cnp('shop', { endpointSelector: webOnly, egress: [{}] }),
    ],
    tcp(WEB, API, 8080),
    true,
  ],
  [
    'Cilium: enableDefaultDeny.egress true isolates without rules',
    [cnp('shop', { endpointSelector: webOnly, enableDefaultDeny: { egress: true }, ingress: [{}] })],
    tcp(WEB, ip('1.2.3.4'), 443),
    false,
  ],
  // Cilium: "Port can be an L4 port number, or a name", resolved on the destination's named container ports.
  [
    'Cilium: a named port allows the destination’s port of that name',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, API, 8080),
    true,
  ],
  [
    'Cilium: a named port does not allow another port',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, API, 443),
    false,
  ],
  [
    'Cilium: a named port does not allow a destination that declares no such name',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, DB, 5432),
    false,
  ],
  [
    'Cilium: a named port does not allow an address',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, ip('1.2.3.4'), 8080),
    false,
  ],
  [
    'Cilium: a named port with protocol ANY resolves on any protocol',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'probe', protocol: 'ANY' }] }] }],
      }),
    ],
    udp(WEB, API, 9090),
    true,
  ],
  [
    'Cilium: a named port of another protocol does not resolve',
    [
      cnp('shop', {
        endpointSelector: webOnly,
        egress: [{ toPorts: [{ ports: [{ port: 'probe', protocol: 'TCP' }] }] }],
      }),
    ],
    tcp(WEB, API, 9090),
    false,
  ],
  // Cilium: a key without a source prefix matches a label from any source (its own DNS example).
  [
    'Cilium: toEndpoints with io.kubernetes.pod.namespace and no k8s: prefix',
    [
      cnp('monitoring', {
        endpointSelector: { matchLabels: { app: 'prom' } },
        egress: [
          {
            toEndpoints: [{ matchLabels: { 'io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } }],
            toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }] }],
          },
        ],
      }),
    ],
    udp(PROM, DNS, 53),
    true,
  ],
  [
    'Cilium: the any: source prefix matches a Kubernetes label',
    [
      cnp('kube-system', {
        endpointSelector: { matchLabels: { 'any:k8s-app': 'kube-dns' } },
        ingress: [{ fromEndpoints: [{ matchLabels: { 'any:io.kubernetes.pod.namespace': 'monitoring' } }] }],
      }),
    ],
    udp(PROM, DNS, 53),
    true,
  ],
  [
    'Cilium: a namespace named by matchExpressions is not the policy’s own',
    [
      cnp('kube-system', {
        endpointSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        ingress: [
          {
            fromEndpoints: [
              { matchExpressions: [{ key: 'io.kubernetes.pod.namespace', operator: 'In', values: ['monitoring'] }] },
            ],
          },
        ],
      }),
    ],
    udp(PROM, DNS, 53),
    true,
  ],
  [
    'Cilium: a label of another source never matches a pod',
    [
      cnp('kube-system', {
        endpointSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        ingress: [
          {
            fromEndpoints: [
              { matchLabels: { 'reserved:app': 'prom', 'k8s:io.kubernetes.pod.namespace': 'monitoring' } },
            ],
          },
        ],
      }),
    ],
    udp(PROM, DNS, 53),
    false,
  ],
  // "Some port" (the narrowness count, the diff's first question): a named port a pod does not declare is none.
  [
    'NetworkPolicy: a named port the destination does not declare allows no port at all',
    [{ ns: 'shop', spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 'http' }] }] } }],
    { src: WEB, dst: DB },
    false,
  ],
  [
    'NetworkPolicy: a named port the destination declares allows some port',
    [{ ns: 'shop', spec: { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ ports: [{ port: 'http' }] }] } }],
    { src: WEB, dst: API },
    true,
  ],
  [
    'NetworkPolicy: a named port declared for another protocol allows no port',
    [
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'api' } },
          ingress: [{ ports: [{ port: 'probe', protocol: 'TCP' }] }],
        },
      },
    ],
    { src: WEB, dst: API },
    false,
  ],
  [
    'Cilium: a named toPorts port the destination does not declare allows no port at all',
    [
      cnp('shop', {
        endpointSelector: { matchLabels: { app: 'db' } },
        ingress: [{ fromEndpoints: [webOnly], toPorts: [{ ports: [{ port: 'http' }] }] }],
      }),
    ],
    { src: WEB, dst: DB },
    false,
  ],
  [
    'Cilium: a named toPorts port the destination declares allows some port',
    [
      cnp('shop', {
        endpointSelector: { matchLabels: { app: 'api' } },
        ingress: [{ fromEndpoints: [webOnly], toPorts: [{ ports: [{ port: 'http' }] }] }],
      }),
    ],
    { src: WEB, dst: API },
    true,
  ],
];

describe('NetworkPolicy and CiliumNetworkPolicy semantics', () => {
  it.each(cases)('%s', (_name, pols, conn, want) => {
    expect(allowed(pols, conn)).toBe(want);
  });
});

// A small cluster: Prometheus resolving names through CoreDNS (UDP only seen) and scraping its metrics port.
const EV = {
  connections: 1,
  records: 1,
  firstSeen: '2026-11-02T08:00:00.000000Z',
  lastSeen: '2026-11-02T08:00:00.000000Z',
  samples: [{ id: 'f1', time: '2026-11-02T08:00:00.000000Z' }],
};
const workload = (namespace: string, name: string, selector: Record<string, string>, ports: WorkloadInfo['ports']) => ({
  namespace,
  name,
  kind: 'Deployment',
  selector,
  labels: selector,
  ports,
  hostNetwork: false,
  source: 'inventory' as const,
});
const COREDNS = workload('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, [
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'metrics', port: 9153, protocol: 'TCP' },
]);
const PROMW = workload('monitoring', 'prom', { app: 'prom' }, []);
const edge = (protocol: 'TCP' | 'UDP', port: number): NetEdge => ({
  from: { kind: 'workload', namespace: 'monitoring', name: 'prom' },
  to: { kind: 'workload', namespace: 'kube-system', name: 'coredns' },
  protocol,
  port,
  allowed: EV,
});
const PROFILE: Profile = {
  apiVersion: PROFILE_API_VERSION,
  kind: 'Profile',
  window: { start: EV.firstSeen, end: EV.lastSeen },
  sources: [],
  skipped: {},
  principals: [],
  workloads: [COREDNS, PROMW],
  network: [edge('UDP', 53), edge('TCP', 9153)],
  namespaces: ['kube-system', 'monitoring'].map((name) => ({ name, labels: {} })),
};
const promPod = pod('monitoring', PROMW.labels);
const dnsPod = pod('kube-system', COREDNS.labels, COREDNS.ports);

function generated(opts: NetpolOptions) {
  const r = generateNetpol(PROFILE, opts);
  const docs = r.artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object })));
  const { policies, issues } = readNetworkPolicies(docs);
  expect(issues).toEqual([]);
  const set = new NetworkPolicySet(new Map());
  for (const p of policies) set.add(p.kind, p.name, p.namespace, p.spec);
  const report = emptyReport(PROFILE);
  verifyNetpol(PROFILE, policies, report);
  const spec = (ns: string, name: string) =>
    r.artefacts.find((a) => a.path === `netpol/${ns}/${name}.yaml`)!.objects[0]!['spec'] as Record<string, unknown>;
  return { r, set, report, spec };
}

describe('generate netpol: what the policies say is what Cilium and Kubernetes enforce', () => {
  it('cilium: a direction without rules is written as one empty rule (default deny), never an empty list', () => {
    const { set, spec } = generated({ flavor: 'cilium' });
    // kube-system has no default deny: coredns's own policy is all that keeps its egress and ingress closed.
    expect(spec('kube-system', 'coredns').egress).toEqual([{}]);
    expect(spec('monitoring', 'prom').ingress).toEqual([{}]);
    expect(set.allows({ src: dnsPod, dst: promPod }).allowed).toBe(false);
    expect(set.allows({ src: dnsPod, dst: ip('1.2.3.4') }).allowed).toBe(false);
  });

  it('cilium: the DNS server’s other observed ports stay allowed beside the DNS rule', () => {
    const { report, spec, set } = generated({ flavor: 'cilium' });
    expect(report.notAllowed).toEqual([]);
    expect(report.allowed).toBe(2);
    expect(spec('monitoring', 'prom').egress).toEqual([
      {
        toEndpoints: [{ matchLabels: { 'k8s-app': 'kube-dns', 'k8s:io.kubernetes.pod.namespace': 'kube-system' } }],
        toPorts: [
          { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } },
          { ports: [{ port: 'metrics', protocol: 'TCP' }] },
        ],
      },
    ]);
    // Nothing beyond: the server's other declared ports are not opened.
    expect(
      set.allows(
        tcp(
          promPod,
          pod('kube-system', COREDNS.labels, [...COREDNS.ports, { name: 'x', port: 8080, protocol: 'TCP' }]),
          8080,
        ),
      ).allowed,
    ).toBe(false);
  });

  it.each([['kubernetes'], ['cilium']] as const)(
    '%s: the DNS server admits its clients on UDP and TCP 53, and lists that widening',
    (flavor) => {
      const { r, set } = generated({ flavor });
      expect(set.allows(tcp(promPod, dnsPod, 53)).allowed).toBe(true);
      expect(set.allows(udp(promPod, dnsPod, 53)).allowed).toBe(true);
      const dns = r.widenings.filter((w) => w.option === 'dns');
      const seen = 'TCP/metrics,UDP/dns';
      expect(dns).toEqual([
        {
          workload: 'kube-system/coredns',
          option: 'dns',
          detail: `DNS from monitoring/prom on UDP and TCP 53 (seen: ${seen})`,
        },
        {
          workload: 'monitoring/prom',
          option: 'dns',
          detail: `DNS to kube-system/coredns on UDP and TCP 53 (seen: ${seen})`,
        },
      ]);
      const ev = r.artefacts.find((a) => a.path === 'netpol/kube-system/coredns.yaml')!.evidence!;
      expect(ev['ingress']).toMatchObject([
        {
          peer: 'monitoring/prom',
          ports: ['TCP/dns-tcp', 'TCP/metrics', 'UDP/dns'],
          note: 'cluster DNS: UDP and TCP 53 are both allowed',
        },
      ]);
    },
  );
});
