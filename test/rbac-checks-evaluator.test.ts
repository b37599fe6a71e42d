// The RBAC evaluator's checks beyond the authorizer (src/verify/rbac/admit.ts), as a table: bind on a binding's
// roleRef (or every rule of the role held), escalate on a role written (or every rule written held), impersonate
// on each attribute of an impersonated identity, and the impersonated request judged as the impersonated user.
import { describe, expect, it } from 'vitest';
import type { PolicyDoc } from '../src/policy/load.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const RBAC = 'rbac.authorization.k8s.io';
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});
const role = (ns: string, name: string, rules: unknown[]) => ({
  apiVersion: V1,
  kind: 'Role',
  metadata: { name, namespace: ns },
  rules,
});
const crole = (name: string, rules: unknown[]) => ({ apiVersion: V1, kind: 'ClusterRole', metadata: { name }, rules });
const rb = (ns: string, name: string, roleKind: string, roleName: string, subjects: unknown[]) => ({
  apiVersion: V1,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: RBAC, kind: roleKind, name: roleName },
  subjects,
});
const crb = (name: string, roleName: string, subjects: unknown[]) => ({
  apiVersion: V1,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
  subjects,
});
const sa = (ns: string, name: string) => ({ kind: 'ServiceAccount', name, namespace: ns });
const user = (name: string) => ({ kind: 'User', apiGroup: RBAC, name });
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });

const OP = 'system:serviceaccount:tenancy:op';
const DEPLOYER = 'system:serviceaccount:apps:deployer';

const ADMIN_RULES = [rule([''], ['pods', 'configmaps'], ['*']), rule(['apps'], ['deployments'], ['get', 'patch'])];
const objects = [
  // The role bound for tenants; in some tables it is not among the policies (a built-in).
  crole('tenant-admin', ADMIN_RULES),
  // The operator may create bindings and roles anywhere...
  crole('op-writes', [rule([RBAC], ['rolebindings', 'clusterrolebindings', 'roles'], ['create', 'update', 'patch'])]),
  crb('op-writes', 'op-writes', [sa('tenancy', 'op')]),
  // ...bind tenant-admin and admin in tenant-a (by name)...
  role('tenant-a', 'binder', [rule([RBAC], ['clusterroles'], ['bind'], ['tenant-admin', 'admin'])]),
  rb('tenant-a', 'op-binder', 'Role', 'binder', [sa('tenancy', 'op')]),
  // ...holds every rule of tenant-admin in tenant-b (so needs no bind there)...
  crole('pods-and-deploys', [rule([''], ['*'], ['*']), rule(['apps'], ['deployments', 'deployments/scale'], ['*'])]),
  rb('tenant-b', 'op-holds', 'ClusterRole', 'pods-and-deploys', [sa('tenancy', 'op')]),
  // ...escalate one role by name in tenant-a, and read quotas there.
  role('tenant-a', 'escalator', [
    rule([RBAC], ['roles'], ['escalate'], ['quota-reader']),
    rule([''], ['resourcequotas'], ['get', 'list']),
  ]),
  rb('tenant-a', 'op-escalator', 'Role', 'escalator', [sa('tenancy', 'op')]),
  // A user whose own rules are partly unknown (a binding to a role not given).
  rb('tenant-a', 'mystery', 'ClusterRole', 'not-given', [user('mystery')]),
  crb('mystery-writes', 'op-writes', [user('mystery')]),
  // A member of system:masters with nothing but the writes.
  crb('masters-writes', 'op-writes', [group('system:masters')]),
  // ci-bot may impersonate the deployer, and jane with the group developers, uid u-1 and scopes=view.
  role('apps', 'imp-sa', [rule([''], ['serviceaccounts'], ['impersonate'], ['deployer'])]),
  rb('apps', 'ci-imp-sa', 'Role', 'imp-sa', [user('ci-bot')]),
  crole('imp-jane', [
    rule([''], ['users'], ['impersonate'], ['jane@example.com']),
    rule([''], ['groups'], ['impersonate'], ['developers']),
    rule(['authentication.k8s.io'], ['uids'], ['impersonate'], ['u-1']),
    rule(['authentication.k8s.io'], ['userextras/scopes'], ['impersonate'], ['view']),
  ]),
  crb('ci-imp-jane', 'imp-jane', [user('ci-bot')]),
  // What the impersonated identities may do.
  role('apps', 'deploy', [rule(['apps'], ['deployments'], ['get', 'patch'])]),
  rb('apps', 'deployer', 'Role', 'deploy', [sa('apps', 'deployer')]),
  role('apps', 'pod-reader', [rule([''], ['pods'], ['list'])]),
  rb('apps', 'developers', 'Role', 'pod-reader', [group('developers')]),
];
const docs = (objs: unknown[]): PolicyDoc[] => objs.map((object, index) => ({ file: 'p.yaml', index, object }));
const full = buildRbacPolicySet(docs(objects)).set;
const withoutAdmin = buildRbacPolicySet(docs(objects.slice(1))).set;

