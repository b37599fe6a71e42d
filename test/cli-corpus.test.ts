import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, CORPUS, HAS_CORPUS, readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const K8S = join(CORPUS, 'k8s-audit');

function corpusLines(): string[] {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith('.md'))
        lines.push(
          ...readFileSync(p, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== ''),
        );
    }
  };
  walk(K8S);
  return lines;
}

describe.skipIf(!HAS_CORPUS)('the real-log corpus, end to end', () => {
  it('generate rbac succeeds, reports the malformed falco file, and verify allows every authorized request', () => {
    const out = tmp();
    const g = cli(['generate', 'rbac', '--k8s-audit', K8S, '-o', out]);
    expect(g.code).toBe(0);
    expect(g.stdout).toBe('');
    expect(g.stderr).toMatch(/1 input issue/);
    expect(g.stderr).toMatch(/fal_01_003\.json:1: k8s\.wrong-kind/);
    expect(g.stderr).toMatch(/left out of scope: system-identity \d+/);

    const v = cli(['verify', '--policies', out, '--k8s-audit', K8S, '--on-error', 'skip', '--format', 'json']);
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.observed).toBeGreaterThanOrEqual(50);
    // OpenShift's installer admin (falco's corpus: 794 records) is a control plane identity, left out like the rest.
    expect(report.skipped['system-identity']).toBeGreaterThanOrEqual(794 + 12);
    const all = cli(['profile', '--k8s-audit', K8S, '--on-error', 'skip', '--include-system', '-q']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('"username":"system:admin"');
    // An anonymous request (a cluster that let system:anonymous create a namespace) gets no binding by default:
    // listed by generate, undetermined in verify.
    expect(g.stderr).toMatch(/left out: User system:anonymous \(1 access\)/);
    expect(report.undetermined.map((f: { subject: string }) => f.subject)).toEqual(['system:anonymous']);
    expect(report.allowed).toBe(report.observed - 1);
    expect(report.notAllowed).toEqual([]);
    // Bob's discovery (kubectl's, 23 URLs) gets no rule: the cluster's default system:discovery allows it.
    expect(report.byKind.rbac).toEqual({
      observed: report.observed,
      allowed: report.observed - 1,
      byDefaultGrants: 23,
    });
    expect(g.stderr).toMatch(/left to the cluster's default grants: 23 accesses of 1 subject \(system:discovery: /);
    expect(report.skipped['system-identity']).toBeGreaterThan(0);
    // The liggitt corpus has 403s: seen, listed, never granted.
    expect(report.denied.length).toBeGreaterThan(0);
  });

  it('verify stops on bad input by default (--on-error fail) and writes nothing to stdout', () => {
    const out = tmp();
    expect(cli(['generate', 'rbac', '--k8s-audit', K8S, '-o', out, '-q']).code).toBe(0);
    const v = cli(['verify', '--policies', out, '--k8s-audit', K8S]);
    expect(v.code).toBe(2);
    expect(v.stdout).toBe('');
    expect(v.stderr).toMatch(/fal_01_003\.json:1/);
  });

  it('the policies are valid RBAC: no create rule has resourceNames, no nonResourceURL has a query string', () => {
    // Written as rules (a cluster without the default bindings), so that the URLs' query strings can be seen gone.
    const g = cli(['generate', 'rbac', '--k8s-audit', K8S, '-q', '--include-system', '--no-default-grants']);
    expect(g.code).toBe(0);
    const docs = g.stdout.split(/^---\n/m).map(
      (d) =>
        load(d) as {
          kind: string;
          rules?: { verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }[];
        },
    );
    expect(new Set(docs.map((d) => d.kind))).toEqual(
      new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']),
    );
    const rules = docs.flatMap((d) => d.rules ?? []);
    expect(rules.some((r) => r.nonResourceURLs)).toBe(true);
    for (const r of rules) {
      if (r.verbs.includes('create')) expect(r.resourceNames).toBeUndefined();
      for (const u of r.nonResourceURLs ?? []) expect(u).not.toMatch(/[?#]/);
    }
  });

  it('shuffled lines split across plain and gzip files give the same policy bytes, and the halves merge into the whole', async () => {
    const lines = corpusLines();
    const dir = tmp();
    const mixed = shuffle(lines, rng(42));
    const third = Math.ceil(mixed.length / 3);
    writeFileSync(join(dir, 'a.log'), mixed.slice(0, third).join('\n') + '\n');
    writeFileSync(join(dir, 'b.log.gz'), gzipSync(mixed.slice(third, 2 * third).join('\n')));
    writeFileSync(join(dir, 'c'), mixed.slice(2 * third).join('\r\n'));

    const whole = cli(['generate', 'rbac', '--k8s-audit', K8S, '-q']);
    const shuffled = cli(['generate', 'rbac', '--k8s-audit', dir, '-q', '--workers', '3']);
    expect(shuffled.code).toBe(0);
    expect(shuffled.stdout).toBe(whole.stdout);

    const halves = tmp();
    const half = Math.ceil(mixed.length / 2);
    writeFileSync(join(halves, '1.log'), mixed.slice(0, half).join('\n'));
    writeFileSync(join(halves, '2.log'), mixed.slice(half).join('\n'));
    const p = (args: string[], o: string) =>
      expect(cli(['profile', ...args, '-o', join(halves, o), '-q']).code).toBe(0);
    p(['--k8s-audit', join(halves, '1.log')], 'p1.json');
    p(['--k8s-audit', join(halves, '2.log')], 'p2.json');
    p(['--k8s-audit', K8S], 'whole.json');
    expect(
      cli(['merge', join(halves, 'p2.json'), join(halves, 'p1.json'), '-o', join(halves, 'merged.json'), '-q']).code,
    ).toBe(0);
    const strip = async (f: string) => ({ ...(await readProfileFile(join(halves, f))), sources: null });
    expect(await strip('merged.json')).toEqual(await strip('whole.json'));
    const fromMerged = cli(['generate', 'rbac', '--profile', join(halves, 'merged.json'), '-q']);
    expect(fromMerged.stdout).toBe(whole.stdout);
  });

  it('-o writes one file per subject and namespace, evidence apart, and a rerun gives the same tree', () => {
    const out = tmp();
    const args = ['generate', 'rbac', '--k8s-audit', K8S, '-o', out, '-q', '--no-default-grants'];
    expect(cli(args).code).toBe(0);
    const first = readTree(out);
    const paths = Object.keys(first);
    expect(paths).toContain('rbac/_cluster/user.bob.yaml');
    expect(paths).toContain('evidence/rbac/_cluster/user.bob.yaml');
    expect(paths.some((p) => /^rbac\/default\/user\.minikube-user\.yaml$/.test(p))).toBe(true);
    for (const p of paths.filter((x) => x.startsWith('rbac/'))) expect(first[p]).not.toContain('kind: Evidence');
    expect(cli([...args, '--workers', '1']).code).toBe(0);
    expect(readTree(out)).toEqual(first);
  });
});
