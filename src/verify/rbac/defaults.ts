import { DEFAULT_GRANTS, defaultGrantObjects, impliedGroups } from '../../knowledge/kubernetes/defaultGrants.js';
import { buildRbacPolicySet } from './policySet.js';
import type { RbacPolicySet, RbacRequest } from './types.js';

/** Where the default objects are said to come from, in a decision's `grantedBy.file`. */
export const DEFAULTS_FILE = "(Kubernetes' default RBAC)";

let defaults: RbacPolicySet | undefined;

/** The verbs the default rules name, for URLs and for resources (`*` in none of them). */
const URL_VERBS = new Set(
  DEFAULT_GRANTS.flatMap((g) => g.rules.filter((r) => r.nonResourceURLs).flatMap((r) => r.verbs)),
);
const RESOURCE_VERBS = new Set(
  DEFAULT_GRANTS.flatMap((g) => g.rules.filter((r) => r.resources).flatMap((r) => r.verbs)),
);

/**
 * The cluster's default ClusterRoles and bindings (knowledge/kubernetes/defaultGrants.ts), read as the objects of
 * any policy file are and judged by the same authorizer; built once.
 */
function clusterDefaults(): RbacPolicySet {
  defaults ??= buildRbacPolicySet(
    defaultGrantObjects().map((object, index) => ({ file: DEFAULTS_FILE, index, object })),
  ).set;
  return defaults;
}

/**
 * The default ClusterRole that allows a request, if any: asked of the authorizer alone, with the groups the API
 * server adds to every authenticated user and service account (a record may not list them).
 */
export function defaultGrantFor(req: RbacRequest): string | undefined {
  // Most requests are of a verb no default rule of their kind names: answered without building a request.
  if (!(req.nonResourceURL !== '' ? URL_VERBS : RESOURCE_VERBS).has(req.verb)) return undefined;
  const d = clusterDefaults().authorize({ ...req, groups: impliedGroups(req) });
  return d.result === 'allow' ? d.grantedBy.roleName : undefined;
}
