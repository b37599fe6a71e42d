import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileGlob,
  globWithin,
  hasIamWildcard,
  hasPolicyVariable,
  iamEscape,
  iamUnescape,
} from '../src/util/glob.js';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT, record, ROLE } from './helpers/cloudtrailRecords.js';
import { simulate, type SimPolicy } from './helpers/iamSimulate.js';

/**
 * S3 object keys may hold any character, `*`, `?` and `${` included (the S3 User Guide's "Naming objects" lists them
 * among the characters that may need special handling). IAM reads those as wildcards and a policy variable unless
 * written as its special characters `${*}`, `${?}`, `${$}` (IAM User Guide, "IAM policy elements: Variables and
 * tags", special characters). A read of `exports/q3*.csv` must be granted on that one key, not on every key it would
 * match as a glob, and not dropped as bad input.
 */
const BUCKET = 'acme-reports';
const KEYS = ['exports/q3*.csv', 'img/a?.png', 'tmpl/${aws:username}/x', 'hadoop/_$folder$', 'lit/${*}'];
/** Keys the globs (or the variable) would take in, had the keys been written as read. */
const SIBLINGS = ['exports/q3-final.csv', 'img/ab.png', 'tmpl/worker/x', 'lit/x', 'lit/*'];
const obj = (k: string) => `arn:aws:s3:::${BUCKET}/${k}`;

