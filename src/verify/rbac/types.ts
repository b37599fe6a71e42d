import type { K8sAccess } from '../../model/access.js';

/**
 * A request as the RBAC authorizer sees it: who, and the access (verb, group, resource,
 * subresource, namespace, name, or a non-resource URL). Only the shape is shared with the rest of
 * the project; the matching in this folder is written from Kubernetes' semantics on its own.
 */
export interface RbacRequest extends K8sAccess {
  /** `system:serviceaccount:shop:web`, `alice`; '' for an anonymous member of `groups`. */
  username: string;
  groups: readonly string[];
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

/** What one binding gives one subject: the role's effective rules, or why they cannot be known. */
export interface BindingGrant {
  binding: GrantRef & { subjectKind: string; subjectName: string };
  rules?: {
    verbs: string[];
    apiGroups: string[];
    resources: string[];
    resourceNames: string[];
    nonResourceURLs: string[];
  }[];
  unknown?: string;
}

export interface RbacPolicySet {
  authorize(req: RbacRequest): RbacDecision;
  /** Every (binding, subject) with the rules it grants: what `diff` and `check` enumerate. */
  grants(): BindingGrant[];
  readonly counts: { roles: number; clusterRoles: number; roleBindings: number; clusterRoleBindings: number };
}
