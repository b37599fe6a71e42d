/**
 * Whether a Kubernetes NetworkPolicy rule allows a connection (Kubernetes API reference "NetworkPolicy"): its ports,
 * then its peers: podSelector in the policy's namespace, namespaceSelector (with podSelector), ipBlock with except
 * (ip-block.ts). A rule without peers allows every peer; a long peer list is read through its index (peer-index.ts).
 */

import { labelSelectorMatches, readLabelSelector, type LabelSelector } from '../../util/labels.js';
import { isObj } from '../../util/json.js';
import { fact, NO, YES, MAYBE, type FactsWorld, type Tri } from './cilium-peers.js';
import { INDEX_PEERS_FROM, indexPeers, NAME_LABEL, type PeerIndex } from './peer-index.js';
import { IpBlocks } from './ip-block.js';
import { k8sPorts } from './directions.js';
import type { Connection, Endpoint } from './evaluate.js';
import { HOST_NETWORK_GROUP, INGRESS_GROUP, ROUTER_NAMESPACE } from '../../knowledge/kubernetes/openShift.js';

type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Whether a selector names `key` and matches a namespace carrying it (empty value): OpenShift's policy groups
 * (knowledge/kubernetes/openShift.ts) are matched only where a selector names them (`namespaceSelector: {}` stays
 * every pod).
 */
function selectsGroup(sel: unknown, key: string): boolean {
  if (!isObj(sel)) return false;
  const named =
    (isObj(sel['matchLabels']) && Object.hasOwn(sel['matchLabels'], key)) ||
    arr(sel['matchExpressions']).some((e) => isObj(e) && e['key'] === key);
  return named && selectorMatches(sel, { [key]: '' });
}

/** Selectors as read, by the object written in the policy (a pair of workloads asks each many times). */
const readSelectors = new WeakMap<object, LabelSelector | undefined>();

/** Label selector semantics on a selector as written in a policy (see util/labels.ts). */
export function selectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  let s: LabelSelector | undefined;
  if (typeof sel === 'object' && sel !== null) {
    if (readSelectors.has(sel)) s = readSelectors.get(sel);
    else readSelectors.set(sel, (s = readLabelSelector(sel)));
  } else s = readLabelSelector(sel);
  return s !== undefined && labelSelectorMatches(s, labels);
}

export class K8sRules {
  private readonly nsLabelsOf = new Map<string, Record<string, string>>();
  /** Long peer lists split by namespace (`indexPeers`), by the list as written and the policy's namespace. */
  private readonly peerIndexes = new WeakMap<unknown[], Map<string, PeerIndex>>();

  constructor(
    /** Namespace labels; `kubernetes.io/metadata.name` is added for every namespace. */
    private readonly namespaceLabels: Map<string, Record<string, string>>,
    /** How ipBlock peers match, with what is known of the plugin and of which addresses are not pods. */
    private readonly ipBlocks: IpBlocks,
  ) {}

  private nsLabels(ns: string): Record<string, string> {
    let labels = this.nsLabelsOf.get(ns);
    if (!labels) {
      labels = {
        ...(this.namespaceLabels.get(ns) ?? {}),
        [NAME_LABEL]: ns,
        ...(ns === ROUTER_NAMESPACE ? { [INGRESS_GROUP]: '' } : {}),
      };
      this.nsLabelsOf.set(ns, labels);
    }
    return labels;
  }

  /**
   * Whether a rule allows the connection: the best its peers say (a maybe's reasons into `why`). An ipBlock that may
   * hold the peer pods is a maybe for want of facts, resolved in a `world` (cilium-peers.ts `FactsWorld`).
   */
  rule(
    r: Obj,
    dir: 'Ingress' | 'Egress',
    policyNs: string,
    other: Endpoint,
    c: Connection,
    world: FactsWorld | undefined,
    why?: string[],
  ): Tri {
    if (!k8sPorts(r['ports'], c)) return NO;
    const peers = r[dir === 'Egress' ? 'to' : 'from'];
    const list = arr(peers);
    if (peers === undefined || list.length === 0) return YES;
    let best: Tri = NO;
    const visit = (ps: unknown[]) => {
      for (const p of ps) {
        if (best === YES) return;
        if (!isObj(p)) continue;
        const t = this.peer(p, policyNs, other, why);
        const resolved = t === MAYBE ? fact(world, false) : t;
        if (resolved > best) best = resolved;
      }
    };
    if (list.length < INDEX_PEERS_FROM) visit(list);
    else {
      // A rule listing one peer per workload (a metrics scraper's egress) is asked about every pair it takes part in:
      // only the peers that could match in the other side's namespace are read, which say what the whole list says.
      const index = this.peerIndex(list, policyNs);
      visit(index.ip);
      // A node is matched by OpenShift's policy groups, which index with the selectors of any namespace.
      if (other.kind !== 'pod' && other.node) visit(index.anyNamespace);
      if (other.kind === 'pod') {
        visit(index.byNamespace.get(other.namespace) ?? []);
        visit(index.anyNamespace);
      }
    }
    return best;
  }

  private peerIndex(list: unknown[], policyNs: string): PeerIndex {
    let byPolicyNs = this.peerIndexes.get(list);
    if (!byPolicyNs) this.peerIndexes.set(list, (byPolicyNs = new Map()));
    let index = byPolicyNs.get(policyNs);
    if (!index) byPolicyNs.set(policyNs, (index = indexPeers(list, policyNs)));
    return index;
  }

  private peer(p: Obj, policyNs: string, ep: Endpoint, why?: string[]): Tri {
    if (isObj(p['ipBlock'])) {
      const m = this.ipBlocks.match(p['ipBlock'], ep);
      if (m.why && why) why.push(m.why);
      return m.t;
    }
    if (ep.kind !== 'pod') return ep.node ? this.hostGroup(p, why) : NO;
    if (p['namespaceSelector'] !== undefined) {
      if (!selectorMatches(p['namespaceSelector'], this.nsLabels(ep.namespace))) return NO;
    } else if (ep.namespace !== policyNs) return NO;
    if (p['podSelector'] !== undefined) return selectorMatches(p['podSelector'], ep.labels) ? YES : NO;
    return p['namespaceSelector'] !== undefined ? YES : NO;
  }

  /** A node's address against OpenShift's policy groups: host-network matches; ingress may (a host-network router). */
  private hostGroup(p: Obj, why?: string[]): Tri {
    const sel = p['namespaceSelector'];
    if (p['podSelector'] !== undefined && !selectorMatches(p['podSelector'], {})) return NO;
    if (selectsGroup(sel, HOST_NETWORK_GROUP)) return YES;
    if (!selectsGroup(sel, INGRESS_GROUP)) return NO;
    why?.push(
      `OpenShift's ingress policy group: a node's address is the Ingress Controller's only when its router runs on the host network`,
    );
    return MAYBE;
  }
}
