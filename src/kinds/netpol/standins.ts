import { cmp } from '../../model/issue.js';
import { labelSelectorMatches, readLabelSelector, type LabelSelector } from '../../util/labels.js';
import { isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import type { ReadPolicy } from '../../verify/netpol.js';
import { ciliumLabels, ciliumSelector, POD_NAMESPACE } from '../../verify/netpol/cilium.js';
import type { Endpoint } from '../../verify/netpol/evaluate.js';
import { NAME_LABEL } from '../../verify/netpol/peer-index.js';

type Obj = Record<string, unknown>;
type Labels = Record<string, string>;
type Pod = Extract<Endpoint, { kind: 'pod' }>;
type Protocol = 'TCP' | 'UDP' | 'SCTP';
const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const LAST_PORT = 65535;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The stand-in for the pods of a namespace that no selector of the policies names (a default deny selects them). */
export const OTHER_PODS = '(other pods)';

/** The pods a diff asks about when no workloads are given, and what it needs to know of them. */
export interface StandIns {
  pods: { name: string; ep: Pod }[];
  /** Namespaces made up for a namespaceSelector that names none, with the labels it takes in. */
  namespaces: Map<string, Labels>;
  /** Per protocol, the number each named port the policies write is declared under, and its name. */
  named: Map<Protocol, Map<number, string>>;
}

/**
 * With no workloads (no profile, no inventory) a diff asks about stand-ins made from the policies of both sides, so
 * that what a change allows or takes away is a change between them, never nothing:
 * - for every pod selector of the policies (a NetworkPolicy's podSelector and its peers', a Cilium policy's
 *   endpointSelector and from/toEndpoints), a pod in each namespace it applies to, carrying labels it takes in
 *   (its matchLabels, an `In`'s first value, an `Exists` as an empty value), named by them: `shop/app=web`;
 * - in every namespace named (a policy's own, a namespaceSelector's `kubernetes.io/metadata.name`, a Cilium
 *   selector's `io.kubernetes.pod.namespace`) and made up, `(other pods)`: a pod without labels, which only a selector
 *   of every pod takes in, so a default deny (`podSelector: {}`) added or removed shows on it;
 * - for a namespaceSelector that names no namespace, a namespace carrying labels it takes in: `[team=pay]`;
 * - every stand-in declares every named port the policies write, each under a number no policy writes a port or a
 *   range at or next to (`written`), so a rule's named port opens that number alone; findings name it by its name.
 */
export function standIns(sides: ReadPolicy[][], written: [number, number][]): StandIns {
  const named = namedPorts(sides, written);
  const declared = [...named].flatMap(([protocol, m]) => [...m].map(([port, name]) => ({ name, port, protocol })));
  const namespaces = new Set<string>();
  const madeUp = new Map<string, Labels>();
  /** Pods to make: in these namespaces (undefined: every one), carrying these labels, checked against the selector. */
  const wanted: { in: string[] | undefined; labels: Labels; takes: (pod: Pod) => boolean }[] = [];
  const wantK8s = (ns: string[] | undefined, sel: unknown) => {
    const s = readLabelSelector(sel);
    const labels = s && labelsFor(s);
    if (s && labels) wanted.push({ in: ns, labels, takes: (pod) => labelSelectorMatches(s, pod.labels) });
  };
  const namespacesOf = (sel: unknown): string[] | undefined => {
    const s = readLabelSelector(sel);
    if (!s) return [];
    const names = nameValues(s, NAME_LABEL);
    if (names) return names;
    if (!Object.keys(s.matchLabels).length && !s.matchExpressions.length) return undefined;
    const labels = labelsFor(s);
    if (!labels) return [];
    const name = `[${labelWords(labels)}]`;
    madeUp.set(name, labels);
    return [name];
  };
  const wantCilium = (policyNs: string, sel: unknown) => {
    if (!isObj(sel)) return;
    const s = ciliumSelector(sel);
    // A key of another source than Kubernetes (`reserved:`, `container:`) is no pod label: no pod stands in.
    if ([...Object.keys(s.matchLabels), ...s.matchExpressions.map((e) => e.key)].some((k) => k.startsWith('\u0000')))
      return;
    const own: LabelSelector = {
      matchLabels: Object.fromEntries(Object.entries(s.matchLabels).filter(([k]) => k !== POD_NAMESPACE)),
      matchExpressions: s.matchExpressions.filter((e) => e.key !== POD_NAMESPACE),
    };
    const labels = labelsFor(own);
    if (!labels) return;
    const ns = nameValues(s, POD_NAMESPACE) ?? (policyNs ? [policyNs] : undefined);
    wanted.push({ in: ns, labels, takes: (pod) => labelSelectorMatches(s, ciliumLabels(pod)) });
  };
  for (const p of sides.flat()) {
    if (p.namespace) namespaces.add(p.namespace);
    if (p.kind === 'NetworkPolicy') {
      wantK8s([p.namespace], p.spec['podSelector']);
      for (const [list, side] of [
        ['ingress', 'from'],
        ['egress', 'to'],
      ] as const)
        for (const rule of arr(p.spec[list]))
          for (const peer of isObj(rule) ? arr(rule[side]) : []) {
            if (!isObj(peer) || peer['ipBlock'] !== undefined) continue;
            const ns =
              peer['namespaceSelector'] === undefined ? [p.namespace] : namespacesOf(peer['namespaceSelector']);
            if (peer['podSelector'] !== undefined) wantK8s(ns, peer['podSelector']);
          }
    } else if (p.spec['nodeSelector'] === undefined) {
      wantCilium(p.namespace, p.spec['endpointSelector']);
      for (const [list, key] of [
        ['ingress', 'fromEndpoints'],
        ['ingressDeny', 'fromEndpoints'],
        ['egress', 'toEndpoints'],
        ['egressDeny', 'toEndpoints'],
      ] as const)
        for (const rule of arr(p.spec[list]))
          for (const sel of isObj(rule) ? arr(rule[key]) : []) wantCilium(p.namespace, sel);
    }
  }
  for (const w of wanted) for (const ns of w.in ?? []) if (!madeUp.has(ns)) namespaces.add(ns);
  // Only clusterwide policies: their pods are in some namespace, which none names.
  if (namespaces.size === 0 && madeUp.size === 0) namespaces.add('default');
  const every = [...[...namespaces].sort(cmp), ...[...madeUp.keys()].sort(cmp)];
  const pods = new Map<string, Pod>();
  const add = (ns: string, labels: Labels, takes?: (pod: Pod) => boolean) => {
    const name = `${ns}/${Object.keys(labels).length ? labelWords(labels) : OTHER_PODS}`;
    const pod: Pod = { kind: 'pod', namespace: ns, labels, ports: declared };
    if (!pods.has(name) && (!takes || takes(pod))) pods.set(name, pod);
  };
  for (const ns of every) add(ns, {});
  for (const w of wanted) for (const ns of w.in ?? every) add(ns, w.labels, w.takes);
  return {
    pods: [...pods].map(([name, ep]) => ({ name, ep })),
    namespaces: madeUp,
    named,
  };
}

/** The values a selector requires of `key` (matchLabels, or an `In`), or undefined when it requires none. */
function nameValues(s: LabelSelector, key: string): string[] | undefined {
  if (Object.hasOwn(s.matchLabels, key)) return [s.matchLabels[key]!];
  const e = s.matchExpressions.find((x) => x.key === key && x.operator === 'In');
  return e ? [...e.values] : undefined;
}

/** `app=web,tier=frontend`: labels in key order. */
const labelWords = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort(cmp)
    .join(',');

/**
 * Labels a selector takes in: its matchLabels, for an `In` its first value no `NotIn` of the key excludes, for an
 * `Exists` an empty value; undefined when they do not satisfy it (requirements that contradict each other).
 */
function labelsFor(s: LabelSelector): Labels | undefined {
  const out: Labels = {};
  for (const [k, v] of Object.entries(s.matchLabels)) put(out, k, v);
  for (const e of s.matchExpressions) {
    if (Object.hasOwn(out, e.key)) continue;
    const excluded = (v: string) =>
      s.matchExpressions.some((x) => x.key === e.key && x.operator === 'NotIn' && x.values.includes(v));
    const value = e.operator === 'In' ? e.values.find((v) => !excluded(v)) : e.operator === 'Exists' ? '' : undefined;
    if (value !== undefined) put(out, e.key, value);
  }
  return labelSelectorMatches(s, out) ? out : undefined;
}

/**
 * The named ports the policies write (`port: https`: a NetworkPolicy's, TCP unless it says; a Cilium `toPorts`
 * port, any protocol unless it says), each given the highest number that no written port or range (other than every
 * port) holds or touches, so a finding about it is about it alone. The same number for a name under every protocol.
 */
function namedPorts(sides: ReadPolicy[][], written: [number, number][]): Map<Protocol, Map<number, string>> {
  const names = new Map<string, Set<Protocol>>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObj(v)) return;
    const port = v['port'];
    if (typeof port === 'string' && port !== '' && !/^\d+$/.test(port)) {
      const protocols = PROTOCOLS.includes(v['protocol'] as Protocol) ? [v['protocol'] as Protocol] : PROTOCOLS;
      const set = names.get(port) ?? new Set<Protocol>();
      for (const p of protocols) set.add(p);
      names.set(port, set);
    }
    Object.values(v).forEach(visit);
  };
  for (const p of sides.flat()) visit(p.spec as Obj);
  const narrow = written.filter(([a, b]) => a > 1 || b < LAST_PORT);
  const near = (n: number) => narrow.some(([a, b]) => a - 1 <= n && n <= b + 1);
  const out = new Map<Protocol, Map<number, string>>(PROTOCOLS.map((p) => [p, new Map()]));
  let next = LAST_PORT;
  for (const name of [...names.keys()].sort(cmp)) {
    while (next > 1 && near(next)) next--;
    if (next < 1) break;
    for (const p of names.get(name)!) out.get(p)!.set(next, name);
    next--;
  }
  return out;
}
