/**
 * What a policy's kind and spec say before any connection is asked (Kubernetes API reference "NetworkPolicy"): the
 * directions it isolates and reads rules in, whether a NetworkPolicy rule's ports hold a connection's, and the
 * requirements of the Cilium policies selecting an endpoint.
 */

import { NO_REQUIRES, type Requires } from './cilium.js';
import type { Connection, Policy } from './evaluate.js';
import { isObj } from '../../util/json.js';
import { pushAll } from '../../util/array.js';

type Obj = Record<string, unknown>;
export type PolicyKind = 'NetworkPolicy' | 'CiliumNetworkPolicy';
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The directions whose allow rules are read: a NetworkPolicy's policyTypes, a CiliumNetworkPolicy's rule lists. */
export function ruledOf(kind: PolicyKind, spec: Obj): Set<'Ingress' | 'Egress'> {
  return kind === 'NetworkPolicy' ? typesOf(kind, spec) : ciliumRuled(spec);
}

export function typesOf(kind: PolicyKind, spec: Obj): Set<'Ingress' | 'Egress'> {
  if (kind === 'CiliumNetworkPolicy') return ciliumTypes(spec);
  const given = arr(spec['policyTypes']).filter((x): x is 'Ingress' | 'Egress' => x === 'Ingress' || x === 'Egress');
  if (given.length) return new Set(given);
  // The API server's defaulting: Ingress always, Egress only for a non-empty egress list (`egress: []` without
  // policyTypes leaves egress open).
  return new Set(arr(spec['egress']).length ? ['Ingress', 'Egress'] : ['Ingress']);
}

export function k8sPorts(ports: unknown, c: Connection): boolean {
  if (ports === undefined || arr(ports).length === 0) return true;
  return arr(ports).some((p) => {
    if (!isObj(p)) return false;
    const proto = str(p['protocol']) || 'TCP';
    if (c.protocol !== undefined && proto !== c.protocol) return false;
    if (p['port'] === undefined) return true;
    if (typeof p['port'] === 'string') {
      // A named port is the destination pod's: a pod that does not declare the name has no port it matches.
      if (c.dst.kind !== 'pod') return false;
      return c.dst.ports.some(
        (dp) => dp.name === p['port'] && dp.protocol === proto && (c.port === undefined || dp.port === c.port),
      );
    }
    if (c.port === undefined) return true;
    const n = Number(p['port']);
    const end = typeof p['endPort'] === 'number' ? p['endPort'] : undefined;
    return end !== undefined ? c.port >= n && c.port <= end : c.port === n;
  });
}

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

/** The directions in which a CiliumNetworkPolicy has deny rules (`ingressDeny`, `egressDeny`). */
export function ciliumDenied(spec: Obj): Set<'Ingress' | 'Egress'> {
  const t = new Set<'Ingress' | 'Egress'>();
  if (arr(spec['ingressDeny']).length) t.add('Ingress');
  if (arr(spec['egressDeny']).length) t.add('Egress');
  return t;
}

/** The `fromRequires` (ingress) or `toRequires` (egress) of every rule of the Cilium policies selecting an endpoint. */
export function requiresOf(selecting: Policy[], dir: 'Ingress' | 'Egress'): Requires {
  const d = dir.toLowerCase();
  const key = dir === 'Egress' ? 'toRequires' : 'fromRequires';
  const out: Requires = { allow: [], deny: [] };
  for (const p of selecting) {
    if (p.kind === 'NetworkPolicy') continue;
    for (const [list, to] of [
      [p.spec[d], out.allow],
      [p.spec[`${d}Deny`], out.deny],
    ] as const)
      for (const r of arr(list)) if (isObj(r)) pushAll(to, arr(r[key]));
  }
  return out.allow.length || out.deny.length ? out : NO_REQUIRES;
}
