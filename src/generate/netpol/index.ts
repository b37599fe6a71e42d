import { cmp } from '../../model/issue.js';
import {
  describePeer,
  mergeFlowEvidence,
  peerKey,
  type FlowEvidence,
  type L4Protocol,
  type NetEdge,
  type Peer,
  type WorkloadInfo,
} from '../../model/network.js';
import { PROFILE_API_VERSION, type Profile } from '../../model/profile.js';
import { nameSegment } from '../../util/paths.js';

/** Options of `generate netpol`; widenings are off by default. */
export interface NetpolOptions {
  flavor?: 'kubernetes' | 'cilium';
  /** One deny-all policy per namespace with generated policies (on by default). */
  defaultDeny?: boolean;
  /** All ports to an observed peer. */
  widenPorts?: boolean;
  /** External addresses into blocks of this prefix length (IPv4; IPv6 keeps /128). */
  aggregateCidr?: number;
}

export interface NetpolWidening {
  workload: string;
  option: 'widen-ports' | 'aggregate-cidr' | 'dns' | 'unselectable-peer' | 'no-default-deny';
  detail: string;
}

export interface NetpolArtefact {
  namespace: string;
  /** `netpol/<namespace>/<workload>.yaml` or `netpol/<namespace>/_default-deny.yaml`. */
  path: string;
  objects: Record<string, unknown>[];
  evidencePath?: string;
  evidence?: Record<string, unknown>;
}

export interface NetpolResult {
  artefacts: NetpolArtefact[];
  widenings: NetpolWidening[];
  /** Things a Kubernetes NetworkPolicy cannot say (ICMP), by workload. */
  inexpressible: { workload: string; detail: string }[];
  /** Peers that are nodes or host-network pods (allowed by node IP: flagged for review). */
  nodePeers: { workload: string; ip: string; direction: 'ingress' | 'egress' }[];
  /** Workloads left without a policy, and why (an empty selector would select the whole namespace). */
  skipped: { workload: string; reason: string }[];
  /** Workloads of the inventory that had no observed traffic. */
  quiet: string[];
  /** Flows the logs show as dropped: listed, never allowed. */
  denied: { from: string; to: string; protocol: string; port: number; records: number }[];
}

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'audit2policy' };
const NS_LABEL = 'kubernetes.io/metadata.name';
const DNS_PORT = 53;

interface Rule {
  peer: Peer;
  ports: Map<string, { protocol: L4Protocol; port: number | string }>;
  ev: FlowEvidence;
  allPorts: boolean;
  names: Set<string>;
  dns?: boolean;
}

const wkey = (ns: string, name: string) => `${ns}/${name}`;

/** A DNS server workload: something in kube-system answering on 53, or labelled as cluster DNS. */
function isDnsServer(w: WorkloadInfo | undefined): boolean {
  if (!w) return false;
  return (
    w.selector['k8s-app'] === 'kube-dns' ||
    w.labels['k8s-app'] === 'kube-dns' ||
    (w.namespace === 'kube-system' && /dns/.test(w.name))
  );
}

