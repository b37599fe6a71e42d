import { readFile } from 'node:fs/promises';
import { canonicalEvidence, type Evidence } from '../model/evidence.js';
import { InputError, type InputIssue } from '../model/issue.js';
import {
  PROFILE_API_VERSION,
  type AwsEdge,
  type K8sEdge,
  type Principal,
  type Profile,
  type SourceRecord,
} from '../model/profile.js';
import { canonicalSubject } from './builder.js';
import { profileNameProblem } from './names.js';
import { sortedRecord, type FlowEvidence, type NetEdge, type Peer } from '../model/network.js';

/** Serialise a profile with a fixed key order, so equal profiles are equal bytes. */
export function serializeProfile(p: Profile): string {
  return JSON.stringify(canonicalProfile(p), null, 2) + '\n';
}

export function canonicalProfile(p: Profile): Profile {
  return {
    apiVersion: PROFILE_API_VERSION,
    kind: 'Profile',
    window: { start: p.window.start, end: p.window.end },
    sources: p.sources.map(canonicalSource),
    skipped: { ...p.skipped },
    principals: p.principals.map(canonicalPrincipal),
    ...canonicalNetwork(p),
  };
}

function canonicalPeer(x: Peer): Peer {
  return x.kind === 'workload'
    ? { kind: 'workload', namespace: x.namespace, name: x.name }
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

function canonicalNetwork(p: Profile): Pick<Profile, 'workloads' | 'network' | 'dnsNames' | 'namespaces'> {
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

function canonicalSource(s: SourceRecord): SourceRecord {
  const out: SourceRecord = {
    path: s.path,
    format: s.format,
    bytes: s.bytes,
    records: s.records,
    issues: s.issues,
    issueSamples: s.issueSamples.map(canonicalIssue),
  };
  if (s.notice !== undefined) out.notice = s.notice;
  return out;
}

function canonicalIssue(i: InputIssue): InputIssue {
  return { kind: 'issue', code: i.code, file: i.file, line: i.line, message: i.message };
}

function canonicalPrincipal(p: Principal): Principal {
  const out: Principal = {
    subject: canonicalSubject(p.subject),
    username: p.username,
    groups: [...p.groups],
    k8s: p.k8s.map(canonicalEdge),
  };
  if (p.aws?.length) out.aws = p.aws.map(canonicalAwsEdge);
  if (p.assumes?.length)
    out.assumes = p.assumes.map((l) => ({ roleArn: l.roleArn, via: l.via, evidence: canonicalEvidence(l.evidence) }));
  if (p.created?.length)
    out.created = p.created.map((c) => ({
      namespace: c.namespace,
      apiGroup: c.apiGroup,
      resource: c.resource,
      names: [...c.names],
    }));
  return out;
}

function canonicalAwsEdge(e: AwsEdge): AwsEdge {
  const out: AwsEdge = {
    eventSource: e.eventSource,
    eventName: e.eventName,
    resources: [...e.resources],
    implied: e.implied.map((i) => ({ action: i.action, resource: i.resource, via: i.via })),
  };
  if (e.allowed) out.allowed = canonicalEvidence(e.allowed);
  if (e.denied) out.denied = canonicalEvidence(e.denied);
  return out;
}

function canonicalEdge(e: K8sEdge): K8sEdge {
  const out: K8sEdge = {
    verb: e.verb,
    apiGroup: e.apiGroup,
    resource: e.resource,
    subresource: e.subresource,
    namespace: e.namespace,
    name: e.name,
    nonResourceURL: e.nonResourceURL,
  };
  const opt = (ev: Evidence | undefined) => (ev ? canonicalEvidence(ev) : undefined);
  if (e.allowed) out.allowed = opt(e.allowed)!;
  if (e.denied) out.denied = opt(e.denied)!;
  if (e.undecided) out.undecided = opt(e.undecided)!;
  return out;
}

/** Read and check a profile file; throws an Error naming the file when it is not one. */
export async function readProfile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read profile ${path}: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not a profile: ${(e as Error).message}`);
  }
  const problem = checkProfile(v);
  if (problem) throw new InputError(`${path}: not a valid profile: ${problem}`);
  const names = profileNameProblem(v as Profile);
  if (names) throw new InputError(`${path}: not a valid profile: ${names}`);
  return canonicalProfile(v as Profile);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A structural check of the documented format; returns what is wrong, or undefined. */
export function checkProfile(v: unknown): string | undefined {
  if (!isObj(v)) return 'expected a JSON object';
  if (v['kind'] !== 'Profile') return `kind is ${JSON.stringify(v['kind'])}, expected "Profile"`;
  if (v['apiVersion'] !== PROFILE_API_VERSION)
    return `apiVersion ${JSON.stringify(v['apiVersion'])} is not ${PROFILE_API_VERSION}`;
  if (!isObj(v['window']) || !Array.isArray(v['sources']) || !isObj(v['skipped']) || !Array.isArray(v['principals'])) {
    return 'window, sources, skipped and principals are required';
  }
  const net = checkNetwork(v);
  if (net) return net;
  for (const [i, p] of (v['principals'] as unknown[]).entries()) {
    if (
      !isObj(p) ||
      !isObj(p['subject']) ||
      typeof p['username'] !== 'string' ||
      !Array.isArray(p['groups']) ||
      !Array.isArray(p['k8s'])
    ) {
      return `principals[${i}] lacks subject, username, groups or k8s`;
    }
    const evidenceProblem = (ev: unknown) =>
      !isObj(ev) ||
      typeof ev['count'] !== 'number' ||
      typeof ev['firstSeen'] !== 'string' ||
      typeof ev['lastSeen'] !== 'string' ||
      !isObj(ev['stages']) ||
      !Array.isArray(ev['samples']);
    if (p['aws'] !== undefined) {
      if (!Array.isArray(p['aws'])) return `principals[${i}].aws must be a list`;
      for (const [j, e] of (p['aws'] as unknown[]).entries()) {
        const at = `principals[${i}].aws[${j}]`;
        if (!isObj(e) || typeof e['eventSource'] !== 'string' || typeof e['eventName'] !== 'string')
          return `${at} lacks eventSource or eventName`;
        if (!Array.isArray(e['resources']) || !e['resources'].every((r) => typeof r === 'string'))
          return `${at}.resources must be a list of ARNs`;
        if (
          !Array.isArray(e['implied']) ||
          !e['implied'].every(
            (x) =>
              isObj(x) &&
              typeof x['action'] === 'string' &&
              typeof x['resource'] === 'string' &&
              typeof x['via'] === 'string',
          )
        ) {
          return `${at}.implied must be a list of {action, resource, via}`;
        }
        if (!(isObj(e['allowed']) || isObj(e['denied']))) return `${at} has no evidence`;
        for (const slot of ['allowed', 'denied'])
          if (e[slot] !== undefined && evidenceProblem(e[slot])) return `${at}.${slot} is not evidence`;
      }
    }
    if (p['assumes'] !== undefined) {
      if (!Array.isArray(p['assumes'])) return `principals[${i}].assumes must be a list`;
      for (const [j, l] of (p['assumes'] as unknown[]).entries()) {
        if (
          !isObj(l) ||
          typeof l['roleArn'] !== 'string' ||
          (l['via'] !== 'irsa' && l['via'] !== 'pod-identity') ||
          evidenceProblem(l['evidence'])
        ) {
          return `principals[${i}].assumes[${j}] needs roleArn, via (irsa or pod-identity) and evidence`;
        }
      }
    }
    if (p['created'] !== undefined) {
      const ok =
        Array.isArray(p['created']) &&
        p['created'].every(
          (c) =>
            isObj(c) &&
            ['namespace', 'apiGroup', 'resource'].every((f) => typeof c[f] === 'string') &&
            Array.isArray(c['names']) &&
            c['names'].every((n) => typeof n === 'string'),
        );
      if (!ok) return `principals[${i}].created must be a list of {namespace, apiGroup, resource, names}`;
    }
    for (const [j, e] of (p['k8s'] as unknown[]).entries()) {
      if (
        !isObj(e) ||
        typeof e['verb'] !== 'string' ||
        !(isObj(e['allowed']) || isObj(e['denied']) || isObj(e['undecided']))
      ) {
        return `principals[${i}].k8s[${j}] lacks a verb or evidence`;
      }
      for (const f of ['apiGroup', 'resource', 'subresource', 'namespace', 'name', 'nonResourceURL']) {
        if (typeof e[f] !== 'string') return `principals[${i}].k8s[${j}].${f} must be a string`;
      }
      for (const slot of ['allowed', 'denied', 'undecided']) {
        const ev = e[slot];
        if (
          ev !== undefined &&
          (!isObj(ev) || typeof ev['count'] !== 'number' || !isObj(ev['stages']) || !Array.isArray(ev['samples']))
        ) {
          return `principals[${i}].k8s[${j}].${slot} is not evidence`;
        }
      }
    }
  }
  return undefined;
}

function checkNetwork(v: Record<string, unknown>): string | undefined {
  const peerOk = (x: unknown) =>
    isObj(x) &&
    (x['kind'] === 'workload'
      ? typeof x['namespace'] === 'string' && typeof x['name'] === 'string'
      : (x['kind'] === 'ip' || x['kind'] === 'node') && typeof x['ip'] === 'string');
  const evOk = (x: unknown) =>
    isObj(x) &&
    typeof x['connections'] === 'number' &&
    typeof x['records'] === 'number' &&
    typeof x['firstSeen'] === 'string' &&
    typeof x['lastSeen'] === 'string' &&
    Array.isArray(x['samples']);
  const strMap = (x: unknown) => isObj(x) && Object.values(x).every((y) => typeof y === 'string');
  if (v['workloads'] !== undefined) {
    if (!Array.isArray(v['workloads'])) return 'workloads must be a list';
    for (const [i, w] of (v['workloads'] as unknown[]).entries()) {
      if (
        !isObj(w) ||
        typeof w['namespace'] !== 'string' ||
        typeof w['name'] !== 'string' ||
        typeof w['kind'] !== 'string' ||
        !strMap(w['selector']) ||
        !strMap(w['labels']) ||
        !Array.isArray(w['ports']) ||
        typeof w['hostNetwork'] !== 'boolean'
      ) {
        return `workloads[${i}] needs namespace, name, kind, selector, labels, ports and hostNetwork`;
      }
    }
  }
  if (v['network'] !== undefined) {
    if (!Array.isArray(v['network'])) return 'network must be a list';
    for (const [i, e] of (v['network'] as unknown[]).entries()) {
      if (
        !isObj(e) ||
        !peerOk(e['from']) ||
        !peerOk(e['to']) ||
        typeof e['protocol'] !== 'string' ||
        typeof e['port'] !== 'number'
      )
        return `network[${i}] needs from, to, protocol and port`;
      if (!(isObj(e['allowed']) || isObj(e['denied']))) return `network[${i}] has no evidence`;
      for (const slot of ['allowed', 'denied'])
        if (e[slot] !== undefined && !evOk(e[slot])) return `network[${i}].${slot} is not flow evidence`;
    }
  }
  if (
    v['dnsNames'] !== undefined &&
    !(
      Array.isArray(v['dnsNames']) &&
      v['dnsNames'].every((n) => isObj(n) && typeof n['ip'] === 'string' && Array.isArray(n['names']))
    )
  )
    return 'dnsNames must be a list of {ip, names}';
  if (
    v['namespaces'] !== undefined &&
    !(
      Array.isArray(v['namespaces']) &&
      v['namespaces'].every((n) => isObj(n) && typeof n['name'] === 'string' && strMap(n['labels']))
    )
  )
    return 'namespaces must be a list of {name, labels}';
  return undefined;
}
