import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmp } from './helpers/cli.js';

/**
 * The package as a user installs it: `npm pack`, unpacked into a node_modules of its own, imported by
 * its name. Its dependencies are linked from the project's node_modules (the registry is not needed),
 * so what is tested is the tarball's file list, its exports map and its type declarations.
 */
describe('the library, imported by name from the packed tarball', () => {
  it('runs ingest → generateAll → verifyAll on the demo, and ships its type declarations', () => {
    const dir = tmp('a2p-pkg-');
    const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    const modules = join(dir, 'app', 'node_modules');
    mkdirSync(join(modules, 'audit2policy'), { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, name), '-C', join(modules, 'audit2policy'), '--strip-components=1']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies)) {
      const scope = dep.startsWith('@') ? dep.split('/')[0]! : '';
      if (scope) mkdirSync(join(modules, scope), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(modules, dep));
    }
    // Nothing of the source tree or the tests is shipped.
    const shipped = readdirSync(join(modules, 'audit2policy')).sort();
    expect(shipped).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
    expect(readdirSync(join(modules, 'audit2policy', 'dist'))).toContain('index.d.ts');

    const script = join(dir, 'app', 'use.mjs');
    writeFileSync(
      script,
      `import { ingest, Scope, defaultScope, generateAll, verifyAll, readAllPolicies, KIND_NAMES } from 'audit2policy';
import { loadAll } from 'js-yaml';
const fixtures = ${JSON.stringify(join(ROOT, 'fixtures/demo'))};
const { profile, issueCount } = await ingest({ k8sAudit: [fixtures + '/k8s-audit'], cloudtrail: [fixtures + '/cloudtrail'], scope: new Scope(defaultScope()), workers: 1, cwd: process.cwd() });
const generated = await generateAll(profile);
const docs = [];
for (const g of generated) for (const [file, text] of g.files) if (!file.startsWith('evidence/')) {
  if (file.endsWith('.json')) docs.push({ file, index: 0, object: JSON.parse(text) });
  else loadAll(text).forEach((object, index) => docs.push({ file, index, object }));
}
const report = await verifyAll(profile, readAllPolicies(docs));
console.log(JSON.stringify({ kinds: KIND_NAMES, made: generated.map((g) => g.kind), issueCount, observed: report.observed, allowed: report.allowed, byKind: report.byKind }));
`,
    );
    const r = spawnSync(process.execPath, [script], { cwd: join(dir, 'app'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      kinds: string[];
      made: string[];
      issueCount: number;
      observed: number;
      allowed: number;
      byKind: Record<string, { observed: number }>;
    };
    expect(out.kinds).toEqual(['rbac', 'iam', 'netpol']);
    expect(out.made).toEqual(['rbac', 'iam']);
    expect(out.issueCount).toBe(0);
    expect(out.observed).toBeGreaterThan(300);
    expect(out.allowed).toBe(out.observed);
    expect(Object.keys(out.byKind)).toEqual(['rbac', 'iam']);
  });
});
