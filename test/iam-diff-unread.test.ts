import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

// A policy attached to a principal whose document the input does not hold (an AWS managed policy a Terraform plan
// attaches by ARN without a `data "aws_iam_policy"`, one an account's answer lists in AttachedManagedPolicies but not
// in Policies) was only undetermined in a diff, which no --fail-on fails on: attaching AdministratorAccess passed the
// gate, while binding a subject to a ClusterRole whose rules are not given was high-risk new access. And an inline
// policy whose document a plan knows only after apply stopped the run (exit 2, iam.invalid-policy).

const A = '111122223333';
type Obj = Record<string, unknown>;
interface Finding {
  summary: string;
  access: Obj;
  risk?: { level: string; reasons: string[] };
}
type Out = Record<'newAccess' | 'removedAccess' | 'undetermined', Finding[]>;

const doc = (st: Obj) => JSON.stringify({ Version: '2012-10-17', Statement: [st] });
const SEND = doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' });
const res = (type: string, name: string, values: Obj) => ({
  address: `${type}.${name}`,
  mode: 'managed',
  type,
  name,
  values,
});
const ROLE = res('aws_iam_role', 'cart', { name: 'cart', path: '/', arn: `arn:aws:iam::${A}:role/cart`, id: 'cart' });
const inline = (policy?: string) =>
  res('aws_iam_role_policy', 'cart', { name: 'q', role: 'cart', ...(policy === undefined ? {} : { policy }) });
const attach = (arn: string) => res('aws_iam_role_policy_attachment', 'extra', { role: 'cart', policy_arn: arn });
const state = (...resources: Obj[]) => ({ format_version: '1.0', values: { root_module: { resources } } });
const plan = (...resources: Obj[]) => ({ format_version: '1.2', planned_values: { root_module: { resources } } });
const file = (o: unknown) => {
  const f = join(tmp(), 'tf.json');
  writeFileSync(f, JSON.stringify(o, null, 2));
  return f;
};
function diff(base: string, head: string, ...more: string[]) {
  const r = cli(['diff', base, head, '--kind', 'iam', '--format', 'json', ...more]);
  return { code: r.code, stderr: r.stderr, out: r.stdout ? (JSON.parse(r.stdout) as Out) : undefined };
}
const BASE = file(state(ROLE, inline(SEND)));
const withPolicy = (arn: string) => file(plan(ROLE, inline(SEND), attach(arn)));
const managed = (name: string) => `arn:aws:iam::aws:policy/${name}`;

describe('diff: a policy attached but not read', () => {
  it('AdministratorAccess attached by a plan is new access as a whole, high risk: fails --fail-on risky', () => {
    const head = withPolicy(managed('AdministratorAccess'));
    const r = diff(BASE, head, '--fail-on', 'risky');
    expect(r.code, r.stderr).toBe(1);
    expect(r.out!.newAccess).toEqual([
      expect.objectContaining({
        summary: `attaches ${managed('AdministratorAccess')}, a policy not read: attached to role/cart by aws_iam_role_policy_attachment.extra, but not declared in the plan (an AWS managed policy can be given as a data "aws_iam_policy")`,
        access: { action: `policy ${managed('AdministratorAccess')}`, resources: [] },
        risk: { level: 'high', reasons: ['an AWS managed policy that grants every action on every resource'] },
      }),
    ]);
    expect([r.out!.removedAccess, r.out!.undetermined]).toEqual([[], []]);
    // The default --fail-on any fails too; the other way round it is removed access.
    expect(cli(['diff', BASE, head, '--kind', 'iam', '-q']).code).toBe(1);
    expect(diff(head, BASE, '--fail-on', 'none').out!.removedAccess.map((f) => f.risk?.level)).toEqual(['high']);
  });

  it('a broad AWS managed policy by its name is high; any other not read is medium; one both sides attach is open', () => {
    const level = (arn: string) => diff(BASE, withPolicy(arn), '--fail-on', 'none').out!.newAccess[0]!.risk;
    expect(level(managed('PowerUserAccess'))!.level).toBe('high');
    expect(level(managed('IAMFullAccess'))!.reasons).toEqual([
      'an AWS managed policy that grants every IAM action: it can grant itself any permission',
    ]);
    expect(level(managed('AmazonS3FullAccess'))!.level).toBe('high');
    expect(level(managed('job-function/SystemAdministrator'))!.level).toBe('high');
    for (const arn of [managed('AmazonS3ReadOnlyAccess'), `arn:aws:iam::${A}:policy/team-shared`])
      expect(level(arn)).toEqual({
        level: 'medium',
        reasons: ['a policy whose document is not read: what it allows is not known'],
      });
    // The same attachment on both sides: what it allows cannot be compared, and it is not a change.
    const head = withPolicy(managed('AdministratorAccess'));
    const same = diff(head, head);
    expect(same.code).toBe(0);
    expect(same.out!.undetermined.map((f) => f.summary)).toEqual([
      expect.stringContaining(`${managed('AdministratorAccess')}: not compared`),
    ]);
  });

  it("an account's answer attaching PowerUserAccess it does not hold: high-risk new access", () => {
    const head = join(tmp(), 'account.json');
    const account = JSON.parse(readFileSync('fixtures/demo/iam/account.json', 'utf8')) as { RoleDetailList: Obj[] };
    account.RoleDetailList.find((r) => r['RoleName'] === 'shop-cart')!['AttachedManagedPolicies'] = [
      { PolicyName: 'PowerUserAccess', PolicyArn: managed('PowerUserAccess') },
    ];
    writeFileSync(head, JSON.stringify(account, null, 4));
    const r = diff('fixtures/demo/iam/account.json', head, '--fail-on', 'risky');
    expect(r.code, r.stderr).toBe(1);
    expect(r.out!.newAccess.map((f) => [f.summary.split(',')[0], f.risk?.level])).toEqual([
      [`attaches ${managed('PowerUserAccess')}`, 'high'],
    ]);
  });

  it('an inline policy a plan knows only after apply is a policy not read, not an invalid document', () => {
    const unknown = file(plan(ROLE, inline()));
    const r = diff(BASE, unknown);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('iam.invalid-policy');
    expect(r.out!.undetermined[0]!.summary).toBe(
      `${unknown}: aws_iam_role_policy.cart: not compared, its document is known only after apply`,
    );
    // A new one is new access as a whole; in a state (everything known) a policy without its document is invalid.
    // (A base that declares the role and no policy at all holds no policy: compared only with --allow-empty.)
    const added = diff(file(state(ROLE)), unknown, '--allow-empty');
    expect(added.code).toBe(1);
    expect(added.out!.newAccess.map((f) => f.summary)).toEqual([
      'attaches aws_iam_role_policy.cart, a policy not read: its document is known only after apply',
    ]);
    const broken = diff(BASE, file(state(ROLE, inline())));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('iam.invalid-policy');
  });
});
