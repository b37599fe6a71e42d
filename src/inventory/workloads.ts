import { mergeWorkload, type WorkloadInfo } from '../model/network.js';
import { cmp } from '../model/issue.js';
import { Resolver, type Inventory } from './inventory.js';

/** The workloads of an inventory's pods (host-network pods included: they are peers by node IP). */
export function workloadsOfInventory(inv: Inventory): WorkloadInfo[] {
  const r = new Resolver(inv);
  const out = new Map<string, WorkloadInfo>();
  for (const p of inv.pods) {
    const w = r.workloadOf(p);
    const k = `${w.namespace}/${w.name}`;
    const prev = out.get(k);
    out.set(k, prev ? mergeWorkload(prev, w) : w);
  }
  return [...out.keys()].sort(cmp).map((k) => out.get(k)!);
}
