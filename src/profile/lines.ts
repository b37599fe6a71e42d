import type { K8sAccess } from '../model/access.js';
import type { CompactEvidence, Evidence, Sample, Stage } from '../model/evidence.js';
import {
  PROFILE_API_VERSION,
  type AwsCall,
  type AwsEdge,
  type CallOrigin,
  type ImpliedBy,
  type K8sEdge,
  type LeftOutIdentity,
  type Principal,
  type Profile,
} from '../model/profile.js';
import { canonicalEvidence, STAGES } from '../model/evidence.js';
import type { NetEdge } from '../model/network.js';
import { wireEdge } from '../model/apiServer.js';

/**
 * One line of a v1alpha2 profile to and from its JSON (docs/formats.md, ADR 0010). Lines are compact: an access is a
 * tuple, evidence a tuple, empty lists and the common stages left out; the reader restores exactly what the writer
 * left out, so a profile and its lines are the same canonical profile both ways.
 */

/** What precedes the principals. */
export type ProfileHead = Pick<Profile, 'window' | 'sources' | 'skipped' | 'filters'>;
/** What follows them. */
export type ProfileTail = Pick<
  Profile,
  | 'leftOut'
  | 'workloads'
  | 'network'
  | 'dnsNames'
  | 'namespaces'
  | 'nodeInstances'
  | 'serviceAssumptions'
  | 'webIdentityAssumptions'
  | 'samlAssumptions'
>;

/** The trailing sections in file order: the line key and the profile field. */
export const TAIL_SECTIONS = [
  ['leftOut', 'leftOut'],
  ['workload', 'workloads'],
  ['network', 'network'],
  ['dnsName', 'dnsNames'],
  ['namespace', 'namespaces'],
  ['nodeInstance', 'nodeInstances'],
  ['serviceAssumption', 'serviceAssumptions'],
  ['webIdentityAssumption', 'webIdentityAssumptions'],
  ['samlAssumption', 'samlAssumptions'],
] as const;

export type EndCounts = {
  principals: number;
  accesses: number;
  leftOut: number;
  workloads?: number;
  network?: number;
  dnsNames?: number;
  namespaces?: number;
  nodeInstances?: number;
  serviceAssumptions?: number;
  webIdentityAssumptions?: number;
  samlAssumptions?: number;
};

export type AccessTuple = [string, string, string, string, string, string, string];

/** The header line (canonical parts expected). */
export function headerLine(h: ProfileHead): string {
  return JSON.stringify({
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: h.window,
    sources: h.sources,
    skipped: h.skipped,
    ...(h.filters ? { filters: h.filters } : {}),
  });
}

function onlyComplete(ev: Evidence): boolean {
  const keys = Object.keys(ev.stages);
  return keys.length === 1 && keys[0] === 'ResponseComplete' && ev.stages.ResponseComplete === ev.count;
}

function packEvidence(ev: Evidence): CompactEvidence {
  const samples: string[] = [];
  for (const s of ev.samples) samples.push(s.id, s.time);
  const c = canonicalEvidence(ev);
  return onlyComplete(c)
    ? [c.count, c.firstSeen, c.lastSeen, samples]
    : [c.count, c.firstSeen, c.lastSeen, samples, c.stages];
}

/**
 * `packEvidence(ev)` of evidence already canonical, made without copying it: the profile's hot writer makes one per
 * access.
 */
function evidenceTuple(ev: Evidence): CompactEvidence {
  const flat: string[] = [];
  for (const s of ev.samples) flat.push(s.id, s.time);
  // packEvidence's test on the canonical stages (those with a count), made without them.
  let kinds = 0;
  for (const st of STAGES) if (ev.stages[st]) kinds++;
  if (kinds === 1 && ev.stages.ResponseComplete && ev.stages.ResponseComplete === ev.count)
    return [ev.count, ev.firstSeen, ev.lastSeen, flat];
  const stages: Partial<Record<Stage, number>> = {};
  for (const st of STAGES) if (ev.stages[st]) stages[st] = ev.stages[st];
  return [ev.count, ev.firstSeen, ev.lastSeen, flat, stages];
}

/** The evidence a tuple stands for; undefined when its samples are not `[id, time]` pairs. */
export function unpackEvidence(t: CompactEvidence): Evidence | undefined {
  const [count, firstSeen, lastSeen, flat] = t;
  if (flat.length % 2) return undefined;
  const samples: Sample[] = [];
  for (let i = 0; i < flat.length; i += 2) samples.push({ id: flat[i]!, time: flat[i + 1]! });
  const stages: Partial<Record<Stage, number>> = t.length === 5 ? t[4] : { ResponseComplete: count };
  return canonicalEvidence({ count, firstSeen, lastSeen, stages, samples });
}

