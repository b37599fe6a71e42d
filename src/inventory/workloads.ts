import { addView, compareWorkloads, WorkloadViews, type WorkloadInfo } from '../model/network.js';
import { Resolver, selectorLabels, stableLabels, type Inventory } from './inventory.js';
import { tupleKey } from '../util/key.js';

/** The workloads of an inventory's pods (host-network pods included: they are peers by node IP). */
export function workloadsOfInventory(inv: Inventory): WorkloadInfo[] {
  const r = new Resolver(inv);
  const views = new Map<string, WorkloadViews>();
  const pods = new Map<string, number>();
  for (const p of inv.pods) {
    const w = r.workloadOf(p);
    const k = tupleKey(w.namespace, w.name);
    addView(views, k, w);
    pods.set(k, (pods.get(k) ?? 0) + 1);
  }
  const out = new Map<string, WorkloadInfo>();
  for (const [k, n] of pods) out.set(k, { ...views.get(k)!.get(), pods: n });
  // Top-level controllers with no pods (a CronJob that never ran, a Deployment scaled to zero): workloads too.
  for (const c of inv.controllers) {
    if (c.owner || !c.template) continue;
    const name = r.workloadName(c.namespace, c.kind, c.name);
    const k = tupleKey(c.namespace, name);
    if (out.has(k)) continue;
    const labels = stableLabels(c.template.labels);
    const jobLike = c.kind === 'Job' || c.kind === 'CronJob';
    out.set(k, {
      namespace: c.namespace,
      name,
      kind: c.kind,
      selector: !jobLike && c.selector ? c.selector : selectorLabels(c.template.labels),
      labels,
      ports: [],
      hostNetwork: false,
      serviceAccount: c.template.serviceAccount,
      pods: 0,
      source: 'inventory',
    });
  }
  return [...out.values()].sort(compareWorkloads);
}
