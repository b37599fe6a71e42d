import type { NetpolFinding } from '../../model/finding.js';
import { describePeer } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';

/** Why a held-out connection is new: a new source, peer or port. */
export function netpolNewness(f: NetpolFinding, train: Profile): string {
  const a = f.access;
  const edges = (train.network ?? []).filter((e) => e.allowed && describePeer(e.from) === a.from);
  if (edges.length === 0) return `a new source ${a.from}: it made no connection in training`;
  const peer = edges.filter((e) => describePeer(e.to) === a.to);
  if (peer.length === 0) return `a new peer ${a.to}`;
  return `a new port ${a.protocol}/${a.port} to ${a.to} (seen: ${[...new Set(peer.map((e) => `${e.protocol}/${e.port}`))].join(', ')})`;
}
