import { describe, expect, it } from 'vitest';
import { pod, readPolicySet, tcp } from './helpers/netpolEval.js';

// A CiliumNetworkPolicy (or clusterwide one) holds its rules in `spec`, in `specs` (a list of rules), or both; each
// rule applies with its own endpointSelector (Cilium's CRD: `Spec *api.Rule`, `Specs api.Rules`; the policy language
// reference's examples write `specs:` for several rules in one object). A policy with `specs` only was refused as
// having no spec, which stopped verify and check on a policy Cilium enforces.

type Spec = Record<string, unknown>;
const WEB = pod('shop', { app: 'web' });
const API = pod('shop', { app: 'api' });
const DB = pod('shop', { app: 'db' });

const API_FROM_WEB: Spec = {
  endpointSelector: { matchLabels: { app: 'api' } },
  ingress: [
    { fromEndpoints: [{ matchLabels: { app: 'web' } }], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] },
  ],
};
const DB_FROM_API: Spec = {
  endpointSelector: { matchLabels: { app: 'db' } },
  ingress: [
    { fromEndpoints: [{ matchLabels: { app: 'api' } }], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] },
  ],
};
const policy = (body: Spec, kind = 'CiliumNetworkPolicy') => ({
  apiVersion: 'cilium.io/v2',
  kind,
  metadata: kind === 'CiliumNetworkPolicy' ? { name: 'shop-rules', namespace: 'shop' } : { name: 'shop-rules' },
  ...body,
});

const read = (objects: unknown[]) => {
  const r = readPolicySet(objects);
  return { ...r, issues: r.issues.map((i) => [i.code, i.message]) };
};

describe('CiliumNetworkPolicy specs', () => {
  it('each rule of specs selects and allows on its own', () => {
    const { set, issues, policies } = read([policy({ specs: [API_FROM_WEB, DB_FROM_API] })]);
    expect(issues).toEqual([]);
    expect(policies.map((p) => p.spec)).toEqual([API_FROM_WEB, DB_FROM_API]);
    expect(set.allows(tcp(WEB, API, 8080)).allowed).toBe(true);
    expect(set.allows(tcp(API, DB, 5432)).allowed).toBe(true);
    // Each selected pod is isolated by its own rule: web may not reach the db, nor api on another port.
    expect(set.allows(tcp(WEB, DB, 5432)).allowed).toBe(false);
    expect(set.allows(tcp(WEB, DB, 5432)).detail).toMatch(/isolated by shop\/shop-rules/);
    expect(set.allows(tcp(WEB, API, 9090)).allowed).toBe(false);
  });

  it('spec and specs together: every rule counts', () => {
    const { set, issues, policies } = read([policy({ spec: API_FROM_WEB, specs: [DB_FROM_API] })]);
    expect(issues).toEqual([]);
    expect(policies).toHaveLength(2);
    expect(set.allows(tcp(WEB, API, 8080)).allowed).toBe(true);
    expect(set.allows(tcp(API, DB, 5432)).allowed).toBe(true);
    expect(set.allows(tcp(WEB, DB, 5432)).allowed).toBe(false);
  });

  it('a clusterwide policy with specs reads the same, without a namespace', () => {
    const { set, issues, policies } = read([policy({ specs: [API_FROM_WEB] }, 'CiliumClusterwideNetworkPolicy')]);
    expect(issues).toEqual([]);
    expect(policies.map((p) => [p.name, p.namespace])).toEqual([['shop-rules', '']]);
    expect(set.allows(tcp(pod('other', { app: 'web' }), API, 8080)).allowed).toBe(true);
  });

  it('a rule of specs that is not one, or specs that is no list, is an issue naming it; the good rules are kept', () => {
    const { issues, policies } = read([
      policy({ specs: [API_FROM_WEB, 'db please'] }),
      policy({ specs: { endpointSelector: {} } }),
      policy({ specs: [] }),
    ]);
    expect(policies.map((p) => p.spec)).toEqual([API_FROM_WEB]);
    expect(issues).toEqual([
      ['policy.invalid-netpol', 'CiliumNetworkPolicy shop/shop-rules (document 1): specs[1] is not a rule; left out'],
      [
        'policy.invalid-netpol',
        'CiliumNetworkPolicy shop/shop-rules (document 2): specs is not a list of rules; left out',
      ],
      [
        'policy.invalid-netpol',
        'CiliumNetworkPolicy needs metadata.name, metadata.namespace and spec or specs (document 2); left out',
      ],
      [
        'policy.invalid-netpol',
        'CiliumNetworkPolicy needs metadata.name, metadata.namespace and spec or specs (document 3); left out',
      ],
    ]);
  });

  it("a rule's own problems name its place in specs", () => {
    const host = { nodeSelector: { matchLabels: { role: 'edge' } }, ingress: [{ fromEntities: ['cluster'] }] };
    const { issues, policies } = read([policy({ specs: [API_FROM_WEB, host] })]);
    expect(policies.map((p) => p.spec)).toEqual([API_FROM_WEB]);
    expect(issues).toEqual([
      [
        'policy.invalid-netpol',
        'CiliumNetworkPolicy shop/shop-rules specs[1] (document 1): a nodeSelector is valid only in a CiliumClusterwideNetworkPolicy; left out',
      ],
    ]);
  });
});