const write = (resource: string, namespace: string, over: Partial<RbacRequest> = {}): RbacRequest => ({
  username: OP,
  groups: ['system:serviceaccounts', 'system:serviceaccounts:tenancy', 'system:authenticated'],
  verb: 'create',
  apiGroup: RBAC,
  resource,
  subresource: '',
  namespace,
  name: '',
  nonResourceURL: '',
  ...over,
});
const toAdmin = { kind: 'ClusterRole', name: 'tenant-admin' } as const;
const QUOTA_RULES = [
  { verbs: ['get'], apiGroups: [''], resources: ['resourcequotas'], resourceNames: [], nonResourceURLs: [] },
];
const SECRET_RULES = [
  { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: [], nonResourceURLs: [] },
];

type Want = 'allow' | 'deny' | 'undetermined';
const escalation: [string, RbacRequest, Want, Want?][] = [
  // [case, request, with the role given, with it not among the policies (when different)]
  [
    'bind allowed by name: the RoleBinding write goes through',
    write('rolebindings', 'tenant-a', { roleRef: toAdmin }),
    'allow',
  ],
  [
    'an update and a patch are checked the same way',
    write('rolebindings', 'tenant-a', { verb: 'patch', name: 'b', roleRef: toAdmin }),
    'allow',
  ],
  [
    'bind on another role is not allowed by those names',
    write('rolebindings', 'tenant-a', { roleRef: { kind: 'ClusterRole', name: 'view' } }),
    'deny',
  ],
  [
    'no bind, but every rule of the role held (a `*` and `*/sub` cover its rules): allowed',
    write('rolebindings', 'tenant-b', { roleRef: toAdmin }),
    'allow',
    'deny',
  ],
  ['no bind and not every rule held: denied', write('rolebindings', 'tenant-c', { roleRef: toAdmin }), 'deny'],
  [
    'a ClusterRoleBinding checks bind cluster-wide: the names bound in tenant-a do not count',
    write('clusterrolebindings', '', { roleRef: toAdmin }),
    'deny',
  ],
  ['a binding write whose roleRef is unknown cannot be judged', write('rolebindings', 'tenant-a'), 'undetermined'],
  [
    'a subject whose own rules are partly unknown: undetermined, not denied',
    write('rolebindings', 'tenant-a', { username: 'mystery', groups: [], roleRef: toAdmin }),
    'undetermined',
  ],
  [
    'a member of system:masters skips the check',
    write('rolebindings', 'tenant-c', { username: 'root', groups: ['system:masters'], roleRef: toAdmin }),
    'allow',
  ],
  [
    'escalate allowed by name (a patch names its role)',
    write('roles', 'tenant-a', { verb: 'patch', name: 'quota-reader' }),
    'allow',
  ],
  [
    'escalate by name never matches a create (no name in the request): rules written unknown, denied',
    write('roles', 'tenant-a'),
    'deny',
  ],
  ['…but every rule written held: allowed', write('roles', 'tenant-a', { name: '', roleRules: QUOTA_RULES }), 'allow'],
  ['…and a rule written not held: denied', write('roles', 'tenant-a', { roleRules: SECRET_RULES }), 'deny'],
  ['escalate on another role: denied', write('roles', 'tenant-a', { verb: 'update', name: 'other' }), 'deny'],
  [
    'the write itself not authorized: denied before any check',
    write('rolebindings', 'tenant-a', { username: 'nobody', groups: [], roleRef: toAdmin }),
    'deny',
  ],
];

