// `diff` of NetworkPolicies names a broad peer HEAD adds as a risk of its own: the pairs it lists are between the
// endpoints it knows (here stand-in pods made from the policies), so a pull request opening a database to every
// namespace or to 0.0.0.0/0 showed no new pair, or one pair of the risk of an address, and passed `--fail-on risky`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { docsSide, shopCnp } from './helpers/policySides.js';

type Obj = Record<string, unknown>;
interface Finding {
  summary: string;
  principal: string;
  access: Obj;
  risk?: { level: string; reasons: string[] };
  locations: { file: string; line: number }[];
}
interface Out {
  newAccess: Finding[];
  removedAccess: Finding[];
}

const netpol = (name: string, spec: Obj, namespace = 'shop'): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const cnp = shopCnp;
const ccnp = (name: string, spec: Obj): Obj => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumClusterwideNetworkPolicy',
  metadata: { name },
  spec,
});

const side = docsSide;

function diff(base: Obj[], head: Obj[], failOn = 'risky') {
  const r = cli(['diff', side(base), side(head), '--kind', 'netpol', '--format', 'json', '--fail-on', failOn]);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, stdout: r.stdout, out: JSON.parse(r.stdout) as Out };
}

/** The broad-peer findings (a summary naming the policy and the rule) as [summary, level, reasons]. */
const broad = (list: Finding[]) =>
  list.filter((f) => /Policy \S+ (ingress|egress)\[\d+\]: /.test(f.summary)).map((f) => [f.summary, f.risk?.level]);

const DB = { matchLabels: { app: 'db' } };
const FROM_API = { podSelector: { matchLabels: { app: 'api' } } };
const PG = [{ protocol: 'TCP', port: 5432 }];
/** db's ingress: the peers given beside api's, on 5432. */
const db = (extra: Obj[], name = 'db') =>
  netpol(name, { podSelector: DB, policyTypes: ['Ingress'], ingress: [{ from: [FROM_API, ...extra], ports: PG }] });