const packAccess = (a: K8sAccess): AccessTuple => [
  a.verb,
  a.apiGroup,
  a.resource,
  a.subresource,
  a.namespace,
  a.name,
  a.nonResourceURL,
];

export const unpackAccess = (t: AccessTuple): K8sAccess => ({
  verb: t[0],
  apiGroup: t[1],
  resource: t[2],
  subresource: t[3],
  namespace: t[4],
  name: t[5],
  nonResourceURL: t[6],
});

/** A principal's own line: everything but its accesses (canonical principal expected). */
export function principalLine(p: Principal): string {
  const o: Record<string, unknown> = { subject: p.subject, username: p.username, groups: p.groups };
  if (p.assumes?.length)
    o['assumes'] = p.assumes.map((l) => ({
      roleArn: l.roleArn,
      via: l.via,
      ...(l.providers?.length ? { providers: l.providers } : {}),
      ...(l.clusters?.length ? { clusters: l.clusters } : {}),
      evidence: packEvidence(l.evidence),
    }));
  if (p.created?.length) o['created'] = p.created;
  if (p.createdArns?.length) o['createdArns'] = p.createdArns;
  if (p.roleSessions?.length) o['roleSessions'] = p.roleSessions;
  if (p.outsideRbac) o['outsideRbac'] = { count: p.outsideRbac.count, reason: p.outsideRbac.reason };
  return JSON.stringify({ principal: o });
}

/*
 * Each line is one `JSON.stringify` of an object whose fields are in the line's order, an absent field undefined
 * (which it leaves out): V8 writes that flat, where text put together piece by piece is a rope each line's write has
 * to walk (50,000 k8s lines made and joined, best of 30: 150 ms pieced, 68 ms stringified).
 */

export function k8sLine(e: K8sEdge): string {
  return JSON.stringify({
    k8s: packAccess(e),
    allowed: e.allowed && evidenceTuple(e.allowed),
    denied: e.denied && evidenceTuple(e.denied),
    undecided: e.undecided && evidenceTuple(e.undecided),
    implied: e.implied?.map((i) => {
      const x: Record<string, unknown> = { request: packAccess(i.request) };
      if (i.as !== undefined) x['as'] = i.as;
      if (i.role !== undefined) x['role'] = i.role;
      return x;
    }),
    roleRefUnknown: e.roleRefUnknown || undefined,
    gcOnly: e.gcOnly || undefined,
  });
}

/**
 * A k8s line of an edge with nothing but its access and evidence, from its tuples: a builder's columns (edges.ts)
 * give it without making the edge.
 */
export function k8sLineOf(
  access: AccessTuple,
  allowed: CompactEvidence | undefined,
  denied: CompactEvidence | undefined,
  undecided: CompactEvidence | undefined,
): string {
  return JSON.stringify({ k8s: access, allowed, denied, undecided });
}

export function awsLine(e: AwsEdge): string {
  return awsLineOf(e, e.allowed && evidenceTuple(e.allowed), e.denied && evidenceTuple(e.denied));
}

/** An aws line from its call and origins and its evidence tuples, for edges as objects and a builder's columns. */
export function awsLineOf(
  e: AwsCall & { origins?: CallOrigin[]; originsMore?: true },
  allowed: CompactEvidence | undefined,
  denied: CompactEvidence | undefined,
): string {
  return JSON.stringify({
    aws: [e.eventSource, e.eventName, e.region ?? '', e.account ?? ''],
    resources: e.resources.length ? e.resources : undefined,
    implied: e.implied.length ? e.implied.map((i) => [i.action, i.resource, i.via]) : undefined,
    externalId: e.externalId,
    allowed,
    denied,
    origins: e.origins,
    originsMore: e.originsMore || undefined,
  });
}

/**
 * The lines of one principal: its own, then its Kubernetes accesses, then its AWS calls. `k8s`, `aws`: those
 * lines when already made (lazyEdges.ts); `p.k8s`, `p.aws` are not read then.
 */
export function* principalLines(p: Principal, k8s?: Iterable<string>, aws?: Iterable<string>): Generator<string> {
  yield principalLine(p);
  if (k8s) yield* k8s;
  else for (const e of p.k8s) yield k8sLine(e);
  if (aws) yield* aws;
  else for (const e of p.aws ?? []) yield awsLine(e);
}

/** The trailing sections' lines, one per entry; a connection's peers in their written form (model/apiServer.ts). */
export function* tailLines(t: ProfileTail): Generator<string> {
  for (const [key, field] of TAIL_SECTIONS)
    for (const x of t[field] ?? []) yield JSON.stringify({ [key]: field === 'network' ? wireEdge(x as NetEdge) : x });
}

