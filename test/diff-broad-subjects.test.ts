import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { rbacSide } from './helpers/policySides.js';

// A grant's risk came from what it grants alone (the catalogue: secrets, workloads, wildcards...), not from whom it
// reaches: binding `system:unauthenticated` (anyone who reaches the API server) or `system:authenticated` (every user
// and service account) to read ConfigMaps cluster-wide had no risk, and passed `diff --fail-on risky`.

const RBAC = 'rbac.authorization.k8s.io';
const side = (subject: { kind: string; name: string }) => [
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'config-reader' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'config-readers' },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'config-reader' },
    subjects: [{ apiGroup: subject.kind === 'ServiceAccount' ? '' : RBAC, namespace: 'shop', ...subject }],
  },
];

type Finding = { principal: string; summary: string; risk?: { level: string; reasons: string[] } };
function diff(base: unknown[], head: unknown[]) {
  const r = cli(['diff', rbacSide(base), rbacSide(head), '--kind', 'rbac', '--format', 'json', '--fail-on', 'risky']);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, newAccess: (JSON.parse(r.stdout) as Record<string, Finding[]>)['newAccess']! };
}
const WEB = { kind: 'ServiceAccount', name: 'web' };

describe('diff: a grant to a group every caller is in is high risk, whatever it grants', () => {
  it.each([
    ['Group', 'system:unauthenticated', 'anyone who reaches the API server, without credentials'],
    ['User', 'system:anonymous', 'anyone who reaches the API server, without credentials'],
    ['Group', 'system:authenticated', 'every user and service account'],
    ['Group', 'system:serviceaccounts', "every service account of the cluster, so any pod's token"],
    ['Group', 'system:authenticated:oauth', "every user OpenShift's OAuth server signs in"],
  ])('%s %s', (kind, name, who) => {
    const r = diff(side(WEB), side({ kind, name }));
    expect(r.code).toBe(1);
    expect(r.newAccess.map((f) => [f.principal, f.summary, f.risk])).toEqual([
      [name, 'get, list configmaps (cluster-wide)', { level: 'high', reasons: [`granted to ${name}: ${who}`] }],
    ]);
  });

  it('a service account, a user, a namespace of service accounts: the grant alone decides (none here)', () => {
    for (const subject of [
      { kind: 'User', name: 'alice@example.com' },
      { kind: 'Group', name: 'system:serviceaccounts:shop' },
    ]) {
      const r = diff(side(WEB), side(subject));
      expect(r.code, subject.name).toBe(0);
      expect(r.newAccess.map((f) => [f.principal, f.risk])).toEqual([[subject.name, undefined]]);
    }
  });
});
