import { cidrRange } from '../../knowledge/network/cidr.js';
import { STAGED_KIND } from '../../knowledge/network/staged.js';
import type { CiFinding, Location, RiskLevel } from '../../model/finding.js';
import { cmp } from '../../model/issue.js';
import type { PolicyDoc } from '../../policy/load.js';
import { readNetworkPolicies } from '../../verify/netpol.js';
import { ruledOf } from '../../verify/netpol/evaluate.js';
import { isHostPolicy } from '../../verify/netpol/host.js';
import { isObj } from '../../util/json.js';
import { l4Part } from '../../verify/netpol/cilium.js';
import { readLabelSelector, selectorCovers, type LabelSelector } from '../../util/labels.js';
import { ciliumPortSet, k8sPortSet, portsCover, type PortSet } from './ports.js';

// ---- broad peers: a rule open to every address or every pod, as written (docs/report.md's catalogue) --------------
//
// Sources, by title: Kubernetes API reference "NetworkPolicy" (an ingress rule whose `from`, or an egress rule whose
// `to`, is empty or missing matches every source or destination; a peer's namespaceSelector present but empty selects
// every namespace, and its podSelector, absent or empty, every pod of them); Cilium "Layer 3 Examples" (entities:
// `world` every peer outside the cluster, world-ipv4 and world-ipv6 its halves, `all` the world and every cluster,
// `cluster` every endpoint of the local cluster; CIDR and CIDR-set peers; a rule naming no peer with toPorts is an
// L4 rule for any peer). The pairs a diff lists are between the endpoints it knows: a rule open to everything is
// named here as written, so a reviewer sees the breadth and not only the pairs it happens to reach.

type Obj = Record<string, unknown>;
type Dir = 'Ingress' | 'Egress';

/** One broad peer of one rule of a side's policies. */
export interface BroadPeer {
  /**
   * What must be the same for one to cover another, whatever the policy's name or the rule's place: kind, namespace,
   * pods or nodes, direction, peer.
   */
  group: string;
  /** The pods (or nodes) the policy selects, as read; its text beside, for a selector that cannot be read. */
  selector: LabelSelector | undefined;
  selectorText: string;
  /** The ports it is open on (ports.ts). */
  ports: PortSet;
  finding: CiFinding;
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A value with its object keys sorted, lists of objects in a stable order: the same shape, the same text. */
function canon(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (x === undefined) return null;
    if (Array.isArray(x))
      return x
        .map(norm)
        .map((y) => JSON.stringify(y))
        .sort(cmp)
        .map((y) => JSON.parse(y) as unknown);
    if (!isObj(x)) return x;
    return Object.fromEntries(
      Object.keys(x)
        .sort(cmp)
        .map((k) => [k, norm(x[k])]),
    );
  };
  return JSON.stringify(norm(v ?? null));
}

/** A selector present and empty: no matchLabels and no matchExpressions (it selects everything). */
function emptySelector(v: unknown): boolean {
  if (!isObj(v)) return false;
  const labels = isObj(v['matchLabels']) ? Object.keys(v['matchLabels']).length : 0;
  return labels === 0 && arr(v['matchExpressions']).length === 0;
}

/** A block holding every address of its family (`0.0.0.0/0`, `::/0`). */
function everyAddress(cidr: string): boolean {
  const r = cidrRange(cidr);
  if (!r) return false;
  const v4 = cidrRange('0.0.0.0/0')!;
  return (r.lo === v4.lo && r.hi === v4.hi) || (r.lo === 0n && r.hi === (1n << 128n) - 1n);
}

/** How far a peer reaches: every pod and address, every address outside the cluster, every pod of the cluster. */
type Reach = 'everything' | 'every address' | 'outside the cluster' | 'every pod of every namespace';
const LEVEL: Record<Reach, RiskLevel> = {
  everything: 'high',
  'every address': 'high',
  'outside the cluster': 'high',
  'every pod of every namespace': 'medium',
};

