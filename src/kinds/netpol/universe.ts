import {
  ADDRESS_SPACE,
  MAPPED_V4,
  PRIVATE_BLOCKS,
  addressValue,
  cidrCover,
  cidrRange,
  formatAddress,
  formatCidr,
} from '../../knowledge/network/cidr.js';
import { cmp } from '../../model/issue.js';
import { describePeer, type WorkloadInfo } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';
import type { PolicyDoc } from '../../policy/load.js';
import type { ReadPolicy } from '../../verify/netpol.js';
import type { Endpoint } from '../../verify/netpol/evaluate.js';
import { pushAll } from '../../util/array.js';
import { tupleKey } from '../../util/key.js';
import { standIns } from './standins.js';

/** The protocols a policy gives ports for; ICMP and ICMPv6 have none. */
export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';
export const PORT_PROTOCOLS: readonly PortProtocol[] = ['TCP', 'UDP', 'SCTP'];
export const LAST_PORT = 65535;

/** A workload, or a region of the address space (every address of it is treated alike by both sides' policies). */
export interface UniverseEndpoint {
  name: string;
  ep: Endpoint;
  /** An address region: its first and last address (IPv4 mapped into IPv6, as the evaluator compares them). */
  range?: { lo: bigint; hi: bigint };
}

/**
 * The questions NetworkPolicy grants are enumerated over: workloads, regions of the address space and intervals of
 * ports. Complete for what the policies can tell apart: the regions are those every block of either side (and its
 * excepts) cuts the address space into, so an evaluator answers alike for every address of a region, and the port
 * intervals those the port and endPort bounds of either side, and the ports the workloads (or stand-ins) declare
 * (named ports), cut 1–65535 into, per protocol. Addresses and ports the profile saw are regions and intervals of
 * their own, so an observed connection is one question and evidence is exact.
 */
export interface Universe {
  endpoints: UniverseEndpoint[];
  /** Per protocol, the intervals [first, last] in ascending order, together 1–65535. */
  ports: Map<PortProtocol, [number, number][]>;
  namespaceLabels: Map<string, Record<string, string>>;
  dnsNames: Map<string, string[]>;
  /** With stand-ins for workloads (`standins.ts`): per protocol, the number each named port stands at, and its name. */
  named?: Map<PortProtocol, Map<number, string>>;
}

export function universeFor(
  profile: Profile | undefined,
  inventoryWorkloads: WorkloadInfo[],
  namespaces: { name: string; labels: Record<string, string> }[],
  /** Each side's documents, and the policies read from them. */
  sides: { docs: PolicyDoc[]; policies: ReadPolicy[] }[],
  /** Each workload's pod addresses, when an inventory gave them (an ipBlock may cover them). */
  podAddresses?: ReadonlyMap<string, readonly string[]>,
  /** The inventory's node addresses: each a region of its own, a node (OpenShift's host-network group selects it). */
  nodeAddresses: readonly string[] = [],
): Universe {
  const docs = sides.map((s) => s.docs);
  const workloads = profile?.workloads?.length ? profile.workloads : inventoryWorkloads;
  // Every port and range written, and seen: a named port's stand-in number is none of them.
  const written: [number, number][] = (profile?.network ?? []).map((e) => [e.port, e.port]);
  for (const list of docs) for (const d of list) visitPorts(d.object, (_, a, b = a) => written.push([a, b]));
  const stand = workloads.length
    ? undefined
    : standIns(
        sides.map((s) => s.policies),
        written,
      );
  const endpoints: UniverseEndpoint[] = stand ? [...stand.pods] : workloadEndpoints(workloads, podAddresses);
  const peers = (profile?.network ?? []).flatMap((e) => [e.from, e.to]);
  const seen = [...peers.flatMap((p) => (p.kind === 'workload' ? [] : [p.ip])), ...nodeAddresses];
  // A node's address is Cilium's host or remote-node, never world: its region says so.
  const nodes = new Set([
    ...peers.flatMap((p) => (p.kind === 'node' ? [addressValue(p.ip)] : [])),
    ...nodeAddresses.map(addressValue),
  ]);
  // The API server's addresses the flows saw: Cilium's kube-apiserver, named as verify names the peer; then the other
  // regions are not the API server (else every address may be it, and the entity a maybe everywhere).
  const servers = new Set(peers.flatMap((p) => (p.kind === 'apiserver' ? [addressValue(p.ip)] : [])));
  pushAll(endpoints, addressRegions(seen, docs, nodes, servers));
  endpoints.sort((a, b) => cmp(a.name, b.name));
  const cuts = new Map<PortProtocol, Set<number>>(PORT_PROTOCOLS.map((p) => [p, new Set([1, LAST_PORT + 1])]));
  const cut = (protocol: unknown, first: number, last = first) => {
    // No protocol is TCP for a NetworkPolicy and any for Cilium: cutting all three is never wrong, only finer.
    const protos = PORT_PROTOCOLS.includes(protocol as PortProtocol) ? [protocol as PortProtocol] : PORT_PROTOCOLS;
    for (const p of protos)
      for (const x of [first, last + 1]) if (Number.isInteger(x) && x > 1 && x <= LAST_PORT) cuts.get(p)!.add(x);
  };
  for (const w of workloads) for (const p of w.ports) cut(p.protocol, p.port);
  for (const e of profile?.network ?? []) cut(e.protocol, e.port);
  for (const list of docs) for (const d of list) visitPorts(d.object, cut);
  for (const [p, m] of stand?.named ?? []) for (const port of m.keys()) cut(p, port);
  const ports = new Map<PortProtocol, [number, number][]>();
  for (const [p, set] of cuts) {
    const sorted = [...set].sort((a, b) => a - b);
    ports.set(
      p,
      sorted.slice(1).map((next, i) => [sorted[i]!, next - 1]),
    );
  }
  return {
    endpoints,
    ports,
    namespaceLabels: new Map([
      ...(profile?.namespaces ?? namespaces).map((n): [string, Record<string, string>] => [n.name, n.labels]),
      ...(stand?.namespaces ?? []),
    ]),
    dnsNames: new Map((profile?.dnsNames ?? []).map((n) => [n.ip, n.names])),
    ...(stand ? { named: stand.named } : {}),
  };
}

