/**
 * A NetworkPolicy evaluator written from the Kubernetes API's documented semantics (it shares no
 * code with the generator): a pod is isolated for a direction when any policy of that type selects
 * it; a connection is allowed when the source's egress and the destination's ingress both allow it
 * (a side that is not a pod, or not isolated, allows). Peers: podSelector in the policy's namespace,
 * namespaceSelector (with podSelector), ipBlock with except; ports with protocol (TCP by default),
 * numbers, names resolved on the destination pod, and endPort (k8s-rules.ts). A subset of CiliumNetworkPolicy is
 * understood too (endpointSelector, from/toEndpoints, from/toCIDR, toFQDNs by the names seen for an
 * address, toPorts with numbers or names, icmps, enableDefaultDeny, entities, Services, fromRequires/toRequires, and
 * ingressDeny/egressDeny, which override every allow; see cilium.ts; a port entry with L7 rules allows only some
 * requests, which a flow does not carry: cilium-l7.ts); both kinds combine as Cilium enforces them: any allow
 * suffices, any deny wins. policyTypes is defaulted as the API server does. Where a Cilium rule depends on what the
 * model does not know, a side's answer is a maybe: `allows` claims only what is sure and says when it cannot,
 * `isAllowed` counts what may pass, and `answer` gives all three; so do ipBlocks covering pods (ip-block.ts).
 * `maybeOf` tells a maybe the policy itself makes (its L7 rules, requirements: it lets only part of the connection
 * through) from one that facts the model lacks decide.
 */

import { labelSelectorMatches } from '../../util/labels.js';
import { inCidr } from '../../knowledge/network/cidr.js';
import { isObj } from '../../util/json.js';
import { ciliumLabels, ciliumRule, ciliumSelector, type Requires, type RuleContext } from './cilium.js';
import { identities, MAYBE, NO, YES, type ClusterFacts, type Tri } from './cilium-peers.js';
import { IpBlocks } from './ip-block.js';
import { ciliumDenied, requiresOf, ruledOf, typesOf } from './directions.js';
import { K8sRules, selectorMatches } from './k8s-rules.js';
import { restrictionWords } from './cilium-l7.js';
import { pushAll } from '../../util/array.js';
import { HostNodes, isHostPolicy } from './host.js';

export type { ClusterFacts, ServiceFact, Tri } from './cilium-peers.js';
export { ruledOf, selectorMatches };

export type Proto = 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6';

export type Endpoint =
  | {
      kind: 'pod';
      namespace: string;
      labels: Record<string, string>;
      ports: { name: string; port: number; protocol: string }[];
      ip?: string;
      /** Its pods' addresses, when an inventory gave them (an ipBlock peer may cover them: ip-block.ts). */
      ips?: readonly string[];
    }
  /**
   * An address; `node` when it is a node's (Cilium's host or remote-node, never world); `own` when it is the node the
   * pod at the other end runs on (Cilium's host); `apiserver` if the API server's (kube-apiserver), `false` if not.
   */
  | { kind: 'ip'; ip: string; node?: boolean; own?: boolean; apiserver?: boolean };

export interface Connection {
  src: Endpoint;
  dst: Endpoint;
  /** Undefined with `port` undefined: "any protocol and port" (is anything allowed at all?). */
  protocol?: Proto;
  port?: number;
}

