import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, demoPolicies, ROOT } from './helpers/cli.js';

/**
 * The drift gate as a scheduled CI job runs it (docs/ci.md): `check` on the committed policy and a later window of
 * logs. A gate that judged nothing must not read as one that passed: docs/cli.md says `check` follows `verify`'s rule
 * (exit 2, saying which side is missing), and it printed `OK` with exit 0 instead.
 */
const DEMO = join(ROOT, 'fixtures/demo');
const { policy: out, made } = demoPolicies();
const logs = ['--k8s-audit', join(DEMO, 'k8s-audit'), join(DEMO, 'drift')];

describe('check as the daily drift gate', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  it('the day after the soak (--since 1d): the one new call fails the gate, the same bytes twice', () => {
    const args = ['check', '--policies', out, ...logs, '--since', '1d', '-q'];
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github']) {
      const a = cli([...args, '--format', format]);
      expect(a.code, `${format}: ${a.stderr}`).toBe(1);
      expect(a.stdout).toContain('feature-flags-v2');
      expect(cli([...args, '--format', format]).stdout, format).toBe(a.stdout);
    }
    expect(cli([...args, '--fail-on', 'none']).code).toBe(0);
  });

  it('a window with no logs in it: exit 2 saying nothing was checked, no verdict on stdout', () => {
    for (const format of ['text', 'json', 'markdown']) {
      const r = cli(['check', '--policies', out, ...logs, '--since', '2027-01-01T00:00:00Z', '--format', format]);
      expect(r.code, `${format}: ${r.stdout}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/nothing to check: no authorized access in scope was observed/);
      expect(r.stderr).toMatch(/rbac \(no Kubernetes API requests in scope\)/);
    }
  });

  it('policies of a kind the logs do not judge (IAM policies, Kubernetes logs): exit 2 naming the missing side', () => {
    const r = cli(['check', '--policies', join(out, 'iam'), '--k8s-audit', join(DEMO, 'drift'), '--fail-on', 'none']);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nothing to check: .*iam \(no CloudTrail calls in scope\)/);
  });
});
