/**
 * Whether a Kubernetes NetworkPolicy `ipBlock` peer matches an endpoint. An address matches by address (the block
 * less its excepts). A pod or a node is matched as its network plugin does (knowledge/network/plugins.ts): whether an
 * ipBlock applies to a pod's address is the plugin's choice (Calico and the address-based engines apply it, Cilium
 * does not), so where the plugin is not known, a pod the block covers is a maybe. A pod's own addresses are those
 * the inventory gave; without them, the block may hold the pod when it holds an address of the ranges clusters take
 * pod addresses from that the flows did not see as something else (an address or a node).
 */

import { addressValue, cidrRange, inCidr } from '../../knowledge/network/cidr.js';
import type { NetworkPlugin } from '../../knowledge/network/plugins.js';
import { MAYBE, NO, YES, type Tri } from './cilium-peers.js';

type Obj = Record<string, unknown>;
type Range = { lo: bigint; hi: bigint };
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Where pod addresses come from when a pod's own are not known: RFC 1918, CGNAT, IPv6 ULA (cidr.ts inClusterRange). */
const POD_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'].map((c) =>
  cidrRange(c)!,
);

/** The endpoint as an ipBlock is matched against it. */
export type BlockEndpoint =
  { kind: 'pod'; ips?: readonly string[] } | { kind: 'ip'; ip: string; node?: boolean; apiserver?: boolean };

export class IpBlocks {
  /** Addresses known not to be pods', as numbers in ascending order, without repeats. */
  private readonly hosts: bigint[];
  /** Per ipBlock as written, its addresses in the pod ranges less the excepts, and how many of those are hosts. */
  private readonly podRegions = new WeakMap<object, boolean>();

  constructor(
    /** The plugin enforcing the policies; undefined: not known. */
    readonly plugin: NetworkPlugin | undefined,
    hosts: readonly string[] = [],
  ) {
    const values = new Set<bigint>();
    for (const h of hosts) {
      const v = addressValue(h);
      if (v !== undefined) values.add(v);
    }
    this.hosts = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Whether the block matches the endpoint (yes, no, maybe), and when maybe, why. */
  match(b: Obj, ep: BlockEndpoint): { t: Tri; why?: string } {
    const cidr = str(b['cidr']);
    const excepts = arr(b['except']).map(str);
    const holds = (ip: string) => inCidr(ip, cidr) && !excepts.some((x) => inCidr(ip, x));
    if (ep.kind === 'ip') {
      if (!holds(ep.ip)) return { t: NO };
      if (ep.node && this.plugin?.nodes === 'configurable')
        return {
          t: MAYBE,
          why: `ipBlock ${cidr} holds the node address ${ep.ip}: ${this.plugin.title} matches a node's address with an ipBlock only when its agent runs with policy-cidr-match-mode nodes (off by default)`,
        };
      if (ep.apiserver && this.plugin?.nodes === 'configurable')
        return {
          t: MAYBE,
          why: `ipBlock ${cidr} holds the API server's address ${ep.ip}: ${this.plugin.title} gives the API server its kube-apiserver identity, which an ipBlock matches where it runs outside the cluster, and on a node only when its agent runs with policy-cidr-match-mode nodes (off by default)`,
        };
      return { t: YES };
    }
    if (this.plugin?.pods === 'not-applied') return { t: NO };
    let covered: Tri;
    let what: string;
    if (ep.ips?.length) {
      const n = ep.ips.filter(holds).length;
      covered = n === 0 ? NO : n === ep.ips.length ? YES : MAYBE;
      what =
        n === ep.ips.length
          ? "holds the peer pods' addresses"
          : `holds ${n} of the peer pods' ${ep.ips.length} addresses`;
    } else {
      covered = this.mayHoldPod(b, cidr, excepts) ? MAYBE : NO;
      what = "may hold the peer pods' addresses, which are not known (an inventory read with the flows gives them)";
    }
    if (covered === NO) return { t: NO };
    if (this.plugin && covered === YES) return { t: YES };
    const plugin = this.plugin
      ? `${this.plugin.title} applies ipBlock to pods`
      : 'whether an ipBlock applies to traffic between pods depends on the network plugin (Calico, Antrea and the Amazon VPC CNI apply it, Cilium does not: --network-plugin says which)';
    return {
      t: MAYBE,
      why: `ipBlock ${cidr}${excepts.length ? ` except ${excepts.join(', ')}` : ''} ${what}; ${plugin}`,
    };
  }

  /** Whether the block, less its excepts, holds an address of the pod ranges that no host has. */
  private mayHoldPod(b: Obj, cidr: string, excepts: string[]): boolean {
    let may = this.podRegions.get(b);
    if (may === undefined) {
      may = false;
      const block = cidrRange(cidr);
      let regions: Range[] = block ? POD_RANGES.flatMap((r) => intersect(r, block)) : [];
      for (const x of excepts) {
        const cut = cidrRange(x);
        if (cut) regions = regions.flatMap((r) => minus(r, cut));
      }
      for (const r of regions) if (r.hi - r.lo + 1n > BigInt(this.hostsIn(r))) may = true;
      this.podRegions.set(b, may);
    }
    return may;
  }

  /** How many hosts lie in the range (binary search over the sorted addresses). */
  private hostsIn(r: Range): number {
    const first = (v: bigint) => {
      let lo = 0;
      let hi = this.hosts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.hosts[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return first(r.hi + 1n) - first(r.lo);
  }
}

function intersect(a: Range, b: Range): Range[] {
  const lo = a.lo > b.lo ? a.lo : b.lo;
  const hi = a.hi < b.hi ? a.hi : b.hi;
  return lo <= hi ? [{ lo, hi }] : [];
}

function minus(a: Range, cut: Range): Range[] {
  if (cut.hi < a.lo || cut.lo > a.hi) return [a];
  const out: Range[] = [];
  if (cut.lo > a.lo) out.push({ lo: a.lo, hi: cut.lo - 1n });
  if (cut.hi < a.hi) out.push({ lo: cut.hi + 1n, hi: a.hi });
  return out;
}
