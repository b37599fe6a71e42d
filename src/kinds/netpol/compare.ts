import {
  topRisk,
  type CiEvidence,
  type CiFinding,
  type FindingType,
  type Location,
  type NetCiAccess,
  type NetpolFinding,
} from '../../model/finding.js';
import { netRiskList } from './risks.js';
import { cmp } from '../../model/issue.js';
import { mergeFlowEvidence, type FlowEvidence, type Peer, type WorkloadInfo } from '../../model/network.js';
import type { Profile } from '../../model/profile.js';
import type { PolicyDoc } from '../../policy/load.js';
import type { readNetworkPolicies } from '../../verify/netpol.js';
import { NetworkPolicySet, type Endpoint, type Proto } from '../../verify/netpol/evaluate.js';
import { noEvidence } from '../findings.js';
import type { CompareContext, CompareSide, Comparison } from '../types.js';

type Policies = ReturnType<typeof readNetworkPolicies>['policies'];

/** One connection a side's NetworkPolicies allow between two endpoints of the universe. */
export interface NetGrant {
  from: string;
  to: string;
  protocol: Proto;
  port: number;
  at: Location;
}

/** The workloads and addresses NetworkPolicy grants are enumerated over. */
export interface Universe {
  endpoints: { name: string; ep: Endpoint }[];
  /** Ports to try per destination (beside every port the policies name). */
  ports: { protocol: Proto; port: number }[];
  namespaceLabels: Map<string, Record<string, string>>;
  dnsNames: Map<string, string[]>;
}

const key = (g: NetGrant) => JSON.stringify([g.from, g.to, g.protocol, String(g.port).padStart(5, '0')]);

/**
 * NetworkPolicies as the connections they allow over a universe of workloads and addresses (the
 * profile's, an inventory's, or pseudo-pods from the policies' own selectors), judged by the
 * NetworkPolicy evaluator `verify` uses.
 */
export async function compareNetpol(sides: CompareSide<Policies>[], ctx: CompareContext): Promise<Comparison> {
  const u = universeFor(
    ctx.profile,
    ctx.inventory?.workloads ?? [],
    ctx.inventory?.namespaces ?? [],
    sides.map((s) => s.docs),
  );
  const sets = sides.map((s) => {
    const set = new NetworkPolicySet(u.namespaceLabels, u.dnsNames);
    for (const p of s.policies.set) set.add(p.kind, p.name, p.namespace, p.spec);
    return set;
  });
  const none = sides.every((s) => s.policies.count === 0);
  const ports = new Map<string, { protocol: Proto; port: number }>();
  for (const p of [...u.ports, ...sets.flatMap(namedPorts)]) ports.set(`${p.protocol}/${p.port}`, p);
  const portList = [...ports.values()].sort((a, b) => cmp(a.protocol, b.protocol) || a.port - b.port);
  const byName = new Map(u.endpoints.map((e) => [e.name, e.ep]));
  const profile = ctx.profile;
  const comparison: Comparison<NetGrant> = {
    async grants(i) {
      if (none) return { grants: [], undetermined: [] };
      const out: NetGrant[] = [];
      for (const a of u.endpoints) {
        for (const b of u.endpoints) {
          if (a === b || (a.ep.kind !== 'pod' && b.ep.kind !== 'pod')) continue;
          // A port is allowed only if some port is (each side's rule that allows it allows "any port" too), so a
          // pair nothing may pass is asked once, not once per port. Not ICMP: a Cilium rule of `icmps` alone
          // allows ICMP but no port.
          const some = sets[i]!.isAllowed({ src: a.ep, dst: b.ep });
          for (const p of portList)
            if (
              (some || p.protocol === 'ICMP' || p.protocol === 'ICMPv6') &&
              sets[i]!.isAllowed({ src: a.ep, dst: b.ep, protocol: p.protocol, port: p.port })
            )
              out.push({ from: a.name, to: b.name, ...p, at: location(sides[i]!.docs, a.ep, b.ep) });
        }
      }
      return { grants: out, undetermined: [] };
    },
    covered(g, by) {
      const src = byName.get(g.from)!;
      const dst = byName.get(g.to)!;
      return sets[by]!.isAllowed({ src, dst, protocol: g.protocol, port: g.port }) ? 'yes' : 'no';
    },
    groupKey: key,
    finding: (type, items, evidence) => finding(type, items[0]!, evidence, riskOf(byName, items[0]!)),
    locate(f, side) {
      if (f.kind !== 'netpol') return [];
      const ns = f.access.to.includes('/') ? f.access.to.split('/')[0] : f.access.from.split('/')[0];
      const doc = sides[side]!.docs.find((d) => isNetpol(d) && namespaceOf(d) === ns);
      return doc ? [{ file: doc.file, line: 1 }] : [];
    },
  };
  if (profile) {
    const observed = observedFlows(profile);
    comparison.evidence = (items) => evidenceOf(observed, items[0]!);
  }
  return comparison as Comparison;
}

const isNetpol = (d: PolicyDoc) => {
  const k = (d.object as { kind?: string } | null)?.kind;
  return k === 'NetworkPolicy' || k === 'CiliumNetworkPolicy';
};
const namespaceOf = (d: PolicyDoc) => (d.object as { metadata?: { namespace?: string } }).metadata?.namespace;

