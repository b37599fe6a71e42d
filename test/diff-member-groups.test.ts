import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { rbacSide } from './helpers/policySides.js';

// `diff` asks each grant of one side of the other as a request its subject would make. A User's or Group's request
// was asked with no groups, so a binding to `system:authenticated` on the other side never covered it: moving a
// role's subjects to every authenticated user read as removed access for each subject dropped, though the API server
// puts every user but `system:anonymous` in that group (kubernetes/apiserver, AuthenticatedGroupAdder). Found by
// test/diff-property.test.ts.

type Subject = { kind: 'User' | 'Group'; name: string };
const side = (subjects: Subject[], extra: object[] = []) => [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: 'shop' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'pod-readers', namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: subjects.map((s) => ({ ...s, apiGroup: 'rbac.authorization.k8s.io' })),
  },
  ...extra,
];
const user = (name: string): Subject => ({ kind: 'User', name });
const group = (name: string): Subject => ({ kind: 'Group', name });
const EVERYONE = group('system:authenticated');

type Out = Record<string, { principal: string; summary: string }[]>;
function diff(base: object[], head: object[]) {
  const r = cli(['diff', rbacSide(base), rbacSide(head), '--kind', 'rbac', '--format', 'json', '--fail-on', 'any']);
  const out = JSON.parse(r.stdout) as Out;
  const list = (k: string) => out[k]!.map((f) => `${f.principal}: ${f.summary}`);
  return {
    code: r.code,
    newAccess: list('newAccess'),
    removedAccess: list('removedAccess'),
    undetermined: list('undetermined'),
  };
}

describe('diff: a binding to system:authenticated covers every named user and every group but the anonymous', () => {
  it('dropping a user and a group beside system:authenticated changes no access', () => {
    const r = diff(side([user('alice@example.com'), group('devs'), EVERYONE]), side([EVERYONE]));
    expect(r).toEqual({ code: 0, newAccess: [], removedAccess: [], undetermined: [] });
  });

  it('widening a user’s binding to system:authenticated is new access for the group, nothing removed', () => {
    const r = diff(side([user('alice@example.com')]), side([EVERYONE]));
    expect(r).toEqual({
      code: 1,
      newAccess: ['system:authenticated: get pods in shop'],
      removedAccess: [],
      undetermined: [],
    });
    // The other way round, the user keeps the access and everyone else loses it.
    expect(diff(side([EVERYONE]), side([user('alice@example.com')])).removedAccess).toEqual([
      'system:authenticated: get pods in shop',
    ]);
  });

  it('the anonymous user and system:unauthenticated are not covered by it', () => {
    const r = diff(side([user('system:anonymous'), group('system:unauthenticated')]), side([EVERYONE]));
    expect(r.code).toBe(1);
    expect(r.removedAccess).toEqual(['system:anonymous: get pods in shop', 'system:unauthenticated: get pods in shop']);
  });

  it('a group’s discovery rule is the cluster’s default grant to every authenticated user: no change either way', () => {
    const discovery = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'api-discovery' },
        rules: [{ nonResourceURLs: ['/api', '/apis'], verbs: ['get'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'api-discovery' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'api-discovery' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
      },
    ];
    const r = diff(side([group('devs')], discovery), side([group('devs')]));
    expect(r).toEqual({ code: 0, newAccess: [], removedAccess: [], undetermined: [] });
  });
});
