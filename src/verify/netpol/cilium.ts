/**
 * The parts of CiliumNetworkPolicy semantics the evaluator (evaluate.ts) needs beside its walk over policies:
 * selectors over a pod's labels, and whether one rule (allow or deny) matches a connection, in three values
 * (cilium-peers.ts). Which directions a policy isolates and has allow or deny rules in: directions.ts.
 */

import { labelSelectorMatches, readLabelSelector, type LabelSelector } from '../../util/labels.js';
import { inCidr } from '../../knowledge/network/cidr.js';
import { compileDnsPattern, dnsName, MAX_FQDN_LENGTH } from '../../util/glob.js';
import { isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { pushAll } from '../../util/array.js';
import type { Connection, Endpoint } from './evaluate.js';
import { beyondL4Parts, denyEntryInvalid, L7_WHY } from './cilium-l7.js';
import {
  cidrSetMatch,
  entitiesMatch,
  ENTITIES,
  fact,
  MAYBE,
  NO,
  opaquePeer,
  servicesMatch,
  YES,
  type ClusterFacts,
  type FactsWorld,
  type Tri,
} from './cilium-peers.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * What a CiliumNetworkPolicy writes that Cilium does not define, in words: an entity outside Cilium's list selects
 * nothing here (Cilium's CRD would reject the policy).
 */
export function ciliumProblems(spec: Obj): string[] {
  const out: string[] = [];
  for (const key of ['ingress', 'egress', 'ingressDeny', 'egressDeny']) {
    for (const [i, r] of arr(spec[key]).entries()) {
      if (!isObj(r)) continue;
      for (const field of ['toEntities', 'fromEntities'])
        for (const e of arr(r[field]))
          if (typeof e !== 'string' || !ENTITIES.has(e))
            out.push(`${key} rule ${i} ${field}: ${JSON.stringify(e)} is no Cilium entity; it selects nothing here`);
    }
  }
  return out;
}

/** The namespace label Cilium gives every pod's endpoint. */
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';

/** A pod's labels as a Cilium selector (source prefixes removed, see `ciliumSelector`) reads them. */
export function ciliumLabels(pod: Extract<Endpoint, { kind: 'pod' }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.labels)) put(out, k, v);
  put(out, POD_NAMESPACE, pod.namespace);
  return out;
}

/** Selectors with their keys' source prefixes removed, by the object written in the policy. */
const ciliumSelectors = new WeakMap<object, LabelSelector>();
const NO_MATCH: LabelSelector = { matchLabels: {}, matchExpressions: [{ key: '', operator: 'None', values: [] }] };

/**
 * A Cilium selector over a pod's Kubernetes labels. A key may name its source: `k8s:app` only a label from
 * Kubernetes, `any:app` or plain `app` one from any source, so all three read the pod's `app` label (Cilium's
 * own DNS example selects `io.kubernetes.pod.namespace` without a prefix). Another source (`reserved:`,
 * `container:`...) is never a pod label: a requirement on it fails, as an Exists, and holds as a DoesNotExist.
 */
export function ciliumSelector(sel: unknown): LabelSelector {
  if (!isObj(sel)) return NO_MATCH;
  const cached = ciliumSelectors.get(sel);
  if (cached) return cached;
  const read = readLabelSelector(sel) ?? NO_MATCH;
  const key = (k: string) => {
    const m = /^([a-z0-9-]*):(.*)$/i.exec(k);
    if (!m) return k;
    return m[1] === 'k8s' || m[1] === 'any' ? m[2]! : `\u0000${k}`;
  };
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(read.matchLabels)) put(matchLabels, key(k), v);
  const out = { matchLabels, matchExpressions: read.matchExpressions.map((e) => ({ ...e, key: key(e.key) })) };
  ciliumSelectors.set(sel, out);
  return out;
}

