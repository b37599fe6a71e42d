import { mergeOrigins } from '../model/callOrigin.js';
import { accessKey, compareAccess } from '../model/access.js';
import { addCounts, mergeEvidence, maxTime, minTime, type Evidence } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import {
  PROFILE_API_VERSION,
  edgeAccess,
  type AwsEdge,
  type CreatedNames,
  type K8sEdge,
  type NodeInstance,
  type Principal,
  type Profile,
  type RoleLink,
  type OutsideRbac,
  type RoleSession,
} from '../model/profile.js';
import { isAwsKind, preferredIamArn, principalId, type Subject } from '../model/subject.js';
import {
  compareWorkloads,
  edgeKey,
  mergeFlowEvidence,
  agreedLabels,
  mergeWorkloads,
  workloadId,
  type NetEdge,
  type WorkloadInfo,
} from '../model/network.js';
import { profileEdges } from '../model/apiServer.js';
import { tupleKey } from '../util/key.js';
import { sortImplied } from './edges.js';
import { mergeAssumptions } from './assumptions.js';
import {
  awsCallKey,
  compareAwsCalls,
  compareLinks,
  comparePrincipals,
  compareRoleSessions,
  sortCreated,
  sortRecord,
  sortSources,
} from './order.js';
import { LeftOutAccumulator } from './identities.js';
import { compareNodeInstances } from './checks.js';
import { unionFilters } from './filters.js';
import { pushAll } from '../util/array.js';
import { own, put } from '../util/own.js';
import { addOutsideRbac } from '../knowledge/kubernetes/outsideRbac.js';

function mergeOpt(a: Evidence | undefined, b: Evidence | undefined): Evidence | undefined {
  if (!a) return b;
  if (!b) return a;
  return mergeEvidence(a, b);
}

/** One AWS call of two profiles: evidence merged, origins their union. */
export function mergeAwsEdge(a: AwsEdge, b: AwsEdge): AwsEdge {
  const { allowed: _a, denied: _d, origins: _o, originsMore: _m, ...call } = a;
  const out: AwsEdge = { ...call };
  const allowed = mergeOpt(a.allowed, b.allowed);
  const denied = mergeOpt(a.denied, b.denied);
  if (allowed) out.allowed = allowed;
  if (denied) out.denied = denied;
  // An edge of a profile written before origins were kept says nothing of where its allowed calls came from: merged
  // with one that does, the union has more than it lists (two such edges stay silent, as they were).
  const none = (e: AwsEdge) => !e.origins && !e.originsMore;
  if (none(a) && none(b)) return out;
  const silent = (e: AwsEdge) => e.allowed !== undefined && none(e);
  const said = (e: AwsEdge) => (silent(e) ? { originsMore: true as const } : e);
  return Object.assign(out, mergeOrigins(said(a), said(b)));
}

const linkKey = (l: RoleLink) => tupleKey(l.roleArn, l.via);

/** One link of two profiles: evidence merged, the providers and the clusters their unions. */
function mergeLink(a: RoleLink, b: RoleLink): RoleLink {
  const providers = [...new Set([...(a.providers ?? []), ...(b.providers ?? [])])].sort(cmp);
  const clusters = [...new Set([...(a.clusters ?? []), ...(b.clusters ?? [])])].sort(cmp);
  return {
    roleArn: a.roleArn,
    via: a.via,
    ...(providers.length ? { providers } : {}),
    ...(clusters.length ? { clusters } : {}),
    evidence: mergeEvidence(a.evidence, b.evidence),
  };
}

/** One Kubernetes access of two profiles: evidence merged, implied requests their union. */
export function mergeEdge(a: K8sEdge, b: K8sEdge): K8sEdge {
  const out: K8sEdge = edgeAccess(a);
  const allowed = mergeOpt(a.allowed, b.allowed);
  const denied = mergeOpt(a.denied, b.denied);
  const undecided = mergeOpt(a.undecided, b.undecided);
  if (allowed) out.allowed = allowed;
  if (denied) out.denied = denied;
  if (undecided) out.undecided = undecided;
  // The requests behind an implied check are a set union; an unknown roleRef in either stays unknown.
  if (a.implied || b.implied) out.implied = sortImplied([...(a.implied ?? []), ...(b.implied ?? [])]);
  if (a.roleRefUnknown || b.roleRefUnknown) out.roleRefUnknown = true;
  // GC fields only when every allowed record wrote only them: a side without allowed records says nothing.
  if ((a.gcOnly || !a.allowed) && (b.gcOnly || !b.allowed) && (a.gcOnly || b.gcOnly)) out.gcOnly = true;
  return out;
}

