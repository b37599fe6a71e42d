import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// Under `--on-error skip` a policy file the gate could not read was named on stderr only: the pull-request comment
// (markdown), the JSON and the SARIF read as a full comparison though what the file held was never compared.

const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: shop }
rules:
  - apiGroups: ['']
    resources: [configmaps]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
subjects:
  - { kind: ServiceAccount, name: web, namespace: shop }
`;

function side(broken: boolean): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(join(dir, 'rbac'), { recursive: true });
  writeFileSync(join(dir, 'rbac/reader.yaml'), ROLE);
  // A hand edit gone wrong: the file holds a Role granting secrets, but does not parse.
  if (broken) writeFileSync(join(dir, 'rbac/secrets.yaml'), 'kind: Role\nrules: [\n  - verbs: [get\n');
  return dir;
}

const run = (format: string) =>
  cli(['diff', side(false), side(true), '--kind', 'rbac', '--on-error', 'skip', '--format', format]);

describe('CI reports under --on-error skip say what they skipped', () => {
  it('json carries the count and the issues; without skipped input the key is absent', () => {
    const r = run('json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.skipped.count).toBe(1);
    expect(j.skipped.issues).toHaveLength(1);
    expect(j.skipped.issues[0]).toMatchObject({ code: expect.stringMatching(/^policy\./), line: expect.any(Number) });
    expect(j.skipped.issues[0].file).toMatch(/rbac\/secrets\.yaml$/);
    const clean = cli(['diff', side(false), side(false), '--kind', 'rbac', '--format', 'json']);
    expect(JSON.parse(clean.stdout).skipped).toBeUndefined();
  });

  it('markdown, text and github name it; SARIF has it as a notification of the run', () => {
    expect(run('markdown').stdout).toMatch(
      /⚠️ 1 policy input issue skipped \\\(--on-error skip\\\): what it held was not compared:/,
    );
    expect(run('markdown').stdout).toMatch(/^- .*secrets\.yaml.*policy\./m);
    expect(run('text').stdout).toMatch(/^1 policy input issue skipped .*\n {2}.*secrets\.yaml:\d+: policy\./m);
    const gh = run('github').stdout;
    expect(gh).toMatch(
      /^::warning file=.*secrets\.yaml,line=\d+,title=policy input skipped \(--on-error skip\)::policy\./m,
    );
    expect(gh.trim().split('\n').at(-1)).toMatch(/; 1 policy input issue skipped \(--on-error skip\)/);
    const sarif = JSON.parse(run('sarif').stdout);
    const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
    expect(notes).toHaveLength(1);
    expect(notes[0].level).toBe('warning');
    expect(notes[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/secrets\.yaml$/);
  });

  it('the same input gives the same bytes', () => {
    const a = cli(['diff', side(false), side(true), '--kind', 'rbac', '--on-error', 'skip', '--format', 'json']);
    expect(a.stdout.replace(/\/tmp\/[^/]+\//g, '')).toBe(run('json').stdout.replace(/\/tmp\/[^/]+\//g, ''));
  });
});
