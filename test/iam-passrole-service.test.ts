import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT as A, record } from './helpers/cloudtrailRecords.js';

/**
 * `generate iam` grants `iam:PassRole` only to the service the calls handed the role to, under `iam:PassedToService`
 * (the IAM User Guide's advice for PassRole, and how AWS's managed policies write it), where the call's guide names
 * that service (knowledge/aws/passedTo.ts); a pass to a service not known is granted without the key. `verify`
 * replays each pass with its service; `diff` compares such grants per service, so a tree against itself is quiet and
 * dropping the Condition is new access.
 */
const EXEC = `arn:aws:iam::${A}:role/lambda/exec`;
const TASK = `arn:aws:iam::${A}:role/ecs/task`;
const EVENTS = `arn:aws:iam::${A}:role/events/invoke`;
const updateFunction = (role: string) =>
  record('lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', { functionName: 'thumbnailer', role });
const registerTask = (role: string) =>
  record('ecs.amazonaws.com', 'RegisterTaskDefinition', {
    family: 'api',
    taskRoleArn: role,
    containerDefinitions: [{ name: 'api', image: 'nginx' }],
  });
const putTargets = (role: string) =>
  record('events.amazonaws.com', 'PutTargets', { rule: 'nightly', targets: [{ id: '1', arn: 'x', roleArn: role }] });
// An RDS enhanced-monitoring role: what RDS sends as the key is not written down, so its pass is granted without one.
const MONITORING = `arn:aws:iam::${A}:role/rds/monitoring`;
const createDb = (role: string) =>
  record('rds.amazonaws.com', 'CreateDBInstance', {
    dBInstanceIdentifier: 'orders',
    dBInstanceClass: 'db.t4g.micro',
    engine: 'postgres',
    monitoringInterval: 60,
    monitoringRoleArn: role,
  });
// CodeBuild's request carries no iam:PassedToService at all (the IAM User Guide): a grant under it would deny.
const BUILD = `arn:aws:iam::${A}:role/ci/codebuild`;
const createProject = (role: string) =>
  record('codebuild.amazonaws.com', 'CreateProject', { name: 'site', serviceRole: role, source: { type: 'GITHUB' } });

type Doc = { Statement: { Action: string[]; Resource: string[] | string; Condition?: unknown }[] };
function generated(records: Record<string, unknown>[]) {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: records }));
  const out = join(dir, 'out');
  const r = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(out, 'iam', A, 'role', 'worker.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
  const evidence = JSON.parse(readFileSync(join(out, 'evidence', 'iam', A, 'role', 'worker.json'), 'utf8')) as {
    permissions: { action: string; resource: string; passedTo?: string[] }[];
  };
  const passes = doc.Statement.filter((s) => s.Action.includes('iam:PassRole')).map((s) => [s.Resource, s.Condition]);
  const evidenced = evidence.permissions
    .filter((p) => p.action === 'iam:PassRole')
    .map((p) => [p.resource, p.passedTo]);
  return { dir, trail, out, file, passes, evidenced };
}

describe('generate: iam:PassRole under the service the role went to', () => {
  it("a function's role to Lambda, a task's to ECS tasks, a target's to EventBridge; RDS's and CodeBuild's without a key", () => {
    const g = generated([
      updateFunction(EXEC),
      registerTask(TASK),
      putTargets(EVENTS),
      createDb(MONITORING),
      createProject(BUILD),
    ]);
    const to = (service: string) => ({ StringEquals: { 'iam:PassedToService': [service] } });
    expect(g.passes).toEqual([
      [[BUILD, MONITORING], undefined],
      [[TASK], to('ecs-tasks.amazonaws.com')],
      [[EVENTS], to('events.amazonaws.com')],
      [[EXEC], to('lambda.amazonaws.com')],
    ]);
    expect(g.evidenced).toEqual([
      [BUILD, undefined],
      [TASK, ['ecs-tasks.amazonaws.com']],
      [EVENTS, ['events.amazonaws.com']],
      [EXEC, ['lambda.amazonaws.com']],
      [MONITORING, undefined],
    ]);
    const v = cli(['verify', '--policies', g.out, '--cloudtrail', g.trail, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const r = JSON.parse(v.stdout) as { observed: number; allowed: number; undetermined: unknown[] };
    expect(r.undetermined).toEqual([]);
    expect(r.allowed).toBe(r.observed);
  });

  it('one role passed to Lambda and by a call whose service is not known: granted without the key', () => {
    const g = generated([updateFunction(EXEC), createDb(EXEC)]);
    expect(g.passes).toEqual([[[EXEC], undefined]]);
    expect(g.evidenced).toEqual([[EXEC, undefined]]);
  });

  it("a committed grant under the key denies CodeBuild's pass, which carries none; RDS's stays undetermined", () => {
    const g = generated([createProject(BUILD), createDb(MONITORING)]);
    const d = JSON.parse(readFileSync(g.file, 'utf8')) as Doc;
    for (const st of d.Statement)
      if (st.Action.includes('iam:PassRole'))
        st.Condition = {
          StringEquals: { 'iam:PassedToService': ['codebuild.amazonaws.com', 'monitoring.rds.amazonaws.com'] },
        };
    writeFileSync(g.file, JSON.stringify(d));
    const v = cli(['verify', '--policies', g.out, '--cloudtrail', g.trail, '--format', 'json']);
    expect(v.code, v.stderr).toBe(1);
    type Found = { access: { action: string; resource: string }; detail: string }[];
    const r = JSON.parse(v.stdout) as { notAllowed: Found; undetermined: Found };
    expect(r.notAllowed.map((f) => [f.access.action, f.access.resource, f.detail])).toEqual([
      ['iam:PassRole', BUILD, 'no statement allows it'],
    ]);
    expect(r.undetermined.map((f) => [f.access.action, f.access.resource])).toEqual([['iam:PassRole', MONITORING]]);
    expect(r.undetermined[0]!.detail).toContain('iam:PassedToService');
  });

  it('diff: the tree against itself is quiet; without the Condition the pass is new access to any service', () => {
    const g = generated([updateFunction(EXEC)]);
    const same = cli(['diff', g.out, g.out, '--kind', 'iam', '--format', 'json', '--fail-on', 'any']);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    const wide = join(g.dir, 'wide');
    cpSync(g.out, wide, { recursive: true });
    const file = join(wide, 'iam', A, 'role', 'worker.json');
    const d = JSON.parse(readFileSync(file, 'utf8')) as Doc;
    for (const st of d.Statement) delete st.Condition;
    writeFileSync(file, JSON.stringify(d));
    type Found = { summary: string; risk?: { level: string } }[];
    const widened = cli(['diff', g.out, wide, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const w = JSON.parse(widened.stdout) as Record<string, Found>;
    expect(w['newAccess']!.map((f) => f.summary)).toEqual([`iam:PassRole on ${EXEC}`]);
    expect(w['removedAccess']).toEqual([]);
    // The other way: the pass to Lambda stays (the narrower side allows it), the pass to any other service goes.
    const narrowed = cli(['diff', wide, g.out, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
    const n = JSON.parse(narrowed.stdout) as Record<string, Found>;
    expect(n['removedAccess']!.map((f) => f.summary)).toEqual([`iam:PassRole on ${EXEC}`]);
    expect(n['newAccess']).toEqual([]);
  });
});
