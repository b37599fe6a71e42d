import { describe, expect, it } from 'vitest';
import {
  inCidr,
  NetworkPolicySet,
  selectorMatches,
  type Connection,
  type Endpoint,
} from '../src/verify/netpol/evaluate.js';

// Kubernetes NetworkPolicy semantics, case by case
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
const pod = (
  namespace: string,
  labels: Record<string, string>,
  ports: { name: string; port: number; protocol: string }[] = [],
): Endpoint => ({ kind: 'pod', namespace, labels, ports });
const ip = (a: string): Endpoint => ({ kind: 'ip', ip: a });
const WEB = pod('shop', { app: 'web' }, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
const CART = pod('shop', { app: 'cart' }, [{ name: 'api', port: 8081, protocol: 'TCP' }]);
const PROM = pod('monitoring', { app: 'prometheus' });
const PAY = pod('payments', { app: 'payments-api', tier: 'pci' }, [{ name: 'https', port: 8443, protocol: 'TCP' }]);

type Pol = { ns: string; spec: Record<string, unknown>; kind?: 'NetworkPolicy' | 'CiliumNetworkPolicy' };
const NS_LABELS = new Map<string, Record<string, string>>([
  ['shop', { team: 'shop' }],
  ['monitoring', { team: 'sre' }],
  ['payments', { team: 'payments', pci: 'true' }],
]);

function decide(pols: Pol[], c: Connection, names = new Map<string, string[]>()): boolean {
  const set = new NetworkPolicySet(NS_LABELS, names);
  pols.forEach((p, i) => set.add(p.kind ?? 'NetworkPolicy', `p${i}`, p.ns, p.spec));
  return set.allows(c).allowed;
}

const denyAll = (ns: string): Pol => ({ ns, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
const tcp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'TCP', port });

type Case = [string, Pol[], Connection, boolean];
const cases: Case[] = [
  ['no policy: everything is allowed', [], tcp(WEB, CART, 8081), true],
  [
    'a policy selecting another pod does not isolate this one',
    [{ ns: 'shop', spec: { podSelector: { matchLabels: { app: 'other' } }, policyTypes: ['Ingress'] } }],
    tcp(WEB, CART, 8081),
    true,
  ],
  [
    'default deny of ingress isolates the destination',
    [{ ns: 'shop', spec: { podSelector: {}, policyTypes: ['Ingress'] } }],
    tcp(WEB, CART, 8081),
    false,
  ],
  [
    'policyTypes absent: Ingress only, egress stays open',
    [{ ns: 'shop', spec: { podSelector: { matchLabels: { app: 'web' } } } }],
    tcp(WEB, ip('1.1.1.1'), 443),
    true,
  ],
  [
    'policyTypes absent with egress rules: Egress too',
    [
      {
        ns: 'shop',
        spec: { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] },
      },
    ],
    tcp(WEB, ip('1.1.1.1'), 443),
    false,
  ],
  [
    'egress allowed but ingress denied → denied',
    [
      denyAll('shop'),
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'cart' } } }] }],
        },
      },
    ],
    tcp(WEB, CART, 8081),
    false,
  ],
  [
    'egress and ingress both allowed → allowed',
    [
      denyAll('shop'),
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'cart' } } }] }],
        },
      },
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'cart' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
        },
      },
    ],
    tcp(WEB, CART, 8081),
    true,
  ],
  [
    'a podSelector peer means the policy’s namespace only',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'cart' } } }] }],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    false,
  ],
  [
    'namespaceSelector with podSelector: both must match',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
                  podSelector: { matchLabels: { app: 'cart' } },
                },
              ],
            },
          ],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    true,
  ],
  [
    'namespaceSelector with podSelector: another pod of that namespace is not let in',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
                  podSelector: { matchLabels: { app: 'cart' } },
                },
              ],
            },
          ],
        },
      },
    ],
    tcp(WEB, PAY, 8443),
    false,
  ],
  [
    'namespaceSelector alone: any pod of matching namespaces',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'sre' } } }] }],
        },
      },
    ],
    tcp(PROM, PAY, 9090),
    true,
  ],
  [
    'two peers in one list are ORed (namespace OR pod), not ANDed',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                { namespaceSelector: { matchLabels: { team: 'nobody' } } },
                { podSelector: { matchLabels: { app: 'payments-api' } } },
              ],
            },
          ],
        },
      },
    ],
    tcp(PROM, PAY, 9090),
    false,
  ],
  [
    'matchExpressions In',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['pci', 'x'] }] },
          policyTypes: ['Ingress'],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    false,
  ],
  [
    'matchExpressions NotIn does not select',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['pci'] }] },
          policyTypes: ['Ingress'],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    true,
  ],
  [
    'matchExpressions DoesNotExist does not select a labelled pod',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
          policyTypes: ['Ingress'],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    true,
  ],
  [
    'a namespace selector on namespace labels (matchExpressions Exists)',
    [
      {
        ns: 'payments',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'pci', operator: 'Exists' }] } }] }],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    false,
  ],
  [
    'an empty from admits everyone',
    [{ ns: 'shop', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } }],
    tcp(ip('203.0.113.9'), WEB, 8080),
    true,
  ],
  [
    'an empty ingress list admits no one',
    [{ ns: 'shop', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] } }],
    tcp(ip('203.0.113.9'), WEB, 8080),
    false,
  ],
  [
    'ipBlock admits an address inside',
    [
      {
        ns: 'shop',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] }],
        },
      },
    ],
    tcp(ip('10.0.0.50'), WEB, 8080),
    true,
  ],
  [
    'ipBlock except carves a hole',
    [
      {
        ns: 'shop',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24', except: ['10.0.0.48/29'] } }] }],
        },
      },
    ],
    tcp(ip('10.0.0.50'), WEB, 8080),
    false,
  ],
  [
    'ipBlock IPv6',
    [
      {
        ns: 'shop',
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '2600:1f18::/32' } }] }] },
      },
    ],
    tcp(WEB, ip('2600:1f18:abcd::1'), 443),
    true,
  ],
  [
    'ports: the protocol defaults to TCP',
    [{ ns: 'shop', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] } }],
    { src: ip('10.0.0.50'), dst: WEB, protocol: 'UDP', port: 8080 },
    false,
  ],
  [
    'ports: a named port resolves on the destination pod',
    [
      {
        ns: 'shop',
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }] },
      },
    ],
    tcp(ip('10.0.0.50'), WEB, 8080),
    true,
  ],
  [
    'ports: a name the destination does not declare matches nothing',
    [
      {
        ns: 'shop',
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }] },
      },
    ],
    tcp(ip('10.0.0.50'), CART, 8081),
    false,
  ],
  [
    'ports: endPort makes a range',
    [
      {
        ns: 'shop',
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
        },
      },
    ],
    tcp(WEB, ip('1.1.1.1'), 32500),
    true,
  ],
  [
    'ports: outside the range',
    [
      {
        ns: 'shop',
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
        },
      },
    ],
    tcp(WEB, ip('1.1.1.1'), 32769),
    false,
  ],
  [
    'policies add up: any allowing rule suffices',
    [
      { ns: 'shop', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 9999 }] }] } },
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Ingress'],
          ingress: [{ ports: [{ port: 8080 }] }],
        },
      },
    ],
    tcp(ip('10.0.0.50'), WEB, 8080),
    true,
  ],
  [
    'a policy in another namespace never selects',
    [{ ns: 'payments', spec: { podSelector: {}, policyTypes: ['Ingress'] } }],
    tcp(ip('10.0.0.50'), WEB, 8080),
    true,
  ],
  [
    'ICMP is not a NetworkPolicy protocol: a ports list excludes it',
    [
      {
        ns: 'shop',
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }] },
      },
    ],
    { src: WEB, dst: ip('1.1.1.1'), protocol: 'ICMP', port: 0 },
    false,
  ],
  [
    'Cilium: toFQDNs by the names seen for the address',
    [
      {
        ns: 'payments',
        kind: 'CiliumNetworkPolicy',
        spec: {
          endpointSelector: { matchLabels: { app: 'payments-api' } },
          egress: [
            { toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
          ],
        },
      },
    ],
    tcp(PAY, ip('54.187.174.169'), 443),
    true,
  ],
  [
    'Cilium: toFQDNs does not admit an unnamed address',
    [
      {
        ns: 'payments',
        kind: 'CiliumNetworkPolicy',
        spec: {
          endpointSelector: { matchLabels: { app: 'payments-api' } },
          egress: [{ toFQDNs: [{ matchName: 'api.stripe.com' }] }],
        },
      },
    ],
    tcp(PAY, ip('54.187.216.99'), 443),
    false,
  ],
  [
    'Cilium: fromEndpoints with the namespace label',
    [
      {
        ns: 'payments',
        kind: 'CiliumNetworkPolicy',
        spec: {
          endpointSelector: { matchLabels: { app: 'payments-api' } },
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { app: 'cart', 'k8s:io.kubernetes.pod.namespace': 'shop' } }],
              toPorts: [{ ports: [{ port: '8443', protocol: 'TCP' }] }],
            },
          ],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    true,
  ],
  [
    'Cilium: fromEndpoints without a namespace means the policy’s own',
    [
      {
        ns: 'payments',
        kind: 'CiliumNetworkPolicy',
        spec: {
          endpointSelector: { matchLabels: { app: 'payments-api' } },
          ingress: [{ fromEndpoints: [{ matchLabels: { app: 'cart' } }] }],
        },
      },
    ],
    tcp(CART, PAY, 8443),
    false,
  ],
  [
    'Cilium: icmps allow ICMP',
    [
      {
        ns: 'shop',
        kind: 'CiliumNetworkPolicy',
        spec: {
          endpointSelector: {},
          egress: [{ toCIDR: ['1.1.1.1/32'], icmps: [{ fields: [{ type: 8, family: 'IPv4' }] }] }],
        },
      },
    ],
    { src: WEB, dst: ip('1.1.1.1'), protocol: 'ICMP', port: 0 },
    true,
  ],
];

