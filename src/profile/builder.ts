import { EvidenceStore } from '../model/evidenceStore.js';
import { maxTime, minTime } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import { noPermissionReason } from '../knowledge/aws/eventNames.js';
import {
  addFlow,
  compareWorkloads,
  edgeKey,
  addView,
  WorkloadViews,
  newFlowEvidence,
  workloadId,
  type FlowObservation,
  type NetEdge,
} from '../model/network.js';
import type { AwsCallObservation, Decision, K8sRequestObservation, Observation } from '../model/observation.js';
import { profileEdges } from '../model/apiServer.js';
import { PROFILE_API_VERSION, type ImpliedBy, type Principal, type Profile } from '../model/profile.js';
import { preferredIamArn, principalId, subjectFromUsername, type Subject } from '../model/subject.js';
import { AWS_KINDS, awsIdentitySkip, issuingUser, type Scope, type SkipReason } from './scope.js';
import { LeftOutAccumulator } from './identities.js';
import { awsCallKey, canonicalSubject, comparePrincipals, sortRecord } from './order.js';
import { OutsideAssumptions } from './assumptions.js';
import { tupleKey } from '../util/key.js';
import { K8sEdgeTable } from './edges.js';
import { AwsCallTable } from './awsCalls.js';
import { sameList } from '../util/array.js';
import type { ProfileHead, ProfileTail } from './lines.js';
import { newPrincipalState, noteSession, type PrincipalState } from './principalState.js';
import { principalFromState } from './principalOut.js';
import { offered, withLazyEdges } from './lazyEdges.js';
import { decideAws, deferredOf, defersAws, spanOf, type DeferredAws } from './deferred.js';
import { addOutsideRbac } from '../knowledge/kubernetes/outsideRbac.js';

const NOBODY: readonly PrincipalState[] = [];

/**
 * Observations → Profile. Memory is bounded by the profile (principals × distinct accesses), never by the input: each
 * record only bumps counters on its edge. The edges are compact (K8sEdgeTable, AwsCallTable, EvidenceStore; ADR 0010).
 */
export class ProfileBuilder {
  private readonly principals = new Map<string, PrincipalState>();
  private readonly ev = new EvidenceStore(4096);
  private readonly k8s = new K8sEdgeTable(this.ev);
  // AWS calls' evidence apart, so that the window without them is known (deferred.ts).
  private readonly awsEv = new EvidenceStore(4096);
  private readonly awsCalls = new AwsCallTable(this.awsEv);
  private readonly userCache = new Map<string, PrincipalState | SkipReason>();
  private readonly groupCache = new Map<string, PrincipalState | SkipReason>();
  private readonly skipped: Record<string, number> = {};
  private readonly wantsGroups: boolean;
  /** Subject globs decide AWS principals on their final ARNs, once every partial profile is merged (deferred.ts). */
  private readonly deferAws: boolean;

  constructor(private readonly scope: Scope) {
    this.wantsGroups = scope.wantsGroups;
    this.deferAws = defersAws(scope);
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

  private readonly workloads = new Map<string, WorkloadViews>();
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
    for (const w of obs.workloads) addView(this.workloads, workloadId(w), w);
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
    // No evidence either way; impersonation runs before the refusal, so its checks count for the impersonator.
    if (obs.decision === 'unreached') {
      this.skip(this.scope.unreachedSkip(obs.username, obs.groups));
      if (obs.implied) this.addImplied(obs, NOBODY);
      return;
    }
    const user = this.userPrincipal(obs.username);
    if (obs.iam && typeof user !== 'string') noteSession(user, obs.iam);
    const on = this.recordedOn(user, obs.groups);
    const prefix = on.length ? this.k8s.prefixOf(obs.access) : -1;
    for (const p of on) this.record(p, prefix, obs, obs.decision);
    if (obs.outsideRbac) for (const p of on) p.outsideRbac = addOutsideRbac(p.outsideRbac, obs.outsideRbac);
    if (obs.implied) this.addImplied(obs, on);
    if (on.length === 0) this.skip(typeof user === 'string' ? user : 'subject-filter');
    // The window is the span of the edges' evidence, taken in toProfile(): no work per record.
  }

  /** The principals a request of `user` with `groups` counts for: the user, and its groups when Groups are profiled. */
  private recordedOn(user: PrincipalState | SkipReason, groups: string[]): readonly PrincipalState[] {
    if (typeof user !== 'string' && !sameList(user.lastGroups, groups)) {
      for (const g of groups) user.groups.add(g);
      user.lastGroups = groups;
    }
    // The common case allocates nothing: the user alone.
    if (!this.wantsGroups) return typeof user === 'string' ? NOBODY : user.alone;
    const on: PrincipalState[] = typeof user === 'string' ? [] : [user];
    for (const g of groups) {
      const p = this.groupPrincipal(g);
      if (typeof p !== 'string') on.push(p);
    }
    return on;
  }

