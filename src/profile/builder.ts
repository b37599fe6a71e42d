import { accessKey, compareAccess, type K8sAccess } from '../model/access.js';
import { EvidenceAccumulator, maxTime, minTime } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import { noPermissionReason } from '../knowledge/aws/actions.js';
import {
  addFlow,
  compareEdges,
  compareWorkloads,
  edgeKey,
  mergeWorkload,
  newFlowEvidence,
  workloadId,
  type NetEdge,
  type WorkloadInfo,
} from '../model/network.js';
import type { AwsCallObservation, AwsPrincipal, K8sRequestObservation, Observation } from '../model/observation.js';
import type { FlowObservation } from '../model/network.js';
import {
  PROFILE_API_VERSION,
  type AwsCall,
  type AwsEdge,
  type CreatedNames,
  type K8sEdge,
  type Principal,
  type Profile,
  type RoleLink,
} from '../model/profile.js';
import {
  compareSubjects,
  subjectFromUsername,
  subjectId,
  type AwsSubjectKind,
  type Subject,
} from '../model/subject.js';
import type { Scope, SkipReason } from './scope.js';
import { awsCallKey, canonicalSubject, compareAwsCalls, compareLinks, sortCreated, sortRecord } from './order.js';
import { tupleKey } from '../util/key.js';

interface EdgeState {
  access: K8sAccess;
  allowed?: EvidenceAccumulator;
  denied?: EvidenceAccumulator;
  undecided?: EvidenceAccumulator;
}

interface PrincipalState {
  subject: Subject;
  username: string;
  groups: Set<string>;
  /** The last groups list added, to skip re-adding the same list record after record. */
  lastGroups: string[];
  edges: Map<string, EdgeState>;
  aws: Map<string, { call: AwsCall; allowed?: EvidenceAccumulator; denied?: EvidenceAccumulator }>;
  links: Map<string, { roleArn: string; via: RoleLink['via']; ev: EvidenceAccumulator }>;
  /** Names of objects it created, by (namespace, group, resource). */
  created: Map<string, CreatedNames & { set: Set<string>; gen: Set<string> }>;
}

const AWS_KINDS: Partial<Record<AwsPrincipal['type'], AwsSubjectKind>> = {
  Role: 'IAMRole',
  IAMUser: 'IAMUser',
  Root: 'AWSAccount',
  FederatedUser: 'FederatedUser',
};
const AWS_SKIPS: Partial<Record<AwsPrincipal['type'], SkipReason>> = {
  AWSService: 'aws-service',
  WebIdentityUser: 'federation',
  SAMLUser: 'federation',
  Unknown: 'unknown-identity',
};

/**
 * Observations → Profile. Memory is bounded by the profile (principals × distinct accesses), never
 * by the input: each record only bumps counters on its edge.
 */
export class ProfileBuilder {
  private readonly principals = new Map<string, PrincipalState>();
  private readonly userCache = new Map<string, PrincipalState | SkipReason>();
  private readonly groupCache = new Map<string, PrincipalState | SkipReason>();
  private readonly skipped: Record<string, number> = {};
  private start = '';
  private end = '';
  private readonly wantsGroups: boolean;

  constructor(private readonly scope: Scope) {
    this.wantsGroups = scope.wantsGroups;
  }

  add(obs: Observation): void {
    switch (obs.kind) {
      case 'aws-call':
        return this.addAws(obs);
      case 'flow':
        return this.addFlow(obs);
      case 'skip':
        return this.skip(obs.reason);
      case 'flow-names':
        return this.addNames(obs.names);
    }
    this.addK8s(obs);
  }

  private readonly workloads = new Map<string, WorkloadInfo>();
  private readonly net = new Map<string, NetEdge>();
  private readonly names = new Map<string, Set<string>>();

  private addNames(names: { ip: string; names: string[] }[]): void {
    for (const n of names) {
      if (!n.ip) continue;
      let set = this.names.get(n.ip);
      if (!set) this.names.set(n.ip, (set = new Set()));
      for (const x of n.names) if (x) set.add(x);
    }
  }

  private addFlow(obs: FlowObservation): void {
    const t = this.scope.timeSkip(obs.time);
    if (t) return this.skip(t);
    if (this.scope.options.namespaces.length) {
      const inNs = [obs.from, obs.to].some((p) => p.kind === 'workload' && !this.scope.namespaceSkip(p.namespace));
      if (!inNs) return this.skip('namespace-filter');
    }
    for (const w of obs.workloads) {
      const k = workloadId(w);
      const prev = this.workloads.get(k);
      this.workloads.set(k, prev ? mergeWorkload(prev, w) : w);
    }
    this.addNames(obs.names);
    const key = edgeKey(obs);
    let e = this.net.get(key);
    if (!e) this.net.set(key, (e = { from: obs.from, to: obs.to, protocol: obs.protocol, port: obs.port }));
    const slot = obs.decision === 'allow' ? 'allowed' : 'denied';
    addFlow((e[slot] ??= newFlowEvidence()), obs.starts, obs.time, obs.id);
  }

