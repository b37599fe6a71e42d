import type { CiEvidence } from '../../model/finding.js';
import { describePeer, mergeFlowEvidence, type FlowEvidence, type Peer } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';
import { addressValue } from '../../knowledge/network/cidr.js';
import type { Endpoint } from '../../verify/netpol/evaluate.js';
import { noEvidence } from '../findings.js';

/** The profile's connections and peers as the universe of a comparison names them (compare.ts, universe.ts). */

/**
 * An endpoint by the name a verify finding gives it (`ns/name`, `node 10.0.0.1`, `API server 10.0.0.1`, an address)
 * the universe lacks.
 */
export function endpointNamed(name: string): Endpoint {
  if (name.startsWith('node ')) return { kind: 'ip', ip: name.slice(5), node: true };
  if (name.startsWith(SERVER)) return { kind: 'ip', ip: name.slice(SERVER.length), apiserver: true };
  return addressValue(name) === undefined && name.includes('/')
    ? { kind: 'pod', namespace: name.slice(0, name.indexOf('/')), labels: {}, ports: [] }
    : { kind: 'ip', ip: name };
}

/** How verify names the API server at an address (`API server 10.0.5.10`), less the address. */
export const SERVER = describePeer({ kind: 'apiserver', ip: '' });

/** The API server at several addresses: `API server 10.0.5.10, 10.0.6.20`. */
export const serversNamed = (names: string[]): string =>
  SERVER + [...new Set(names.map((n) => n.slice(SERVER.length)))].join(', ');

/** Names as the universe gives them: `ns/name` for workloads, the address for nodes and IPs, the API server's words. */
const peerName = (p: Peer) =>
  p.kind === 'workload' ? `${p.namespace}/${p.name}` : p.kind === 'apiserver' ? describePeer(p) : p.ip;

const flowKey = (from: string, to: string, protocol: string, port: number) =>
  JSON.stringify([from, to, protocol, port]);

/**
 * The allowed evidence of the profile's connections by (from, to, protocol, port), merged in profile order: a diff
 * asks once per group of grants, and walking every connection each time was pairs × connections.
 */
export function observedFlows(profile: Profile): Map<string, FlowEvidence> {
  const out = new Map<string, FlowEvidence>();
  for (const e of profile.network ?? []) {
    if (!e.allowed) continue;
    const k = flowKey(peerName(e.from), peerName(e.to), e.protocol, e.port);
    const ev = out.get(k);
    out.set(k, ev ? mergeFlowEvidence(ev, e.allowed) : e.allowed);
  }
  return out;
}

/** The evidence of the connections of a group the profile saw (runs of one observed port), merged. */
export function evidenceOf(
  observed: Map<string, FlowEvidence>,
  items: { from: string; to: string; protocol: string; port: number; observed: boolean }[],
): CiEvidence {
  let ev: FlowEvidence | undefined;
  for (const g of items) {
    const e = g.observed ? observed.get(flowKey(g.from, g.to, g.protocol, g.port)) : undefined;
    if (e) ev = ev ? mergeFlowEvidence(ev, e) : e;
  }
  return ev
    ? {
        used: true,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}