  /**
   * The checks the API server made beyond the request: bind and escalate count for whoever the request
   * counts for, impersonate for the impersonator (and its groups). Each is an edge of its own whose evidence is
   * the request's records, marked with the request behind it; its own namespace decides its scope.
   */
  private addImplied(obs: K8sRequestObservation, own: readonly PrincipalState[]): void {
    let impersonators: readonly PrincipalState[] | undefined;
    for (const c of obs.implied!) {
      const ns = this.scope.namespaceSkip(c.access.namespace);
      if (ns) {
        this.skip(ns);
        continue;
      }
      const imp = c.access.verb === 'impersonate' && obs.impersonator;
      if (imp) {
        if (!impersonators) {
          const user = this.userPrincipal(imp.username);
          impersonators = this.recordedOn(user, imp.groups);
          if (typeof user === 'string') this.skip(user);
        }
      }
      const by: ImpliedBy = imp
        ? { request: obs.access, as: obs.username }
        : c.role
          ? { request: obs.access, role: c.role }
          : { request: obs.access };
      for (const p of imp ? impersonators! : own) {
        this.k8s.impliedBy(this.k8s.count(p.edges, this.k8s.prefixOf(c.access), c.access.name, c.decision, obs), by);
      }
    }
  }

  private readonly awsCache = new Map<string, PrincipalState>();
  private readonly leftOut = new LeftOutAccumulator();
  private readonly outside = new OutsideAssumptions(this.ev);

  private addAws(obs: AwsCallObservation): void {
    const t = this.scope.timeSkip(obs.time);
    if (t) return this.skip(t);
    if (obs.link) {
      // The AssumeRole* call stands for the service account → role link; the caller is STS's web identity or the EKS
      // service, no principal of the profile. A caller a policy attaches to (an IAM role or user) made a call of its
      // own, which is counted for it below: its identity policy and the role's trust must allow it.
      this.addLink(obs.link, obs);
      if (!AWS_KINDS[obs.principal.type]) return;
    }
    // A service or a web identity becoming a role: kept for the role's trust where the role is in scope (`--subject`
    // globs on its ARN, as for its own calls); its record is still no principal's.
    this.outside.add(obs, (roleArn) => !this.scope.subjectSkip('IAMRole', roleArn));
    // A GetFederationToken session may do only what the IAM user that issued it may: its calls are the user's.
    const pr = issuingUser(obs.principal);
    // Identities no policy attaches to, whatever the call: counted, and listed by identity where there is one.
    const kind = AWS_KINDS[pr.type];
    const out = awsIdentitySkip(pr) ?? (kind ? undefined : 'unknown-identity');
    if (out) {
      this.leftOut.addRecord(out, obs);
      return this.skip(out);
    }
    if (noPermissionReason(obs.eventSource, obs.eventName)) return this.skip('no-permission');
    const arn = pr.arn;
    let p = this.awsCache.get(arn);
    if (p === undefined) {
      // One principal per role or user, whatever path: named by the preferred ARN seen, judged on it (deferred.ts).
      p = this.principal({ kind: kind!, name: arn }, arn);
      if (p.username !== arn) {
        p.username = preferredIamArn(p.username, arn);
        p.subject = { kind: kind!, name: p.username };
      }
      this.awsCache.set(arn, p);
    }
    // Expired or invalid credentials, a VPC endpoint policy: no identity policy was asked, nothing to grant or deny.
    if (obs.decision === 'unauthenticated') {
      if (this.deferAws) p.unauthenticated = (p.unauthenticated ?? 0) + 1;
      else this.skip('authentication-failure');
      return;
    }
    this.awsCalls.count(p.aws, awsCallKey(obs), obs);
    if (obs.created && obs.decision === 'allow') {
      const set = (p.createdArns ??= new Set());
      for (const r of obs.created) set.add(r);
    }
  }

  /** A service account → role link counted on the service account (left out: skipped, unless an IAM principal's). */
  private addLink(l: NonNullable<AwsCallObservation['link']>, obs: AwsCallObservation): void {
    const username = `system:serviceaccount:${l.namespace}:${l.serviceAccount}`;
    // A role --subject selects keeps its trust: the link of a service account the globs leave out (scope.ts).
    const p = this.scope.keepsLink(username, l.roleArn)
      ? this.principal(subjectFromUsername(username), username)
      : this.userPrincipal(username);
    const r = typeof p === 'string' ? p : this.scope.namespaceSkip(l.namespace);
    if (r) return AWS_KINDS[obs.principal.type] ? undefined : this.skip(r);
    const sa = p as PrincipalState;
    const key = tupleKey(l.roleArn, l.via);
    let link = sa.links.get(key);
    if (!link) sa.links.set(key, (link = { ...l, providers: new Set(), clusters: new Set(), ev: this.ev.create() }));
    if (l.provider) link.providers.add(l.provider);
    if (l.cluster) link.clusters.add(l.cluster);
    this.ev.add(link.ev, 'ResponseComplete', obs.time, obs.id);
  }

