import type { V1ClusterRole, V1ClusterRoleBinding, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import type { Subject } from '../../model/subject.js';

/** A widening applied to a policy: never silent, always listed. */
export interface Widening {
  /** The option that caused it: `widen-names`, `widen-namespaces`, `expand-verbs`. */
  option: string;
  /** Subject key (`serviceaccount:shop:web`). */
  subject: string;
  /** Namespace of the rule ('' for cluster-wide). */
  namespace: string;
  /** What changed, in words. */
  detail: string;
}

/** The objects generators write (later slices add NetworkPolicies). Types only: erased at build time. */
export type KubeObject = V1Role | V1ClusterRole | V1RoleBinding | V1ClusterRoleBinding;

/** One policy file: the objects for one subject in one namespace (or cluster-wide), and why they exist. */
export interface Artefact {
  kind: 'rbac';
  subject: Subject;
  /** '' for cluster-wide objects. */
  namespace: string;
  /** Where the policy goes under the output directory: `rbac/shop/serviceaccount.shop.web.yaml`. */
  path: string;
  /** Kubernetes objects, in the order they are written. */
  objects: KubeObject[];
  /** Where the evidence goes: `evidence/rbac/shop/serviceaccount.shop.web.yaml`. */
  evidencePath: string;
  /** The evidence document: every rule with the observations behind it. */
  evidence: Record<string, unknown>;
}
