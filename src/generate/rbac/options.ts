/** Widening options for RBAC generation; all off by default. */
export interface RbacOptions {
  /** Drop resourceNames once more than N names were used for one resource and verb. */
  widenNames?: number;
  /** The same access in more than N namespaces becomes a ClusterRole bound by RoleBindings in each. */
  widenNamespaces?: number;
  /** Add the client-go companions: list ⇄ watch, and get beside list. */
  expandVerbs?: boolean;
  /**
   * Keep every observed name, even ones the logs show to be made up (objects the subject created,
   * a ReplicaSet's pods, a CronJob's runs, dated names): the output of releases before generalization.
   */
  exact?: boolean;
  /**
   * Generate for `system:anonymous` and `system:unauthenticated` too (as a user or a group). Off by default:
   * a binding to them reaches every unauthenticated client, so they are listed instead.
   */
  includeAnonymous?: boolean;
  /** Bind system:authenticated, system:serviceaccounts[:NS] and system:masters too (see broadGroup). */
  includeBroadGroups?: boolean;
  /**
   * Write rules for accesses the cluster's default ClusterRoles grant every authenticated user or service account
   * (discovery, health, self-reviews: knowledge/kubernetes/defaultGrants.ts), for a cluster whose default bindings
   * were removed. Off by default: they are left to the cluster and listed.
   */
  writeDefaultGrants?: boolean;
}

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'audit2policy' } as const;
export const RBAC_API = 'rbac.authorization.k8s.io/v1';
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/**
 * Verbs whose requests name one object, so resourceNames restrict them. A create does only on a
 * subresource (pods/exec names its pod in the URL); a plain create never does.
 */
export const NAMEABLE_VERBS = new Set(['get', 'update', 'patch', 'delete']);

/** Who requests without credentials: no binding by default (`--include-anonymous`). */
export const ANONYMOUS_NAMES: ReadonlySet<string> = new Set(['system:anonymous', 'system:unauthenticated']);