export function ciliumPort(pp: Obj, c: Connection): boolean {
  const proto = str(pp['protocol']) || 'ANY';
  if (c.protocol !== undefined && proto !== 'ANY' && proto !== c.protocol) return false;
  const written = pp['port'];
  // No port, or port 0: every port of the protocol.
  if (written === undefined || written === '' || written === 0 || written === '0') return true;
  const port = typeof written === 'number' ? written : /^\d+$/.test(str(written)) ? Number(written) : undefined;
  if (port === undefined) {
    // A name is resolved as Kubernetes does: on the destination endpoint's named container ports, of the rule's
    // protocol (any when ANY); an address has no names, nor a pod that does not declare it ("some port" too).
    const name = str(written);
    if (c.dst.kind !== 'pod') return false;
    return c.dst.ports.some(
      (dp) =>
        dp.name === name && (c.port === undefined || dp.port === c.port) && (proto === 'ANY' || dp.protocol === proto),
    );
  }
  if (c.port === undefined) return true;
  const end = Number(pp['endPort'] ?? 0);
  return end ? c.port >= port && c.port <= end : c.port === port;
}

/** What a rule is judged with beside the connection. */
export interface RuleContext {
  /** DNS names seen per address (for toFQDNs). */
  dnsNames: Map<string, string[]>;
  facts: ClusterFacts;
  /** Set while a maybe is asked what it comes from (`NetworkPolicySet.maybeOf`): a maybe for want of facts resolved. */
  world?: FactsWorld;
  /** Set with `world`: each allow rule that answers a maybe adds the restrictions of its own behind it. */
  restrictions?: string[];
  /** Set while the peer is taken to have one of the identities it may have (cilium-peers.ts `identities`). */
  identity?: readonly string[];
}

/**
 * Fields of a rule that name no peer. `fromRequires`/`toRequires` narrow the peers of other rules (`Requires`); a rule
 * with nothing else allows nothing.
 */
const NOT_PEERS = new Set(['toPorts', 'icmps', 'authentication', 'toRequires', 'fromRequires']);

/**
 * The `fromRequires` (ingress) or `toRequires` (egress) selectors of every rule of the policies selecting an endpoint,
 * as written: Cilium up to 1.17 adds them to each `fromEndpoints`/`toEndpoints` selector of every rule of the same
 * kind (allow or deny) of those policies, so a peer they do not select is reached through no endpoint selector
 * (security/policy/language, "Additional Label Requirements"). Deprecated in Cilium 1.17; Cilium 1.18 applies them to
 * their own rule only, and 1.19 removed the fields from the CRDs (the API server drops or refuses them). A peer only
 * they keep out is therefore a maybe, never a no: some versions let it through.
 */
export interface Requires {
  allow: unknown[];
  deny: unknown[];
}
export const NO_REQUIRES: Requires = { allow: [], deny: [] };

/** Whether a peer meets every requirement (a selector over its labels; an address has none Cilium's selectors read). */
function meetsRequires(req: unknown[], other: Endpoint): boolean {
  const labels = other.kind === 'pod' ? ciliumLabels(other) : {};
  return req.every((sel) => labelSelectorMatches(ciliumSelector(sel), labels));
}

/**
 * Whether a rule's peers select the other endpoint: the largest answer of its peer fields (Cilium ORs them), or
 * undefined when it names none. An address is never selected by labels; a pod is selected by a CIDR only through
 * the address it was given (as NetworkPolicy ipBlocks are read).
 */
