import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, readTree, ROOT, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');
const counts = JSON.parse(readFileSync(join(DEMO, 'counts.json'), 'utf8')) as {
  records: number;
  files: { path: string; events: number }[];
  subjects: Record<string, { records: number; denied: number }>;
};

describe('the demo environment', () => {
  it('is exactly what the seeded generator writes', () => {
    const out = tmp();
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-demo.js'), out]);
    expect(r.status).toBe(0);
    const want = readTree(DEMO);
    delete want['README.md'];
    expect(readTree(out)).toEqual(want);
  });

  it('profiles to the documented records, principals and denials, and its generated RBAC verifies', () => {
    const out = tmp();
    const p = cli(['profile', '--k8s-audit', join(DEMO, 'k8s-audit'), '-o', join(out, 'p.json')]);
    expect(p.code).toBe(0);
    expect(p.stderr).not.toMatch(/input issue/);
    const profile = JSON.parse(readFileSync(join(out, 'p.json'), 'utf8'));
    const read = Object.fromEntries(profile.sources.map((s: { path: string; records: number }) => [s.path.slice(join(DEMO, 'k8s-audit').length + 1), s.records]));
    expect(read).toEqual(Object.fromEntries(counts.files.map((f) => [f.path, f.events])));
    const system = Object.entries(counts.subjects).filter(([u]) => /^system:(kube-|node:|apiserver|serviceaccount:kube-system:)/.test(u));
    expect(profile.skipped).toEqual({ 'system-identity': system.reduce((n, [, c]) => n + c.records, 0) });
    expect(profile.principals.map((x: { username: string }) => x.username).sort()).toEqual(Object.keys(counts.subjects).filter((u) => !system.some(([s]) => s === u)).sort());
    const deniedEdges = profile.principals.flatMap((x: { k8s: { denied?: unknown; allowed?: unknown }[] }) => x.k8s.filter((e) => e.denied && !e.allowed));
    expect(deniedEdges).toHaveLength(Object.values(counts.subjects).reduce((n, c) => n + c.denied, 0));

    expect(cli(['generate', 'rbac', '--profile', join(out, 'p.json'), '-o', out, '-q']).code).toBe(0);
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', join(DEMO, 'k8s-audit'), '--format', 'json']);
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.notAllowed).toEqual([]);
    expect(report.allowed).toBe(report.observed);
    expect(report.denied).toHaveLength(3);
  });

  it('its CloudTrail profiles to the documented records, roles, links and denials', () => {
    const ct = JSON.parse(readFileSync(join(DEMO, 'cloudtrail-counts.json'), 'utf8')) as { records: number; files: { path: string; events: number }[]; principals: Record<string, { records: number; denied: number }> };
    const out = tmp();
    const p = cli(['profile', '--cloudtrail', join(DEMO, 'cloudtrail'), '-o', join(out, 'p.json')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/input issue/);
    const profile = JSON.parse(readFileSync(join(out, 'p.json'), 'utf8'));
    const read = Object.fromEntries(profile.sources.map((s: { path: string; records: number }) => [s.path.slice(join(DEMO, 'cloudtrail').length + 1), s.records]));
    expect(read).toEqual(Object.fromEntries(ct.files.map((f) => [f.path, f.events])));
    expect(profile.sources.every((s: { format: string }) => s.format === 'cloudtrail')).toBe(true);
    const roles = Object.keys(ct.principals).filter((k) => k.startsWith('arn:'));
    expect(profile.principals.filter((x: { subject: { kind: string } }) => x.subject.kind === 'IAMRole').map((x: { username: string }) => x.username).sort()).toEqual(roles.sort());
    expect(profile.skipped['aws-service']).toBe(ct.principals['service:autoscaling.amazonaws.com']!.records);
    const links = profile.principals.flatMap((x: { username: string; assumes?: { roleArn: string; via: string; evidence: { count: number } }[] }) => (x.assumes ?? []).map((l) => [x.username, l.roleArn, l.via, l.evidence.count]));
    expect(links).toEqual([
      ['system:serviceaccount:ci:deployer', 'arn:aws:iam::111122223333:role/ci/ci-deployer', 'irsa', ct.principals['web-identity:system:serviceaccount:ci:deployer']!.records],
      ['system:serviceaccount:ops:backup', 'arn:aws:iam::111122223333:role/ops-backup', 'irsa', ct.principals['web-identity:system:serviceaccount:ops:backup']!.records],
      ['system:serviceaccount:payments:payments-api', 'arn:aws:iam::111122223333:role/payments-api', 'pod-identity', ct.principals['service:pods.eks.amazonaws.com']!.records],
      ['system:serviceaccount:shop:cart', 'arn:aws:iam::111122223333:role/shop-cart', 'irsa', ct.principals['web-identity:system:serviceaccount:shop:cart']!.records],
    ]);
    const denied = profile.principals.flatMap((x: { aws?: { denied?: { count: number } }[] }) => (x.aws ?? []).filter((e) => e.denied)).reduce((n: number, e: { denied: { count: number } }) => n + e.denied.count, 0);
    expect(denied).toBe(Object.values(ct.principals).reduce((n, c) => n + c.denied, 0));
  });

  it('its flows profile to the documented records per file, against its inventory', () => {
    const fc = JSON.parse(readFileSync(join(DEMO, 'flows-counts.json'), 'utf8')) as { files: { path: string; records: number }[] };
    const out = tmp();
    const p = cli(['profile', '--flows', join(DEMO, 'flows'), '--inventory', join(DEMO, 'inventory'), '-o', join(out, 'p.json')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/issue/);
    const profile = JSON.parse(readFileSync(join(out, 'p.json'), 'utf8'));
    const read = Object.fromEntries(profile.sources.map((s: { path: string; records: number }) => [s.path.slice(join(DEMO, 'flows').length + 1), s.records]));
    expect(read).toEqual(Object.fromEntries(fc.files.map((f) => [f.path, f.records])));
    // Every workload of the README's table is in the profile, with the inventory's selector.
    const names = profile.workloads.map((w: { namespace: string; name: string }) => `${w.namespace}/${w.name}`);
    for (const w of ['shop/web', 'shop/cart', 'payments/payments-api', 'monitoring/pod-watcher', 'ci/job-runner', 'ci/deploy', 'ops/cert-operator', 'ops/backup']) expect(names).toContain(w);
    expect(profile.workloads.every((w: { source: string }) => w.source === 'inventory')).toBe(true);
  });

  it('generated policies deny what the soak never did', () => {
    const out = tmp();
    expect(cli(['generate', 'rbac', '--k8s-audit', join(DEMO, 'k8s-audit'), '-o', out, '-q']).code).toBe(0);
    const [roleDoc] = readFileSync(join(out, 'rbac/shop/serviceaccount.shop.web.yaml'), 'utf8').split(/^---\n/m);
    const rules = (load(roleDoc!) as { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] }).rules;
    expect(rules.filter((r) => r.resources.includes('secrets'))).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['web-tls'], verbs: ['get'] }]);
    const probe = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'x', stage: 'ResponseComplete', verb: 'list', user: { username: 'system:serviceaccount:shop:web' }, objectRef: { resource: 'secrets', namespace: 'shop' }, responseStatus: { code: 200 }, requestReceivedTimestamp: '2026-11-09T00:00:00.000000Z' });
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', '-', '--format', 'json'], { input: probe + '\n' });
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).notAllowed).toMatchObject([{ subject: 'system:serviceaccount:shop:web', access: { verb: 'list', resource: 'secrets', namespace: 'shop' } }]);
  });
});
