import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyDocs, type PolicyDoc } from '../src/policy/load.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { CORPUS, HAS_CORPUS, tmp } from './helpers/cli.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const role = (ns: string, name: string, rules: unknown[]) => ({
  apiVersion: V1,
  kind: 'Role',
  metadata: { name, namespace: ns },
  rules,
});
const crole = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: V1,
  kind: 'ClusterRole',
  ...extra,
  metadata: { name, ...((extra['metadata'] as object) ?? {}) },
  rules,
});
const rb = (ns: string, name: string, roleKind: string, roleName: string, subjects: unknown[]) => ({
  apiVersion: V1,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
  subjects,
});
const crb = (name: string, roleName: string, subjects: unknown[]) => ({
  apiVersion: V1,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects,
});
const sa = (ns: string, name: string) => ({ kind: 'ServiceAccount', name, namespace: ns });
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const group = (name: string) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

const docs = (objs: unknown[]): PolicyDoc[] => objs.map((object, index) => ({ file: 'p.yaml', index, object }));

const WEB = 'system:serviceaccount:shop:web';
const req = (over: Partial<RbacRequest>): RbacRequest => ({
  username: WEB,
  groups: [],
  verb: 'get',
  apiGroup: '',
  resource: 'pods',
  subresource: '',
  namespace: 'shop',
  name: 'p1',
  nonResourceURL: '',
  ...over,
});

