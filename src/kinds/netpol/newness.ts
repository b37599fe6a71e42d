import type { NetpolFinding } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import { describePeer } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';

/**
 * Why a held-out connection is denied: a new source, peer or port, or pods at either end that the selector training
 * gave their workload no longer selects (a label changed at a release); a connection training saw as it is is said
 * not to be new. A new address that the held-out window's DNS answers
 * give a name training reached at another address is said so: the service moved, and a `/32` block follows the
 * address, not the name (Cilium's `toFQDNs` follows the name).
 */
export function netpolNewness(f: NetpolFinding, train: Profile, heldOut: Profile): string {
  const a = f.access;
  const edges = (train.network ?? []).filter((e) => e.allowed && describePeer(e.from) === a.from);
  if (edges.length === 0) {
    const calls = (train.network ?? []).filter((e) => e.allowed && describePeer(e.to) === a.to);
    return `a new source ${a.from}${movedServer(a.from, calls, 'from') || ': it made no connection in training'}`;
  }
  // A workload of training whose held-out pods its selector no longer selects: its policies, and the rules naming it
  // as a peer, miss them whatever the peer or port.
  const moved = [a.from, a.to].map((w) => relabelled(w, train, heldOut)).filter((x) => x !== undefined);
  const peer = edges.filter((e) => describePeer(e.to) === a.to);
  const seen = [...new Set(peer.map((e) => `${e.protocol}/${e.port}`))];
  const isNew = !peer.length
    ? `a new peer ${a.to}${movedServer(a.to, edges, 'to') || movedName(a.to, edges, train, heldOut)}`
    : !seen.includes(`${a.protocol}/${a.port}`)
      ? `a new port ${a.protocol}/${a.port} to ${a.to} (seen: ${seen.join(', ')})`
      : undefined;
  if (moved.length) return moved.join('; ') + (isNew ? `; besides, ${isNew}` : '');
  if (isNew) return isNew;
  return (
    `not new: ${a.from} reached ${a.to} on ${a.protocol}/${a.port} in training, and is denied all the same` +
    (f.detail ? ` (${f.detail})` : '')
  );
}

/**
 * `NAME's pods no longer match its selector (…)` when the held-out pods of workload `name` lack a label of the selector
 * training gave it (which its policy selects it by, and the rules naming it as a peer), each said with its values.
 */
function relabelled(name: string, train: Profile, heldOut: Profile): string | undefined {
  const find = (p: Profile) => (p.workloads ?? []).find((w) => `${w.namespace}/${w.name}` === name);
  const was = find(train);
  const now = find(heldOut);
  if (!was || !now) return undefined;
  const labels: Record<string, string> = { ...now.labels, ...now.selector };
  const differ = Object.entries(was.selector).filter(([k, v]) => labels[k] !== v);
  if (!differ.length) return undefined;
  const words = differ.map(([k, v]) =>
    labels[k] === undefined
      ? `${k}=${v} in training, not on all of them now`
      : `${k}=${v} in training, ${k}=${labels[k]} now`,
  );
  return `${name}'s pods no longer match the selector its policy was written with (${words.join('; ')})`;
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

/**
 * `, a new address of the API server (seen at IP in training): ...` when `peer` is the API server and training's
 * `edges` had it (on their `side`) at other addresses: a managed control plane moved it (EKS replaces its network
 * interfaces on upgrades and scaling).
 */
function movedServer(peer: string, edges: NonNullable<Profile['network']>, side: 'from' | 'to'): string {
  const was = [...new Set(edges.flatMap((e) => (e[side].kind === 'apiserver' ? [e[side].ip] : [])))].sort(cmp);
  if (!peer.startsWith(describePeer({ kind: 'apiserver', ip: '' })) || !was.length) return '';
  return (
    `, a new address of the API server (seen at ${was.join(', ')} in training): a NetworkPolicy names it by ` +
    'address, which managed control planes change (--flavor cilium allows it as the kube-apiserver entity)'
  );
}

/** A profile's DNS names by address, made once per profile (a backtest asks for every denied connection). */
const byAddress = new WeakMap<Profile, Map<string, string[]>>();
function namesByAddress(p: Profile): Map<string, string[]> {
  let m = byAddress.get(p);
  if (!m) byAddress.set(p, (m = new Map((p.dnsNames ?? []).map((n) => [n.ip, n.names]))));
  return m;
}
