// A pull request that drops a restriction from a CiliumNetworkPolicy rule widens it: BASE lets client reach db on
// TCP/5432 only for the requests an L7 rule allows (or only past a fromRequires), HEAD lets every connection through.
// `diff` asked BASE whether it covers HEAD's grant, got "maybe" (a flow carries no request), and reported the grant
// as undetermined, which no --fail-on fails on. A maybe of the policy's own restriction is now a difference of access
// (as a removed IAM Condition is: iam-diff-condition-removed.test.ts); one of facts the model lacks stays undetermined.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { docsSide, shopCnp } from './helpers/policySides.js';
import { clientDbInventory } from './helpers/clientDb.js';
import { NetworkPolicySet, type Connection, type Endpoint } from '../src/verify/netpol/evaluate.js';

type Obj = Record<string, unknown>;
interface F {
  summary: string;
  detail?: string;
  access: { from: string; to: string };
  locations: { file: string; line: number }[];
}
type Out = Record<'newAccess' | 'removedAccess' | 'undetermined', F[]>;

const cnp = shopCnp;

const side = docsSide;

function diff(base: Obj[], head: Obj[], failOn = 'any') {
  const inv = join(tmp(), 'inventory.json');
  writeFileSync(inv, JSON.stringify(clientDbInventory()));
  const args = ['diff', side(base), side(head), '--inventory', inv, '--kind', 'netpol', '--format', 'json'];
  const r = cli([...args, '--fail-on', failOn]);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

const words = (list: F[]) => list.map((f) => [f.summary, f.detail]);

const DB = { matchLabels: { app: 'db' } };
const CLIENT = { matchLabels: { app: 'client' } };
const PG = { ports: [{ port: '5432', protocol: 'TCP' }] };
/** db's ingress from client on TCP/5432, the port entry with `extra` (L7 rules, serverNames...). */
const dbFromClient = (extra: Obj = {}, more: Obj[] = []) =>
  cnp('db', { endpointSelector: DB, ingress: [{ fromEndpoints: [CLIENT], toPorts: [{ ...PG, ...extra }] }, ...more] });
const HEALTH = { rules: { http: [{ method: 'GET', path: '/health' }] } };
const PG_LINE = 'shop/client → shop/db TCP/5432';

describe('diff: a restriction of its own one side drops', () => {
  it('HEAD removes the L7 rule: new access naming it, failing --fail-on new-access', () => {
    const r = diff([dbFromClient(HEALTH)], [dbFromClient()], 'new-access');
    expect(r.code).toBe(1);
    expect(words(r.out.newAccess)).toEqual([
      [PG_LINE, 'BASE allows it only under an L7 rule (http) of its own; HEAD allows it without one'],
    ]);
    expect(r.out.undetermined).toEqual([]);
    expect(r.out.removedAccess).toEqual([]);
    // On HEAD's rule, where the change is.
    expect(r.out.newAccess[0]!.locations.map((l) => l.file)).toEqual([expect.stringMatching(/p0\.json$/)]);
  });

  it('HEAD removes a Kafka rule, or serverNames: new access naming each', () => {
    const kafka = { rules: { kafka: [{ role: 'produce', topic: 'orders' }] } };
    expect(words(diff([dbFromClient(kafka)], [dbFromClient()]).out.newAccess)).toEqual([
      [PG_LINE, 'BASE allows it only under an L7 rule (kafka) of its own; HEAD allows it without one'],
    ]);
    const tls = { serverNames: ['db.shop.example'] };
    expect(words(diff([dbFromClient(tls)], [dbFromClient()]).out.newAccess)).toEqual([
      [PG_LINE, 'BASE allows it only under a TLS rule (serverNames) of its own; HEAD allows it without one'],
    ]);
  });

  it('HEAD removes the fromRequires client lacks: new access, failing --fail-on any', () => {
    const requires = [{ fromRequires: [{ matchLabels: { env: 'prod' } }] }];
    const r = diff([dbFromClient({}, requires)], [dbFromClient()]);
    expect(r.code).toBe(1);
    expect(words(r.out.newAccess)).toEqual([
      [PG_LINE, 'BASE allows it only under a fromRequires of its own; HEAD allows it without one'],
    ]);
    expect(r.out.undetermined).toEqual([]);
  });

  it('HEAD adds the L7 rule: removed access, not new', () => {
    const r = diff([dbFromClient()], [dbFromClient(HEALTH)], 'removed-access');
    expect(r.code).toBe(1);
    expect(words(r.out.removedAccess)).toEqual([
      [PG_LINE, 'HEAD allows it only under an L7 rule (http) of its own; BASE allows it without one'],
    ]);
    expect(r.out.newAccess).toEqual([]);
    expect(diff([dbFromClient()], [dbFromClient(HEALTH)], 'new-access').code).toBe(0);
  });

  it('the same L7 rule on both sides: nothing changes', () => {
    const r = diff([dbFromClient(HEALTH)], [dbFromClient(HEALTH)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ newAccess: [], removedAccess: [], undetermined: [] });
  });

  it('a DNS rule passing every query (what generate writes) restricts nothing: dropping it changes nothing', () => {
    const everyName = { rules: { dns: [{ matchPattern: '*' }] } };
    const r = diff([dbFromClient(everyName)], [dbFromClient()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ newAccess: [], removedAccess: [], undetermined: [] });
  });
});

describe('diff: a maybe of facts the model lacks stays undetermined', () => {
  // A private address no pod or node of the inventory has: `world` may hold it (a VPC database) or not (a node,
  // an endpoint of the cluster the inventory does not list). HEAD opens its /16 by address.
  const clientEgress = (rule: Obj) =>
    cnp('client', { endpointSelector: CLIENT, egress: [{ ...rule, toPorts: [{ ports: [{ port: '443' }] }] }] });
  const toWorld = clientEgress({ toEntities: ['world'] });
  const toBlock = clientEgress({ toCIDR: ['10.9.0.0/16'] });
  const inBlock = (f: F) => f.access.to.startsWith('10.9.');

  it('BASE toEntities world, HEAD the private block: undetermined, never new access', () => {
    const r = diff([toWorld], [toBlock], 'new-access');
    expect(r.out.newAccess.filter(inBlock)).toEqual([]);
    const unsure = r.out.undetermined.filter(inBlock);
    expect(unsure.length).toBeGreaterThan(0);
    expect(unsure.map((f) => f.detail)).toEqual(unsure.map(() => expect.stringMatching(/^base may allow it or not: /)));
    expect(r.code).toBe(0);
  });

  it('the entity and an L7 rule together: still undetermined, naming the rule beside the facts', () => {
    const worldHttp = cnp('client', {
      endpointSelector: CLIENT,
      egress: [{ toEntities: ['world'], toPorts: [{ ports: [{ port: '443' }], ...HEALTH }] }],
    });
    const r = diff([worldHttp], [toBlock], 'new-access');
    expect(r.out.newAccess.filter(inBlock)).toEqual([]);
    const unsure = r.out.undetermined.filter(inBlock);
    expect(unsure.length).toBeGreaterThan(0);
    for (const f of unsure)
      expect(f.detail).toMatch(/^base may allow it or not: .*, beside an L7 rule \(http\) of its own$/);
  });
});

describe('NetworkPolicySet.maybeOf: the policy’s own restriction, or facts', () => {
  const pod = (labels: Record<string, string>): Endpoint => ({ kind: 'pod', namespace: 'shop', labels, ports: [] });
  const c: Connection = { src: pod({ app: 'client' }), dst: pod({ app: 'db' }), protocol: 'TCP', port: 5432 };
  const setOf = (kind: 'CiliumNetworkPolicy' | 'NetworkPolicy', specs: Obj[]) => {
    const set = new NetworkPolicySet(new Map());
    specs.forEach((s, i) => set.add(kind, `p${i}`, 'shop', s));
    return set;
  };
  const spec = (ingress: Obj[], more: Obj = {}) => ({ endpointSelector: DB, ingress, ...more });
  const pg = { fromEndpoints: [CLIENT], toPorts: [PG] };

  it('mutual authentication and a toRequires are restrictions of the policy’s own', () => {
    const auth = setOf('CiliumNetworkPolicy', [spec([{ ...pg, authentication: { mode: 'required' } }])]);
    expect(auth.maybeOf(c)).toEqual({
      facts: false,
      restrictions: ['mutual authentication (authentication.mode required)'],
    });
    const toRequires = setOf('CiliumNetworkPolicy', [
      {
        endpointSelector: CLIENT,
        egress: [{ toRequires: [{ matchLabels: { env: 'prod' } }] }, { toEndpoints: [DB] }],
      },
    ]);
    expect(toRequires.maybeOf(c)).toEqual({ facts: false, restrictions: ['a toRequires'] });
  });

  it('a deny rule’s requirement, or an ipBlock that may hold the pods, is a fact the model lacks', () => {
    const deny = setOf('CiliumNetworkPolicy', [
      spec([{ fromEntities: ['all'] }], {
        ingressDeny: [{ fromEndpoints: [CLIENT], fromRequires: [{ matchLabels: { env: 'prod' } }] }],
      }),
    ]);
    expect(deny.answer(c)).toBe(1);
    expect(deny.maybeOf(c)).toEqual({ facts: true, restrictions: [] });
    const block = setOf('NetworkPolicy', [
      { podSelector: DB, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] },
    ]);
    expect(block.answer(c)).toBe(1);
    expect(block.maybeOf(c)).toEqual({ facts: true, restrictions: [] });
  });

  it('verify’s answers are what they were: a maybe, with its reasons', () => {
    const l7 = setOf('CiliumNetworkPolicy', [spec([{ fromEndpoints: [CLIENT], toPorts: [{ ...PG, ...HEALTH }] }])]);
    l7.maybeOf(c);
    expect(l7.answer(c)).toBe(1);
    expect(l7.allows(c)).toMatchObject({ allowed: false, undetermined: true });
    expect(l7.allows(c).detail).toMatch(/toPorts\[0\] rules\.http: only the requests/);
  });
});
