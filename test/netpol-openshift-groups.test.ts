// OpenShift's policy groups (OpenShift 4.6/4.7 release notes, "About network policy"): namespace labels no namespace
// carries, which OVN-Kubernetes matches in a namespaceSelector. `policy-group.network.openshift.io/ingress` selects the
// Ingress Controller's traffic (its router pods in openshift-ingress, or its node's address when the router runs on
// the host network); `policy-group.network.openshift.io/host-network` the host network's. The documentation's own
// `allow-from-openshift-ingress` policy was judged to deny the router before.
import { describe, expect, it } from 'vitest';
import { NetworkPolicySet, type Connection, type Endpoint } from '../src/verify/netpol/evaluate.js';

const WEB: Endpoint = { kind: 'pod', namespace: 'shop', labels: { app: 'web' }, ports: [] };
const ROUTER: Endpoint = {
  kind: 'pod',
  namespace: 'openshift-ingress',
  labels: { 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller': 'default' },
  ports: [],
};
const MONITOR: Endpoint = { kind: 'pod', namespace: 'openshift-monitoring', labels: { app: 'prometheus' }, ports: [] };
const NODE: Endpoint = { kind: 'ip', ip: '10.0.1.23', node: true };
const OUTSIDE: Endpoint = { kind: 'ip', ip: '203.0.113.9' };
const NS = new Map(['shop', 'openshift-ingress', 'openshift-monitoring'].map((n) => [n, {}]));

const from = (peer: Record<string, unknown>) => ({
  podSelector: {},
  policyTypes: ['Ingress'],
  ingress: [{ from: [peer] }],
});
const INGRESS_GROUP = { namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } };
const HOST_GROUP = { namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/host-network': '' } } };

function answer(spec: Record<string, unknown>, src: Endpoint): { allowed: boolean; undetermined?: boolean } {
  const set = new NetworkPolicySet(NS);
  set.add('NetworkPolicy', 'p', 'shop', spec);
  const c: Connection = { src, dst: WEB, protocol: 'TCP', port: 8080 };
  const { allowed, undetermined } = set.allows(c);
  return undetermined ? { allowed, undetermined } : { allowed };
}

describe("OpenShift's policy groups in a namespaceSelector", () => {
  it.each([
    ['allow-from-openshift-ingress: the router pods', INGRESS_GROUP, ROUTER, { allowed: true }],
    ['allow-from-openshift-ingress: another namespace', INGRESS_GROUP, MONITOR, { allowed: false }],
    [
      'allow-from-openshift-ingress: a node (a router on the host network, or not)',
      INGRESS_GROUP,
      NODE,
      { allowed: false, undetermined: true },
    ],
    ['allow-from-openshift-ingress: an address outside', INGRESS_GROUP, OUTSIDE, { allowed: false }],
    ['allow-from-hostnetwork: a node', HOST_GROUP, NODE, { allowed: true }],
    ['allow-from-hostnetwork: a pod', HOST_GROUP, MONITOR, { allowed: false }],
    ['allow-from-hostnetwork: an address outside', HOST_GROUP, OUTSIDE, { allowed: false }],
    ['namespaceSelector {} is every pod, not the host network', { namespaceSelector: {} }, NODE, { allowed: false }],
    [
      'the group with a podSelector naming labels: pods only',
      { ...HOST_GROUP, podSelector: { matchLabels: { app: 'x' } } },
      NODE,
      { allowed: false },
    ],
  ])('%s', (_what, peer, src, expected) => {
    expect(answer(from(peer), src)).toEqual(expected);
  });

  it('a long peer list (read through its index) says the same', () => {
    const peers = [
      ...Array.from({ length: 10 }, (_, i) => ({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `team-${i}` } },
      })),
      HOST_GROUP,
    ];
    const spec = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: peers }] };
    expect(answer(spec, NODE)).toEqual({ allowed: true });
    expect(answer(spec, MONITOR)).toEqual({ allowed: false });
  });
});
