/** A request as the RBAC authorizer sees it. */
export interface RbacRequest {
  /** `system:serviceaccount:shop:web`, `alice`; '' for an anonymous member of `groups`. */
  username: string;
  groups: readonly string[];
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped requests and requests across all namespaces. */
  namespace: string;
  /** '' when no object is named. */
  name: string;
  /** Set only for non-resource requests; then the resource fields are ''. */
  nonResourceURL: string;
}

/** The binding and role that allowed a request. */
export interface GrantRef {
  bindingKind: 'RoleBinding' | 'ClusterRoleBinding';
  bindingNamespace: string;
  bindingName: string;
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  file: string;
}

export type RbacDecision =
  | { result: 'allow'; grantedBy: GrantRef }
  | { result: 'deny' }
  /** Not allowed by what is known, but something not given might allow it. */
  | { result: 'undetermined'; reasons: string[] };

export interface RbacPolicySet {
  authorize(req: RbacRequest): RbacDecision;
  readonly counts: { roles: number; clusterRoles: number; roleBindings: number; clusterRoleBindings: number };
}
