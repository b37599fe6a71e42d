import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// Security review of the day's CI-gate changes: committed policy files a pull request controls must not make `diff`
// report nothing for a real widening.

type Finding = { summary: string; principal: string; risk?: { level: string; reasons: string[] } };
type Out = { newAccess: Finding[]; removedAccess: Finding[]; undetermined: Finding[] };

function tree(files: Record<string, string>): string {
  const dir = tmp();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const yaml = (objects: unknown[]) => objects.map((o) => dump(o)).join('---\n');

// ---- an aggregationRule added to a ClusterRole --------------------------------------------------------------------

const READER_RULES = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
const role = (aggregationRule?: unknown) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'app-reader' },
  ...(aggregationRule ? { aggregationRule } : {}),
  rules: READER_RULES,
});
const BINDING = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'app-reader' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'app-reader' },
  subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
};
const TO_ADMIN = {
  clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }],
};

function rbacDiff(base: unknown[], head: unknown[], failOn = 'any') {
  const b = tree({ 'rbac/all.yaml': yaml(base) });
  const h = tree({ 'rbac/all.yaml': yaml(head) });
  const r = cli(['diff', b, h, '--kind', 'rbac', '--format', 'json', '--fail-on', failOn, '-q']);
  expect(r.stderr).toBe('');
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

describe('diff: a ClusterRole that gains or changes an aggregationRule', () => {
  // In a cluster the aggregation controller overwrites the role's rules with those of every ClusterRole its selectors
  // match (`aggregate-to-admin` gathers edit, view and every operator's admin rules): app-reader becomes admin
  // cluster-wide. Its sources are not among the files, so the evaluator kept its written rules on both sides and the
  // diff said nothing under --fail-on any.
  it('an aggregationRule selecting the default roles added to a bound role is high-risk new access', () => {
    const r = rbacDiff([role(), BINDING], [role(TO_ADMIN), BINDING]);
    expect(r.code).toBe(1);
    expect(r.out.newAccess.map((f) => [f.principal, f.risk?.level])).toEqual([
      ['every subject bound to ClusterRole app-reader', 'high'],
    ]);
    expect(r.out.newAccess[0]!.summary).toBe(
      'ClusterRole app-reader aggregates the ClusterRoles its aggregationRule selects: rbac.authorization.k8s.io/aggregate-to-admin=true',
    );
    expect(r.out.newAccess[0]!.risk!.reasons[0]).toContain(
      'every subject bound to it gains the rules of every ClusterRole of the cluster those selectors match',
    );
  });

  it('an empty selector (every ClusterRole, cluster-admin included) is named as such', () => {
    const r = rbacDiff([role(), BINDING], [role({ clusterRoleSelectors: [{}] }), BINDING]);
    expect(r.code).toBe(1);
    expect(r.out.newAccess.map((f) => f.summary)).toEqual([
      'ClusterRole app-reader aggregates the ClusterRoles its aggregationRule selects: every ClusterRole',
    ]);
  });

  it('a selector changed is new access on HEAD and removed on BASE; the same rule both sides, nothing', () => {
    const toView = {
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
    };
    const changed = rbacDiff([role(toView), BINDING], [role(TO_ADMIN), BINDING], 'any');
    expect(changed.code).toBe(1);
    expect(changed.out.newAccess.map((f) => f.summary)).toEqual([
      'ClusterRole app-reader aggregates the ClusterRoles its aggregationRule selects: rbac.authorization.k8s.io/aggregate-to-admin=true',
    ]);
    expect(changed.out.removedAccess.map((f) => f.summary)).toEqual([
      'ClusterRole app-reader aggregates the ClusterRoles its aggregationRule selects: rbac.authorization.k8s.io/aggregate-to-view=true',
    ]);
    // Selectors and expressions in another order are the same rule.
    const exprs = (values: string[]) => ({
      clusterRoleSelectors: [
        { matchExpressions: [{ key: 'team', operator: 'In', values }] },
        { matchLabels: { b: '2', a: '1' } },
      ],
    });
    const reordered = {
      clusterRoleSelectors: [
        { matchLabels: { a: '1', b: '2' } },
        { matchExpressions: [{ key: 'team', operator: 'In', values: ['y', 'x'] }] },
      ],
    };
    const same = rbacDiff([role(exprs(['x', 'y'])), BINDING], [role(reordered), BINDING], 'any');
    expect(same.code).toBe(0);
    expect(same.out.newAccess).toEqual([]);
    expect(same.out.removedAccess).toEqual([]);
  });
});

// ---- kustomizations the reader did not see, or whose resources it did not read ------------------------------------

const POLICY = yaml([role(), BINDING]);
const PATCH = 'patches:\n  - path: wider.yaml\n';

function gate(headFiles: Record<string, string>) {
  const b = tree({ 'rbac/all.yaml': POLICY });
  const h = tree({ 'rbac/all.yaml': POLICY, ...headFiles });
  return { head: h, r: cli(['diff', b, h, '--kind', 'rbac', '--fail-on', 'any']) };
}

describe('diff: kustomizations that change or add objects the files do not show', () => {
  it('kind: Kustomization without apiVersion (kustomize defaults it) is read as one', () => {
    const { head, r } = gate({
      'overlay/kustomization.yaml': `kind: Kustomization\nresources:\n  - ../rbac\n${PATCH}`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(head, 'overlay/kustomization.yaml')}:1: policy.kustomize-transform: a kustomization with patches`,
    );
  });

  it('a kustomization file named Kustomization (no extension, as kustomize accepts) is read', () => {
    const { head, r } = gate({ 'overlay/Kustomization': `resources:\n  - ../rbac\n${PATCH}` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(head, 'overlay/Kustomization')}:1: policy.kustomize-transform`);
  });

  it('buildMetadata (managedByLabel adds a label that an aggregationRule may select) is a transform', () => {
    const { r } = gate({ 'kustomization.yaml': 'resources:\n  - rbac/all.yaml\nbuildMetadata: [managedByLabel]\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.kustomize-transform: a kustomization with buildMetadata');
  });

  it('resources (or bases) the policies given do not hold, a remote base among them, are an issue', () => {
    // `rbac` is a directory among the files, but without a kustomization kustomize cannot build it: not what was read.
    const remote = 'https://github.com/example/rbac//cluster-admin?ref=main';
    const { head, r } = gate({
      'kustomization.yaml': `resources:\n  - rbac/all.yaml\n  - ${remote}\n  - ../elsewhere\n  - rbac\n  - rbac/more.txt\nbases:\n  - github.com/example/base\n`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(head, 'kustomization.yaml')}:1: policy.kustomize-unread: a kustomization lists resources that are not among the policies given: ${JSON.stringify(remote)}, "../elsewhere", "rbac", "rbac/more.txt", "github.com/example/base"`,
    );
  });

  it('resources that are files read, or directories whose kustomization was read, are no issue', () => {
    const { r } = gate({
      'kustomization.yaml': 'resources:\n  - rbac/all.yaml\n  - ./extra\n  - extra/\n',
      'extra/kustomization.yaml': 'resources:\n  - ../rbac/all.yaml\n',
    });
    expect(r.stderr).not.toContain('policy.kustomize');
    expect(r.code).toBe(0);
  });
});
