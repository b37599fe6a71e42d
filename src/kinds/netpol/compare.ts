import { namesPolicyGroup } from '../../knowledge/kubernetes/openShift.js';
import { formatAddress } from '../../knowledge/network/cidr.js';
import {
  topRisk,
  RISK_ORDER,
  type CiEvidence,
  type CiFinding,
  type FindingType,
  type Location,
  type NetCiAccess,
  type NetpolFinding,
  type Risk,
} from '../../model/finding.js';
import { netPortRiskList, netRegionsRiskList, netRiskList, type Region } from './risks.js';
import { cmp } from '../../model/issue.js';
import type { FlowEvidence, Peer } from '../../model/network.js';
import { hostsOf, type readNetworkPolicies } from '../../verify/netpol.js';
import { NetworkPolicySet, type Connection, type Endpoint, type Proto } from '../../verify/netpol/evaluate.js';
import { NO, YES } from '../../verify/netpol/cilium-peers.js';
import { broadPeers, newBroadPeers } from './broad.js';
import type { CompareContext, CompareSide, Comparison, Coverage } from '../types.js';
import {
  describeAddresses,
  findingPort,
  grantPorts,
  portNamer,
  PORT_PROTOCOLS,
  universeFor,
  type Universe,
  type UniverseEndpoint,
} from './universe.js';
import { andList, pushAll } from '../../util/array.js';
import { NetpolLocator, locationsOnce } from './locate.js';
import { endpointNamed, evidenceOf, observedFlows, SERVER, serversNamed } from './observed.js';

type Policies = ReturnType<typeof readNetworkPolicies>['policies'];

/**
 * Connections a side's NetworkPolicies allow between two endpoints of the universe: a run of adjacent port
 * intervals of one protocol (ICMP: port 0) along which no side's answer changes, so one question decides it.
 */
export interface NetGrant {
  from: string;
  to: string;
  protocol: Proto;
  port: number;
  endPort: number;
  /** The sides that allow it, or may (a Cilium peer the model cannot place, an L7 rule, a requirement). */
  sides: number;
  /** The sides that surely allow it. */
  sure: number;
  /** For each side that may allow it, by index, what its maybe comes from (`NetworkPolicySet.maybeOf`). */
  causes?: (MaybeCause | undefined)[];
  /** The side whose grant it is. */
  side: number;
  /** That side allows every port of the protocol between these endpoints. */
  all: boolean;
  /** A run of one port the profile saw used between these endpoints. */
  observed: boolean;
  /** The endpoints as the evaluator sees them: a finding's location is asked of the rules that decide them. */
  src: Endpoint;
  dst: Endpoint;
}

/** What a side's maybe comes from: facts the model lacks, or only the policy's own restrictions (named in words). */
export type MaybeCause = NonNullable<ReturnType<NetworkPolicySet['maybeOf']>>;

/** A run; `why` is its causes as one string, so that a run is cut where they change. */
type Run = Omit<NetGrant, 'side' | 'all' | 'src' | 'dst'> & {
  a: UniverseEndpoint;
  b: UniverseEndpoint;
  full: number;
  why: string;
};

/**
 * An endpoint as grouping sees it: a workload by name, every address region alike (they are described together), but
 * the API server's addresses, which are the API server.
 */
const groupName = (name: string, byName: Map<string, UniverseEndpoint>) => {
  const e = byName.get(name);
  return !e?.range ? name : e.ep.kind === 'ip' && e.ep.apiserver ? SERVER : '';
};

/**
 * NetworkPolicies as the connections they allow over a universe of workloads, address regions and port intervals
 * (`universe.ts`), judged by the NetworkPolicy evaluator `verify` uses.
 */
