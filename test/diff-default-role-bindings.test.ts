import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GRANTS } from '../src/knowledge/kubernetes/defaultGrants.js';
import { cli, tmp } from './helpers/cli.js';
import { rbacSide } from './helpers/policySides.js';

// Every cluster binds some bootstrap ClusterRoles to groups every caller is in: `system:public-info-viewer` to
// `system:authenticated` and `system:unauthenticated`, `system:basic-user` and `system:discovery` to
// `system:authenticated`, `system:service-account-issuer-discovery` to `system:serviceaccounts`. The API server's
// reconciliation at start only adds back what such a role lacks, so rules a tree adds to one stay, granted to those
// groups by a binding no tree holds. `diff` and `check` enumerated the bindings of the tree alone: a pull request
// redefining `system:public-info-viewer` with `get, list` on secrets (every anonymous caller reads every secret), or
// `system:basic-user` as `*` on `*`, reported "OK: 0 new access" and passed `--fail-on any`.

const RBAC = 'rbac.authorization.k8s.io';
const clusterRole = (name: string, rules: unknown[]) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const READER = [
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'shop' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'reader', namespace: 'shop' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
  },
];
const PUBLIC_INFO = [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }];
const SECRETS = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] };

type Finding = {
  principal: string;
  summary: string;
  risk?: { level: string; reasons: string[] };
  detail?: string;
  locations: { file: string; line: number }[];
};
type Out = Record<string, Finding[]>;
function diff(base: unknown[], head: unknown[], ...flags: string[]) {
  const args = ['diff', rbacSide(base), rbacSide(head), '--kind', 'rbac', '--format', 'json', ...flags];
  const r = cli(flags.includes('--fail-on') ? args : [...args, '--fail-on', 'any']);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}
const said = (fs: Finding[]) => fs.map((f) => `${f.principal}: ${f.summary} [${f.risk?.level ?? 'none'}]`);