function ciliumPeer(
  r: Obj,
  dir: 'Ingress' | 'Egress',
  policyNs: string,
  other: Endpoint,
  ctx: RuleContext,
  deny: boolean,
  req: unknown[],
  why?: string[],
) {
  const side = dir === 'Egress' ? 'to' : 'from';
  let named = false;
  let out: Tri = NO;
  for (const key of Object.keys(r)) {
    if (!key.startsWith(side) || NOT_PEERS.has(key)) continue;
    named = true;
    const v = r[key];
    let t: Tri;
    switch (key.slice(side.length)) {
      case 'Endpoints':
        // A maybe: a `reserved:` entity the endpoint may be (facts); a requirement it misses, in an allow rule the
        // policy's own restriction, in a deny rule a deny that may apply (which Cilium version runs is a fact).
        t = endpointsMatch(v, policyNs, other, ctx.identity);
        if (t === MAYBE) t = fact(ctx.world, deny);
        if (t === YES && req.length && !meetsRequires(req, other)) {
          t = deny ? fact(ctx.world, true) : MAYBE;
          why?.push(
            `${side}Requires of the policies selecting the endpoint keep the peer out on Cilium up to 1.17 (deprecated there, removed in 1.19)`,
          );
        }
        break;
      case 'CIDR':
        t = other.ip !== undefined && arr(v).some((x) => inCidr(other.ip!, str(x))) ? YES : NO;
        break;
      case 'CIDRSet':
        t = cidrSetMatch(v, other);
        break;
      case 'Entities':
        t = entitiesMatch(v, other, ctx.identity);
        break;
      case 'FQDNs':
        t = key === 'toFQDNs' ? fqdnsMatch(v, other, ctx) : opaquePeer(key, other);
        break;
      case 'Services':
        t = key === 'toServices' ? servicesMatch(v, other, policyNs, ctx.facts) : opaquePeer(key, other);
        break;
      default:
        t = opaquePeer(key, other);
    }
    if (t !== NO && other.kind === 'ip' && other.node && (key.endsWith('CIDR') || key.endsWith('CIDRSet'))) {
      // Cilium gives a node's address the host or remote-node identity, which CIDR rules select only when the agent
      // runs with policy-cidr-match-mode: nodes (off by default; cilium/cilium#28421): the entities select nodes.
      why?.push(
        `${key} holds the node address ${other.ip}: Cilium selects a node by CIDR only with policy-cidr-match-mode nodes (off by default); the host and remote-node entities select nodes`,
      );
      t = fact(ctx.world, deny);
    } else if (
      t !== NO &&
      other.kind === 'ip' &&
      other.apiserver &&
      !ctx.identity?.includes('world') &&
      (key.endsWith('CIDR') || key.endsWith('CIDRSet'))
    ) {
      // The API server on a node has that node's identity, as above; outside the cluster a CIDR rule selects it at
      // that address, which a managed control plane changes. The kube-apiserver entity selects it wherever it runs.
      why?.push(
        `${key} holds the API server's address ${other.ip}: Cilium selects the API server by CIDR only where it runs outside the cluster (on a node, with policy-cidr-match-mode nodes), and only at that address; the kube-apiserver entity selects it wherever it runs`,
      );
      t = fact(ctx.world, deny);
    } else if (t === MAYBE && key.slice(side.length) !== 'Endpoints') {
      why?.push(
        key === 'toServices' && !ctx.facts.services
          ? 'toServices: no Services are known (--inventory or --cluster gives them, beside the logs or a profile)'
          : `${key} cannot be placed`,
      );
      t = fact(ctx.world, deny);
    }
    if (t > out) out = t;
    if (out === YES) break;
  }
  return named ? out : undefined;
}

/** A selector naming only a `reserved:` label selects that entity (`reserved:host`, `reserved:remote-node`...). */
function reservedEntity(sel: unknown): string | undefined {
  if (!isObj(sel) || arr(sel['matchExpressions']).length || !isObj(sel['matchLabels'])) return undefined;
  const keys = Object.keys(sel['matchLabels']);
  const m = keys.length === 1 ? /^reserved:(.+)$/.exec(keys[0]!) : null;
  return m && ENTITIES.has(m[1]!) ? m[1] : undefined;
}

