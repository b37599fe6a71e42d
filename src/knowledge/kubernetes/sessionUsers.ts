import { cmp } from '../../model/issue.js';
import type { IamSession } from '../../model/observation.js';
import type { RoleSession } from '../../model/profile.js';

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
 * EKS's default form is recognized by its shape. A custom template (`admin:{{SessionName}}`) shows nothing of it in the
 * username; the request's `user.extra` does: aws-iam-authenticator, which EKS runs, puts there `arn`, `canonicalArn`
 * (the role's ARN without its path, for a role's session), `sessionName` and `accessKeyId`, each a list of one string
 * (pkg/server/server.go), and renders a username template with `{{SessionName}}` as the session's name with `@` made
 * `-`, `{{SessionNameRaw}}` as it is, `{{AccessKeyID}}` as the session's access key (`renderTemplate`).
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

const SESSION_NAME = '{{SessionName}}';
const ACCESS_KEY = '{{AccessKeyID}}';

/**
 * The role and username template a username is a session of, from the session `user.extra` named. When the username
 * holds neither the session's name (either form) nor its access key, the template is the username itself, without a
 * marker: the username is fixed for that role, which tells that a template another session of it showed came of a
 * session's name found in the fixed text by chance (`ci` signed in by sessions `ci` and `GitHubActions`; `sessionRoles`
 * weighs them). Undefined when the session gives nothing to look for (a one-character name and no access key) or the
 * template would hold too many markers. The end is taken first, as EKS recommends ending a custom username with the
 * session's name and the fixed part may hold a short one (`dev:{{SessionName}}` as `dev:dev`); elsewhere every
 * occurrence is, as the authenticator replaces every one (the access key's always: 16 characters or more, it is no
 * accident).
 */
export function sessionTemplate(username: string, s: IamSession): RoleSession | undefined {
  const subs: [string, string][] = [];
  if (s.session.length >= 2) {
    const name = s.session.replaceAll('@', '-');
    subs.push([name, SESSION_NAME]);
    if (name !== s.session) subs.push([s.session, '{{SessionNameRaw}}']);
  }
  if (s.accessKeyId.length >= 16) subs.push([s.accessKeyId, ACCESS_KEY]);
  if (subs.length === 0) return undefined;
  let rest = username;
  let end = '';
  for (const [v, marker] of subs)
    if (username.endsWith(v)) {
      rest = username.slice(0, -v.length);
      end = marker;
      break;
    }
  for (const [v, marker] of subs)
    if (!end || (marker === ACCESS_KEY && end !== ACCESS_KEY)) rest = rest.split(v).join(marker);
  const template = rest + end;
  return markers(template) > MAX_MARKERS ? undefined : { role: s.role, template };
}

/**
 * The roles a User's username is a session of, each with its template: a role whose sessions all showed the same
 * template, with a marker. A role one of whose sessions showed the username fixed (a template without a marker), or
 * whose sessions showed two templates, is none: a session's name was in the fixed username by chance. The evidence
 * of every session is kept in the profile (`roleSessions`), so that shards and workers that each saw some sessions
 * merge to the same answer.
 */
export function sessionRoles(list: readonly RoleSession[]): RoleSession[] {
  const byRole = new Map<string, RoleSession[]>();
  for (const r of list) {
    const rs = byRole.get(r.role);
    if (rs) rs.push(r);
    else byRole.set(r.role, [r]);
  }
  return [...byRole.values()].flatMap((rs) => (rs.length === 1 && markers(rs[0]!.template) > 0 ? rs : []));
}

const MARKER = /(\{\{(?:SessionName|SessionNameRaw|AccessKeyID)\}\})/;
/**
 * A template holds one marker or two (a session's name and its access key): more come only of a session's name
 * repeated in the fixed text, and each is one more free part when a username is matched against the template.
 */
export const MAX_MARKERS = 2;

/** How many markers a template holds. */
function markers(template: string): number {
  return (template.split(MARKER).length - 1) / 2;
}

/**
 * Whether a username fits a template, and the session it names: the part where the session's name is, else where
 * its access key is; undefined when it does not fit (or the template is not one: no marker, or too many).
 */
export function templateSession(template: string, username: string): string | undefined {
  const parts = template.split(MARKER);
  if (parts.length < 3 || parts.length > 2 * MAX_MARKERS + 1) return undefined;
  const re = new RegExp(
    '^' + parts.map((x, i) => (i % 2 ? '(.+)' : x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('') + '$',
    's',
  );
  const m = re.exec(username);
  if (!m) return undefined;
  const at = parts.filter((_, i) => i % 2).findIndex((x) => x !== ACCESS_KEY);
  return m[(at < 0 ? 0 : at) + 1];
}

/** The sessions of one IAM role seen as Kubernetes Users, and the groups every one of them carried. */
export interface RoleSessions {
  role: string;
  /** The usernames' template, or the templates (sorted, joined with `, `) when its sessions showed several. */
  template: string;
  /** Sorted. */
  sessions: string[];
  /** Groups all its sessions carried, but the ones Kubernetes gives everyone (`system:authenticated`...), sorted. */
  groups: string[];
}

/** Collects the per-session Users of a profile, principal by principal, by IAM role. */
export class SessionUsers {
  private readonly byRole = new Map<string, { templates: Set<string>; sessions: Set<string>; groups?: Set<string> }>();

  /** A principal: a session by its username's shape, else by the sessions its records' `user.extra` showed. */
  add(p: {
    subject: { kind: string };
    username: string;
    groups: readonly string[];
    roleSessions?: readonly RoleSession[];
  }): void {
    if (p.subject.kind !== 'User') return;
    const shape = sessionUser(p.username);
    const found = shape
      ? [shape]
      : sessionRoles(p.roleSessions ?? []).map((r) => ({
          ...r,
          session: templateSession(r.template, p.username) ?? p.username,
        }));
    for (const s of found) {
      let r = this.byRole.get(s.role);
      if (!r) this.byRole.set(s.role, (r = { templates: new Set(), sessions: new Set() }));
      r.templates.add(s.template);
      r.sessions.add(s.session);
      const own = new Set(p.groups.filter((g) => !g.startsWith('system:')));
      r.groups = r.groups ? new Set([...r.groups].filter((g) => own.has(g))) : own;
    }
  }

  list(): RoleSessions[] {
    return [...this.byRole]
      .map(([role, r]) => ({
        role,
        template: [...r.templates].sort(cmp).join(', '),
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
