import { cmp } from '../../model/issue.js';
import type { Peer, WorkloadInfo } from '../../model/network.js';
import { sortRules, wkey, type Rule } from './rules.js';
import { hash } from '../../util/paths.js';
import { HOST_NETWORK_GROUP } from '../../knowledge/kubernetes/openShift.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'audit2policy' };
const NS_LABEL = 'kubernetes.io/metadata.name';
const DNS_PORT = 53;

/** OpenShift's host-network policy group as a peer (knowledge/kubernetes/openShift.ts): a new object each time. */
const hostNetworkPeer = () => ({ namespaceSelector: { matchLabels: { [HOST_NETWORK_GROUP]: '' } } });

const cidrOf = (ip: string) => (ip.includes('/') ? ip : ip.includes(':') ? `${ip}/128` : `${ip}/32`);

function k8sPeer(p: Peer, self: WorkloadInfo, workloads: Map<string, WorkloadInfo>): Record<string, unknown> {
  if (p.kind !== 'workload') return { ipBlock: { cidr: cidrOf(p.ip) } };
  const w = workloads.get(wkey(p.namespace, p.name));
  const podSelector = { matchLabels: { ...(w?.selector ?? {}) } };
  if (p.namespace === self.namespace) return { podSelector };
  return { namespaceSelector: { matchLabels: { [NS_LABEL]: p.namespace } }, podSelector };
}

function portsOf(r: Rule): Record<string, unknown>[] | undefined {
  if (r.allPorts) return undefined;
  return [...r.ports.values()]
    .filter((p) => p.protocol !== 'ICMP' && p.protocol !== 'ICMPv6')
    .sort(
      (a, b) =>
        cmp(a.protocol, b.protocol) ||
        (typeof a.port === typeof b.port
          ? typeof a.port === 'number'
            ? a.port - (b.port as number)
            : cmp(a.port, b.port as string)
          : typeof a.port === 'number'
            ? -1
            : 1),
    )
    .map((p) => ({ protocol: p.protocol, port: p.port }));
}

function namesAnnotation(out: Map<string, Rule>, inn: Map<string, Rule>): Record<string, string> {
  const lines: string[] = [];
  for (const r of [...sortRules(out), ...sortRules(inn)])
    if (r.names.size && r.peer.kind !== 'workload') lines.push(`${r.peer.ip}=${[...r.names].sort(cmp).join(',')}`);
  return lines.length ? { 'audit2policy.dev/dns-names': [...new Set(lines)].join(' ') } : {};
}

/**
 * `audit2policy-<workload>`, a DNS-1123 subdomain of at most 253 characters as the API server requires of a
 * NetworkPolicy's (and a CiliumNetworkPolicy's) name. A workload's own name may be 253 long: past the limit the name
 * keeps its head and ends in `-` and a hash of the whole, so two long names never meet.
 */
export function policyName(workload: string): string {
  const name = `audit2policy-${workload}`;
  if (name.length <= MAX_NAME) return name;
  const head = name.slice(0, MAX_NAME - 11).replace(/[-.]+$/, '');
  return `${head}-${hash(name, 10)}`;
}

const MAX_NAME = 253;

