import type { NetpolFinding } from '../../model/finding.js';
import { describePeer } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';

/**
 * Why a held-out connection is new: a new source, peer or port. A new address that the held-out window's DNS answers
 * give a name training reached at another address is said so: the service moved, and a `/32` block follows the
 * address, not the name (Cilium's `toFQDNs` follows the name).
 */
export function netpolNewness(f: NetpolFinding, train: Profile, heldOut: Profile): string {
  const a = f.access;
  const edges = (train.network ?? []).filter((e) => e.allowed && describePeer(e.from) === a.from);
  if (edges.length === 0) return `a new source ${a.from}: it made no connection in training`;
  const peer = edges.filter((e) => describePeer(e.to) === a.to);
  if (peer.length === 0) return `a new peer ${a.to}${movedName(a.to, edges, train, heldOut)}`;
  return `a new port ${a.protocol}/${a.port} to ${a.to} (seen: ${[...new Set(peer.map((e) => `${e.protocol}/${e.port}`))].join(', ')})`;
}

/** `, a new address of NAME (reached at IP in training): ...` when the held-out names of `to` were reached before. */
function movedName(to: string, edges: NonNullable<Profile['network']>, train: Profile, heldOut: Profile): string {
  const namesOf = (p: Profile, ip: string) => namesByAddress(p).get(ip) ?? [];
  const now = namesOf(heldOut, to);
  if (!now.length) return '';
  for (const e of edges) {
    if (e.to.kind !== 'ip') continue;
    const shared = namesOf(train, e.to.ip).filter((n) => now.includes(n));
    if (shared.length)
      return (
        `, a new address of ${shared[0]} (reached at ${e.to.ip} in training): the policy's block names the address, ` +
        'not the name (--flavor cilium allows the name with toFQDNs)'
      );
  }
  return '';
}

/** A profile's DNS names by address, made once per profile (a backtest asks for every denied connection). */
const byAddress = new WeakMap<Profile, Map<string, string[]>>();
function namesByAddress(p: Profile): Map<string, string[]> {
  let m = byAddress.get(p);
  if (!m) byAddress.set(p, (m = new Map((p.dnsNames ?? []).map((n) => [n.ip, n.names]))));
  return m;
}
