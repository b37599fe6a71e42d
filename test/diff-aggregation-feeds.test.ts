import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { rbacSide } from './helpers/policySides.js';

// Kubernetes' default roles `admin`, `edit` and `view` are aggregated: a ClusterRole labelled
// `rbac.authorization.k8s.io/aggregate-to-view: "true"` adds its rules to `view`, and so to every subject bound to
// it, though no binding names the new ClusterRole. `diff` enumerates the grants of bindings, so a pull request adding
// `get secrets` to `view` through a label was reported as nothing and passed `--fail-on any`.

const READER = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'shop' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'reader', namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
  },
];
const feed = (into: string, rules: unknown[], name = 'secrets-viewer') => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels: { [`rbac.authorization.k8s.io/aggregate-to-${into}`]: 'true' } },
  rules,
});
const SECRETS = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }];

type Finding = {
  summary: string;
  principal: string;
  risk?: { level: string; reasons: string[] };
  locations: { file: string; line: number }[];
};
type Out = Record<string, Finding[]>;
function diff(base: unknown[], head: unknown[], failOn: string) {
  const r = cli(['diff', rbacSide(base), rbacSide(head), '--kind', 'rbac', '--format', 'json', '--fail-on', failOn]);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

describe('diff: a ClusterRole that extends a default role through its aggregate-to label', () => {
  it('adding get/list secrets to view is new access for everyone bound to view, high risk', () => {
    for (const failOn of ['any', 'risky', 'new-access']) {
      const r = diff(READER, [...READER, feed('view', SECRETS)], failOn);
      expect(r.code, failOn).toBe(1);
      expect(r.out['newAccess']!.map((f) => [f.principal, f.summary, f.risk?.level])).toEqual([
        [
          'every subject bound to ClusterRole view',
          'ClusterRole secrets-viewer aggregates into ClusterRole view (not among the policies given): get, list secrets',
          'high',
        ],
      ]);
      expect(r.out['newAccess']![0]!.risk!.reasons[0]).toContain(
        "extends ClusterRole view, one of Kubernetes' default roles through its labels: every subject bound to it gains these rules, though no binding names secrets-viewer",
      );
      // Located at its rule in HEAD's file.
      expect(r.out['newAccess']![0]!.locations[0]!.line).toBeGreaterThan(1);
    }
  });

  it('the same feed on both sides is nothing, whatever the order of its rules and lists', () => {
    const rules = [
      { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
    ];
    const reordered = [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
    ];
    const r = diff([...READER, feed('edit', rules)], [...READER, feed('edit', reordered)], 'any');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
    expect(r.out['removedAccess']).toEqual([]);
  });

  it('a feed widened on HEAD (a verb added) is new access; dropped on HEAD, removed access', () => {
    const wider = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }];
    const widened = diff([...READER, feed('admin', SECRETS)], [...READER, feed('admin', wider)], 'any');
    expect(widened.code).toBe(1);
    expect(widened.out['newAccess']!.map((f) => f.summary)).toEqual([
      // What HEAD adds to what BASE fed in.
      'ClusterRole secrets-viewer aggregates into ClusterRole admin (not among the policies given): watch secrets',
    ]);
    const dropped = diff([...READER, feed('view', SECRETS)], READER, 'removed-access');
    expect(dropped.code).toBe(1);
    expect(dropped.out['removedAccess']!.map((f) => f.principal)).toEqual(['every subject bound to ClusterRole view']);
    expect(dropped.out['newAccess']).toEqual([]);
  });

  it('a feed into an aggregated role that is given: a change of its own, and its grants where BASE knew the role', () => {
    const aggregated = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'team-view' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-team-view': 'true' } }],
      },
      rules: [],
    };
    const bound = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'team-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'team-view' },
      subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
    };
    const source = (name: string, rules: unknown[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { 'example.com/aggregate-to-team-view': 'true' } },
      rules,
    });
    const pods = source('pods-viewer', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    const secrets = source('secrets-viewer', SECRETS);
    // BASE holds the role's one source: its rules are known, and HEAD's new source shows through the binding too.
    const known = diff([...READER, aggregated, bound, pods], [...READER, aggregated, bound, pods, secrets], 'any');
    expect(known.code).toBe(1);
    expect(known.out['newAccess']!.map((f) => [f.principal, f.risk?.level])).toEqual([
      ['every subject bound to ClusterRole team-view', 'high'],
      ['system:serviceaccount:shop:web', 'high'],
    ]);
    expect(known.out['newAccess']![0]!.summary).toBe(
      'ClusterRole secrets-viewer aggregates into ClusterRole team-view: get, list secrets',
    );
    // BASE holds none of its sources: its bindings are only undetermined, and the feed is what says it changed.
    const unknown = diff([...READER, aggregated, bound], [...READER, aggregated, bound, secrets], 'any');
    expect(unknown.code).toBe(1);
    expect(unknown.out['newAccess']!.map((f) => f.principal)).toEqual(['every subject bound to ClusterRole team-view']);
  });

  it('a label that is not "true", or another label, feeds nothing', () => {
    const notTrue = {
      ...feed('view', SECRETS),
      metadata: { name: 'x', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'false' } },
    };
    const other = { ...feed('view', SECRETS), metadata: { name: 'y', labels: { app: 'view' } } };
    const r = diff(READER, [...READER, notTrue, other], 'any');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
  });
});