/** The broad peers of a NetworkPolicy rule, each as written and how far it reaches. */
function k8sBroad(rule: Obj, dir: Dir): [string, Reach][] {
  const field = dir === 'Ingress' ? 'from' : 'to';
  const peers = arr(rule[field]);
  if (peers.length === 0)
    return [[`any ${dir === 'Ingress' ? 'source' : 'destination'} (a rule without ${field})`, 'everything']];
  const out: [string, Reach][] = [];
  for (const p of peers) {
    if (!isObj(p)) continue;
    if (isObj(p['ipBlock'])) {
      const cidr = str(p['ipBlock']['cidr']);
      const except = arr(p['ipBlock']['except']).map(str).sort(cmp);
      if (everyAddress(cidr))
        out.push([`ipBlock ${cidr}${except.length ? ` except ${except.join(', ')}` : ''}`, 'every address']);
      continue;
    }
    if (emptySelector(p['namespaceSelector']) && (p['podSelector'] === undefined || emptySelector(p['podSelector'])))
      out.push([
        `namespaceSelector: {}${p['podSelector'] === undefined ? '' : ', podSelector: {}'}`,
        'every pod of every namespace',
      ]);
  }
  return out;
}

/** Fields of a Cilium rule that name no peer (as the evaluator reads them, verify/netpol/cilium.ts). */
const NOT_PEERS = new Set(['toPorts', 'icmps', 'authentication', 'toRequires', 'fromRequires']);

/** The broad peers of a CiliumNetworkPolicy rule; `clusterwide` for a CiliumClusterwideNetworkPolicy's. */
function ciliumBroad(rule: Obj, dir: Dir, clusterwide: boolean): [string, Reach][] {
  const side = dir === 'Egress' ? 'to' : 'from';
  const fields = Object.keys(rule).filter((k) => k.startsWith(side) && !NOT_PEERS.has(k));
  if (fields.length === 0)
    // `{}` allows nothing (the default-deny idiom); ports or ICMP types alone are an L4 rule for every peer.
    return !l4Part(rule['toPorts']) && !l4Part(rule['icmps'])
      ? []
      : [[`any peer (a rule of ports without ${side}* peers)`, 'everything']];
  const out: [string, Reach][] = [];
  for (const f of fields.sort(cmp)) {
    const v = rule[f];
    if (f === `${side}Entities`)
      for (const e of arr(v).map(str)) {
        if (e === 'all') out.push([`${f} all`, 'everything']);
        else if (e === 'world' || e === 'world-ipv4' || e === 'world-ipv6')
          out.push([`${f} ${e}`, 'outside the cluster']);
        else if (e === 'cluster') out.push([`${f} cluster`, 'every pod of every namespace']);
      }
    else if (f === `${side}CIDR`) {
      for (const c of arr(v).map(str)) if (everyAddress(c)) out.push([`${f} ${c}`, 'every address']);
    } else if (f === `${side}CIDRSet`) {
      for (const s of arr(v)) {
        if (!isObj(s) || !everyAddress(str(s['cidr']))) continue;
        const except = arr(s['except']).map(str).sort(cmp);
        out.push([`${f} ${str(s['cidr'])}${except.length ? ` except ${except.join(', ')}` : ''}`, 'every address']);
      }
    } else if (f === `${side}Endpoints` && clusterwide)
      // A clusterwide policy's selector naming no namespace selects in every namespace: `{}` is every pod.
      for (const s of arr(v)) if (emptySelector(s)) out.push([`${f} {}`, 'every pod of every namespace']);
  }
  return out;
}

/** Label selector in words: `app=db, tier In (a, b)`; `every pod` when empty. */
function selectorWords(sel: unknown, what: 'pod' | 'node' = 'pod'): string {
  if (!isObj(sel) || emptySelector(sel)) return `every ${what}`;
  const labels = isObj(sel['matchLabels'])
    ? Object.entries(sel['matchLabels']).map(([k, v]) => `${k}=${String(v)}`)
    : [];
  const exprs = arr(sel['matchExpressions']).map((e) => {
    const x = isObj(e) ? e : {};
    const values = arr(x['values']).map(String);
    return `${str(x['key'])} ${str(x['operator'])}${values.length ? ` (${values.join(', ')})` : ''}`;
  });
  return `${what}s ${[...labels, ...exprs].join(', ')}`;
}

