/**
 * Cilium host policies (the host firewall): which nodes a host policy selects. Taken from Cilium's documentation
 * "Host Policies" (security/policy/host) and "Host Firewall" (security/host-firewall), and the `Rule` type's
 * field docs (pkg/policy/api/rule.go, reproduced in the CRD):
 * - a host policy is a CiliumClusterwideNetworkPolicy with a `nodeSelector` instead of an `endpointSelector` (the two
 *   are mutually exclusive; `nodeSelector` is only valid in a clusterwide policy);
 * - it selects nodes by their labels, and applies on each selected node to the host namespace, host-networking pods
 *   included, never to the traffic of pods that have their own network namespace (between pods, or between pods and
 *   the outside of the cluster);
 * - its rules are the same ingress/egress (and deny) rules as an endpoint policy's, enforced on the host endpoint: the
 *   host is shown as an endpoint labelled `reserved:host` plus the node's labels (`k8s:node-access=ssh`), and a policy
 *   with ingress rules enables enforcement at ingress only (the tutorial's endpoint list: ingress Enabled, egress
 *   Disabled), as an endpoint policy isolates a pod (security/policy/intro, "Endpoint default policy").
 * Here a node is an address the flows saw as a node (Hubble's `reserved:host`/`reserved:remote-node` identities, a
 * host-network pod, an inventory node's address): `Endpoint` `{ kind: 'ip', node: true }`.
 */

import { isPrivateAddress } from '../../knowledge/network/cidr.js';
import { labelSelectorMatches, type LabelSelector } from '../../util/labels.js';
import { isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { ciliumSelector } from './cilium.js';
import { fact, MAYBE, NO, YES, type FactsWorld, type NodeFact, type Tri } from './cilium-peers.js';
import type { Endpoint } from './evaluate.js';

type Obj = Record<string, unknown>;

/**
 * An L7 rule a host policy may not hold, in words, or undefined: "Host policies can have layer 3 and layer 4 rules
 * on both ingress and egress. They can also have layer 7 DNS rules, but no other kinds of layer 7 rules" (Host
 * Policies). An HTTP, Kafka or generic (`l7proto`) rule in one is refused, as Cilium refuses the policy.
 */
export function hostL7Problem(spec: Obj): string | undefined {
  for (const dir of ['ingress', 'egress'])
    for (const [i, r] of (Array.isArray(spec[dir]) ? (spec[dir] as unknown[]) : []).entries()) {
      const ports = isObj(r) && Array.isArray(r['toPorts']) ? (r['toPorts'] as unknown[]) : [];
      for (const tp of ports) {
        const rules = isObj(tp) ? tp['rules'] : undefined;
        if (!isObj(rules)) continue;
        const kinds = ['http', 'kafka', 'l7proto', 'l7'].filter((k) => {
          const v = rules[k];
          return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
        });
        if (kinds.length)
          return `${dir} rule ${i} has an L7 rule (${kinds.join(', ')}): a host policy may hold L7 DNS rules only`;
      }
    }
  return undefined;
}

/** Whether a policy as read (`readNetworkPolicies`) is a host policy: a clusterwide policy with a nodeSelector. */
export function isHostPolicy(kind: string, namespace: string, spec: Obj): boolean {
  return kind === 'CiliumNetworkPolicy' && namespace === '' && spec['nodeSelector'] !== undefined;
}

/**
 * Key prefixes Cilium leaves out of the labels it considers by default (operations/performance/scalability,
 * "Limiting Identity-Relevant Labels": each pattern is anchored at the start of the key). The documentation does not
 * say whether the host endpoint's node labels pass through this filter, and an operator may change it: a selection
 * that differs with and without it is a maybe.
 */
const FILTERED = [
  'io.kubernetes',
  'kubernetes.io',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'batch.kubernetes.io/job-completion-index',
  'batch.kubernetes.io/controller-uid',
  'beta.kubernetes.io',
  'k8s.io',
  'pod-template-generation',
  'pod-template-hash',
  'controller-revision-hash',
  'annotation',
  'controller-uid',
  'etcd_node',
];

/** The host endpoint's labels as a Cilium selector reads them: the node's, and `reserved:host`. */
function hostLabels(labels: Record<string, string>, filtered: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!filtered || !FILTERED.some((f) => k.startsWith(f))) put(out, k, v);
  // `ciliumSelector` keeps a key of another source than k8s/any as `\0source:key`.
  put(out, '\u0000reserved:host', '');
  return out;
}

