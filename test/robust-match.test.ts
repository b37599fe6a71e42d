// Matching without backtracking (issue 17): IAM action and ARN wildcards, subject filters and RBAC patterns cost at
// most (value length × pattern length), whatever a policy or a log holds. The hostile cases run in a child process
// killed at a deadline, so a backtracking matcher fails here instead of hanging the suite.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch } from '../src/util/glob.js';
import { ruleAllows } from '../src/verify/rbac/match.js';
import type { Rule } from '../src/verify/rbac/objects.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { rng, tmp } from './helpers/cli.js';
import { cliTimed, runTimed } from './helpers/timed.js';

const PATTERN = 'arn:aws:s3:::logs/*/*/*/*/*.json';

/** The glob as a regular expression, the way it was matched before: the reference on small inputs. */
function reference(glob: string, value: string, ci: boolean): boolean {
  let src = '^';
  for (const ch of glob) src += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(src + '$', ci ? 'is' : 's').test(value);
}

describe('glob matcher', () => {
  it('agrees with the regular-expression reading on 20,000 random small patterns and values', () => {
    const r = rng(17);
    const alphabet = ['a', 'b', 'A', '/', ':', '.', 'é', 'É', '\n', '💥'];
    const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)]!;
    const word = (n: number, extra: string[]) =>
      Array.from({ length: n }, () => pick([...alphabet, ...extra])).join('');
    let matched = 0;
    for (let i = 0; i < 20_000; i++) {
      const pattern = word(Math.floor(r() * 8), ['*', '*', '?']);
      // Half the values are the pattern filled in (then sometimes one character changed): matches and near misses.
      let value = word(Math.floor(r() * 12), []);
      if (r() < 0.5) {
        value = [...pattern]
          .map((c) => (c === '*' ? word(Math.floor(r() * 4), []) : c === '?' ? word(1, []) : c))
          .join('');
        if (value && r() < 0.3) {
          const i = Math.floor(r() * value.length);
          value = value.slice(0, i) + word(1, []) + value.slice(i + 1);
        }
      }
      const ci = r() < 0.5;
      const want = reference(pattern, value, ci);
      if (want) matched++;
      expect(globMatch(pattern, value, { caseInsensitive: ci }), `${JSON.stringify([pattern, value, ci])}`).toBe(want);
    }
    // The generator must exercise both outcomes, or the agreement proves little.
    expect(matched).toBeGreaterThan(2_000);
  });

  it('keeps the case rules: actions fold case, resources do not', () => {
    expect(globMatch('S3:get*', 's3:GetObject', { caseInsensitive: true })).toBe(true);
    expect(globMatch('s3:get*', 's3:GetObject')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(true);
    expect(globMatch('a?c', 'ac')).toBe(false);
    expect(globMatch('*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(compileGlob('x*?*?y').test('x\ny')).toBe(false);
    expect(compileGlob('x*?*?y').test('x\n\ny')).toBe(true);
  });

  it('matches a 10,000-segment key against many-star and many-? patterns in linear time (in process)', () => {
    const key = Array.from({ length: 10_000 }, (_, i) => `d${i % 10}`).join('/');
    const patterns = ['logs/*/*/*/*/*.json', '*d?/*d?/*d?/*d?/*.json', '*/*/*/*/*/*/*/*/*/*/*x', '*?????????????????x'];
    const t0 = performance.now();
    for (const p of patterns) {
      expect(globMatch(p, `logs/${key}`)).toBe(false);
      expect(globMatch(p.replace(/x$/, '9'), `logs/${key}`)).toBe(!p.endsWith('.json'));
    }
    expect(globMatch('logs/*/*/*/*/*.json', `logs/${key}.json`)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('IAM evaluator on hostile keys (child process, killed at the deadline)', () => {
  it(`judges ${PATTERN} against a 10,000-segment key within 2 s`, () => {
    const t = runTimed(
      `import { evaluateIdentityPolicies } from './dist/verify/iam/evaluate.js';
       const key = Array.from({ length: 10000 }, (_, i) => 'd' + (i % 10)).join('/');
       const policies = [{ name: 'p', document: { Version: '2012-10-17',
         Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: ${JSON.stringify(PATTERN)} }] } }];
       const t0 = performance.now();
       const miss = evaluateIdentityPolicies(policies, { action: 's3:GetObject', resource: 'arn:aws:s3:::logs/' + key });
       const hit = evaluateIdentityPolicies(policies, { action: 's3:GetObject', resource: 'arn:aws:s3:::logs/' + key + '.json' });
       console.log(JSON.stringify({ miss: miss.result, hit: hit.result, ms: performance.now() - t0 }));`,
      10_000,
    );
    expect(t.timedOut, `still matching after ${t.ms} ms: the matcher backtracks`).toBe(false);
    expect(t.out, t.stderr).toMatchObject({ miss: 'deny', hit: 'allow' });
    expect((t.out as { ms: number }).ms).toBeLessThan(2000);
  });

  it('the ARN parts on a 10,000-segment key with colons: a wildcard stays within its part, within 2 s', () => {
    const cases: [string, string, string][] = [
      [PATTERN, 'arn:aws:s3:::logs/KEY.json', 'allow'],
      ['arn:aws:*:*:*:logs/*/*/*:*/*/*:*.json', 'arn:aws:s3:::logs/KEY.json', 'allow'],
      ['arn:*:s3*:*:*:*b/*a:*:*:*x', 'arn:aws:s3:::logs/KEY.json', 'deny'],
      ['arn:aws:s3*:*:*:*b/*a:*:*:*n', 'arn:aws:s3:::logs/KEY.json', 'allow'],
      // The service part is matched alone: `*` in it does not reach across the colon into the region.
      ['arn:aws:s3*:::x', 'arn:aws:s3:eu::x', 'deny'],
    ];
    const t = runTimed(
      `import { evaluateIdentityPolicies } from './dist/verify/iam/evaluate.js';
       const key = Array.from({ length: 10000 }, () => 'a:b').join('/');
       const t0 = performance.now();
       const results = ${JSON.stringify(cases)}.map(([Resource, arn]) => evaluateIdentityPolicies(
         [{ name: 'p', document: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource }] } }],
         { action: 's3:GetObject', resource: arn.replace('KEY', key) }).result);
       console.log(JSON.stringify({ results, ms: performance.now() - t0 }));`,
      10_000,
    );
    expect(t.timedOut, `still matching after ${t.ms} ms: the matcher backtracks`).toBe(false);
    expect((t.out as { results: string[] } | undefined)?.results, t.stderr).toEqual(cases.map((c) => c[2]));
    expect((t.out as { ms: number }).ms).toBeLessThan(2000);
  });

  it('verify on a logged key of 1,000 segments finishes (the CLI, killed at the deadline)', () => {
    const dir = tmp('a2p-match-');
    const key = `logs/${'x/'.repeat(1000)}y`;
    const rec = {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
        accountId: '111122223333',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app' } },
      },
      eventTime: '2026-11-09T00:05:31Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: 'eu-west-1',
      requestParameters: { bucketName: 'bkt', key },
      eventID: '567127ec-0ffa-4bdb-8300-102691a2fb82',
      recipientAccountId: '111122223333',
    };
    writeFileSync(join(dir, 'ct.jsonl'), JSON.stringify(rec) + '\n');
    mkdirSync(join(dir, 'pol', '111122223333', 'role'), { recursive: true });
    const Resource = 'arn:aws:s3:::bkt/logs/*/*/*/*/*.json';
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource }] };
    writeFileSync(join(dir, 'pol', '111122223333', 'role', 'app.json'), JSON.stringify(doc));
    const t = cliTimed(
      ['verify', '--policies', join(dir, 'pol'), '--cloudtrail', join(dir, 'ct.jsonl'), '--format', 'json'],
      20_000,
    );
    expect(t.timedOut, `verify still running after ${t.ms} ms`).toBe(false);
    // The key does not end in .json, so the one observed call is not allowed.
    expect(t.code, t.stderr).toBe(1);
    expect(JSON.parse(t.stdout)).toMatchObject({ observed: 1, allowed: 0 });
  });
});

describe('RBAC patterns stay linear', () => {
  it('nonResourceURL prefixes and resource names against 10,000-segment paths', () => {
    const path = '/' + Array.from({ length: 10_000 }, () => 'a').join('/');
    const rule: Rule = { verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/a/*'] };
    const req: RbacRequest = {
      username: 'u',
      groups: [],
      verb: 'get',
      apiGroup: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      nonResourceURL: path,
    };
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      expect(ruleAllows(rule, req)).toBe(true);
      // `*` is a wildcard only at the end of a nonResourceURL (Kubernetes' rule): elsewhere it is a literal.
      expect(ruleAllows({ ...rule, nonResourceURLs: ['/a/*/a'] }, req)).toBe(false);
      expect(ruleAllows({ ...rule, nonResourceURLs: ['/b*'] }, req)).toBe(false);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
