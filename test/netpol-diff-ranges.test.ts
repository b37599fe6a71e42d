// `diff` of NetworkPolicies sees widening by address block and by port range (N3): a CI gate on new access must not
// pass when an ipBlock grows from /32 to 0.0.0.0/0, when endPort is added, or when `ports` is dropped. The questions
// are every region the blocks of both sides cut the address space into and every interval the port bounds cut
// 1–65535 into, and a finding names its ranges and blocks instead of listing addresses or ports one by one.
import { BlockList, isIP } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCidr } from '../src/knowledge/network/cidr.js';
import { cli, rng, tmp } from './helpers/cli.js';

/** shop: web (no ports), api (http 8080), db (pg 5432). */
function inventory(dir: string): string {
  const deploy = (name: string, ports: { name: string; containerPort: number }[]) => [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop' },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } } } },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-0`,
        namespace: 'shop',
        labels: { app: name },
        ownerReferences: [{ kind: 'Deployment', name, controller: true }],
      },
      spec: { containers: [{ name: 'c', ports }] },
    },
  ];
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    ...deploy('web', []),
    ...deploy('api', [{ name: 'http', containerPort: 8080 }]),
    ...deploy('db', [{ name: 'pg', containerPort: 5432 }]),
  ];
  const f = join(dir, 'inventory.json');
  writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return f;
}

/** web's egress policy with the two rules given (to api, to an address block), in its own tree. */
function side(dir: string, name: string, apiPorts: unknown, block: unknown): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const egress = [
    { to: [{ podSelector: { matchLabels: { app: 'api' } } }], ...(apiPorts === undefined ? {} : { ports: apiPorts }) },
    { to: [{ ipBlock: block }], ports: [{ protocol: 'TCP', port: 443 }] },
  ];
  const doc = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress },
  };
  writeFileSync(join(root, 'web.json'), JSON.stringify(doc, null, 2));
  return root;
}

interface Out {
  newAccess: { summary: string; access: Record<string, unknown>; risk?: { level: string; reasons: string[] } }[];
  removedAccess: { summary: string }[];
}

const TCP8080 = [{ protocol: 'TCP', port: 8080 }];
const ONE = { cidr: '1.2.3.4/32' };

function diff(dir: string, base: string, head: string, ...more: string[]) {
  const r = cli(['diff', base, head, '--inventory', inventory(dir), '--format', 'json', ...more]);
  return { code: r.code, stdout: r.stdout, out: JSON.parse(r.stdout) as Out };
}

