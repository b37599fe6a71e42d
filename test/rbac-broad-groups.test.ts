import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readTree, tmp } from './helpers/cli.js';

/**
 * `--subject-kind group --include-system` makes a subject of every group a request carried. Kubernetes puts every
 * authenticated request in system:authenticated and every service account in system:serviceaccounts and
 * system:serviceaccounts:<namespace> (RBAC documentation, "Default roles and role bindings", "Service account
 * permissions"): a binding to one of those grants what any member did to every member, so they get none unless asked.
 */
let n = 0;
const event = (username: string, groups: string[], verb: string, resource: string, namespace: string, name = '') => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  stage: 'ResponseComplete',
  requestURI: `/api/v1/namespaces/${namespace}/${resource}${name ? `/${name}` : ''}`,
  verb,
  user: { username, groups },
  objectRef: { resource, namespace, ...(name ? { name } : {}), apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: `2026-11-02T08:00:${String(n).padStart(2, '0')}.000000Z`,
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
});
const SA = ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'];
const EVENTS = [
  event('system:serviceaccount:shop:cart', SA, 'get', 'secrets', 'shop', 'cart-db'),
  event('alice@acme.example', ['dev-team', 'system:authenticated'], 'delete', 'pods', 'shop', 'web-1'),
  event('root-admin', ['system:masters', 'system:authenticated'], 'get', 'configmaps', 'shop', 'flags'),
];
const dir = tmp('a2p-broad-');
const log = join(dir, 'audit.log');
writeFileSync(log, EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
const GROUPS = ['--subject-kind', 'group', '--include-system'];

describe('broad groups get no binding unless --include-broad-groups', () => {
  it('are left out and listed, each with why; the groups one lists are bound', () => {
    const out = join(dir, 'out');
    const g = cli(['generate', 'rbac', '--k8s-audit', log, ...GROUPS, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const files = Object.keys(readTree(join(out, 'rbac'))).sort();
    expect(files).toEqual(['shop/group.dev-team.yaml']);
    expect(g.stderr).toContain(
      'left out: Group system:authenticated (3 accesses): every authenticated user and service account is a member: a binding would grant them all what any member did; --include-broad-groups generates it',
    );
    expect(g.stderr).toContain('left out: Group system:serviceaccounts (1 access)');
    expect(g.stderr).toContain(
      'left out: Group system:serviceaccounts:shop (1 access): every service account of namespace shop is a member, those made later too',
    );
    expect(g.stderr).toContain(
      'left out: Group system:masters (1 access): its members pass every request before RBAC is asked: a binding restricts nothing',
    );
    // verify: what only a broad group was given is undetermined, not denied, and says why.
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', log, ...GROUPS, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { undetermined: { subject: string; detail: string }[]; notAllowed: [] };
    expect(report.notAllowed).toEqual([]);
    expect(new Set(report.undetermined.map((f) => f.subject))).toEqual(
      new Set(['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:shop', 'system:masters']),
    );
    for (const f of report.undetermined) expect(f.detail).toContain('--include-broad-groups');
  });

  it('--include-broad-groups binds them', () => {
    const out = join(dir, 'all');
    const g = cli(['generate', 'rbac', '--k8s-audit', log, ...GROUPS, '--include-broad-groups', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).not.toContain('left out: Group');
    expect(Object.keys(readTree(join(out, 'rbac'))).sort()).toEqual([
      'shop/group.dev-team.yaml',
      'shop/group.system~3Aauthenticated.yaml',
      'shop/group.system~3Amasters.yaml',
      'shop/group.system~3Aserviceaccounts.yaml',
      'shop/group.system~3Aserviceaccounts~3Ashop.yaml',
    ]);
  });
});