describe('diff: a broad peer HEAD adds is a risk of its own', () => {
  it('ingress from any namespace (namespaceSelector: {}): medium, named by policy, rule and peer; fails --fail-on risky', () => {
    const r = diff([db([])], [db([{ namespaceSelector: {} }])]);
    expect(r.code).toBe(1);
    const f = r.out.newAccess.find((x) => x.summary.startsWith('NetworkPolicy shop/db'))!;
    expect(f).toMatchObject({
      summary: 'NetworkPolicy shop/db ingress[0]: from namespaceSelector: {} on TCP/5432 (pods app=db in shop)',
      principal: 'every pod of every namespace',
      access: { from: 'every pod of every namespace', to: 'pods app=db in shop', protocol: 'TCP', ports: ['TCP/5432'] },
      risk: {
        level: 'medium',
        reasons: [
          'ingress from every pod of every namespace: NetworkPolicy shop/db, ingress[0], peer namespaceSelector: {}',
        ],
      },
    });
    // Located on HEAD's file, at the policy's name.
    const [at] = f.locations;
    const lines = readFileSync(at!.file, 'utf8').split('\n');
    expect(lines[at!.line - 1]).toContain('"name": "db"');
    // Without the broad peer's finding nothing would have failed --fail-on risky: the stand-in pods show the new pair
    // from the namespace's other pods, which carries no risk.
    expect(r.out.newAccess.filter((x) => x !== f).map((x) => [x.summary, x.risk])).toEqual([
      ['shop/(other pods) → shop/app=db TCP/5432', undefined],
    ]);
    // --fail-on any and new-access fail as well; removed-access does not.
    expect(diff([db([])], [db([{ namespaceSelector: {} }])], 'any').code).toBe(1);
    expect(diff([db([])], [db([{ namespaceSelector: {} }])], 'removed-access').code).toBe(0);
  });

  it('any pod of any namespace (podSelector: {} with namespaceSelector: {}) is the same breadth', () => {
    const r = diff([db([])], [db([{ namespaceSelector: {}, podSelector: {} }])]);
    expect(r.code).toBe(1);
    expect(broad(r.out.newAccess)).toEqual([
      [
        'NetworkPolicy shop/db ingress[0]: from namespaceSelector: {}, podSelector: {} on TCP/5432 (pods app=db in shop)',
        'medium',
      ],
    ]);
  });

  it('ingress from everywhere: an ipBlock of a whole family, or a rule with no from; high', () => {
    const r = diff(
      [db([])],
      [
        db([
          { ipBlock: { cidr: '0.0.0.0/0', except: ['192.168.0.0/16', '10.0.0.0/8'] } },
          { ipBlock: { cidr: '::/0' } },
        ]),
        netpol('web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 443 }] }] }),
      ],
    );
    expect(r.code).toBe(1);
    expect(broad(r.out.newAccess)).toEqual([
      [
        'NetworkPolicy shop/db ingress[0]: from ipBlock 0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16 on TCP/5432 (pods app=db in shop)',
        'high',
      ],
      ['NetworkPolicy shop/db ingress[0]: from ipBlock ::/0 on TCP/5432 (pods app=db in shop)', 'high'],
      [
        'NetworkPolicy shop/web ingress[0]: from any source (a rule without from) on TCP/443 (pods app=web in shop)',
        'high',
      ],
    ]);
    const web = r.out.newAccess.find((f) => f.summary.startsWith('NetworkPolicy shop/web'))!;
    expect(web.risk!.reasons).toEqual([
      'ingress from everything: NetworkPolicy shop/web, ingress[0], peer any source (a rule without from)',
    ]);
  });

  it('egress to everything (egress: [{}]) is high; an egress rule the policy does not enforce is nothing', () => {
    const open = netpol('web', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] });
    const r = diff([db([])], [db([]), open]);
    expect(r.code).toBe(1);
    expect(broad(r.out.newAccess)).toEqual([
      [
        'NetworkPolicy shop/web egress[0]: to any destination (a rule without to) on every port (every pod in shop)',
        'high',
      ],
    ]);
    // policyTypes without Egress: its egress rules are not read (the API server's meaning), so nothing is opened.
    const ingressOnly = netpol('web', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [FROM_API] }],
      egress: [{}],
    });
    expect(broad(diff([db([])], [db([]), ingressOnly]).out.newAccess)).toEqual([]);
  });

  it('podSelector: {} alone (every pod of the policy namespace) is not broad', () => {
    const r = diff([db([])], [db([{ podSelector: {} }])], 'any');
    expect(broad(r.out.newAccess)).toEqual([]);
  });

  it('a broad rule on both sides is not new: renamed policy, reordered keys and excepts, rules moved', () => {
    const wide = { namespaceSelector: {} };
    const block = { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12'] } };
    const base = [db([wide, block])];
    const head = [
      netpol('database-renamed', {
        ingress: [
          {
            ports: PG,
            from: [{ ipBlock: { except: ['172.16.0.0/12', '10.0.0.0/8'], cidr: '0.0.0.0/0' } }, wide, FROM_API],
          },
        ],
        policyTypes: ['Ingress'],
        podSelector: DB,
      }),
    ];
    const r = diff(base, head, 'risky');
    expect(r.code).toBe(0);
    expect(r.out.newAccess).toEqual([]);
    expect(diff(base, head, 'any').code).toBe(0);
  });

  it('the same peer with no port restriction on BASE covers it on HEAD on some ports; not the reverse', () => {
    const all = netpol('db', { podSelector: DB, ingress: [{ from: [{ namespaceSelector: {} }] }] });
    const some = netpol('db', { podSelector: DB, ingress: [{ from: [{ namespaceSelector: {} }], ports: PG }] });
    expect(broad(diff([all], [some]).out.newAccess)).toEqual([]);
    expect(broad(diff([some], [all]).out.newAccess)).toEqual([
      ['NetworkPolicy shop/db ingress[0]: from namespaceSelector: {} on every port (pods app=db in shop)', 'medium'],
    ]);
  });

  // Found by test/diff-property.test.ts: broad peers were keyed by their selector and ports as written.
  it('the same pods and ports written otherwise are not new: protocol left to its default, matchExpressions, a range', () => {
    const open = (podSelector: Obj, ports: Obj[], name = 'db') =>
      netpol(name, { podSelector, policyTypes: ['Ingress'], ingress: [{ ports }] });
    const base = [
      open(DB, PG),
      open({ matchLabels: { app: 'web' } }, [{ protocol: 'TCP', port: 8000, endPort: 8100 }], 'web'),
    ];
    const head = [
      open({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, [{ port: 5432 }]),
      open(
        { matchLabels: { app: 'web' } },
        [
          { port: 8000, endPort: 8049 },
          { port: 8050, endPort: 8100 },
        ],
        'web',
      ),
    ];
    const r = diff(base, head, 'any');
    expect(r.out.newAccess).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('one policy over two apps split into one per app is not new; widening the selector or the ports is', () => {
    const open = (podSelector: Obj, ports: Obj[], name: string) =>
      netpol(name, { podSelector, policyTypes: ['Egress'], egress: [{ ports }] });
    const both = { matchExpressions: [{ key: 'app', operator: 'In', values: ['cart', 'db'] }] };
    const cart = { matchLabels: { app: 'cart' } };
    const tls = [{ protocol: 'TCP', port: 443 }];
    const base = [open(both, tls, 'egress')];
    expect(
      broad(diff(base, [open(cart, tls, 'cart'), open({ matchLabels: { app: 'db' } }, tls, 'db')]).out.newAccess),
    ).toEqual([]);
    // A third app is more pods.
    const three = { matchExpressions: [{ key: 'app', operator: 'In', values: ['cart', 'db', 'web'] }] };
    expect(broad(diff(base, [open(three, tls, 'egress')]).out.newAccess)).toEqual([
      [
        'NetworkPolicy shop/egress egress[0]: to any destination (a rule without to) on TCP/443 (pods app In (cart, db, web) in shop)',
        'high',
      ],
    ]);
    // So is every pod but one, a port beyond BASE's, and a named port for BASE's number (the pods' ports decide).
    const notWeb = { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] };
    expect(broad(diff(base, [open(notWeb, tls, 'egress')]).out.newAccess)).toHaveLength(1);
    expect(broad(diff(base, [open(cart, [{ port: 443, endPort: 444 }], 'cart')]).out.newAccess)).toHaveLength(1);
    expect(broad(diff(base, [open(cart, [{ port: 'https' }], 'cart')]).out.newAccess)).toHaveLength(1);
    // UDP is another protocol.
    expect(broad(diff(base, [open(cart, [{ protocol: 'UDP', port: 443 }], 'cart')]).out.newAccess)).toHaveLength(1);
  });

  it('a broad peer HEAD drops is not listed as a broad change: removed access stays the pairs', () => {
    const r = diff([db([{ ipBlock: { cidr: '0.0.0.0/0' } }])], [db([])], 'removed-access');
    expect(r.code).toBe(1);
    expect(broad(r.out.removedAccess)).toEqual([]);
    // The namespace's other pods: the block may hold their addresses (no network plugin given).
    expect(r.out.removedAccess.map((f) => f.summary)).toEqual([
      '0.0.0.0/0 → shop/app=db TCP/5432',
      'shop/(other pods) → shop/app=db TCP/5432',
    ]);
    expect(r.out.newAccess).toEqual([]);
  });

  it('Cilium: world and all entities, whole-family CIDRs and a ports-only rule are high; cluster is medium', () => {
    const fe = { matchLabels: { app: 'fe' } };
    const head = [
      cnp('fe-in', {
        endpointSelector: fe,
        ingress: [{ fromEntities: ['world'] }, { fromEntities: ['cluster'] }],
      }),
      cnp('fe-out', {
        endpointSelector: fe,
        egress: [
          { toEntities: ['all'] },
          { toCIDR: ['0.0.0.0/0'] },
          { toCIDRSet: [{ cidr: '::/0' }] },
          { toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }] }] },
          { toEndpoints: [{}] },
        ],
      }),
    ];
    const base = [
      cnp('fe-in', { endpointSelector: fe, ingress: [{ fromEndpoints: [{ matchLabels: { app: 'lb' } }] }] }),
    ];
    const r = diff(base, head);
    expect(r.code).toBe(1);
    expect(broad(r.out.newAccess)).toEqual([
      [
        'CiliumNetworkPolicy shop/fe-in ingress[0]: from fromEntities world on every port (pods app=fe in shop)',
        'high',
      ],
      ['CiliumNetworkPolicy shop/fe-out egress[0]: to toEntities all on every port (pods app=fe in shop)', 'high'],
      ['CiliumNetworkPolicy shop/fe-out egress[1]: to toCIDR 0.0.0.0/0 on every port (pods app=fe in shop)', 'high'],
      ['CiliumNetworkPolicy shop/fe-out egress[2]: to toCIDRSet ::/0 on every port (pods app=fe in shop)', 'high'],
      [
        'CiliumNetworkPolicy shop/fe-out egress[3]: to any peer (a rule of ports without to* peers) on UDP/53 (pods app=fe in shop)',
        'high',
      ],
      [
        'CiliumNetworkPolicy shop/fe-in ingress[1]: from fromEntities cluster on every port (pods app=fe in shop)',
        'medium',
      ],
    ]);
    const world = r.out.newAccess.find((f) => f.summary.includes('fromEntities world'))!;
    expect(world.risk!.reasons).toEqual([
      'ingress from outside the cluster: CiliumNetworkPolicy shop/fe-in, ingress[0], peer fromEntities world',
    ]);
    // A namespaced policy's `toEndpoints: [{}]` is every pod of its own namespace: not broad (egress[4] is absent).
  });

  it('a clusterwide policy: `toEndpoints: [{}]` is every pod of every namespace', () => {
    const head = [ccnp('all-pods', { endpointSelector: {}, egress: [{ toEndpoints: [{}] }] })];
    const r = diff([db([])], [db([]), ...head]);
    expect(r.code).toBe(1);
    expect(broad(r.out.newAccess)).toEqual([
      [
        'CiliumClusterwideNetworkPolicy all-pods egress[0]: to toEndpoints {} on every port (every pod in every namespace)',
        'medium',
      ],
    ]);
  });

  it('the same trees in the same bytes, whatever the order of peers, rules and files', () => {
    const peers = [{ namespaceSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }];
    const a = diff([db([])], [db(peers)]).stdout;
    const b = diff([db([])], [db([...peers].reverse())]).stdout;
    const strip = (s: string) => s.replace(/"file": "[^"]*"/g, '"file": ""');
    expect(strip(b)).toBe(strip(a));
  });
});