const selectsAll = (s: LabelSelector) => Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;

/** The nodes the evaluator knows, by address. */
export class HostNodes {
  private readonly byIp = new Map<string, NodeFact>();
  /** Selections by policy spec, then by endpoint (pairs reuse theirs). */
  private readonly cache = new WeakMap<Obj, WeakMap<Endpoint, Tri>>();

  constructor(private readonly nodes: readonly NodeFact[] | undefined) {
    for (const n of nodes ?? []) for (const ip of n.ips) if (!this.byIp.has(ip)) this.byIp.set(ip, n);
  }

  /**
   * Whether an endpoint may be a host endpoint at all: a node's address; without an inventory's nodes, also a private
   * address (a node the flows did not show as one). A pod never is: its traffic is not the host's.
   */
  private mayBeNode(ep: Endpoint): Tri {
    if (ep.kind !== 'ip') return NO;
    if (ep.node || this.byIp.has(ep.ip)) return YES;
    return this.nodes === undefined && isPrivateAddress(ep.ip) ? MAYBE : NO;
  }

  /**
   * Whether a host policy selects the node at an endpoint: by the node's labels; a maybe where they are not known (no
   * inventory, a node the inventory lacks, labels it could not keep), unless the selector selects every node, or where
   * Cilium's label filter decides it. `world` resolves a maybe for want of facts (cilium-peers.ts `FactsWorld`): for
   * the connection, the policy does not select the node (it is not isolated and no deny applies); against it, it does.
   */
  selects(spec: Obj, ep: Endpoint, world: FactsWorld | undefined): Tri {
    let bySpec = this.cache.get(spec);
    if (!bySpec) this.cache.set(spec, (bySpec = new WeakMap()));
    let t = bySpec.get(ep);
    if (t === undefined) {
      t = this.selection(ciliumSelector(spec['nodeSelector']), ep);
      bySpec.set(ep, t);
    }
    return t === MAYBE ? fact(world, true) : t;
  }

  /** Why a host policy's selection of an endpoint is a maybe, in words. */
  reason(ep: Endpoint): string {
    if (ep.kind !== 'ip') return 'a pod is no host endpoint';
    if (this.mayBeNode(ep) === MAYBE)
      return `${ep.ip} may be a node's address; the nodes are not known: --inventory or --cluster gives them`;
    if (!this.byIp.get(ep.ip)?.labels)
      return `the labels of node ${ep.ip} are not known: ${this.nodes ? 'the inventory has none for it' : '--inventory or --cluster gives them'}`;
    return `the nodeSelector reads labels of node ${ep.ip} that Cilium's identity-relevant label filter may drop`;
  }

  /** What may let a maybe-isolated node's connection through, as `side` words it: its host policies' selection. */
  why(ep: Endpoint, isolating: readonly { name: string }[]): string {
    const names = isolating.map((p) => `CiliumClusterwideNetworkPolicy ${p.name}`).join(', ');
    return `the node selection of ${names} (${this.reason(ep)})`;
  }

  private selection(sel: LabelSelector, ep: Endpoint): Tri {
    const node = this.mayBeNode(ep);
    if (node === NO) return NO;
    const labels = ep.kind === 'ip' ? this.byIp.get(ep.ip)?.labels : undefined;
    if (node === MAYBE || !labels) return selectsAll(sel) && node === YES ? YES : MAYBE;
    const full = labelSelectorMatches(sel, hostLabels(labels, false));
    return full === labelSelectorMatches(sel, hostLabels(labels, true)) ? (full ? YES : NO) : MAYBE;
  }
}