export async function compareNetpol(sides: CompareSide<Policies>[], ctx: CompareContext): Promise<Comparison> {
  const u = universeFor(
    ctx.profile,
    ctx.inventory?.workloads ?? [],
    ctx.inventory?.namespaces ?? [],
    sides.map((s) => ({ docs: s.docs, policies: s.policies.set })),
    ctx.inventory?.podAddresses,
    // Only where a side selects nodes by OpenShift's policy groups: a region per node is a row of questions each.
    sides.some((s) => s.docs.some((d) => namesPolicyGroup(d.object)))
      ? (ctx.inventory?.nodes ?? []).flatMap((n) => n.ips)
      : [],
  );
  const facts = {
    ...(ctx.inventory?.services ? { services: ctx.inventory.services } : {}),
    ...(ctx.plugin ? { plugin: ctx.plugin } : {}),
    ...(ctx.inventory?.nodes ? { nodes: ctx.inventory.nodes } : {}),
    hosts: hostsOf(ctx.profile?.network),
  };
  const sets = sides.map((s) => {
    const set = new NetworkPolicySet(u.namespaceLabels, u.dnsNames, facts);
    for (const p of s.policies.set) set.add(p.kind, p.name, p.namespace, p.spec);
    return set;
  });
  const none = sides.every((s) => s.policies.count === 0);
  const locator = new NetpolLocator(
    sides.map((s, i) => ({ docs: s.docs, set: sets[i]! })),
    ctx.texts,
  );
  // A grant's rules; in a diff, those of the directions the other side says less of.
  const where = (items: NetGrant[]): Location[] => {
    const out: Location[] = [];
    for (const g of items) {
      const c: Connection = { src: g.src, dst: g.dst, protocol: g.protocol, port: g.port };
      pushAll(out, locator.grant(g.side, sides.length === 2 ? 1 - g.side : undefined, c));
    }
    return locationsOnce(out);
  };
  const byName = new Map(u.endpoints.map((e) => [e.name, e]));
  const spell = spellOf(u.endpoints);
  const profile = ctx.profile;
  const observed = profile ? observedFlows(profile) : undefined;
  let runs: Run[] | undefined;
  const keyOf = (g: NetGrant) => [groupName(g.from, byName), groupName(g.to, byName), g.protocol];
  const comparison: Comparison<NetGrant> = {
    async grants(i) {
      if (none) return { grants: [], undetermined: [] };
      runs ??= runsOf(u, sets, observed);
      const out: NetGrant[] = [];
      for (const { a, b, full, why: _, ...r } of runs)
        if (r.sides & (1 << i)) out.push({ ...r, side: i, all: (full & (1 << i)) !== 0, src: a.ep, dst: b.ep });
      // A diff's proposed side: the broad peers (every address, every pod) its rules open that the other side's do not.
      const changes =
        sides.length === 2 && ctx.newSide === i
          ? newBroadPeers(broadPeers(sides[i]!.docs, ctx.texts), broadPeers(sides[1 - i]!.docs, ctx.texts))
          : [];
      return { grants: out, undetermined: [], changes };
    },
    // Runs are cut wherever any side's answer (or what its maybe comes from) changes, so what a side says of the run's
    // first port it says of all. A side that may allow covers a grant the granting side is no surer of. One it surely
    // grants: against a maybe of the other's own restrictions only (an L7 rule, a requirement), a difference of
    // access (the granting side allows all of it, the other only part); against one of missing facts, undetermined.
    covered(g, by): Coverage {
      if (g.sure & (1 << by) || (g.sides & (1 << by) && !(g.sure & (1 << g.side)))) return 'yes';
      if (!(g.sides & (1 << by))) return 'no';
      const who = sides.length > 1 ? ctx.names[by] : 'the other side';
      const cause = g.causes?.[by];
      const own = cause?.restrictions ?? [];
      if (cause && !cause.facts && own.length)
        return {
          undetermined: `${who} allows it only under ${andList(own)} of its own`,
          context: true,
          restrictions: own,
        };
      return {
        undetermined: `${who} may allow it or not: it depends on what the inventory and flows cannot tell (a Cilium peer such as an entity or a Service, a deny rule that may cover it, an ipBlock covering pods: --network-plugin)${own.length ? `, beside ${andList(own)} of its own` : ''}`,
      };
    },
    // check: what the profile saw, each on its own (used); the rest of a peer (or of the addresses) in one finding.
    groupKey: (g) => JSON.stringify([...keyOf(g), g.observed ? [g.from, g.to, g.port] : []]),
    // diff: one finding per peer (or the addresses) and protocol, the ports and address blocks named inside.
    changeKey: (g) => JSON.stringify(keyOf(g)),
    finding: (type, items, evidence) => finding(type, items, byName, spell, where(items), evidence, u.named),
    // A would-be denial (or an undetermined observation): where the rule it lacks goes, or the rule that decides it.
    locate(f, side) {
      if (f.kind !== 'netpol') return [];
      const ep = (name: string) => byName.get(name.replace(/^node /, ''))?.ep ?? endpointNamed(name);
      const { from, to, protocol, port } = f.access;
      return locator.denial(side, { src: ep(from), dst: ep(to), protocol: protocol as Proto, port });
    },
  };
  if (observed) comparison.evidence = (items) => evidenceOf(observed, items);
  return comparison as Comparison;
}