describe('NetworkPolicy evaluator', () => {
  it.each(cases)('%s', (_name, pols, conn, want) => {
    expect(decide(pols, conn, new Map([['54.187.174.169', ['api.stripe.com']]]))).toBe(want);
  });

  it('answers "anything at all?" when no protocol or port is asked', () => {
    const pols: Pol[] = [
      denyAll('shop'),
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'cart' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8081 }] }],
        },
      },
      {
        ns: 'shop',
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'cart' } } }] }],
        },
      },
    ];
    expect(decide(pols, { src: WEB, dst: CART })).toBe(true);
    expect(decide(pols, { src: CART, dst: WEB })).toBe(false);
  });

  it.each([
    ['10.0.0.50', '10.0.0.0/24', true],
    ['10.0.1.50', '10.0.0.0/24', false],
    ['10.0.0.50', '10.0.0.50/32', true],
    ['0.0.0.0', '0.0.0.0/0', true],
    ['2600:1f18::1', '2600:1f18::/32', true],
    ['2600:1f19::1', '2600:1f18::/32', false],
    ['10.0.0.50', '2600:1f18::/32', false],
    ['not-an-ip', '10.0.0.0/8', false],
  ])('inCidr(%s, %s) = %s', (a, cidr, want) => {
    expect(inCidr(a, cidr)).toBe(want);
  });

  it('an empty selector matches everything, a malformed expression nothing', () => {
    expect(selectorMatches({}, { a: 'b' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Sometimes' }] }, { a: 'b' })).toBe(false);
  });
});
