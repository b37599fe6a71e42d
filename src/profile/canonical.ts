import { mergeOrigins } from '../model/callOrigin.js';
import { canonicalEvidence, type Evidence } from '../model/evidence.js';
import { cmp, type InputIssue } from '../model/issue.js';
import {
  edgeAccess,
  PROFILE_API_VERSION,
  type AwsEdge,
  type K8sEdge,
  type Principal,
  type Profile,
  type SourceRecord,
} from '../model/profile.js';
import { sortedRecord, type FlowEvidence, type NetEdge, type Peer } from '../model/network.js';
import type { WirePeer } from '../model/apiServer.js';
import { canonicalSubject } from './order.js';
import { canonicalImplied } from './edges.js';
import type { ProfileHead, ProfileTail } from './lines.js';
import { put } from '../util/own.js';
import { canonicalFilters } from './filters.js';

/** A profile's parts with a fixed key order, so equal profiles are equal bytes. */

export function canonicalHead(p: ProfileHead): ProfileHead {
  return {
    window: { start: p.window.start, end: p.window.end },
    sources: p.sources.map(canonicalSource),
    skipped: { ...p.skipped },
    ...(p.filters ? { filters: p.filters.map(canonicalFilters) } : {}),
  };
}

export function canonicalTail(p: ProfileTail): ProfileTail {
  return {
    ...(p.leftOut?.length
      ? {
          leftOut: p.leftOut.map((l) => ({ reason: l.reason, arn: l.arn, count: l.count, events: [...l.events] })),
        }
      : {}),
    ...canonicalNetwork(p),
    ...(p.nodeInstances
      ? { nodeInstances: p.nodeInstances.map((n) => ({ node: n.node, instanceId: n.instanceId })) }
      : {}),
    ...(p.serviceAssumptions
      ? {
          serviceAssumptions: p.serviceAssumptions.map((a) => ({
            roleArn: a.roleArn,
            service: a.service,
            ...(a.actions !== undefined && a.actions.length > 1 ? { actions: [...a.actions] } : {}),
            evidence: canonicalEvidence(a.evidence),
          })),
        }
      : {}),
    ...(p.webIdentityAssumptions
      ? {
          webIdentityAssumptions: p.webIdentityAssumptions.map((a) => ({
            roleArn: a.roleArn,
            provider: a.provider,
            subject: a.subject,
            ...(a.audience !== undefined ? { audience: a.audience } : {}),
            // Only the first action is the same as none: written once, one way.
            ...(a.actions !== undefined && a.actions.length > 1 ? { actions: [...a.actions] } : {}),
            evidence: canonicalEvidence(a.evidence),
          })),
        }
      : {}),
    ...(p.samlAssumptions
      ? {
          samlAssumptions: p.samlAssumptions.map((a) => ({
            roleArn: a.roleArn,
            provider: a.provider,
            subject: a.subject,
            ...(a.subjectType !== undefined ? { subjectType: a.subjectType } : {}),
            ...(a.audience !== undefined ? { audience: a.audience } : {}),
            actions: [...a.actions],
            evidence: canonicalEvidence(a.evidence),
          })),
        }
      : {}),
  };
}

export function canonicalProfile(p: Profile): Profile {
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start: p.window.start, end: p.window.end },
    sources: p.sources.map(canonicalSource),
    skipped: { ...p.skipped },
    ...(p.filters ? { filters: p.filters.map(canonicalFilters) } : {}),
    principals: p.principals.map((pr) => canonicalPrincipal(pr)),
    ...canonicalTail(p),
  };
}

/** A peer as the model holds it, from the model's or the written form (a v1alpha1 document's: model/apiServer.ts). */
function canonicalPeer(x: Peer | WirePeer): Peer {
  return x.kind === 'workload'
    ? { kind: 'workload', namespace: x.namespace, name: x.name }
    : x.kind === 'node' && x.own
      ? { kind: 'node', ip: x.ip, own: true }
      : x.kind === 'ip' && 'apiserver' in x && x.apiserver
        ? { kind: 'apiserver', ip: x.ip }
        : { kind: x.kind, ip: x.ip };
}

function canonicalFlowEvidence(e: FlowEvidence): FlowEvidence {
  return {
    connections: e.connections,
    records: e.records,
    firstSeen: e.firstSeen,
    lastSeen: e.lastSeen,
    samples: e.samples.map((s) => ({ id: s.id, time: s.time })),
  };
}

function canonicalNetwork(p: ProfileTail): Pick<Profile, 'workloads' | 'network' | 'dnsNames' | 'namespaces'> {
  const out: Pick<Profile, 'workloads' | 'network' | 'dnsNames' | 'namespaces'> = {};
  if (p.workloads) {
    out.workloads = p.workloads.map((w) => ({
      namespace: w.namespace,
      name: w.name,
      kind: w.kind,
      selector: sortedRecord(w.selector),
      labels: sortedRecord(w.labels),
      ports: w.ports.map((x) => ({ name: x.name, port: x.port, protocol: x.protocol })),
      hostNetwork: w.hostNetwork,
      ...(w.serviceAccount ? { serviceAccount: w.serviceAccount } : {}),
      ...(w.pods !== undefined ? { pods: w.pods } : {}),
      source: w.source,
    }));
  }
  if (p.network) {
    out.network = p.network.map((e) => {
      const c: NetEdge = { from: canonicalPeer(e.from), to: canonicalPeer(e.to), protocol: e.protocol, port: e.port };
      if (e.allowed) c.allowed = canonicalFlowEvidence(e.allowed);
      if (e.denied) c.denied = canonicalFlowEvidence(e.denied);
      return c;
    });
  }
  if (p.dnsNames) out.dnsNames = p.dnsNames.map((n) => ({ ip: n.ip, names: [...n.names] }));
  if (p.namespaces) out.namespaces = p.namespaces.map((n) => ({ name: n.name, labels: sortedRecord(n.labels) }));
  return out;
}