const imp = (over: Partial<RbacRequest>): RbacRequest => ({
  username: DEPLOYER,
  groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'],
  impersonator: { username: 'ci-bot', groups: ['ci', 'system:authenticated'] },
  verb: 'get',
  apiGroup: 'apps',
  resource: 'deployments',
  subresource: '',
  namespace: 'apps',
  name: 'web',
  nonResourceURL: '',
  ...over,
});
const JANE = {
  username: 'jane@example.com',
  groups: ['developers', 'system:authenticated'],
  uid: 'u-1',
  extra: { scopes: ['view'] },
  apiGroup: '',
  resource: 'pods',
  verb: 'list',
  name: '',
};
const impersonation: [string, RbacRequest, Want][] = [
  ['impersonating the service account, a request it may make: allowed', imp({}), 'allow'],
  ['judged as the impersonated user: what it may not do is denied', imp({ verb: 'delete' }), 'deny'],
  [
    'an impersonator without impersonate on the service account: denied',
    imp({ impersonator: { username: 'eve', groups: [] } }),
    'deny',
  ],
  ['a user with a group, a uid and an extra, each allowed: allowed', imp(JANE), 'allow'],
  ['…a group it may not impersonate: denied', imp({ ...JANE, groups: ['admins'] }), 'deny'],
  ['…another uid: denied', imp({ ...JANE, uid: 'u-2' }), 'deny'],
  ['…another extra value: denied', imp({ ...JANE, extra: { scopes: ['view', 'admin'] } }), 'deny'],
  ['…another user: denied', imp({ ...JANE, username: 'bob@example.com' }), 'deny'],
  [
    'the service account with groups of its own asked for: each is checked',
    imp({ groups: ['deployers', 'system:authenticated'] }),
    'deny',
  ],
];

describe('RBAC evaluator: escalation prevention (bind, escalate)', () => {
  it.each(escalation)('%s', (_n, req, want, whenNotGiven) => {
    expect(full.admit(req).result).toBe(want);
    expect(withoutAdmin.admit(req).result).toBe(whenNotGiven ?? want);
  });

  it('authorize alone is the authorizer: the checks are admit’s', () => {
    expect(full.authorize(write('rolebindings', 'tenant-c', { roleRef: toAdmin })).result).toBe('allow');
    expect(full.admit(write('rolebindings', 'tenant-c', { roleRef: toAdmin })).result).toBe('deny');
  });

  it('says why a write is refused', () => {
    expect(full.admit(write('rolebindings', 'tenant-c', { roleRef: toAdmin }))).toEqual({
      result: 'deny',
      reasons: [
        'the API server checks bind on clusterroles tenant-admin in tenant-c: not allowed, and ClusterRole tenant-admin holds rules it does not: * pods (core); * configmaps (core); get deployments (apps); and 1 more',
      ],
    });
    expect(withoutAdmin.admit(write('rolebindings', 'tenant-b', { roleRef: toAdmin }))).toEqual({
      result: 'deny',
      reasons: [
        'the API server checks bind on clusterroles tenant-admin in tenant-b: not allowed, and ClusterRole tenant-admin is not among the policies given',
      ],
    });
  });
});

describe('RBAC evaluator: impersonation', () => {
  it.each(impersonation)('%s', (_n, req, want) => expect(full.admit(req).result).toBe(want));

  it('names the attribute the impersonator may not impersonate', () =>
    expect(full.admit(imp({ ...JANE, uid: 'u-2' }))).toEqual({
      result: 'deny',
      reasons: ['ci-bot may not impersonate uids u-2'],
    }));
});
