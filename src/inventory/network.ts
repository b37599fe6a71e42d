import { networkPluginNamed, POLICY_AGENTS, type NetworkPlugin } from '../knowledge/network/plugins.js';
import { cmp } from '../model/issue.js';
import { tupleKey } from '../util/key.js';
import { Resolver, type Inventory, type InvNode } from './inventory.js';

/**
 * What an inventory tells the NetworkPolicy evaluator beyond its workloads: which plugin enforces the policies (an
 * ipBlock covering a pod depends on it), and the addresses of each workload's pods.
 */

/**
 * The plugin whose policy agent the inventory shows: a DaemonSet (or pods a DaemonSet owns) named as one of the known
 * agents in its namespace (knowledge/network/plugins.ts `POLICY_AGENTS`). None, or agents of more than one plugin (a
 * migration, or a second engine beside the first): unknown.
 */
export function networkPluginOf(inv: Inventory): NetworkPlugin | undefined {
  const daemonSets = new Set<string>();
  for (const c of inv.controllers) if (c.kind === 'DaemonSet') daemonSets.add(tupleKey(c.namespace, c.name));
  for (const p of inv.pods) if (p.owner?.kind === 'DaemonSet') daemonSets.add(tupleKey(p.namespace, p.owner.name));
  const found = new Set<string>();
  for (const a of POLICY_AGENTS)
    if (a.namespaces.some((ns) => daemonSets.has(tupleKey(ns, a.name)))) found.add(networkPluginNamed(a.plugin)!.name);
  if (found.size !== 1) return undefined;
  // One plugin, perhaps by two agents (cilium and anetd are both Cilium): the first agent found names it.
  const agent = POLICY_AGENTS.find((a) => a.namespaces.some((ns) => daemonSets.has(tupleKey(ns, a.name))))!;
  return networkPluginNamed(agent.plugin);
}

/** The addresses of each workload's pods (host-network pods have their node's, and are left out), sorted. */
export function podAddressesOf(inv: Inventory): Map<string, string[]> {
  const r = new Resolver(inv);
  const out = new Map<string, string[]>();
  for (const p of inv.pods) {
    if (p.hostNetwork || p.ips.length === 0) continue;
    const w = r.workloadOf(p);
    const k = tupleKey(w.namespace, w.name);
    const list = out.get(k);
    if (list) for (const ip of p.ips) list.push(ip);
    else out.set(k, [...p.ips]);
  }
  for (const [k, list] of out) out.set(k, [...new Set(list)].sort(cmp));
  return out;
}

/**
 * The network facts for the evaluator: `--network-plugin` when given (`unknown` says unknown, whatever the inventory
 * shows), else what the inventory shows; and the pods' addresses and the nodes (their addresses and labels, which
 * Cilium host policies select by) when an inventory was read.
 */
export function networkFacts(
  flag: string | undefined,
  inv: Inventory | undefined,
): { plugin?: NetworkPlugin; podAddresses?: Map<string, string[]>; nodes?: InvNode[] } {
  const plugin = flag !== undefined ? networkPluginNamed(flag) : inv ? networkPluginOf(inv) : undefined;
  return {
    ...(plugin ? { plugin } : {}),
    ...(inv ? { podAddresses: podAddressesOf(inv), nodes: inv.nodes } : {}),
  };
}
