// `diff` on 10,000 IAM statements in seconds (issue 17): the evaluator indexes a principal's statements by the
// literal prefix of their actions and resources instead of testing every statement for every grant. The index must
// never lose a statement that applies: checked against a brute-force evaluation on random policies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globMatch } from '../src/util/glob.js';
import { evaluateIdentityPolicies, readStatements, type IamDecision } from '../src/verify/iam/evaluate.js';
import { rng, tmp } from './helpers/cli.js';
import { cliTimed } from './helpers/timed.js';

const ACTIONS = ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:SendMessage', 's3:Get*', 'logs:PutLogEvents'];
const resourceOf = (a: string, i: number) =>
  a.startsWith('s3')
    ? `arn:aws:s3:::bucket-${i % 50}/path-${i}/*`
    : a.startsWith('dynamodb')
      ? `arn:aws:dynamodb:eu-west-1:111122223333:table/t${i}`
      : a.startsWith('sqs')
        ? `arn:aws:sqs:eu-west-1:111122223333:q${i}`
        : `arn:aws:logs:eu-west-1:111122223333:log-group:g${i}:*`;

/** 10,000 statements; HEAD drops statement 7 (s3:PutObject on bucket-7/path-7/*) and adds one s3:DeleteObject. */
function statements(side: 'base' | 'head', n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (side === 'head' && i === 7) continue;
    const a = ACTIONS[i % ACTIONS.length]!;
    out.push({ Sid: `S${i}`, Effect: 'Allow', Action: a, Resource: resourceOf(a, i) });
  }
  if (side === 'head')
    out.push({ Sid: 'New', Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::bucket-1/new/*' });
  out.push({ Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' });
  return out;
}

describe('diff at scale', () => {
  it('10,000 statements per side: the one added and the one removed, in seconds (the CLI, killed at 2 min)', () => {
    const dir = tmp('a2p-diffscale-');
    for (const side of ['base', 'head'] as const) {
      mkdirSync(join(dir, side, '111122223333', 'role'), { recursive: true });
      const doc = { Version: '2012-10-17', Statement: statements(side, 10_000) };
      writeFileSync(join(dir, side, '111122223333', 'role', 'app.json'), JSON.stringify(doc, null, 2));
    }
    const t = cliTimed(['diff', join(dir, 'base'), join(dir, 'head'), '--format', 'json', '--kind', 'iam'], 120_000);
    console.log(`diff of 10,000 IAM statements per side: ${t.ms} ms`);
    expect(t.timedOut, `diff still running after ${t.ms} ms`).toBe(false);
    expect(t.code, t.stderr).toBe(1);
    const r = JSON.parse(t.stdout) as {
      newAccess: { summary: string; locations: unknown[] }[];
      removedAccess: unknown[];
    };
    expect(r.newAccess).toMatchObject([
      {
        summary: 's3:DeleteObject on arn:aws:s3:::bucket-1/new/*',
        locations: [{ file: join(dir, 'head', '111122223333', 'role', 'app.json'), line: 5 + 6 * 9_999 }],
      },
    ]);
    expect(r.removedAccess).toMatchObject([{ summary: 's3:PutObject on arn:aws:s3:::bucket-7/path-7/*' }]);
    // Two cores shared with other work: generous, and still three orders of magnitude below the pairwise cost.
    expect(t.ms).toBeLessThan(90_000);
  });
});

/** IAM's evaluation written as plainly as possible: every statement tested, no index. */
function bruteForce(policies: { name: string; document: unknown }[], action: string, resource: string): IamDecision {
  const arnMatch = (p: string, v: string) => {
    if (p === '*') return true;
    const split = (s: string) => {
      const parts = s.split(':');
      return parts.length < 6 || parts[0] !== 'arn' ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
    };
    const [ps, vs] = [split(p), split(v)];
    if (!ps || !vs) return globMatch(p, v);
    return ps.every((x, i) => globMatch(x, vs[i]!));
  };
  let allow: { policy: string; sid: string } | undefined;
  const maybe: string[] = [];
  for (const pol of policies) {
    for (const st of readStatements(pol.document) as Exclude<ReturnType<typeof readStatements>, string>) {
      const act = (p: string) => globMatch(p, action, { caseInsensitive: true });
      if (st.actions ? !st.actions.some(act) : st.notActions!.some(act)) continue;
      const variable = [...(st.resources ?? []), ...(st.notResources ?? [])].some((r) => r.includes('${'));
      const res = (p: string) => arnMatch(p, resource);
      if (!variable && (st.resources ? !st.resources.some(res) : st.notResources!.some(res))) continue;
      const why = st.conditional ? 'a Condition' : 'a policy variable';
      if (st.effect === 'Deny') {
        if (!st.conditional && !variable) return { result: 'deny', explicit: true, policy: pol.name, sid: st.sid };
        maybe.push(`${pol.name} ${st.sid}: a Deny with ${why} may apply`);
      } else if (st.conditional || variable) maybe.push(`${pol.name} ${st.sid}: an Allow with ${why} may apply`);
      else allow ??= { policy: pol.name, sid: st.sid };
    }
  }
  if (maybe.length && !(allow && maybe.every((m) => m.includes('an Allow'))))
    return { result: 'undetermined', reasons: maybe };
  return allow ? { result: 'allow', ...allow } : { result: 'deny', explicit: false };
}

describe('the statement index', () => {
  it('decides as the brute-force evaluation on 300 random policies × 100 requests', () => {
    const r = rng(1717);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const actionPatterns = [
      '*',
      's3:*',
      'S3:get*',
      's3:GetObject',
      's3:?etObject',
      '*:GetItem',
      'dynamodb:*Item',
      'sqs:Send*',
    ];
    const actions = ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'dynamodb:PutItem', 'sqs:SendMessage'];
    const resourcePatterns = [
      '*',
      'arn:aws:s3:::b1/*',
      'arn:aws:s3:::b?/k*',
      'arn:aws:s3:::b1/k1',
      'arn:aws:s3*:::b1/*',
      'arn:*:dynamodb:*:111122223333:table/*',
      'arn:aws:dynamodb:eu-west-1:111122223333:table/t1',
      'arn:aws:sqs:*:*:q*',
      'arn:aws:s3:::b1/${aws:username}/*',
      'b1*',
    ];
    const resources = [
      'arn:aws:s3:::b1/k1',
      'arn:aws:s3:::b2/k2',
      'arn:aws:s3:::b1/x',
      'arn:aws:dynamodb:eu-west-1:111122223333:table/t1',
      'arn:aws:dynamodb:us-east-1:111122223333:table/t2',
      'arn:aws:sqs:eu-west-1:111122223333:q1',
      '*',
    ];
    const some = (xs: string[]) => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(xs));
    const counts = new Map<string, number>();
    for (let n = 0; n < 300; n++) {
      const policies = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, p) => ({
        name: `p${p}`,
        document: {
          Statement: Array.from({ length: 1 + Math.floor(r() * 12) }, (_, i) => ({
            Sid: `s${i}`,
            Effect: r() < 0.2 ? 'Deny' : 'Allow',
            [r() < 0.15 ? 'NotAction' : 'Action']: some(actionPatterns),
            [r() < 0.1 ? 'NotResource' : 'Resource']: some(resourcePatterns),
            ...(r() < 0.1 ? { Condition: { Bool: { 'aws:SecureTransport': 'true' } } } : {}),
          })),
        },
      }));
      for (let q = 0; q < 100; q++) {
        const action = pick(actions);
        const resource = pick(resources);
        const got = evaluateIdentityPolicies(policies, { action, resource });
        expect(got, JSON.stringify({ policies, action, resource })).toEqual(bruteForce(policies, action, resource));
        counts.set(got.result, (counts.get(got.result) ?? 0) + 1);
      }
    }
    // Every outcome occurs often enough for the agreement to mean something.
    for (const k of ['allow', 'deny', 'undetermined']) expect(counts.get(k) ?? 0).toBeGreaterThan(1000);
  });
});
