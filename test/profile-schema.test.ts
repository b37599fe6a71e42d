import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { checkProfile, serializeProfile } from '../src/profile/io.js';
import { ProfileSchema } from '../src/profile/schema.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT } from './helpers/cli.js';

const PUBLISHED = join(ROOT, 'docs/profile.schema.json');

describe('the profile schema, in one place', () => {
  it('docs/profile.schema.json is what src/profile/schema.ts says (npm run schema rewrites it)', () => {
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toEqual(JSON.parse(JSON.stringify(ProfileSchema)));
  });

  it('a real profile passes the schema here and, published, in another validator (Ajv)', async () => {
    const D = join(ROOT, 'fixtures/demo');
    const { profile } = await ingest({
      k8sAudit: [join(D, 'k8s-audit')],
      cloudtrail: [join(D, 'cloudtrail')],
      flows: [join(D, 'flows')],
      scope: new Scope(defaultScope()),
      workers: 1,
      cwd: ROOT,
    });
    const parsed = JSON.parse(serializeProfile(profile));
    expect(checkProfile(parsed)).toBeUndefined();
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(PUBLISHED, 'utf8')));
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    [
      { kind: 'Profile', apiVersion: 'audit2policy.dev/v9' },
      'apiVersion "audit2policy.dev/v9" is not audit2policy.dev/v1alpha1',
    ],
    [{ kind: 'Nope' }, 'kind is "Nope", expected "Profile"'],
    ['principals[0].k8s[0] without a verb', '/principals/0/k8s/0/verb: Expected required property'],
    ['an edge without evidence', '/principals/0/k8s/0: has no evidence'],
    ['a count that is a string', '/principals/0/k8s/0/allowed/count: Expected integer'],
  ])('refuses %j: %s', (what, message) => {
    const ev = { count: 1, firstSeen: '', lastSeen: '', stages: {}, samples: [] };
    const edge: Record<string, unknown> = {
      verb: 'get',
      apiGroup: '',
      resource: 'pods',
      subresource: '',
      namespace: 'shop',
      name: '',
      nonResourceURL: '',
      allowed: ev,
    };
    if (what === 'principals[0].k8s[0] without a verb') delete edge['verb'];
    if (what === 'an edge without evidence') delete edge['allowed'];
    if (what === 'a count that is a string') edge['allowed'] = { ...ev, count: '1' };
    const base = {
      apiVersion: 'audit2policy.dev/v1alpha1',
      kind: 'Profile',
      window: { start: '', end: '' },
      sources: [],
      skipped: {},
      principals: [{ subject: { kind: 'User', name: 'a' }, username: 'a', groups: [], k8s: [edge] }],
    };
    const v = typeof what === 'string' ? base : { ...base, ...what };
    expect(checkProfile(v)).toContain(message);
  });
});

describe('merge checks each input against the schema before merging', () => {
  it('string counts, counts past 2^53 and a numeric subject kind are refused, naming the file and the field', async () => {
    const { cli, tmp } = await import('./helpers/cli.js');
    const { writeFileSync } = await import('node:fs');
    const dir = tmp();
    const good = join(dir, 'good.json');
    const r = cli(['profile', '--k8s-audit', join(ROOT, 'fixtures/demo/k8s-audit'), '-o', good, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const base = JSON.parse(readFileSync(good, 'utf8'));
    const cases: [string, (p: typeof base) => void, RegExp][] = [
      ['string-count', (p) => (p.principals[0].k8s[0].allowed.count = '25'), /\/count: Expected integer/],
      [
        'huge-count',
        (p) => (p.principals[0].k8s[0].allowed.count = 1e308),
        /\/count: Expected integer to be less or equal/,
      ],
      ['kind-number', (p) => (p.principals[0].subject.kind = 5), /\/subject\/kind: /],
    ];
    for (const [name, spoil, message] of cases) {
      const p = JSON.parse(JSON.stringify(base));
      if (!p.principals[0].k8s[0].allowed) p.principals[0].k8s[0].allowed = { ...p.principals[0].k8s[0].undecided };
      spoil(p);
      const bad = join(dir, `${name}.json`);
      writeFileSync(bad, JSON.stringify(p));
      const m = cli(['merge', good, bad, '-o', join(dir, 'm.json')]);
      expect(m.code, name).toBe(2);
      expect(m.stderr, name).toContain(`${name}.json: not a valid profile:`);
      expect(m.stderr, name).toMatch(message);
    }
  });
});