describe('diff: a ClusterRole Kubernetes binds by default, redefined in the tree', () => {
  it('system:public-info-viewer with get, list secrets: new access for every caller, high, whatever --fail-on', () => {
    const head = [...READER, clusterRole('system:public-info-viewer', [...PUBLIC_INFO, SECRETS])];
    for (const failOn of ['any', 'risky', 'new-access']) {
      const r = diff(READER, head, '--fail-on', failOn);
      expect(r.code, failOn).toBe(1);
      // Only what the default role does not grant: its health URLs are no change.
      expect(said(r.out['newAccess']!)).toEqual([
        'system:authenticated: get, list secrets (cluster-wide) [high]',
        'system:unauthenticated: get, list secrets (cluster-wide) [high]',
      ]);
      expect(r.out['removedAccess']).toEqual([]);
    }
    const [authenticated, anonymous] = diff(READER, head).out['newAccess']!;
    expect(anonymous!.risk!.reasons).toEqual([
      'granted to system:unauthenticated: anyone who reaches the API server, without credentials',
      'reads secrets',
    ]);
    expect(authenticated!.risk!.reasons[0]).toBe('granted to system:authenticated: every user and service account');
    expect(anonymous!.detail).toContain(
      'ClusterRole system:public-info-viewer is one the cluster binds by default (ClusterRoleBinding system:public-info-viewer, to system:authenticated and system:unauthenticated)',
    );
    // Located at the secrets rule of the role, in HEAD's file.
    expect(anonymous!.locations[0]!.file).toMatch(/rbac\/all\.yaml$/);
    expect(anonymous!.locations[0]!.line).toBeGreaterThan(1);
  });

  it('system:basic-user as * on *: every authenticated user gains everything', () => {
    const head = [...READER, clusterRole('system:basic-user', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])];
    const r = diff(READER, head, '--fail-on', 'risky');
    expect(r.code).toBe(1);
    expect(said(r.out['newAccess']!)).toEqual(['system:authenticated: * *.* (cluster-wide) [high]']);
    expect(r.out['newAccess']![0]!.detail).toContain('ClusterRoleBinding system:basic-user, to system:authenticated');
    // Taken back out, the same is removed access.
    expect(said(diff(head, READER).out['removedAccess']!)).toEqual([
      'system:authenticated: * *.* (cluster-wide) [high]',
    ]);
  });

  it('every default-bound ClusterRole the knowledge lists: a rule added is new access for each of its groups, high', () => {
    for (const g of DEFAULT_GRANTS) {
      const extra = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
      const r = diff(READER, [...READER, clusterRole(g.clusterRole, [...g.rules, extra])], '--fail-on', 'risky');
      expect(r.code, g.clusterRole).toBe(1);
      expect(said(r.out['newAccess']!), g.clusterRole).toEqual(
        [...g.groups].sort().map((group) => `${group}: get configmaps (cluster-wide) [high]`),
      );
    }
  });

  it('the default rules as they are, or one redefinition on both sides, is no change', () => {
    const defaults = DEFAULT_GRANTS.map((g) => clusterRole(g.clusterRole, g.rules));
    expect(diff(READER, [...READER, ...defaults]).code).toBe(0);
    const wide = clusterRole('system:public-info-viewer', [SECRETS, ...PUBLIC_INFO]);
    const respelled = clusterRole('system:public-info-viewer', [
      ...PUBLIC_INFO,
      { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'get'] },
    ]);
    const r = diff([...READER, wide], [...READER, respelled]);
    expect([r.code, r.out['newAccess'], r.out['removedAccess'], r.out['undetermined']]).toEqual([0, [], [], []]);
  });

  it('a RoleBinding to the redefined role: its subject gains the rule in its namespace, every caller everywhere', () => {
    const head = [
      ...READER,
      clusterRole('system:basic-user', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }]),
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'bob-basic', namespace: 'shop' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:basic-user' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: 'bob' }],
      },
    ];
    const r = diff(READER, head, '--fail-on', 'risky');
    expect(r.code).toBe(1);
    expect(said(r.out['newAccess']!)).toEqual([
      'system:authenticated: list configmaps (cluster-wide) [high]',
      'bob: list configmaps in shop [none]',
    ]);
  });

  it('--no-default-grants (the cluster removed its default bindings): a redefined role binds no one', () => {
    const head = [...READER, clusterRole('system:public-info-viewer', [...PUBLIC_INFO, SECRETS])];
    const r = diff(READER, head, '--no-default-grants');
    expect([r.code, r.out['newAccess']]).toEqual([0, []]);
  });
});

describe('check: a redefined default-bound ClusterRole is granted to its groups', () => {
  it('what every anonymous caller may read and no one did is unused, high', () => {
    const dir = tmp();
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: 'a1b2c3d4-0000-0000-0000-000000000001',
        stage: 'ResponseComplete',
        requestURI: '/api/v1/namespaces/shop/configmaps/web-config',
        verb: 'get',
        user: { username: 'system:serviceaccount:shop:web', uid: 'u1', groups: ['system:serviceaccounts'] },
        sourceIPs: ['10.0.1.5'],
        objectRef: { resource: 'configmaps', namespace: 'shop', name: 'web-config', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 200 },
        requestReceivedTimestamp: '2026-11-02T10:00:00.000000Z',
        stageTimestamp: '2026-11-02T10:00:00.010000Z',
        annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
      }) + '\n',
    );
    const policies = rbacSide([...READER, clusterRole('system:public-info-viewer', [...PUBLIC_INFO, SECRETS])]);
    const r = cli(['check', '--policies', policies, '--k8s-audit', log, '--format', 'json', '--fail-on', 'unused']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as Out & { unusedShare: Record<string, number> };
    expect(said(out['unused']!.filter((f) => f.principal.startsWith('system:un')))).toEqual([
      'system:unauthenticated: get secrets (cluster-wide) [high]',
      'system:unauthenticated: list secrets (cluster-wide) [high]',
    ]);
    expect(out.unusedShare['system:unauthenticated']).toBe(1);
  });
});