export function networkPolicy(
  w: WorkloadInfo,
  out: Map<string, Rule>,
  inn: Map<string, Rule>,
  workloads: Map<string, WorkloadInfo>,
  /** Nodes as sources by OpenShift's host-network policy group (OVN-Kubernetes), not by address. */
  hostGroup = false,
): Record<string, unknown> {
  // ICMP-only rules have no ports to write and a NetworkPolicy cannot name ICMP: leave them out.
  const expressible = (r: Rule) =>
    r.allPorts || [...r.ports.values()].some((p) => p.protocol !== 'ICMP' && p.protocol !== 'ICMPv6');
  // Peers with the same ports share one rule: fewer, shorter rules for the same meaning.
  const rules = (dir: 'to' | 'from', table: Map<string, Rule>) => {
    const groups = new Map<
      string,
      { peers: Record<string, unknown>[]; ports: Record<string, unknown>[] | undefined; hostNetwork?: boolean }
    >();
    for (const r of sortRules(table).filter(expressible)) {
      const ports = portsOf(r);
      const key = JSON.stringify(ports ?? null);
      const g = groups.get(key) ?? { peers: [], ports };
      if (dir === 'from' && hostGroup && r.peer.kind === 'node') {
        // Every node is one peer: the group, once per rule.
        if (!g.hostNetwork) g.peers.push(hostNetworkPeer());
        g.hostNetwork = true;
      } else g.peers.push(k8sPeer(r.peer, w, workloads));
      groups.set(key, g);
    }
    return [...groups.values()].map((g) => ({
      [dir]: g.peers,
      ...(g.ports && g.ports.length ? { ports: g.ports } : {}),
    }));
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: policyName(w.name),
      namespace: w.namespace,
      labels: { ...MANAGED_BY },
      annotations: { 'audit2policy.dev/workload': `${w.kind}/${w.name}`, ...namesAnnotation(out, inn) },
    },
    spec: {
      podSelector: { matchLabels: { ...w.selector } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: rules('from', inn),
      egress: rules('to', out),
    },
  };
}

/**
 * A node's address as Cilium identifies it: the host (the selected pod's own node) or a remote node. Its CIDR rules do
 * not select node addresses unless the agent runs with policy-cidr-match-mode nodes (off by default).
 */
const NODE_ENTITIES = ['host', 'remote-node'];
/**
 * The API server as Cilium identifies it, on a node or outside the cluster (the entity is Cilium 1.11's; Hubble labels
 * its address `reserved:kube-apiserver`).
 */
const API_SERVER = 'kube-apiserver';

