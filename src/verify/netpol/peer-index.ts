/**
 * Long NetworkPolicy peer lists split by namespace, so that a rule listing one peer per workload of the cluster is read
 * only where its peers could match (evaluate.ts asks it of every pair such a rule takes part in).
 */

import { isObj } from '../../util/json.js';

type Obj = Record<string, unknown>;

/** The label the evaluator gives every namespace: its own name. */
export const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Peer lists at least this long are split by namespace; shorter ones are read in full. */
export const INDEX_PEERS_FROM = 8;

export interface PeerIndex {
  /** Peers with an ipBlock (they match by address, pods included). */
  ip: Obj[];
  /** Peers that can only match pods of one namespace: no namespaceSelector (the policy's), or one naming it. */
  byNamespace: Map<string, Obj[]>;
  /** Every other peer. */
  anyNamespace: Obj[];
}

/**
 * A peer list split as `k8sPeer` reads it: an ipBlock peer is decided by address alone; otherwise a peer without a
 * namespaceSelector matches only in the policy's namespace, and one whose namespaceSelector's matchLabels names
 * `kubernetes.io/metadata.name` only in that namespace (the evaluator sets that label to the namespace's own name).
 */
export function indexPeers(list: unknown[], policyNs: string): PeerIndex {
  const index: PeerIndex = { ip: [], byNamespace: new Map(), anyNamespace: [] };
  for (const p of list) {
    if (!isObj(p)) continue;
    if (isObj(p['ipBlock'])) {
      index.ip.push(p);
      continue;
    }
    const nsSel = p['namespaceSelector'];
    let ns: string | undefined;
    if (nsSel === undefined) ns = policyNs;
    else if (isObj(nsSel) && isObj(nsSel['matchLabels']) && Object.hasOwn(nsSel['matchLabels'], NAME_LABEL)) {
      const v = nsSel['matchLabels'][NAME_LABEL];
      if (typeof v === 'string') ns = v;
    }
    if (ns === undefined) index.anyNamespace.push(p);
    else {
      const l = index.byNamespace.get(ns);
      if (l) l.push(p);
      else index.byNamespace.set(ns, [p]);
    }
  }
  return index;
}