const policies = docs([
  role('shop', 'reader', [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] }]),
  rb('shop', 'web-reader', 'Role', 'reader', [sa('shop', 'web')]),
  role('shop', 'named', [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['web-tls'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods'], resourceNames: ['p1'], verbs: ['create'] },
  ]),
  rb('shop', 'web-named', 'Role', 'named', [{ kind: 'ServiceAccount', name: 'web' }]),
  role('shop', 'exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]),
  rb('shop', 'alice-exec', 'Role', 'exec', [user('alice')]),
  role('shop', 'sub-star', [
    { apiGroups: [''], resources: ['*/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['deployments/*'], verbs: ['get'] },
  ]),
  rb('shop', 'bob-sub', 'Role', 'sub-star', [user('bob')]),
  crole('apps-deployer', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }]),
  rb('payments', 'deployer', 'ClusterRole', 'apps-deployer', [sa('ci', 'deployer')]),
  crole('node-reader', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { nonResourceURLs: ['/healthz', '/apis/*'], verbs: ['get'] },
  ]),
  crb('watcher', 'node-reader', [sa('monitoring', 'watcher')]),
  rb('shop', 'nonresource-via-rb', 'ClusterRole', 'node-reader', [user('carol')]),
  crole('star', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]),
  crb('admins', 'star', [group('sre')]),
  crole('all-sas-in-ci', [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }]),
  crb('ci-events', 'all-sas-in-ci', [group('system:serviceaccounts:ci')]),
  rb('shop', 'to-builtin', 'ClusterRole', 'view', [user('dave')]),
  crb('crb-sa-without-ns', 'star', [{ kind: 'ServiceAccount', name: 'web' }]),
  crole('aggregate-viewer', [], {
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example/aggregate-to-viewer': 'true' } }] },
  }),
  crole('viewer-part', [{ apiGroups: [''], resources: ['services'], verbs: ['list'] }], {
    metadata: { labels: { 'rbac.example/aggregate-to-viewer': 'true' } },
  }),
  crb('erin-viewer', 'aggregate-viewer', [user('erin')]),
  crole('lonely-aggregate', [], {
    aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'nothing', operator: 'Exists' }] }] },
  }),
  crb('frank-lonely', 'lonely-aggregate', [user('frank')]),
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1',
    kind: 'RoleBinding',
    metadata: { name: 'old', namespace: 'legacy' },
    roleRef: { kind: 'Role', name: 'old-role' },
    subjects: [user('gina')],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1',
    kind: 'Role',
    metadata: { name: 'old-role', namespace: 'legacy' },
    rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['list'] }],
  },
  {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      role('wrapped', 'w', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
      rb('wrapped', 'w', 'Role', 'w', [user('hank')]),
    ],
  },
  { apiVersion: 'audit2policy.dev/v1alpha1', kind: 'Evidence', subject: 'x' },
]);

const built = buildRbacPolicySet(policies);

type Case = [string, Partial<RbacRequest>, 'allow' | 'deny' | 'undetermined'];
const cases: Case[] = [
  ['a RoleBinding grants its Role in its namespace', {}, 'allow'],
  ['…and not in another namespace', { namespace: 'cart' }, 'deny'],
  ['…and not cluster-wide', { namespace: '' }, 'deny'],
  ['a verb not in the rule is denied', { verb: 'delete' }, 'deny'],
  ['the core group does not match apps', { apiGroup: 'apps' }, 'deny'],
  ['list of a collection (no name) is allowed by a rule without names', { verb: 'list', name: '' }, 'allow'],
  ['resourceNames allow the named object', { resource: 'secrets', name: 'web-tls' }, 'allow'],
  ['resourceNames deny another object', { resource: 'secrets', name: 'db' }, 'deny'],
  ['resourceNames deny a request that names no object', { resource: 'secrets', name: '', verb: 'get' }, 'deny'],
  ['create with resourceNames never matches a nameless create', { verb: 'create', name: '' }, 'deny'],
  [
    "a ServiceAccount subject without namespace takes the RoleBinding's",
    { resource: 'secrets', name: 'web-tls' },
    'allow',
  ],
  [
    'an impostor user named like the SA of another namespace is denied',
    { username: 'system:serviceaccount:cart:web' },
    'deny',
  ],
  ['pods/exec is granted by pods/exec', { username: 'alice', verb: 'create', subresource: 'exec' }, 'allow'],
  ['pods/exec is not granted by pods', { verb: 'create', subresource: 'exec' }, 'deny'],
  ["*/log grants any resource's log", { username: 'bob', subresource: 'log' }, 'allow'],
  [
    'deployments/* is no wildcard for deployments/scale',
    { username: 'bob', resource: 'deployments', subresource: 'scale' },
    'deny',
  ],
  [
    "a RoleBinding to a ClusterRole grants in the binding's namespace",
    {
      username: 'system:serviceaccount:ci:deployer',
      apiGroup: 'apps',
      resource: 'deployments',
      namespace: 'payments',
      name: 'api',
      verb: 'patch',
    },
    'allow',
  ],
  [
    '…only there',
    {
      username: 'system:serviceaccount:ci:deployer',
      apiGroup: 'apps',
      resource: 'deployments',
      namespace: 'shop',
      name: 'api',
      verb: 'patch',
    },
    'deny',
  ],
  [
    'a ClusterRoleBinding grants cluster-scoped resources',
    { username: 'system:serviceaccount:monitoring:watcher', resource: 'nodes', namespace: '', name: 'n1' },
    'allow',
  ],
  [
    'a ClusterRoleBinding grants in every namespace too',
    { username: 'system:serviceaccount:monitoring:watcher', resource: 'nodes', namespace: 'x', verb: 'list', name: '' },
    'allow',
  ],
  [
    'a non-resource URL, exact',
    {
      username: 'system:serviceaccount:monitoring:watcher',
      nonResourceURL: '/healthz',
      resource: '',
      namespace: '',
      name: '',
    },
    'allow',
  ],
  [
    'a non-resource URL under a trailing *',
    {
      username: 'system:serviceaccount:monitoring:watcher',
      nonResourceURL: '/apis/apps/v1',
      resource: '',
      namespace: '',
      name: '',
    },
    'allow',
  ],
  [
    'a trailing * is a prefix, not a segment match',
    {
      username: 'system:serviceaccount:monitoring:watcher',
      nonResourceURL: '/apisx',
      resource: '',
      namespace: '',
      name: '',
    },
    'deny',
  ],
  [
    'a non-resource URL rule never grants a resource',
    { username: 'system:serviceaccount:monitoring:watcher', resource: 'healthz', namespace: '', name: '' },
    'deny',
  ],
  [
    'non-resource URLs are unreachable through a RoleBinding',
    { username: 'carol', nonResourceURL: '/healthz', resource: '', namespace: '', name: '' },
    'deny',
  ],
  [
    'a Group subject grants its members; * matches every group, resource and verb',
    {
      username: 'ann',
      groups: ['sre'],
      apiGroup: 'weird.io',
      resource: 'things',
      subresource: 'status',
      verb: 'escalate',
    },
    'allow',
  ],
  [
    '* non-resource URLs for the group',
    { username: 'ann', groups: ['sre'], nonResourceURL: '/metrics', resource: '', namespace: '', name: '' },
    'allow',
  ],
  [
    'a service account with the groups its token gives belongs to system:serviceaccounts:<ns>',
    {
      username: 'system:serviceaccount:ci:runner',
      groups: ['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:ci'],
      resource: 'events',
      verb: 'create',
      namespace: 'ci',
      name: '',
    },
    'allow',
  ],
  [
    "…not to another namespace's group",
    {
      username: 'system:serviceaccount:shop:runner',
      groups: ['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:shop'],
      resource: 'events',
      verb: 'create',
      namespace: 'ci',
      name: '',
    },
    'deny',
  ],
  [
    'a username that reads as a service account gains no group the request does not carry',
    { username: 'system:serviceaccount:ci:runner', resource: 'events', verb: 'create', namespace: 'ci', name: '' },
    'deny',
  ],
  [
    'a group named only in groups works for an anonymous member',
    {
      username: '',
      groups: ['system:serviceaccounts:ci'],
      resource: 'events',
      verb: 'create',
      namespace: 'ci',
      name: '',
    },
    'allow',
  ],
  [
    'a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody',
    { username: 'system:serviceaccount:default:web', resource: 'anything' },
    'deny',
  ],
  ['a binding to a role that is not given is undetermined', { username: 'dave' }, 'undetermined'],
  ['…but only where the binding applies', { username: 'dave', namespace: 'other' }, 'deny'],
  [
    "an aggregated ClusterRole takes its sources' rules",
    { username: 'erin', resource: 'services', verb: 'list', name: '' },
    'allow',
  ],
  ['…and no more', { username: 'erin', resource: 'services', verb: 'delete' }, 'deny'],
  ['an aggregated ClusterRole without sources is undetermined', { username: 'frank' }, 'undetermined'],
  [
    'v1beta1 objects are read',
    { username: 'gina', apiGroup: 'batch', resource: 'jobs', verb: 'list', namespace: 'legacy', name: '' },
    'allow',
  ],
  ['objects inside a List are read', { username: 'hank', namespace: 'wrapped' }, 'allow'],
  ['an unknown user is denied', { username: 'nobody' }, 'deny'],
];

describe('RBAC evaluator', () => {
  it('reads every RBAC object and ignores other kinds', () => {
    expect(built.issues).toEqual([]);
    expect(built.ignored).toEqual({ Evidence: 1 });
    expect(built.set.counts).toEqual({ roles: 6, clusterRoles: 7, roleBindings: 9, clusterRoleBindings: 6 });
  });

  it.each(cases)('%s', (_name, over, want) => {
    expect(built.set.authorize(req(over)).result).toBe(want);
  });

  it('names the binding that allowed, deterministically', () => {
    const d = built.set.authorize(req({ username: 'ann', groups: ['sre'] }));
    expect(d).toEqual({
      result: 'allow',
      grantedBy: {
        bindingKind: 'ClusterRoleBinding',
        bindingNamespace: '',
        bindingName: 'admins',
        roleKind: 'ClusterRole',
        roleName: 'star',
        file: 'p.yaml',
      },
    });
  });

  it('says why a request is undetermined', () => {
    const d = built.set.authorize(req({ username: 'dave' }));
    expect(d).toEqual({
      result: 'undetermined',
      reasons: ['RoleBinding shop/to-builtin refers to ClusterRole view, which is not among the policies given'],
    });
  });

  it.each([
    ['no name', { apiVersion: V1, kind: 'Role', metadata: { namespace: 'x' }, rules: [] }, /metadata\.name missing/],
    ['a Role without namespace', { apiVersion: V1, kind: 'Role', metadata: { name: 'r' }, rules: [] }, /needs one/],
    [
      'rules not a list',
      { apiVersion: V1, kind: 'ClusterRole', metadata: { name: 'r' }, rules: 'get' },
      /rules must be a list/,
    ],
    [
      'verbs not strings',
      { apiVersion: V1, kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ verbs: [1] }] },
      /rules must be a list/,
    ],
    ['no roleRef', { apiVersion: V1, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, subjects: [] }, /roleRef/],
    [
      'a ClusterRoleBinding to a Role',
      { apiVersion: V1, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' } },
      /cannot refer to a Role/,
    ],
  ])('a broken object (%s) is an issue and left out whole', (_n, obj, msg) => {
    const b = buildRbacPolicySet(docs([obj]));
    expect(b.issues).toHaveLength(1);
    expect(b.issues[0]).toMatchObject({ code: 'policy.invalid-rbac', file: 'p.yaml' });
    expect(b.issues[0]!.message).toMatch(msg);
  });
});

describe('policy loader', () => {
  it('reads multi-document YAML and JSON files from nested directories, in sorted order, skipping other files', async () => {
    const d = tmp();
    mkdirSync(join(d, 'b/nested'), { recursive: true });
    writeFileSync(join(d, 'a.yaml'), '---\nkind: Role\n---\n\n---\nkind: RoleBinding\n');
    writeFileSync(join(d, 'b/nested/c.json'), JSON.stringify({ kind: 'List', items: [] }));
    writeFileSync(join(d, 'b/notes.txt'), 'not policy');
    const { docs: got, issues } = await loadPolicyDocs([d], '/');
    expect(issues).toEqual([]);
    expect(got.map((x) => `${x.file.slice(d.length)}#${x.index}:${(x.object as { kind: string }).kind}`)).toEqual([
      '/a.yaml#0:Role',
      '/a.yaml#2:RoleBinding',
      '/b/nested/c.json#0:List',
    ]);
  });

  it('an unparseable file is an issue with its line; a missing path throws', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.yaml'), 'kind: Role\nrules: [\n  - x: : y\n');
    const { issues } = await loadPolicyDocs([join(d, 'bad.yaml')], '/');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'policy.unparseable' });
    expect(issues[0]!.line).toBeGreaterThan(1);
    await expect(loadPolicyDocs([join(d, 'missing')], '/')).rejects.toThrow(/missing/);
  });

  it.skipIf(!HAS_CORPUS)(
    'real admin/edit ClusterRoles of the corpus: without kind they are not guessed at; with it, their aggregated rules apply',
    async () => {
      const { docs: got } = await loadPolicyDocs(
        [
          join(
            CORPUS,
            'k8s-objects/openshift__insights-operator/docs/insights-archive-sample/cluster-scoped-resources',
          ),
        ],
        '/',
      );
      expect(got.map((d) => (d.object as { metadata: { name: string } }).metadata.name).sort()).toEqual([
        'admin',
        'edit',
      ]);
      const binding = docs([crb('x', 'admin', [user('zed')])]);
      const asIs = buildRbacPolicySet([...got, ...binding]);
      expect(asIs.ignored).toEqual({ '(no kind)': 2 });
      expect(asIs.set.authorize(req({ username: 'zed', verb: 'delete' }))).toMatchObject({ result: 'undetermined' });

      const typed = got.map((d) => ({
        ...d,
        object: { apiVersion: V1, kind: 'ClusterRole', ...(d.object as object) },
      }));
      const withKind = buildRbacPolicySet([...typed, ...binding]);
      expect(withKind.issues).toEqual([]);
      expect(withKind.set.authorize(req({ username: 'zed', verb: 'delete' }))).toMatchObject({
        result: 'allow',
        grantedBy: { roleName: 'admin' },
      });
      expect(
        withKind.set.authorize(
          req({ username: 'zed', verb: 'escalate', apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' }),
        ).result,
      ).toBe('deny');
    },
  );
});
