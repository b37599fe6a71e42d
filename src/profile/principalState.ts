import { sessionTemplate, sessionUser } from '../knowledge/kubernetes/sessionUsers.js';
import type { IamSession } from '../model/observation.js';
import type { CreatedNames, OutsideRbac, RoleLink, RoleSession } from '../model/profile.js';
import type { Subject } from '../model/subject.js';
import { tupleKey } from '../util/key.js';
import type { K8sEdges } from './edges.js';
import { compareRoleSessions } from './order.js';

/** What the builder keeps of one principal while records come in (ProfileBuilder, builder.ts). */
export interface PrincipalState {
  subject: Subject;
  username: string;
  groups: Set<string>;
  /** The last groups list added, to skip re-adding the same list record after record. */
  lastGroups: string[];
  /** Kubernetes accesses: prefix number → name → the edge's number in the builder's columns. */
  edges: K8sEdges;
  /** AWS calls: `awsCallKey` → the call's number. */
  aws: Map<string, number>;
  links: Map<
    string,
    { roleArn: string; via: RoleLink['via']; providers: Set<string>; clusters: Set<string>; ev: number }
  >;
  /** Names of objects it created, by (namespace, group, resource). */
  created: Map<string, CreatedNames & { set: Set<string>; gen: Set<string> }>;
  /** (AWS) ARNs of what it created under ids AWS made up; made at the first. */
  createdArns?: Set<string>;
  /** `[this]`, made once. */
  alone: PrincipalState[];
  /** An AWS principal's records refused before any policy was asked, while its scope waits (profile/deferred.ts). */
  unauthenticated?: number;
  /** Its allowed requests another authorizer than RBAC allowed (knowledge/kubernetes/outsideRbac.ts). */
  outsideRbac?: OutsideRbac;
  /** The IAM role sessions its records' `user.extra` named (a User's only); made at the first. */
  sessions?: { last: IamSession; found: Map<string, RoleSession> };
}

export function newPrincipalState(subject: Subject, username: string): PrincipalState {
  const p: PrincipalState = {
    subject,
    username,
    groups: new Set(),
    lastGroups: [],
    edges: new Map(),
    aws: new Map(),
    links: new Map(),
    created: new Map(),
    alone: [],
  };
  p.alone.push(p);
  return p;
}

/**
 * A record's IAM role session onto its User: the role and the username's template when the username holds the
 * session's name or access key and its shape does not already say so (sessionUsers.ts). A User's records name the
 * same session record after record: that costs three string comparisons, and the template is made on a change only.
 */
export function noteSession(p: PrincipalState, iam: IamSession): void {
  const s = p.sessions;
  if (p.subject.kind !== 'User') return;
  if (s && s.last.role === iam.role && s.last.session === iam.session && s.last.accessKeyId === iam.accessKeyId) return;
  const found = s?.found ?? new Map<string, RoleSession>();
  p.sessions = { last: iam, found };
  if (sessionUser(p.username)) return;
  const t = sessionTemplate(p.username, iam);
  if (t) found.set(tupleKey(t.role, t.template), t);
}

/** The principal's role sessions as the profile has them, sorted; undefined when none. */
export function roleSessionsOf(p: PrincipalState): RoleSession[] | undefined {
  return p.sessions?.found.size ? [...p.sessions.found.values()].sort(compareRoleSessions) : undefined;
}