/** Least-privilege NetworkPolicies from the profile's network edges. Deterministic. */
export function generateNetpol(profile: Profile, opts: NetpolOptions = {}): NetpolResult {
  const flavor = opts.flavor ?? 'kubernetes';
  const result: NetpolResult = {
    artefacts: [],
    widenings: [],
    inexpressible: [],
    nodePeers: [],
    skipped: [],
    quiet: [],
    denied: [],
  };
  const workloads = new Map<string, WorkloadInfo>();
  for (const w of profile.workloads ?? []) workloads.set(wkey(w.namespace, w.name), w);
  const names = new Map<string, string[]>();
  for (const n of profile.dnsNames ?? []) names.set(n.ip, n.names);

  // Per workload: egress rules (by destination peer) and ingress rules (by source peer).
  const egress = new Map<string, Map<string, Rule>>();
  const ingress = new Map<string, Map<string, Rule>>();
  const active = new Set<string>();
  const addRule = (
    table: Map<string, Map<string, Rule>>,
    owner: string,
    peer: Peer,
    e: NetEdge,
    ev: FlowEvidence,
    port: number | string,
  ) => {
    let rules = table.get(owner);
    if (!rules) table.set(owner, (rules = new Map()));
    const k = peerKey(peer);
    let r = rules.get(k);
    if (!r) rules.set(k, (r = { peer, ports: new Map(), ev, allPorts: false, names: new Set() }));
    else r.ev = mergeFlowEvidence(r.ev, ev);
    r.ports.set(`${e.protocol}/${port}`, { protocol: e.protocol, port });
    if (peer.kind !== 'workload') for (const n of names.get(peer.ip) ?? []) r.names.add(n);
    return r;
  };

  for (const e of profile.network ?? []) {
    if (e.denied)
      result.denied.push({
        from: describePeer(e.from),
        to: describePeer(e.to),
        protocol: e.protocol,
        port: e.port,
        records: e.denied.records,
      });
    if (!e.allowed) continue;
    const src = e.from.kind === 'workload' ? wkey(e.from.namespace, e.from.name) : undefined;
    const dst = e.to.kind === 'workload' ? wkey(e.to.namespace, e.to.name) : undefined;
    if (src) active.add(src);
    if (dst) active.add(dst);
    if (e.protocol === 'ICMP' || e.protocol === 'ICMPv6') {
      if (flavor === 'kubernetes') {
        for (const w of [src, dst])
          if (w)
            result.inexpressible.push({
              workload: w,
              detail: `${e.protocol} ${describePeer(e.from)} → ${describePeer(e.to)}: a NetworkPolicy cannot name ICMP (--flavor cilium can)`,
            });
        continue;
      }
    }
    const dstW = dst ? workloads.get(dst) : undefined;
    // A port the destination declares by name is written by its name.
    const named = dstW?.ports.find((p) => p.port === e.port && p.protocol === e.protocol && p.name)?.name;
    const port: number | string = named ?? e.port;
    if (src) {
      const r = addRule(egress, src, e.to, e, e.allowed, port);
      if (e.port === DNS_PORT && isDnsServer(dstW)) r.dns = true;
      if (e.to.kind === 'node') result.nodePeers.push({ workload: src, ip: e.to.ip, direction: 'egress' });
    }
    if (dst) {
      addRule(ingress, dst, e.from, e, e.allowed, port);
      if (e.from.kind === 'node') result.nodePeers.push({ workload: dst, ip: e.from.ip, direction: 'ingress' });
    }
  }

  const byNamespace = new Map<string, string[]>();
  for (const key of [...active].sort(cmp)) {
    const w = workloads.get(key);
    if (!w) {
      result.skipped.push({ workload: key, reason: 'not in the profile’s workloads' });
      continue;
    }
    if (Object.keys(w.selector).length === 0) {
      result.skipped.push({
        workload: key,
        reason: 'no stable labels to select its pods by (an empty podSelector would select the whole namespace)',
      });
      continue;
    }
    const out = egress.get(key) ?? new Map<string, Rule>();
    const inn = ingress.get(key) ?? new Map<string, Rule>();
    if (flavor === 'kubernetes') rotatingNames(key, out, names, result);
    // DNS: the cluster DNS pods on UDP and TCP 53, whichever was seen.
    for (const r of out.values()) {
      if (!r.dns) continue;
      const had = [...r.ports.keys()].sort().join(',');
      const dnsW = r.peer.kind === 'workload' ? workloads.get(wkey(r.peer.namespace, r.peer.name)) : undefined;
      for (const protocol of ['UDP', 'TCP'] as const) {
        const port =
          dnsW?.ports.find((p) => p.port === DNS_PORT && p.protocol === protocol && p.name)?.name ?? DNS_PORT;
        r.ports.set(`${protocol}/${port}`, { protocol, port });
      }
      if ([...r.ports.keys()].sort().join(',') !== had)
        result.widenings.push({
          workload: key,
          option: 'dns',
          detail: `DNS to ${describePeer(r.peer)} on UDP and TCP 53 (seen: ${had})`,
        });
    }
    if (opts.widenPorts) {
      for (const r of [...out.values(), ...inn.values()]) {
        r.allPorts = true;
        result.widenings.push({
          workload: key,
          option: 'widen-ports',
          detail: `all ports with ${describePeer(r.peer)} (seen: ${[...r.ports.keys()].sort().join(', ')})`,
        });
      }
    }
    if (opts.aggregateCidr !== undefined) {
      for (const rules of [out, inn]) aggregate(rules, opts.aggregateCidr, key, result.widenings);
    }
    for (const r of [...out.values(), ...inn.values()]) {
      if (r.peer.kind !== 'workload') continue;
      const pw = workloads.get(wkey(r.peer.namespace, r.peer.name));
      if (!pw || Object.keys(pw.selector).length === 0) {
        result.widenings.push({
          workload: key,
          option: 'unselectable-peer',
          detail: `${describePeer(r.peer)} has no stable labels: the rule admits every pod of namespace ${r.peer.namespace}`,
        });
      }
    }
    const evidence = evidenceDoc(w, out, inn);
    const objects =
      flavor === 'cilium' ? [ciliumPolicy(w, out, inn, workloads)] : [networkPolicy(w, out, inn, workloads)];
    result.artefacts.push({
      namespace: w.namespace,
      path: `netpol/${nameSegment(w.namespace)}/${nameSegment(w.name)}.yaml`,
      objects,
      evidencePath: `evidence/netpol/${nameSegment(w.namespace)}/${nameSegment(w.name)}.yaml`,
      evidence,
    });
    byNamespace.set(w.namespace, [...(byNamespace.get(w.namespace) ?? []), w.name]);
  }
  if (opts.defaultDeny ?? true) {
    // A namespace holding a workload that talked but cannot be selected gets no default deny: it would cut that
    // workload off.
    const unselectable = new Set(result.skipped.map((s) => s.workload.split('/')[0]!));
    for (const ns of [...byNamespace.keys()].sort(cmp)) {
      if (unselectable.has(ns)) {
        result.widenings.push({
          workload: ns,
          option: 'no-default-deny',
          detail: `no default deny in ${ns}: ${result.skipped
            .filter((s) => s.workload.startsWith(ns + '/'))
            .map((s) => s.workload)
            .join(', ')} could not be given a policy`,
        });
        continue;
      }
      result.artefacts.push({
        namespace: ns,
        path: `netpol/${nameSegment(ns)}/_default-deny.yaml`,
        objects: [
          {
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
          },
        ],
      });
    }
  }
  result.artefacts.sort((a, b) => cmp(a.path, b.path));
  // Host-network pods are outside NetworkPolicy's reach: they are peers by node address, never quiet workloads.
  result.quiet = [...workloads.keys()]
    .filter((k) => !active.has(k) && workloads.get(k)!.source === 'inventory' && !workloads.get(k)!.hostNetwork)
    .sort(cmp);
  return result;
}

