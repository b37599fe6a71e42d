/**
 * The peers of a CiliumNetworkPolicy rule that are not labels or addresses written out: entities (`toEntities`,
 * `fromEntities`), Services (`toServices`), CIDR sets and the selectors whose members the model cannot list (AWS
 * groups, node labels). Each answers in three values, because the model does not know everything Cilium knows: which
 * node a pod runs on, which addresses the API server has, whether a private address the inventory does not hold is
 * outside the cluster. `verify` claims an allow only when it is sure; `diff` counts what may be allowed.
 */

import type { NetworkPlugin } from '../../knowledge/network/plugins.js';
import { inCidr, isPrivateAddress } from '../../knowledge/network/cidr.js';
import { isObj } from '../../util/json.js';
import { labelSelectorMatches, readLabelSelector } from '../../util/labels.js';
import type { Endpoint } from './evaluate.js';

/** No, maybe (the model cannot tell), yes; ordered, so that "any of" is the largest and "all of" the smallest. */
export type Tri = 0 | 1 | 2;
export const NO: Tri = 0;
export const MAYBE: Tri = 1;
export const YES: Tri = 2;

/**
 * How a maybe for want of facts (an entity, a Service, a node or security group, an ipBlock that may hold pods, a deny
 * that may apply) is read. Unset (verify, check, diff's answers): a maybe. `low`: each such fact goes against the
 * connection (an allow's peer is not matched, a deny's is), `high`: for it. A maybe in both worlds comes from the
 * policies' own restrictions alone (L7 rules, TLS, listeners, requirements, mutual authentication): whatever the
 * facts, the policy itself lets only part of the connection through (`NetworkPolicySet.maybeOf`).
 */
export type FactsWorld = 'low' | 'high';

/** A maybe for want of facts, in a world (`FactsWorld`): in a deny rule (`deny`), the world's answer turned around. */
export function fact(world: FactsWorld | undefined, deny: boolean): Tri {
  if (world === undefined) return MAYBE;
  return (world === 'low') !== deny ? NO : YES;
}

/** A Service as `toServices` reads it (the inventory's, with its labels when known). */
export interface ServiceFact {
  namespace: string;
  name: string;
  /** `spec.selector`; empty for a Service without selector (its EndpointSlices name addresses the model lacks). */
  selector: Record<string, string>;
  /** `metadata.labels`, for `k8sServiceSelector`; absent when the inventory did not keep them. */
  labels?: Record<string, string>;
}

/** What the evaluator knows of the cluster beyond the endpoints it is asked about. */
export interface ClusterFacts {
  /** Every Service of the cluster, when an inventory gave them; absent: unknown, and `toServices` is a maybe. */
  services?: ServiceFact[];
  /** The network plugin enforcing the policies, when known: whether an ipBlock matches a pod or node is its choice. */
  plugin?: NetworkPlugin;
  /** Addresses the flows saw as addresses or nodes, not pods: an ipBlock holding only these holds no pod. */
  hosts?: readonly string[];
  /**
   * The cluster's nodes, when an inventory gave them: their addresses and labels (absent: not known), which a host
   * policy's `nodeSelector` selects by. Absent: which node an address is, and its labels, are not known.
   */
  nodes?: readonly NodeFact[];
}

/** A node as host policies see it (the inventory's). */
export interface NodeFact {
  name: string;
  ips: readonly string[];
  labels?: Record<string, string>;
}

/** The entities Cilium defines (Documentation/security/policy/language, "Entities based"). */
export const ENTITIES = new Set([
  'host',
  'remote-node',
  'kube-apiserver',
  'ingress',
  'cluster',
  'init',
  'health',
  'unmanaged',
  'world',
  'world-ipv4',
  'world-ipv6',
  'all',
  // Selects nothing (the CRD's enum has it).
  'none',
]);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A node's possible identities: the selected pod's own node (`host`) or another, either perhaps the API server's. */
const NODE: string[][] = [
  ['host', 'cluster'],
  ['remote-node', 'cluster'],
  ['host', 'kube-apiserver', 'cluster'],
  ['remote-node', 'kube-apiserver', 'cluster'],
];
/** The pod's own node: the host, perhaps the API server's. */
const OWN_NODE = NODE.filter((n) => n[0] === 'host');
/** The API server: outside the cluster (at an address of the world), or on a node, the host or a remote one. */
const API_SERVER = (ip: string): string[][] => [
  ['world', ip.includes('.') ? 'world-ipv4' : 'world-ipv6', 'kube-apiserver'],
  ...NODE.filter((n) => n.includes('kube-apiserver')),
];
/** Endpoints inside the cluster at addresses the inventory does not list. */
const UNLISTED: string[][] = [
  ['cluster'],
  ['cluster', 'unmanaged'],
  ['cluster', 'health'],
  ['cluster', 'ingress'],
  ['cluster', 'init'],
];

const identityCache = new WeakMap<Endpoint, string[][]>();

/**
 * The identities an endpoint may have, each a set of the entities that select it; the model knows it has one of them.
 * A pod of the inventory is a Cilium-managed endpoint of the cluster. A node address is the host or a remote node
 * (which pods run where is not known), perhaps one serving the API server. Any other address is outside the cluster
 * (`world`, and `world-ipv4` or `world-ipv6`), perhaps the API server's when it runs outside; a private one may also
 * be a node the profile never saw or an endpoint of the cluster the inventory does not list (a pod gone before it
 * was taken, a health or ingress endpoint, an unmanaged pod). The API server's address (Hubble's
 * `reserved:kube-apiserver`) is the kube-apiserver entity, wherever it runs; an address known not to be it is not.
 */