function endpointsMatch(list: unknown, policyNs: string, other: Endpoint, identity?: readonly string[]): Tri {
  let out: Tri = NO;
  for (const sel of arr(list)) {
    const entity = reservedEntity(sel);
    let t: Tri = NO;
    if (entity !== undefined) t = entitiesMatch([entity], other, identity);
    else if (other.kind === 'pod') {
      const s = ciliumSelector(sel);
      // A selector that names no namespace means the policy's own; a clusterwide policy's (policyNs '') any.
      const nsGiven =
        policyNs === '' ||
        Object.hasOwn(s.matchLabels, POD_NAMESPACE) ||
        s.matchExpressions.some((e) => e.key === POD_NAMESPACE);
      t = (nsGiven || other.namespace === policyNs) && labelSelectorMatches(s, ciliumLabels(other)) ? YES : NO;
    }
    if (t > out) out = t;
    if (out === YES) break;
  }
  return out;
}

/** toFQDNs by the names seen for the address: lower case, no trailing dot, patterns by Cilium's matchPattern rules. */
function fqdnsMatch(list: unknown, other: Endpoint, ctx: RuleContext): Tri {
  if (other.ip === undefined) return NO;
  const names = (ctx.dnsNames.get(other.ip) ?? []).map(dnsName);
  const hit = arr(list).some((f) => {
    if (!isObj(f)) return false;
    const name = str(f['matchName']);
    if (name !== '' && name.length <= MAX_FQDN_LENGTH && names.includes(dnsName(name))) return true;
    const pattern = str(f['matchPattern']);
    if (pattern === '') return false;
    const glob = compileDnsPattern(pattern);
    return names.some((n) => glob.test(n));
  });
  return hit ? YES : NO;
}

/**
 * Whether one rule of a CiliumNetworkPolicy matches a connection. A rule naming no peer: with toPorts or icmps it is
 * an L4 rule for any peer; empty (`{}`, the default-deny idiom) it matches nothing. An allow rule matches when it
 * allows some of what is asked (a port, or for a question without one, any port); a deny rule (`ingressDeny`,
 * `egressDeny`) only when it denies all of it, so that a deny of some ports never hides the others.
 */
export function ciliumRule(
  r: Obj,
  dir: 'Ingress' | 'Egress',
  policyNs: string,
  other: Endpoint,
  c: Connection,
  ctx: RuleContext,
  deny: boolean,
  req: Requires = NO_REQUIRES,
  why?: string[],
): Tri {
  const peerWhy: string[] | undefined = why ? [] : undefined;
  let peer = ciliumPeer(r, dir, policyNs, other, ctx, deny, deny ? req.deny : req.allow, peerWhy);
  if (peer === undefined) {
    if (!l4Part(r['toPorts']) && !l4Part(r['icmps'])) return NO;
    peer = YES;
  }
  if (peer === NO) return NO;
  const l4Why: string[] | undefined = why ? [] : undefined;
  // What the rule's ports ask beyond them (its own restrictions), when asked for (`RuleContext.restrictions`).
  const own: string[] | undefined = ctx.restrictions && !deny ? [] : undefined;
  let l4 = deny ? denyL4(r, c, l4Why) : allowL4(r, c, l4Why, own);
  // A deny that may cover the port (a shape Cilium drops, an ICMP type): a fact of the cluster.
  if (deny && l4 === MAYBE) l4 = fact(ctx.world, true);
  // Mutual authentication (`authentication.mode: required`): only peers that complete the handshake pass.
  if (!deny && l4 === YES && isObj(r['authentication']) && r['authentication']['mode'] === 'required') {
    l4 = MAYBE;
    l4Why?.push('authentication.mode required: only peers that complete mutual authentication pass');
    own?.push('authentication');
  }
  const out = Math.min(peer, l4) as Tri;
  if (why && out === MAYBE) {
    if (peer === MAYBE) pushAll(why, peerWhy!);
    if (l4 === MAYBE) pushAll(why, l4Why!);
  }
  // With the facts resolved (`ctx.world`), an allow's peer is a maybe only through a requirement it misses.
  if (own && out === MAYBE) {
    if (peer === MAYBE) ctx.restrictions!.push(dir === 'Egress' ? 'toRequires' : 'fromRequires');
    if (l4 === MAYBE) pushAll(ctx.restrictions!, own);
  }
  return out;
}

