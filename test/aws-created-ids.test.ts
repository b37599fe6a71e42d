import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCloudTrailValue, type AwsCallObservation } from '../src/ingest/cloudTrail/decode.js';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT as A, REGION as R, record } from './helpers/cloudtrailRecords.js';

/**
 * Resources whose ids AWS makes up at each create (EC2 instances, snapshots, images; tag-on-create), judged on days
 * the policy was not made from: a nightly snapshot job, an image build that launches and terminates an instance, a
 * VPC created once and maintained. Records as the EC2 API reference and the CloudTrail user guide show them
 * (`responseElements.snapshotId`, `instancesSet.items[].instanceId`, `tagSpecificationSet.items[]`).
 */
type Rec = Record<string, unknown>;
const SPLIT = '2026-11-08T00:00:00Z';
const at = (day: number, hour: number) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
/** An EC2 id of the day: `snap-02fffffffffffffff`. */
const id = (prefix: string, day: number) => `${prefix}-${String(day).padStart(2, '0')}${'f'.repeat(15)}`;
const as = (role: string, r: Rec, time: string): Rec => {
  const u = structuredClone(r['userIdentity']) as Rec;
  u['arn'] = `arn:aws:sts::${A}:assumed-role/${role}/s`;
  ((u['sessionContext'] as Rec)['sessionIssuer'] as Rec)['arn'] = `arn:aws:iam::${A}:role/${role}`;
  return { ...r, userIdentity: u, eventTime: time, eventID: `${role}-${String(r['eventName'])}-${time}` };
};
const ec2 = (name: string, req: Rec, resp: Rec) => record('ec2.amazonaws.com', name, req, { responseElements: resp });

/** A snapshot a night of one volume; from the fourth night on, the snapshot of three nights before is deleted. */
function snapshots(): Rec[] {
  const out: Rec[] = [];
  for (let d = 2; d <= 9; d++) {
    out.push(
      as(
        'ops-snapshots',
        ec2(
          'CreateSnapshot',
          { volumeId: 'vol-0a1b2c3d4e5f67890', description: 'nightly' },
          { requestId: 'r', snapshotId: id('snap', d), volumeId: 'vol-0a1b2c3d4e5f67890', status: 'pending' },
        ),
        at(d, 2),
      ),
    );
    if (d >= 5)
      out.push(
        as(
          'ops-snapshots',
          ec2('DeleteSnapshot', { snapshotId: id('snap', d - 3) }, { requestId: 'r', _return: true }),
          at(d, 3),
        ),
      );
  }
  return out;
}

/** An image build a day: launch a tagged instance, image it, terminate it. */
function imageBuilds(): Rec[] {
  const out: Rec[] = [];
  for (let d = 2; d <= 9; d++) {
    const instance = id('i', d);
    out.push(
      as(
        'ci/image-builder',
        ec2(
          'RunInstances',
          {
            instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
            instanceType: 't3.small',
            subnetId: 'subnet-0123456789abcdef0',
            tagSpecificationSet: { items: [{ resourceType: 'instance', tags: [{ key: 'build', value: `b${d}` }] }] },
          },
          {
            reservationId: `r-${String(d).padStart(2, '0')}${'e'.repeat(15)}`,
            instancesSet: {
              items: [
                {
                  instanceId: instance,
                  imageId: 'ami-0abcdef1234567890',
                  networkInterfaceSet: { items: [{ networkInterfaceId: id('eni', d) }] },
                },
              ],
            },
          },
        ),
        at(d, 10),
      ),
      as(
        'ci/image-builder',
        ec2('CreateImage', { instanceId: instance, name: `base-${d}` }, { imageId: id('ami', d) }),
        at(d, 11),
      ),
      as(
        'ci/image-builder',
        ec2(
          'TerminateInstances',
          { instancesSet: { items: [{ instanceId: instance }] } },
          { instancesSet: { items: [{ instanceId: instance, currentState: { code: 32, name: 'shutting-down' } }] } },
        ),
        at(d, 12),
      ),
    );
  }
  return out;
}

/**
 * A database backup job: an RDS snapshot a night named with its date (as backup scripts name them), and a DynamoDB
 * on-demand backup (AWS gives its ARN an id); from the fourth night on, the ones of three nights before are deleted.
 */