/**
 * Every side's answer for every question of the universe, as runs. A pair that nothing may pass, or a protocol no
 * port of which may pass, is asked once, not once per interval (a rule that allows a port allows "any port" and
 * "any port of its protocol" too). Not ICMP under a Cilium policy: a rule of `icmps` alone allows ICMP but no port.
 */
function runsOf(u: Universe, sets: NetworkPolicySet[], observed: Map<string, FlowEvidence> | undefined): Run[] {
  const out: Run[] = [];
  const cilium = sets.map((s) => s.policies.some((p) => p.kind === 'CiliumNetworkPolicy'));
  // The ports the profile saw per pair, so the loop over intervals (millions of questions) makes no keys.
  const seenPorts = new Map<string, Set<string>>();
  for (const k of observed?.keys() ?? []) {
    const [from, to, protocol, port] = JSON.parse(k) as [string, string, string, number];
    const pair = JSON.stringify([from, to]);
    seenPorts.set(pair, (seenPorts.get(pair) ?? new Set()).add(`${protocol}/${port}`));
  }
  for (const a of u.endpoints) {
    for (const b of u.endpoints) {
      if (a === b || (a.ep.kind !== 'pod' && b.ep.kind !== 'pod')) continue;
      const some = sets.map((s) => s.isAllowed({ src: a.ep, dst: b.ep }));
      const seen = seenPorts.get(JSON.stringify([a.name, b.name]));
      const push = (protocol: Proto, port: number, endPort: number, x: Answers, observed: boolean) =>
        out.push({ a, b, from: a.name, to: b.name, protocol, port, endPort, ...x, observed, full: 0 });
      for (const protocol of some.some(Boolean) ? PORT_PROTOCOLS : []) {
        // One question object per protocol, its port moved along (the evaluator keeps none).
        const c: Connection = { src: a.ep, dst: b.ep, protocol };
        const asks = sets.map((s, i) => some[i]! && s.isAllowed(c));
        if (!asks.some(Boolean)) continue;
        const first = out.length;
        let full = (1 << sets.length) - 1;
        let run: Run | undefined;
        for (const [port, endPort] of u.ports.get(protocol)!) {
          c.port = port;
          const x = answers(sets, c, (i) => asks[i]!);
          full &= x.sides;
          const isSeen = port === endPort && seen !== undefined && seen.has(`${protocol}/${port}`);
          const same = run && run.sides === x.sides && run.sure === x.sure && run.why === x.why;
          if (x.sides && run && same && !run.observed && !isSeen) run.endPort = endPort;
          else if (x.sides) run = out[push(protocol, port, endPort, x, isSeen) - 1];
          else run = undefined;
        }
        for (let k = first; k < out.length; k++) out[k]!.full = full;
      }
      for (const protocol of ['ICMP', 'ICMPv6'] as const) {
        const c: Connection = { src: a.ep, dst: b.ep, protocol, port: 0 };
        const x = answers(sets, c, (i) => some[i]! || cilium[i]!);
        if (x.sides) push(protocol, 0, 0, x, seen?.has(`${protocol}/0`) ?? false);
      }
    }
  }
  return out;
}

type Answers = Pick<Run, 'sides' | 'sure' | 'causes' | 'why'>;

/**
 * Every side's answer to one question (`ask(i)`: whether side i may allow anything of it at all). When one side surely
 * allows it and another only may, what that maybe comes from: their own restrictions, or facts the model lacks.
 */
function answers(sets: NetworkPolicySet[], c: Connection, ask: (i: number) => boolean): Answers {
  let sides = 0;
  let sure = 0;
  for (let i = 0; i < sets.length; i++) {
    const t = ask(i) ? sets[i]!.answer(c) : NO;
    if (t !== NO) sides |= 1 << i;
    if (t === YES) sure |= 1 << i;
  }
  if (!sure || sides === sure) return { sides, sure, why: '' };
  const causes: (MaybeCause | undefined)[] = [];
  for (let i = 0; i < sets.length; i++) if (sides & ~sure & (1 << i)) causes[i] = sets[i]!.maybeOf(c);
  return { sides, sure, causes, why: JSON.stringify(causes) };
}

/**
 * A group of grants between one source and one destination (a workload, or the addresses together) on one protocol,
 * in words: the ports as ranges, address regions as the blocks they make up; regions granted different ports are
 * named apart (`0.0.0.0/0 except 1.2.3.4/32 TCP/443; 1.2.3.4 TCP/80`).
 */