function sortedCounts(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) put(out, k, r[k]!);
  return out;
}

export function canonicalSource(s: SourceRecord): SourceRecord {
  const out: SourceRecord = {
    path: s.path,
    format: s.format,
    bytes: s.bytes,
    records: s.records,
    issues: s.issues,
    issueSamples: s.issueSamples.map(canonicalIssue),
  };
  if (s.notice !== undefined) out.notice = s.notice;
  if (s.notices) {
    out.notices = s.notices;
    out.noticeSamples = (s.noticeSamples ?? []).map(canonicalIssue);
  }
  if (s.envelopes !== undefined) out.envelopes = sortedCounts(s.envelopes);
  if (s.envelopeSkipped !== undefined) out.envelopeSkipped = sortedCounts(s.envelopeSkipped);
  return out;
}

function canonicalIssue(i: InputIssue): InputIssue {
  return { kind: 'issue', code: i.code, file: i.file, line: i.line, message: i.message };
}

/** `p` canonical; with `accesses` false, its own fields only (its `k8s` and `aws` are not read). */
export function canonicalPrincipal(p: Principal, accesses = true): Principal {
  const out: Principal = {
    subject: canonicalSubject(p.subject),
    username: p.username,
    groups: [...p.groups],
    k8s: accesses ? p.k8s.map(canonicalEdge) : [],
  };
  if (accesses && p.aws?.length) out.aws = p.aws.map(canonicalAwsEdge);
  if (p.assumes?.length)
    out.assumes = p.assumes.map((l) => ({
      roleArn: l.roleArn,
      via: l.via,
      ...(l.providers?.length ? { providers: [...new Set(l.providers)].sort(cmp) } : {}),
      ...(l.clusters?.length ? { clusters: [...new Set(l.clusters)].sort(cmp) } : {}),
      evidence: canonicalEvidence(l.evidence),
    }));
  if (p.created?.length)
    out.created = p.created.map((c) => ({
      namespace: c.namespace,
      apiGroup: c.apiGroup,
      resource: c.resource,
      names: [...c.names],
      ...(c.generated?.length ? { generated: [...c.generated] } : {}),
    }));
  if (p.createdArns?.length) out.createdArns = [...new Set(p.createdArns)].sort(cmp);
  if (p.roleSessions?.length) out.roleSessions = p.roleSessions.map((r) => ({ role: r.role, template: r.template }));
  if (p.outsideRbac) out.outsideRbac = { count: p.outsideRbac.count, reason: p.outsideRbac.reason };
  return out;
}

/**
 * The principal with its own fields canonical and its accesses as they are (`k8s`, `aws` false: those accesses not
 * read, left out): what the line writer needs, since it writes each access and its evidence as tuples in a fixed
 * order whatever the order of the objects' keys (a copy of every access, made per access in the profile's hot
 * writer, would be garbage at once).
 */
export function canonicalForLines(p: Principal, k8s = true, aws = true): Principal {
  const out = canonicalPrincipal(p, false);
  if (k8s) out.k8s = p.k8s;
  if (aws && p.aws?.length) out.aws = p.aws;
  return out;
}

function canonicalAwsEdge(e: AwsEdge): AwsEdge {
  const out: AwsEdge = {
    eventSource: e.eventSource,
    eventName: e.eventName,
    resources: [...e.resources],
    implied: e.implied.map((i) => ({ action: i.action, resource: i.resource, via: i.via })),
  };
  if (e.region) out.region = e.region;
  if (e.account) out.account = e.account;
  if (e.externalId !== undefined) out.externalId = e.externalId;
  if (e.allowed) out.allowed = canonicalEvidence(e.allowed);
  if (e.denied) out.denied = canonicalEvidence(e.denied);
  // In order, each once, at most ORIGIN_LIMIT: as the builder keeps them.
  return Object.assign(out, mergeOrigins({}, { ...e, origins: e.origins?.map((o) => [...o]) }));
}

function canonicalEdge(e: K8sEdge): K8sEdge {
  // The access fields in their canonical order, then the evidence.
  const out: K8sEdge = edgeAccess(e);
  const opt = (ev: Evidence | undefined) => (ev ? canonicalEvidence(ev) : undefined);
  if (e.allowed) out.allowed = opt(e.allowed)!;
  if (e.denied) out.denied = opt(e.denied)!;
  if (e.undecided) out.undecided = opt(e.undecided)!;
  if (e.implied) out.implied = e.implied.map(canonicalImplied);
  if (e.roleRefUnknown) out.roleRefUnknown = true;
  if (e.gcOnly) out.gcOnly = true;
  return out;
}
