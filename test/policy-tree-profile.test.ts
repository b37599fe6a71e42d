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

  it('only a profile header opens the way: a policy file that mentions one is read', async () => {
    expect(await isOwnProfile(readFileSync(join(out, 'profile.json'), 'utf8'))).toBe(true);
    expect(await isOwnProfile('# {"apiVersion":"audit2policy.dev/v1alpha2","kind":"Profile",\nkind: Role\n')).toBe(
      false,
    );
    expect(await isOwnProfile('{"kind":"Profile","apiVersion":"audit2policy.dev/v1alpha2"}')).toBe(false);
    // A profile's header with a Role after it, in a second YAML document: read, so diff and verify see the Role.
    const head = readFileSync(join(out, 'profile.json'), 'utf8').split('\n')[0]!;
    const smuggled = `${head}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x, namespace: shop}\nrules: [{apiGroups: [''], resources: [secrets], verbs: ['*']}]\n`;
    expect(await isOwnProfile(smuggled)).toBe(false);
    const tree = join(dir, 'smuggled');
    cpSync(join(out, 'rbac'), join(tree, 'rbac'), { recursive: true });
    writeFileSync(join(tree, 'profile.json'), smuggled);
    const roles = (policies: string) => {
      const r = cli(['verify', '--policies', policies, '--profile', join(out, 'profile.json'), '--kind', 'rbac']);
      return Number(/policies: (\d+) Roles/.exec(r.stderr)?.[1]);
    };
    expect(roles(tree)).toBe(roles(join(out, 'rbac')) + 1);
  });

  // kubectl reads a text that opens with `{` as a stream of JSON objects (one a line here), a key written twice
  // keeping its last value, and applies every object whose apiVersion and kind it knows: a file that only opens like
  // a profile was skipped unread (isOwnProfile looked at the first line and at each line's first byte), so
  // `diff --fail-on any` passed a pull request adding a ClusterRoleBinding of cluster-admin (R1 hostile review).
  const crb =
    '"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"ops-break-glass"},' +
    '"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},' +
    '"subjects":[{"kind":"ServiceAccount","name":"web","namespace":"shop"}]';
  const gate = (name: string, text: string) => {
    const base = join(dir, `${name}-base`);
    const head = join(dir, `${name}-head`);
    cpSync(join(out, 'rbac'), join(base, 'rbac'), { recursive: true });
    cpSync(join(out, 'rbac'), join(head, 'rbac'), { recursive: true });
    writeFileSync(join(head, 'rbac/shop/notes.json'), text);
    return cli(['diff', base, head, '--fail-on', 'any']);
  };

  it('a header line naming a second apiVersion and kind (the last wins for kubectl) is no profile: the gate fails', async () => {
    const text = `{"apiVersion":"audit2policy.dev/v1alpha2","kind":"Profile",${crb}}\n`;
    expect(await isOwnProfile(text)).toBe(false);
    const r = gate('dupkey', text);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /notes\.json:1: policy\.unparseable: opens as an audit2policy profile but is not one \(line 1: the key "apiVersion" twice in one object\); read as a policy file, not valid YAML or JSON: duplicated mapping key/,
    );
  });

  it('a profile the profile reader takes, with a ClusterRoleBinding on a principal line, is no profile either', async () => {
    // The line schemas let a line carry keys they do not name: the reader reads this file as the demo profile.
    const lines = readFileSync(join(out, 'profile.json'), 'utf8').split('\n');
    lines[1] = `${lines[1]!.slice(0, -1)},${crb}}`;
    const text = lines.join('\n');
    const { parseProfile } = await import('../src/profile/io.js');
    expect((await parseProfile(text)).principals.length).toBeGreaterThan(0);
    expect(await isOwnProfile(text)).toBe(false);
    const r = gate('smuggled-line', text);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /notes\.json:2: policy\.unparseable: opens as an audit2policy profile but is not one \(line 2: a key "apiVersion", which kubectl reads as an object's type\)/,
    );
  });

  it('a profile cut short is no profile: read, and refused as YAML', async () => {
    const text = readFileSync(join(out, 'profile.json'), 'utf8').split('\n').slice(0, 5).join('\n');
    expect(await isOwnProfile(text)).toBe(false);
    expect(gate('cut', text).stderr).toMatch(/not one \(line 5: the profile ends without its end line/);
  });

  it('duplicateKey finds a key twice at any depth, escapes decoded, strings skipped', async () => {
    const { duplicateKey } = await import('../src/policy/ownProfile.js');
    expect(duplicateKey('{"a":1,"b":{"c":2,"c":3}}')).toBe('c');
    expect(duplicateKey('{"kind":1,"ki\\u006ed":2}')).toBe('kind');
    expect(duplicateKey('{"a":"\\"a\\"","b":["a","a",{"a":1}],"c":{"a":2}}')).toBeUndefined();
    expect(duplicateKey('[{"a":1},{"a":1}]')).toBeUndefined();
  });
});