/** The file of each namespace's first NetworkPolicy document, per side's documents (built on first use). */
const firstFiles = new WeakMap<PolicyDoc[], Map<string, string>>();

function location(docs: PolicyDoc[], a: Endpoint, b: Endpoint): Location {
  // The file of a policy of the destination's namespace (or the source's), for annotations.
  const ns = b.kind === 'pod' ? b.namespace : a.kind === 'pod' ? a.namespace : '';
  let files = firstFiles.get(docs);
  if (!files) {
    files = new Map();
    for (const d of docs) {
      const n = isNetpol(d) ? namespaceOf(d) : undefined;
      if (n !== undefined && !files.has(n)) files.set(n, d.file);
    }
    firstFiles.set(docs, files);
  }
  return { file: files.get(ns) ?? docs[0]?.file ?? '', line: 1 };
}

function namedPorts(set: NetworkPolicySet): { protocol: Proto; port: number }[] {
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
  for (const p of set.policies) visit(p.spec);
  return out;
}

/** An address peer's risks: egress to the internet, ingress from outside the cluster. */
function riskOf(byName: Map<string, Endpoint>, g: NetGrant): CiFinding['risk'] {
  const to = byName.get(g.to);
  const from = byName.get(g.from);
  const list = [
    ...(to?.kind === 'ip' ? netRiskList({ kind: 'ip', ip: to.ip }, 'from') : []),
    ...(from?.kind === 'ip' ? netRiskList({ kind: 'ip', ip: from.ip }, 'to') : []),
  ];
  const level = topRisk(list);
  return level ? { level, reasons: list.map((r) => r.reason) } : undefined;
}

function finding(type: FindingType, g: NetGrant, evidence?: CiEvidence, risk?: CiFinding['risk']): CiFinding {
  return {
    type,
    kind: 'netpol',
    principal: g.from,
    access: { from: g.from, to: g.to, protocol: g.protocol, port: g.port },
    summary: `${g.from} → ${g.to} ${g.protocol}/${g.port}`,
    ...(risk && type !== 'undetermined' ? { risk } : {}),
    ...(evidence ? { evidence } : {}),
    locations: [g.at],
  };
}

/** Names as the universe gives them: `ns/name` for workloads, the address for nodes and IPs. */
const peerName = (p: Peer) => (p.kind === 'workload' ? `${p.namespace}/${p.name}` : p.ip);

const flowKey = (from: string, to: string, protocol: string, port: number) =>
  JSON.stringify([from, to, protocol, port]);

/**
 * The allowed evidence of the profile's connections by (from, to, protocol, port), merged in profile order: a diff
 * asks once per group of grants, and walking every connection each time was pairs × connections.
 */
function observedFlows(profile: Profile): Map<string, FlowEvidence> {
  const out = new Map<string, FlowEvidence>();
  for (const e of profile.network ?? []) {
    if (!e.allowed) continue;
    const k = flowKey(peerName(e.from), peerName(e.to), e.protocol, e.port);
    const ev = out.get(k);
    out.set(k, ev ? mergeFlowEvidence(ev, e.allowed) : e.allowed);
  }
  return out;
}

function evidenceOf(observed: Map<string, FlowEvidence>, g: NetGrant): CiEvidence {
  const ev = observed.get(flowKey(g.from, g.to, g.protocol, g.port));
  return ev
    ? {
        used: true,
        count: ev.connections || ev.records,
        firstSeen: ev.firstSeen,
        lastSeen: ev.lastSeen,
        samples: ev.samples.map((s) => s.id),
      }
    : noEvidence();
}

/** A would-be denial as a CI finding's access and words. */
export function describeNetpol(f: NetpolFinding): { access: NetCiAccess; summary: string } {
  return {
    access: { ...f.access },
    summary: `${f.access.from} → ${f.access.to} ${f.access.protocol}/${f.access.port}`,
  };
}

/** /32 and /128 ipBlocks of the policies: the external peers they name. */
function policyAddresses(docs: PolicyDoc[]): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    for (const key of ['cidr', 'toCIDR', 'fromCIDR']) {
      for (const c of ([] as unknown[]).concat(o[key] ?? []))
        if (typeof c === 'string' && /\/(32|128)$/.test(c)) out.push(c.replace(/\/\d+$/, ''));
    }
    Object.values(o).forEach(visit);
  };
  for (const d of docs) visit(d.object);
  return out;
}

function universeFor(
  profile: Profile | undefined,
  inventoryWorkloads: WorkloadInfo[],
  namespaces: { name: string; labels: Record<string, string> }[],
  sides: PolicyDoc[][],
): Universe {
  const workloads = profile?.workloads?.length ? profile.workloads : inventoryWorkloads;
  const addresses = [
    ...(profile?.network ?? []).flatMap((e) => [e.from, e.to]).flatMap((p) => (p.kind === 'workload' ? [] : [p.ip])),
    ...sides.flatMap(policyAddresses),
  ];
  return universeOf(workloads, addresses, profile?.namespaces ?? namespaces, profile?.dnsNames ?? [], sides);
}
/** The universe from a profile's workloads (and the addresses it saw), or from the policies' own selectors. */
function universeOf(
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