  private addK8s(obs: K8sRequestObservation): void {
    const reason = this.scope.timeSkip(obs.time) ?? this.scope.namespaceSkip(obs.access.namespace);
    if (reason) {
      this.skip(reason);
      return;
    }
    const user = this.userPrincipal(obs.username);
    let hits = 0;
    const key = accessKey(obs.access);
    if (typeof user !== 'string') {
      if (!sameList(user.lastGroups, obs.groups)) {
        for (const g of obs.groups) user.groups.add(g);
        user.lastGroups = obs.groups;
      }
      this.record(user, key, obs);
      hits++;
    }
    if (this.wantsGroups) {
      for (const g of obs.groups) {
        const p = this.groupPrincipal(g);
        if (typeof p !== 'string') {
          this.record(p, key, obs);
          hits++;
        }
      }
    }
    if (hits === 0) {
      this.skip(typeof user === 'string' ? user : 'subject-filter');
      return;
    }
    // The window is the span of the edges' evidence, taken in toProfile(): no work per record.
  }

  private readonly awsCache = new Map<string, PrincipalState | SkipReason>();

  private addAws(obs: AwsCallObservation): void {
    const t = this.scope.timeSkip(obs.time);
    if (t) return this.skip(t);
    if (obs.link) {
      // The AssumeRole* call stands for the service account → role link; the caller is STS's web identity or the EKS
      // service.
      const l = obs.link;
      const username = `system:serviceaccount:${l.namespace}:${l.serviceAccount}`;
      const p = this.userPrincipal(username);
      const r = typeof p === 'string' ? p : this.scope.namespaceSkip(l.namespace);
      if (r) return this.skip(r);
      const sa = p as PrincipalState;
      const key = tupleKey(l.roleArn, l.via);
      let link = sa.links.get(key);
      if (!link) sa.links.set(key, (link = { roleArn: l.roleArn, via: l.via, ev: new EvidenceAccumulator() }));
      link.ev.add('ResponseComplete', obs.time, obs.id);
      return;
    }
    const kind = AWS_KINDS[obs.principal.type];
    if (!kind) return this.skip(AWS_SKIPS[obs.principal.type] ?? 'unknown-identity');
    if (noPermissionReason(obs.eventSource, obs.eventName)) return this.skip('no-permission');
    let p = this.awsCache.get(obs.principal.arn);
    if (p === undefined) {
      p =
        this.scope.subjectSkip(kind, obs.principal.arn) ??
        this.principal({ kind, name: obs.principal.arn }, obs.principal.arn);
      this.awsCache.set(obs.principal.arn, p);
    }
    if (typeof p === 'string') return this.skip(p);
    // Expired or invalid credentials, a VPC endpoint policy: no identity policy was asked, nothing to grant or deny.
    if (obs.decision === 'unauthenticated') return this.skip('authentication-failure');
    const key = awsCallKey(obs);
    let edge = p.aws.get(key);
    if (!edge)
      p.aws.set(
        key,
        (edge = {
          call: {
            eventSource: obs.eventSource,
            eventName: obs.eventName,
            resources: obs.resources,
            implied: obs.implied,
            ...(obs.region ? { region: obs.region } : {}),
            ...(obs.account ? { account: obs.account } : {}),
          },
        }),
      );
    const slot = obs.decision === 'allow' ? 'allowed' : 'denied';
    (edge[slot] ??= new EvidenceAccumulator()).add('ResponseComplete', obs.time, obs.id);
  }

  private skip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  private record(p: PrincipalState, key: string, obs: K8sRequestObservation): void {
    let edge = p.edges.get(key);
    if (!edge) {
      edge = { access: obs.access };
      p.edges.set(key, edge);
    }
    const slot = obs.decision === 'allow' ? 'allowed' : obs.decision === 'deny' ? 'denied' : 'undecided';
    const ev = (edge[slot] ??= new EvidenceAccumulator());
    ev.add(obs.stage, obs.time, obs.id);
    if (obs.created && obs.decision === 'allow') {
      const a = obs.access;
      const k = tupleKey(a.namespace, a.apiGroup, a.resource);
      let c = p.created.get(k);
      if (!c)
        p.created.set(
          k,
          (c = {
            namespace: a.namespace,
            apiGroup: a.apiGroup,
            resource: a.resource,
            names: [],
            set: new Set(),
            gen: new Set(),
          }),
        );
      c.set.add(obs.created);
      if (obs.generateName) c.gen.add(obs.created);
    }
  }