/** The ports of a rule in words: `TCP/5432, UDP/53`; `every port` without a restriction. */
function portWords(kind: string, rule: Obj): string[] {
  const out: string[] = [];
  if (kind === 'NetworkPolicy')
    for (const p of arr(rule['ports'])) {
      if (!isObj(p)) continue;
      const end = p['endPort'] === undefined ? '' : `-${String(p['endPort'])}`;
      out.push(`${str(p['protocol']) || 'TCP'}${p['port'] === undefined ? '' : `/${String(p['port'])}${end}`}`);
    }
  else {
    for (const tp of arr(rule['toPorts']))
      for (const p of isObj(tp) ? arr(tp['ports']) : []) {
        if (!isObj(p)) continue;
        const end = p['endPort'] === undefined ? '' : `-${String(p['endPort'])}`;
        out.push(`${str(p['protocol']) || 'ANY'}${p['port'] === undefined ? '' : `/${String(p['port'])}${end}`}`);
      }
    if (l4Part(rule['icmps'])) out.push('ICMP types');
  }
  return out;
}

/** The protocols of a rule's ports (`TCP, UDP`), `any` without a restriction. */
const protocols = (ports: string[]) => [...new Set(ports.map((p) => p.split('/')[0]!))].sort(cmp).join(', ') || 'any';

