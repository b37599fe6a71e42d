import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';

/**
 * The output tree applies as it is: `kubectl apply -R -f DIR/rbac -f DIR/netpol` reads only RBAC and
 * NetworkPolicy objects (the evidence lives apart), DIR/kustomization.yaml lists every one of them for
 * `kubectl apply -k DIR`, and kube-system gets no default deny unless asked.
 */
const DEMO = join(ROOT, 'fixtures/demo');
const sources = ['--k8s-audit', join(DEMO, 'k8s-audit'), '--flows', join(DEMO, 'flows')];
const inv = ['--inventory', join(DEMO, 'inventory')];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

const APPLIABLE = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'NetworkPolicy']);

describe('the output tree applies as it is', () => {
  const out = join(tmp(), 'out');
  const g = cli(['generate', 'all', ...sources, ...inv, '-o', out, '-q']);

  it('every document under rbac/ and netpol/ is an RBAC or NetworkPolicy object; the kustomization lists each file', () => {
    expect(g.code, g.stderr).toBe(0);
    const policyFiles = [...files(join(out, 'rbac')), ...files(join(out, 'netpol'))];
    expect(policyFiles.length).toBeGreaterThan(10);
    for (const f of policyFiles) {
      expect(f).toMatch(/\.yaml$/);
      for (const d of loadAll(readFileSync(f, 'utf8')) as { kind: string }[])
        expect(APPLIABLE.has(d.kind), `${f}: ${d.kind}`).toBe(true);
    }
    const k = loadAll(readFileSync(join(out, 'kustomization.yaml'), 'utf8'))[0] as {
      kind: string;
      resources: string[];
    };
    expect(k.kind).toBe('Kustomization');
    expect(k.resources).toEqual(policyFiles.map((f) => relative(out, f).split('\\').join('/')).sort());
    // The evidence is never under what kubectl is pointed at.
    expect(policyFiles.some((f) => f.includes('evidence'))).toBe(false);
  });

  it('kube-system gets no default deny unless --deny-system-namespaces, and the summary says so', () => {
    expect(files(join(out, 'netpol')).some((f) => f.endsWith('kube-system/_default-deny.yaml'))).toBe(false);
    const r = cli(['generate', 'netpol', ...sources.slice(2), ...inv]);
    expect(r.stderr).toMatch(/no default deny in kube-system: a system namespace/);
    const asked = cli(['generate', 'netpol', ...sources.slice(2), ...inv, '--deny-system-namespaces', '-q']);
    expect(asked.stdout).toMatch(
      /name: default-deny[\s\S]*namespace: kube-system|namespace: kube-system[\s\S]*default-deny/,
    );
  });

  it('a later run of one kind keeps the listing whole: the other kind’s files stay listed', () => {
    const before = readFileSync(join(out, 'kustomization.yaml'), 'utf8');
    expect(cli(['generate', 'rbac', ...sources.slice(0, 2), '-o', out, '-q']).code).toBe(0);
    expect(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).toBe(before);
  });
});
