import { selectorLabels, stableLabels, workloadNameFromPod } from '../../inventory/inventory.js';
import type { WorkloadInfo } from '../../model/network.js';
import { isObj } from '../../util/json.js';
import { tupleKeyOf } from '../../util/key.js';
import { put } from '../../util/own.js';
import type { Side } from './observation.js';

/** Cilium's own labels: identity bookkeeping, never a pod's selector. */
const CILIUM_LABEL = /^(io\.cilium\.|io\.kubernetes\.pod\.namespace$)/;
const SERVICE_ACCOUNT = 'k8s:io.cilium.k8s.policy.serviceaccount=';
/** Most pods remembered at once (past it, the memory starts over). */
const LIMIT = 4096;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Pods the inventory does not hold, as Hubble's endpoints name them: the workload from the `workloads` Hubble gives or
 * the pod's name, the selector from its stable labels but those a release changes (knowledge/kubernetes/podLabels.ts).
 * One pod comes back record after record, so each is made once, by its namespace, name, workload and labels, and kept
 * frozen: every flow of it shares the objects, and the name checks (knowledge/network/names.ts) check a frozen
 * workload once.
 */
export class FlowPods {
  private known = new Map<string, Side>();

  /** The side of a flow at pod `podName` of `namespace`, carrying Hubble's `labels` and endpoint `ep`. */
  side(namespace: string, podName: string, labels: string[], ep: Record<string, unknown>): Side {
    const wl = Array.isArray(ep['workloads']) ? ep['workloads'].filter(isObj)[0] : undefined;
    const wlName = wl ? str(wl['name']) : '';
    const wlKind = wl ? str(wl['kind']) : '';
    const key = tupleKeyOf([namespace, podName, wlName, wlKind, ...labels]);
    const hit = this.known.get(key);
    if (hit) return hit;
    const side = podSide(namespace, podName, labels, wlName, wlKind);
    if (this.known.size >= LIMIT) this.known = new Map();
    this.known.set(key, side);
    return side;
  }
}

function podSide(namespace: string, podName: string, labels: string[], wlName: string, wlKind: string): Side {
  const podLabels: Record<string, string> = {};
  for (const l of labels) {
    if (!l.startsWith('k8s:')) continue;
    const kv = l.slice(4);
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    if (CILIUM_LABEL.test(k)) continue;
    put(podLabels, k, eq < 0 ? '' : kv.slice(eq + 1));
  }
  const guess = wlName ? { name: wlName, kind: wlKind || 'Unknown' } : workloadNameFromPod(podName, podLabels);
  const stable = Object.freeze(stableLabels(podLabels));
  const sa = labels.find((l) => l.startsWith(SERVICE_ACCOUNT))?.slice(SERVICE_ACCOUNT.length);
  const w: WorkloadInfo = Object.freeze({
    namespace,
    name: guess.name,
    kind: guess.kind,
    // Labels a release changes (app.kubernetes.io/version, helm.sh/chart) are the pods' but never their selector.
    selector: Object.freeze(selectorLabels(podLabels)),
    labels: stable,
    ports: Object.freeze([]) as unknown as WorkloadInfo['ports'],
    hostNetwork: false,
    ...(sa ? { serviceAccount: sa } : {}),
    source: 'flow-labels' as const,
  });
  return Object.freeze({ peer: Object.freeze({ kind: 'workload' as const, namespace, name: w.name }), workload: w });
}
