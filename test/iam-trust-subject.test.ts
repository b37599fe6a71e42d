import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

/**
 * `--subject` on a role keeps the role's trust. The demo's CloudTrail holds an IRSA role (`shop-cart`, assumed by
 * shop/cart through AssumeRoleWithWebIdentity) and an EKS Pod Identity role (`payments-api`, AssumeRole by
 * pods.eks.amazonaws.com with the pod's session tags): their links are stored on the service accounts, which a glob
 * on the role's ARN does not select.
 */
const A = '111122223333';
const CT = 'fixtures/demo/cloudtrail';
const dir = tmp();
const all = join(dir, 'all');
const whole = cli(['generate', 'iam', '--cloudtrail', CT, '-o', all, '-q']);
const trust = (root: string, role: string) => join(root, 'iam', A, 'role', `${role}.trust.json`);
const roles = ['shop-cart', 'payments-api'];
const glob = (role: string) => `arn:aws:iam::*:role/${role}`;

describe('--subject on a role writes its trust', () => {
  it('from the logs and from a profile: the trust of the unfiltered run, byte for byte', () => {
    expect(whole.code, whole.stderr).toBe(0);
    const profile = join(dir, 'p.jsonl');
    expect(cli(['profile', '--cloudtrail', CT, '-o', profile, '-q']).code).toBe(0);
    for (const role of roles)
      for (const source of [
        ['--cloudtrail', CT],
        ['--profile', profile],
      ]) {
        const out = join(tmp(), 'out');
        const r = cli(['generate', 'iam', ...source, '--subject', glob(role), '-o', out, '-q']);
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(trust(out, role), 'utf8')).toBe(readFileSync(trust(all, role), 'utf8'));
        // The role's own policy and its trust, nothing of any other role.
        expect(readdirSync(join(out, 'iam', A, 'role')).sort()).toEqual([`${role}.json`, `${role}.trust.json`]);
      }
  });

  it("the service account's own requests stay out: no RBAC for it", () => {
    const out = join(tmp(), 'out');
    const r = cli([
      'generate',
      'all',
      '--k8s-audit',
      'fixtures/demo/k8s-audit',
      '--cloudtrail',
      CT,
      '--subject',
      glob('shop-cart'),
      '-o',
      out,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(trust(out, 'shop-cart'))).toBe(true);
    expect(existsSync(join(out, 'rbac'))).toBe(false);
  });

  it('--exclude-subject naming the service account, or --namespace leaving it out, leaves its link out', () => {
    for (const more of [
      ['--exclude-subject', 'system:serviceaccount:shop:cart'],
      ['--namespace', 'payments'],
    ]) {
      const out = join(tmp(), 'out');
      const r = cli(['generate', 'iam', '--cloudtrail', CT, '--subject', glob('shop-cart'), ...more, '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(out, 'iam', A, 'role', 'shop-cart.json'))).toBe(true);
      expect(existsSync(trust(out, 'shop-cart'))).toBe(false);
    }
  });
});

describe('a --subject rerun into an earlier -o', () => {
  it("keeps the selected role's trust; the other principals' files go, and stderr says so", () => {
    const out = join(tmp(), 'out');
    expect(cli(['generate', 'iam', '--cloudtrail', CT, '-o', out, '-q']).code).toBe(0);
    const before = readdirSync(join(out, 'iam', A, 'role')).length;
    const r = cli(['generate', 'iam', '--cloudtrail', CT, '--subject', glob('payments-api'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(trust(out, 'payments-api'), 'utf8')).toBe(readFileSync(trust(all, 'payments-api'), 'utf8'));
    expect(readdirSync(join(out, 'iam', A, 'role')).sort()).toEqual(['payments-api.json', 'payments-api.trust.json']);
    // Policies, trusts and evidence of the others (the index is written again).
    const gone = before - 2 + (readdirSync(join(all, 'evidence', 'iam', A, 'role')).length - 1);
    expect(r.stderr).toContain(`notice: removed ${gone} files of an earlier run that this run does not write (`);
    expect(r.stderr).toContain(`${out} holds this run's output alone`);
    // The same command again removes nothing more, and says nothing of it.
    const again = cli(['generate', 'iam', '--cloudtrail', CT, '--subject', glob('payments-api'), '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('removed');
  });
});
