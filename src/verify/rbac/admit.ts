import { ruleWords, uncovered } from './covers.js';
import { impersonationChecks } from './impersonation.js';
import type { PolicyRule, RbacDecision, RbacPolicySet, RbacRequest } from './types.js';
import { pushAll } from '../../util/array.js';

const RBAC = 'rbac.authorization.k8s.io';
const WRITES = new Set(['create', 'update', 'patch']);

type Checks = Pick<RbacPolicySet, 'authorize' | 'rulesFor' | 'roleRules'>;

/**
 * The API server's decision on a request, beyond the authorizer's (kubernetes.io/docs/reference/access-authn-authz/:
 * user-impersonation, rbac#privilege-escalation-prevention-and-bootstrapping):
 * 1. an impersonated request: the impersonator must be allowed `impersonate` on each attribute of the
 *    identity (./impersonation.ts), else it is refused before anything else;
 * 2. the authorizer, as the (impersonated) user;
 * 3. a RoleBinding or ClusterRoleBinding write (create, update, patch): `bind` on the role its roleRef names, in
 *    the binding's namespace, or the user holds every rule of that role there; a Role or ClusterRole write:
 *    `escalate` on it (with the request's own name), or the user holds every rule written. Members of
 *    system:masters skip 3, and so does a write changing only finalizers and ownerReferences (`gcOnly`).
 * Rules that are not known (a role not among the policies, such as the built-in admin; a body not logged) are
 * not taken as held: the write is refused, and the reason says why. Bindings of the user's whose roles are not
 * given make a refusal undetermined (they might hold the rules).
 */
export function admit(set: Checks, req: RbacRequest): RbacDecision {
  if (req.impersonator) {
    const who = req.impersonator;
    for (const c of impersonationChecks(req)) {
      const d = set.authorize({ ...c, username: who.username, groups: who.groups });
      if (d.result === 'allow') continue;
      const why = `${who.username} may not impersonate ${c.resource}${c.subresource ? '/' + c.subresource : ''} ${c.name}${c.namespace ? ' in ' + c.namespace : ''}`;
      return d.result === 'deny'
        ? { result: 'deny', reasons: [why] }
        : { result: 'undetermined', reasons: [why, ...d.reasons] };
    }
  }
  const own: RbacRequest = {
    username: req.username,
    groups: req.groups,
    verb: req.verb,
    apiGroup: req.apiGroup,
    resource: req.resource,
    subresource: req.subresource,
    namespace: req.namespace,
    name: req.name,
    nonResourceURL: req.nonResourceURL,
    ...(req.anyName ? { anyName: true } : {}),
  };
  const d = set.authorize(own);
  if (d.result === 'allow' && isWebsocketConnect(own) && !req.groups.includes('system:masters')) {
    // Kubernetes 1.35 and later also authorize create on a websocket upgrade (logged as get); earlier versions do
    // not, and the log does not say which ran: a policy without create is undetermined, not denied. system:masters
    // passes every check, as below.
    const c = set.authorize({ ...own, verb: 'create' });
    if (c.result !== 'allow')
      return {
        result: 'undetermined',
        reasons: [
          `Kubernetes 1.35 and later also check create on ${own.resource}/${own.subresource} for a websocket upgrade (AuthorizePodWebsocketUpgradeCreatePermission, on by default), which the policies do not allow: refused there, allowed before 1.35`,
          ...(c.reasons ?? []),
        ],
      };
  }
  if (d.result !== 'allow' || req.groups.includes('system:masters')) return d;
  if (req.apiGroup !== RBAC || req.subresource !== '' || !WRITES.has(req.verb) || req.gcOnly) return d;
  if (req.resource === 'rolebindings' || req.resource === 'clusterrolebindings') {
    const ref = req.roleRef;
    if (!ref)
      return {
        result: 'undetermined',
        reasons: [`the roleRef of the ${req.resource} written is not known: its bind check cannot be replayed`],
      };
    const resource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    const bind = set.authorize({ ...own, verb: 'bind', resource, name: ref.name });
    if (bind.result === 'allow') return d;
    const rules = set.roleRules(ref.kind, req.namespace, ref.name);
    const what = `bind on ${resource} ${ref.name}${req.namespace ? ' in ' + req.namespace : ''}`;
    const unknownWhy = `${ref.kind} ${ref.name} is not among the policies given`;
    return held(set, own, rules, what, unknownWhy, `${ref.kind} ${ref.name}`) ?? d;
  }
  if (req.resource === 'roles' || req.resource === 'clusterroles') {
    const esc = set.authorize({ ...own, verb: 'escalate' });
    if (esc.result === 'allow') return d;
    const rules = req.roleRules ? { rules: [...req.roleRules], unknown: [] } : undefined;
    const what = `escalate on ${req.resource}${req.name ? ' ' + req.name : ''}${req.namespace ? ' in ' + req.namespace : ''}`;
    const unknownWhy = 'the rules written are not known (a profile keeps no request bodies)';
    return held(set, own, rules, what, unknownWhy, 'the role written') ?? d;
  }
  return d;
}

/** A `get` of pods/exec, pods/attach or pods/portforward: a websocket upgrade (SPDY's POST is `create` itself). */
const isWebsocketConnect = (r: RbacRequest): boolean =>
  r.verb === 'get' &&
  r.apiGroup === '' &&
  r.resource === 'pods' &&
  (r.subresource === 'exec' || r.subresource === 'attach' || r.subresource === 'portforward');

/** undefined when the user holds every rule (so the write goes through), else why not. */
function held(
  set: Checks,
  req: RbacRequest,
  rules: { rules: PolicyRule[]; unknown: string[] } | undefined,
  what: string,
  unknownWhy: string,
  of: string,
): RbacDecision | undefined {
  const owner = set.rulesFor(req, req.namespace);
  const missing: string[] = [];
  if (!rules) missing.push(unknownWhy);
  else if (rules.unknown.length) pushAll(missing, rules.unknown);
  else {
    const left = uncovered(owner.rules, rules.rules, 3);
    if (left.count === 0) return undefined;
    const shown = left.first.map(ruleWords).join('; ');
    missing.push(`${of} holds rules it does not: ${shown}${left.count > 3 ? `; and ${left.count - 3} more` : ''}`);
  }
  const reasons = [`the API server checks ${what}: not allowed, and ${missing.join('; ')}`];
  return owner.unknown.length
    ? { result: 'undetermined', reasons: [...reasons, ...owner.unknown] }
    : { result: 'deny', reasons };
}