/** A profile of `part` alone: no window, sources, skipped records or principals but those it gives. */
export function profileOf(part: Partial<Profile>): Profile {
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start: '', end: '' },
    sources: [],
    skipped: {},
    principals: [],
    ...part,
  };
}

/**
 * Combine profiles of different days or shards. Associative and commutative: the result does not
 * depend on the order or grouping of the inputs, byte for byte.
 */
export function mergeProfiles(profiles: Profile[]): Profile {
  // Accumulate every principal's edges in one map and sort once: linear in the total size,
  // however many partial profiles (files, byte ranges, days) come in.
  const principals = new Map<
    string,
    {
      subject: Subject;
      username: string;
      groups: Set<string>;
      edges: Map<string, K8sEdge>;
      aws: Map<string, AwsEdge>;
      links: Map<string, RoleLink>;
      created: CreatedNames[];
      createdArns: Set<string>;
      sessions: Map<string, RoleSession>;
      outsideRbac?: OutsideRbac;
    }
  >();
  const skipped: Record<string, number> = {};
  const leftOut = new LeftOutAccumulator();
  let start = '';
  let end = '';
  const sources: Profile['sources'] = [];
  for (const p of profiles) {
    start = minTime(start, p.window.start);
    end = maxTime(end, p.window.end);
    pushAll(sources, p.sources);
    for (const [k, n] of Object.entries(p.skipped)) put(skipped, k, addCounts(own(skipped, k) ?? 0, n));
    for (const l of p.leftOut ?? []) leftOut.add(l.reason, l.arn, l.count, l.events);
    for (const pr of p.principals) {
      // An IAM role or user is its account and name: the ARN kept is the preferred one of those merged.
      const k = principalId(pr.subject);
      let acc = principals.get(k);
      if (!acc)
        principals.set(
          k,
          (acc = {
            subject: pr.subject,
            username: pr.username,
            groups: new Set(),
            edges: new Map(),
            aws: new Map(),
            links: new Map(),
            created: [],
            createdArns: new Set(),
            sessions: new Map(),
          }),
        );
      else if (isAwsKind(pr.subject.kind) && pr.username !== acc.username) {
        acc.username = preferredIamArn(acc.username, pr.username);
        acc.subject = { kind: pr.subject.kind, name: acc.username };
      }
      pushAll(acc.created, pr.created ?? []);
      for (const r of pr.createdArns ?? []) acc.createdArns.add(r);
      for (const e of pr.aws ?? []) {
        const ek = awsCallKey(e);
        const prev = acc.aws.get(ek);
        acc.aws.set(ek, prev ? mergeAwsEdge(prev, e) : e);
      }
      for (const l of pr.assumes ?? []) {
        const lk = linkKey(l);
        const prev = acc.links.get(lk);
        acc.links.set(lk, prev ? mergeLink(prev, l) : l);
      }
      for (const g of pr.groups) acc.groups.add(g);
      // A username two roles' sessions share (`{{SessionName}}` alone) is a session of each: the union, sorted.
      for (const r of pr.roleSessions ?? []) acc.sessions.set(tupleKey(r.role, r.template), r);
      if (pr.outsideRbac)
        acc.outsideRbac = addOutsideRbac(acc.outsideRbac, pr.outsideRbac.reason, pr.outsideRbac.count);
      for (const e of pr.k8s) {
        const ek = accessKey(e);
        const prev = acc.edges.get(ek);
        acc.edges.set(ek, prev ? mergeEdge(prev, e) : e);
      }
    }
  }
  const net = mergeNetwork(profiles);
  const left = leftOut.toList();
  const outside = mergeAssumptions(profiles);
  const nodes = mergeNodeInstances(profiles);
  const filters = unionFilters(profiles.map((p) => p.filters));
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start, end },
    sources: sortSources(sources),
    skipped: sortRecord(skipped),
    ...(filters ? { filters } : {}),
    ...net,
    ...(nodes.length ? { nodeInstances: nodes } : {}),
    ...(left ? { leftOut: left } : {}),
    ...outside,
    principals: [...principals.values()]
      .sort((a, b) => comparePrincipals(a.subject, b.subject))
      .map((acc) => {
        const out: Principal = {
          subject: acc.subject,
          username: acc.username,
          groups: [...acc.groups].sort(cmp),
          k8s: [...acc.edges.values()].sort(compareAccess),
        };
        if (acc.aws.size) out.aws = [...acc.aws.values()].sort(compareAwsCalls);
        if (acc.links.size) out.assumes = [...acc.links.values()].sort(compareLinks);
        if (acc.created.length) out.created = mergeCreated(acc.created);
        if (acc.createdArns.size) out.createdArns = [...acc.createdArns].sort(cmp);
        if (acc.sessions.size) out.roleSessions = [...acc.sessions.values()].sort(compareRoleSessions);
        if (acc.outsideRbac) out.outsideRbac = acc.outsideRbac;
        return out;
      }),
  };
}

