import { accessKey, describeAccess, type K8sAccess } from '../../model/access.js';
import { BINDING_RESOURCES, isRbacWrite, ROLE_RESOURCES } from '../../knowledge/kubernetes/rbacWrites.js';
import { CHECK_VERBS, type ImpliedBy, type K8sEdge, type Principal } from '../../model/profile.js';

/**
 * Permissions the API server checks beyond a request, as the profile carries them (implied edges: see
 * docs/formats.md), and what the generator says about them: each is a rule like any other, listed in the
 * summary as check-driven, with its evidence naming the requests behind it.
 */

/** A permission a rule holds because the API server checks it beyond a request. */
export interface CheckPermission {
  /** The username (or group) it is for. */
  subject: string;
  namespace: string;
  access: K8sAccess;
  /** The requests behind it, in words. */
  requests: string[];
}

/** A check the generator could not derive: listed, never guessed. */
export interface RbacGap {
  subject: string;
  namespace: string;
  access: K8sAccess;
  /** `roleRef`: a binding write whose roleRef the logs do not show; `failed`: a write that only failed. */
  cause: 'roleRef' | 'failed';
  reason: string;
}

/** A subject left out on purpose, with how many accesses it had. */
export interface LeftOut {
  subject: string;
  kind: string;
  accesses: number;
  /** Why a broad group is left out (generate/rbac/options.ts broadGroup); absent for an anonymous subject. */
  broad?: string;
}

/** Why a check exists, for the evidence. */
export const CHECK_NOTES: Record<string, string> = {
  bind: 'no request of its own: the API server checks bind on the role a RoleBinding or ClusterRoleBinding write refers to, unless the subject holds every permission in that role',
  escalate:
    'no request of its own: the API server checks escalate on a Role or ClusterRole written (with the request name, none for a create), unless the subject holds every permission in it',
  impersonate:
    'no request of its own: the API server checks impersonate for the impersonator on each attribute of the identity a request is made as',
};

/** One request behind a check, for evidence files. */
export function impliedEntry(i: ImpliedBy): Record<string, string> {
  const out: Record<string, string> = { request: describeAccess(i.request) };
  if (i.as !== undefined) out['as'] = i.as;
  if (i.role !== undefined) out['role'] = i.role;
  return out;
}

/** The check-driven permissions among a principal's grantable edges. */
export function checkPermissions(p: Principal, grantable: K8sEdge[]): CheckPermission[] {
  return grantable
    .filter((e) => e.implied && CHECK_VERBS.has(e.verb))
    .map((e) => ({
      subject: p.username,
      namespace: e.namespace,
      access: e,
      requests: e.implied!.map((i) => {
        const x = impliedEntry(i);
        return `${x['request']}${x['as'] ? ' as ' + x['as'] : ''}${x['role'] ? ` (${i.request.resource === 'roles' ? 'Role' : 'ClusterRole'} ${x['role']})` : ''}`;
      }),
    }));
}

/**
 * The RBAC writes whose checks the generator could not derive, each listed, none guessed:
 * - binding writes whose roleRef the logs do not show (recorded at Metadata level, or only at RequestReceived): the
 *   bind they need is unknown;
 * - Role, ClusterRole and binding writes that were authorized and then only ever failed (409 AlreadyExists or
 *   Conflict, 422, a webhook's 500): the write may have failed before the escalate or bind check or after it, so
 *   ingest records none (src/ingest/k8sAudit/checks.ts) and none is granted. In production the same write needs that
 *   check (or every permission of the role) and is refused with 403 where staging answered 409. Not listed: members
 *   of system:masters (no check is made) and writes that changed only what the garbage collector changes (gcOnly).
 */
export function checkGaps(p: Principal, grantable: K8sEdge[]): RbacGap[] {
  const passedBind = new Set<string>();
  for (const e of grantable)
    if (e.verb === 'bind') for (const i of e.implied ?? []) passedBind.add(accessKey(i.request));
  // Any check recorded for a write, passed or refused, as verify reads them (verify/rbac.ts writeChecks).
  const checked = new Set<string>();
  for (const e of p.k8s)
    if (e.verb === 'bind' || e.verb === 'escalate') for (const i of e.implied ?? []) checked.add(accessKey(i.request));
  const masters = p.groups.includes('system:masters');
  const gaps: RbacGap[] = [];
  for (const e of grantable) {
    if (e.implied) continue;
    const binding = isRbacWrite(e, BINDING_RESOURCES);
    if (binding && (e.roleRefUnknown || (!e.allowed && !passedBind.has(accessKey(e)))))
      gaps.push({
        subject: p.username,
        namespace: e.namespace,
        access: e,
        cause: 'roleRef',
        reason: e.roleRefUnknown
          ? 'the records do not carry the roleRef (audit level Metadata): the bind it needs is unknown and not granted'
          : 'only RequestReceived records, which never carry the request body: the bind it needs is unknown and not granted',
      });
    else if (
      (binding || isRbacWrite(e, ROLE_RESOURCES)) &&
      e.allowed &&
      !e.gcOnly &&
      !masters &&
      !checked.has(accessKey(e))
    )
      gaps.push({
        subject: p.username,
        namespace: e.namespace,
        access: e,
        cause: 'failed',
        reason: binding
          ? 'every authorized record failed afterwards (not with 401 or 403): in production it also needs bind on the role its roleRef names, or every permission of that role, or it is refused with 403'
          : 'every authorized record failed afterwards (not with 401 or 403): in production it also needs escalate on the role, or every permission it writes, or it is refused with 403',
      });
  }
  return gaps;
}
