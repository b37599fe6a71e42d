import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, demoPolicies, removeTmp, tmp } from './helpers/cli.js';

// A run that has nothing for what it was asked to make is an error (exit 2) before anything is written: a path that
// holds no log, or a filter with a typo, must never empty the policy an earlier run wrote and report success.

afterAll(removeTmp);

/** Every file of a tree with its hash, to show it was left as it was. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(d, e.name));
      else
        out.push(
          `${relative(dir, join(d, e.name))} ${createHash('sha256')
            .update(readFileSync(join(d, e.name)))
            .digest('hex')}`,
        );
  };
  walk(dir);
  return out.sort();
}

describe('generate with nothing for what it makes: exit 2, the output left as it was', () => {
  let profile = '';
  let policy = '';
  let before: string[] = [];
  let notALog = '';
  beforeAll(() => {
    const demo = demoPolicies();
    for (const r of demo.made) expect(r.code, r.stderr).toBe(0);
    profile = demo.profile;
    policy = tmp();
    cpSync(demo.policy, policy, { recursive: true });
    before = tree(policy);
    expect(before.filter((f) => f.startsWith('rbac/')).length).toBeGreaterThan(5);
    notALog = join(tmp(), 'README.md');
    writeFileSync(notALog, '# notes\n\nnot a log\n');
  });

  it('one kind from logs that hold nothing of it, or from a path that holds no log', () => {
    const other = {
      rbac: ['--cloudtrail', 'fixtures/demo/cloudtrail'],
      iam: ['--k8s-audit', 'fixtures/demo/k8s-audit'],
      netpol: ['--k8s-audit', 'fixtures/demo/k8s-audit'],
    };
    for (const kind of ['rbac', 'iam', 'netpol'] as const) {
      const r = cli(['generate', kind, ...other[kind], '-o', policy]);
      expect(r.code, r.stderr).toBe(2);
      const what = { rbac: 'Kubernetes API requests', iam: 'CloudTrail calls', netpol: 'flows' }[kind];
      expect(r.stderr).toContain(
        `error: nothing to generate: the profile holds no ${what} in scope; ${policy} is left`,
      );
      expect(tree(policy)).toEqual(before);
      const flag = { rbac: '--k8s-audit', iam: '--cloudtrail', netpol: '--flows' }[kind];
      const none = cli(['generate', kind, flag, notALog, '-o', policy]);
      expect(none.code, none.stderr).toBe(2);
      expect(none.stderr).toContain(`error: nothing read: ${notALog} is not a log: text that is not JSON`);
      expect(tree(policy)).toEqual(before);
    }
    // On stdout too: nothing printed, the same error.
    const s = cli(['generate', 'iam', '--k8s-audit', 'fixtures/demo/k8s-audit']);
    expect([s.code, s.stdout]).toEqual([2, '']);
    expect(s.stderr).toContain('error: nothing to generate: the profile holds no CloudTrail calls in scope\n');
  });

  it('one kind with a filter that matches nothing says which filters were given', () => {
    const r = cli(['generate', 'iam', '--profile', profile, '--subject', 'arn:aws:iam::*:role/typo', '-o', policy]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'no CloudTrail calls in scope (filtered by --subject: do they match what the logs hold?)',
    );
    const n = cli([
      'generate',
      'rbac',
      '--profile',
      profile,
      '--namespace',
      'shpo',
      '--exclude-subject',
      'x',
      '-o',
      policy,
    ]);
    expect(n.code, n.stderr).toBe(2);
    expect(n.stderr).toContain('(filtered by --exclude-subject, --namespace: do they match');
    expect(tree(policy)).toEqual(before);
  });

  it('all kinds: a --subject that matches no one stops the run, though flows (not filtered by subject) remain', () => {
    const r = cli(['generate', 'all', '--profile', profile, '--subject', 'typo', '-o', policy]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'error: nothing to generate: the profile holds no subjects in scope (filtered by --subject',
    );
    expect(tree(policy)).toEqual(before);
    // A --subject that matches one: that subject's files, and the flows' policies, as before this change.
    const one = cli([
      'generate',
      'all',
      '--profile',
      profile,
      '--subject',
      'system:serviceaccount:shop:web',
      '-o',
      policy,
    ]);
    expect(one.code, one.stderr).toBe(0);
    const after = tree(policy);
    expect(after.some((f) => f.startsWith('rbac/shop/'))).toBe(true);
    expect(after.some((f) => f.startsWith('netpol/'))).toBe(true);
    expect(after.some((f) => f.startsWith('iam/'))).toBe(false);
  });
});