export function identities(ep: Endpoint): readonly string[][] {
  if (ep.kind === 'pod') return [['cluster']];
  let out = identityCache.get(ep);
  if (out) return out;
  if (ep.own) out = OWN_NODE;
  else if (ep.apiserver) out = API_SERVER(ep.ip);
  else if (ep.node) out = NODE;
  else {
    const world = ['world', ep.ip.includes('.') ? 'world-ipv4' : 'world-ipv6'];
    out = [world, [...world, 'kube-apiserver']];
    if (isPrivateAddress(ep.ip)) out = [...out, ...NODE, ...UNLISTED];
  }
  if (ep.apiserver === false) out = out.filter((id) => !id.includes('kube-apiserver'));
  identityCache.set(ep, out);
  return out;
}

/**
 * Whether entities as written select an endpoint: yes when each identity it may have is selected, no when none is.
 * `identity`: the one it is taken to have (`NetworkPolicySet` asks each in turn, to decide a maybe of several rules).
 */
export function entitiesMatch(list: unknown, ep: Endpoint, identity?: readonly string[]): Tri {
  const names = arr(list).filter((x): x is string => typeof x === 'string');
  if (names.includes('all')) return YES;
  const alts = identity ? [identity] : identities(ep);
  let covered = 0;
  for (const a of alts) if (a.some((x) => names.includes(x))) covered++;
  return covered === 0 ? NO : covered === alts.length ? YES : MAYBE;
}

const labelsMatch = (sel: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(sel).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);

/**
 * Whether `toServices` selects an endpoint. A Service with a selector stands for its selector as an endpoint selector
 * in its namespace (its pods, never an address); one without a selector for the addresses of its EndpointSlices as
 * CIDRs, which never select pods and which the model does not have (a maybe for an address). A Service the inventory
 * lacks selects nothing, as in Cilium until it exists; without an inventory every answer is a maybe.
 */
export function servicesMatch(list: unknown, ep: Endpoint, policyNs: string, facts: ClusterFacts): Tri {
  let out: Tri = NO;
  for (const s of arr(list)) {
    if (!isObj(s)) continue;
    const t = serviceMatch(s, ep, policyNs, facts);
    if (t > out) out = t;
    if (out === YES) break;
  }
  return out;
}

function serviceMatch(s: Record<string, unknown>, ep: Endpoint, policyNs: string, facts: ClusterFacts): Tri {
  if (!facts.services) return MAYBE;
  const one = isObj(s['k8sService']) ? s['k8sService'] : undefined;
  const bySelector = isObj(s['k8sServiceSelector']) ? s['k8sServiceSelector'] : undefined;
  const given = one ?? bySelector;
  if (!given) return NO;
  const ns = str(given['namespace']) || policyNs;
  const selector = bySelector ? readLabelSelector(bySelector['selector'] ?? {}) : undefined;
  let out: Tri = NO;
  for (const svc of facts.services) {
    if (svc.namespace !== ns) continue;
    // Chosen by name, or by its labels (a maybe when the inventory did not keep them).
    const chosen: Tri = one
      ? svc.name === str(one['serviceName'])
        ? YES
        : NO
      : !selector
        ? NO
        : !svc.labels
          ? MAYBE
          : labelSelectorMatches(selector, svc.labels)
            ? YES
            : NO;
    if (chosen === NO) continue;
    const backs: Tri =
      Object.keys(svc.selector).length === 0
        ? ep.kind === 'ip'
          ? MAYBE
          : NO
        : ep.kind === 'pod' && ep.namespace === svc.namespace && labelsMatch(svc.selector, ep.labels)
          ? YES
          : NO;
    const t = Math.min(chosen, backs) as Tri;
    if (t > out) out = t;
    if (out === YES) break;
  }
  return out;
}

/** `toCIDRSet`/`fromCIDRSet`: a block less its excepts; a `cidrGroupRef` names blocks the model does not have. */
export function cidrSetMatch(list: unknown, ep: Endpoint): Tri {
  const ip = ep.ip;
  let out: Tri = NO;
  for (const x of arr(list)) {
    if (!isObj(x)) continue;
    if (x['cidrGroupRef'] !== undefined || x['cidrGroupSelector'] !== undefined) {
      if (ip && out === NO) out = MAYBE;
      continue;
    }
    if (ip && inCidr(ip, str(x['cidr'])) && !arr(x['except']).some((e) => inCidr(ip, str(e)))) return YES;
  }
  return out;
}

/**
 * Peers the model has nothing to decide on: `toGroups` (cloud security groups: an address outside the cluster may be a
 * member), `toNodes`/`fromNodes` (node labels: a node, or a private address that may be one), and any peer field this
 * evaluator does not know (a maybe for every endpoint, never a yes).
 */
export function opaquePeer(key: string, ep: Endpoint): Tri {
  if (key === 'toGroups' || key === 'fromGroups') return ep.kind === 'ip' ? MAYBE : NO;
  if (key === 'toNodes' || key === 'fromNodes')
    return ep.kind === 'ip' && (ep.node || isPrivateAddress(ep.ip)) ? MAYBE : NO;
  return MAYBE;
}