export function endLine(c: EndCounts): string {
  return JSON.stringify({ end: c });
}

/** The end line's counts of a tail: a section present (even empty) is counted, an absent one is not. */
export function tailCounts(t: ProfileTail): Omit<EndCounts, 'principals' | 'accesses'> {
  const out: Omit<EndCounts, 'principals' | 'accesses'> = { leftOut: t.leftOut?.length ?? 0 };
  for (const [, field] of TAIL_SECTIONS) if (field !== 'leftOut' && t[field]) out[field] = t[field].length;
  return out;
}

/** A principal line's value as the principal it starts (its accesses still to come); undefined on bad samples. */
export function principalOf(v: {
  subject: Principal['subject'];
  username: string;
  groups: string[];
  assumes?: {
    roleArn: string;
    via: 'irsa' | 'pod-identity';
    providers?: string[];
    clusters?: string[];
    evidence: CompactEvidence;
  }[];
  created?: Principal['created'];
  createdArns?: Principal['createdArns'];
  roleSessions?: Principal['roleSessions'];
  outsideRbac?: Principal['outsideRbac'];
}): Principal | undefined {
  const p: Principal = { subject: v.subject, username: v.username, groups: v.groups, k8s: [] };
  if (v.assumes?.length) {
    const links = [];
    for (const l of v.assumes) {
      const evidence = unpackEvidence(l.evidence);
      if (!evidence) return undefined;
      const providers = l.providers?.length ? { providers: l.providers } : {};
      const clusters = l.clusters?.length ? { clusters: l.clusters } : {};
      links.push({ roleArn: l.roleArn, via: l.via, ...providers, ...clusters, evidence });
    }
    p.assumes = links;
  }
  if (v.created?.length) p.created = v.created;
  if (v.createdArns?.length) p.createdArns = v.createdArns;
  if (v.roleSessions?.length) p.roleSessions = v.roleSessions;
  if (v.outsideRbac) p.outsideRbac = { count: v.outsideRbac.count, reason: v.outsideRbac.reason };
  return p;
}

/** A k8s line as its edge; a string saying what is wrong when evidence samples are not pairs or none is given. */
export function k8sEdgeOf(v: {
  k8s: AccessTuple;
  allowed?: CompactEvidence;
  denied?: CompactEvidence;
  undecided?: CompactEvidence;
  implied?: { request: AccessTuple; as?: string; role?: string }[];
  roleRefUnknown?: true;
  gcOnly?: true;
}): K8sEdge | string {
  const e: K8sEdge = unpackAccess(v.k8s);
  for (const slot of ['allowed', 'denied', 'undecided'] as const) {
    const t = v[slot];
    if (!t) continue;
    const ev = unpackEvidence(t);
    if (!ev) return `${slot}: samples are not [id, time] pairs`;
    e[slot] = ev;
  }
  if (!e.allowed && !e.denied && !e.undecided) return 'has no evidence';
  if (v.implied)
    e.implied = v.implied.map((i) => {
      const x: ImpliedBy = { request: unpackAccess(i.request) };
      if (i.as !== undefined) x.as = i.as;
      if (i.role !== undefined) x.role = i.role;
      return x;
    });
  if (v.roleRefUnknown) e.roleRefUnknown = true;
  if (v.gcOnly) e.gcOnly = true;
  return e;
}

export function awsEdgeOf(v: {
  aws: [string, string, string, string];
  resources?: string[];
  implied?: [string, string, string][];
  externalId?: string;
  allowed?: CompactEvidence;
  denied?: CompactEvidence;
  origins?: CallOrigin[];
  originsMore?: true;
}): AwsEdge | string {
  const [eventSource, eventName, region, account] = v.aws;
  const e: AwsEdge = {
    eventSource,
    eventName,
    resources: v.resources ?? [],
    implied: (v.implied ?? []).map(([action, resource, via]) => ({ action, resource, via })),
  };
  if (region) e.region = region;
  if (account) e.account = account;
  if (v.externalId !== undefined) e.externalId = v.externalId;
  for (const slot of ['allowed', 'denied'] as const) {
    const t = v[slot];
    if (!t) continue;
    const ev = unpackEvidence(t);
    if (!ev) return `${slot}: samples are not [id, time] pairs`;
    e[slot] = ev;
  }
  if (!e.allowed && !e.denied) return 'has no evidence';
  if (v.origins?.length) e.origins = v.origins;
  if (v.originsMore) e.originsMore = true;
  return e;
}

export type { LeftOutIdentity };
