import type { K8sAccess } from '../model/access.js';
import type { K8sEdge } from '../model/profile.js';
import { shown } from '../knowledge/kubernetes/names.js';

const RBAC = 'rbac.authorization.k8s.io';
const WRITES = new Set(['create', 'update', 'patch']);
/** The identity attributes an impersonate check is on, by resource: the API group each is in. */
const IDENTITY: Record<string, string> = {
  users: '',
  groups: '',
  serviceaccounts: '',
  uids: 'authentication.k8s.io',
  userextras: 'authentication.k8s.io',
};

const writes = (r: K8sAccess, resources: string[]) =>
  WRITES.has(r.verb) && r.apiGroup === RBAC && resources.includes(r.resource) && !r.subresource && !r.nonResourceURL;

/**
 * What is wrong with a Kubernetes access that carries the requests behind it (`implied`), or undefined: it must be a
 * check the API server makes while serving them, in the shape ingest derives it (src/ingest/k8sAudit/checks.ts).
 * `escalate` on the role each request writes (the same resource, namespace and name; `role` the name it writes);
 * `bind` on a role, in the namespace of each binding written (a Role only for a RoleBinding); `impersonate` on an
 * attribute of the identity each request was made `as` (the user or service account itself, by name). `verify`
 * replays each write with the checks recorded for it and `generate` grants them, so a check on anything else (a hand
 * edit, a line moved under another access) would be granted and replayed as another permission than the one the
 * request needed: the policy would deny what the profile shows.
 */
export function impliedShapeProblem(e: K8sEdge, ea: string): string | undefined {
  if (!e.implied) return undefined;
  const on = `${ea}: ${e.verb} ${e.apiGroup ? `${e.resource}.${e.apiGroup}` : e.resource}`;
  const rbacRole = e.apiGroup === RBAC && (e.resource === 'roles' || e.resource === 'clusterroles');
  for (const [k, i] of e.implied.entries()) {
    const at = `${ea}.implied[${k}]`;
    const r = i.request;
    if (e.verb === 'escalate') {
      if (!rbacRole || e.subresource) return `${on}: an escalate check is on roles or clusterroles of ${RBAC}`;
      if (i.as !== undefined) return `${at}.as: only an impersonate check names whom its request was made as`;
      if (!writes(r, [e.resource]) || r.namespace !== e.namespace || r.name !== e.name)
        return `${at}.request: an escalate check is on the role its request writes (create, update or patch of ${e.resource}, the same namespace and name)`;
      if (i.role !== undefined && r.name && i.role !== r.name)
        return `${at}.role ${shown(i.role)} is not the role its request names (${shown(r.name)})`;
    } else if (e.verb === 'bind') {
      if (!rbacRole || e.subresource || !e.name) return `${on}: a bind check is on a role of ${RBAC}, by name`;
      if (i.as !== undefined || i.role !== undefined)
        return `${at}: a bind check names neither whom its request was made as nor a role written`;
      const bindings = e.resource === 'roles' ? ['rolebindings'] : ['rolebindings', 'clusterrolebindings'];
      if (!writes(r, bindings) || r.namespace !== e.namespace)
        return `${at}.request: a bind check is on the role a ${bindings.join(' or ')} write refers to, in its namespace`;
    } else if (e.verb === 'impersonate') {
      if (!Object.hasOwn(IDENTITY, e.resource) || IDENTITY[e.resource] !== e.apiGroup)
        return `${on}: an impersonate check is on users, groups, serviceaccounts, uids or userextras`;
      if (i.as === undefined) return `${at}: an impersonate check names whom its request was made as (as)`;
      if (i.role !== undefined) return `${at}.role: only an escalate check names the role written`;
      const who =
        e.resource === 'users'
          ? e.name
          : e.resource === 'serviceaccounts'
            ? `system:serviceaccount:${e.namespace}:${e.name}`
            : undefined;
      if (who !== undefined && i.as !== who)
        return `${at}.as ${shown(i.as)} is not the identity the check is on (${shown(who)})`;
    } else return `${ea}: only bind, escalate and impersonate checks carry the requests behind them (implied)`;
  }
  return undefined;
}
