/**
 * The parts of CiliumNetworkPolicy semantics the evaluator (evaluate.ts) needs beside its rule walk: which
 * directions a policy isolates and which it has rules in, selectors over a pod's labels, and toPorts entries.
 */

import { readLabelSelector, type LabelSelector } from '../../util/labels.js';
import { isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import type { Connection, Endpoint } from './evaluate.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The directions a CiliumNetworkPolicy isolates. */
export function ciliumTypes(spec: Obj): Set<'Ingress' | 'Egress'> {
  // Cilium: an omitted or empty list does not apply in its direction (`[{}]` is the default-deny idiom); a
  // direction with rules isolates unless `enableDefaultDeny` (Cilium 1.15) says otherwise, and says so for a
  // direction without rules too.
  const t = new Set<'Ingress' | 'Egress'>();
  const given = isObj(spec['enableDefaultDeny']) ? spec['enableDefaultDeny'] : {};
  for (const [dir, key] of [
    ['Ingress', 'ingress'],
    ['Egress', 'egress'],
  ] as const) {
    const deny = given[key];
    const ruled = arr(spec[key]).length > 0 || arr(spec[`${key}Deny`]).length > 0;
    if (typeof deny === 'boolean' ? deny : ruled) t.add(dir);
  }
  return t;
}

/** The directions in which a CiliumNetworkPolicy has allow rules. */
export function ciliumRuled(spec: Obj): Set<'Ingress' | 'Egress'> {
  const t = new Set<'Ingress' | 'Egress'>();
  if (arr(spec['ingress']).length) t.add('Ingress');
  if (arr(spec['egress']).length) t.add('Egress');
  return t;
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
  if (c.port === undefined) return true;
  const written = pp['port'];
  // No port, or port 0: every port of the protocol.
  if (written === undefined || written === '' || written === 0 || written === '0') return true;
  const port = typeof written === 'number' ? written : /^\d+$/.test(str(written)) ? Number(written) : undefined;
  if (port === undefined) {
    // A name is resolved as Kubernetes does: on the destination endpoint's named container ports, of the rule's
    // protocol (any when ANY); an address has no names.
    const name = str(written);
    if (c.dst.kind !== 'pod') return false;
    return c.dst.ports.some(
      (dp) => dp.name === name && dp.port === c.port && (proto === 'ANY' || dp.protocol === proto),
    );
  }
  const end = Number(pp['endPort'] ?? 0);
  return end ? c.port >= port && c.port <= end : c.port === port;
}
