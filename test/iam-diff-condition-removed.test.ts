import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { iamSide } from './helpers/policySides.js';

// A pull request that removes an IAM Condition (or a conditional Deny) widens the policy: HEAD allows in every
// context what BASE allowed only in some. `diff` asked BASE whether it covers HEAD's grant, got "a Condition may or
// may not allow it", and reported the grant as undetermined, which no --fail-on fails on: `--fail-on any` passed it.

type Statement = Record<string, unknown>;
type F = { summary: string; detail?: string; risk?: { level: string } };
function diff(base: Statement[], head: Statement[], failOn: string) {
  const r = cli(['diff', iamSide(base), iamSide(head), '--kind', 'iam', '--format', 'json', '--fail-on', failOn]);
  expect(r.stderr).not.toMatch(/error/i);
  return { code: r.code, out: JSON.parse(r.stdout) as Record<string, F[]> };
}

const FROM_VPCE = { StringEquals: { 'aws:SourceVpce': 'vpce-0abc' } };
const READ = { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders/*' };
const READ_FROM_VPCE = { ...READ, Condition: FROM_VPCE };
const DENY_OUTSIDE = {
  Sid: 'OnlyFromVpce',
  Effect: 'Deny',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::orders/*',
  Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0abc' } },
};

describe('diff: a Condition one side drops', () => {
  it('HEAD removes the Condition of an Allow: new access, failing --fail-on any, saying why', () => {
    const r = diff([READ_FROM_VPCE], [READ], 'any');
    expect(r.code).toBe(1);
    expect(r.out['newAccess']!.map((f) => [f.summary, f.detail])).toEqual([
      [
        's3:GetObject on arn:aws:s3:::orders/*',
        'BASE allows it only under a Condition of its own (or a conditional Deny may refuse it); HEAD allows it without one',
      ],
    ]);
    expect(r.out['undetermined']).toEqual([]);
  });

  it('HEAD removes a conditional Deny: new access as well', () => {
    const r = diff([READ, DENY_OUTSIDE], [READ], 'new-access');
    expect(r.code).toBe(1);
    expect(r.out['newAccess']!.map((f) => f.summary)).toEqual(['s3:GetObject on arn:aws:s3:::orders/*']);
  });

  it('HEAD adds the Condition: removed access, not new', () => {
    const r = diff([READ], [READ_FROM_VPCE], 'removed-access');
    expect(r.code).toBe(1);
    expect(r.out['removedAccess']!.map((f) => [f.summary, f.detail])).toEqual([
      [
        's3:GetObject on arn:aws:s3:::orders/*',
        'HEAD allows it only under a Condition of its own (or a conditional Deny may refuse it); BASE allows it without one',
      ],
    ]);
    expect(r.out['newAccess']).toEqual([]);
  });

  it('the same conditional Deny on both sides: nothing changes, undetermined as before', () => {
    const r = diff([READ, DENY_OUTSIDE], [READ, { ...DENY_OUTSIDE, Sid: 'Renamed' }], 'any');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
    expect(r.out['removedAccess']).toEqual([]);
  });

  it('the same conditional Allow on both sides: nothing changes', () => {
    const r = diff([READ_FROM_VPCE], [{ ...READ_FROM_VPCE, Sid: 'Renamed' }], 'any');
    expect(r.code).toBe(0);
    expect(r.out['newAccess']).toEqual([]);
    expect(r.out['removedAccess']).toEqual([]);
  });

  // Found by test/diff-property.test.ts: a conditional Allow was the same only word for word, so one respelled was
  // new and removed access "under a Condition", failing --fail-on any.
  const BOTH = { Sid: 'Both', Effect: 'Allow', Resource: 'arn:aws:s3:::orders/*', Condition: FROM_VPCE };
  it('the same conditional Allow written otherwise: actions reordered or cased, split in two, values as a list', () => {
    const base = [{ ...BOTH, Action: ['s3:GetObject', 's3:PutObject'] }];
    const heads: Statement[][] = [
      [{ ...BOTH, Action: ['S3:PutObject', 's3:getobject'] }],
      [
        { ...BOTH, Action: 's3:GetObject' },
        { ...BOTH, Sid: 'Put', Action: ['s3:PutObject'] },
      ],
      [
        {
          ...BOTH,
          Action: ['s3:GetObject', 's3:PutObject'],
          Condition: { StringEquals: { 'AWS:SourceVpce': ['vpce-0abc'] } },
        },
      ],
    ];
    for (const head of heads) {
      const r = diff(base, head, 'any');
      expect(r.code, JSON.stringify(head)).toBe(0);
      expect(r.out['newAccess']).toEqual([]);
      expect(r.out['removedAccess']).toEqual([]);
      // Undetermined as the same statement word for word is.
      expect(r.out['undetermined']!.length).toBeGreaterThan(0);
    }
  });

  it('another Condition value, or an action more under the same Condition, is still a change under a Condition', () => {
    const base = [{ ...BOTH, Action: 's3:GetObject' }];
    const other = diff(
      base,
      [{ ...BOTH, Action: 's3:GetObject', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0def' } } }],
      'any',
    );
    expect(other.code).toBe(1);
    expect(other.out['newAccess']!.map((f) => f.summary)).toEqual([
      's3:GetObject on arn:aws:s3:::orders/*, under a Condition',
    ]);
    expect(other.out['removedAccess']!.map((f) => f.summary)).toEqual([
      's3:GetObject on arn:aws:s3:::orders/*, under a Condition',
    ]);
    const more = diff(base, [{ ...BOTH, Action: ['s3:PutObject', 's3:GetObject'] }], 'any');
    expect(more.code).toBe(1);
    expect(more.out['newAccess']!.map((f) => f.summary)).toEqual([
      's3:PutObject on arn:aws:s3:::orders/*, under a Condition',
    ]);
    expect(more.out['removedAccess']).toEqual([]);
  });
});
