import type { K8sAccess } from '../../model/access.js';
import type { Stage } from '../../model/evidence.js';
import type { Decision, ImpliedCheck } from '../../model/observation.js';
import { identityNameProblem, objectNameProblem, shown } from '../../knowledge/kubernetes/names.js';
import { isObj } from '../../util/json.js';

/**
 * The checks the API server makes beyond authorizing a request, derived from its audit record
 * (kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping,
 * .../user-impersonation/):
 * - writing a RoleBinding or ClusterRoleBinding (create, update, patch) checks `bind` on the role its
 *   roleRef names, in the binding's namespace ('' for a ClusterRoleBinding), unless the user holds every
 *   permission in that role;
 * - writing a Role or ClusterRole checks `escalate` on it with the request's own name ('' for a create, whose
 *   name is only in the body), unless the user holds every permission in it;
 * - members of system:masters skip both;
 * - an impersonated request checks, for the impersonator, `impersonate` on the user (`users`, or
 *   `serviceaccounts` in NS for `system:serviceaccount:NS:N`), each group it asked for, the uid and each
 *   extra value (`userextras/<key>`, authentication.k8s.io).
 */

const RBAC = 'rbac.authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';
const WRITES = new Set(['create', 'update', 'patch']);
const SA_PREFIX = 'system:serviceaccount:';

export interface Checks {
  implied: ImpliedCheck[];
  /** A binding write whose record carries no usable roleRef. */
  roleRefUnknown: boolean;
}

const NONE: Checks = Object.freeze({ implied: Object.freeze([]) as unknown as ImpliedCheck[], roleRefUnknown: false });

/** What is wrong with the record, as an issue code and message. */
export interface CheckProblem {
  code: string;
  message: string;
}

const access = (verb: string, apiGroup: string, resource: string, namespace: string, name: string): K8sAccess => ({
  verb,
  apiGroup,
  resource,
  subresource: '',
  namespace,
  name,
  nonResourceURL: '',
});

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Whether the checks of a request were passed: only a request that was authorized and then answered
 * without error shows it (`deny` for 401/403; other errors may come before the check, so say nothing).
 */
function checkDecision(decision: Decision, code: number | undefined): Decision | undefined {
  if (decision !== 'allow') return decision === 'undecided' ? 'undecided' : undefined;
  if (code === undefined || code < 400) return 'allow';
  return code === 401 || code === 403 ? 'deny' : undefined;
}

/** bind and escalate for a write of an RBAC object by its own (effective) user. */
export function escalationChecks(
  ev: Record<string, unknown>,
  req: K8sAccess,
  decision: Decision,
  code: number | undefined,
  stage: Stage,
  groups: readonly string[],
): Checks | CheckProblem {
  // Most records write no RBAC object: nothing is allocated for them.
  const none = NONE;
  if (req.apiGroup !== RBAC || req.subresource !== '' || !WRITES.has(req.verb)) return none;
  const isRole = req.resource === 'roles' || req.resource === 'clusterroles';
  const isBinding = req.resource === 'rolebindings' || req.resource === 'clusterrolebindings';
  if ((!isRole && !isBinding) || groups.includes('system:masters')) return none;
  // The RBAC storage (pkg/registry/rbac/*/policybased) makes no bind or escalate check on an update that changes only
  // what the garbage collector changes (rbacregistry.IsOnlyMutatingGCFields). The old object is not logged, so only a
  // patch whose body touches nothing else proves it; any other write keeps its check.
  if (gcOnlyWrite(ev, req)) return none;
  const d = checkDecision(decision, code);
  if (d === undefined) return none;
  if (isRole) {
    const role = roleName(ev, req);
    if (typeof role !== 'string') return role;
    const check: ImpliedCheck = {
      access: access('escalate', RBAC, req.resource, req.namespace, req.name),
      decision: d,
    };
    if (role) check.role = role;
    return { implied: [check], roleRefUnknown: false };
  }
  // The body is logged at Request level and above, and never at RequestReceived (it is read later).
  const ref = roleRefOf(ev);
  if (ref === undefined) return { implied: [], roleRefUnknown: stage !== 'RequestReceived' };
  const kind = ref['kind'];
  const name = ref['name'];
  const group = ref['apiGroup'];
  if (typeof name !== 'string' || (group !== undefined && group !== null && typeof group !== 'string'))
    return { code: 'k8s.bad-type', message: 'roleRef.name or roleRef.apiGroup is not a string' };
  const np = objectNameProblem(name);
  if (np) return { code: 'k8s.bad-name', message: `roleRef.name ${shown(name)} ${np}` };
  // A roleRef the API server would refuse (another group or kind, a ClusterRoleBinding naming a Role) is not guessed.
  const usable =
    (kind === 'ClusterRole' || (kind === 'Role' && req.resource === 'rolebindings')) &&
    (group === undefined || group === null || group === '' || group === RBAC);
  if (!usable) return { implied: [], roleRefUnknown: true };
  const resource = kind === 'Role' ? 'roles' : 'clusterroles';
  return {
    implied: [{ access: access('bind', RBAC, resource, req.namespace, name), decision: d }],
    roleRefUnknown: false,
  };
}

