import type { Decision } from '../../model/observation.js';
import { isObj } from '../../util/json.js';

// What an audit record says about authorization: who was not authenticated, and what the authorizer decided.

/**
 * Codes the API server answers with before a request reaches its authorizer, and never after it for a request the
 * authorizer allowed unless the record says so: in the handler chain (k8s.io/apiserver pkg/server/config.go,
 * DefaultBuildHandlerChain) max-in-flight or priority and fairness refuse with 429 between impersonation and
 * authorization. An eviction refused by a PodDisruptionBudget also answers 429, after authorization, but its record
 * then carries the decision annotation, which wins.
 */
const BEFORE_AUTHORIZATION = new Set([429]);

/**
 * A request whose credentials the API server did not accept (an expired token, a scanner): logged with no user and
 * a 401 (k8s.io/apiserver filters.WithFailedAuthenticationAudit, "Authentication failed"). No one to grant or deny:
 * counted as `skipped.authentication-failure`, as CloudTrail's, not an input issue (which stopped verify and check).
 */
export function failedAuthentication(ev: Record<string, unknown>, user: unknown): boolean {
  if (!isObj(user) || (user['username'] !== undefined && user['username'] !== '')) return false;
  const status = ev['responseStatus'];
  return isObj(status) && status['code'] === 401;
}

/**
 * The authorization decision: the `authorization.k8s.io/decision` annotation when the record has it (the
 * authorizer wrote it); without it, 401 and 403 were refusals, a code the API server answers before authorization
 * (`BEFORE_AUTHORIZATION`) says nothing either way (`unreached`: neither granted nor denied evidence, counted in
 * `skipped.before-authorization`), and any other code came from a request that got past authorization.
 */
export function decide(ev: Record<string, unknown>, code: number | undefined): Decision | 'unreached' {
  const ann = ev['annotations'];
  const d = isObj(ann) ? ann['authorization.k8s.io/decision'] : undefined;
  if (d === 'allow') return 'allow';
  if (d === 'forbid' || d === 'deny') return 'deny';
  if (code === undefined || code === null) return 'undecided';
  if (code === 401 || code === 403) return 'deny';
  return BEFORE_AUTHORIZATION.has(code) ? 'unreached' : 'allow';
}
