// docs/ci.md's "Trying it on the demo": `npm run demo` leaves its profile (JSON lines) in out/, and the docs diff
// a copy of out/ against out/. A profile in a policy tree is the tool's own file, as the evidence is: skipped
// unparsed by verify, diff and check (it was read as a policy file and failed as unparseable YAML, exit 2), and
// named in verify's summary.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, DEMO_SOURCES, tmp } from './helpers/cli.js';
import { isOwnProfile } from '../src/policy/load.js';

describe('a profile inside a policy tree', () => {
  const dir = tmp('tree-profile-');
  const out = join(dir, 'out');
  expect(cli(['generate', 'all', ...DEMO_SOURCES, '-o', out, '-q']).code).toBe(0);
  expect(cli(['profile', ...DEMO_SOURCES, '-o', join(out, 'profile.json'), '-q']).code).toBe(0);

  it('diff of a hand-edited copy against the tree: the one change, no issue (the ci.md walk-through)', () => {
    const committed = join(dir, 'policy-committed');
    cpSync(out, committed, { recursive: true });
    const role = join(committed, 'rbac/shop/serviceaccount.shop.web.yaml');
    writeFileSync(role, readFileSync(role, 'utf8').replace(/\n {6}- watch(?=\n)/, ''));
    const r = cli(['diff', committed, out, '--profile', join(out, 'profile.json'), '--format', 'markdown']);
    expect(r.stderr).not.toMatch(/unparseable|issue/);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/\| rbac \| ` system:serviceaccount:shop:web ` \| watch configmaps in shop \|/);
  });

  it('verify names it among the tree’s own files', () => {
    const r = cli(['verify', '--policies', out, '--profile', join(out, 'profile.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /\(besides: \d+ evidence documents, 1 IAM index, 1 kustomization, 1 output manifest, 1 profile\)\n/,
    );
  });

  it('only a profile header opens the way: a policy file that mentions one is read', () => {
    expect(isOwnProfile(readFileSync(join(out, 'profile.json'), 'utf8'))).toBe(true);
    expect(isOwnProfile('# {"apiVersion":"audit2policy.dev/v1alpha2","kind":"Profile",\nkind: Role\n')).toBe(false);
    expect(isOwnProfile('{"kind":"Profile","apiVersion":"audit2policy.dev/v1alpha2"}')).toBe(false);
    // A profile's header with a Role after it, in a second YAML document: read, so diff and verify see the Role.
    const head = readFileSync(join(out, 'profile.json'), 'utf8').split('\n')[0]!;
    const smuggled = `${head}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x, namespace: shop}\nrules: [{apiGroups: [''], resources: [secrets], verbs: ['*']}]\n`;
    expect(isOwnProfile(smuggled)).toBe(false);
    const tree = join(dir, 'smuggled');
    cpSync(join(out, 'rbac'), join(tree, 'rbac'), { recursive: true });
    writeFileSync(join(tree, 'profile.json'), smuggled);
    const roles = (policies: string) => {
      const r = cli(['verify', '--policies', policies, '--profile', join(out, 'profile.json'), '--kind', 'rbac']);
      return Number(/policies: (\d+) Roles/.exec(r.stderr)?.[1]);
    };
    expect(roles(tree)).toBe(roles(join(out, 'rbac')) + 1);
  });
});
