import { DEFAULT_GRANTS, type DefaultGrant } from '../../knowledge/kubernetes/defaultGrants.js';
import type { BindingDef, RoleDef } from './objects.js';
import type { RbacPolicySet } from './types.js';

/**
 * Kubernetes' default bindings of the default ClusterRoles a tree redefines. Every cluster binds some bootstrap
 * ClusterRoles to groups everyone is in (`system:public-info-viewer` to `system:authenticated` and
 * `system:unauthenticated`, `system:basic-user` to `system:authenticated`: knowledge/kubernetes/defaultGrants.ts),
 * and the API server's reconciliation at start only adds what a default role or binding lacks: a rule a tree adds to
 * one stays (unless the role is annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`, which keeps the
 * tree's rules as written), bound to those groups by a binding no tree holds. A tree's ClusterRole of such a name is
 * therefore bound as the cluster binds it: its rules are every such group's. `file` is the role's (its findings point
 * at the role's rules).
 */
export function defaultBindingsOf(roles: readonly RoleDef[]): BindingDef[] {
  const given = new Map(roles.filter((r) => r.kind === 'ClusterRole').map((r) => [r.name, r]));
  const out: BindingDef[] = [];
  for (const g of DEFAULT_GRANTS) {
    const role = given.get(g.clusterRole);
    if (!role) continue;
    out.push({
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: g.binding ?? g.clusterRole,
      roleKind: 'ClusterRole',
      roleName: g.clusterRole,
      subjects: g.groups.map((name) => ({ kind: 'Group', name, namespace: '' })),
      file: role.file,
      defaultBinding: true,
    });
  }
  return out;
}

/** Whether a set holds a ClusterRole of a name Kubernetes (or OpenShift) binds by default. */
export const redefinesDefaultRole = (set: RbacPolicySet): boolean =>
  DEFAULT_GRANTS.some((g) => set.roleRules('ClusterRole', '', g.clusterRole) !== undefined);

/** The default grant of a ClusterRole name, if it is one. */
export const defaultGrantOf = (clusterRole: string): DefaultGrant | undefined =>
  DEFAULT_GRANTS.find((g) => g.clusterRole === clusterRole);
