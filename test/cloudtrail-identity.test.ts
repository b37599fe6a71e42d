import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import { LEGACY_PROFILE_API_VERSION, type AwsEdge, type Principal, type Profile } from '../src/model/profile.js';
import { awsIdentitySkip } from '../src/profile/scope.js';
import { cli, readTree, ROOT, rng, shuffle, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';
import { readProfileFile } from './helpers/profile.js';

/**
 * Who a CloudTrail call is for (issue 11, item 2): a role is its account and name whatever path a record shows, a user
 * and a role of the same name are two principals with two files, found through the index written beside them; root,
 * federated-user sessions, service-linked roles and records with no identity ARN are counted and get no policy.
 * Records are built from the userIdentity shapes AWS documents for CloudTrail.
 */
const A = '111122223333';
const FIXTURE = join(ROOT, 'test/fixtures/cloudtrail-identities/records.jsonl');
const records = (): Record<string, unknown>[] =>
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function decode(userIdentity: unknown): (AwsCallObservation | InputIssue)[] {
  const out: (AwsCallObservation | InputIssue)[] = [];
  const rec = {
    eventVersion: '1.09',
    userIdentity,
    eventTime: '2026-11-05T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    awsRegion: 'eu-west-1',
    eventID: 'e-1',
    recipientAccountId: A,
  };
  decodeCloudTrailValue(rec, { file: 'f.json', line: 7 }, (x) => {
    if (x.kind === 'aws-call' || x.kind === 'issue') out.push(x);
  });
  return out;
}

const issuer = (type: string, arn: string) => ({
  sessionIssuer: { type, principalId: 'AROAEXAMPLE', arn, accountId: A, userName: arn.split('/').pop() },
  attributes: { creationDate: '2026-11-05T08:00:00Z', mfaAuthenticated: 'false' },
});
const session = (role: string, name = 's') => `arn:aws:sts::${A}:assumed-role/${role}/${name}`;

describe('userIdentity → the identity a policy would attach to', () => {
  it.each([
    [
      'IAMUser',
      { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${A}:user/ops/Alice`, accountId: A },
      { type: 'IAMUser', arn: `arn:aws:iam::${A}:user/ops/Alice` },
      undefined,
    ],
    [
      'AssumedRole with its issuer (the path)',
      {
        type: 'AssumedRole',
        arn: session('app'),
        accountId: A,
        sessionContext: issuer('Role', `arn:aws:iam::${A}:role/apps/app`),
      },
      { type: 'Role', arn: `arn:aws:iam::${A}:role/apps/app` },
      undefined,
    ],
    [
      'AssumedRole without its issuer (no path)',
      { type: 'AssumedRole', arn: session('app'), accountId: A },
      { type: 'Role', arn: `arn:aws:iam::${A}:role/app` },
      undefined,
    ],
    [
      'AssumedRole with no ARN at all',
      { type: 'AssumedRole', principalId: 'AROAEXAMPLE:x', accountId: A },
      { type: 'Role', arn: '' },
      'no-identity',
    ],
    [
      'a service-linked role session',
      {
        type: 'AssumedRole',
        arn: session('AWSServiceRoleForAutoScaling', 'AutoScaling'),
        accountId: A,
        sessionContext: issuer(
          'Role',
          `arn:aws:iam::${A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        ),
        invokedBy: 'autoscaling.amazonaws.com',
      },
      {
        type: 'Role',
        arn: `arn:aws:iam::${A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      },
      'service-linked-role',
    ],
    [
      'a service-linked role session without its issuer (known by its name)',
      { type: 'AssumedRole', arn: session('AWSServiceRoleForECS', 'ecs'), accountId: A },
      { type: 'Role', arn: `arn:aws:iam::${A}:role/AWSServiceRoleForECS` },
      'service-linked-role',
    ],
    [
      'Root',
      { type: 'Root', principalId: A, arn: `arn:aws:iam::${A}:root`, accountId: A },
      { type: 'Root', arn: `arn:aws:iam::${A}:root` },
      'root-user',
    ],
    [
      'Root without its ARN',
      { type: 'Root', accountId: A },
      { type: 'Root', arn: `arn:aws:iam::${A}:root` },
      'root-user',
    ],
    [
      'FederatedUser with the IAM user that issued it',
      {
        type: 'FederatedUser',
        principalId: `${A}:carol`,
        arn: `arn:aws:sts::${A}:federated-user/carol`,
        accountId: A,
        sessionContext: issuer('IAMUser', `arn:aws:iam::${A}:user/Alice`),
      },
      { type: 'FederatedUser', arn: `arn:aws:sts::${A}:federated-user/carol`, issuer: `arn:aws:iam::${A}:user/Alice` },
      'federated-session',
    ],
    [
      'FederatedUser whose record does not say who issued it',
      { type: 'FederatedUser', arn: `arn:aws:sts::${A}:federated-user/dave`, accountId: A },
      { type: 'FederatedUser', arn: `arn:aws:sts::${A}:federated-user/dave` },
      'federated-session',
    ],
    [
      'AWSService',
      { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
      { type: 'AWSService', arn: 'cloudtrail.amazonaws.com' },
      'aws-service',
    ],
    [
      'IAMUser with no ARN',
      { type: 'IAMUser', principalId: 'AIDAEXAMPLE', accountId: A, userName: 'ghost' },
      { type: 'IAMUser', arn: '' },
      'no-identity',
    ],
  ])('%s', (_, userIdentity, principal, skip) => {
    const [obs] = decode(userIdentity);
    expect(obs!.kind, JSON.stringify(obs)).toBe('aws-call');
    const p = (obs as AwsCallObservation).principal;
    expect(p).toEqual({ account: (userIdentity as { accountId?: string }).accountId ?? '', ...principal });
    expect(awsIdentitySkip(p)).toBe(skip);
  });

  it('a session issuer that is no user or root ARN is bad input, with file and line', () => {
    const [x] = decode({
      type: 'FederatedUser',
      arn: `arn:aws:sts::${A}:federated-user/carol`,
      accountId: A,
      sessionContext: issuer('IAMUser', `arn:aws:iam::${A}:user/*`),
    });
    expect(x).toMatchObject({ kind: 'issue', code: 'cloudtrail.bad-name', file: 'f.json', line: 7 });
    expect((x as InputIssue).message).toMatch(/session issuer .* is not the ARN of an IAM user or an account root/);
  });
});

async function profileOf(dir: string, extra: string[] = []): Promise<{ json: Profile; text: string }> {
  const out = join(tmp(), 'p.json');
  const r = cli(['profile', '--cloudtrail', dir, '-o', out, '-q', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const text = readFileSync(out, 'utf8');
  return { json: await readProfileFile(out), text };
}
const calls = (p: Principal) => (p.aws ?? []).reduce((n, e) => n + (e.allowed?.count ?? 0) + (e.denied?.count ?? 0), 0);

describe('a mixed export: paths, a user and a role of one name, root, federation, service-linked roles', () => {
  let whole: Profile;
  beforeAll(async () => {
    whole = (await profileOf(FIXTURE)).json;
  });
  const out = join(tmp(), 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', FIXTURE, '-o', out]);

  it('counts every record: in a principal, or left out with its reason (and left-out identities by name)', () => {
    expect(whole.sources[0]).toMatchObject({ records: 23, issues: 0 });
    const inPrincipals = whole.principals.reduce((n, p) => n + calls(p), 0);
    const skipped = Object.values(whole.skipped).reduce((n, x) => n + x, 0);
    expect(inPrincipals + skipped).toBe(23);
    expect(whole.principals.map((p) => [p.subject.kind, p.username])).toEqual([
      ['IAMRole', `arn:aws:iam::${A}:role/apps/app`],
      ['IAMRole', `arn:aws:iam::${A}:role/deploy`],
      ['IAMRole', `arn:aws:iam::${A}:role/svc/shared`],
      ['IAMUser', `arn:aws:iam::${A}:user/shared`],
    ]);
    // One role with and without its path: one principal holding both records' calls.
    expect(calls(whole.principals[0]!)).toBe(4);
    // The session user/shared issued with GetFederationToken counts for the user (its policies must allow the call).
    expect(calls(whole.principals[3]!)).toBe(3);
    expect(whole.skipped).toEqual({
      'authentication-failure': 2,
      'aws-service': 1,
      'federated-session': 1,
      'no-identity': 1,
      'no-permission': 1,
      'root-user': 2,
      'service-linked-role': 2,
      'unknown-identity': 1,
    });
    expect(whole.leftOut).toEqual([
      {
        reason: 'federated-session',
        arn: `arn:aws:sts::${A}:federated-user/dave`,
        count: 1,
        events: ['sqs.amazonaws.com ListQueues'],
      },
      {
        reason: 'root-user',
        arn: `arn:aws:iam::${A}:root`,
        count: 2,
        events: ['iam.amazonaws.com CreateAccessKey', 's3.amazonaws.com ListBuckets'],
      },
      {
        reason: 'service-linked-role',
        arn: `arn:aws:iam::${A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        count: 2,
        events: ['ec2.amazonaws.com DescribeInstanceStatus', 'ec2.amazonaws.com DescribeInstances'],
      },
    ]);
  });

  it('writes a file per role and per user, an index naming whose each is, and nothing for the identities left out', () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(Object.keys(readTree(join(out, 'iam')))).toEqual([
      `${A}/index.json`,
      `${A}/role/app.json`,
      `${A}/role/deploy.json`,
      `${A}/role/shared.json`,
      `${A}/user/shared.json`,
    ]);
    const index = JSON.parse(readFileSync(join(out, 'iam', A, 'index.json'), 'utf8'));
    expect(index).toEqual({
      apiVersion: 'audit2policy.dev/v1alpha1',
      kind: 'IamPolicyIndex',
      account: A,
      principals: [
        {
          arn: `arn:aws:iam::${A}:role/apps/app`,
          kind: 'role',
          name: 'app',
          path: '/apps/',
          policies: ['role/app.json'],
        },
        {
          arn: `arn:aws:iam::${A}:role/deploy`,
          kind: 'role',
          name: 'deploy',
          path: '/',
          policies: ['role/deploy.json'],
        },
        {
          arn: `arn:aws:iam::${A}:role/svc/shared`,
          kind: 'role',
          name: 'shared',
          path: '/svc/',
          policies: ['role/shared.json'],
        },
        {
          arn: `arn:aws:iam::${A}:user/shared`,
          kind: 'user',
          name: 'shared',
          path: '/',
          policies: ['user/shared.json'],
        },
      ],
    });
    const text = (f: string) => readFileSync(join(out, 'iam', A, f), 'utf8');
    expect(text('user/shared.json')).toContain('acme-id-uploads/u/1.bin');
    expect(text('user/shared.json')).not.toContain('shared-topic');
    expect(text('role/shared.json')).toContain('shared-topic');
    expect(text('role/shared.json')).not.toContain('acme-id-uploads');
    // The pathless records' calls are the role's: SendMessage beside the calls of records with the issuer.
    expect(text('role/app.json')).toMatch(/sqs:SendMessage[\s\S]*app-events|app-events[\s\S]*sqs:SendMessage/);
    // Nothing for the expired token, the denied call, root, a federated session of unknown issuer or service-linked
    // sessions; the federated session user/shared issued is the user's.
    const all = Object.values(readTree(join(out, 'iam'))).join('\n');
    for (const absent of ['out/b.csv', 'DeleteQueue', 'DeleteFunction', 'ListQueues', 'ListAllMyBuckets'])
      expect(all).not.toContain(absent);
    expect(text('user/shared.json')).toContain('fed/x.csv');
    expect(all).not.toMatch(/ec2:|iam:CreateAccessKey/);
    expect(gen.stderr).toMatch(/left out: 6 calls by identities no identity policy attaches to/);
    expect(gen.stderr).toMatch(/the root user arn:aws:iam::111122223333:root: 2 calls/);
    expect(gen.stderr).not.toMatch(/federated-user sessions issued by arn:aws:iam::111122223333:user\/shared/);
    expect(gen.stderr).toMatch(/the service-linked role .*AWSServiceRoleForAutoScaling .*: 2 calls/);
    expect(gen.stderr).toMatch(/1 record that names no identity/);
  });

  const verify = (policies: string) => {
    const v = cli(['verify', '--policies', policies, '--cloudtrail', FIXTURE, '--format', 'json']);
    return { code: v.code, report: JSON.parse(v.stdout), stderr: v.stderr };
  };
  type F = { subject: string; access: { action: string } };
  const subjects = (fs: F[]) => [...new Set(fs.map((f) => f.subject))].sort();

  it('verify allows every observed call, none denied', () => {
    const v = verify(out);
    expect(v.code, v.stderr).toBe(0);
    expect(v.report.notAllowed).toEqual([]);
    expect(v.report.undetermined).toEqual([]);
    expect(v.report.allowed).toBe(v.report.observed);
    expect(v.report.byKind.iam).toEqual({ observed: 10, allowed: 10 });
  });

  it("without the user's file verify denies the user's calls, not the role's; and the reverse", () => {
    for (const [file, denied, count] of [
      ['user/shared.json', `arn:aws:iam::${A}:user/shared`, 3],
      ['role/shared.json', `arn:aws:iam::${A}:role/svc/shared`, 2],
    ] as const) {
      const copy = join(tmp(), 'p');
      cpSync(out, copy, { recursive: true });
      rmSync(join(copy, 'iam', A, file));
      const v = verify(copy);
      expect(v.code).toBe(1);
      expect(subjects(v.report.notAllowed)).toEqual([denied]);
      expect(v.report.notAllowed[0].detail).toMatch(
        new RegExp(`its index lists .*${file}, not among the policies read`),
      );
      // Only that principal's calls (the user's own two and its federated session's): the other one of the same name
      // still has its own file.
      expect(v.report.notAllowed).toHaveLength(count);
    }
  });

  it("the user's and the role's policies swapped: each is judged by its own file, so both are denied", () => {
    const copy = join(tmp(), 'p');
    cpSync(out, copy, { recursive: true });
    const u = join(copy, 'iam', A, 'user/shared.json');
    const r = join(copy, 'iam', A, 'role/shared.json');
    const [ut, rt] = [readFileSync(u, 'utf8'), readFileSync(r, 'utf8')];
    writeFileSync(u, rt);
    writeFileSync(r, ut);
    const v = verify(copy);
    expect(v.code).toBe(1);
    expect(subjects(v.report.notAllowed)).toEqual([
      `arn:aws:iam::${A}:role/svc/shared`,
      `arn:aws:iam::${A}:user/shared`,
    ]);
  });

  it('the index decides, not the file name: a renamed file it lists still counts; without the index, the place does', () => {
    const copy = join(tmp(), 'p');
    cpSync(out, copy, { recursive: true });
    const dir = join(copy, 'iam', A);
    mkdirSync(join(dir, 'team'));
    renameSync(join(dir, 'user/shared.json'), join(dir, 'team/uploads.json'));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    index.principals[3].policies = ['team/uploads.json'];
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    expect(verify(copy).code).toBe(0);
    // Hand-written trees: no index, policies at <account>/role/<name>.json and <account>/user/<name>.json.
    const hand = join(tmp(), 'hand');
    cpSync(join(out, 'iam', A), join(hand, A), { recursive: true });
    rmSync(join(hand, A, 'index.json'));
    expect(verify(hand).code).toBe(0);
    // A policy file with no index and no place: an issue naming it (verify stops on bad input by default).
    const lost = join(tmp(), 'lost');
    mkdirSync(lost);
    cpSync(join(out, 'iam', A, 'role/app.json'), join(lost, 'app.json'));
    const v = cli(['verify', '--policies', lost, '--cloudtrail', FIXTURE]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/app\.json:1: iam\.unattached-policy: .*<account>\/role\/<name>\.json/);
  });

  it('an index that lists one file for two principals, or a file outside its tree, is refused with its name', () => {
    for (const [edit, message] of [
      [
        (ix: { principals: { policies: string[] }[] }) => (ix.principals[1]!.policies = ['role/app.json']),
        /listed for two principals/,
      ],
      [(ix: { principals: { policies: string[] }[] }) => (ix.principals[0]!.policies = ['../x.json']), /\.\. segment/],
    ] as const) {
      const copy = join(tmp(), 'p');
      cpSync(out, copy, { recursive: true });
      const f = join(copy, 'iam', A, 'index.json');
      const ix = JSON.parse(readFileSync(f, 'utf8'));
      edit(ix);
      writeFileSync(f, JSON.stringify(ix));
      const v = cli(['verify', '--policies', copy, '--cloudtrail', FIXTURE]);
      expect(v.code).toBe(2);
      expect(v.stderr).toMatch(/index\.json:1: iam\.invalid-index: /);
      expect(v.stderr).toMatch(message);
    }
  });

  it('diff names principals by the ARN the index gives, without a profile', () => {
    const copy = join(tmp(), 'p');
    cpSync(out, copy, { recursive: true });
    const f = join(copy, 'iam', A, 'user/shared.json');
    writeFileSync(
      f,
      readFileSync(f, 'utf8').replace('"sqs:ReceiveMessage"', '"sqs:ReceiveMessage",\n        "sqs:DeleteMessage"'),
    );
    const d = cli(['diff', out, copy, '--format', 'json', '--kind', 'iam']);
    const r = JSON.parse(d.stdout);
    expect(r.newAccess.map((x: { principal: string; summary: string }) => [x.principal, x.summary])).toEqual([
      [`arn:aws:iam::${A}:user/shared`, `sqs:DeleteMessage on arn:aws:sqs:eu-west-1:${A}:shared-inbox`],
    ]);
  });

  it('the report lists what was left out: a federated session whose issuer the records do not say', () => {
    const p = join(tmp(), 'p.json');
    expect(cli(['profile', '--cloudtrail', FIXTURE, '-o', p, '-q']).code).toBe(0);
    const md = join(tmp(), 'r.md');
    const r = cli(['report', '--profile', p, '-o', md]);
    expect(r.code, r.stderr).toBe(0);
    const text = mdRead(readFileSync(md, 'utf8'));
    expect(text).toMatch(/left out: root-user.*2.*the root user arn:aws:iam::111122223333:root/);
    expect(text).toMatch(/left out: federated-session.*federated-user\/dave.*do not say who issued the session/);
    expect(text).not.toMatch(/issued federated-user sessions/);
    expect(text).toMatch(/service-linked role arn:aws:iam::111122223333:role\/aws-service-role\//);
  });
});

describe('any record order, any split, any worker count: the same bytes', () => {
  const layout = (rs: Record<string, unknown>[]) => {
    const dir = tmp();
    const q = Math.ceil(rs.length / 3);
    writeFileSync(
      join(dir, 'a.jsonl'),
      rs
        .slice(0, q)
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ Records: rs.slice(q, 2 * q) }, null, 2));
    writeFileSync(join(dir, 'c.json.gz'), gzipSync(JSON.stringify({ Records: rs.slice(2 * q) })));
    return dir;
  };

  it('reversed and shuffled: profile (its graph; with every byte across worker counts) and generate -o', async () => {
    const orders = [records(), [...records()].reverse(), shuffle(records(), rng(3))];
    const graphs = new Set<string>();
    const trees = new Set<string>();
    for (const rs of orders) {
      const dir = layout(rs);
      const texts: string[] = [];
      for (const workers of ['1', '3']) {
        const p = await profileOf(dir, ['--workers', workers]);
        texts.push(p.text);
        graphs.add(JSON.stringify({ ...p.json, sources: [] }));
        const out = join(tmp(), 'out');
        const g = cli(['generate', 'iam', '--cloudtrail', dir, '-o', out, '-q', '--workers', workers]);
        expect(g.code, g.stderr).toBe(0);
        trees.add(JSON.stringify(readTree(out)));
      }
      expect(texts[1]).toBe(texts[0]);
    }
    expect(graphs.size).toBe(1);
    expect(trees.size).toBe(1);
  }, 180_000);

  it('profiles of any split merge into the profile of the whole, the role named by its path either way', async () => {
    const rs = shuffle(records(), rng(9));
    const whole = (await profileOf(FIXTURE)).json;
    // A split that puts every record of the role with its path in one half and the pathless ones in the other.
    const pathless = (r: Record<string, unknown>) => !(r['userIdentity'] as Record<string, unknown>)['sessionContext'];
    for (const [a, b] of [
      [rs.slice(0, 11), rs.slice(11)],
      [rs.filter(pathless), rs.filter((r) => !pathless(r))],
    ]) {
      const [da, db, m] = [layout(a!), layout(b!), tmp()];
      for (const [d, n] of [
        [da, 'a'],
        [db, 'b'],
      ] as const)
        expect(cli(['profile', '--cloudtrail', d, '-o', join(m, `${n}.json`), '-q']).code).toBe(0);
      for (const order of [
        ['a.json', 'b.json'],
        ['b.json', 'a.json'],
      ]) {
        expect(cli(['merge', ...order.map((f) => join(m, f)), '-o', join(m, 'm.json')]).code).toBe(0);
        const merged = await readProfileFile(join(m, 'm.json'));
        expect({ ...merged, sources: [] }).toEqual({ ...whole, sources: [] });
      }
    }
  });
});

describe('a profile written before roles were keyed by account and name', () => {
  it('reads as this version writes it: one role with and without its path, root, federated and service-linked identities left out', async () => {
    const now = (await profileOf(FIXTURE)).json;
    const ev = (n: number, id: string) => ({
      count: n,
      firstSeen: '2026-11-05T10:00:00.000000Z',
      lastSeen: '2026-11-05T10:00:00.000000Z',
      stages: { ResponseComplete: n },
      samples: [{ id, time: '2026-11-05T10:00:00.000000Z' }],
    });
    const edge = (source: string, name: string, id: string): AwsEdge => ({
      eventSource: source,
      eventName: name,
      resources: [],
      implied: [],
      region: 'eu-west-1',
      account: A,
      allowed: ev(1, id),
    });
    const aws = (kind: Principal['subject']['kind'], name: string, edges: AwsEdge[]): Principal => ({
      subject: { kind, name },
      username: name,
      groups: [],
      k8s: [],
      aws: edges,
    });
    // The role's pathless records made a principal of their own, keyed by the ARN string.
    const app = now.principals[0]!;
    const send = app.aws!.filter((e) => e.eventName === 'SendMessage');
    const old: Profile = {
      ...now,
      skipped: Object.fromEntries(
        Object.entries(now.skipped).filter(
          ([k]) => !['root-user', 'federated-session', 'service-linked-role'].includes(k),
        ),
      ),
      principals: [
        aws('AWSAccount', `arn:aws:iam::${A}:root`, [
          edge('iam.amazonaws.com', 'CreateAccessKey', 'r1'),
          edge('s3.amazonaws.com', 'ListBuckets', 'r2'),
        ]),
        aws('FederatedUser', `arn:aws:sts::${A}:federated-user/dave`, [edge('sqs.amazonaws.com', 'ListQueues', 'f1')]),
        { ...app, aws: app.aws!.filter((e) => e.eventName !== 'SendMessage') },
        aws('IAMRole', `arn:aws:iam::${A}:role/app`, send),
        aws(
          'IAMRole',
          `arn:aws:iam::${A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
          [edge('ec2.amazonaws.com', 'DescribeInstances', 's1')],
        ),
        ...now.principals.slice(1),
      ],
    };
    delete old.leftOut;
    const dir = tmp();
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ ...old, apiVersion: LEGACY_PROFILE_API_VERSION }));
    expect(cli(['merge', join(dir, 'old.json'), '-o', join(dir, 'm.json')]).code).toBe(0);
    const m = await readProfileFile(join(dir, 'm.json'));
    expect(m.principals).toEqual(now.principals);
    expect(m.skipped).toMatchObject({ 'root-user': 2, 'federated-session': 1, 'service-linked-role': 1 });
    expect(m.leftOut!.map((l) => [l.reason, l.arn, l.count])).toEqual([
      ['federated-session', `arn:aws:sts::${A}:federated-user/dave`, 1],
      ['root-user', `arn:aws:iam::${A}:root`, 2],
      [
        'service-linked-role',
        `arn:aws:iam::${A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        1,
      ],
    ]);
    // generate from the old profile writes what it writes from the logs.
    const [o1, o2] = [join(tmp(), 'o'), join(tmp(), 'o')];
    expect(cli(['generate', 'iam', '--profile', join(dir, 'old.json'), '-o', o1, '-q']).code).toBe(0);
    expect(cli(['generate', 'iam', '--cloudtrail', FIXTURE, '-o', o2, '-q']).code).toBe(0);
    expect(readTree(o1)).toEqual(readTree(o2));
  });
});

describe('the output directory: iam/ files are ours by the evidence beside them', () => {
  it('a tree of the earlier layout (iam/<account>/<name>.json) is replaced; a hand-written policy is left alone', () => {
    const out = join(tmp(), 'out');
    mkdirSync(join(out, 'iam', A), { recursive: true });
    mkdirSync(join(out, 'evidence/iam', A), { recursive: true });
    writeFileSync(join(out, 'iam', A, 'app.json'), '{"Version":"2012-10-17","Statement":[]}');
    writeFileSync(join(out, 'iam', A, 'app.2.json'), '{"Version":"2012-10-17","Statement":[]}');
    writeFileSync(
      join(out, 'evidence/iam', A, 'app.json'),
      JSON.stringify({ apiVersion: 'audit2policy.dev/v1alpha1', kind: 'IamPolicyEvidence' }, null, 2),
    );
    const r = cli(['generate', 'iam', '--cloudtrail', FIXTURE, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'iam', A, 'app.json'))).toBe(false);
    expect(existsSync(join(out, 'iam', A, 'role/app.json'))).toBe(true);
    // A rerun over its own output, then a policy nobody generated.
    expect(cli(['generate', 'iam', '--cloudtrail', FIXTURE, '-o', out, '-q']).code).toBe(0);
    writeFileSync(join(out, 'iam', A, 'role/hand.json'), '{"Version":"2012-10-17","Statement":[]}');
    const again = cli(['generate', 'iam', '--cloudtrail', FIXTURE, '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /iam\/111122223333\/role\/hand\.json .* was not written by audit2policy .*: left alone/,
    );
    expect(existsSync(join(out, 'iam', A, 'role/hand.json'))).toBe(true);
  });
});

describe('preferredIamArn: which path names a role, whatever the order', () => {
  it('is commutative, associative and idempotent, and prefers a path other than /', async () => {
    const { preferredIamArn, principalId } = await import('../src/model/subject.js');
    const paths = ['/', '/a/', '/b/', '/a/b/', '/aws-service-role/x.amazonaws.com/', '/B/'];
    const arns = paths.flatMap((p) => [`arn:aws:iam::${A}:role${p}r`, `arn:aws:iam::${A}:user${p}r`]);
    const r = rng(5);
    for (let i = 0; i < 500; i++) {
      const pick = () => arns[Math.floor(r() * arns.length)]!;
      const [x, y, z] = [pick(), pick(), pick()];
      expect(preferredIamArn(x, y)).toBe(preferredIamArn(y, x));
      expect(preferredIamArn(preferredIamArn(x, y), z)).toBe(preferredIamArn(x, preferredIamArn(y, z)));
      expect(preferredIamArn(x, x)).toBe(x);
    }
    expect(preferredIamArn(`arn:aws:iam::${A}:role/r`, `arn:aws:iam::${A}:role/b/r`)).toBe(
      `arn:aws:iam::${A}:role/b/r`,
    );
    expect(preferredIamArn(`arn:aws:iam::${A}:role/b/r`, `arn:aws:iam::${A}:role/a/r`)).toBe(
      `arn:aws:iam::${A}:role/a/r`,
    );
    // One key per role or user, whatever its path; a role and a user of one name apart.
    const role = (n: string) => ({ kind: 'IAMRole' as const, name: n });
    expect(principalId(role(`arn:aws:iam::${A}:role/a/r`))).toBe(principalId(role(`arn:aws:iam::${A}:role/r`)));
    expect(principalId(role(`arn:aws:iam::${A}:role/r`))).not.toBe(
      principalId({ kind: 'IAMUser', name: `arn:aws:iam::${A}:user/r` }),
    );
    expect(principalId(role(`arn:aws:iam::${A}:role/r`))).not.toBe(
      principalId(role(`arn:aws:iam::444455556666:role/r`)),
    );
  });
});

describe('names a case-insensitive file system would merge', () => {
  it('two roles whose names differ only in case get two files, found through the index and by their place', () => {
    const base = records()[0]!;
    const as = (name: string, key: string, id: string) => ({
      ...base,
      eventID: id,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${A}:assumed-role/${name}/s`,
        accountId: A,
        sessionContext: issuer('Role', `arn:aws:iam::${A}:role/${name}`),
      },
      requestParameters: { bucketName: 'acme-id-data', key },
      resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-id-data/${key}` }],
    });
    const dir = tmp();
    writeFileSync(
      join(dir, 'ct.jsonl'),
      [as('App', 'upper.csv', 'c1'), as('app', 'lower.csv', 'c2')].map((x) => JSON.stringify(x)).join('\n') + '\n',
    );
    const out = join(tmp(), 'out');
    expect(cli(['generate', 'iam', '--cloudtrail', dir, '-o', out, '-q']).code).toBe(0);
    const files = Object.keys(readTree(join(out, 'iam', A, 'role')));
    expect(files).toHaveLength(2);
    expect(files).toContain('app.json');
    expect(files.find((f) => f !== 'app.json')).toMatch(/^App~h[0-9a-f]{10}\.json$/);
    for (const policies of [out, join(out, 'iam', A, 'role')]) {
      // With the index, and without it (by place: the case suffix read back).
      const v = cli(['verify', '--policies', policies, '--cloudtrail', dir, '--format', 'json']);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(JSON.parse(v.stdout).byKind.iam).toEqual({ observed: 2, allowed: 2 });
    }
  });
});
