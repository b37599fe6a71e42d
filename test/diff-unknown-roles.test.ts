import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { rbacSide } from './helpers/policySides.js';

// `diff` of a binding to a role whose rules are not among the policies given (a built-in such as cluster-admin, an
// aggregated role without its sources). It was only "undetermined", which no --fail-on fails on: a pull request binding
// a service account to cluster-admin passed `--fail-on any` and `--fail-on risky`.

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
const binding = (kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, role: string, namespace?: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
});
type Out = Record<string, { summary: string; risk?: { level: string; reasons: string[] } }[]>;
function diff(base: unknown[], head: unknown[], failOn: string) {
  const r = cli(['diff', rbacSide(base), rbacSide(head), '--kind', 'rbac', '--format', 'json', '--fail-on', failOn]);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

describe('diff: a binding to a role whose rules are not given', () => {
  it('binding a service account to cluster-admin is new access, high risk, failing risky and any', () => {
    for (const failOn of ['risky', 'any', 'new-access']) {
      const r = diff(READER, [...READER, binding('ClusterRoleBinding', 'oops', 'cluster-admin')], failOn);
      expect(r.code, failOn).toBe(1);
      expect(r.out['newAccess']!.map((f) => [f.summary, f.risk?.level, f.risk?.reasons])).toEqual([
        [
          'ClusterRoleBinding oops binds ClusterRole cluster-admin cluster-wide: ClusterRole cluster-admin is not among the policies given',
          'high',
          ['binds a role whose rules are not known: every permission'],
        ],
      ]);
      expect(r.out['undetermined']).toEqual([]);
    }
  });

  it('a RoleBinding to the built-in edit that BASE had and HEAD drops is removed access', () => {
    const r = diff([...READER, binding('RoleBinding', 'edit', 'edit', 'shop')], READER, 'removed-access');
    expect(r.code).toBe(1);
    expect(r.out['removedAccess']!.map((f) => f.summary)).toEqual([
      'RoleBinding shop/edit binds ClusterRole edit in shop: ClusterRole edit is not among the policies given',
    ]);
  });

  it('the same subject bound to the same role on both sides (the binding renamed) stays undetermined', () => {
    const r = diff(
      [...READER, binding('ClusterRoleBinding', 'view', 'view')],
      [...READER, binding('ClusterRoleBinding', 'view-renamed', 'view')],
      'any',
    );
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
    expect(r.out['removedAccess']).toEqual([]);
    expect(r.out['undetermined']!.length).toBe(2);
  });
});