type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A policy as the evaluator holds it: its spec is the object read from the document (a finding's location). */
export interface Policy {
  name: string;
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy';
  namespace: string;
  spec: Obj;
  /** The directions it isolates (policyTypes, or what its rules imply). */
  types: Set<'Ingress' | 'Egress'>;
  /** The directions whose rules are read: a CiliumNetworkPolicy's allow rules count without it isolating. */
  ruled: Set<'Ingress' | 'Egress'>;
  /** The directions with deny rules (CiliumNetworkPolicy `ingressDeny`/`egressDeny`). */
  denies: Set<'Ingress' | 'Egress'>;
  /** A host policy (a clusterwide one with a nodeSelector, host.ts): it selects nodes, never pods. */
  host: boolean;
}

/** A rule of a policy: `list` is the spec's field (`egress`, `ingressDeny`...), `index` its place there. */
export interface RuleAt {
  policy: Policy;
  list: string;
  index: number;
}

/** What decides one direction of a connection (`NetworkPolicySet.decision`). */
export interface Decision {
  answer: Tri;
  /** The allow rule that lets it through (or may), or the deny rule that stops it (or may); none when not isolated. */
  rule?: RuleAt;
  /** The policies selecting the endpoint there that isolate it, in the order added (clusterwide ones first). */
  isolating: Policy[];
}

/** The policies selecting a pod (or perhaps a node: host policies) in one direction. */
interface Selecting {
  /** Those putting it into default deny there. */
  isolating: Policy[];
  /** Those whose rules may allow a connection there. */
  ruled: Policy[];
  /** Those with deny rules there. */
  denying: Policy[];
  /** The `fromRequires`/`toRequires` of their rules, allow and deny apart (cilium.ts `Requires`). */
  requires: Requires;
}

export { inCidr };

export class NetworkPolicySet {
  readonly policies: Policy[] = [];
  /**
   * The policies of each namespace: a pod is selected only by its own namespace's, and by the clusterwide ones (a
   * CiliumClusterwideNetworkPolicy, kept under the namespace '', which no namespaced object has).
   */
  private readonly byNamespace = new Map<string, Policy[]>();
  /** The policies selecting an endpoint, per direction, by the endpoint object (pairs reuse theirs). */
  private isolating = new WeakMap<Endpoint, { Ingress?: Selecting; Egress?: Selecting }>();
  /** How Kubernetes NetworkPolicy rules match (k8s-rules.ts). */
  private readonly k8s: K8sRules;
  /** The host policies, in the order added: they select nodes only (host.ts). */
  private readonly hostPolicies: Policy[] = [];
  /** The nodes known, for host policies' nodeSelectors. */
  private readonly nodes: HostNodes;

  constructor(
    /** Namespace labels; `kubernetes.io/metadata.name` is added for every namespace. */
    namespaceLabels: Map<string, Record<string, string>>,
    /** DNS names seen per address (for toFQDNs). */
    private readonly dnsNames: Map<string, string[]> = new Map(),
    /** What else is known of the cluster (its Services, for toServices). */
    private readonly facts: ClusterFacts = {},
  ) {
    this.k8s = new K8sRules(namespaceLabels, new IpBlocks(facts.plugin, facts.hosts));
    this.nodes = new HostNodes(facts.nodes);
  }

  add(kind: Policy['kind'], name: string, namespace: string, spec: Obj): void {
    const types = typesOf(kind, spec);
    const p: Policy = {
      kind,
      name,
      namespace,
      spec,
      types,
      ruled: ruledOf(kind, spec),
      denies: kind === 'NetworkPolicy' ? new Set() : ciliumDenied(spec),
      host: isHostPolicy(kind, namespace, spec),
    };
    this.policies.push(p);
    this.isolating = new WeakMap();
    // A host policy selects no pod: it is kept apart from the namespaces' policies.
    if (p.host) return void this.hostPolicies.push(p);
    const list = this.byNamespace.get(namespace);
    if (list) list.push(p);
    else this.byNamespace.set(namespace, [p]);
  }

  /**
   * The policies selecting an endpoint that isolate it in a direction, and those whose rules count there, in order
   * added: a pod's by its namespace and labels; an address's, the host policies that select (or may select) the node
   * it is (`hostSelects` says how surely).
   */
  private applicable(ep: Endpoint, dir: 'Ingress' | 'Egress'): Selecting {
    let cached = this.isolating.get(ep);
    if (!cached) this.isolating.set(ep, (cached = {}));
    let sel = cached[dir];
    if (!sel) {
      let candidates: Policy[];
      if (ep.kind === 'pod') {
        const own = this.byNamespace.get(ep.namespace) ?? [];
        const clusterwide = this.byNamespace.get('') ?? [];
        candidates = (clusterwide.length ? [...clusterwide, ...own] : own).filter((p) => this.selects(p, ep));
      } else candidates = this.hostPolicies.filter((p) => this.nodes.selects(p.spec, ep, undefined) !== NO);
      const selecting = candidates.filter((p) => p.types.has(dir) || p.ruled.has(dir) || p.denies.has(dir));
      sel = {
        isolating: selecting.filter((p) => p.types.has(dir)),
        ruled: selecting.filter((p) => p.ruled.has(dir)),
        denying: selecting.filter((p) => p.denies.has(dir)),
        requires: requiresOf(selecting, dir),
      };
      cached[dir] = sel;
    }
    return sel;
  }

  private selects(p: Policy, pod: Extract<Endpoint, { kind: 'pod' }>): boolean {
    if (p.namespace !== '' && p.namespace !== pod.namespace) return false;
    if (p.kind === 'NetworkPolicy') return selectorMatches(p.spec['podSelector'] ?? {}, pod.labels);
    return labelSelectorMatches(ciliumSelector(p.spec['endpointSelector']), ciliumLabels(pod));
  }

  /**
   * Whether the connection is surely allowed, and by what (or why not). `undetermined` when it may be: a Cilium peer
   * the model cannot place, an L7 rule or a requirement decides it (the detail says which rule, and why).
   */
  allows(c: Connection): { allowed: boolean; detail: string; undetermined?: boolean } {
    const eg = this.side(c, 'Egress');
    if (eg.answer === NO) return { allowed: false, detail: eg.detail };
    const ing = this.side(c, 'Ingress');
    if (ing.answer === NO) return { allowed: false, detail: ing.detail };
    if (eg.answer === YES && ing.answer === YES) return { allowed: true, detail: `${eg.detail}; ${ing.detail}` };
    const why = [eg, ing].filter((x) => x.answer === MAYBE).map((x) => x.detail);
    return { allowed: false, undetermined: true, detail: why.join('; ') };
  }

  /**
   * What decides one direction of a connection, for a finding's location: the first allow rule that lets it through
   * (in the order policies were added), or the deny rule that stops it, and the policies isolating the endpoint there.
   */
  decision(c: Connection, dir: 'Ingress' | 'Egress'): Decision {
    const self = dir === 'Egress' ? c.src : c.dst;
    const { answer, rule } = this.side(c, dir);
    return {
      answer,
      ...(rule ? { rule } : {}),
      isolating: self.kind === 'pod' || this.hostPolicies.length ? this.applicable(self, dir).isolating : [],
    };
  }

  /** Whether the connection may be allowed, without saying by what (for questions asked of every pair). */
  isAllowed(c: Connection): boolean {
    return this.answer(c) !== NO;
  }

  /** Whether the connection is allowed: yes, no, or maybe (it depends on what the model does not know). */
  answer(c: Connection): Tri {
    const eg = this.side(c, 'Egress', false).answer;
    return eg === NO ? NO : (Math.min(eg, this.side(c, 'Ingress', false).answer) as Tri);
  }

  /**
   * What a maybe of the connection (`answer`) comes from, asked again with each fact the model lacks resolved for it
   * and against it (cilium-peers.ts `FactsWorld`). `restrictions`: the policies' own restrictions that keep it a maybe
   * when every such fact goes for it, in words (`an L7 rule (http)`, `a fromRequires`); `facts`: whether such facts
   * decide it too (it is not a maybe when they go against it). Undefined when nothing keeps it a maybe.
   */
  maybeOf(c: Connection): { facts: boolean; restrictions: string[] } | undefined {
    const ctx = this.context;
    try {
      ctx.world = 'high';
      const own: string[] = [];
      let high: Tri = YES;
      for (const dir of ['Egress', 'Ingress'] as const) {
        ctx.restrictions = [];
        const t = this.side(c, dir, false).answer;
        if (t === MAYBE) pushAll(own, ctx.restrictions);
        high = Math.min(high, t) as Tri;
      }
      ctx.restrictions = undefined;
      if (high === NO) return undefined;
      ctx.world = 'low';
      return { facts: high === YES || this.answer(c) !== MAYBE, restrictions: restrictionWords(own) };
    } finally {
      ctx.world = undefined;
      ctx.restrictions = undefined;
    }
  }

  /**
   * One direction of a connection. Cilium gives an address one of the identities it may have (cilium-peers.ts), so a
   * maybe is asked of each: rules each selecting some (a deny of `world`, one of `cluster`) decide it together.
   */
  private side(c: Connection, dir: 'Ingress' | 'Egress', explain = true): Side {
    const once = this.sideOnce(c, dir, explain);
    const other = dir === 'Egress' ? c.dst : c.src;
    const ctx = this.context;
    if (once.answer !== MAYBE || other.kind !== 'ip' || ctx.identity) return once;
    const alts = identities(other);
    if (alts.length < 2) return once;
    const each: Side[] = [];
    try {
      for (const id of alts) {
        ctx.identity = id;
        const t = this.sideOnce(c, dir, explain);
        if (t.answer === MAYBE || (each.length && t.answer !== each[0]!.answer)) return once;
        each.push(t);
      }
    } finally {
      ctx.identity = undefined;
    }
    const { answer, rule } = each[0]!;
    if (!explain) return { answer, detail: '' };
    const d = dir.toLowerCase();
    const byDetail = new Map<string, string[]>();
    each.forEach((t, i) => {
      const why = t.detail.startsWith(`${d}: `) ? t.detail.slice(d.length + 2) : t.detail;
      byDetail.set(why, [...(byDetail.get(why) ?? []), ...alts[i]!]);
    });
    const parts = [...byDetail].map(([why, ids]) => `as ${[...new Set(ids)].join(', ')}: ${why}`);
    return {
      answer,
      detail: `${d}: ${answer === YES ? 'allowed' : 'denied'} whichever identity ${other.ip} has (${parts.join('; ')})`,
      ...(rule ? { rule } : {}),
    };
  }

  private sideOnce(c: Connection, dir: 'Ingress' | 'Egress', explain: boolean): Side {
    const self = dir === 'Egress' ? c.src : c.dst;
    const other = dir === 'Egress' ? c.dst : c.src;
    const d = dir.toLowerCase();
    if (self.kind !== 'pod' && this.hostPolicies.length === 0) return { answer: YES, detail: `${d}: not a pod` };
    const { isolating, ruled, denying, requires } = this.applicable(self, dir);
    // Kubernetes allows traffic between a pod and its own node whatever the NetworkPolicies; Cilium lets its host reach
    // its endpoints whatever the policies (allow-localhost, `auto`: `always` on Kubernetes), and judges egress to it
    // by its own rules.
    if (self.kind === 'pod' && other.kind === 'ip' && other.own) {
      if (dir === 'Ingress') return { answer: YES, detail: 'ingress: from its own node, which is always allowed' };
      if (denying.length === 0 && isolating.every((p) => p.kind === 'NetworkPolicy'))
        return { answer: YES, detail: 'egress: to its own node, which NetworkPolicies always allow' };
    }
    // How surely a policy selects the endpoint: a pod's surely; a node's by its labels, perhaps not known (host.ts).
    const world = this.context.world;
    const selected = (p: Policy): Tri => (p.host ? this.nodes.selects(p.spec, self, world) : YES);
    // The rule that decided a maybe, asked again for its reasons when they are to be said.
    const why = (p: Policy, r: Obj, deny: boolean) => {
      const out: string[] = [];
      if (p.kind === 'NetworkPolicy') this.k8s.rule(r, dir, p.namespace, other, c, undefined, out);
      else ciliumRule(r, dir, p.namespace, other, c, this.context, deny, requires, out);
      if (selected(p) === MAYBE) out.push(this.nodes.reason(self));
      return out.length ? ` (${out.join('; ')})` : '';
    };
    // Deny rules first: one that matches overrides every allow, of either policy kind.
    let denied: Tri = NO;
    let deniedBy = '';
    let denyAt: [Policy, Obj, number] | undefined;
    for (const p of denying) {
      for (const [i, r] of arr(p.spec[`${d}Deny`]).entries()) {
        if (!isObj(r)) continue;
        const t = Math.min(ciliumRule(r, dir, p.namespace, other, c, this.context, true, requires), selected(p)) as Tri;
        if (t > denied) {
          denied = t;
          if (explain) {
            deniedBy = `${policyName(p)} ${d}Deny rule ${i}`;
            denyAt = [p, r, i];
          }
        }
        if (denied === YES) return { answer: NO, detail: `${d}: denied by ${deniedBy}`, ...at(denyAt, `${d}Deny`) };
      }
    }
    // Isolated when a policy that selects it isolates it; a maybe when the only such policies may select it.
    const isolated = isolating.reduce((m, p) => Math.max(m, selected(p)) as Tri, NO);
    let allowed: Tri = isolated === NO ? YES : isolated === MAYBE ? MAYBE : NO;
    let allowedBy = isolated === MAYBE ? this.nodes.why(self, isolating) : 'not isolated';
    let allowAt: [Policy, Obj, number] | undefined;
    for (const p of allowed === YES ? [] : ruled) {
      for (const [i, r] of arr(p.spec[d]).entries()) {
        if (!isObj(r)) continue;
        const t = Math.min(
          p.kind === 'NetworkPolicy'
            ? this.k8s.rule(r, dir, p.namespace, other, c, this.context.world)
            : ciliumRule(r, dir, p.namespace, other, c, this.context, false, requires),
          selected(p),
        ) as Tri;
        if (t > allowed) {
          allowed = t;
          if (explain) {
            allowedBy = `${policyName(p)} rule ${i}`;
            allowAt = [p, r, i];
          }
        }
        if (allowed === YES) break;
      }
      if (allowed === YES) break;
    }
    const answer = Math.min(allowed, YES - denied) as Tri;
    if (!explain) return { answer, detail: '' };
    if (answer === YES) return { answer, detail: `${d}: ${allowedBy}`, ...at(allowAt, d) };
    if (answer === MAYBE) {
      // What decides it: a peer the inventory and flows cannot place, an L7 rule, a requirement, an ipBlock.
      const parts = [];
      if (allowed === MAYBE)
        parts.push(`${allowedBy} may allow it${allowAt ? why(allowAt[0], allowAt[1], false) : ''}`);
      if (denied === MAYBE) parts.push(`${deniedBy} may deny it${denyAt ? why(denyAt[0], denyAt[1], true) : ''}`);
      // The maybe of the allow rule when there is one (the rule a reviewer reads), else the deny rule's.
      return { answer, detail: `${d}: ${parts.join(', ')}`, ...(allowAt ? at(allowAt, d) : at(denyAt, `${d}Deny`)) };
    }
    return {
      answer,
      detail: `${d} of ${self.kind === 'pod' ? `${self.namespace} pod` : `node ${self.ip}`} isolated by ${isolating.map((p) => (p.namespace ? `${p.namespace}/${p.name}` : p.name)).join(', ')}; no rule allows it`,
    };
  }

  /** What a Cilium rule is judged with beside the connection. */
  private get context(): RuleContext {
    return (this.ruleContext ??= { dnsNames: this.dnsNames, facts: this.facts });
  }
  private ruleContext: RuleContext | undefined;
}

/** One direction's answer, why, and the rule that decides it. */
type Side = { answer: Tri; detail: string; rule?: RuleAt };

/** The rule a decision names, for `side`'s answer. */
const at = (x: [Policy, Obj, number] | undefined, list: string): { rule?: RuleAt } =>
  x ? { rule: { policy: x[0], list, index: x[2] } } : {};

/** A policy as findings name it: `CiliumNetworkPolicy ns/name`, `CiliumClusterwideNetworkPolicy name`. */
function policyName(p: Policy): string {
  return p.namespace ? `${p.kind} ${p.namespace}/${p.name}` : `CiliumClusterwideNetworkPolicy ${p.name}`;
}
