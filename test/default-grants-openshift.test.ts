// OpenShift binds its own default ClusterRoles to every user (openshift-apiserver pkg/bootstrappolicy): `oc whoami`,
// `oc projects`, `oc new-project` and `oc logout` need no binding there. Their rules are on OpenShift's own API groups,
// so a request for them says by itself that the cluster is OpenShift: generate leaves them to the cluster and the
// evaluator allows them, as for Kubernetes' own defaults (ADR 0013); everything else still gets its rule.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

const OAUTH_GROUPS = ['system:authenticated:oauth', 'system:authenticated'];

let n = 0;
function event(verb: string, uri: string, objectRef?: Record<string, string>) {
  n++;
  const at = `2026-11-02T10:00:${String(n).padStart(2, '0')}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `0c000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: uri,
    verb,
    user: { username: 'alice', uid: 'u-1', groups: OAUTH_GROUPS, extra: { 'scopes.authorization.openshift.io': [] } },
    sourceIPs: ['10.0.0.5'],
    userAgent: 'oc/4.17.0 (linux/amd64) kubernetes/abcdef0',
    ...(objectRef ? { objectRef } : {}),
    responseStatus: { metadata: {}, code: verb === 'create' ? 201 : 200 },
    requestReceivedTimestamp: `${at}.000000Z`,
    stageTimestamp: `${at}.010000Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

/** An OpenShift user's session with oc: who am I, my projects, a new project, its pods, log out. */
function log(extra: Record<string, unknown>[] = []): string {
  const events = [
    ...extra,
    event('get', '/apis/user.openshift.io/v1/users/~', {
      resource: 'users',
      name: '~',
      apiGroup: 'user.openshift.io',
      apiVersion: 'v1',
    }),
    event('list', '/apis/project.openshift.io/v1/projects', {
      resource: 'projects',
      apiGroup: 'project.openshift.io',
      apiVersion: 'v1',
    }),
    event('create', '/apis/project.openshift.io/v1/projectrequests', {
      resource: 'projectrequests',
      apiGroup: 'project.openshift.io',
      apiVersion: 'v1',
    }),
    event('get', '/apis/project.openshift.io/v1/projects/shop', {
      resource: 'projects',
      name: 'shop',
      apiGroup: 'project.openshift.io',
      apiVersion: 'v1',
    }),
    event('list', '/api/v1/namespaces/shop/pods?limit=500', { resource: 'pods', namespace: 'shop', apiVersion: 'v1' }),
    event('delete', '/apis/oauth.openshift.io/v1/oauthaccesstokens/sha256~abc', {
      resource: 'oauthaccesstokens',
      name: 'sha256~abc',
      apiGroup: 'oauth.openshift.io',
      apiVersion: 'v1',
    }),
  ];
  const file = join(tmp('os-defaults-'), 'audit.log');
  events.sort((a, b) => (String(a['requestReceivedTimestamp']) < String(b['requestReceivedTimestamp']) ? -1 : 1));
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

const yamlOf = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.yaml'))
    .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))
    .sort()
    .join('\n---\n');

describe("OpenShift's default grants", () => {
  const audit = log();

  it('generate writes rules for the project it reads and its pods, and leaves oc whoami, projects, new-project, logout', () => {
    const out = tmp('os-out-');
    const g = cli(['generate', 'rbac', '--k8s-audit', audit, '--subject-kind', 'User', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const yaml = yamlOf(join(out, 'rbac'));
    for (const kept of ['- projects', '- shop', '- pods']) expect(yaml).toContain(kept);
    for (const left of ['- users', '- projectrequests', '- oauthaccesstokens']) expect(yaml).not.toContain(left);
    expect(g.stderr).toContain(
      "left to the cluster's default grants: 4 accesses of 1 subject (basic-user: get users.user.openshift.io ~ " +
        '(cluster-wide), list projects.project.openshift.io (cluster-wide); self-provisioner: create ' +
        'projectrequests.project.openshift.io (cluster-wide); system:oauth-token-deleter: delete ' +
        "oauthaccesstokens.oauth.openshift.io sha256~abc (cluster-wide)), which every cluster with Kubernetes' and " +
        "OpenShift's default bindings allows",
    );

    // verify: every observed request allowed, four of them by the defaults.
    const v = cli(['verify', '--k8s-audit', audit, '--subject-kind', 'User', '--policies', out, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as {
      byKind: { rbac: { allowed: number; observed: number; byDefaultGrants: number } };
    };
    expect(report.byKind.rbac).toMatchObject({ observed: 6, allowed: 6, byDefaultGrants: 4 });
  });

  it('--no-default-grants writes them too', () => {
    const out = tmp('os-out-');
    const g = cli([
      'generate',
      'rbac',
      '--k8s-audit',
      audit,
      '--subject-kind',
      'User',
      '--no-default-grants',
      '-o',
      out,
    ]);
    expect(g.code, g.stderr).toBe(0);
    const yaml = yamlOf(join(out, 'rbac'));
    for (const r of ['users', 'projectrequests', 'oauthaccesstokens']) expect(yaml).toContain(`- ${r}`);
    expect(g.stderr).not.toContain('default grants');
  });
});

describe('the report on OpenShift: SCCs are granted outside what the logs show', () => {
  const deployer = {
    ...event('create', '/apis/apps/v1/namespaces/shop/deployments', {
      resource: 'deployments',
      namespace: 'shop',
      apiGroup: 'apps',
      apiVersion: 'v1',
    }),
    user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] },
  };

  it('names the principals that wrote pods or workloads, and says why their SCC is not in the policy', () => {
    const out = join(tmp('os-report-'), 'report.md');
    const r = cli(['report', '--k8s-audit', log([deployer]), '--subject-kind', 'ServiceAccount,User', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    // Markdown escapes parentheses and the star, and puts names with colons in code spans.
    expect(md).toContain('OpenShift \\(requests to \\*.openshift.io groups were answered\\)');
    expect(md).toMatch(/system:serviceaccount:ci:deployer[ `]* wrote pods or workloads/);
    expect(md).toContain('the generated RBAC grants no SCC');
  });

  it('says nothing of SCCs where no OpenShift group was answered', () => {
    const out = join(tmp('os-report-'), 'report.md');
    const plain = join(tmp('os-plain-'), 'audit.log');
    writeFileSync(plain, JSON.stringify(deployer) + '\n');
    const r = cli(['report', '--k8s-audit', plain, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('deployments');
    expect(md).not.toContain('SecurityContextConstraints');
  });
});
