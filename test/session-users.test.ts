import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionUsers, sessionUser } from '../src/knowledge/kubernetes/sessionUsers.js';
import { cli, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';

// EKS's default access-entry username for an IAM role is `arn:aws:sts::ACCOUNT:assumed-role/ROLE/{{SessionName}}`
// (EKS user guide, "Set a custom username for EKS access entries"): every session of the role is a new Kubernetes
// username, so a binding to one session's username is denied to the next. The tool cannot bind a pattern (RBAC has
// none); it says so where the user looks (generate's summary, the report's coverage warnings, the backtest's reason)
// and names what holds: a group every session carries (--subject-kind Group), or a fixed username.

describe('sessionUser: EKS default usernames of IAM role sessions', () => {
  it.each([
    [
      'arn:aws:sts::111122223333:assumed-role/dev-team/alice@example.com',
      'arn:aws:iam::111122223333:role/dev-team',
      'alice@example.com',
    ],
    [
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob',
      'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef',
      'bob',
    ],
    [
      'arn:aws-cn:sts::111122223333:assumed-role/ci/botocore-session-1762000000',
      'arn:aws-cn:iam::111122223333:role/ci',
      'botocore-session-1762000000',
    ],
    [
      'arn:aws-us-gov:sts::111122223333:assumed-role/ci/GitHubActions',
      'arn:aws-us-gov:iam::111122223333:role/ci',
      'GitHubActions',
    ],
  ])('%s', (username, role, session) => {
    const s = sessionUser(username);
    expect(s).toEqual({ role, template: expect.stringMatching(/\/\{\{SessionName\}\}$/), session });
    expect(s!.template).toBe(username.slice(0, username.lastIndexOf('/') + 1) + '{{SessionName}}');
  });

  it.each([
    'arn:aws:iam::111122223333:user/alice', // an IAM user: its ARN is stable
    'arn:aws:iam::111122223333:role/dev-team', // a custom username naming the role
    'arn:aws:sts::111122223333:assumed-role/dev-team', // no session
    'arn:aws:sts::111122223333:assumed-role/path/dev-team/alice', // EKS drops the path: not its form
    'arn:aws:sts::11112222333:assumed-role/dev-team/alice', // 11 digits
    'admin:alice', // a custom template: nothing shows it
    'system:serviceaccount:shop:cart',
    'alice@example.com',
  ])('not a session username: %s', (username) => {
    expect(sessionUser(username)).toBeUndefined();
  });

  it('collects sessions by role, with the groups every session carried (not system ones)', () => {
    const c = new SessionUsers();
    const u = (username: string, groups: string[], kind = 'User') => c.add({ subject: { kind }, username, groups });
    u('arn:aws:sts::111122223333:assumed-role/dev/b', ['dev', 'readers', 'system:authenticated']);
    u('arn:aws:sts::111122223333:assumed-role/dev/a', ['dev', 'system:authenticated']);
    u('arn:aws:sts::111122223333:assumed-role/ops/x', ['system:authenticated']);
    u('arn:aws:sts::111122223333:assumed-role/ops/y', ['ops'], 'Group'); // not a User: not a session
    u('system:serviceaccount:shop:cart', ['system:serviceaccounts']);
    expect(c.list()).toEqual([
      {
        role: 'arn:aws:iam::111122223333:role/dev',
        template: 'arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}',
        sessions: ['a', 'b'],
        groups: ['dev'],
      },
      {
        role: 'arn:aws:iam::111122223333:role/ops',
        template: 'arn:aws:sts::111122223333:assumed-role/ops/{{SessionName}}',
        sessions: ['x'],
        groups: [],
      },
    ]);
  });
});

/** Day by day, a new session of the dev-team role lists pods in shop (as kubectl through EKS does). */
function soak(): string {
  const sessions = ['alice@example.com', 'bob@example.com', 'alice@example.com', 'carol@example.com'];
  return (
    sessions
      .map((s, i) => {
        const t = `2026-11-0${i + 2}T10:00:00.000000Z`;
        const username = `arn:aws:sts::111122223333:assumed-role/dev-team/${s}`;
        return JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: `s-${i}`,
          stage: 'ResponseComplete',
          requestURI: '/api/v1/namespaces/shop/pods',
          verb: 'list',
          user: {
            username,
            uid: 'aws-iam-authenticator:111122223333:AROAEXAMPLEID',
            groups: ['dev-team', 'system:authenticated'],
            extra: { arn: [username], canonicalArn: ['arn:aws:iam::111122223333:role/dev-team'], sessionName: [s] },
          },
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

describe('per-session usernames through the pipeline', () => {
  let log = '';
  beforeAll(() => {
    log = join(tmp(), 'audit.log');
    writeFileSync(log, soak());
  });
  const SPLIT = ['--split', '2026-11-04T00:00:00Z'];

  it("generate says the bindings will not hold, and names the role's group", () => {
    const r = cli(['generate', 'rbac', '--k8s-audit', log, '-o', join(tmp(), 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('per-session usernames: '));
    expect(line).toContain('IAM role arn:aws:iam::111122223333:role/dev-team signs in as a new Kubernetes username');
    expect(line).toContain('seen: alice@example.com, bob@example.com, carol@example.com');
    expect(line).toContain('--subject-kind Group profiles them: dev-team');
  });

  it('the backtest: the new session is breakage, with the reason; bound to the group, it holds', () => {
    const users = cli(['backtest', '--k8s-audit', log, ...SPLIT, '--format', 'json', '-q']);
    expect(users.code, users.stderr).toBe(0);
    const u = JSON.parse(users.stdout);
    // Day 3 (alice again) is allowed; day 4's carol is a new username: denied.
    expect(u.allowed).toBe(1);
    expect(u.wouldDeny).toHaveLength(1);
    expect(u.wouldDeny[0]).toMatchObject({
      subject: 'arn:aws:sts::111122223333:assumed-role/dev-team/carol@example.com',
      reason:
        'a new session of IAM role arn:aws:iam::111122223333:role/dev-team: its Kubernetes username (arn:aws:sts::111122223333:assumed-role/dev-team/{{SessionName}}) changes each session',
    });

    const groups = cli(['backtest', '--k8s-audit', log, ...SPLIT, '--subject-kind', 'Group', '--format', 'json', '-q']);
    expect(groups.code, groups.stderr).toBe(0);
    const g = JSON.parse(groups.stdout);
    expect(g.wouldDeny).toEqual([]);
    expect(g.allowed).toBe(g.observed);
    expect(g.observed).toBeGreaterThan(0);
  });

  it('the report lists it among the coverage warnings', () => {
    const out = join(tmp(), 'report.md');
    const r = cli(['report', '--k8s-audit', log, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(mdRead(readFileSync(out, 'utf8'))).toMatch(
      /- IAM role arn:aws:iam::111122223333:role\/dev-team signs in as a new Kubernetes username each session/,
    );
  });
});
