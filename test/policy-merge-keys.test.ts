import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, demoPolicies, removeTmp, tmp } from './helpers/cli.js';

// kubectl reads YAML merge keys (`<<: *anchor`: go-yaml, under sigs.k8s.io/yaml), so a committed policy may use them.
// Read as a plain key, a rule `- <<: *cm` beside `resources: [secrets]` lost the verbs it merges in: a diff missed the
// secrets it grants, and a reformat with an anchor read as removed access.

afterAll(removeTmp);

const WEB = 'rbac/shop/serviceaccount.shop.web.yaml';

describe('policies with YAML merge keys are read as kubectl reads them', () => {
  let profile = '';
  let base = '';
  beforeAll(() => {
    const demo = demoPolicies();
    for (const r of demo.made) expect(r.code, r.stderr).toBe(0);
    profile = demo.profile;
    base = demo.policy;
  });

  const variant = (edit: (text: string) => string): string => {
    const dir = tmp();
    cpSync(base, dir, { recursive: true });
    const file = join(dir, WEB);
    const before = readFileSync(file, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    return dir;
  };

  const LIST_CONFIGMAPS = `  - apiGroups:
      - ''
    resources:
      - configmaps
    verbs:
      - list
      - watch
`;

  it('a rule that merges another and adds a resource is new access', () => {
    const head = variant((t) =>
      t.replace(
        LIST_CONFIGMAPS,
        LIST_CONFIGMAPS.replace('  - apiGroups', '  - &cm\n    apiGroups') +
          '  - <<: *cm\n    resources:\n      - secrets\n',
      ),
    );
    const r = cli(['diff', base, head, '--profile', profile]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /new access \(1\):\n {2}\[high\] rbac system:serviceaccount:shop:web: list, watch secrets in shop /,
    );
  });

  it('a reformat with an anchor and a merge key is no change, for diff and check alike', () => {
    const head = variant((t) =>
      t.replace(
        /rules:\n[\s\S]*?\n---\n/,
        `rules:
  - &cm
    apiGroups: [""]
    resources: [configmaps]
    verbs: [list, watch]
  - <<: *cm
    resourceNames: [feature-flags, web-config]
    verbs: [get]
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [web-tls]
    verbs: [get]
---
`,
      ),
    );
    const d = cli(['diff', base, head, '--profile', profile]);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^OK: 0 new access/);
    const c = cli(['check', '--policies', head, '--profile', profile]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
  });

  it('a merge key whose value is no mapping is an issue at its line, the file never half-read', () => {
    const head = variant((t) => t.replace(LIST_CONFIGMAPS, LIST_CONFIGMAPS + '  - <<: 5\n    verbs: [get]\n'));
    const r = cli(['diff', base, head, '--profile', profile]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${WEB.replace(/\./g, '\\.')}:18: policy\\.unparseable: not valid YAML or JSON: .*merge`),
    );
  });
});
