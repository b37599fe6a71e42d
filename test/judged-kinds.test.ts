import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';

/**
 * verify, check and backtest judge a kind only when both its policies and its observations are given:
 * a kind with one side missing is "not judged", never denied or unused (the README's own
 * `verify --policies out/rbac` used to exit 1 on IAM, and a Kubernetes-only drift gate reported every
 * IAM grant unused).
 */
const DEMO = join(ROOT, 'fixtures/demo');
const base = tmp();
const profile = join(base, 'profile.json');
const out = join(base, 'out');
const sources = ['--k8s-audit', join(DEMO, 'k8s-audit'), '--cloudtrail', join(DEMO, 'cloudtrail')];
const made = [
  cli(['profile', ...sources, '--flows', join(DEMO, 'flows'), '--inventory', join(DEMO, 'inventory'), '-o', profile]),
  cli(['generate', 'all', '--profile', profile, '-o', out, '-q']),
];

describe('a kind is judged only when both sides are given', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  it('verify with RBAC policies alone: exit 0, IAM and NetworkPolicy not judged', () => {
    const r = cli(['verify', '--policies', join(out, 'rbac'), '--profile', profile]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^OK: (\d+) of \1 observed accesses allowed \(rbac \d+\/\d+\)$/);
    expect(r.stdout).toContain('not judged: iam (no IAM policies given), netpol (no NetworkPolicies given)');
    const j = JSON.parse(
      cli(['verify', '--policies', join(out, 'rbac'), '--profile', profile, '--format', 'json']).stdout,
    );
    expect(Object.keys(j.byKind)).toEqual(['rbac']);
    expect(j.notJudged).toEqual({ iam: 'no IAM policies given', netpol: 'no NetworkPolicies given' });
  });

  it('verify --kind narrows to the kinds named', () => {
    const r = cli(['verify', '--policies', out, '--profile', profile, '--kind', 'iam', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).byKind)).toEqual(['iam']);
    expect(cli(['verify', '--policies', out, '--profile', profile, '--kind', 'gcp']).stderr).toMatch(
      /--kind: unknown kind "gcp" \(choose from rbac, iam, netpol\)/,
    );
  });

  it('verify with nothing in scope exits 2 and says which side is missing', () => {
    const r = cli(['verify', '--policies', join(out, 'iam'), '--k8s-audit', join(DEMO, 'drift')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to verify: .*iam \(no CloudTrail calls in scope\)/);
  });

  it('a Kubernetes-only drift gate judges RBAC and leaves IAM and NetworkPolicy grants alone', () => {
    const r = cli(['check', '--policies', out, '--k8s-audit', join(DEMO, 'drift'), '--format', 'json']);
    expect(r.code).toBe(1); // the drift day's one new call
    const j = JSON.parse(r.stdout);
    expect(j.wouldDeny).toHaveLength(1);
    expect(j.unused.length).toBeGreaterThan(0);
    expect(j.unused.every((f: { kind: string }) => f.kind === 'rbac')).toBe(true);
    expect(j.notJudged).toEqual({ iam: 'no CloudTrail calls in scope', netpol: 'no flows in scope' });
    const t = cli(['check', '--policies', out, '--k8s-audit', join(DEMO, 'drift')]);
    expect(t.stdout.split('\n').slice(0, 2).join('\n')).toMatch(
      /\(rbac\)\nnot judged: iam \(no CloudTrail calls in scope\), netpol \(no flows in scope\)/,
    );
  });
});
