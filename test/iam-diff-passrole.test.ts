// `diff` of IAM policies flags a principal that gains the iam:PassRole combination: iam:PassRole beside a compute
// create (lambda:CreateFunction, ec2:RunInstances... the report's list, src/kinds/iam/risks.ts) runs code as the
// passed role. It was flagged only when both landed in one finding, so a pull request adding lambda:CreateFunction on
// one function to a role that already passed roles had no risk and passed `--fail-on risky`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PASSROLE_TARGETS } from '../src/kinds/iam/risks.js';
import { cli, tmp } from './helpers/cli.js';

type Statement = Record<string, unknown>;
interface Finding {
  principal: string;
  summary: string;
  risk?: { level: string; reasons: string[] };
}
interface Out {
  newAccess: Finding[];
  removedAccess: Finding[];
  undetermined: Finding[];
}

const ACCOUNT = '111122223333';
/** A policy tree: one role policy per name. */
function side(roles: Record<string, Statement[]>): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(join(dir, `iam/${ACCOUNT}/role`), { recursive: true });
  for (const [name, statements] of Object.entries(roles)) {
    const doc = { Version: '2012-10-17', Statement: statements };
    writeFileSync(join(dir, `iam/${ACCOUNT}/role/${name}.json`), JSON.stringify(doc, null, 2) + '\n');
  }
  return dir;
}
function diff(base: Record<string, Statement[]>, head: Record<string, Statement[]>, failOn = 'risky') {
  const r = cli(['diff', side(base), side(head), '--kind', 'iam', '--format', 'json', '--fail-on', failOn]);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

const ROLE = `arn:aws:iam::${ACCOUNT}:role/fn-runner`;
const FUNCTION = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`;
const PASS = { Sid: 'Pass', Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE };
const CREATE_FN = { Sid: 'CreateFn', Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: FUNCTION };
const READ = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders/*' };
const WITH_PASSROLE = 'with iam:PassRole: runs code as a passed role';

const risk = (out: Out, summary: string) => out.newAccess.find((f) => f.summary.startsWith(summary))?.risk;

describe('diff: a principal that gains iam:PassRole with a compute create', () => {
  it('a compute create added where iam:PassRole is already held: high, naming both; fails --fail-on risky', () => {
    const r = diff({ app: [READ, PASS] }, { app: [READ, PASS, CREATE_FN] });
    expect(r.code).toBe(1);
    expect(r.out.newAccess.map((f) => f.summary)).toEqual([`lambda:CreateFunction on ${FUNCTION}`]);
    expect(risk(r.out, 'lambda:CreateFunction')).toEqual({
      level: 'high',
      reasons: [`lambda:CreateFunction: ${WITH_PASSROLE}`],
    });
  });

  it('without iam:PassRole anywhere the same compute create is no combination (and passes --fail-on risky)', () => {
    const r = diff({ app: [READ] }, { app: [READ, CREATE_FN] });
    expect(r.code).toBe(0);
    expect(r.out.newAccess.map((f) => [f.summary, f.risk])).toEqual([
      [`lambda:CreateFunction on ${FUNCTION}`, undefined],
    ]);
    // iam:PassRole held by another principal does not count.
    const other = diff({ app: [READ], deployer: [PASS] }, { app: [READ, CREATE_FN], deployer: [PASS] });
    expect(other.code).toBe(0);
  });

  it('iam:PassRole added where a compute create is already held names the create', () => {
    const run = { Sid: 'Run', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' };
    const r = diff({ app: [run] }, { app: [run, PASS] });
    expect(r.code).toBe(1);
    expect(risk(r.out, 'iam:PassRole')).toEqual({
      level: 'high',
      reasons: [
        'iam:PassRole: hands a role to a service',
        'iam:PassRole: with ec2:RunInstances: runs code as a passed role',
      ],
    });
  });

  it('both halves new: each finding names the other', () => {
    const r = diff({ app: [READ] }, { app: [READ, PASS, CREATE_FN] });
    expect(r.code).toBe(1);
    expect(risk(r.out, 'iam:PassRole')!.reasons).toContain(
      'iam:PassRole: with lambda:CreateFunction: runs code as a passed role',
    );
    expect(risk(r.out, 'lambda:CreateFunction')!.reasons).toEqual([`lambda:CreateFunction: ${WITH_PASSROLE}`]);
  });

  it('losing the combination is not risky: removed access carries no combination, --fail-on risky passes', () => {
    const r = diff({ app: [READ, PASS, CREATE_FN] }, { app: [READ, PASS] });
    expect(r.code).toBe(0);
    expect(r.out.newAccess).toEqual([]);
    expect(r.out.removedAccess.map((f) => [f.summary, f.risk])).toEqual([
      [`lambda:CreateFunction on ${FUNCTION}`, undefined],
    ]);
  });

  it('a wildcard that holds a compute create, and a conditional iam:PassRole (iam:PassedToService), count', () => {
    const passToEcs = { ...PASS, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } };
    const ecs = { Sid: 'Ecs', Effect: 'Allow', Action: 'ecs:*', Resource: '*' };
    const r = diff({ app: [passToEcs] }, { app: [passToEcs, ecs] });
    expect(r.code).toBe(1);
    const reasons = risk(r.out, 'ecs:*')!.reasons;
    expect(reasons.find((x) => x.includes(WITH_PASSROLE))).toMatch(
      /^with iam:PassRole: runs code as a passed role: 5 actions \(ecs:CreateService, ecs:RegisterTaskDefinition, ecs:RunTask…\)$/,
    );
  });

  it("iam:PassRole the principal's own Deny takes away is not held", () => {
    const deny = { Sid: 'NoPass', Effect: 'Deny', Action: 'iam:PassRole', Resource: '*' };
    const r = diff({ app: [READ, PASS, deny] }, { app: [READ, PASS, deny, CREATE_FN] });
    expect(r.code).toBe(0);
    expect(risk(r.out, 'lambda:CreateFunction')).toBeUndefined();
  });

  it('every compute create of the report list is flagged beside a held iam:PassRole', () => {
    const creates = PASSROLE_TARGETS.map((action, i) => ({
      Sid: `C${i}`,
      Effect: 'Allow',
      Action: action,
      Resource: '*',
    }));
    const r = diff({ app: [PASS] }, { app: [PASS, ...creates] });
    expect(r.code).toBe(1);
    expect(PASSROLE_TARGETS.length).toBeGreaterThan(10);
    for (const action of PASSROLE_TARGETS)
      expect(risk(r.out, `${action} on`)?.reasons, action).toContain(`${action}: ${WITH_PASSROLE}`);
  });
});
