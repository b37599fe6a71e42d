import { describe, expect, it } from 'vitest';
import { diffPolicies, loadSide } from '../src/diff/index.js';
import type { FlowEvidence, NetEdge, Peer, WorkloadInfo } from '../src/model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../src/model/profile.js';
import type { Endpoint } from '../src/verify/netpol/evaluate.js';
import { readNetworkPolicies, verifyNetpol } from '../src/verify/netpol.js';
import { emptyReport } from '../src/verify/rbac.js';
import { docsOf as docs, pod, readPolicySet, tcp, udp } from './helpers/netpolEval.js';

// CiliumClusterwideNetworkPolicy (Cilium's policy language reference: "CiliumClusterwideNetworkPolicy is similar to
// CiliumNetworkPolicy, except policies are not namespaced and are cluster-scoped, and it enables the use of Node
// Selector"). It was never read: a clusterwide deny or default deny was silently left out of verify, check and diff.
// Its endpointSelector selects pods of every namespace, and a peer selector naming no namespace matches pods of
// every namespace (a namespaced policy's means its own). A host policy (nodeSelector) selects nodes, never pods.

type Spec = Record<string, unknown>;
const WEB = pod('shop', { app: 'web' });
const API = pod('payments', { app: 'api' });
const DNS = pod('kube-system', { 'k8s-app': 'kube-dns' });
const WORLD: Endpoint = { kind: 'ip', ip: '203.0.113.7' };

const ccnp = (name: string, spec: Spec, extra: Spec = {}) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumClusterwideNetworkPolicy',
  metadata: { name, ...extra },
  spec,
});
const cnp = (name: string, namespace: string, spec: Spec) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const setOf = (objects: unknown[]) => readPolicySet(objects);

// The documentation's example: every endpoint of the cluster may reach kube-dns on UDP 53.
const DNS_FROM_ALL = {
  endpointSelector: { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } },
  ingress: [{ fromEndpoints: [{}], toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }] }] }],
};
// The documentation's external lockdown: no endpoint of the cluster takes ingress from outside it.
const LOCKDOWN = {
  endpointSelector: {},
  ingressDeny: [{ fromEntities: ['world'] }],
  ingress: [{ fromEntities: ['all'] }],
};

describe('CiliumClusterwideNetworkPolicy', () => {
  it('is read without a namespace', () => {
    const { policies, issues } = setOf([ccnp('wildcard-from-endpoints', DNS_FROM_ALL)]);
    expect(issues).toEqual([]);
    expect(policies).toEqual([
      { kind: 'CiliumNetworkPolicy', name: 'wildcard-from-endpoints', namespace: '', spec: DNS_FROM_ALL },
    ]);
  });

  it('a peer selector naming no namespace matches pods of every namespace; the rule isolates its endpoints', () => {
    const { set } = setOf([ccnp('wildcard-from-endpoints', DNS_FROM_ALL)]);
    expect(set.allows(udp(WEB, DNS, 53)).allowed).toBe(true);
    expect(set.allows(udp(API, DNS, 53)).allowed).toBe(true);
    expect(set.allows(tcp(WEB, DNS, 8080)).allowed).toBe(false);
    expect(set.allows(tcp(WEB, DNS, 8080)).detail).toMatch(/isolated by wildcard-from-endpoints/);
  });

  it('the same rule namespaced allows its own namespace alone', () => {
    const { set } = setOf([cnp('from-endpoints', 'kube-system', DNS_FROM_ALL)]);
    expect(set.allows(udp(WEB, DNS, 53)).allowed).toBe(false);
    expect(set.allows(udp(pod('kube-system', { app: 'x' }), DNS, 53)).allowed).toBe(true);
  });

  it('an empty endpointSelector selects every pod of every namespace; its deny overrides a namespaced allow', () => {
    const { set } = setOf([
      ccnp('external-lockdown', LOCKDOWN),
      cnp('web-public', 'shop', {
        endpointSelector: { matchLabels: { app: 'web' } },
        ingress: [{ fromEntities: ['world'] }],
      }),
    ]);
    expect(set.allows(tcp(WORLD, WEB, 443)).allowed).toBe(false);
    expect(set.allows(tcp(WORLD, WEB, 443)).detail).toMatch(
      /denied by CiliumClusterwideNetworkPolicy external-lockdown/,
    );
    expect(set.allows(tcp(WORLD, API, 443)).allowed).toBe(false);
    expect(set.allows(tcp(WEB, API, 8080)).allowed).toBe(true);
  });

  it('a host policy (nodeSelector) is read, to be judged on nodes (cilium-host-policy.test.ts); one without a name is left out', () => {
    const host = {
      nodeSelector: { matchLabels: { type: 'ingress-worker' } },
      ingress: [{ fromEntities: ['cluster'] }],
    };
    const { policies, issues } = setOf([ccnp('lock-down-ingress-worker-node', host), ccnp('', DNS_FROM_ALL)]);
    expect(policies.map((p) => [p.kind, p.namespace, p.name])).toEqual([
      ['CiliumNetworkPolicy', '', 'lock-down-ingress-worker-node'],
    ]);
    expect(issues.map((i) => [i.code, i.message])).toEqual([
      [
        'policy.invalid-netpol',
        'CiliumClusterwideNetworkPolicy needs metadata.name and spec or specs (document 2); left out',
      ],
    ]);
  });
});

