/**
 * What a CiliumNetworkPolicy `toPorts` entry asks beyond its ports (Cilium's layer 7 policies, the TLS and listener
 * fields of a port rule), and the shapes of it Cilium does not accept. A flow (Hubble, VPC) carries no request, so a
 * connection that only such an entry allows may be allowed or not: its requests decide (cilium.ts answers a maybe).
 *
 * From Cilium's documentation (security/policy/layer7, the CRD's PortRule): `rules` holds one of `http`, `kafka`,
 * `dns` or `l7proto` with `l7`, and a request passes when one of the rules matches it; no rules, or empty lists, and
 * the port passes everything. `listener` hands the traffic to an Envoy listener of a CiliumEnvoyConfig;
 * `serverNames` admits only a TLS handshake naming one of them; `terminatingTLS`/`originatingTLS` make the L7 proxy
 * end and start TLS. Deny rules take ports only (PortDenyRule has no L7 rules: "not supported in deny policies").
 */

import { isObj } from '../../util/json.js';

type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const given = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

/** The L7 rule lists of `rules`; `l7` goes with `l7proto`. */
const L7_LISTS = ['http', 'kafka', 'dns', 'l7'] as const;

/** The fields of a port rule beside `ports` that hand the connection to a proxy or a TLS handshake. */
const PROXY_FIELDS = ['listener', 'serverNames', 'terminatingTLS', 'originatingTLS'] as const;

/**
 * Whether an L7 rule passes every request of its protocol: an HTTP rule naming no path, method, host or header (the
 * documentation: each omitted field allows all), a Kafka rule naming nothing ("will match all Kafka messages"), a DNS
 * rule `matchPattern: "*"` ("`*` alone matches all names"). The flow is taken to speak the protocol its port is
 * proxied for. An `l7` key-value rule is read by a parser the model does not know: never.
 */
function passesAll(list: (typeof L7_LISTS)[number], rule: unknown): boolean {
  if (!isObj(rule)) return false;
  switch (list) {
    case 'http':
      return ['path', 'method', 'host', 'headers', 'headerMatches'].every((k) => !given(rule[k]));
    case 'kafka':
      return ['role', 'apiKey', 'apiVersion', 'clientID', 'topic'].every((k) => !given(rule[k]));
    case 'dns':
      return rule['matchPattern'] === '*';
    case 'l7':
      return false;
  }
}

/**
 * What a `toPorts` entry of an allow rule asks beyond its ports, in words (`rules.http`, `serverNames`...), or
 * undefined when it asks nothing more or passes every request of its protocol.
 */
export function beyondL4(tp: Obj): string | undefined {
  return beyondL4Parts(tp)?.join(', ');
}

/** `beyondL4` as a list of what the entry asks (`rules.http`, `serverNames`...), undefined when nothing. */
export function beyondL4Parts(tp: Obj): readonly string[] | undefined {
  // Asked for every pair of workloads a rule takes part in: read once per entry as written.
  const seen = beyondCache.get(tp);
  if (seen !== undefined) return seen ?? undefined;
  const said = readBeyondL4(tp);
  beyondCache.set(tp, said ?? null);
  return said;
}

const beyondCache = new WeakMap<object, readonly string[] | null>();

function readBeyondL4(tp: Obj): string[] | undefined {
  const out: string[] = [];
  for (const f of PROXY_FIELDS) if (given(tp[f])) out.push(f);
  const rules = tp['rules'];
  if (isObj(rules)) {
    for (const l of L7_LISTS) {
      const list = arr(rules[l]);
      if (list.length && !list.some((r) => passesAll(l, r))) out.push(`rules.${l}`);
    }
    if (given(rules['l7proto']) && !out.includes('rules.l7'))
      out.push(`rules.l7proto ${JSON.stringify(rules['l7proto'])}`);
  }
  return out.length ? out : undefined;
}

/**
 * What a policy's own restrictions of a connection are (the parts `beyondL4Parts` gives, `fromRequires`/`toRequires`,
 * `authentication`), as a diff names them: `an L7 rule (http)`, `a TLS rule (serverNames)`, `a fromRequires`. Sorted.
 */
export function restrictionWords(parts: Iterable<string>): string[] {
  const l7 = new Set<string>();
  const tls = new Set<string>();
  const out = new Set<string>();
  for (const p of parts) {
    if (p.startsWith('rules.')) l7.add(p.slice('rules.'.length));
    else if (p === 'serverNames' || p === 'terminatingTLS' || p === 'originatingTLS') tls.add(p);
    else if (p === 'listener') out.add('a listener (a CiliumEnvoyConfig)');
    else if (p === 'authentication') out.add('mutual authentication (authentication.mode required)');
    else out.add(`a ${p}`);
  }
  if (l7.size) out.add(`an L7 rule (${[...l7].sort().join(', ')})`);
  if (tls.size) out.add(`a TLS rule (${[...tls].sort().join(', ')})`);
  return [...out].sort();
}

/** The words a maybe through a port entry gives: what decides it. */
export const L7_WHY = 'only the requests (or TLS handshakes) they allow pass, and a flow carries none';

/**
 * Shapes of `toPorts` that Cilium does not accept, in words: L7 rules or proxy fields in a deny rule (the deny's port
 * rule has ports only: the API server drops or refuses them, so the deny may cover the whole port or not be there at
 * all; cilium.ts reads it as a deny that may apply), and more than one kind of L7 rule in one entry (Cilium rejects
 * the policy).
 */
export function portProblems(spec: Obj): string[] {
  const out: string[] = [];
  for (const key of ['ingress', 'egress', 'ingressDeny', 'egressDeny']) {
    const deny = key.endsWith('Deny');
    for (const [i, r] of arr(spec[key]).entries()) {
      if (!isObj(r)) continue;
      for (const [j, tp] of arr(r['toPorts']).entries()) {
        if (!isObj(tp)) continue;
        const at = `${key} rule ${i} toPorts[${j}]`;
        const extra = [...PROXY_FIELDS.filter((f) => given(tp[f])), ...(given(tp['rules']) ? ['rules'] : [])];
        if (deny && extra.length)
          out.push(
            `${at}: ${extra.join(', ')} cannot be in a deny rule (Cilium's deny port rules carry ports only; the API server drops or refuses them): read as a deny that may cover its ports`,
          );
        const rules = tp['rules'];
        const kinds = isObj(rules) ? L7_LISTS.filter((l) => arr(rules[l]).length > 0) : [];
        if (!deny && kinds.length > 1)
          out.push(
            `${at}: rules mixes ${kinds.join(' and ')} (Cilium takes one kind of L7 rule per port and rejects the policy)`,
          );
      }
    }
  }
  return out;
}

/** Whether a deny rule's port entry carries what a deny cannot (`portProblems`): its deny is then only a maybe. */
export function denyEntryInvalid(tp: Obj): boolean {
  return given(tp['rules']) || PROXY_FIELDS.some((f) => given(tp[f]));
}