/** The line of a policy's `name:` in its file (YAML or JSON), else 1. */
function nameLine(text: string | undefined, name: string): number {
  if (!text) return 1;
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*-?\\s*["']?name["']?\\s*:\\s*["']?${esc}["']?\\s*,?\\s*$`);
  const i = text.split('\n').findIndex((l) => re.test(l));
  return i < 0 ? 1 : i + 1;
}

/** The labels Cilium gives a pod for its namespace (a source prefix, or none for any source). */
const NAMESPACE_LABELS = [
  'k8s:io.kubernetes.pod.namespace',
  'io.kubernetes.pod.namespace',
  'any:io.kubernetes.pod.namespace',
];

/**
 * The pods a policy selects, as a namespace and a selector within it: a CiliumNetworkPolicy's selector always holds
 * its own namespace, and a clusterwide one whose selector names one namespace (`matchLabels`, or `In` of one value)
 * selects that namespace's pods, as the same policy namespaced there does (Cilium, "Kubernetes": a clusterwide
 * policy's spec is a CiliumNetworkPolicy's, not namespaced); the namespace label is then left out of the selector.
 */
function podScope(kind: string, namespace: string, selector: unknown): { namespace: string; selector: unknown } {
  const sel = selector ?? {};
  if (kind !== 'CiliumNetworkPolicy' || !isObj(sel)) return { namespace, selector: sel };
  const labels = isObj(sel['matchLabels']) ? { ...sel['matchLabels'] } : {};
  const exprs = arr(sel['matchExpressions']);
  const named = new Set<string>();
  for (const k of NAMESPACE_LABELS) if (typeof labels[k] === 'string') named.add(labels[k]);
  const pins = exprs.filter(
    (e) =>
      isObj(e) && NAMESPACE_LABELS.includes(str(e['key'])) && e['operator'] === 'In' && arr(e['values']).length === 1,
  ) as Obj[];
  for (const e of pins) named.add(str(arr(e['values'])[0]));
  const ns = namespace || (named.size === 1 ? [...named][0]! : '');
  if (!ns || named.size !== 1 || !named.has(ns)) return { namespace, selector: sel };
  for (const k of NAMESPACE_LABELS) delete labels[k];
  const rest = exprs.filter((e) => !pins.includes(e as Obj));
  return {
    namespace: ns,
    selector: {
      ...(Object.keys(labels).length ? { matchLabels: labels } : {}),
      ...(rest.length ? { matchExpressions: rest } : {}),
    },
  };
}

/**
 * The broad peers of a side's policies, one per peer of an allow rule of a direction the policy's rules count in:
 * a rule with no peer (every source or destination), an address block of a whole family, Cilium's `world`, `all`
 * and `cluster` entities, an empty namespaceSelector (every pod of every namespace).
 */
export function broadPeers(docs: PolicyDoc[], texts: Map<string, string>): BroadPeer[] {
  const out: BroadPeer[] = [];
  for (const d of docs) {
    for (const p of readNetworkPolicies([d]).policies) {
      const clusterwide = p.kind === 'CiliumNetworkPolicy' && p.namespace === '';
      const kind = clusterwide ? 'CiliumClusterwideNetworkPolicy' : p.staged ? STAGED_KIND : p.kind;
      const name = clusterwide ? `${kind} ${p.name}` : `${kind} ${p.namespace}/${p.name}`;
      // A host policy selects nodes (their host namespace and host-network pods), never pods: said so, and keyed apart.
      const host = isHostPolicy(p.kind, p.namespace, p.spec);
      const selector =
        p.kind === 'NetworkPolicy' ? p.spec['podSelector'] : p.spec[host ? 'nodeSelector' : 'endpointSelector'];
      const scope = host
        ? { namespace: p.namespace, selector: selector ?? {} }
        : podScope(p.kind, p.namespace, selector);
      const selected = host
        ? selectorWords(selector, 'node')
        : `${selectorWords(selector)} in ${clusterwide ? 'every namespace' : p.namespace}`;
      const at: Location = { file: d.file, line: nameLine(texts.get(d.file), p.name) };
      for (const dir of ['Ingress', 'Egress'] as const) {
        if (!ruledOf(p.kind, p.spec).has(dir)) continue;
        const list = dir === 'Ingress' ? 'ingress' : 'egress';
        for (const [i, rule] of arr(p.spec[list]).entries()) {
          if (!isObj(rule)) continue;
          const peers = p.kind === 'NetworkPolicy' ? k8sBroad(rule, dir) : ciliumBroad(rule, dir, clusterwide);
          const words = portWords(p.kind, rule);
          const portText = words.length ? ` on ${words.join(', ')}` : ' on every port';
          const ports =
            p.kind === 'NetworkPolicy'
              ? k8sPortSet(rule['ports'], () => canon(rule['ports']))
              : ciliumPortSet(rule['toPorts'], rule['icmps'], () =>
                  canon({ toPorts: rule['toPorts'], icmps: rule['icmps'] }),
                );
          for (const [peer, reach] of peers) {
            const way = dir === 'Ingress' ? `ingress from ${reach}` : `egress to ${reach}`;
            const [from, to] = dir === 'Ingress' ? [reach, selected] : [selected, reach];
            out.push({
              group: JSON.stringify([p.kind, scope.namespace, host ? 'nodes' : 'pods', dir, peer]),
              selector: isObj(scope.selector) ? readLabelSelector(scope.selector) : undefined,
              selectorText: canon(scope.selector),
              ports,
              finding: {
                type: 'new-access',
                kind: 'netpol',
                principal: from,
                access: { from, to, protocol: protocols(words), port: 0, ...(words.length ? { ports: words } : {}) },
                summary: `${name} ${list}[${i}]: ${dir === 'Ingress' ? 'from' : 'to'} ${peer}${portText} (${selected})`,
                risk: { level: LEVEL[reach], reasons: [`${way}: ${name}, ${list}[${i}], peer ${peer}`] },
                locations: [at],
              },
            });
          }
        }
      }
    }
  }
  return out;
}

/**
 * The broad peers of the side `side` that `other` does not open: a peer is not new when the other side opens the same
 * peer in the same direction, in rules of the same kind and namespace whose selectors each take in every pod its
 * selector does (`selectorCovers`: the same selection written otherwise, or a wider one), on ports that together hold
 * its own (`portsCover`), whatever the policies' names, the rules' places or how the ports are spelled.
 */
export function newBroadPeers(side: BroadPeer[], other: BroadPeer[]): CiFinding[] {
  const byGroup = new Map<string, BroadPeer[]>();
  for (const b of other) {
    const list = byGroup.get(b.group);
    if (list) list.push(b);
    else byGroup.set(b.group, [b]);
  }
  const covers = (o: BroadPeer, b: BroadPeer) =>
    o.selectorText === b.selectorText ||
    (o.selector !== undefined && b.selector !== undefined && selectorCovers(o.selector, b.selector));
  return side
    .filter((b) => {
      const wider = (byGroup.get(b.group) ?? []).filter((o) => covers(o, b));
      return !portsCover(
        wider.map((o) => o.ports),
        b.ports,
      );
    })
    .map((b) => b.finding);
}
