import type { K8sAccess } from '../../model/access.js';

/** The API group of Roles, ClusterRoles and their bindings. */
const RBAC = 'rbac.authorization.k8s.io';
const WRITES: ReadonlySet<string> = new Set(['create', 'update', 'patch']);

export const ROLE_RESOURCES: readonly string[] = ['roles', 'clusterroles'];
export const BINDING_RESOURCES: readonly string[] = ['rolebindings', 'clusterrolebindings'];

/**
 * A write (create, update, patch) of one of `resources` of the RBAC API itself, not a subresource: the requests the
 * API server checks escalate (roles) or bind (bindings) for beside their own authorization.
 */
export const isRbacWrite = (e: K8sAccess, resources: readonly string[]): boolean =>
  e.apiGroup === RBAC && resources.includes(e.resource) && e.subresource === '' && WRITES.has(e.verb);