/** CiliumNetworkPolicy: endpoints by labels (namespace as Cilium's label), external peers by name where known, ICMP. */
export function ciliumPolicy(
  w: WorkloadInfo,
  out: Map<string, Rule>,
  inn: Map<string, Rule>,
  workloads: Map<string, WorkloadInfo>,
): Record<string, unknown> {
  const endpoint = (p: Extract<Peer, { kind: 'workload' }>) => ({
    matchLabels: {
      ...(workloads.get(wkey(p.namespace, p.name))?.selector ?? {}),
      'k8s:io.kubernetes.pod.namespace': p.namespace,
    },
  });
  // `dnsPort` drops the DNS ports of a rule to the cluster DNS, which its own toPorts entry carries.
  const toPorts = (r: Rule, dnsPort?: (p: { protocol: string; port: number | string }) => boolean) => {
    if (r.allPorts) return {};
    const l4 = [...r.ports.values()].filter((p) => p.protocol !== 'ICMP' && p.protocol !== 'ICMPv6' && !dnsPort?.(p));
    const icmp = [...r.ports.values()].filter((p) => p.protocol === 'ICMP' || p.protocol === 'ICMPv6');
    return {
      ...(l4.length
        ? {
            toPorts: [
              {
                ports: l4
                  .sort((a, b) => cmp(a.protocol, b.protocol) || cmp(String(a.port), String(b.port)))
                  .map((p) => ({ port: String(p.port), protocol: p.protocol })),
              },
            ],
          }
        : {}),
      ...(icmp.length
        ? {
            icmps: [
              {
                fields: icmp.map((p) => ({
                  type: p.protocol === 'ICMP' ? 8 : 128,
                  family: p.protocol === 'ICMP' ? 'IPv4' : 'IPv6',
                })),
              },
            ],
          }
        : {}),
    };
  };
  const egress: Record<string, unknown>[] = [];
  // A rule written once: the rules of addresses of one name on the same ports are one rule by name, and those of
  // nodes one rule of the node entities.
  const written = new Set<string>();
  const once = (rule: Record<string, unknown>, list: Record<string, unknown>[]) => {
    const k = JSON.stringify(rule);
    if (!written.has(k)) list.push(rule);
    written.add(k);
  };
  // FQDN policies need Cilium's DNS proxy to see the lookups: a DNS rule with a dns matchPattern carries that.
  const dnsPorts = [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }];
  let fqdn = false;
  let dnsRule = false;
  for (const r of sortRules(out)) {
    if (r.peer.kind === 'workload' && r.dns) {
      // The DNS server's other observed ports (its metrics, say) stay beside the DNS entry.
      const server = workloads.get(wkey(r.peer.namespace, r.peer.name));
      const dnsPort = (p: { protocol: string; port: number | string }) =>
        (typeof p.port === 'number' ? p.port : server?.ports.find((d) => d.name === p.port)?.port) === DNS_PORT;
      const rest = toPorts(r, dnsPort);
      dnsRule = true;
      // --widen-ports: every port (ICMP too) by a rule of its own, since the DNS entry's toPorts restrict the rule
      // they are in. Traffic to port 53 still goes through the DNS proxy: an L3 rule beside an L7 one widens the L7
      // rules of that port to any, and does not skip the proxy (cilium/cilium#8106).
      if (r.allPorts) egress.push({ toEndpoints: [endpoint(r.peer)] });
      egress.push({ toEndpoints: [endpoint(r.peer)], ...rest, toPorts: [...dnsPorts, ...(rest.toPorts ?? [])] });
    } else if (r.peer.kind === 'workload') egress.push({ toEndpoints: [endpoint(r.peer)], ...toPorts(r) });
    else if (r.peer.kind === 'node' && r.peer.own) once({ toEntities: ['host'], ...toPorts(r) }, egress);
    // The API server wherever it runs and whatever its address (managed control planes change it): one rule per ports.
    else if (r.peer.kind === 'apiserver') once({ toEntities: [API_SERVER], ...toPorts(r) }, egress);
    else if (r.names.size) {
      fqdn = true;
      // Addresses of one name on the same ports are one rule by name (a service seen at several addresses).
      const rule = { toFQDNs: [...r.names].sort(cmp).map((n) => ({ matchName: n })), ...toPorts(r) };
      once(rule, egress);
    } else if (r.peer.kind === 'node') once({ toEntities: NODE_ENTITIES, ...toPorts(r) }, egress);
    else egress.push({ toCIDR: [cidrOf(r.peer.ip)], ...toPorts(r) });
  }
  if (fqdn && !dnsRule)
    egress.push({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } }],
      toPorts: dnsPorts,
    });
  const ingress: Record<string, unknown>[] = [];
  for (const r of sortRules(inn))
    if (r.peer.kind === 'workload') ingress.push({ fromEndpoints: [endpoint(r.peer)], ...toPorts(r) });
    else if (r.peer.kind === 'apiserver') once({ fromEntities: [API_SERVER], ...toPorts(r) }, ingress);
    else if (r.peer.kind === 'node')
      once({ fromEntities: r.peer.own ? ['host'] : NODE_ENTITIES, ...toPorts(r) }, ingress);
    else ingress.push({ fromCIDR: [cidrOf(r.peer.ip)], ...toPorts(r) });
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: {
      name: policyName(w.name),
      namespace: w.namespace,
      labels: { ...MANAGED_BY },
      annotations: { 'audit2policy.dev/workload': `${w.kind}/${w.name}`, ...namesAnnotation(out, inn) },
    },
    // An empty list would leave that direction unenforced by this policy (Cilium: an omitted or empty list does not
    // apply); one empty rule is Cilium's default-deny idiom: the direction is enforced and the rule allows nothing.
    spec: {
      endpointSelector: { matchLabels: { ...w.selector } },
      ingress: ingress.length ? ingress : [{}],
      egress: egress.length ? egress : [{}],
    },
  };
}

/** The namespace's deny-all: what no generated policy selects gets no traffic. */
export function defaultDenyPolicy(ns: string): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'audit2policy-default-deny',
      namespace: ns,
      labels: { ...MANAGED_BY },
      annotations: {
        'audit2policy.dev/purpose': 'default deny: pods no generated policy selects get no traffic',
      },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}