// verify and diff over a profile of two namespaces.
const EV: FlowEvidence = {
  connections: 1,
  records: 1,
  firstSeen: '2026-11-02T08:00:00.000000Z',
  lastSeen: '2026-11-02T08:00:00.000000Z',
  samples: [{ id: 'f1', time: '2026-11-02T08:00:00.000000Z' }],
};
const workload = (namespace: string, name: string, selector: Record<string, string>): WorkloadInfo => ({
  namespace,
  name,
  kind: 'Deployment',
  selector,
  labels: selector,
  ports: [],
  hostNetwork: false,
  source: 'inventory',
});
const W = (namespace: string, name: string): Peer => ({ kind: 'workload', namespace, name });
const edge = (from: Peer, to: Peer, port: number): NetEdge => ({ from, to, protocol: 'TCP', port, allowed: EV });
const PROFILE: Profile = {
  apiVersion: PROFILE_API_VERSION,
  kind: 'Profile',
  window: { start: EV.firstSeen, end: EV.lastSeen },
  sources: [],
  skipped: {},
  principals: [],
  workloads: [workload('shop', 'web', { app: 'web' }), workload('payments', 'api', { app: 'api' })],
  network: [
    edge(W('shop', 'web'), W('payments', 'api'), 8080),
    edge({ kind: 'ip', ip: '203.0.113.7' }, W('shop', 'web'), 443),
  ],
  namespaces: [
    { name: 'shop', labels: {} },
    { name: 'payments', labels: {} },
  ],
};

describe('verify and diff read clusterwide policies', () => {
  it('verify: the lockdown denies the observed ingress from the internet', () => {
    const { policies } = readNetworkPolicies(docs('p.yaml', [ccnp('external-lockdown', LOCKDOWN)]));
    const report = emptyReport(PROFILE);
    verifyNetpol(PROFILE, policies, report);
    expect(report.byKind['netpol']).toMatchObject({ observed: 2, allowed: 1 });
    expect(report.notAllowed.map((f) => f.subject)).toEqual(['203.0.113.7']);
  });

  it('diff: removing the clusterwide lockdown is new access from the internet to every workload', async () => {
    const r = await diffPolicies(
      loadSide(docs('base.yaml', [ccnp('external-lockdown', LOCKDOWN)])),
      loadSide(docs('head.yaml', [ccnp('allow-all', { endpointSelector: {}, ingress: [{ fromEntities: ['all'] }] })])),
      { kinds: ['netpol'], texts: new Map(), profile: PROFILE },
    );
    const to = new Set(
      r.newAccess
        .filter((f) => /^::\/0 except .*10\.0\.0\.0\/8/.test((f.access as { from: string }).from))
        .map((f) => (f.access as { to: string }).to),
    );
    // The public addresses (the region outside the private ranges), on every protocol, to both workloads.
    expect(to).toEqual(new Set(['shop/web', 'payments/api']));
    expect(r.newAccess).toHaveLength(10);
    expect(r.removedAccess).toEqual([]);
  });
});
