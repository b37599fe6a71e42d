import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { iamSide } from './helpers/policySides.js';

// `diff` of IAM policies whose Allow statements cannot be enumerated: NotAction/NotResource, and Allows under a
// Condition. They were only "undetermined", which no --fail-on fails on, so a pull request adding
// `"NotAction": "iam:*", "Resource": "*"` (everything but IAM) passed `--fail-on any` and `--fail-on risky`.

type Statement = Record<string, unknown>;
function diff(base: Statement[], head: Statement[], failOn: string) {
  const r = cli(['diff', iamSide(base), iamSide(head), '--kind', 'iam', '--format', 'json', '--fail-on', failOn]);
  return { code: r.code, out: JSON.parse(r.stdout) as Record<string, { summary: string; risk?: { level: string } }[]> };
}

const READ = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders/*' };
const ALL_BUT_IAM = { Sid: 'AllButIam', Effect: 'Allow', NotAction: 'iam:*', Resource: '*' };
const FROM_VPC = { StringEquals: { 'aws:SourceVpc': 'vpc-0abc' } };

describe('diff: an IAM Allow that cannot be enumerated', () => {
  it('a NotAction statement HEAD adds is new access, high risk, and fails --fail-on risky and any', () => {
    for (const failOn of ['risky', 'any', 'new-access']) {
      const r = diff([READ], [READ, ALL_BUT_IAM], failOn);
      expect(r.code, failOn).toBe(1);
      expect(r.out['newAccess']!.map((f) => [f.summary, f.risk?.level])).toEqual([
        ['statement AllButIam: NotAction allows everything but iam:*', 'high'],
      ]);
      expect(r.out['undetermined']).toEqual([]);
    }
  });

  it('a NotResource statement BASE had and HEAD drops is removed access', () => {
    const notRes = { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secrets/*' };
    const r = diff([READ, notRes], [READ], 'removed-access');
    expect(r.code).toBe(1);
    expect(r.out['removedAccess']!.map((f) => f.summary)).toEqual([
      'statement #1: NotResource allows everything but arn:aws:s3:::secrets/*',
    ]);
  });

  it('the same NotAction statement on both sides (another Sid, keys reordered) stays undetermined, no change', () => {
    const same = { Resource: '*', NotAction: 'iam:*', Effect: 'Allow', Sid: 'Renamed' };
    const r = diff([READ, ALL_BUT_IAM], [READ, same], 'any');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
    expect(r.out['removedAccess']).toEqual([]);
    expect(r.out['undetermined']!.length).toBe(2);
  });

  it('a conditional Allow HEAD adds: what BASE does not grant is new access under a Condition', () => {
    const put = {
      Sid: 'Put',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: 'arn:aws:s3:::orders/*',
      Condition: FROM_VPC,
    };
    const r = diff([READ], [READ, put], 'any');
    expect(r.code).toBe(1);
    expect(r.out['newAccess']!.map((f) => f.summary)).toEqual([
      's3:PutObject on arn:aws:s3:::orders/*, under a Condition',
    ]);
  });

  it('a conditional Allow that BASE grants unconditionally is no new access', () => {
    const cond = { ...READ, Sid: 'ReadFromVpc', Condition: FROM_VPC };
    const r = diff([READ], [cond], 'new-access');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
  });
});