/**
 * External peers that one DNS name stands for at several addresses (seen through DNS answers): a
 * NetworkPolicy can only list the addresses seen, and the next rotation is denied. Listed, with the way
 * out (`--flavor cilium` allows the name itself).
 */
function rotatingNames(
  workload: string,
  out: Map<string, Rule>,
  names: Map<string, string[]>,
  result: NetpolResult,
): void {
  const byName = new Map<string, Set<string>>();
  for (const r of out.values()) {
    if (r.peer.kind !== 'ip') continue;
    for (const n of r.names) byName.set(n, (byName.get(n) ?? new Set()).add(r.peer.ip));
  }
  for (const [name, seen] of [...byName].sort((a, b) => cmp(a[0], b[0]))) {
    const known = [...names].filter(([, ns]) => ns.includes(name)).length;
    if (seen.size < 2 && known < 2) continue;
    result.inexpressible.push({
      workload,
      detail: `${name} was seen at ${Math.max(seen.size, known)} addresses: a NetworkPolicy lists the ${seen.size} it connected to and will deny the next ones the name resolves to (--flavor cilium allows the name: toFQDNs)`,
    });
  }
}

/** `10.1.2.3` → `10.1.2.0/24` for prefix 24. */
function blockOf(ip: string, prefix: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const n = ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const b = (n & mask) >>> 0;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${prefix}`;
}

function aggregate(rules: Map<string, Rule>, prefix: number, workload: string, out: NetpolWidening[]): void {
  const groups = new Map<string, Rule[]>();
  for (const r of rules.values()) {
    if (r.peer.kind !== 'ip') continue;
    const block = blockOf(r.peer.ip, prefix);
    if (block) groups.set(block, [...(groups.get(block) ?? []), r]);
  }
  for (const [block, members] of [...groups].sort((a, b) => cmp(a[0], b[0]))) {
    const first = members[0]!;
    const merged: Rule = {
      peer: { kind: 'ip', ip: block },
      ports: new Map(first.ports),
      ev: first.ev,
      allPorts: first.allPorts,
      names: new Set(first.names),
    };
    for (const r of members.slice(1)) {
      for (const [k, v] of r.ports) merged.ports.set(k, v);
      merged.ev = mergeFlowEvidence(merged.ev, r.ev);
      merged.allPorts ||= r.allPorts;
      for (const n of r.names) merged.names.add(n);
    }
    for (const r of members) rules.delete(peerKey(r.peer));
    rules.set(peerKey(merged.peer), merged);
    out.push({
      workload,
      option: 'aggregate-cidr',
      detail: `${members
        .map((r) => (r.peer as { ip: string }).ip)
        .sort(cmp)
        .join(', ')} → ${block}`,
    });
  }
}

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

const sortRules = (rules: Map<string, Rule>) =>
  [...rules.values()].sort((a, b) => cmp(peerKey(a.peer), peerKey(b.peer)));

function namesAnnotation(out: Map<string, Rule>, inn: Map<string, Rule>): Record<string, string> {
  const lines: string[] = [];
  for (const r of [...sortRules(out), ...sortRules(inn)])
    if (r.names.size && r.peer.kind !== 'workload') lines.push(`${r.peer.ip}=${[...r.names].sort(cmp).join(',')}`);
  return lines.length ? { 'audit2policy.dev/dns-names': [...new Set(lines)].join(' ') } : {};
}

function networkPolicy(
  w: WorkloadInfo,
  out: Map<string, Rule>,
  inn: Map<string, Rule>,
  workloads: Map<string, WorkloadInfo>,
): Record<string, unknown> {
  // ICMP-only rules have no ports to write and a NetworkPolicy cannot name ICMP: leave them out.
  const expressible = (r: Rule) =>
    r.allPorts || [...r.ports.values()].some((p) => p.protocol !== 'ICMP' && p.protocol !== 'ICMPv6');
  // Peers with the same ports share one rule: fewer, shorter rules for the same meaning.
  const rules = (dir: 'to' | 'from', table: Map<string, Rule>) => {
    const groups = new Map<
      string,
      { peers: Record<string, unknown>[]; ports: Record<string, unknown>[] | undefined }
    >();
    for (const r of sortRules(table).filter(expressible)) {
      const ports = portsOf(r);
      const key = JSON.stringify(ports ?? null);
      const g = groups.get(key) ?? { peers: [], ports };
      g.peers.push(k8sPeer(r.peer, w, workloads));
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
      name: `audit2policy-${w.name}`,
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

/** CiliumNetworkPolicy: endpoints by labels (namespace as Cilium's label), external peers by name where known, ICMP. */
function ciliumPolicy(
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
  const toPorts = (r: Rule) => {
    if (r.allPorts) return {};
    const l4 = [...r.ports.values()].filter((p) => p.protocol !== 'ICMP' && p.protocol !== 'ICMPv6');
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
  // FQDN policies need Cilium's DNS proxy to see the lookups: a DNS rule with a dns matchPattern carries that.
  const dnsPorts = [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }];
  let fqdn = false;
  let dnsRule = false;
  for (const r of sortRules(out)) {
    if (r.peer.kind === 'workload') {
      const base = { toEndpoints: [endpoint(r.peer)], ...toPorts(r) };
      if (r.dns) dnsRule = true;
      egress.push(r.dns ? { ...base, toPorts: dnsPorts } : base);
    } else if (r.names.size) {
      fqdn = true;
      egress.push({ toFQDNs: [...r.names].sort(cmp).map((n) => ({ matchName: n })), ...toPorts(r) });
    } else egress.push({ toCIDR: [cidrOf(r.peer.ip)], ...toPorts(r) });
  }
  if (fqdn && !dnsRule)
    egress.push({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } }],
      toPorts: dnsPorts,
    });
  const ingress = sortRules(inn).map((r) =>
    r.peer.kind === 'workload'
      ? { fromEndpoints: [endpoint(r.peer)], ...toPorts(r) }
      : { fromCIDR: [cidrOf(r.peer.ip)], ...toPorts(r) },
  );
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: {
      name: `audit2policy-${w.name}`,
      namespace: w.namespace,
      labels: { ...MANAGED_BY },
      annotations: { 'audit2policy.dev/workload': `${w.kind}/${w.name}`, ...namesAnnotation(out, inn) },
    },
    spec: { endpointSelector: { matchLabels: { ...w.selector } }, ingress, egress },
  };
}

function evidenceDoc(w: WorkloadInfo, out: Map<string, Rule>, inn: Map<string, Rule>): Record<string, unknown> {
  const entry = (r: Rule) => ({
    peer: describePeer(r.peer),
    peerKind: r.peer.kind,
    ports: r.allPorts ? 'all (--widen-ports)' : [...r.ports.values()].map((p) => `${p.protocol}/${p.port}`).sort(cmp),
    connections: r.ev.connections,
    records: r.ev.records,
    firstSeen: r.ev.firstSeen,
    lastSeen: r.ev.lastSeen,
    samples: r.ev.samples.map((s) => `${s.time} ${s.id}`),
    ...(r.names.size ? { dnsNames: [...r.names].sort(cmp) } : {}),
    ...(r.dns ? { note: 'cluster DNS: UDP and TCP 53 are both allowed' } : {}),
  });
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'NetworkPolicyEvidence',
    workload: `${w.namespace}/${w.name}`,
    workloadKind: w.kind,
    selector: w.selector,
    selectedBy:
      w.source === 'inventory' ? 'the workload’s selector (inventory)' : 'the pod’s stable labels seen in flows',
    egress: sortRules(out).map(entry),
    ingress: sortRules(inn).map(entry),
  };
}
