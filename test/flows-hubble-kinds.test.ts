import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { emptyInventory, Resolver, type Inventory } from '../src/inventory/inventory.js';
import { loadInventory } from '../src/inventory/load.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';
import { ROOT } from './helpers/cli.js';

// Hubble flows as `hubble observe -o json` prints them (observer.proto: `is_reply` is a BoolValue, left out when
// conntrack does not know the direction), decoded against the demo inventory (shop/web 10.0.1.105, shop/cart
// 10.0.1.102, kube-system/coredns declaring UDP and TCP 53).

type Obj = Record<string, unknown>;
const WEB = { namespace: 'shop', pod_name: 'web-7c9d8f6b5d-x2klq', labels: ['k8s:app=web', 'k8s:tier=frontend'] };
const CART = { namespace: 'shop', pod_name: 'cart-5f7b9c8d4-m8wzt', labels: ['k8s:app=cart', 'k8s:tier=backend'] };
const DNS = { namespace: 'kube-system', pod_name: 'coredns-5d78c9869d-4xg7p', labels: ['k8s:k8s-app=kube-dns'] };
const IPS: Record<string, string> = { web: '10.0.1.105', cart: '10.0.1.102', dns: '10.0.1.10' };
const ip = (ep: Obj) => IPS[String(ep['pod_name']).split('-')[0]!.replace('coredns', 'dns')]!;

/** A Hubble flow from one pod to another; `extra` fields (is_reply, verdict...) go into the flow. */
export function hubble(from: Obj, to: Obj, l4: Obj, extra: Obj = {}, second = 1): Obj {
  const time = `2026-11-05T10:00:${String(second).padStart(2, '0')}.000000000Z`;
  const flow = {
    time,
    verdict: 'FORWARDED',
    IP: { source: ip(from), destination: ip(to), ipVersion: 'IPv4' },
    l4,
    source: from,
    destination: to,
    Type: 'L3_L4',
    node_name: 'ip-10-0-1-23.ec2.internal',
    traffic_direction: 'EGRESS',
    ...extra,
  };
  return { flow, node_name: 'ip-10-0-1-23.ec2.internal', time };
}

type Out = FlowObservation | InputIssue | { kind: string; reason?: string };
export async function demoInventory(): Promise<Inventory> {
  const r = await loadInventory(['fixtures/demo/inventory/acme-staging.json'], ROOT);
  return r.inventory;
}
export function decode(records: (Obj | string)[], inv: Inventory = emptyInventory()): Out[] {
  const out: Out[] = [];
  const d = new FlowDecoder('h.json', new Resolver(inv), (x) => out.push(x));
  records.forEach((r, i) => (typeof r === 'string' ? d.text(r, i + 1) : d.json(r, i + 1)));
  return out;
}
const edges = (out: Out[]) =>
  out
    .filter((o): o is FlowObservation => o.kind === 'flow')
    .map((f) => {
      const name = (p: FlowObservation['from']) => (p.kind === 'workload' ? p.name : `${p.kind}:${p.ip}`);
      return `${name(f.from)} > ${name(f.to)} ${f.protocol}/${f.port}`;
    });
const notices = (out: Out[]) =>
  out.filter((o): o is InputIssue => o.kind === 'issue').map((i) => `${i.line}: ${i.code}: ${i.message}`);
const skips = (out: Out[]) => out.filter((o) => o.kind === 'skip').map((o) => (o as { reason: string }).reason);