  private userPrincipal(username: string): PrincipalState | SkipReason {
    let p = this.userCache.get(username);
    if (p === undefined) {
      const subject = subjectFromUsername(username);
      p = this.scope.subjectSkip(subject.kind, username) ?? this.principal(subject, username);
      this.userCache.set(username, p);
    }
    return p;
  }

  private groupPrincipal(group: string): PrincipalState | SkipReason {
    let p = this.groupCache.get(group);
    if (p === undefined) {
      p = this.scope.subjectSkip('Group', group) ?? this.principal({ kind: 'Group', name: group }, group);
      this.groupCache.set(group, p);
    }
    return p;
  }

  private principal(subject: Subject, username: string): PrincipalState {
    const key = subjectId(subject);
    let p = this.principals.get(key);
    if (!p) {
      p = {
        subject,
        username,
        groups: new Set(),
        lastGroups: [],
        edges: new Map(),
        aws: new Map(),
        links: new Map(),
        created: new Map(),
      };
      this.principals.set(key, p);
    }
    return p;
  }

  toProfile(): Profile {
    const principals: Principal[] = [];
    for (const p of [...this.principals.values()].sort((a, b) => compareSubjects(a.subject, b.subject))) {
      const k8s: K8sEdge[] = [];
      for (const st of [...p.edges.values()].sort((a, b) => compareAccess(a.access, b.access))) {
        const a = st.access;
        const edge: K8sEdge = {
          verb: a.verb,
          apiGroup: a.apiGroup,
          resource: a.resource,
          subresource: a.subresource,
          namespace: a.namespace,
          name: a.name,
          nonResourceURL: a.nonResourceURL,
        };
        if (st.allowed) edge.allowed = st.allowed.toEvidence();
        if (st.denied) edge.denied = st.denied.toEvidence();
        if (st.undecided) edge.undecided = st.undecided.toEvidence();
        for (const ev of [edge.allowed, edge.denied, edge.undecided]) {
          if (!ev) continue;
          this.start = minTime(this.start, ev.firstSeen);
          this.end = maxTime(this.end, ev.lastSeen);
        }
        k8s.push(edge);
      }
      const pr: Principal = {
        subject: canonicalSubject(p.subject),
        username: p.username,
        groups: [...p.groups].sort(cmp),
        k8s,
      };
      if (p.aws.size) {
        pr.aws = [...p.aws.values()]
          .sort((a, b) => compareAwsCalls(a.call, b.call))
          .map((st) => {
            const e: AwsEdge = { ...st.call };
            if (st.allowed) e.allowed = st.allowed.toEvidence();
            if (st.denied) e.denied = st.denied.toEvidence();
            return e;
          });
      }
      if (p.links.size) {
        pr.assumes = [...p.links.values()].sort(compareLinks).map((l) => {
          return { roleArn: l.roleArn, via: l.via, evidence: l.ev.toEvidence() };
        });
      }
      if (p.created.size)
        pr.created = sortCreated(
          [...p.created.values()].map((c) => ({
            namespace: c.namespace,
            apiGroup: c.apiGroup,
            resource: c.resource,
            names: [...c.set],
            ...(c.gen.size ? { generated: [...c.gen] } : {}),
          })),
        );
      for (const ev of [
        ...(pr.aws ?? []).flatMap((e) => [e.allowed, e.denied]),
        ...(pr.assumes ?? []).map((l) => l.evidence),
      ]) {
        if (!ev) continue;
        this.start = minTime(this.start, ev.firstSeen);
        this.end = maxTime(this.end, ev.lastSeen);
      }
      principals.push(pr);
    }
    const profile: Profile = {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: { start: this.start, end: this.end },
      sources: [],
      skipped: sortRecord(this.skipped),
      principals,
    };
    if (this.net.size || this.workloads.size) {
      const network = [...this.net.values()].sort(compareEdges);
      for (const e of network) {
        for (const ev of [e.allowed, e.denied]) {
          if (!ev) continue;
          this.start = minTime(this.start, ev.firstSeen);
          this.end = maxTime(this.end, ev.lastSeen);
        }
      }
      profile.window = { start: this.start, end: this.end };
      profile.workloads = [...this.workloads.values()].sort(compareWorkloads);
      profile.network = network;
    }
    if (this.names.size)
      profile.dnsNames = [...this.names.keys()]
        .sort(cmp)
        .map((ip) => ({ ip, names: [...this.names.get(ip)!].sort(cmp) }));
    return profile;
  }
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
