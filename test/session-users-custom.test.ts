import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionUsers, sessionTemplate, templateSession } from '../src/knowledge/kubernetes/sessionUsers.js';
import { cli, readTree, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';

// A custom access-entry username (`admin:{{SessionName}}`) shows nothing of the role in its shape; the request's
// user.extra does: aws-iam-authenticator puts the role's `canonicalArn`, the `sessionName` and the `accessKeyId`
// there, each a list of one string. When the username holds the session's name (or access key), it is one session's
// username, and the profile keeps the role and the username's template on the principal (`roleSessions`).

const ROLE = 'arn:aws:iam::111122223333:role/EKS-Admin';
const S = (session: string, accessKeyId = '') => ({ role: ROLE, session, accessKeyId });

describe('sessionTemplate: the username with its session part as the template marker', () => {
  it.each([
    ['admin:alice-session', S('alice-session'), 'admin:{{SessionName}}', 'alice-session'],
    ['alice-session', S('alice-session'), '{{SessionName}}', 'alice-session'],
    // {{SessionName}} is the session's name with @ made -, {{SessionNameRaw}} the name as it is.
    ['dev:alice-example.com', S('alice@example.com'), 'dev:{{SessionName}}', 'alice-example.com'],
    ['dev:alice@example.com', S('alice@example.com'), 'dev:{{SessionNameRaw}}', 'alice@example.com'],
    ['ak:ASIAEXAMPLE0000000001', S('', 'ASIAEXAMPLE0000000001'), 'ak:{{AccessKeyID}}', 'ASIAEXAMPLE0000000001'],
    ['ASIAEXAMPLE0000000001:bob', S('bob', 'ASIAEXAMPLE0000000001'), '{{AccessKeyID}}:{{SessionName}}', 'bob'],
    // The end first: a fixed part that holds the session's name stays fixed.
    ['dev:dev', S('dev'), 'dev:{{SessionName}}', 'dev'],
    ['team-bob/ops', S('bob'), 'team-{{SessionName}}/ops', 'bob'],
  ])('%s', (username, session, template, part) => {
    expect(sessionTemplate(username, session)).toEqual({ role: ROLE, template });
    expect(templateSession(template, username)).toBe(part);
  });

  it.each([
    ['admin', S('alice-session')], // a fixed username: the same for every session
    ['ci', S('GitHubActions', 'ASIAEXAMPLE0000000001')],
  ])('a fixed username is its own template, without a marker: %s', (username, session) => {
    expect(sessionTemplate(username, session)).toEqual({ role: ROLE, template: username });
  });

  it.each([
    ['admin:alice-session', S('')], // no session named (an IAM user's sessionName is empty)
    ['a:b', S('b')], // a one-character name is no STS session name
    ['x-dev-dev-dev-y', S('dev')], // three markers: not a template taken
  ])('not a session username: %s', (username, session) => {
    expect(sessionTemplate(username, session)).toBeUndefined();
  });

  it('a username fits a template or not', () => {
    expect(templateSession('admin:{{SessionName}}', 'admin:dave')).toBe('dave');
    expect(templateSession('admin:{{SessionName}}', 'ops:dave')).toBeUndefined();
    expect(templateSession('a.{{SessionName}}', 'abdave')).toBeUndefined(); // literal parts are literal
    expect(templateSession('admin', 'admin')).toBeUndefined(); // no marker: no template
  });
});

describe('SessionUsers: a role whose sessions show several templates', () => {
  const user = (username: string, template: string) => ({
    subject: { kind: 'User' },
    username,
    groups: ['ops', 'system:authenticated'],
    roleSessions: [{ role: ROLE, template }],
  });
  const a = user('admin:alice', 'admin:{{SessionName}}');
  const b = user('ops-bob', 'ops-{{SessionName}}');

  it('names every template, sorted, whatever order the principals come in', () => {
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const s = new SessionUsers();
      for (const p of order) s.add(p);
      expect(s.list()).toEqual([
        {
          role: ROLE,
          template: 'admin:{{SessionName}}, ops-{{SessionName}}',
          sessions: ['alice', 'bob'],
          groups: ['ops'],
        },
      ]);
    }
  });
});

interface Rec {
  username: string;
  session?: string;
  role?: string;
  day: number;
  extra?: unknown;
  impersonate?: string;
}