/** Created names of the same (namespace, group, resource) joined. */
function mergeCreated(list: CreatedNames[]): CreatedNames[] {
  // Each key's lists grow in place (copied once from its first entry): copying them at every entry was n².
  const by = new Map<string, { first: CreatedNames; names: string[]; generated: string[]; merged: boolean }>();
  for (const c of list) {
    const k = tupleKey(c.namespace, c.apiGroup, c.resource);
    const prev = by.get(k);
    if (!prev) by.set(k, { first: c, names: [...c.names], generated: [...(c.generated ?? [])], merged: false });
    else {
      pushAll(prev.names, c.names);
      pushAll(prev.generated, c.generated ?? []);
      prev.merged = true;
    }
  }
  return sortCreated(
    [...by.values()].map((x) => (x.merged ? { ...x.first, names: x.names, generated: x.generated } : x.first)),
  );
}

/** The network part: workloads by namespace/name, edges by key, names by address, namespaces by name. */
function mergeNetwork(profiles: Profile[]): Pick<Profile, 'workloads' | 'network' | 'dnsNames' | 'namespaces'> {
  // Every view of a workload or a namespace, merged once at the end: the same answer in any order.
  const workloads = new Map<string, WorkloadInfo[]>();
  const edges = new Map<string, NetEdge>();
  const names = new Map<string, Set<string>>();
  const namespaces = new Map<string, Record<string, string>[]>();
  let any = false;
  for (const p of profiles) {
    if (p.workloads || p.network) any = true;
    for (const w of p.workloads ?? []) {
      const k = workloadId(w);
      const views = workloads.get(k);
      if (views) views.push(w);
      else workloads.set(k, [w]);
    }
    for (const e of p.network ?? []) {
      const k = edgeKey(e);
      const prev = edges.get(k);
      if (!prev) {
        edges.set(k, e);
        continue;
      }
      const out: NetEdge = { from: prev.from, to: prev.to, protocol: prev.protocol, port: prev.port };
      const allowed =
        prev.allowed && e.allowed ? mergeFlowEvidence(prev.allowed, e.allowed) : (prev.allowed ?? e.allowed);
      const denied = prev.denied && e.denied ? mergeFlowEvidence(prev.denied, e.denied) : (prev.denied ?? e.denied);
      if (allowed) out.allowed = allowed;
      if (denied) out.denied = denied;
      edges.set(k, out);
    }
    for (const n of p.dnsNames ?? []) {
      const set = names.get(n.ip) ?? new Set<string>();
      for (const x of n.names) set.add(x);
      names.set(n.ip, set);
    }
    // Views of a namespace (two days' inventories) keep the labels all agree on, as workloads do.
    for (const ns of p.namespaces ?? []) {
      const views = namespaces.get(ns.name);
      if (views) views.push(ns.labels);
      else namespaces.set(ns.name, [ns.labels]);
    }
  }
  const out: Pick<Profile, 'workloads' | 'network' | 'dnsNames' | 'namespaces'> = {};
  if (any) {
    out.workloads = [...workloads.values()].map(mergeWorkloads).sort(compareWorkloads);
    out.network = profileEdges(edges.values());
  }
  if (names.size)
    out.dnsNames = [...names.keys()].sort(cmp).map((ip) => ({ ip, names: [...names.get(ip)!].sort(cmp) }));
  if (namespaces.size)
    out.namespaces = [...namespaces.keys()]
      .sort(cmp)
      .map((name) => ({ name, labels: agreedLabels(namespaces.get(name)!) }));
  return out;
}

/** Nodes that are EC2 instances, of every inventory the profiles were made with: each pair once, sorted. */
function mergeNodeInstances(profiles: Profile[]): NodeInstance[] {
  const by = new Map<string, NodeInstance>();
  for (const p of profiles) for (const n of p.nodeInstances ?? []) by.set(tupleKey(n.instanceId, n.node), n);
  return [...by.values()].sort(compareNodeInstances);
}
