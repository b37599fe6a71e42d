import { cmp } from '../../model/issue.js';

/**
 * Kubernetes usernames that name one session of an IAM role, not the role.
 *
 * Amazon EKS gives an IAM role's access entry the username `arn:aws:sts::ACCOUNT:assumed-role/ROLE/{{SessionName}}`
 * unless another is set (EKS user guide, "Set a custom username for EKS access entries": the role's path is dropped),
 * and recommends ending a custom one with `{{SessionName}}` too; aws-auth's mapRoles templates do the same. So the API
 * server sees a new username for every session of the role (`…/dev-team/alice@example.com`, `…/botocore-session-1762…`,
 * an SSO user's e-mail), and a RoleBinding to one session's username holds for that session only: the next one is
 * denied. RBAC has no pattern for subjects; what every session of the role keeps is the access entry's
 * `kubernetesGroups`, carried in the request's groups.
 *
 * Only EKS's default form is recognized by its shape: a custom template (`admin:{{SessionName}}`) shows nothing of it.
 */

/** The session of an IAM role a username names, when it is EKS's default form of one. */
export interface SessionUser {
  /** `arn:PARTITION:iam::ACCOUNT:role/ROLE` (the role's path is not in the username). */
  role: string;
  /** The username every session shares but for its end: `arn:…:assumed-role/ROLE/{{SessionName}}`. */
  template: string;
  session: string;
}

// Partition, 12-digit account, role name (IAM's characters, 1–64), session name (STS's characters, 2–64; EKS may
// transliterate `@` to `-`, so any non-empty rest without a slash is taken).
const SESSION_USER = /^arn:(aws(?:-[a-z]+)*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([^/]+)$/;

export function sessionUser(username: string): SessionUser | undefined {
  const m = SESSION_USER.exec(username);
  if (!m) return undefined;
  const [, partition, account, role, session] = m;
  return {
    role: `arn:${partition}:iam::${account}:role/${role}`,
    template: `arn:${partition}:sts::${account}:assumed-role/${role}/{{SessionName}}`,
    session: session!,
  };
}

/** The sessions of one IAM role seen as Kubernetes Users, and the groups every one of them carried. */
export interface RoleSessions {
  role: string;
  template: string;
  /** Sorted. */
  sessions: string[];
  /** Groups all its sessions carried, but the ones Kubernetes gives everyone (`system:authenticated`...), sorted. */
  groups: string[];
}

/** Collects the per-session Users of a profile, principal by principal, by IAM role. */
export class SessionUsers {
  private readonly byRole = new Map<string, { template: string; sessions: Set<string>; groups?: Set<string> }>();

  add(p: { subject: { kind: string }; username: string; groups: readonly string[] }): void {
    if (p.subject.kind !== 'User') return;
    const s = sessionUser(p.username);
    if (!s) return;
    let r = this.byRole.get(s.role);
    if (!r) this.byRole.set(s.role, (r = { template: s.template, sessions: new Set() }));
    r.sessions.add(s.session);
    const own = new Set(p.groups.filter((g) => !g.startsWith('system:')));
    r.groups = r.groups ? new Set([...r.groups].filter((g) => own.has(g))) : own;
  }

  list(): RoleSessions[] {
    return [...this.byRole]
      .map(([role, r]) => ({
        role,
        template: r.template,
        sessions: [...r.sessions].sort(cmp),
        groups: [...(r.groups ?? [])].sort(cmp),
      }))
      .sort((a, b) => cmp(a.role, b.role));
  }
}

/** Why a role's per-session bindings will not hold, and what would: one line for a summary or a report. */
export function sessionWarning(r: RoleSessions): string {
  const n = r.sessions.length;
  const shown = r.sessions.slice(0, 3).join(', ') + (n > 3 ? `, … ${n - 3} more` : '');
  const fix = r.groups.length
    ? `bind a group every session carries instead (--subject-kind Group profiles them: ${r.groups.join(', ')}; whoever else is in the group gets the same), or give the role's access entry a username without {{SessionName}}`
    : `give the role's access entry kubernetesGroups to bind (then --subject-kind Group), or a username without {{SessionName}}`;
  return `IAM role ${r.role} signs in as a new Kubernetes username each session (${r.template}; seen: ${shown}): a binding to a session's username holds for that session only, and the next one is denied; ${fix}`;
}