function dbBackups(): Rec[] {
  const out: Rec[] = [];
  const snap = (d: number) => `nightly-202611${String(d).padStart(2, '0')}`;
  const backup = (d: number) =>
    `arn:aws:dynamodb:${R}:${A}:table/orders/backup/0176209${String(d).padStart(2, '0')}00000-${'c'.repeat(7)}${d}`;
  for (let d = 2; d <= 9; d++) {
    out.push(
      as(
        'db-backup',
        record(
          'rds.amazonaws.com',
          'CreateDBSnapshot',
          { dBSnapshotIdentifier: snap(d), dBInstanceIdentifier: 'orders' },
          { responseElements: { dBSnapshotIdentifier: snap(d), dBInstanceIdentifier: 'orders', status: 'creating' } },
        ),
        at(d, 1),
      ),
      as(
        'db-backup',
        record(
          'dynamodb.amazonaws.com',
          'CreateBackup',
          { tableName: 'orders', backupName: `orders-${d}` },
          { responseElements: { backupDetails: { backupArn: backup(d), backupName: `orders-${d}` } } },
        ),
        at(d, 1),
      ),
    );
    if (d >= 5)
      out.push(
        as(
          'db-backup',
          record('rds.amazonaws.com', 'DeleteDBSnapshot', { dBSnapshotIdentifier: snap(d - 3) }),
          at(d, 4),
        ),
        as('db-backup', record('dynamodb.amazonaws.com', 'DeleteBackup', { backupArn: backup(d - 3) }), at(d, 4)),
      );
  }
  return out;
}

/** One VPC created on the first day and then maintained: its id is stable, and stays as it is. */
function vpc(): Rec[] {
  const v = 'vpc-0123456789abcdef0';
  const out = [as('infra', ec2('CreateVpc', { cidrBlock: '10.0.0.0/16' }, { vpc: { vpcId: v } }), at(2, 9))];
  for (let d = 2; d <= 9; d++)
    out.push(
      as(
        'infra',
        ec2('ModifyVpcAttribute', { vpcId: v, enableDnsHostnames: { value: true } }, { _return: true }),
        at(d, 9),
      ),
    );
  return out;
}

