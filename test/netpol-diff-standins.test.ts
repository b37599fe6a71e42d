import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { docsSide, shopCnp } from './helpers/policySides.js';

// `diff` without --profile or --inventory compares NetworkPolicies over stand-in pods made from the policies
// (src/kinds/netpol/standins.ts). Before, one pseudo-pod per podSelector's matchLabels, declaring no ports: a rule on a
// named port matched nothing, a selector of matchExpressions alone stood for no pod, a namespaceSelector by labels
// for no namespace, and a CiliumNetworkPolicy's endpoints for none at all; each of these changes printed OK.

type Obj = Record<string, unknown>;
interface Out {
  newAccess: { summary: string }[];
  removedAccess: { summary: string }[];
}
function diff(base: Obj[], head: Obj[]) {
  const r = cli(['diff', docsSide(base), docsSide(head), '--kind', 'netpol', '--format', 'json', '-q']);
  const out = JSON.parse(r.stdout) as Out;
  return { code: r.code, new: out.newAccess.map((f) => f.summary), removed: out.removedAccess.map((f) => f.summary) };
}
const netpol = (spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'db', namespace: 'shop' },
  spec,
});
const SAME = { code: 0, new: [], removed: [] };

describe('diff of NetworkPolicies without workloads', () => {
  it('a namespaceSelector by labels: a made-up namespace carrying them; a selector of matchExpressions alone', () => {
    const db = (team: string) =>
      netpol({
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'cache'] }] },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team } } }], ports: [{ port: 'pg' }] }],
      });
    expect(diff([db('pay')], [db('pay')])).toEqual(SAME);
    expect(diff([db('pay')], [db('ops')])).toEqual({
      code: 1,
      new: ['[team=ops]/(other pods) → shop/app=db TCP/pg'],
      removed: ['[team=pay]/(other pods) → shop/app=db TCP/pg'],
    });
  });

  it("a CiliumNetworkPolicy's rule to endpoints on a named port taken away is removed access", () => {
    const toDb = { toEndpoints: [{ matchLabels: { app: 'db' } }], toPorts: [{ ports: [{ port: '5432' }] }] };
    const toCart = {
      toEndpoints: [{ matchLabels: { 'k8s:app': 'cart' } }],
      toPorts: [{ ports: [{ port: 'api', protocol: 'TCP' }] }],
    };
    const web = (egress: Obj[]) => shopCnp('web', { endpointSelector: { matchLabels: { app: 'web' } }, egress });
    expect(diff([web([toCart, toDb])], [web([toDb, toCart])])).toEqual(SAME);
    expect(diff([web([toCart, toDb])], [web([toDb])])).toEqual({
      code: 1,
      new: [],
      removed: ['shop/app=web → shop/app=cart TCP/api'],
    });
  });

  it('a named port for the number it may name is a change: which number the pods give it is not known', () => {
    const db = (port: string | number) =>
      netpol({
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port }] }],
      });
    expect(diff([db('pg')], [db(5432)])).toEqual({
      code: 1,
      new: ['shop/app=api → shop/app=db TCP/5432'],
      removed: ['shop/app=api → shop/app=db TCP/pg'],
    });
  });
});