/**
 * For a patch of a Role, ClusterRole, RoleBinding or ClusterRoleBinding: whether its body shows it changes only what
 * the garbage collector changes (`gcOnlyPatch`); undefined for any other request.
 */
export function gcOnlyWrite(ev: Record<string, unknown>, req: K8sAccess): boolean | undefined {
  if (req.verb !== 'patch' || req.apiGroup !== RBAC || req.subresource !== '') return undefined;
  if (!['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].includes(req.resource)) return undefined;
  return gcOnlyPatch(ev['requestObject']);
}

/** The fields IsOnlyMutatingGCFields lets change (selfLink and managedFields apart: no client patches them). */
const GC_FIELDS = ['finalizers', 'ownerReferences'];

/**
 * Keys a merge or strategic merge patch's `metadata` may hold and still change only the GC fields: those fields,
 * their strategic-merge directives, and `uid` and `resourceVersion`, preconditions (the garbage collector sends
 * `uid` with its ownerReferences patches) that a request answered without error met, so they changed nothing.
 */
const GC_PATCH_KEYS = new Set([
  ...GC_FIELDS,
  ...GC_FIELDS.map((f) => `$setElementOrder/${f}`),
  '$deleteFromPrimitiveList/finalizers',
  'uid',
  'resourceVersion',
]);

const isGcPath = (p: unknown): boolean =>
  typeof p === 'string' && GC_FIELDS.some((f) => p === `/metadata/${f}` || p.startsWith(`/metadata/${f}/`));

/**
 * Whether a patch body (the audit record's requestObject at Request level and above) changes nothing but
 * metadata.finalizers and metadata.ownerReferences: a JSON patch (a list of operations) whose every operation but
 * `test` writes (and for move and copy reads) only there, or a merge or strategic merge patch whose only key is
 * `metadata`, holding only `GC_PATCH_KEYS`. A server-side apply body names apiVersion and kind, so it never passes.
 */
function gcOnlyPatch(body: unknown): boolean {
  if (Array.isArray(body))
    return body.every((op) => {
      if (!isObj(op)) return false;
      const o = op['op'];
      if (o === 'test') return true;
      if (o === 'add' || o === 'remove' || o === 'replace') return isGcPath(op['path']);
      return (o === 'move' || o === 'copy') && isGcPath(op['path']) && isGcPath(op['from']);
    });
  if (!isObj(body)) return false;
  const keys = Object.keys(body);
  if (keys.some((k) => k !== 'metadata')) return false;
  const md = body['metadata'];
  if (md === undefined) return true;
  return isObj(md) && Object.keys(md).every((k) => GC_PATCH_KEYS.has(k));
}

/** The roleRef of the stored object (responseObject), else of the request body; undefined when neither has one. */
function roleRefOf(ev: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const f of ['responseObject', 'requestObject']) {
    const o = ev[f];
    if (isObj(o) && isObj(o['roleRef'])) return o['roleRef'];
  }
  return undefined;
}

/** The name of the role written: the request's, else the body's (a create); '' when unknown. */
function roleName(ev: Record<string, unknown>, req: K8sAccess): string | CheckProblem {
  if (req.name) return req.name;
  const ref = ev['objectRef'];
  let name = isObj(ref) ? str(ref['name']) : '';
  for (const f of ['requestObject', 'responseObject']) {
    if (name) break;
    const o = ev[f];
    const md = isObj(o) ? o['metadata'] : undefined;
    if (isObj(md) && md['name'] !== undefined && md['name'] !== null) {
      if (typeof md['name'] !== 'string')
        return { code: 'k8s.bad-type', message: `${f}.metadata.name is not a string` };
      name = md['name'];
    }
  }
  const np = name ? objectNameProblem(name) : undefined;
  return np ? { code: 'k8s.bad-name', message: `role name ${shown(name)} ${np}` } : name;
}

/**
 * `impersonate` for the impersonator, one check per attribute of the identity logged in impersonatedUser.
 * Groups the API server adds itself are not checked: system:authenticated (system:unauthenticated for
 * system:anonymous), and a service account's own groups when they are exactly its two (a client naming them
 * explicitly is checked for them, which the log cannot tell apart).
 */
export function impersonationChecks(imp: Record<string, unknown>): ImpliedCheck[] | CheckProblem {
  const username = imp['username'] as string;
  const groups = Array.isArray(imp['groups']) ? (imp['groups'] as string[]) : [];
  const uid = imp['uid'];
  const extra = imp['extra'];
  if (uid !== undefined && uid !== null && typeof uid !== 'string')
    return { code: 'k8s.bad-type', message: 'impersonatedUser.uid is not a string' };
  if (extra !== undefined && extra !== null) {
    const ok =
      isObj(extra) &&
      Object.values(extra).every((v) => v === null || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
    if (!ok) return { code: 'k8s.bad-type', message: 'impersonatedUser.extra is not a map of string lists' };
  }
  const out: ImpliedCheck[] = [];
  const add = (a: K8sAccess, what: string, v: string): CheckProblem | undefined => {
    const p = identityNameProblem(v);
    if (p) return { code: 'k8s.bad-name', message: `impersonatedUser ${what} ${shown(v)} ${p}` };
    out.push({ access: a, decision: 'allow' });
    return undefined;
  };
  let sa: { ns: string; name: string } | undefined;
  if (username.startsWith(SA_PREFIX)) {
    const rest = username.slice(SA_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0) sa = { ns: rest.slice(0, colon), name: rest.slice(colon + 1) };
  }
  const first = sa
    ? add(access('impersonate', '', 'serviceaccounts', sa.ns, sa.name), 'username', username)
    : add(access('impersonate', '', 'users', '', username), 'username', username);
  if (first) return first;
  const added = username === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
  let asked = [...new Set(groups.filter((g) => g !== added))];
  const own = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa.ns}`] : [];
  if (sa && asked.length === own.length && own.every((g) => asked.includes(g))) asked = [];
  for (const g of asked.sort()) {
    const p = add(access('impersonate', '', 'groups', '', g), 'group', g);
    if (p) return p;
  }
  if (typeof uid === 'string' && uid !== '') {
    const p = add(access('impersonate', AUTHN, 'uids', '', uid), 'uid', uid);
    if (p) return p;
  }
  if (isObj(extra)) {
    for (const key of Object.keys(extra).sort()) {
      const kp = key === '' ? 'is empty' : identityNameProblem(key);
      if (kp) return { code: 'k8s.bad-name', message: `impersonatedUser.extra key ${shown(key)} ${kp}` };
      for (const v of [...new Set((extra[key] as string[] | null) ?? [])].sort()) {
        const p = add({ ...access('impersonate', AUTHN, 'userextras', '', v), subresource: key }, `extra ${key}`, v);
        if (p) return p;
      }
    }
  }
  return out;
}