function workloadEndpoints(
  workloads: WorkloadInfo[],
  podAddresses?: ReadonlyMap<string, readonly string[]>,
): UniverseEndpoint[] {
  return workloads
    .filter((w) => !w.hostNetwork)
    .map((w) => {
      const ips = podAddresses?.get(tupleKey(w.namespace, w.name));
      return {
        name: `${w.namespace}/${w.name}`,
        ep: {
          kind: 'pod',
          namespace: w.namespace,
          labels: { ...w.labels, ...w.selector },
          ports: w.ports,
          ...(ips?.length ? { ips } : {}),
        },
      };
    });
}

/** Every port or range a policy writes (`port`, with `endPort`), wherever it is written. */
function visitPorts(v: unknown, cut: (protocol: unknown, first: number, last?: number) => void): void {
  if (Array.isArray(v)) return v.forEach((x) => visitPorts(x, cut));
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  const port = o['port'];
  if (typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port))) {
    const end = Number(o['endPort'] ?? 0);
    cut(o['protocol'], Number(port), Number.isInteger(end) && end > Number(port) ? end : Number(port));
  }
  Object.values(o).forEach((x) => visitPorts(x, cut));
}

/** Blocks a policy writes: ipBlock `cidr` and `except`, Cilium's `toCIDR`, `fromCIDR`, `toCIDRSet` (deny rules too). */
function visitBlocks(v: unknown, add: (cidr: string) => void): void {
  if (Array.isArray(v)) return v.forEach((x) => visitBlocks(x, add));
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  for (const key of ['cidr', 'except', 'toCIDR', 'fromCIDR'])
    for (const c of ([] as unknown[]).concat(o[key] ?? [])) if (typeof c === 'string') add(c);
  Object.values(o).forEach((x) => visitBlocks(x, add));
}

/**
 * The regions the blocks of both sides, the private ranges (so a region is wholly private or wholly not, and its
 * risk is its representative's) and the addresses the profile saw cut the address space into. A region of one
 * address is named by the address as the profile (or a policy) spells it, so evidence and DNS names find it.
 */
