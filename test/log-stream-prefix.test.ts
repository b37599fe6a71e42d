import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamStablePrefix } from '../src/knowledge/aws/logStreams.js';
import { cli, rng, tmp } from './helpers/cli.js';
import { ACCOUNT, record, REGION } from './helpers/cloudtrailRecords.js';
import { simulate, type SimPolicy } from './helpers/iamSimulate.js';

/**
 * Log streams named the way their writers name them (forms from each service's documentation; see logStreams.ts), one
 * role per writer, a new stream each day of an eight-day soak (days 2-9; days 8 and 9 held out). A neighbour role
 * writes and reads streams of other prefixes in the same groups during training: what a policy keeping only the group
 * (`log-stream:*`) would also allow.
 */
const r = rng(20261108);
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
const RAND = 'bcdfghjklmnpqrstvwxz2456789';
const rand = (n: number) => Array.from({ length: n }, () => RAND[Math.floor(r() * RAND.length)]).join('');
const dd = (d: number) => String(d).padStart(2, '0');

interface Form {
  name: string;
  role: string;
  group: string;
  /** The stream of day `d`. */
  stream: (d: number) => string;
  /** The writer creates its streams (CreateLogStream and PutLogEvents), or only reads them (GetLogEvents). */
  writes: boolean;
  /** What the default policy grants on the group's streams. */
  granted: string;
  /** A stream of the same group the neighbour uses, that the policy must deny; none for a form without a prefix. */
  other?: string;
}

const FORMS: Form[] = [
  {
    name: 'ECS awslogs <prefix>/<container>/<task id>',
    role: 'ecs-task-exec',
    group: '/ecs/web',
    stream: () => `web/app/${hex(32)}`,
    writes: true,
    granted: 'web/app/*',
    other: `web/sidecar/${hex(32)}`,
  },
  {
    name: 'EKS control plane kube-apiserver-audit-<hex>, read',
    role: 'audit-reader',
    group: '/aws/eks/prod/cluster',
    stream: () => `kube-apiserver-audit-${hex(32)}`,
    writes: false,
    granted: 'kube-apiserver-audit-*',
    other: `kube-apiserver-${hex(32)}`,
  },
  {
    name: 'Fluent Bit log_stream_prefix and the tail tag of two Deployments’ container logs',
    role: 'fluent-bit',
    group: '/eks/prod/containers',
    stream: (d) =>
      `from-fluent-bit-kube.var.log.containers.${d % 2 ? 'web' : 'cart'}-${rand(10)}-${rand(5)}_shop_app-${hex(64)}.log`,
    writes: true,
    granted: 'from-fluent-bit-kube.var.log.containers.*',
    other: `kube.var.log.containers.web-${rand(10)}-${rand(5)}_shop_app-${hex(64)}.log`,
  },
  {
    name: 'Glue jr_<run id>-driver',
    role: 'glue-etl',
    group: '/aws-glue/jobs/logs-v2',
    stream: () => `jr_${hex(64)}-driver`,
    writes: true,
    granted: 'jr_*',
    other: 'spark-ui-export',
  },
  {
    name: 'SageMaker <job>/algo-1-<epoch>, the job named with its date',
    role: 'sagemaker-exec',
    group: '/aws/sagemaker/TrainingJobs',
    stream: (d) => `churn-xgb-2026-11-${dd(d)}-05-00-00-123/algo-1-${1762059600 + d * 86400}`,
    writes: true,
    granted: 'churn-xgb-*',
    other: `fraud-xgb-2026-11-08-05-00-00-123/algo-1-1762578000`,
  },
  {
    name: 'CodeBuild <streamName>/<build uuid>',
    role: 'codebuild-app',
    group: '/aws/codebuild/app',
    stream: () => `ci/${uuid()}`,
    writes: true,
    granted: 'ci/*',
    other: `nightly/${uuid()}`,
  },
  {
    name: 'CodeBuild <build uuid>: no stable prefix',
    role: 'codebuild-docs',
    group: '/aws/codebuild/docs',
    stream: () => uuid(),
    writes: true,
    granted: '*',
  },
  {
    name: 'Lambda YYYY/MM/DD/[$LATEST]<hex>: no stable prefix',
    role: 'thumbnailer',
    group: '/aws/lambda/thumbnailer',
    stream: (d) => `2026/11/${dd(d)}/[$LATEST]${hex(32)}`,
    writes: true,
    granted: '*',
  },
];

