import { accessFromKey, accessKey } from '../model/access.js';
import { EvidenceAccumulator, maxTime, minTime } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { K8sRequestObservation } from '../model/observation.js';
import { PROFILE_API_VERSION, type K8sEdge, type Principal, type Profile, type SourceRecord } from '../model/profile.js';
import { subjectFromUsername, subjectKey, type Subject } from '../model/subject.js';
import type { Scope, SkipReason } from './scope.js';

interface EdgeState {
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
}

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

  add(obs: K8sRequestObservation): void {
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

  private skip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  private record(p: PrincipalState, key: string, obs: K8sRequestObservation): void {
    let edge = p.edges.get(key);
    if (!edge) {
      edge = {};
      p.edges.set(key, edge);
    }
    const slot = obs.decision === 'allow' ? 'allowed' : obs.decision === 'deny' ? 'denied' : 'undecided';
    const ev = (edge[slot] ??= new EvidenceAccumulator());
    ev.add(obs.stage, obs.time, obs.id);
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
    const key = subjectKey(subject);
    let p = this.principals.get(key);
    if (!p) {
      p = { subject, username, groups: new Set(), lastGroups: [], edges: new Map() };
      this.principals.set(key, p);
    }
    return p;
  }

  toProfile(): Profile {
    const principals: Principal[] = [];
    for (const key of [...this.principals.keys()].sort(cmp)) {
      const p = this.principals.get(key)!;
      const k8s: K8sEdge[] = [];
      for (const ek of [...p.edges.keys()].sort(cmp)) {
        const st = p.edges.get(ek)!;
        const edge: K8sEdge = { ...accessFromKey(ek) };
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
      principals.push({ subject: canonicalSubject(p.subject), username: p.username, groups: [...p.groups].sort(cmp), k8s });
    }
    return {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      window: { start: this.start, end: this.end },
      sources: [],
      skipped: sortRecord(this.skipped),
      principals,
    };
  }
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function canonicalSubject(s: Subject): Subject {
  return s.kind === 'ServiceAccount' ? { kind: s.kind, namespace: s.namespace ?? '', name: s.name } : { kind: s.kind, name: s.name };
}

export function sortRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort(cmp)) out[k] = r[k]!;
  return out;
}

export function sortSources(s: SourceRecord[]): SourceRecord[] {
  return [...s].sort((a, b) => cmp(a.path, b.path) || cmp(a.format, b.format) || a.bytes - b.bytes || a.records - b.records);
}