function addressRegions(
  seen: string[],
  sides: PolicyDoc[][],
  nodes: Set<bigint | undefined>,
  servers: Set<bigint | undefined>,
): UniverseEndpoint[] {
  const cuts = new Set<bigint>([0n, ADDRESS_SPACE, MAPPED_V4, MAPPED_V4 + (1n << 32n)]);
  const spelling = new Map<bigint, string>();
  const block = (cidr: string) => {
    const r = cidrRange(cidr);
    if (!r) return;
    cuts.add(r.lo);
    cuts.add(r.hi + 1n);
  };
  for (const ip of [...new Set(seen)].sort(cmp)) {
    const v = addressValue(ip);
    if (v === undefined) continue;
    block(ip);
    if (!spelling.has(v)) spelling.set(v, ip);
  }
  PRIVATE_BLOCKS.forEach(block);
  const written: string[] = [];
  for (const docs of sides) for (const d of docs) visitBlocks(d.object, (c) => written.push(c));
  for (const c of [...new Set(written)].sort(cmp)) {
    block(c);
    const r = cidrRange(c);
    if (r && r.lo === r.hi && !spelling.has(r.lo)) spelling.set(r.lo, c.replace(/\/\d+$/, ''));
  }
  const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.slice(1).map((next, i) => {
    const lo = sorted[i]!;
    const hi = next - 1n;
    const ip = spelling.get(lo) ?? formatAddress(lo);
    if (lo === hi && servers.has(lo))
      return {
        name: describePeer({ kind: 'apiserver', ip }),
        ep: { kind: 'ip', ip, apiserver: true },
        range: { lo, hi },
      };
    const known = servers.size ? { apiserver: false } : {};
    return {
      name: lo === hi ? ip : `${formatAddress(lo)}-${formatAddress(hi)}`,
      ep: lo === hi && nodes.has(lo) ? { kind: 'ip', ip, node: true, ...known } : { kind: 'ip', ip, ...known },
      range: { lo, hi },
    };
  });
}

/** At most this many blocks are named in a finding; the rest are counted. */
const MAX_BLOCKS = 8;

/**
 * A set of address regions as a reviewer reads it: the blocks that make it up (`10.0.0.0/8, 1.2.3.4/32`), or the
 * smallest block holding it less the blocks it lacks (`0.0.0.0/0 except 1.2.3.4/32`), whichever names fewer.
 */
export function describeAddresses(regions: { lo: bigint; hi: bigint }[], spell: (v: bigint) => string): string {
  const sorted = [...regions].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: { lo: bigint; hi: bigint }[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.hi + 1n >= r.lo) last.hi = r.hi > last.hi ? r.hi : last.hi;
    else merged.push({ ...r });
  }
  if (merged.length === 0) return '';
  if (merged.length === 1 && merged[0]!.lo === merged[0]!.hi) return spell(merged[0]!.lo);
  const plain = merged.flatMap((r) => cidrCover(r.lo, r.hi));
  const lo = merged[0]!.lo;
  const hi = merged[merged.length - 1]!.hi;
  let len = 128;
  while (len > 0 && lo >> BigInt(128 - len) !== hi >> BigInt(128 - len)) len--;
  const base = (lo >> BigInt(128 - len)) << BigInt(128 - len);
  const gaps: [bigint, number][] = [];
  let at = base;
  for (const r of [...merged, { lo: base + (1n << BigInt(128 - len)), hi: 0n }]) {
    if (r.lo > at) pushAll(gaps, cidrCover(at, r.lo - 1n));
    at = r.hi + 1n;
  }
  const list = (blocks: [bigint, number][]) =>
    blocks.length <= MAX_BLOCKS
      ? blocks.map(([b, l]) => formatCidr(b, l)).join(', ')
      : `${blocks
          .slice(0, MAX_BLOCKS)
          .map(([b, l]) => formatCidr(b, l))
          .join(', ')} and ${blocks.length - MAX_BLOCKS} more blocks`;
  return plain.length <= 1 + gaps.length ? list(plain) : `${formatCidr(base, len)} except ${list(gaps)}`;
}

/** Port intervals as `443, 8081-9000` (adjacent ones joined); a port alone that `name` names, by its name. */
export function portRanges(intervals: [number, number][], name?: (port: number) => string | undefined): string[] {
  const merged: [number, number][] = [];
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && last[1] + 1 >= a) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => (a === b ? (name?.(a) ?? String(a)) : `${a}-${b}`));
}

/** The name of a port of a grant's protocol that stands for a named port (stand-ins: `Universe.named`). */
export const portNamer =
  (named: Universe['named'], g: { protocol: string }) =>
  (port: number): string | undefined =>
    named?.get(g.protocol as PortProtocol)?.get(port);

/** Grants' ports as `portRanges` words them. */
export const grantPorts = (list: { port: number; endPort: number }[], name: (port: number) => string | undefined) =>
  portRanges(
    list.map((x) => [x.port, x.endPort]),
    name,
  );

/** A finding's `port`: its first grant's; a stand-in's named port has no number: the first numbered one, else 0. */
export function findingPort(
  g: { port: number; endPort: number },
  ports: string[],
  name: (port: number) => string | undefined,
): number {
  if (g.port !== g.endPort || name(g.port) === undefined) return g.port;
  return Number(/^\d+/.exec(ports.find((x) => /^\d/.test(x)) ?? '0')![0]);
}