function write(records: Rec[]): string {
  const dir = tmp();
  const file = join(dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return file;
}

const backtest = (file: string, ...more: string[]) => {
  const r = cli(['backtest', '--cloudtrail', file, '--split', SPLIT, '--format', 'json', '-q', ...more]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    observed: number;
    byPrincipal: Record<string, { observed: number; allowed: number }>;
    wouldDeny: { subject: string; access: { action: string; resource: string } }[];
  };
};
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;

describe('ids AWS gives what a principal kept creating: the next run is allowed', () => {
  const file = write([...snapshots(), ...imageBuilds(), ...vpc()]);

  it('the profile keeps what each role created, as the ARNs later calls name', () => {
    const out = join(tmp(), 'p.jsonl');
    const r = cli(['profile', '--cloudtrail', file, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const principals = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"principal"'))
      .map((l) => JSON.parse(l).principal as { username: string; createdArns?: string[] });
    const made = Object.fromEntries(principals.map((p) => [p.username, p.createdArns]));
    expect(made[role('ops-snapshots')]).toEqual(
      [2, 3, 4, 5, 6, 7, 8, 9].map((d) => `arn:aws:ec2:${R}::snapshot/${id('snap', d)}`),
    );
    expect(made[role('ci/image-builder')]).toContain(`arn:aws:ec2:${R}:${A}:instance/${id('i', 2)}`);
    expect(made[role('ci/image-builder')]).toContain(`arn:aws:ec2:${R}:${A}:network-interface/${id('eni', 2)}`);
    expect(made[role('ci/image-builder')]).toContain(`arn:aws:ec2:${R}::image/${id('ami', 2)}`);
    expect(made[role('infra')]).toEqual([`arn:aws:ec2:${R}:${A}:vpc/vpc-0123456789abcdef0`]);
  });

  it('held-out days: deleting the next snapshots, launching, imaging and terminating the next instances are allowed', () => {
    const b = backtest(file);
    expect(b.wouldDeny).toEqual([]);
    expect(b.byPrincipal[role('ops-snapshots')]).toMatchObject({ observed: 4, allowed: 4 });
    expect(b.byPrincipal[role('ci/image-builder')]!.observed).toBeGreaterThanOrEqual(3);
  });

  it('--exact keeps every id as seen: the same days are denied, which is what the default saves', () => {
    const denied = backtest(file, '--exact').wouldDeny.map((n) => `${n.subject} ${n.access.action}`);
    expect(denied.some((d) => d.includes('ec2:DeleteSnapshot'))).toBe(true);
    expect(denied.some((d) => d.includes('ec2:TerminateInstances'))).toBe(true);
    // Tag on create is authorized on the instance being made whatever --exact says: the logged id never comes back.
    expect(denied.some((d) => d.includes('ec2:CreateTags'))).toBe(false);
  });

  /** The resources a generated tree grants a role an action on (files are named by the role's name). */
  const grantsIn = (out: string, account: string) => (name: string, action: string) =>
    (
      JSON.parse(readFileSync(join(out, 'iam', account, 'role', `${name.split('/').pop()}.json`), 'utf8')) as {
        Statement: { Action: string[]; Resource: string[] | string }[];
      }
    ).Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);

  it('the policy names the wildcard of each type, lists why, and keeps the VPC it created once by its id', () => {
    const out = join(tmp(), 'out');
    const g = cli(['generate', 'iam', '--cloudtrail', file, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const on = grantsIn(out, A);
    expect(on('ops-snapshots', 'ec2:DeleteSnapshot')).toEqual([`arn:aws:ec2:${R}::snapshot/*`]);
    expect(on('ci/image-builder', 'ec2:TerminateInstances')).toEqual([`arn:aws:ec2:${R}:${A}:instance/*`]);
    expect(on('ci/image-builder', 'ec2:CreateTags')).toEqual([`arn:aws:ec2:${R}:${A}:instance/*`]);
    expect(on('infra', 'ec2:ModifyVpcAttribute')).toEqual([`arn:aws:ec2:${R}:${A}:vpc/vpc-0123456789abcdef0`]);
    expect(g.stderr).toMatch(
      /ec2:DeleteSnapshot: 5 resources named with an id AWS gave a resource of a type it kept creating \(snapshot\/snap-02f+, snapshot\/snap-03f+, …; seen .*\) → arn:aws:ec2:eu-west-1::snapshot\/\*/,
    );
    expect(g.stderr).not.toMatch(/ModifyVpcAttribute: .*named with/);
  });

  it("generate --map: what it created is production's too, so the next run's ids are still allowed there", () => {
    // The calls' resources are mapped; the ids it created must be as well, or none of them is its own any more.
    const out = join(tmp(), 'out');
    const map = ['--map', `${A}=444455556666`, `:${R}:=:eu-central-1:`];
    const g = cli(['generate', 'iam', '--cloudtrail', file, '-o', out, ...map]);
    expect(g.code, g.stderr).toBe(0);
    const on = grantsIn(out, '444455556666');
    expect(on('ops-snapshots', 'ec2:DeleteSnapshot')).toEqual(['arn:aws:ec2:eu-central-1::snapshot/*']);
    expect(on('ci/image-builder', 'ec2:TerminateInstances')).toEqual([
      'arn:aws:ec2:eu-central-1:444455556666:instance/*',
    ]);
    expect(on('infra', 'ec2:ModifyVpcAttribute')).toEqual([
      'arn:aws:ec2:eu-central-1:444455556666:vpc/vpc-0123456789abcdef0',
    ]);
    expect(g.stderr).toMatch(/ec2:DeleteSnapshot: 5 resources named with an id AWS gave a resource of a type it kept/);
    const v = cli(['verify', '--cloudtrail', file, '--policies', out, ...map]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});

describe('what a record says it created', () => {
  const decode = (rec: Rec): AwsCallObservation => {
    const out: unknown[] = [];
    decodeCloudTrailValue(rec, { file: 'f.json', line: 1 }, (x) => out.push(x));
    expect(out, JSON.stringify(out)).toMatchObject([{ kind: 'aws-call' }]);
    return out[0] as AwsCallObservation;
  };

  it("CreateSnapshots (an instance's volumes at once): every snapshot of snapshotSet", () => {
    const obs = decode(
      ec2(
        'CreateSnapshots',
        { instanceSpecification: { instanceId: 'i-0123456789abcdef0' } },
        {
          snapshotSet: {
            items: [
              { snapshotId: 'snap-0aaaaaaaaaaaaaaa1', volumeId: 'vol-0aaaaaaaaaaaaaaa1' },
              { snapshotId: 'snap-0aaaaaaaaaaaaaaa2', volumeId: 'vol-0aaaaaaaaaaaaaaa2' },
            ],
          },
        },
      ),
    );
    expect(obs.created).toEqual([
      `arn:aws:ec2:${R}::snapshot/snap-0aaaaaaaaaaaaaaa1`,
      `arn:aws:ec2:${R}::snapshot/snap-0aaaaaaaaaaaaaaa2`,
    ]);
  });

  it('a refused create made nothing; an id of another shape, or a read, names nothing', () => {
    const refused = ec2(
      'CreateSnapshot',
      { volumeId: 'vol-0aaaaaaaaaaaaaaa1' },
      { snapshotId: 'snap-0aaaaaaaaaaaaaaa3' },
    );
    refused['errorCode'] = 'Client.UnauthorizedOperation';
    refused['responseElements'] = null;
    expect(decode(refused).created).toBeUndefined();
    expect(decode(ec2('CreateSnapshot', { volumeId: 'vol-0aaaaaaaaaaaaaaa1' }, { snapshotId: 'snap-*' })).created).toBe(
      undefined,
    );
    const read = ec2(
      'DescribeSnapshots',
      { snapshotSet: {} },
      { snapshotSet: { items: [{ snapshotId: 'snap-0aaaaaaaaaaaaaaa1' }] } },
    );
    expect(decode(read).created).toBeUndefined();
  });
});

describe('snapshots and backups named per night', () => {
  it('the next nights create and delete under names the soak never saw: allowed; --exact denies them', () => {
    const file = write(dbBackups());
    const b = backtest(file);
    expect(b.wouldDeny).toEqual([]);
    expect(b.byPrincipal[role('db-backup')]).toMatchObject({ observed: 8, allowed: 8 });
    const exact = backtest(file, '--exact').wouldDeny.map((n) => `${n.access.action} ${n.access.resource}`);
    expect(exact).toEqual(
      expect.arrayContaining([
        `rds:CreateDBSnapshot arn:aws:rds:${R}:${A}:snapshot:nightly-20261108`,
        `rds:DeleteDBSnapshot arn:aws:rds:${R}:${A}:snapshot:nightly-20261105`,
        expect.stringMatching(/^dynamodb:DeleteBackup arn:aws:dynamodb:.*:table\/orders\/backup\/0176209050/),
      ]),
    );
    const out = join(tmp(), 'out');
    const g = cli(['generate', 'iam', '--cloudtrail', file, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'iam', A, 'role', 'db-backup.json'), 'utf8')) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    const on = (action: string) => doc.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    expect(on('rds:DeleteDBSnapshot')).toEqual([`arn:aws:rds:${R}:${A}:snapshot:nightly-*`]);
    expect(on('dynamodb:DeleteBackup')).toEqual([`arn:aws:dynamodb:${R}:${A}:table/orders/backup/*`]);
    // The database and the table are named as they are.
    expect(on('rds:CreateDBSnapshot')).toContain(`arn:aws:rds:${R}:${A}:db:orders`);
    expect(on('dynamodb:CreateBackup')).toEqual([`arn:aws:dynamodb:${R}:${A}:table/orders`]);
  });
});

describe('created ids in profiles: shards, merges and bad input', () => {
  it('profiles of two shards merged in either order are the bytes of the whole', () => {
    const dir = tmp();
    const all = [...snapshots(), ...imageBuilds()];
    const half = Math.floor(all.length / 2);
    const whole = write(all);
    const parts = [write(all.slice(0, half)), write(all.slice(half))];
    expect(cli(['profile', '--cloudtrail', whole, '-o', join(dir, 'whole.jsonl'), '-q']).code).toBe(0);
    parts.forEach((f, i) =>
      expect(cli(['profile', '--cloudtrail', f, '-o', join(dir, `p${i}.jsonl`), '-q']).code).toBe(0),
    );
    for (const order of [
      ['p0', 'p1'],
      ['p1', 'p0'],
    ]) {
      const m = cli(['merge', ...order.map((o) => join(dir, `${o}.jsonl`)), '-o', join(dir, 'm.jsonl'), '-q']);
      expect(m.code, m.stderr).toBe(0);
      const principals = (f: string) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{"principal"'));
      expect(principals('m.jsonl')).toEqual(principals('whole.jsonl'));
      expect(principals('m.jsonl').join('\n')).toContain('createdArns');
    }
  });

  it('a profile whose createdArns holds a wildcard, or that gives them to a Kubernetes user, is refused by line', () => {
    const dir = tmp();
    const file = join(dir, 'p.jsonl');
    expect(cli(['profile', '--cloudtrail', write(snapshots()), '-o', file, '-q']).code).toBe(0);
    const lines = readFileSync(file, 'utf8').split('\n');
    const n = lines.findIndex((l) => l.includes('createdArns'));
    const edit = (to: (p: Rec) => void) => {
      const v = JSON.parse(lines[n]!) as { principal: Rec };
      to(v.principal);
      const bad = join(dir, 'bad.jsonl');
      writeFileSync(bad, [...lines.slice(0, n), JSON.stringify(v), ...lines.slice(n + 1)].join('\n'));
      return cli(['generate', 'iam', '--profile', bad, '-o', join(dir, 'out')]);
    };
    const star = edit((p) => (p['createdArns'] = [`arn:aws:ec2:${R}::snapshot/*`]));
    expect(star.code).toBe(2);
    expect(star.stderr).toContain(`bad.jsonl:${n + 1}:`);
    expect(star.stderr).toMatch(/createdArns\[0\] .* holds \* or \?/);
    const user = edit((p) => {
      p['subject'] = { kind: 'User', name: 'alice' };
      p['username'] = 'alice';
    });
    expect(user.code).toBe(2);
    expect(user.stderr).toContain('only an AWS identity creates AWS resources');
  });
});

describe('tag on create: the resource being created, never one the logs named', () => {
  it('a profile written from tagged creates reads back, and generates what the logs do', () => {
    const dir = tmp();
    const file = write(imageBuilds());
    const profile = join(dir, 'p.jsonl');
    expect(cli(['profile', '--cloudtrail', file, '-o', profile]).code).toBe(0);
    const fromProfile = cli(['generate', 'iam', '--profile', profile, '-o', join(dir, 'a')]);
    expect(fromProfile.code, fromProfile.stderr).toBe(0);
    const fromLogs = cli(['generate', 'iam', '--cloudtrail', file, '-o', join(dir, 'b')]);
    expect(fromLogs.code, fromLogs.stderr).toBe(0);
    const policy = (d: string) => readFileSync(join(dir, d, 'iam', A, 'role', 'image-builder.json'), 'utf8');
    expect(policy('a')).toBe(policy('b'));
  });

  it('an ECS task created with tags: ecs:TagResource on its cluster’s tasks; a logged wildcard is refused', () => {
    const runTask = (taskArn: string) =>
      as(
        'ci/image-builder',
        record(
          'ecs.amazonaws.com',
          'RunTask',
          { cluster: 'jobs', taskDefinition: 'etl:3', count: 1, tags: [{ key: 'run', value: 'r1' }] },
          { responseElements: { tasks: [{ taskArn, lastStatus: 'PROVISIONING' }], failures: [] } },
        ),
        at(3, 4),
      );
    const dir = tmp();
    const good = write([runTask(`arn:aws:ecs:${R}:${A}:task/jobs/0123456789abcdef0123456789abcdef`)]);
    const g = cli(['generate', 'iam', '--cloudtrail', good, '-o', join(dir, 'a'), '--exact']);
    expect(g.code, g.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'a', 'iam', A, 'role', 'image-builder.json'), 'utf8')) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    expect(doc.Statement.filter((s) => s.Action.includes('ecs:TagResource')).flatMap((s) => s.Resource)).toEqual([
      `arn:aws:ecs:${R}:${A}:task/jobs/*`,
    ]);
    // A response naming `task/*/…` would widen the grant from log content: the record is bad input, counted.
    const bad = write([runTask(`arn:aws:ecs:${R}:${A}:task/*/0123456789abcdef0123456789abcdef`)]);
    const b = cli(['generate', 'iam', '--cloudtrail', bad, '-o', join(dir, 'b'), '--on-error', 'skip']);
    expect(b.stderr).toMatch(/cloudtrail\.bad-name/);
    expect(b.stderr).toMatch(/task\/\*\/0123456789abcdef0123456789abcdef/);
  });
});