describe('Hubble UDP and SCTP flows without is_reply', () => {
  it('the inventory says which side serves: the answer from coredns:53 is no connection to web:41000', async () => {
    const udp = (sport: number, dport: number) => ({ UDP: { source_port: sport, destination_port: dport } });
    const out = decode(
      [hubble(WEB, DNS, udp(41000, 53)), hubble(DNS, WEB, udp(53, 41000), { traffic_direction: 'INGRESS' }, 2)],
      await demoInventory(),
    );
    expect(edges(out)).toEqual(['web > coredns UDP/53']);
    expect(skips(out)).toEqual(['reply']);
    expect(notices(out)).toEqual([]);
  });

  it('without the inventory the lower port is the server’s, a guess given as a notice naming the line', () => {
    const sctp = (sport: number, dport: number) => ({ SCTP: { source_port: sport, destination_port: dport } });
    const out = decode([
      hubble(CART, WEB, sctp(3868, 40000)),
      hubble(WEB, CART, sctp(40000, 3868), {}, 2),
      // is_reply given (false or true) is trusted whatever the ports.
      hubble(CART, WEB, sctp(3868, 40001), { is_reply: false }, 3),
    ]);
    expect(edges(out)).toEqual(['web > cart SCTP/3868', 'cart > web SCTP/40001']);
    expect(skips(out)).toEqual(['reply']);
    expect(notices(out)).toEqual([
      expect.stringMatching(
        /^1: flow.direction-guessed: 10.0.1.102:3868 > 10.0.1.105:40000 SCTP: .*answer from port 3868/,
      ),
      expect.stringMatching(
        /^2: flow.direction-guessed: 10.0.1.105:40000 > 10.0.1.102:3868 SCTP: .*request to port 3868/,
      ),
    ]);
  });
});

describe('ICMP: only the echo request is a connection', () => {
  const icmp = (v6: boolean, type: number, code = 0) => ({ [v6 ? 'ICMPv6' : 'ICMPv4']: { type, code } });

  it('Hubble: errors, neighbour discovery and other queries are skipped and counted, never edges', () => {
    const out = decode([
      hubble(WEB, CART, icmp(false, 8)),
      hubble(CART, WEB, icmp(false, 0), {}, 2),
      // Port unreachable (3/3), time exceeded (11), a timestamp request (13).
      hubble(CART, WEB, icmp(false, 3, 3), {}, 3),
      hubble(CART, WEB, icmp(false, 11), {}, 4),
      hubble(CART, WEB, icmp(false, 13), {}, 5),
      // ICMPv6: neighbour solicitation and advertisement, router solicitation, packet too big; then an echo request.
      hubble(CART, WEB, icmp(true, 135), {}, 6),
      hubble(CART, WEB, icmp(true, 136), {}, 7),
      hubble(CART, WEB, icmp(true, 133), {}, 8),
      hubble(CART, WEB, icmp(true, 2), {}, 9),
      hubble(CART, WEB, icmp(true, 128), {}, 10),
    ]);
    expect(edges(out)).toEqual(['web > cart ICMP/0', 'cart > web ICMPv6/0']);
    expect(skips(out)).toEqual(['reply', ...Array<string>(7).fill('icmp-not-echo')]);
  });
});

describe('Hubble verdict AUDIT', () => {
  it('is granted (audit mode lets it through) and said once per file with the count', () => {
    const tcp = (sport: number) => ({ TCP: { source_port: sport, destination_port: 9090, flags: { SYN: true } } });
    const out = decode([
      hubble(WEB, CART, tcp(40001), { verdict: 'AUDIT', is_reply: false }),
      hubble(WEB, CART, tcp(40002), { verdict: 'AUDIT', is_reply: false }, 2),
      hubble(WEB, CART, tcp(40003), { is_reply: false }, 3),
    ]);
    const flows = out.filter((o): o is FlowObservation => o.kind === 'flow');
    expect(flows.map((f) => f.decision)).toEqual(['allow', 'allow', 'allow']);
    const audit = out.filter((o): o is InputIssue => o.kind === 'issue');
    expect(audit.map((i) => [i.line, i.code, i.level, i.perFile])).toEqual([
      [1, 'flow.audit-verdict', 'notice', true],
      [2, 'flow.audit-verdict', 'notice', true],
    ]);
    expect(audit[0]!.message).toContain('would have dropped');
  });
});
