import { compareEdges, mergeFlowEvidence, peerId, type NetEdge, type Peer } from './network.js';

/** The Kubernetes API server as a network peer (model/network.ts `Peer`): its form in the profile, and its edges. */

/**
 * A peer as the profile writes it. The API server is written as its address with `apiserver: true`: a field added
 * within the profile's apiVersion (docs/formats.md, "Compatibility"), so a reader that does not know it reads the
 * address, as it would have made it from the same flows.
 */
export type WirePeer = Exclude<Peer, { kind: 'apiserver' | 'ip' }> | { kind: 'ip'; ip: string; apiserver?: true };
export type WireEdge = Omit<NetEdge, 'from' | 'to'> & { from: WirePeer; to: WirePeer };

export function wirePeer(p: Peer): WirePeer {
  return p.kind === 'apiserver' ? { kind: 'ip', ip: p.ip, apiserver: true } : p;
}

export function peerOfWire(p: WirePeer): Peer {
  return p.kind === 'ip' && p.apiserver ? { kind: 'apiserver', ip: p.ip } : p;
}

export const wireEdge = (e: NetEdge): WireEdge => ({ ...e, from: wirePeer(e.from), to: wirePeer(e.to) });
export const edgeOfWire = (e: WireEdge): NetEdge => ({ ...e, from: peerOfWire(e.from), to: peerOfWire(e.to) });

/**
 * Edges as one connection seen by several sources: an address (`ip` or `node`) that an edge of the same other end,
 * protocol and port shows as the API server is the API server (Hubble labels it; a VPC flow log of the same
 * connection cannot). Its evidence joins the API server's edge. Depends only on the set of edges, so the builder and
 * a merge of any grouping give the same; edges of other ports or other workloads keep the address as it came.
 */
export function foldApiServer(edges: NetEdge[]): NetEdge[] {
  const servers = new Map<string, NetEdge>();
  const slotKey = (side: 'from' | 'to', e: NetEdge, ip: string) =>
    [side, ip, peerId(side === 'from' ? e.to : e.from), e.protocol, String(e.port)].join('\0');
  for (const e of edges) {
    if (e.to.kind === 'apiserver') servers.set(slotKey('to', e, e.to.ip), e);
    if (e.from.kind === 'apiserver') servers.set(slotKey('from', e, e.from.ip), e);
  }
  if (servers.size === 0) return edges;
  const out: NetEdge[] = [];
  const merged = new Map<NetEdge, NetEdge>();
  for (const e of edges) {
    const side = e.to.kind === 'ip' || e.to.kind === 'node' ? 'to' : undefined;
    const other = e.from.kind === 'ip' || e.from.kind === 'node' ? 'from' : undefined;
    const server =
      (side && servers.get(slotKey('to', e, (e.to as { ip: string }).ip))) ||
      (other && servers.get(slotKey('from', e, (e.from as { ip: string }).ip)));
    if (!server) {
      out.push(e);
      continue;
    }
    const into = merged.get(server) ?? server;
    merged.set(server, joinEvidence(into, e));
  }
  return out.map((e) => merged.get(e) ?? e);
}

/** `a` (its peers, protocol and port) with `b`'s evidence added. */
function joinEvidence(a: NetEdge, b: NetEdge): NetEdge {
  const out: NetEdge = { from: a.from, to: a.to, protocol: a.protocol, port: a.port };
  const allowed = a.allowed && b.allowed ? mergeFlowEvidence(a.allowed, b.allowed) : (a.allowed ?? b.allowed);
  const denied = a.denied && b.denied ? mergeFlowEvidence(a.denied, b.denied) : (a.denied ?? b.denied);
  if (allowed) out.allowed = allowed;
  if (denied) out.denied = denied;
  return out;
}

/** A profile's connections from its edges: folded as above, in the profile's order. */
export const profileEdges = (edges: Iterable<NetEdge>): NetEdge[] => foldApiServer([...edges]).sort(compareEdges);

/** The addresses the API server was seen at in `edges`, and `more` (a backtest's training window's). */
export function apiServersOf(edges: readonly NetEdge[] | undefined, more: readonly string[] = []): string[] {
  const out = new Set(more);
  for (const e of edges ?? []) for (const p of [e.from, e.to]) if (p.kind === 'apiserver') out.add(p.ip);
  return [...out];
}

/**
 * A peer at an address the API server was seen at (`servers`) as the API server: a flow log cannot label it, Hubble
 * did. Not a pod's own node, whose traffic with it Kubernetes allows whatever the policies.
 */
export const asServer = (p: Peer, servers: ReadonlySet<string>): Peer =>
  (p.kind === 'ip' || (p.kind === 'node' && !p.own)) && servers.has(p.ip) ? { kind: 'apiserver', ip: p.ip } : p;
