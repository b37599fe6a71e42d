import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

/**
 * The review job of docs/ci.md: `diff ../base/policy policy` from the pull request's checkout, BASE a worktree of the
 * main branch beside it. Removed access is in BASE's files, which GitHub annotations and code scanning cannot point at
 * (they attach to the pull request's files): those formats put it on HEAD's file of the same path and name BASE's line.
 */
const role = (name: string, rules: [string, string][]) =>
  [
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    `  name: ${name}`,
    '  namespace: shop',
    'rules:',
    ...rules.flatMap(([resource, verb]) => [
      "  - apiGroups: ['']",
      `    resources: [${resource}]`,
      `    verbs: [${verb}]`,
    ]),
    '',
  ].join('\n');
const binding = (name: string) =>
  [
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: RoleBinding',
    'metadata:',
    `  name: ${name}`,
    '  namespace: shop',
    'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ' + name + '}',
    'subjects: [{kind: ServiceAccount, name: ' + name + ', namespace: shop}]',
    '',
  ].join('\n');

function write(dir: string, path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A workspace with the pull request's checkout in `repo` and BASE's worktree in `base`. */
function workspace(): string {
  const ws = tmp();
  // BASE: web reads configmaps and secrets; worker lists pods (a file the pull request deletes).
  write(
    ws,
    'base/policy/web.yaml',
    role('web', [
      ['configmaps', 'get'],
      ['secrets', 'get'],
    ]) +
      '---\n' +
      binding('web'),
  );
  write(ws, 'base/policy/worker.yaml', role('worker', [['pods', 'list']]) + '---\n' + binding('worker'));
  // HEAD: web loses secrets and gains services; worker's file is gone.
  write(
    ws,
    'repo/policy/web.yaml',
    role('web', [
      ['configmaps', 'get'],
      ['services', 'get'],
    ]) +
      '---\n' +
      binding('web'),
  );
  return join(ws, 'repo');
}

const diff = (cwd: string, format: string) =>
  cli(['diff', '../base/policy', 'policy', '--format', format, '--fail-on', 'none'], { cwd });

describe('diff locations of removed access in a review job', () => {
  it('github: removed access is annotated on HEAD’s file of the same path, BASE’s line in the message', () => {
    const r = diff(workspace(), 'github');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const secrets = lines.filter((l) => l.includes('secrets'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/^::warning file=policy\/web\.yaml,title=/);
    expect(secrets[0]).not.toContain('line=');
    expect(secrets[0]).toMatch(/::in BASE \.\.\/base\/policy\/web\.yaml:\d+: /);
    // A file the pull request deleted: nothing of HEAD to attach to, so no file; BASE's place is in the message.
    const pods = lines.filter((l) => l.includes('pods'));
    expect(pods).toHaveLength(1);
    expect(pods[0]).not.toContain('file=');
    expect(pods[0]).toContain('in BASE ../base/policy/worker.yaml:');
    expect(pods[0]).toContain('a file HEAD does not have');
    // New access stays where it is, on HEAD's file and line.
    const services = lines.filter((l) => l.includes('services'));
    expect(services).toHaveLength(1);
    expect(services[0]).toMatch(/^::warning file=policy\/web\.yaml,line=\d+,title=/);
    expect(lines.join('\n')).not.toContain('file=../base');
  });

  it('sarif: results point at the pull request’s files only', () => {
    const r = diff(workspace(), 'sarif');
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout).runs[0].results as {
      message: { text: string };
      locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
    }[];
    const uris = results.flatMap((x) => (x.locations ?? []).map((l) => l.physicalLocation.artifactLocation.uri));
    expect(uris.length).toBeGreaterThan(0);
    expect(uris.every((u) => u === 'policy/web.yaml')).toBe(true);
    const secrets = results.find((x) => x.message.text.includes('secrets'))!;
    expect(secrets.message.text).toMatch(/^in BASE \.\.\/base\/policy\/web\.yaml:\d+: /);
    expect(secrets.locations![0]!.physicalLocation.region).toBeUndefined();
    const pods = results.find((x) => x.message.text.includes('pods'))!;
    expect(pods.locations ?? []).toHaveLength(0);
  });

  it('json keeps BASE’s place and says which side and which HEAD file', () => {
    const r = diff(workspace(), 'json');
    const report = JSON.parse(r.stdout) as {
      removedAccess: { summary: string; locations: { file: string; line: number; side?: string; head?: string }[] }[];
      newAccess: { locations: { file: string; side?: string }[] }[];
    };
    const secrets = report.removedAccess.find((f) => f.summary.includes('secrets'))!;
    expect(secrets.locations[0]).toMatchObject({
      file: '../base/policy/web.yaml',
      side: 'base',
      head: 'policy/web.yaml',
    });
    expect(secrets.locations[0]!.line).toBeGreaterThan(1);
    const pods = report.removedAccess.find((f) => f.summary.includes('pods'))!;
    expect(pods.locations[0]).toMatchObject({ file: '../base/policy/worker.yaml', side: 'base' });
    expect(pods.locations[0]!.head).toBeUndefined();
    for (const f of report.newAccess) for (const l of f.locations) expect(l.side).toBeUndefined();
  });

  it('two single files: HEAD’s file is the counterpart of BASE’s', () => {
    const repo = workspace();
    const r = cli(['diff', '../base/policy/web.yaml', 'policy/web.yaml', '--format', 'github', '--fail-on', 'none'], {
      cwd: repo,
    });
    const secrets = r.stdout.split('\n').filter((l) => l.includes('secrets'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/^::warning file=policy\/web\.yaml,title=/);
  });
});
