import { addCounts } from '../../model/evidence.js';
import type { OutsideRbac } from '../../model/profile.js';

/**
 * Which authorizer allowed a request. The API server asks its authorizers in turn (`--authorization-mode` or the
 * authorization configuration) and the first to decide wins; the audit record's `authorization.k8s.io/reason`
 * carries the reason of the one that allowed it. RBAC's always starts `RBAC: ` (`RBAC: allowed by RoleBinding …`,
 * k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac). A non-empty reason without that prefix is another authorizer's:
 * a webhook such as EKS access policies (the `AmazonEKS…Policy` an access entry associates), GKE's IAM authorizer
 * or AKS's Azure RBAC for Kubernetes authorization. What such an authorizer grants is outside the RBAC objects a
 * tool writes: a Role made for the principal restricts nothing while that grant stays, and the grant has to be
 * narrowed where it is made. An empty reason says nothing (the privileged group `system:masters`, and records of
 * clusters that leave the reason out).
 */

/** Longest reason kept, in characters: enough to name the policy or role that allowed it. */
const MAX_REASON = 200;

/**
 * The reason of an allowed request (its record's `annotations`) when another authorizer than RBAC gave it, made safe
 * to show; else undefined.
 */
export function outsideRbacReason(annotations: unknown): string | undefined {
  const reason =
    typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations)
      ? (annotations as Record<string, unknown>)['authorization.k8s.io/reason']
      : undefined;
  if (typeof reason !== 'string' || reason === '' || reason.startsWith('RBAC: ')) return undefined;
  // Free text from the authorizer: control characters and line breaks become spaces, the length is bounded.
  // eslint-disable-next-line no-control-regex
  const clean = reason.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  if (clean === '') return undefined;
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON)}…` : clean;
}

/** One more such request onto a principal's tally: counts add, the smallest reason is kept (any order, same result). */
export function addOutsideRbac(prev: OutsideRbac | undefined, reason: string, count = 1): OutsideRbac {
  if (!prev) return { count, reason };
  return { count: addCounts(prev.count, count), reason: reason < prev.reason ? reason : prev.reason };
}

/** What generate and the report say of such a principal. */
export function outsideRbacWarning(username: string, o: OutsideRbac): string {
  return (
    `${username}: ${o.count} request${o.count === 1 ? ' was' : 's were'} allowed by another authorizer than RBAC ` +
    `(e.g. "${o.reason}"): the RBAC made for it does not restrict what that authorizer grants; narrow it there`
  );
}

/** What `check` adds to an RBAC denial of such a principal: RBAC alone would deny it; the cluster may not. */
export function outsideRbacCheckNote(o: OutsideRbac): string {
  return (
    `in these logs another authorizer than RBAC allowed ${o.count} of its requests ` +
    `(e.g. "${o.reason}"): RBAC alone would deny this, the cluster may not while that grant stays`
  );
}