const identity = (role: string) => ({
  type: 'AssumedRole',
  principalId: `AROA${role.toUpperCase().replace(/[^A-Z]/g, '')}:s`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/s`,
  accountId: ACCOUNT,
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: `AROA${role.toUpperCase().replace(/[^A-Z]/g, '')}`,
      arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
      accountId: ACCOUNT,
      userName: role,
    },
  },
});

const call = (role: string, eventName: string, group: string, stream: string, time: string) =>
  record(
    'logs.amazonaws.com',
    eventName,
    { logGroupName: group, logStreamName: stream },
    {
      userIdentity: identity(role),
      eventTime: time,
    },
  );

const streams = new Map<string, string[]>();
let trail = '';
let trainOnly = '';

beforeAll(() => {
  const records: Record<string, unknown>[] = [];
  for (const f of FORMS) {
    const names: string[] = [];
    for (let d = 2; d <= 9; d++) {
      const s = f.stream(d);
      names.push(s);
      const t = (m: number) => `2026-11-${dd(d)}T05:${dd(m)}:00Z`;
      if (f.writes) {
        records.push(call(f.role, 'CreateLogStream', f.group, s, t(0)));
        records.push(call(f.role, 'PutLogEvents', f.group, s, t(1)));
      } else records.push(call(f.role, 'GetLogEvents', f.group, s, t(1)));
    }
    streams.set(f.name, names);
    if (f.other) {
      records.push(call('log-neighbour', 'PutLogEvents', f.group, f.other, '2026-11-03T06:00:00Z'));
      records.push(call('log-neighbour', 'GetLogEvents', f.group, f.other, '2026-11-03T06:01:00Z'));
    }
  }
  const dir = tmp();
  trail = join(dir, 'trail.json');
  writeFileSync(trail, JSON.stringify({ Records: records }));
  trainOnly = join(dir, 'train.json');
  writeFileSync(
    trainOnly,
    JSON.stringify({ Records: records.filter((x) => String(x['eventTime']) < '2026-11-08T00:00:00Z') }),
  );
});

const SPLIT = ['--split', '2026-11-08T00:00:00Z'];
const streamArn = (group: string, s: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:${s}`;

/** `generate iam` on days 2-7: each role's policy. */
function policies(): Map<string, SimPolicy> {
  const out = join(tmp(), 'out');
  const g = cli(['generate', 'iam', '--cloudtrail', trainOnly, '-o', out, '-q']);
  expect(g.code, g.stderr).toBe(0);
  const dir = join(out, 'iam', ACCOUNT, 'role');
  const m = new Map<string, SimPolicy>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')))
    m.set(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as SimPolicy);
  return m;
}

describe('log streams keep the stable start of their names', () => {
  it('backtest: the held-out days break nothing, and no other principal’s stream of another prefix is allowed', () => {
    const j = JSON.parse(cli(['backtest', '--cloudtrail', trail, ...SPLIT, '--format', 'json', '-q']).stdout);
    expect(j.wouldDeny).toEqual([]);
    expect(j.byKind.iam.observed).toBeGreaterThan(0);
    expect(j.byKind.iam.allowed).toBe(j.byKind.iam.observed);
    // The neighbour's streams, replayed as each writer's own, are denied (a group-wide log-stream:* allowed them). The
    // one excess is the other way round: the neighbour read `kube-apiserver-<hex>`, and `kube-apiserver-*` also
    // matches the 8 `kube-apiserver-audit-<hex>` streams the audit reader read: a prefix cannot leave out a longer one.
    expect(j.excess.iam.samples).toBeGreaterThan(50);
    expect(j.excess.iam.allowed).toBe(8);
    // --exact keeps every stream: each held-out day is a new one.
    const exact = JSON.parse(
      cli(['backtest', '--cloudtrail', trail, ...SPLIT, '--format', 'json', '-q', '--exact']).stdout,
    );
    expect(exact.byKind.iam.allowed).toBeLessThan(exact.byKind.iam.observed);
  });

  it('each generalization is listed with its reason and the prefix it keeps', () => {
    const g = cli(['generate', 'iam', '--cloudtrail', trainOnly, '-o', join(tmp(), 'out')]);
    expect(g.code, g.stderr).toBe(0);
    const text = g.stdout + g.stderr;
    for (const f of FORMS) expect(text).toContain(`→ ${streamArn(f.group, f.granted)}`);
    expect(text).toMatch(/named with a stream it created itself \(log-group:\/ecs\/web:log-stream:web\/app\//);
    expect(text).toMatch(/named with a hex id \(log-group:\/aws\/eks\/prod\/cluster:log-stream:kube-apiserver-audit-/);
  });

  it.each(FORMS.map((f) => [f.name, f] as const))(
    '%s: trained on days 2-7, the policy allows days 8-9 and denies another prefix (iam-simulate)',
    async (_, f) => {
      const p = policies().get(f.role)!;
      const arns = [...new Set(p.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])))];
      expect(arns).toEqual([streamArn(f.group, f.granted)]);
      const principal = `arn:aws:iam::${ACCOUNT}:role/${f.role}`;
      const actions = f.writes ? ['logs:CreateLogStream', 'logs:PutLogEvents'] : ['logs:GetLogEvents'];
      for (const s of streams.get(f.name)!.slice(6))
        for (const action of actions)
          expect(await simulate(p, { principal, action, resource: streamArn(f.group, s) }), `${action} ${s}`).toBe(
            'Allowed',
          );
      if (f.other)
        for (const action of actions)
          expect(await simulate(p, { principal, action, resource: streamArn(f.group, f.other) })).toBe(
            'ImplicitlyDenied',
          );
      // The log group itself never widens: the same stream in another group is denied.
      expect(
        await simulate(p, {
          principal,
          action: actions[0]!,
          resource: streamArn(`${f.group}-other`, streams.get(f.name)![7]!),
        }),
      ).toBe('ImplicitlyDenied');
    },
  );
});

describe('the stable start of a stream name', () => {
  it.each([
    ['2026/11/08/[$LATEST]3f4a5e2cb5e34e5ba3c6e8d7b8f2a1c0', ''],
    ['web/app/0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', 'web/app/'],
    ['kube-apiserver-audit-9ac68952bbfa494eb1625e2ff3f07bf7', 'kube-apiserver-audit-'],
    ['authenticator-96624a2fbc193d5ccd64f9f1ddbebbe3', 'authenticator-'],
    ['jr_8255308b426fff1b4e09e00e0bd5612b1b4ec848d7884cebe61ed33a31789abc_g-f65f617bd31d54bd', 'jr_'],
    ['churn-model/algo-1-1762560000', 'churn-model/algo-1-'],
    ['3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab', ''],
    // A ReplicaSet's pod keeps its Deployment's name; a pod whose shape says nothing, nothing of it.
    [`kube.var.log.containers.web-7c9d8f6b5d-x2klq_shop_web-${'ab12'.repeat(16)}.log`, 'kube.var.log.containers.web-'],
    [
      `kube.var.log.containers.node-exporter-xkzfq_monitoring_exporter-${'ab12'.repeat(16)}.log`,
      'kube.var.log.containers.',
    ],
    [
      'kube.var.log.pods.shop_web-7c9d8f6b5d-x2klq_3f2a1b6c-9d4e-4f5a-8b7c-0123456789ab.web.0.log',
      'kube.var.log.pods.shop_web-',
    ],
    // Container Insights puts the node's host name first: a replaced node is another.
    [
      `ip-10-0-1-23.eu-west-1.compute.internal-application.var.log.containers.db-0_shop_db-${'ab12'.repeat(16)}.log`,
      '',
    ],
  ])('%s → %j*', (name, prefix) => {
    expect(streamStablePrefix(name)?.prefix).toBe(prefix);
  });

  it.each(['web', 'app-server', 'release-2026'])('%s has nothing variable', (name) => {
    expect(streamStablePrefix(name)).toBeUndefined();
  });
});
