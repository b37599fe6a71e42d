import type { AggregationFeed, AggregationRule } from './feeds.js';
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
  /** The user's uid and extra attributes: checked when the request is impersonated (`admit`). */
  uid?: string;
  extra?: Readonly<Record<string, readonly string[]>>;
  /** An impersonated request: who made it. The request itself is judged as `username` and `groups`. */
  impersonator?: { username: string; groups: readonly string[] };
  /** A RoleBinding or ClusterRoleBinding write: the role its roleRef names (for `bind`); unknown when absent. */
  roleRef?: { kind: 'Role' | 'ClusterRole'; name: string };
  /** A Role or ClusterRole write: the rules written, when the request body was logged (for `escalate`). */
  roleRules?: readonly PolicyRule[];
  /**
   * An RBAC object write that changes only metadata.finalizers and metadata.ownerReferences: the API server makes no
   * bind or escalate check for it (IsOnlyMutatingGCFields), only the request's own authorization.
   */
  gcOnly?: boolean;
  /**
   * The request stands for every name of its resource (what a rule without resourceNames grants, as `diff` and
   * `check` ask): only a rule without names allows it, and `name` is not compared. No name can stand for this: `*`
   * and `""` are names a rule may list.
   */
  anyName?: boolean;
}

/** A PolicyRule with every list present. */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** The binding and role that allowed a request. */
export interface GrantRef {
  bindingKind: 'RoleBinding' | 'ClusterRoleBinding';
  bindingNamespace: string;
  bindingName: string;
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  file: string;
  /** Kubernetes' default binding of a default ClusterRole the policies redefine (`file` is the role's). */
  defaultBinding?: true;
}

export type RbacDecision =
  | { result: 'allow'; grantedBy: GrantRef }
  /** `reasons` when a check beyond the request's own authorization refused it. */
  | { result: 'deny'; reasons?: string[] }
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
  /** The RBAC authorizer: may this user do this (the request's own attributes only). */
  authorize(req: RbacRequest): RbacDecision;
  /**
   * What the API server decides: the impersonator's impersonate checks, the authorizer as the (impersonated)
   * user, then escalation prevention for RBAC writes (bind on a binding's role, escalate on a role written,
   * unless the user holds every rule in it). See ./admit.ts.
   */
  admit(req: RbacRequest): RbacDecision;
  /** Every rule a user holds in a namespace ('' = ClusterRoleBindings only); bindings whose roles are not given. */
  rulesFor(user: { username: string; groups: readonly string[] }, namespace: string): RuleSet;
  /** The effective rules of a role, or why they are unknown (undefined when not among the policies). */
  roleRules(kind: 'Role' | 'ClusterRole', namespace: string, name: string): RuleSet | undefined;
  /** Every (binding, subject) with the rules it grants: what `diff` and `check` enumerate. */
  grants(): BindingGrant[];
  readonly counts: { roles: number; clusterRoles: number; roleBindings: number; clusterRoleBindings: number };
  /** ClusterRoles whose aggregate-to label extends a role not given (`view`, `edit`, `admin`): see ./feeds.ts. */
  readonly feeds: readonly AggregationFeed[];
  /** The aggregationRule of each aggregated ClusterRole given: see ./feeds.ts. */
  readonly aggregations: readonly AggregationRule[];
}

/** Rules, and why more may exist that are not known. */
export interface RuleSet {
  rules: PolicyRule[];
  unknown: string[];
}
