import type { WorkloadInfo } from '../model/network.js';
import { cmp } from '../model/issue.js';
import type { PolicyDoc } from '../policy/load.js';
import type { Endpoint, Proto } from '../verify/netpol/evaluate.js';
import type { Location, NetGrant, PolicySide, Universe } from './grants.js';

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

export const netKey = (g: NetGrant) => JSON.stringify([g.from, g.to, g.protocol, String(g.port).padStart(5, '0')]);

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
