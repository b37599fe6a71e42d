import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, demoPolicies, ROOT, tmp } from './helpers/cli.js';

/**
 * What `verify`, `check` and `diff` say of the paths they read committed policy from, as a CI job that gates on them
 * gives them: a log given as policies (a wrong variable in the job) is a usage error naming the file and the flag that
 * reads it, and a path that holds no policy is one naming the path, however the other paths and the logs look. Before,
 * a directory of logs was read as no policy at all: alone, "nothing to verify ... check the sources, filters and
 * --kind" (the logs blamed); beside the real policies, a pass (exit 0) on those alone.
 */
const DEMO = join(ROOT, 'fixtures/demo');
const { profile, policy, made } = demoPolicies();
const dir = tmp();
const empty = join(dir, 'empty');
mkdirSync(empty);
const readme = join(dir, 'docs');
mkdirSync(readme);
writeFileSync(join(readme, 'README.yaml'), 'title: policies live in ../policy\n');
const auditDir = join(DEMO, 'k8s-audit');
const auditFile = join(
  auditDir,
  readdirSync(auditDir).find((f) => f.endsWith('.log'))!,
);
const auditGz = join(
  auditDir,
  readdirSync(auditDir).find((f) => f.endsWith('.log.gz'))!,
);
const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';

describe('policy paths that hold no policy', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  describe.each(['verify', 'check'])('%s', (cmd) => {
    it.each([
      ['a directory of audit logs', [auditDir], auditDir, /--k8s-audit$/],
      ['a directory of CloudTrail', [join(DEMO, 'cloudtrail')], join(DEMO, 'cloudtrail'), /--cloudtrail$/],
      ['a directory of flow logs', [join(DEMO, 'flows')], join(DEMO, 'flows'), /--flows$/],
      ['an audit log (JSON lines)', [auditFile], auditFile, /is a log, not policies: .*--k8s-audit$/],
      ['a gzip audit log', [auditGz], auditGz, /is a log, not policies: .*--k8s-audit$/],
      ['audit logs beside the real policies', [policy, auditDir], auditDir, /--k8s-audit$/],
    ])('%s: exit 2 naming it and the flag that reads it, before the logs', (_, paths, named, said) => {
      const r = cli([cmd, '--policies', ...paths, '--profile', profile]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const line = errorLine(r.stderr);
      expect(line).toContain(`--policies ${named}`);
      expect(line).toMatch(said);
      expect(line).toMatch(/ looks like (a Kubernetes audit log|CloudTrail|flow logs): read it with /);
    });

    it('an empty directory: exit 2 naming it (not "nothing to verify", which blames the logs)', () => {
      const r = cli([cmd, '--policies', empty, '--profile', profile]);
      expect(r.code).toBe(2);
      expect(errorLine(r.stderr)).toBe(
        `error: --policies ${empty}: no policy documents found (an empty directory): check the path`,
      );
    });

    it('a directory of files none of which is a policy: exit 2 naming it', () => {
      const r = cli([cmd, '--policies', readme, '--profile', profile]);
      expect(r.code).toBe(2);
      expect(errorLine(r.stderr)).toMatch(
        /--policies .*docs: no policy documents found \(none of its 1 file is an RBAC/,
      );
    });

    it('an empty directory beside the real policies: exit 2, not a pass on the others', () => {
      const r = cli([cmd, '--policies', join(policy, 'rbac'), empty, '--profile', profile]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stdout).toBe('');
      expect(errorLine(r.stderr)).toContain(`--policies ${empty}: no policy documents found`);
    });

    it('a profile given as policies: says to read it with --profile', () => {
      const r = cli([cmd, '--policies', profile, '--profile', profile]);
      expect(r.code).toBe(2);
      expect(errorLine(r.stderr)).toMatch(
        /no policy documents found .*: .*profile\.json looks like an audit2policy profile: read it with --profile$/,
      );
    });

    it('nothing in scope of the logs either: "nothing to ..." as before, still exit 2', () => {
      const r = cli([cmd, '--policies', empty, '--k8s-audit', join(DEMO, 'drift'), '--namespace', 'no-such-namespace']);
      expect(r.code).toBe(2);
      expect(errorLine(r.stderr)).toMatch(/^error: nothing to (verify|check): /);
    });
  });

  it('diff: a side of logs is a usage error even with --allow-empty', () => {
    for (const args of [
      [auditDir, policy],
      [policy, join(DEMO, 'cloudtrail'), '--allow-empty'],
    ]) {
      const r = cli(['diff', ...args, '-q']);
      expect(r.code, r.stdout).toBe(2);
      expect(errorLine(r.stderr)).toMatch(
        /^error: (BASE|HEAD) .* holds logs, not policies: .* read it with --(k8s-audit|cloudtrail)$/,
      );
    }
  });

  it('diff: a side of files none of which is a policy is an empty side (exit 2 unless --allow-empty)', () => {
    const r = cli(['diff', readme, policy, '-q']);
    expect(r.code).toBe(2);
    expect(errorLine(r.stderr)).toMatch(/docs: no policy documents found .*--allow-empty/);
    expect(cli(['diff', readme, policy, '-q', '--allow-empty', '--fail-on', 'none']).code).toBe(0);
  });
});
