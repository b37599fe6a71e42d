import { cmp } from '../../model/issue.js';
import { mergeFlowEvidence, peerKey, type FlowEvidence, type L4Protocol, type Peer } from '../../model/network.js';
import type { NetpolResult, NetpolWidening } from './index.js';

export interface Rule {
  peer: Peer;
  ports: Map<string, { protocol: L4Protocol; port: number | string }>;
  ev: FlowEvidence;
  allPorts: boolean;
  names: Set<string>;
  dns?: boolean;
}

export const wkey = (ns: string, name: string) => `${ns}/${name}`;

export const sortRules = (rules: Map<string, Rule>) =>
  [...rules.values()].sort((a, b) => cmp(peerKey(a.peer), peerKey(b.peer)));

/** `10.1.2.3` → `10.1.2.0/24` for prefix 24. */
function blockOf(ip: string, prefix: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const n = ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const b = (n & mask) >>> 0;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${prefix}`;
}

export function aggregate(rules: Map<string, Rule>, prefix: number, workload: string, out: NetpolWidening[]): void {
  const groups = new Map<string, Rule[]>();
  for (const r of rules.values()) {
    if (r.peer.kind !== 'ip') continue;
    const block = blockOf(r.peer.ip, prefix);
    if (block) groups.set(block, [...(groups.get(block) ?? []), r]);
  }
  for (const [block, members] of [...groups].sort((a, b) => cmp(a[0], b[0]))) {
    const first = members[0]!;
    const merged: Rule = {
      peer: { kind: 'ip', ip: block },
      ports: new Map(first.ports),
      ev: first.ev,
      allPorts: first.allPorts,
      names: new Set(first.names),
    };
    for (const r of members.slice(1)) {
      for (const [k, v] of r.ports) merged.ports.set(k, v);
      merged.ev = mergeFlowEvidence(merged.ev, r.ev);
      merged.allPorts ||= r.allPorts;
      for (const n of r.names) merged.names.add(n);
    }
    // Cilium writes a rule with names as toFQDNs alone: the block's names only when every address in it had one
    // (else its unnamed addresses would be left out), otherwise the block by address (toCIDR).
    if (members.some((r) => r.names.size === 0)) merged.names.clear();
    for (const r of members) rules.delete(peerKey(r.peer));
    rules.set(peerKey(merged.peer), merged);
    out.push({
      workload,
      option: 'aggregate-cidr',
      detail: `${members
        .map((r) => (r.peer as { ip: string }).ip)
        .sort(cmp)
        .join(', ')} → ${block}`,
    });
  }
}

/**
 * External peers that one DNS name stands for at several addresses (seen through DNS answers): a
 * NetworkPolicy can only list the addresses seen, and the next rotation is denied. Listed, with the way
 * out (`--flavor cilium` allows the name itself).
 */
export function rotatingNames(
  workload: string,
  out: Map<string, Rule>,
  names: Map<string, string[]>,
  result: NetpolResult,
): void {
  const byName = new Map<string, Set<string>>();
  for (const r of out.values()) {
    if (r.peer.kind !== 'ip') continue;
    for (const n of r.names) byName.set(n, (byName.get(n) ?? new Set()).add(r.peer.ip));
  }
  for (const [name, seen] of [...byName].sort((a, b) => cmp(a[0], b[0]))) {
    const known = [...names].filter(([, ns]) => ns.includes(name)).length;
    if (seen.size < 2 && known < 2) continue;
    result.inexpressible.push({
      workload,
      detail: `${name} was seen at ${Math.max(seen.size, known)} addresses: a NetworkPolicy lists the ${seen.size} it connected to and will deny the next ones the name resolves to (--flavor cilium allows the name: toFQDNs)`,
    });
  }
}