/** One list of pods in shop per record, a day apart, as EKS logs a kubectl call of a role's session. */
function log(recs: Rec[]): string {
  return (
    recs
      .map((r, i) => {
        const t = `2026-11-${String(r.day).padStart(2, '0')}T10:00:00.000000Z`;
        const extra = r.extra ?? {
          accessKeyId: [`ASIAEXAMPLE${String(i).padStart(10, '0')}`],
          arn: [`arn:aws:sts::111122223333:assumed-role/${(r.role ?? ROLE).split('/')[1]}/${r.session}`],
          canonicalArn: [r.role ?? ROLE],
          principalId: ['AROAEXAMPLEID'],
          sessionName: [r.session],
        };
        return JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: `c-${i}`,
          stage: 'ResponseComplete',
          requestURI: '/api/v1/namespaces/shop/pods',
          verb: 'list',
          user: {
            username: r.username,
            uid: 'aws-iam-authenticator:111122223333:AROAEXAMPLEID',
            groups: ['shop-admins', 'system:authenticated'],
            extra,
          },
          ...(r.impersonate ? { impersonatedUser: { username: r.impersonate, groups: ['system:authenticated'] } } : {}),
          objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
          responseStatus: { code: 200 },
          requestReceivedTimestamp: t,
          stageTimestamp: t,
          annotations: { 'authorization.k8s.io/decision': 'allow' },
        });
      })
      .join('\n') + '\n'
  );
}

const SOAK: Rec[] = ['alice-session', 'bob-session', 'alice-session', 'carol-session'].map((s, i) => ({
  username: `admin:${s}`,
  session: s,
  day: i + 2,
}));

function file(text: string, name = 'audit.log'): string {
  const f = join(tmp(), name);
  writeFileSync(f, text);
  return f;
}

