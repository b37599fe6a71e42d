import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cli, ROOT } from './helpers/cli.js';
import { docsSide, rbacSide, shopCnp } from './helpers/policySides.js';

// Found by test/diff-cilium-trust-property.test.ts: policies written otherwise that allow the same were changes.
// - A CiliumNetworkPolicy broad peer's ports were compared as text: `protocol: ANY` (or none) and the same port for
//   TCP, UDP and SCTP, a port as a string or a number, a range split in two (Cilium, PortProtocol).
// - A CiliumClusterwideNetworkPolicy whose selector names one namespace selects what the same policy namespaced there
//   does (Cilium, "Kubernetes": a clusterwide policy's spec is a CiliumNetworkPolicy's, not namespaced).
// - `toPorts: []` was an L4 rule of no port; Cilium reads the list's length (pkg/policy/rule.go: "No L4 restrictions").
// - A deny of `[world, cluster]` written as two deny rules was new access to every private address: each rule was
//   asked on its own, and each may or may not select an address the inventory cannot place (Cilium gives it one
//   identity, so one of the two does).
// - An aggregationRule was compared as text: `matchLabels` for `In` of one value was a change, and a selector added
//   was new access (right) and also removed access.

type Obj = Record<string, unknown>;
type Out = Record<string, { summary: string }[]>;
function diff(kind: string, base: string, head: string, ...flags: string[]) {
  const r = cli(['diff', base, head, '--kind', kind, '--format', 'json', '--fail-on', 'any', ...flags]);
  const out = JSON.parse(r.stdout) as Out;
  return {
    code: r.code,
    newAccess: out['newAccess']!.map((f) => f.summary),
    removed: out['removedAccess']!.map((f) => f.summary),
  };
}
/**
 * The broad peers among the new access, named by policy and rule: the pairs between the stand-in pods (no workloads
 * given) show the change too, by pair and protocol.
 */
function broadNew(kind: string, base: string, head: string) {
  return diff(kind, base, head).newAccess.filter((s) => /^Cilium(Clusterwide)?NetworkPolicy /.test(s));
}
const WEB = { matchLabels: { app: 'web' } };
const toWorld = (toPorts?: unknown, extra: Obj = {}) => ({
  toEntities: ['world'],
  ...(toPorts === undefined ? {} : { toPorts }),
  ...extra,
});
const cnp = (egress: Obj[], selector: Obj = WEB) => shopCnp('web', { endpointSelector: selector, egress });
const none = { code: 0, newAccess: [], removed: [] };

describe('diff of CiliumNetworkPolicies written otherwise', () => {
  it('a broad peer on ports respelled: ANY or no protocol for each, a string port, a range split, ports over two rules', () => {
    const any443 = cnp([toWorld([{ ports: [{ port: '443', protocol: 'ANY' }] }])]);
    for (const head of [
      cnp([toWorld([{ ports: ['TCP', 'UDP', 'SCTP'].map((protocol) => ({ port: '443', protocol })) }])]),
      cnp([toWorld([{ ports: [{ port: 443 }] }])]),
    ])
      expect(diff('netpol', docsSide([any443]), docsSide([head]))).toEqual(none);
    const range = cnp([toWorld([{ ports: [{ port: '8000', endPort: 8100, protocol: 'TCP' }] }])]);
    const split = cnp([
      toWorld([{ ports: [{ port: '8000', endPort: 8049, protocol: 'TCP' }] }]),
      toWorld([{ ports: [{ port: '8050', endPort: 8100, protocol: 'TCP' }] }]),
    ]);
    expect(diff('netpol', docsSide([range]), docsSide([split]))).toEqual(none);
    // A port beyond, or UDP where BASE had TCP alone, is new; an L7 rule stays compared as written.
    expect(
      broadNew(
        'netpol',
        docsSide([range]),
        docsSide([cnp([toWorld([{ ports: [{ port: '8101', protocol: 'TCP' }] }])])]),
      ),
    ).toHaveLength(1);
    expect(
      broadNew(
        'netpol',
        docsSide([range]),
        docsSide([cnp([toWorld([{ ports: [{ port: '8000', protocol: 'UDP' }] }])])]),
      ),
    ).toHaveLength(1);
  });

  it('a broad peer on ICMP types by number or by name (Cilium, ICMPField.type)', () => {
    const icmp = (type: number | string) =>
      cnp([toWorld(undefined, { icmps: [{ fields: [{ type, family: 'IPv4' }] }] })]);
    expect(diff('netpol', docsSide([icmp(8)]), docsSide([icmp('EchoRequest')]))).toEqual(none);
    expect(diff('netpol', docsSide([icmp(8)]), docsSide([icmp('TimeExceeded')])).newAccess).toHaveLength(1);
  });

  it('a clusterwide policy whose selector names the namespace is the namespaced policy', () => {
    const ccnp = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'web' },
      spec: {
        endpointSelector: { matchLabels: { app: 'web', 'k8s:io.kubernetes.pod.namespace': 'shop' } },
        egress: [toWorld([{ ports: [{ port: '443', protocol: 'TCP' }] }])],
      },
    };
    const namespaced = cnp([toWorld([{ ports: [{ port: '443', protocol: 'TCP' }] }])]);
    expect(diff('netpol', docsSide([namespaced]), docsSide([ccnp]))).toEqual(none);
    expect(diff('netpol', docsSide([ccnp]), docsSide([namespaced]))).toEqual(none);
    // Another namespace named is other pods.
    const payments = {
      ...ccnp,
      spec: {
        ...ccnp.spec,
        endpointSelector: { matchLabels: { app: 'web', 'k8s:io.kubernetes.pod.namespace': 'payments' } },
      },
    };
    expect(broadNew('netpol', docsSide([namespaced]), docsSide([payments]))).toHaveLength(1);
  });

  it("a deny's entities written as one rule each: no change", () => {
    const allowAll = [{ toEntities: ['all'] }];
    const one = cnp(allowAll);
    (one['spec'] as Obj)['egressDeny'] = [{ toEntities: ['world', 'cluster'] }];
    const two = cnp(allowAll);
    (two['spec'] as Obj)['egressDeny'] = [{ toEntities: ['world'] }, { toEntities: ['cluster'] }];
    const flows = ['--inventory', join(ROOT, 'fixtures/demo/inventory')];
    expect(diff('netpol', docsSide([one]), docsSide([two]), ...flows)).toEqual(none);
    expect(diff('netpol', docsSide([two]), docsSide([one]), ...flows)).toEqual(none);
    // One of the two dropped is new access.
    const world = cnp(allowAll);
    (world['spec'] as Obj)['egressDeny'] = [{ toEntities: ['world'] }];
    expect(diff('netpol', docsSide([two]), docsSide([world]), ...flows).newAccess.length).toBeGreaterThan(0);
  });

  it('toPorts: [] is a rule without ports, as Cilium reads it', () => {
    const l3 = cnp([{ toEndpoints: [{ matchLabels: { app: 'cart' } }] }]);
    const empty = cnp([{ toEndpoints: [{ matchLabels: { app: 'cart' } }], toPorts: [] }]);
    expect(
      diff('netpol', docsSide([l3]), docsSide([empty]), '--inventory', join(ROOT, 'fixtures/demo/inventory')),
    ).toEqual(none);
    // A broad peer with an empty list is the broad peer on every port.
    expect(diff('netpol', docsSide([cnp([toWorld()])]), docsSide([cnp([toWorld([])])]))).toEqual(none);
  });
});