describe('diff of NetworkPolicies: address blocks and port ranges', () => {
  it('an ipBlock widened from 1.2.3.4/32 to 0.0.0.0/0 is risky new access, named as a block less the old one', () => {
    const d = tmp();
    const r = diff(d, side(d, 'base', TCP8080, ONE), side(d, 'head', TCP8080, { cidr: '0.0.0.0/0' }));
    expect(r.code).toBe(1);
    expect(r.out.removedAccess).toEqual([]);
    expect(r.out.newAccess).toMatchObject([
      // The rule's peer as written, a broad peer BASE did not have (diff-broad-peers.test.ts).
      {
        summary: 'NetworkPolicy shop/web egress[1]: to ipBlock 0.0.0.0/0 on TCP/443 (pods app=web in shop)',
        risk: {
          level: 'high',
          reasons: ['egress to every address: NetworkPolicy shop/web, egress[1], peer ipBlock 0.0.0.0/0'],
        },
      },
      {
        summary: 'shop/web → 0.0.0.0/0 except 1.2.3.4/32 TCP/443',
        access: { from: 'shop/web', to: '0.0.0.0/0 except 1.2.3.4/32', protocol: 'TCP', port: 443 },
        // 0.0.0.0/0 holds the cloud metadata address, and is the whole internet (risks-catalogue.test.ts).
        risk: {
          level: 'high',
          reasons: [
            'egress to the cloud metadata service (169.254.169.254): node credentials',
            'egress to any internet address (0.0.0.0/0)',
            'egress to the internet',
          ],
        },
      },
      // 0.0.0.0/0 may hold the pods' addresses (the inventory gives none, the plugin is not known): where the plugin
      // applies ipBlock to pods, web may reach api and db on 443 too (netpol-ipblock-plugins.test.ts).
      { summary: 'shop/web → shop/api TCP/443' },
      { summary: 'shop/web → shop/db TCP/443' },
    ]);
    // Under Cilium an ipBlock never holds a pod: only the addresses are new.
    const cilium = diff(d, join(d, 'base'), join(d, 'head'), '--network-plugin', 'cilium');
    expect(cilium.out.newAccess.map((f) => f.summary)).toEqual([
      'NetworkPolicy shop/web egress[1]: to ipBlock 0.0.0.0/0 on TCP/443 (pods app=web in shop)',
      'shop/web → 0.0.0.0/0 except 1.2.3.4/32 TCP/443',
    ]);
    // The way back is removed access, and an except is a region of its own.
    const back = diff(d, join(d, 'head'), join(d, 'base'));
    expect(back.out.removedAccess.map((f) => f.summary)).toEqual([
      'shop/web → 0.0.0.0/0 except 1.2.3.4/32 TCP/443',
      'shop/web → shop/api TCP/443',
      'shop/web → shop/db TCP/443',
    ]);
    const except = side(d, 'except', TCP8080, { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] });
    expect(diff(d, join(d, 'head'), except).out.removedAccess.map((f) => f.summary)).toEqual([
      'shop/web → 10.0.0.0/8 TCP/443',
    ]);
  });

  it('IPv6 blocks are regions too', () => {
    const d = tmp();
    const r = diff(d, side(d, 'base', TCP8080, ONE), side(d, 'head', TCP8080, { cidr: '2001:db8::/32' }));
    expect(r.out.newAccess.map((f) => f.summary)).toEqual(['shop/web → 2001:db8::/32 TCP/443']);
    expect(r.out.removedAccess.map((f) => f.summary)).toEqual(['shop/web → 1.2.3.4 TCP/443']);
  });

  it('endPort added: the new range is one finding, not one per port', () => {
    const d = tmp();
    const head = side(d, 'head', [{ protocol: 'TCP', port: 8080, endPort: 9000 }], ONE);
    const r = diff(d, side(d, 'base', TCP8080, ONE), head);
    expect(r.code).toBe(1);
    expect(r.out.newAccess).toEqual([
      expect.objectContaining({
        summary: 'shop/web → shop/api TCP/8081-9000',
        access: { from: 'shop/web', to: 'shop/api', protocol: 'TCP', port: 8081, ports: ['8081-9000'] },
      }),
    ]);
    expect(r.out.newAccess[0]!.risk).toBeUndefined();
  });

  it('ports dropped: every port of every protocol is new, and a whole protocol is risky', () => {
    const d = tmp();
    const r = diff(d, side(d, 'base', TCP8080, ONE), side(d, 'head', undefined, ONE), '--fail-on', 'risky');
    expect(r.code).toBe(1);
    const byProtocol = Object.fromEntries(r.out.newAccess.map((f) => [f.access['protocol'], f]));
    expect(Object.keys(byProtocol).sort()).toEqual(['ICMP', 'ICMPv6', 'SCTP', 'TCP', 'UDP']);
    expect(byProtocol['TCP']!.summary).toBe('shop/web → shop/api TCP/1-8079, 8081-65535');
    expect(byProtocol['UDP']!.summary).toBe('shop/web → shop/api UDP/1-65535');
    for (const p of ['TCP', 'UDP', 'SCTP'])
      expect(byProtocol[p]!.risk).toEqual({ level: 'medium', reasons: ['every port (no port restriction)'] });
    expect(byProtocol['ICMP']!.summary).toBe('shop/web → shop/api ICMP');
  });

  it('the same trees in the same bytes, whatever the order of the blocks', () => {
    const d = tmp();
    const base = side(d, 'base', TCP8080, { cidr: '203.0.113.0/24', except: ['203.0.113.8/29', '203.0.113.64/26'] });
    const head = side(d, 'head', undefined, { cidr: '0.0.0.0/0', except: ['203.0.113.64/26', '10.0.0.0/8'] });
    const a = diff(d, base, head).stdout;
    const other = side(d, 'other', undefined, { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '203.0.113.64/26'] });
    expect(diff(d, base, other).stdout.replaceAll('/other/', '/head/')).toBe(a);
    expect(JSON.parse(a).newAccess.map((f: { summary: string }) => f.summary)).toContain(
      'shop/web → 0.0.0.0/0 except 10.0.0.0/8, 203.0.113.0/29, 203.0.113.16/28, 203.0.113.32/27, 203.0.113.64/26, 203.0.113.128/25 TCP/443',
    );
  });
});

describe('inCidr', () => {
  it('answers as node:net BlockList does, IPv4-mapped addresses included', () => {
    const r = rng(7);
    const n = (k: number) => Math.floor(r() * k);
    const v4 = () => [n(256), n(256), n(256), n(256)].join('.');
    const v6 = () =>
      [
        `::ffff:${v4()}`,
        `${n(65536).toString(16)}::${n(65536).toString(16)}`,
        '::1',
        `2001:db8::${n(4096).toString(16)}`,
      ][n(4)]!;
    for (let i = 0; i < 20_000; i++) {
      const base = n(2) ? v4() : v6();
      const cidr = `${base}/${n(base.includes(':') ? 129 : 33)}`;
      const ip = n(3) ? (n(2) ? v4() : v6()) : base;
      const list = new BlockList();
      const [b, len] = cidr.split('/');
      list.addSubnet(b!, Number(len), isIP(b!) === 4 ? 'ipv4' : 'ipv6');
      expect(inCidr(ip, cidr), `${ip} in ${cidr}`).toBe(list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6'));
    }
  });
});