/** `profile` of a log: the profile's text. */
function profile(logFile: string): string {
  const out = join(tmp(), 'profile.json');
  const r = cli(['profile', '--k8s-audit', logFile, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

interface Notice {
  code: string;
  line: number;
  message: string;
}
/** A profile line, as far as these tests read it. */
interface Line {
  principal?: { username: string; roleSessions?: { role: string; template: string }[] };
  sources?: { records: number; issues: number; notices?: number; noticeSamples: Notice[] }[];
}

const lines = (text: string): Line[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
const principalLines = (text: string) => lines(text).flatMap((l) => (l.principal ? [l.principal] : []));
const WARNING = `IAM role ${ROLE} signs in as a new Kubernetes username each session (admin:{{SessionName}}`;

describe('custom-template usernames through the pipeline', () => {
  let soak = '';
  beforeAll(() => {
    soak = file(log(SOAK));
  });
  const SPLIT = ['--split', '2026-11-04T00:00:00Z'];

  it('the profile keeps each session principal with its role and template', () => {
    const ps = principalLines(profile(soak));
    expect(ps.map((p) => p.username)).toEqual(['admin:alice-session', 'admin:bob-session', 'admin:carol-session']);
    for (const p of ps) expect(p.roleSessions).toEqual([{ role: ROLE, template: 'admin:{{SessionName}}' }]);
  });

  it('generate warns that the bindings will not hold, and names the group every session carries', () => {
    const r = cli(['generate', 'rbac', '--k8s-audit', soak, '-o', join(tmp(), 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('per-session usernames: '));
    expect(line).toContain(WARNING);
    expect(line).toContain('seen: alice-session, bob-session, carol-session');
    expect(line).toContain('--subject-kind Group profiles them: shop-admins');
  });

  it('the backtest: the new session breaks under user bindings, with the reason; bound to the group, nothing breaks', () => {
    const users = cli(['backtest', '--k8s-audit', soak, ...SPLIT, '--format', 'json', '-q']);
    expect(users.code, users.stderr).toBe(0);
    const u = JSON.parse(users.stdout);
    expect(u.allowed).toBe(1); // day 4: alice-session again
    expect(u.wouldDeny).toHaveLength(1);
    expect(u.wouldDeny[0]).toMatchObject({
      subject: 'admin:carol-session',
      reason: `a new session of IAM role ${ROLE}: its Kubernetes username (admin:{{SessionName}}) changes each session`,
    });
    const groups = cli([
      'backtest',
      '--k8s-audit',
      soak,
      ...SPLIT,
      '--subject-kind',
      'Group',
      '--format',
      'json',
      '-q',
    ]);
    expect(groups.code, groups.stderr).toBe(0);
    const g = JSON.parse(groups.stdout);
    expect(g.wouldDeny).toEqual([]);
    expect(g.observed).toBeGreaterThan(0);
    expect(g.allowed).toBe(g.observed);
  });

  it('the report lists it among the coverage warnings', () => {
    const out = join(tmp(), 'report.md');
    const r = cli(['report', '--k8s-audit', soak, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(mdRead(readFileSync(out, 'utf8'))).toContain(`- ${WARNING}`);
  });

  it('a fixed custom username (no session in it) is no session, whatever its extra says', () => {
    const fixed = file(log(SOAK.map((r) => ({ ...r, username: 'admin' }))));
    // The profile says whose sessions sign in as it, the username its own template.
    expect(principalLines(profile(fixed))[0]!.roleSessions).toEqual([{ role: ROLE, template: 'admin' }]);
    const r = cli(['generate', 'rbac', '--k8s-audit', fixed, '-o', join(tmp(), 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('per-session usernames');
  });

  // A fixed username that a session's name happens to equal (CI assuming the role as `ci`, its access entry's
  // username `ci`) read as `{{SessionName}}` and warned that every session signs in anew; another session of the same
  // username (`GitHubActions`) shows it fixed. Each shard saw one of them: the merge, one profile of both and either
  // order answer the same.
  const CI: Rec[] = [
    { username: 'ci', session: 'ci', day: 2 },
    { username: 'ci', session: 'GitHubActions', day: 3 },
    { username: 'dev:dev', session: 'dev', day: 3 },
    { username: 'dev:dev', session: 'alice', day: 4 },
  ];
  it("a fixed username a session's name equals by chance is no session once another session shows it fixed", () => {
    const both = file(log(CI));
    const ps = principalLines(profile(both));
    expect(ps.map((p) => [p.username, p.roleSessions])).toEqual([
      [
        'ci',
        [
          { role: ROLE, template: 'ci' },
          { role: ROLE, template: '{{SessionName}}' },
        ],
      ],
      [
        'dev:dev',
        [
          { role: ROLE, template: 'dev:dev' },
          { role: ROLE, template: 'dev:{{SessionName}}' },
        ],
      ],
    ]);
    const r = cli(['generate', 'rbac', '--k8s-audit', both, '-o', join(tmp(), 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('per-session usernames');
    // One session alone cannot tell: the warning stays, as a missed one would cost a broken binding.
    const one = cli(['generate', 'rbac', '--k8s-audit', file(log(CI.slice(0, 1))), '-o', join(tmp(), 'out')]);
    expect(one.stderr).toContain('per-session usernames');
    // Shards of one session each merge to the profile of both, in either order.
    const shards = CI.map((r) => file(profile(file(log([r]))), 'p.json'));
    const merged = (files: string[]) => {
      const out = join(tmp(), 'merged.json');
      const m = cli(['merge', ...files, '-o', out, '-q']);
      expect(m.code, m.stderr).toBe(0);
      return principalLines(readFileSync(out, 'utf8'));
    };
    expect(merged(shards)).toEqual(ps);
    expect(merged([...shards].reverse())).toEqual(ps);
  });
});

describe('profiles with role sessions merge deterministically', () => {
  // Two shards; a username two roles' sessions share (`{{SessionName}}` alone, `shared-x`) is in both.
  const OTHER = 'arn:aws:iam::111122223333:role/EKS-Ops';
  const A: Rec[] = [...SOAK.slice(0, 2), { username: 'shared-x', session: 'shared-x', day: 2 }];
  const B: Rec[] = [...SOAK.slice(2), { username: 'shared-x', session: 'shared-x', role: OTHER, day: 5 }];

  it('shards in either order give the same bytes; a shared username keeps both roles', () => {
    const [a, b] = [profile(file(log(A))), profile(file(log(B)))];
    const [fa, fb] = [file(a, 'a.json'), file(b, 'b.json')];
    const merged = (files: string[]) => {
      const out = join(tmp(), 'merged.json');
      const r = cli(['merge', ...files, '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(out, 'utf8');
    };
    const ab = merged([fa, fb]);
    expect(merged([fb, fa])).toBe(ab);
    const ps = principalLines(ab);
    expect(ps.find((p) => p.username === 'shared-x')!.roleSessions).toEqual([
      { role: ROLE, template: '{{SessionName}}' },
      { role: OTHER, template: '{{SessionName}}' },
    ]);
    // The merge is what one profile of both logs is, principal for principal.
    expect(principalLines(profile(file(log([...A, ...B]))))).toEqual(ps);
  });
});

describe('old and bad input', () => {
  it('a profile without roleSessions (written before them) reads as before: no session known', () => {
    const text = profile(file(log(SOAK)));
    const old = lines(text)
      .map((l) => {
        if (l.principal) delete l.principal.roleSessions;
        return JSON.stringify(l);
      })
      .join('\n');
    expect(old).not.toContain('roleSessions');
    const [now, then] = [tmp(), tmp()];
    const r = cli(['generate', 'rbac', '--profile', file(old + '\n', 'old.json'), '-o', then]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('per-session usernames');
    // The same policies as from the profile with them: the field says only why they will not hold.
    const n = cli(['generate', 'rbac', '--profile', file(text, 'new.json'), '-o', now]);
    expect(n.code, n.stderr).toBe(0);
    expect(n.stderr).toContain('per-session usernames');
    expect(Object.keys(readTree(then))).toContain('rbac/shop/user.admin~3Acarol-session.yaml');
    expect(readTree(then)).toEqual(readTree(now));
  });

  it('bad extra values are notices: the records are kept, their users not read as sessions', () => {
    const bad: Rec[] = [
      { username: 'admin:a1', session: 'a1', day: 2, extra: { canonicalArn: ROLE, sessionName: ['a1'] } },
      { username: 'admin:a2', session: 'a2', day: 2, extra: { canonicalArn: [ROLE], sessionName: ['a\u0007'] } },
      { username: 'admin:a3', session: 'a3', day: 2, extra: { canonicalArn: [ROLE, ROLE], sessionName: ['a3'] } },
      { username: 'admin:a4', session: 'a4', day: 2, extra: ['canonicalArn'] },
      { username: 'admin:a5', session: 'a5', day: 2, extra: { canonicalArn: [ROLE], sessionName: [5] } },
    ];
    const text = profile(file(log(bad)));
    const src = lines(text)[0]!.sources![0]!;
    expect(src.records).toBe(5);
    expect(src.issues).toBe(0);
    expect(src.notices).toBe(5);
    expect(src.noticeSamples.map((n) => [n.code, n.line])).toEqual(
      [1, 2, 3, 4, 5].map((line) => ['k8s.bad-extra', line]),
    );
    expect(src.noticeSamples[0]!.message).toMatch(/^user\.extra\.canonicalArn is not a list of one name/);
    expect(src.noticeSamples[3]!.message).toMatch(/^user\.extra is not an object/);
    const ps = principalLines(text);
    expect(ps).toHaveLength(5);
    for (const p of ps) expect(p.roleSessions).toBeUndefined();
  });

  it("an impersonated request is the impersonated user's: the impersonator's extra is not read", () => {
    const text = profile(file(log([{ username: 'admin:a1', session: 'a1', day: 2, impersonate: 'admin:a1x' }])));
    expect(principalLines(text).find((p) => p.username === 'admin:a1x')!.roleSessions).toBeUndefined();
  });

  it.each([
    [
      { role: 'arn:aws:iam::111122223333:user/alice', template: 'admin:{{SessionName}}' },
      /is not the ARN of an IAM role/,
    ],
    [{ role: ROLE, template: 'ops:{{SessionName}}' }, /is neither "admin:alice-session" nor a template it fits/],
    [{ role: ROLE, template: 'admin:alice' }, /is neither "admin:alice-session" nor a template it fits/],
  ])('the reader refuses a bad role session, naming the line: %j', (rs, message) => {
    const text = profile(file(log(SOAK)));
    const bad = text.replace(/"roleSessions":\[[^\]]*\]/, `"roleSessions":[${JSON.stringify(rs)}]`);
    expect(bad).not.toBe(text);
    const r = cli(['generate', 'rbac', '--profile', file(bad, 'bad.json'), '-o', join(tmp(), 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:2: not a valid profile: /);
    expect(r.stderr).toMatch(message);
  });

  it('the reader refuses role sessions out of order', () => {
    const text = profile(file(log(SOAK)));
    const two = [
      { role: ROLE, template: 'admin:{{SessionName}}' },
      { role: 'arn:aws:iam::111122223333:role/A', template: 'admin:{{SessionName}}' },
    ];
    const bad = text.replace(/"roleSessions":\[[^\]]*\]/, `"roleSessions":${JSON.stringify(two)}`);
    const r = cli(['generate', 'rbac', '--profile', file(bad, 'bad.json'), '-o', join(tmp(), 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:2: .*roleSessions\[1\]: out of order or repeated/);
  });
});