describe('diff of aggregationRules by what they gather', () => {
  const aggregated = (selectors: Obj[]) => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'team-view' },
      aggregationRule: { clusterRoleSelectors: selectors },
      rules: [],
    },
  ];
  const labels = { matchLabels: { 'example.com/aggregate-to-team-view': 'true' } };
  const inOfOne = {
    matchExpressions: [{ key: 'example.com/aggregate-to-team-view', operator: 'In', values: ['true'] }],
  };
  const extra = { matchLabels: { 'example.com/team-view-extra': 'true' } };

  it('matchLabels or In of one value: no change', () => {
    expect(diff('rbac', rbacSide(aggregated([labels])), rbacSide(aggregated([inOfOne])))).toEqual(none);
  });

  it('a selector added is new access only; taken away, removed access only', () => {
    const more = diff('rbac', rbacSide(aggregated([labels])), rbacSide(aggregated([labels, extra])));
    expect([more.code, more.newAccess.length, more.removed]).toEqual([1, 1, []]);
    const less = diff('rbac', rbacSide(aggregated([labels, extra])), rbacSide(aggregated([inOfOne])));
    expect([less.code, less.newAccess, less.removed.length]).toEqual([1, [], 1]);
  });

  it('a rule moved between two ClusterRoles feeding it, or a feeder renamed, is no change; a rule added is new, alone', () => {
    const feeder = (name: string, rules: Obj[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { 'example.com/aggregate-to-team-view': 'true' } },
      rules,
    });
    const get = (resource: string) => ({ apiGroups: [''], resources: [resource], verbs: ['get'] });
    const side = (a: string, aRules: Obj[], bRules: Obj[]) =>
      rbacSide([...aggregated([labels]), feeder(a, aRules), feeder('cm-viewer', bRules)]);
    const base = side('pods-viewer', [get('pods'), get('secrets')], [get('configmaps')]);
    expect(diff('rbac', base, side('pods-viewer', [get('pods')], [get('configmaps'), get('secrets')]))).toEqual(none);
    expect(diff('rbac', base, side('pod-reader', [get('pods'), get('secrets')], [get('configmaps')]))).toEqual(none);
    const added = diff(
      'rbac',
      base,
      side('pods-viewer', [get('pods'), get('secrets'), { ...get('services'), verbs: ['list'] }], [get('configmaps')]),
    );
    expect(added.removed).toEqual([]);
    expect(added.newAccess).toEqual(['ClusterRole pods-viewer aggregates into ClusterRole team-view: list services']);
  });
});
