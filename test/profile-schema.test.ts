import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { serializeProfile } from '../src/profile/io.js';
import { checkProfile, ProfileSchema } from '../src/profile/schema.js';
import { lineSchemaProblem, ProfileLineSchema } from '../src/profile/lineSchema.js';
import { lineKind } from '../src/profile/checks.js';
import { legacyProfileText } from './helpers/profile.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { ROOT } from './helpers/cli.js';

const PUBLISHED = join(ROOT, 'docs/profile.schema.json');
const LEGACY = join(ROOT, 'docs/profile-v1alpha1.schema.json');

describe('the profile schema, in one place', () => {
  it('docs/profile.schema.json and profile-v1alpha1.schema.json are what src/profile says (npm run schema)', () => {
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toEqual(JSON.parse(JSON.stringify(ProfileLineSchema)));
    expect(JSON.parse(readFileSync(LEGACY, 'utf8'))).toEqual(JSON.parse(JSON.stringify(ProfileSchema)));
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
    // Every line of the v1alpha2 file, here and in Ajv; the v1alpha1 document of the same profile, both ways too.
    const lines = serializeProfile(profile)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);
    expect(lines.length).toBeGreaterThan(100);
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(PUBLISHED, 'utf8')));
    for (const v of lines) {
      expect(lineSchemaProblem(lineKind(v)!, v)).toBeUndefined();
      expect(validate(v), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(new Set(lines.map((v) => lineKind(v)))).toEqual(
      new Set([
        'header',
        'principal',
        'samlAssumption',
        'k8s',
        'aws',
        'workload',
        'network',
        'dnsName',
        'serviceAssumption',
        'webIdentityAssumption',
        'end',
      ]),
    );
    const legacy = JSON.parse(legacyProfileText(profile));
    expect(checkProfile(legacy)).toBeUndefined();
    const validateLegacy = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(LEGACY, 'utf8')));
    expect(validateLegacy(legacy), JSON.stringify(validateLegacy.errors)).toBe(true);
  });

  it.each([
    [
      { kind: 'Profile', apiVersion: 'audit2policy.dev/v9' },
      'apiVersion "audit2policy.dev/v9" is neither audit2policy.dev/v1alpha2 (JSON lines) nor audit2policy.dev/v1alpha1',
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
    const lines = readFileSync(good, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('{"k8s":'));
    type Line = { k8s: string[]; allowed?: unknown[]; undecided?: unknown[] } & Record<string, unknown>;
    const principalAt = lines.findIndex((l) => l.startsWith('{"principal":'));
    const cases: [string, number, (p: Line) => void, RegExp][] = [
      ['string-count', at, (p) => (p.allowed![0] = '25'), /\/allowed\/0: Expected integer/],
      ['huge-count', at, (p) => (p.allowed![0] = 1e308), /\/allowed\/0: Expected integer to be less or equal/],
      [
        'kind-number',
        principalAt,
        (p) => ((p['principal'] as { subject: { kind: unknown } }).subject.kind = 5),
        /\/principal\/subject\/kind: /,
      ],
    ];
    for (const [name, n, spoil, message] of cases) {
      const p = JSON.parse(lines[n]!) as Line;
      if (n === at && !p.allowed) p.allowed = p.undecided!;
      spoil(p);
      const bad = join(dir, `${name}.json`);
      writeFileSync(bad, [...lines.slice(0, n), JSON.stringify(p), ...lines.slice(n + 1)].join('\n'));
      const m = cli(['merge', good, bad, '-o', join(dir, 'm.json')]);
      expect(m.code, name).toBe(2);
      expect(m.stderr, name).toContain(`${name}.json:${n + 1}: not a valid profile:`);
      expect(m.stderr, name).toMatch(message);
    }
  });
});
