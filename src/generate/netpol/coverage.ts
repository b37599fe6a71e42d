import { inClusterRange } from '../../knowledge/network/cidr.js';
import { cmp } from '../../model/issue.js';
import type { WorkloadInfo } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';
import type { Rule } from './rules.js';
import { plural } from '../../util/plural.js';

/**
 * What the policies leave unsaid, for the summary: the inventory's workloads that had no traffic and whether a default
 * deny written here covers them; the traffic that reached no workload at either end; the `/32` blocks of addresses in
 * the cluster's ranges that no pod or node of the inventory has.
 */

/** A workload of the inventory with no observed traffic; `open`: why no default deny covers it (absent: one does). */
export interface QuietWorkload {
  workload: string;
  open?: string;
}

/** Why a namespace got no default deny, when it got none; the namespaces that got one are not in the map. */
export type NoDenyReasons = Map<string, string>;

/** Why no default deny covers the namespace `ns`, which holds no generated policy (none of its workloads talked). */
export function noPolicyReason(ns: string, defaultDeny: boolean): string {
  return defaultDeny
    ? `no workload of ${ns} was seen talking, so no policy and no default deny were written there`
    : '--no-default-deny';
}

/**
 * The inventory's workloads that had no traffic (host-network pods are outside NetworkPolicy's reach: peers by node
 * address, never quiet workloads), each with why nothing covers it when nothing does: a default deny is written only
 * for a namespace that has generated policies.
 */
export function quietWorkloads(
  workloads: Map<string, WorkloadInfo>,
  active: Set<string>,
  denied: Set<string>,
  noDeny: NoDenyReasons,
  defaultDeny: boolean,
): QuietWorkload[] {
  const out: QuietWorkload[] = [];
  for (const [key, w] of [...workloads].sort((a, b) => cmp(a[0], b[0]))) {
    if (active.has(key) || w.source !== 'inventory' || w.hostNetwork) continue;
    if (denied.has(w.namespace)) out.push({ workload: key });
    else out.push({ workload: key, open: noDeny.get(w.namespace) ?? noPolicyReason(w.namespace, defaultDeny) });
  }
  return out;
}

/** Traffic with no workload at either end and an unresolved address at one: no policy is made from it. */
export interface Unresolved {
  /** Connections (records, where no start was seen) of such paths. */
  connections: number;
  /** Of all allowed connections. */
  of: number;
  paths: number;
  /** Sources whose reading noticed addresses beside the inventory's pods that none of its pods has. */
  unknownAddressFiles: number;
}

/**
 * Allowed paths whose ends are no workload, one of them an address (node to node is the nodes' own traffic). With an
 * inventory, most often the pods of an inventory taken after the flows: their addresses are no pod of it.
 */
export function unresolvedTraffic(profile: Pick<Profile, 'network' | 'sources'>): Unresolved | undefined {
  let connections = 0;
  let of = 0;
  let paths = 0;
  for (const e of profile.network ?? []) {
    if (!e.allowed) continue;
    const n = e.allowed.connections || e.allowed.records;
    of += n;
    if (e.from.kind === 'workload' || e.to.kind === 'workload') continue;
    if (e.from.kind !== 'ip' && e.to.kind !== 'ip') continue;
    connections += n;
    paths++;
  }
  if (!paths) return undefined;
  const unknownAddressFiles = (profile.sources ?? []).filter((s) =>
    (s.noticeSamples ?? []).some((i) => i.code === 'flow.unknown-address'),
  ).length;
  return { connections, of, paths, unknownAddressFiles };
}

/**
 * The rules' peers that are addresses in the ranges clusters take their pod addresses from (RFC 1918, CGNAT, ULA)
 * which, the profile having been read with an inventory, no pod or node of it has: each a `/32` (`/128`) block that
 * follows the address. A pod gone before the inventory was taken is one of them, and the next pod given its address
 * inherits the rule.
 */
export function clusterRangeBlocks(workload: string, rules: Iterable<Rule>): { workload: string; ip: string }[] {
  const ips = new Set<string>();
  for (const r of rules) if (r.peer.kind === 'ip' && inClusterRange(r.peer.ip)) ips.add(r.peer.ip);
  return [...ips].sort(cmp).map((ip) => ({ workload, ip }));
}

/**
 * The backtest's caveat when most of the traffic of its windows reached no workload: the replay counts it allowed (no
 * NetworkPolicy selects an address), so the breakage figure says little of the policies.
 */
export function unresolvedCaveat(profiles: Pick<Profile, 'network' | 'sources'>[]): string | undefined {
  let connections = 0;
  let of = 0;
  const files = new Set<string>();
  for (const p of profiles) {
    const u = unresolvedTraffic(p);
    of += u?.of ?? 0;
    connections += u?.connections ?? 0;
    for (const s of p.sources ?? [])
      if ((s.noticeSamples ?? []).some((i) => i.code === 'flow.unknown-address')) files.add(s.path);
  }
  if (connections * 2 <= of) return undefined;
  return (
    `most of the network traffic reached no workload: ${connections.toLocaleString('en-US')} of ` +
    `${of.toLocaleString('en-US')} connections (${((100 * connections) / of).toFixed(1)}%) have no workload at either ` +
    'end; no policy was made from them and the replay counts them allowed (no NetworkPolicy selects an address)' +
    (files.size
      ? `; their addresses lie beside the inventory's pods, yet none of its pods has them (flow.unknown-address in ` +
        `${plural(files.size, 'file')}): most likely pods that came and went before the inventory was taken. Give inventories ` +
        'taken during the soak (--inventory takes several), or Hubble flows, which name the pods'
      : '')
  );
}