/**
 * Whether a rule's `toPorts` or `icmps` restricts it: present and not an empty list. Cilium reads a rule by the
 * lists' length (pkg/policy/rule.go: `len(r.ToPorts) == 0` is "No L4 restrictions"), so `toPorts: []` is an L3 rule.
 */
export const l4Part = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined);

const icmpFamily = (c: Connection) => (c.protocol === 'ICMP' ? 'IPv4' : 'IPv6');

/**
 * Whether an allow rule's ports and ICMP types take the connection: yes through a port entry that asks nothing more,
 * a maybe through one with L7 rules (or a listener, TLS, server names) alone, since a flow carries no request. A
 * plain entry beside one with L7 rules wins, as in Cilium (an L4 rule makes the L7 rules of a similar one moot).
 */
function allowL4(r: Obj, c: Connection, why?: string[], own?: string[]): Tri {
  if (c.protocol === 'ICMP' || c.protocol === 'ICMPv6') {
    if (!l4Part(r['icmps'])) return !l4Part(r['toPorts']) ? YES : NO;
    return arr(r['icmps']).some(
      (x) => isObj(x) && arr(x['fields']).some((f) => isObj(f) && (f['family'] ?? 'IPv4') === icmpFamily(c)),
    )
      ? YES
      : NO;
  }
  if (!l4Part(r['toPorts'])) return !l4Part(r['icmps']) ? YES : NO;
  let out: Tri = NO;
  const l7: string[] = [];
  for (const [j, tp] of arr(r['toPorts']).entries()) {
    if (!isObj(tp) || !arr(tp['ports']).some((pp) => isObj(pp) && ciliumPort(pp, c))) continue;
    const beyond = beyondL4Parts(tp);
    if (beyond === undefined) return YES;
    out = MAYBE;
    l7.push(`toPorts[${j}] ${beyond.join(', ')}`);
    if (own) pushAll(own, beyond);
  }
  if (why && l7.length) why.push(`${l7.join('; ')}: ${L7_WHY}`);
  return out;
}

/**
 * Whether a deny rule's ports and ICMP types cover all that is asked: a protocol without a port, every port of it. A
 * port entry carrying what a deny cannot (L7 rules: `portProblems`) denies only maybe.
 */
function denyL4(r: Obj, c: Connection, why?: string[]): Tri {
  const l3 = !l4Part(r['toPorts']) && !l4Part(r['icmps']);
  if (l3) return YES;
  if (c.protocol === 'ICMP' || c.protocol === 'ICMPv6') {
    // A type names some ICMP messages: the connection's type is not known.
    const fields = arr(r['icmps']).flatMap((x) => (isObj(x) ? arr(x['fields']) : []));
    const same = fields.filter((f) => isObj(f) && (f['family'] ?? 'IPv4') === icmpFamily(c)) as Obj[];
    return same.some((f) => f['type'] === undefined) ? YES : same.length ? MAYBE : NO;
  }
  if (c.protocol === undefined) return NO;
  const covers = (pp: Obj) => {
    if (c.port !== undefined) return ciliumPort(pp, c);
    const proto = str(pp['protocol']) || 'ANY';
    const w = pp['port'];
    return (proto === 'ANY' || proto === c.protocol) && (w === undefined || w === '' || w === 0 || w === '0');
  };
  let out: Tri = NO;
  for (const [j, tp] of arr(r['toPorts']).entries()) {
    if (!isObj(tp) || !arr(tp['ports']).some((pp) => isObj(pp) && covers(pp))) continue;
    if (!denyEntryInvalid(tp)) return YES;
    out = MAYBE;
    why?.push(`toPorts[${j}] has fields a deny rule cannot carry: Cilium drops or refuses them`);
  }
  return out;
}
