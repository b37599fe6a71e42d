import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, readTree, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const DEMO = join(ROOT, 'fixtures/demo');
const counts = JSON.parse(readFileSync(join(DEMO, 'counts.json'), 'utf8')) as {
  records: number;
  files: { path: string; events: number }[];
  subjects: Record<string, { records: number; denied: number }>;
};

describe('the demo environment', () => {
  it('is exactly what the seeded generator writes', () => {
    const out = tmp();
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-demo.js'), out]);
    expect(r.status).toBe(0);
    const want = readTree(DEMO);
    delete want['README.md'];
    expect(readTree(out)).toEqual(want);
  });

  it('profiles to the documented records, principals and denials, and its generated RBAC verifies', async () => {
    const out = tmp();
    const p = cli(['profile', '--k8s-audit', join(DEMO, 'k8s-audit'), '-o', join(out, 'p.json')]);
    expect(p.code).toBe(0);
    expect(p.stderr).not.toMatch(/input issue/);
    const profile = await readProfileFile(join(out, 'p.json'));
    const read = Object.fromEntries(
      profile.sources.map((s: { path: string; records: number }) => [
        s.path.slice(join(DEMO, 'k8s-audit').length + 1),
        s.records,
      ]),
    );
    expect(read).toEqual(Object.fromEntries(counts.files.map((f) => [f.path, f.events])));
    const system = Object.entries(counts.subjects).filter(([u]) =>
      /^system:(kube-|node:|apiserver|serviceaccount:kube-system:)/.test(u),
    );
    expect(profile.skipped).toEqual({ 'system-identity': system.reduce((n, [, c]) => n + c.records, 0) });
    // ci-admin makes no request of its own: it impersonates ci:deployer, and its impersonate checks make it one.
    expect(profile.principals.map((x: { username: string }) => x.username).sort()).toEqual(
      [...Object.keys(counts.subjects).filter((u) => !system.some(([s]) => s === u)), 'ci-admin'].sort(),
    );
    const deniedEdges = profile.principals.flatMap((x: { k8s: { denied?: unknown; allowed?: unknown }[] }) =>
      x.k8s.filter((e) => e.denied && !e.allowed),
    );
    expect(deniedEdges).toHaveLength(Object.values(counts.subjects).reduce((n, c) => n + c.denied, 0));

    expect(cli(['generate', 'rbac', '--profile', join(out, 'p.json'), '-o', out, '-q']).code).toBe(0);
    const v = cli([
      'verify',
      '--policies',
      join(out, 'rbac'),
      '--k8s-audit',
      join(DEMO, 'k8s-audit'),
      '--format',
      'json',
    ]);
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.notAllowed).toEqual([]);
    expect(report.allowed).toBe(report.observed);
    expect(report.denied).toHaveLength(3);
  });

  it('its CloudTrail profiles to the documented records, roles, links and denials', async () => {
    const ct = JSON.parse(readFileSync(join(DEMO, 'cloudtrail-counts.json'), 'utf8')) as {
      records: number;
      files: { path: string; events: number }[];
      principals: Record<string, { records: number; denied: number }>;
    };
    const out = tmp();
    const p = cli(['profile', '--cloudtrail', join(DEMO, 'cloudtrail'), '-o', join(out, 'p.json')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/input issue/);
    const profile = await readProfileFile(join(out, 'p.json'));
    const read = Object.fromEntries(
      profile.sources.map((s: { path: string; records: number }) => [
        s.path.slice(join(DEMO, 'cloudtrail').length + 1),
        s.records,
      ]),
    );
    expect(read).toEqual(Object.fromEntries(ct.files.map((f) => [f.path, f.events])));
    expect(profile.sources.every((s: { format: string }) => s.format === 'cloudtrail')).toBe(true);
    const roles = Object.keys(ct.principals).filter((k) => k.startsWith('arn:'));
    expect(
      profile.principals
        .filter((x: { subject: { kind: string } }) => x.subject.kind === 'IAMRole')
        .map((x: { username: string }) => x.username)
        .sort(),
    ).toEqual(roles.sort());
    expect(profile.skipped['aws-service']).toBe(
      ct.principals['service:autoscaling.amazonaws.com']!.records +
        ct.principals['service:lambda.amazonaws.com']!.records,
    );
    // Lambda assumes the thumbnailer's execution role at each cold start; GitHub Actions workflows of acme/shop
    // assume the release role, on main and for two release tags.
    expect(profile.serviceAssumptions?.map((a) => [a.roleArn, a.service, a.evidence.count])).toEqual([
      [
        'arn:aws:iam::111122223333:role/lambda/thumbnailer-exec',
        'lambda.amazonaws.com',
        ct.principals['service:lambda.amazonaws.com']!.records,
      ],
    ]);
    const gha = (subject: string) => ct.principals[`web-identity:${subject}`]!.records;
    // The GitHub Actions workflows; the mobile app's shoppers come through the Cognito identity pool (below).
    const tokens = profile.webIdentityAssumptions ?? [];
    const cognito = tokens.filter((a) => a.provider === 'cognito-identity.amazonaws.com');
    expect(tokens.filter((a) => !cognito.includes(a)).map((a) => [a.roleArn, a.subject, a.evidence.count])).toEqual(
      [
        'repo:acme/shop:ref:refs/heads/main',
        'repo:acme/shop:ref:refs/tags/v1.4.0',
        'repo:acme/shop:ref:refs/tags/v1.5.0',
      ].map((s) => ['arn:aws:iam::111122223333:role/ci/github-release', s, gha(s)]),
    );
    // Each shopper an identity id of the pool, its own principal key in the counts; signed-in ones pass a tag.
    expect(cognito.length).toBeGreaterThan(15);
    for (const a of cognito) {
      expect([a.roleArn, a.audience]).toEqual([
        'arn:aws:iam::111122223333:role/app/shop-mobile-uploads',
        'eu-west-1:7d3c1e52-8a4b-4f6e-9c21-5b0a9e3f4d18',
      ]);
      expect(a.evidence.count).toBe(gha(a.subject));
    }
    expect(new Set(cognito.map((a) => (a.actions ?? []).join(',')))).toEqual(
      new Set(['', 'sts:AssumeRoleWithWebIdentity,sts:TagSession']),
    );
    expect(gha('repo:acme/shop:ref:refs/heads/main')).toBe(6);
    const links = profile.principals.flatMap(
      (x: { username: string; assumes?: { roleArn: string; via: string; evidence: { count: number } }[] }) =>
        (x.assumes ?? []).map((l) => [x.username, l.roleArn, l.via, l.evidence.count]),
    );
    expect(links).toEqual([
      [
        'system:serviceaccount:ci:deployer',
        'arn:aws:iam::111122223333:role/ci/ci-deployer',
        'irsa',
        ct.principals['web-identity:system:serviceaccount:ci:deployer']!.records,
      ],
      [
        'system:serviceaccount:ops:backup',
        'arn:aws:iam::111122223333:role/ops-backup',
        'irsa',
        ct.principals['web-identity:system:serviceaccount:ops:backup']!.records,
      ],
      [
        'system:serviceaccount:ops:report',
        'arn:aws:iam::111122223333:role/ops-report',
        'irsa',
        ct.principals['web-identity:system:serviceaccount:ops:report']!.records,
      ],
      [
        'system:serviceaccount:payments:payments-api',
        'arn:aws:iam::111122223333:role/payments-api',
        'pod-identity',
        ct.principals['service:pods.eks.amazonaws.com']!.records,
      ],
      [
        'system:serviceaccount:shop:cart',
        'arn:aws:iam::111122223333:role/shop-cart',
        'irsa',
        ct.principals['web-identity:system:serviceaccount:shop:cart']!.records,
      ],
    ]);
    const denied = profile.principals
      .flatMap((x: { aws?: { denied?: { count: number } }[] }) => (x.aws ?? []).filter((e) => e.denied))
      .reduce((n: number, e) => n + e.denied!.count, 0);
    expect(denied).toBe(Object.values(ct.principals).reduce((n, c) => n + c.denied, 0));
  });

  it('its flows profile to the documented records per file, against its inventory', async () => {
    const fc = JSON.parse(readFileSync(join(DEMO, 'flows-counts.json'), 'utf8')) as {
      files: { path: string; records: number }[];
    };
    const out = tmp();
    const p = cli([
      'profile',
      '--flows',
      join(DEMO, 'flows'),
      '--inventory',
      join(DEMO, 'inventory'),
      '-o',
      join(out, 'p.json'),
    ]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/issue/);
    const profile = await readProfileFile(join(out, 'p.json'));
    const read = Object.fromEntries(
      profile.sources.map((s: { path: string; records: number }) => [
        s.path.slice(join(DEMO, 'flows').length + 1),
        s.records,
      ]),
    );
    expect(read).toEqual(Object.fromEntries(fc.files.map((f) => [f.path, f.records])));
    // Every workload of the README's table is in the profile, with the inventory's selector.
    const names = profile.workloads!.map((w) => `${w.namespace}/${w.name}`);
    for (const w of [
      'shop/web',
      'shop/cart',
      'shop/db',
      'payments/payments-api',
      'monitoring/pod-watcher',
      'ci/job-runner',
      'ci/deploy',
      'ops/cert-operator',
      'ops/backup',
      'ops/report',
      'ops/report-reader',
      'ops/db-operator',
    ])
      expect(names).toContain(w);
    expect(profile.workloads!.every((w) => w.source === 'inventory')).toBe(true);
  });

  it('generated policies deny what the soak never did', () => {
    const out = tmp();
    expect(cli(['generate', 'rbac', '--k8s-audit', join(DEMO, 'k8s-audit'), '-o', out, '-q']).code).toBe(0);
    const [roleDoc] = readFileSync(join(out, 'rbac/shop/serviceaccount.shop.web.yaml'), 'utf8').split(/^---\n/m);
    const rules = (load(roleDoc!) as { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] })
      .rules;
    expect(rules.filter((r) => r.resources.includes('secrets'))).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['web-tls'], verbs: ['get'] },
    ]);
    const probe = JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: 'x',
      stage: 'ResponseComplete',
      verb: 'list',
      user: { username: 'system:serviceaccount:shop:web' },
      objectRef: { resource: 'secrets', namespace: 'shop' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: '2026-11-09T00:00:00.000000Z',
    });
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', '-', '--format', 'json'], {
      input: probe + '\n',
    });
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).notAllowed).toMatchObject([
      { subject: 'system:serviceaccount:shop:web', access: { verb: 'list', resource: 'secrets', namespace: 'shop' } },
    ]);
  });

  it('holds every kind of made-up name the generalizer handles, with new names on days 7-8', () => {
    // Training is days 1-6, the held-out days 7-8 (the backtest's --split); the README lists the patterns.
    const SPLIT = '2026-11-08T00:00:00';
    type Obj = Record<string, unknown>;
    const at = (o: unknown, ...path: string[]): unknown =>
      path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const files = (dir: string): string[] =>
      readdirSync(dir)
        .sort()
        .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
    const records = (f: string): Obj[] =>
      (f.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Obj);
    // Audit Events (the webhook's EventList unpacked); CloudTrail records (S3 documents, lines, EventBridge).
    const audit = files(join(DEMO, 'k8s-audit'))
      .flatMap(records)
      .flatMap((x) => (x['kind'] === 'EventList' ? (x['items'] as Obj[]) : [x]))
      .filter((e) => e['stage'] !== 'RequestReceived');
    const trail = files(join(DEMO, 'cloudtrail'))
      .flatMap(records)
      .flatMap((x) => (x['Records'] as Obj[] | undefined) ?? [(x['detail'] as Obj | undefined) ?? x]);
    /** The names one principal used for one access: in training, and held out. */
    const split = (list: Obj[], time: (r: Obj) => unknown, name: (r: Obj) => string | undefined) => {
      const out = { train: new Set<string>(), test: new Set<string>() };
      for (const r of list) {
        const n = name(r);
        if (n !== undefined) out[String(time(r)) < SPLIT ? 'train' : 'test'].add(n);
      }
      return out;
    };
    const k8s = (user: string, verb: string, resource: string, ns: string, sub?: string) =>
      split(
        audit,
        (e) => e['requestReceivedTimestamp'],
        (e) =>
          at(e, 'user', 'username') === `system:serviceaccount:${user}` &&
          e['verb'] === verb &&
          at(e, 'objectRef', 'resource') === resource &&
          at(e, 'objectRef', 'subresource') === sub &&
          at(e, 'objectRef', 'namespace') === ns
            ? str(at(e, 'objectRef', 'name'))
            : undefined,
      );
    const aws = (role: string, event: string, name: (params: unknown) => string | undefined) =>
      split(
        trail,
        (e) => e['eventTime'],
        (e) =>
          at(e, 'userIdentity', 'sessionContext', 'sessionIssuer', 'userName') === role && e['eventName'] === event
            ? name(e['requestParameters'])
            : undefined,
      );
    const unseen = (n: { train: Set<string>; test: Set<string> }) => [...n.test].filter((x) => !n.train.has(x)).sort();
    const R = '[bcdfghjklmnpqrstvwxz2456789]';

    // 1. shop/web rolls out on day 5 (a new ReplicaSet hash) and the autoscaler adds fresh pods every day:
    // pod-watcher reads each new pod and its log by name.
    for (const sub of [undefined, 'log']) {
      const n = k8s('monitoring:pod-watcher', 'get', 'pods', 'shop', sub);
      const hashes = (set: Set<string>) => [...new Set([...set].map((x) => x.split('-')[1]))].sort();
      expect(hashes(n.train)).toEqual(['7c9d8f6b5d', '7d4b9c6f5']);
      expect(hashes(n.test)).toEqual(['7c9d8f6b5d']);
      for (const x of [...n.train, ...n.test]) expect(x).toMatch(new RegExp(`^web-${R}{9,10}-${R}{5}$`));
      expect(unseen(n)).toHaveLength(12);
    }
    // 2. ops/report, a daily CronJob: report-reader gets and deletes each run's Job, reads its pod's log.
    const run = /^report-\d{8}$/;
    const runPod = new RegExp(`^report-\\d{8}-${R}{5}$`);
    for (const [verb, resource, sub, pattern] of [
      ['get', 'jobs', undefined, run],
      ['delete', 'jobs', undefined, run],
      ['get', 'pods', 'log', runPod],
    ] as const) {
      const n = k8s('ops:report-reader', verb, resource, 'ops', sub);
      expect([n.train.size, unseen(n).length], `${verb} ${resource}`).toEqual([6, 2]);
      for (const x of [...n.train, ...n.test]) expect(x).toMatch(pattern);
    }
    // 3. A custom resource named for the date: the backup reads and patches the previous night's.
    for (const verb of ['get', 'patch']) {
      const n = k8s('ops:backup', verb, 'backups', 'ops');
      expect([n.train.size, unseen(n)], verb).toEqual([6, ['nightly-20261107', 'nightly-20261108']]);
    }
    // 4. StatefulSet shop/db grew from two to four replicas on day 4: db-operator reads its pods by name.
    const db = k8s('ops:db-operator', 'get', 'pods', 'shop');
    const byDay4 = split(
      audit,
      (e) => (String(e['requestReceivedTimestamp']) < '2026-11-05T10:40' ? '' : 'z'),
      (e) =>
        at(e, 'user', 'username') === 'system:serviceaccount:ops:db-operator'
          ? str(at(e, 'objectRef', 'name'))
          : undefined,
    );
    expect([...byDay4.train].filter((x) => x.startsWith('db-')).sort()).toEqual(['db-0', 'db-1']);
    expect([...db.train].sort()).toEqual(['db-0', 'db-1', 'db-2', 'db-3']);
    // 5. AWS: each run's export under a fresh UUID, written and read back; a new log stream per run.
    for (const event of ['PutObject', 'GetObject']) {
      const n = aws('ops-report', event, (p) =>
        str(at(p, 'key'))?.startsWith('exports/') ? str(at(p, 'key')) : undefined,
      );
      expect([n.train.size, unseen(n).length], event).toEqual([6, 2]);
      for (const k of n.test) expect(k).toMatch(/^exports\/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\/result\.json$/);
    }
    const stream = (p: unknown) => `${str(at(p, 'logGroupName'))}:${str(at(p, 'logStreamName'))}`;
    const streams = aws('ops-report', 'CreateLogStream', stream);
    expect([streams.train.size, unseen(streams).length]).toEqual([6, 2]);
    for (const s of [...streams.train, ...streams.test])
      expect(s).toMatch(/^\/acme\/jobs:2026\/11\/\d{2}\/[0-9a-f]{32}$/);
    expect(aws('ops-report', 'PutLogEvents', stream)).toEqual(streams);
    // 6. GitHub Actions: a release tag's subject is new with each release (v1.5.0 on day 8); main's is not.
    const subjects = split(
      trail,
      (e) => e['eventTime'],
      (e) => (e['eventName'] === 'AssumeRoleWithWebIdentity' ? str(at(e, 'userIdentity', 'userName')) : undefined),
    );
    const identity = (x: string) => x.startsWith('eu-west-1:');
    expect(unseen(subjects).filter((x) => !identity(x))).toEqual(['repo:acme/shop:ref:refs/tags/v1.5.0']);
    // 7. Cognito: shoppers new to the pool on days 7-8 bring identity ids never seen; some come back.
    const shoppers = unseen(subjects).filter(identity);
    expect(shoppers.length).toBeGreaterThan(1);
    expect([...subjects.test].filter((x) => identity(x) && subjects.train.has(x)).length).toBeGreaterThan(0);
    expect(subjects.test.has('repo:acme/shop:ref:refs/heads/main')).toBe(true);
    expect(subjects.train.has('repo:acme/shop:ref:refs/tags/v1.4.0')).toBe(true);
    // And each run's build under its commit's SHA; the thumbnailer's uploads under a fresh UUID.
    const build = aws('github-release', 'PutObject', (p) => str(at(p, 'key')));
    expect(unseen(build)).toHaveLength(build.test.size);
    for (const k of [...build.train, ...build.test]) expect(k).toMatch(/^shop\/[0-9a-f]{40}\/site\.tar\.gz$/);
    const thumbs = aws('thumbnailer-exec', 'PutObject', (p) => str(at(p, 'key')));
    expect(unseen(thumbs).length).toBe(thumbs.test.size);
    expect(thumbs.test.size).toBeGreaterThan(10);
    // 7. What keeps its name: a configmap, a secret and an S3 key read every day.
    const template = (p: unknown) => (str(at(p, 'key'))?.startsWith('templates/') ? str(at(p, 'key')) : undefined);
    for (const n of [
      k8s('ops:report', 'get', 'configmaps', 'ops'),
      k8s('shop:web', 'get', 'secrets', 'shop'),
      aws('ops-report', 'GetObject', template),
    ]) {
      expect(n.train.size).toBe(1);
      expect(n.test).toEqual(n.train);
    }
  });
});
