import { accessKey, describeAccess, type K8sAccess } from '../../model/access.js';
import { CHECK_VERBS, type ImpliedBy, type K8sEdge, type Principal } from '../../model/profile.js';
import { RBAC_GROUP } from './options.js';

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
  reason: string;
}

/** A subject left out on purpose, with how many accesses it had. */
export interface LeftOut {
  subject: string;
  kind: string;
  accesses: number;
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

const isBindingWrite = (e: K8sAccess) =>
  e.apiGroup === RBAC_GROUP &&
  (e.resource === 'rolebindings' || e.resource === 'clusterrolebindings') &&
  e.subresource === '' &&
  ['create', 'update', 'patch'].includes(e.verb);

/**
 * Binding writes whose roleRef the logs do not show (recorded at Metadata level, or only at RequestReceived):
 * the bind they need cannot be known, so none is granted; each is listed.
 */
export function roleRefGaps(p: Principal, grantable: K8sEdge[]): RbacGap[] {
  const known = new Set<string>();
  for (const e of grantable) if (e.verb === 'bind') for (const i of e.implied ?? []) known.add(accessKey(i.request));
  return grantable
    .filter((e) => isBindingWrite(e) && !e.implied && (e.roleRefUnknown || (!e.allowed && !known.has(accessKey(e)))))
    .map((e) => ({
      subject: p.username,
      namespace: e.namespace,
      access: e,
      reason: e.roleRefUnknown
        ? 'the records do not carry the roleRef (audit level Metadata): the bind it needs is unknown and not granted'
        : 'only RequestReceived records, which never carry the request body: the bind it needs is unknown and not granted',
    }));
}