  private skip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  private record(p: PrincipalState, prefix: number, obs: K8sRequestObservation, decision: Decision): void {
    const edge = this.k8s.count(p.edges, prefix, obs.access.name, decision, obs);
    if (obs.roleRefUnknown) this.k8s.markRoleRefUnknown(edge);
    // Only allowed records say what was written (a RequestReceived record shows no body, a refused one wrote nothing).
    if (obs.gcOnly !== undefined && decision === 'allow') this.k8s.markWrite(edge, obs.gcOnly);
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
    const key = principalId(subject);
    let p = this.principals.get(key);
    if (!p) this.principals.set(key, (p = newPrincipalState(subject, username)));
    return p;
  }

  /**
   * The profile in parts, streamed from the builder's state: the header (its window spans every edge's evidence),
   * then each principal made when it is asked for, in the profile's order, then the trailing sections. Once only:
   * a principal's state is let go as it is given out, and nothing may be added after.
   */
  parts(): {
    head: ProfileHead;
    principals: Generator<Principal>;
    tail: () => ProfileTail;
    ids: string[];
    /** With subject globs: what each AWS principal's leaving out would take away, for `decideAws`. */
    deferred?: DeferredAws;
  } {
    let { start, end } = spanOf(this.ev);
    const network = this.net.size || this.workloads.size ? profileEdges(this.net.values()) : undefined;
    for (const e of network ?? []) {
      for (const ev of [e.allowed, e.denied]) {
        if (!ev) continue;
        start = minTime(start, ev.firstSeen);
        end = maxTime(end, ev.lastSeen);
      }
    }
    const rest = { start, end };
    const calls = spanOf(this.awsEv);
    start = minTime(start, calls.start);
    end = maxTime(end, calls.end);
    const order = [...this.principals.values()].sort((a, b) => comparePrincipals(a.subject, b.subject));
    const principals = function* (this: ProfileBuilder): Generator<Principal> {
      for (let i = 0; i < order.length; i++) {
        const p = order[i]!;
        // Given out once: its state is garbage from here (handed over in a box the generator does not keep).
        const box = [this.principalOf(p)];
        order[i] = undefined!;
        // Its edges go with the principal given out (made or written when asked for: lazyEdges.ts).
        p.edges = new Map();
        p.aws = new Map();
        p.created.clear();
        p.createdArns = undefined;
        yield box.pop()!;
      }
    }.call(this);
    const tail = (): ProfileTail => {
      const t: ProfileTail = {};
      const leftOut = this.leftOut.toList();
      if (leftOut) t.leftOut = leftOut;
      if (network) {
        t.workloads = [...this.workloads.values()].map((v) => v.get()).sort(compareWorkloads);
        t.network = network;
      }
      if (this.names.size)
        t.dnsNames = [...this.names.keys()].sort(cmp).map((ip) => ({ ip, names: [...this.names.get(ip)!].sort(cmp) }));
      Object.assign(t, this.outside.sections());
      return t;
    };
    const deferred = this.deferAws ? deferredOf(rest, order, (p) => this.awsCalls.edgesOf(p.aws)) : undefined;
    return {
      head: { window: { start, end }, sources: [], skipped: sortRecord(this.skipped) },
      principals,
      tail,
      ids: order.map((p) => principalId(canonicalSubject(p.subject))),
      ...(deferred ? { deferred } : {}),
    };
  }

  /** The whole profile in memory (small profiles, tests; `parts()` streams), AWS principals judged (deferred.ts). */
  toProfile(): Profile {
    const { profile, deferred } = this.partial();
    const decided = deferred && decideAws([{ head: profile, deferred }], profile, this.scope);
    if (!decided) return profile;
    const principals = profile.principals.filter((p) => !decided.excluded.has(principalId(p.subject)));
    return { ...profile, window: decided.head.window, skipped: decided.head.skipped, principals };
  }

  /** The profile in memory as one part of a merge: its AWS principals not yet judged (`deferred`, as `parts()`). */
  partial(): { profile: Profile; deferred?: DeferredAws } {
    const { head, principals, tail, deferred } = this.parts();
    const profile: Profile = {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: head.window,
      sources: head.sources,
      skipped: head.skipped,
      principals: [...principals],
    };
    return { profile: Object.assign(profile, tail()), ...(deferred ? { deferred } : {}) };
  }

  /** One principal as the profile has it, made from its state. */
  private principalOf(p: PrincipalState): Principal {
    const { edges, aws } = p;
    // Placeholders for the edges, in their places among the keys (lazyEdges.ts).
    const out = principalFromState(p, [], aws.size ? [] : undefined, (ev) => this.ev.toEvidence(ev));
    const [k8s, calls] = [this.k8s, this.awsCalls];
    const lines = (keys?: string[]) => k8s.lines(edges, keys);
    const awsLines = (keys?: string[]) => calls.lines(aws, keys);
    return withLazyEdges(
      out,
      offered(k8s.edgeCount(edges), () => k8s.edgesOf(edges), lines),
      aws.size ? offered(aws.size, () => calls.edgesOf(aws), awsLines) : undefined,
    );
  }
}