/** A GetObject data event as S3 logs it: the key in requestParameters and in resources. */
const get = (key: string) =>
  record(
    's3.amazonaws.com',
    'GetObject',
    { bucketName: BUCKET, key, Host: `${BUCKET}.s3.eu-west-1.amazonaws.com` },
    {
      resources: [
        { type: 'AWS::S3::Object', ARN: obj(key) },
        { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` },
      ],
      eventCategory: 'Data',
      managementEvent: false,
      readOnly: true,
    },
  );

const dir = tmp('a2p-s3esc-');
const trail = join(dir, 'trail.json');
const siblings = join(dir, 'siblings.json');
const out = join(dir, 'out');
let policy: SimPolicy;

beforeAll(() => {
  writeFileSync(trail, JSON.stringify({ Records: KEYS.map(get) }));
  writeFileSync(siblings, JSON.stringify({ Records: SIBLINGS.map(get) }));
  const g = cli(['generate', 'iam', '--cloudtrail', trail, '-o', out]);
  expect(g.code, g.stderr).toBe(0);
  expect(g.stdout + g.stderr).not.toContain('bad-name');
  policy = JSON.parse(readFileSync(join(out, 'iam', ACCOUNT, 'role', 'worker.json'), 'utf8')) as SimPolicy;
});

describe('S3 keys holding *, ? or ${', () => {
  it('are granted as IAM spells them: the special characters ${*}, ${?}, ${$}', () => {
    const resources = policy.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources).toEqual(
      expect.arrayContaining([
        obj('exports/q3${*}.csv'),
        obj('img/a${?}.png'),
        obj('tmpl/${$}{aws:username}/x'),
        obj('hadoop/_$folder$'),
        obj('lit/${$}{${*}}'),
      ]),
    );
    // No other wildcard crept in: each grant names one key.
    for (const r of resources) expect(hasIamWildcard(r), r).toBe(false);
  });

  it('iam-simulate allows each key read and denies the keys its glob would have matched', async () => {
    for (const k of KEYS)
      expect(await simulate(policy, { principal: ROLE, action: 's3:GetObject', resource: obj(k) }), k).toBe('Allowed');
    // iam-simulate reads a `*` in the request's ARN as a pattern ("lit/*" is allowed by any key of lit/): that sibling
    // is left to verify below.
    for (const k of SIBLINGS.filter((x) => !x.includes('*')))
      expect(await simulate(policy, { principal: ROLE, action: 's3:GetObject', resource: obj(k) }), k).not.toBe(
        'Allowed',
      );
  });

  it('verify replays every read as allowed, and denies the siblings', () => {
    const v = cli(['verify', '--policies', out, '--cloudtrail', trail, '--format', 'json', '-q']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const j = JSON.parse(v.stdout);
    expect(j.byKind.iam.observed).toBeGreaterThanOrEqual(KEYS.length);
    expect(j.byKind.iam.allowed).toBe(j.byKind.iam.observed);
    const s = cli(['verify', '--policies', out, '--cloudtrail', siblings, '--format', 'json', '-q']);
    expect(s.code, s.stderr).toBe(1);
    const notAllowed = JSON.parse(s.stdout).notAllowed as { access: { resource: string } }[];
    const denied = notAllowed.map((f) => f.access.resource);
    expect(denied.filter((r) => r.startsWith(`arn:aws:s3:::${BUCKET}/`)).length).toBe(SIBLINGS.length);
  });

  it('diff: the same grants are no change; a glob where the key was is new access', () => {
    const same = cli(['diff', out, out, '--format', 'json', '-q']);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ newAccess: [], removedAccess: [], undetermined: [] });
    const wide = join(dir, 'wide');
    cli(['generate', 'iam', '--cloudtrail', trail, '-o', wide, '-q']);
    const file = join(wide, 'iam', ACCOUNT, 'role', 'worker.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('q3${*}.csv', 'q3*.csv'));
    const d = cli(['diff', out, wide, '--format', 'json', '-q']);
    const j = JSON.parse(d.stdout) as Record<'newAccess' | 'removedAccess', { access: { resources: string[] } }[]>;
    expect(j.newAccess.map((c) => c.access.resources)).toEqual([[obj('exports/q3*.csv')]]);
    // The literal grant the glob replaced is within it: nothing is removed.
    expect(j.removedAccess).toEqual([]);
    // The other way round, the glob is taken away.
    const back = JSON.parse(cli(['diff', wide, out, '--format', 'json', '-q']).stdout) as typeof j;
    expect(back.removedAccess.map((c) => c.access.resources)).toEqual([[obj('exports/q3*.csv')]]);
    expect(back.newAccess).toEqual([]);
  });
});

describe('IAM globs read the special characters as the characters', () => {
  it.each([
    ['a${*}b', 'a*b', true],
    ['a${*}b', 'axb', false],
    ['a${?}b', 'a?b', true],
    ['a${?}b', 'axb', false],
    ['a${$}{x}', 'a${x}', true],
    ['a*${*}', 'anything*', true],
    ['a*${*}', 'anything', false],
    ['?${?}*', 'x?yz', true],
    ['?${?}*', 'xyyz', false],
    ['x${*}?', 'x*é', true],
  ])('%s matches %s: %s', (p, v, yes) => {
    expect(compileGlob(p, { iamEscapes: true }).test(v)).toBe(yes);
  });

  it('without iamEscapes a ${*} is a $, a {, a wildcard and a }', () => {
    expect(compileGlob('a${*}', {}).test('a${zz}')).toBe(true);
    expect(compileGlob('a${*}', {}).test('a*')).toBe(false);
  });

  it('escape and unescape are inverse; wildcards and variables are told from escapes', () => {
    for (const s of ['q3*.csv', 'a?', '${aws:username}', '$x${', '${*}', 'plain'])
      expect(iamUnescape(iamEscape(s))).toBe(s);
    expect(hasIamWildcard('a${*}${?}')).toBe(false);
    expect(hasIamWildcard('a${*}*')).toBe(true);
    expect(hasPolicyVariable('a${*}${$}')).toBe(false);
    expect(hasPolicyVariable('a${*}${aws:username}')).toBe(true);
  });

  it('globWithin: a literal * is within a wildcard, a wildcard is not within a literal *', () => {
    expect(globWithin('a${*}b', 'a*', { iamEscapes: true })).toBe(true);
    expect(globWithin('a*', 'a${*}', { iamEscapes: true })).toBe(false);
    expect(globWithin('a${?}', 'a?', { iamEscapes: true })).toBe(true);
    expect(globWithin('a?', 'a${?}', { iamEscapes: true })).toBe(false);
  });
});