function finding(
  type: FindingType,
  items: NetGrant[],
  byName: Map<string, UniverseEndpoint>,
  spell: (v: bigint) => string,
  locations: Location[],
  evidence?: CiEvidence,
  named?: Universe['named'],
): CiFinding {
  const g = items[0]!;
  const name = portNamer(named, g);
  const peers = (names: string[]) => {
    if (names.every((n) => n.startsWith(SERVER))) return serversNamed(names);
    const regions = names.map((n) => byName.get(n)?.range).filter((r) => r !== undefined);
    return regions.length ? describeAddresses(regions, spell) : names[0]!;
  };
  const ports = (list: NetGrant[]) => (g.port === 0 && g.endPort === 0 ? [] : grantPorts(list, name));
  const words = (list: string[]) => (list.length ? `${g.protocol}/${list.join(', ')}` : g.protocol);
  // The ports of each pair of endpoints, then the pairs with the same ports together.
  const pairs = new Map<string, NetGrant[]>();
  for (const x of items) {
    const k = JSON.stringify([x.from, x.to]);
    pairs.set(k, [...(pairs.get(k) ?? []), x]);
  }
  const parts = new Map<string, { from: string[]; to: string[] }>();
  for (const list of pairs.values()) {
    const k = words(ports(list));
    const part = parts.get(k) ?? { from: [], to: [] };
    part.from.push(list[0]!.from);
    part.to.push(list[0]!.to);
    parts.set(k, part);
  }
  const all = ports(items);
  const from = peers(items.map((x) => x.from));
  const to = peers(items.map((x) => x.to));
  const summary = [...parts]
    .map(([w, p]) => `${peers(p.from)} → ${peers(p.to)} ${w}`)
    .sort(cmp)
    .join('; ');
  const risk = riskOf(items, byName);
  return {
    type,
    kind: 'netpol',
    principal: from,
    access: {
      from,
      to,
      protocol: g.protocol,
      port: findingPort(g, all, name),
      ...(all.length > 1 || !/^\d+$/.test(all[0] ?? '0') ? { ports: all } : {}),
    },
    summary,
    ...(risk && type !== 'undetermined' ? { risk } : {}),
    ...(evidence ? { evidence } : {}),
    locations,
  };
}

/** A region of one address by the name the universe gave it (the profile's spelling), else as formatted. */
function spellOf(endpoints: UniverseEndpoint[]): (v: bigint) => string {
  const names = new Map<bigint, string>();
  for (const e of endpoints) if (e.range && e.range.lo === e.range.hi) names.set(e.range.lo, e.name);
  return (v) => names.get(v) ?? formatAddress(v);
}

/**
 * The catalogue's risks of a group (risks.ts): an address peer's (egress to the internet, ingress from outside the
 * cluster; a region is wholly private or not, so its first address speaks for it) and a grant of every port.
 */
function riskOf(items: NetGrant[], byName: Map<string, UniverseEndpoint>): CiFinding['risk'] {
  const list: Risk[] = [];
  const regions: Record<'from' | 'to', Region[]> = { from: [], to: [] };
  for (const g of items) {
    const to = byName.get(g.to);
    const from = byName.get(g.from);
    // A region that is one node's address is a node peer (its risk is a node's, not the internet's); the API
    // server's address, the API server.
    const peer = (ep: { kind: 'ip'; ip: string; node?: boolean; apiserver?: boolean }): Peer =>
      ep.apiserver
        ? { kind: 'apiserver', ip: ep.ip }
        : ep.node
          ? { kind: 'node', ip: ep.ip }
          : { kind: 'ip', ip: ep.ip };
    if (to?.ep.kind === 'ip') pushAll(list, netRiskList(peer(to.ep), 'from', g, to.range));
    if (from?.ep.kind === 'ip') pushAll(list, netRiskList(peer(from.ep), 'to', g, from.range));
    if (to?.range) regions.from.push(to.range);
    if (from?.range) regions.to.push(from.range);
    if (g.all) pushAll(list, netPortRiskList());
  }
  for (const self of ['from', 'to'] as const) pushAll(list, netRegionsRiskList(regions[self], self));
  const level = topRisk(list);
  // Highest level first, as CiFinding's risk promises (a stable sort keeps the catalogue's order within a level).
  list.sort((a, b) => RISK_ORDER[a.level] - RISK_ORDER[b.level]);
  return level ? { level, reasons: [...new Set(list.map((r) => r.reason))] } : undefined;
}

/** A would-be denial as a CI finding's access and words. */
export function describeNetpol(f: NetpolFinding): { access: NetCiAccess; summary: string } {
  return {
    access: { ...f.access },
    summary: `${f.access.from} → ${f.access.to} ${f.access.protocol}/${f.access.port}`,
  };
}
