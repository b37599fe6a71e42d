import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readTree, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';

/**
 * Real principals have paths, twins and sessions (the `userIdentity` shapes of AWS's "CloudTrail userIdentity
 * element"). Twins must stay apart end to end (profile → generate → verify): each partition has its own IAM ("each AWS
 * account is scoped to one partition", AWS Fault Isolation Boundaries: Partitions), so a role of one name and account
 * id in `aws` and in `aws-cn` is two roles.
 */
const A = '111122223333';

type Rec = Record<string, unknown>;

function session(partition: string, account: string, role: string, path: string, name: string): Rec {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${name}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${role}/${name}`,
    accountId: account,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:${partition}:iam::${account}:role${path}${role}`,
        accountId: account,
        userName: role,
      },
      attributes: { creationDate: '2026-11-05T08:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

function sendMessage(userIdentity: Rec, id: string, region: string, queueUrl: string, time = '2026-11-05T10:00:00Z') {
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: time,
    eventSource: 'sqs.amazonaws.com',
    eventName: 'SendMessage',
    awsRegion: region,
    eventID: id,
    recipientAccountId: userIdentity['accountId'],
    requestParameters: { queueUrl, messageBody: 'x' },
  };
}

function write(records: Rec[]): string {
  const dir = tmp();
  writeFileSync(join(dir, 'ct.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return dir;
}

const verify = (policies: string, logs: string) => {
  const v = cli(['verify', '--policies', policies, '--cloudtrail', logs, '--format', 'json']);
  return { code: v.code, report: JSON.parse(v.stdout || '{}'), stderr: v.stderr };
};

describe('twins in two partitions: the same account id and role name in aws and aws-cn', () => {
  const logs = write([
    sendMessage(
      session('aws', A, 'app', '/', 's1'),
      'g1',
      'eu-west-1',
      `https://sqs.eu-west-1.amazonaws.com/${A}/global-q`,
    ),
    sendMessage(
      session('aws-cn', A, 'app', '/', 's1'),
      'c1',
      'cn-north-1',
      `https://sqs.cn-north-1.amazonaws.com.cn/${A}/china-q`,
    ),
  ]);
  const out = join(tmp(), 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', logs, '-o', out]);

  it('get a policy file each, each with its own partition, and an index naming whose each is', () => {
    expect(gen.code, gen.stderr).toBe(0);
    const files = readTree(join(out, 'iam', A));
    expect(Object.keys(files).sort()).toEqual(['index.json', 'role/app.json', 'role/app~aws-cn.json']);
    expect(files['role/app.json']).toContain(`arn:aws:sqs:eu-west-1:${A}:global-q`);
    expect(files['role/app.json']).not.toContain('china-q');
    expect(files['role/app~aws-cn.json']).toContain(`arn:aws-cn:sqs:cn-north-1:${A}:china-q`);
    expect(files['role/app~aws-cn.json']).not.toContain('global-q');
    const index = JSON.parse(files['index.json']!);
    expect(index.principals.map((p: { arn: string; policies: string[] }) => [p.arn, p.policies])).toEqual([
      [`arn:aws-cn:iam::${A}:role/app`, ['role/app~aws-cn.json']],
      [`arn:aws:iam::${A}:role/app`, ['role/app.json']],
    ]);
  });

  it('verify judges each twin by its own file: both allowed; without one file only that twin is denied', () => {
    const v = verify(out, logs);
    expect(v.code, v.stderr).toBe(0);
    expect(v.report.byKind.iam).toEqual({ observed: 2, allowed: 2 });
    for (const [file, denied] of [
      ['role/app~aws-cn.json', `arn:aws-cn:iam::${A}:role/app`],
      ['role/app.json', `arn:aws:iam::${A}:role/app`],
    ] as const) {
      const copy = join(tmp(), 'p');
      cpSync(out, copy, { recursive: true });
      rmSync(join(copy, 'iam', A, file));
      const r = verify(copy, logs);
      expect(r.code, r.stderr).toBe(1);
      expect(r.report.notAllowed.map((f: { subject: string }) => f.subject)).toEqual([denied]);
    }
  });

  it('by place, without the index: the partition suffix is read back', () => {
    const copy = join(tmp(), 'p');
    cpSync(out, copy, { recursive: true });
    rmSync(join(copy, 'iam', A, 'index.json'));
    const v = verify(copy, logs);
    expect(v.code, v.stderr).toBe(0);
    expect(v.report.byKind.iam).toEqual({ observed: 2, allowed: 2 });
    // Swapped contents: each twin is judged by the file of its own partition, so both are denied.
    const [g, c] = [join(copy, 'iam', A, 'role/app.json'), join(copy, 'iam', A, 'role/app~aws-cn.json')];
    const [gt, ct] = [readFileSync(g, 'utf8'), readFileSync(c, 'utf8')];
    writeFileSync(g, ct);
    writeFileSync(c, gt);
    expect(verify(copy, logs).report.notAllowed).toHaveLength(2);
  });
});

describe('IAM Identity Center roles: a policy goes in the permission set, not on the role', () => {
  // The role a permission set makes in each account it is provisioned to (AWS, IAM Identity Center: "Referencing
  // permission sets in resource policies"): AWSReservedSSO_<set>_<suffix> at /aws-reserved/sso.amazonaws.com/<region>/.
  // IAM refuses changes to it ("Cannot perform the operation on the protected role ... only modifiable by AWS").
  const B = '444455556666';
  const sso = (account: string, suffix: string) => `AWSReservedSSO_Data_Eng_${suffix}`;
  const logs = write([
    sendMessage(
      session('aws', A, sso(A, '0123456789abcdef'), '/aws-reserved/sso.amazonaws.com/eu-west-1/', 'alice@example.com'),
      's1',
      'eu-west-1',
      `https://sqs.eu-west-1.amazonaws.com/${A}/q-a`,
    ),
    sendMessage(
      session('aws', A, sso(A, '0123456789abcdef'), '/aws-reserved/sso.amazonaws.com/eu-west-1/', 'bob@example.com'),
      's2',
      'eu-west-1',
      `https://sqs.eu-west-1.amazonaws.com/${A}/q-a`,
    ),
    sendMessage(
      session('aws', B, sso(B, 'fedcba9876543210'), '/aws-reserved/sso.amazonaws.com/', 'alice@example.com'),
      's3',
      'eu-west-1',
      `https://sqs.eu-west-1.amazonaws.com/${B}/q-b`,
    ),
  ]);

  it('one principal per role whatever the session (each user a session name); the summary says where each file goes', () => {
    const out = join(tmp(), 'out');
    const g = cli(['generate', 'iam', '--cloudtrail', logs, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const tree = readTree(join(out, 'iam'));
    expect(Object.keys(tree).sort()).toEqual([
      `${A}/index.json`,
      `${A}/role/AWSReservedSSO_Data_Eng_0123456789abcdef.json`,
      `${B}/index.json`,
      `${B}/role/AWSReservedSSO_Data_Eng_fedcba9876543210.json`,
    ]);
    expect(g.stderr).toMatch(
      /IAM Identity Center roles: IAM refuses changes to them; put each policy in its permission set \(inline, or a customer managed policy\) instead:/,
    );
    expect(g.stderr).toMatch(
      new RegExp(
        `permission set Data_Eng: ${out}/iam/${A}/role/AWSReservedSSO_Data_Eng_0123456789abcdef\\.json, ` +
          `${out}/iam/${B}/role/AWSReservedSSO_Data_Eng_fedcba9876543210\\.json`,
      ),
    );
    const ev = JSON.parse(
      readFileSync(join(out, 'evidence', 'iam', A, 'role', 'AWSReservedSSO_Data_Eng_0123456789abcdef.json'), 'utf8'),
    );
    expect(ev.permissionSet).toBe('Data_Eng');
    expect(ev.permissions.map((x: { count: number }) => x.count)).toEqual([2]);
  });
});

describe("a partition's root user whose record carries no ARN", () => {
  it('is named in the partition of the call, not always aws', async () => {
    const r = (region: string, id: string) => ({
      eventVersion: '1.09',
      userIdentity: { type: 'Root', principalId: A, accountId: A },
      eventTime: '2026-11-05T10:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      awsRegion: region,
      eventID: id,
      recipientAccountId: A,
    });
    const p = join(tmp(), 'p.json');
    const g = cli(['profile', '--cloudtrail', write([r('cn-north-1', 'r1'), r('us-gov-west-1', 'r2')]), '-o', p, '-q']);
    expect(g.code, g.stderr).toBe(0);
    const tail = await readProfileFile(p);
    expect(tail.leftOut!.map((l) => l.arn)).toEqual([`arn:aws-cn:iam::${A}:root`, `arn:aws-us-gov:iam::${A}:root`]);
  });
});

describe('sessions stay one principal across a backtest split', () => {
  it('a new session name each run, IRSA and Pod Identity sessions, a held-out record without its issuer: no breakage', () => {
    const q = `https://sqs.eu-west-1.amazonaws.com/${A}/jobs`;
    const irsa = session('aws', A, 'worker', '/apps/', 'botocore-session-1762336800');
    (irsa['sessionContext'] as Rec)['webIdFederationData'] = {
      federatedProvider: `arn:aws:iam::${A}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`,
      attributes: {},
    };
    const pod = session('aws', A, 'worker', '/apps/', 'eks-shop-worker-7d9f-0f1e2d3c');
    const pathless = { ...session('aws', A, 'worker', '/apps/', 'run-3') };
    delete pathless['sessionContext'];
    const logs = write([
      sendMessage(session('aws', A, 'worker', '/apps/', 'run-1'), 't1', 'eu-west-1', q, '2026-11-05T10:00:00Z'),
      sendMessage(irsa, 'h1', 'eu-west-1', q, '2026-11-09T10:00:00Z'),
      sendMessage(pod, 'h2', 'eu-west-1', q, '2026-11-09T11:00:00Z'),
      sendMessage(pathless, 'h3', 'eu-west-1', q, '2026-11-09T12:00:00Z'),
    ]);
    const b = cli(['backtest', '--cloudtrail', logs, '--split', '2026-11-08T00:00:00Z', '--format', 'json']);
    expect(b.code, b.stderr).toBe(0);
    const r = JSON.parse(b.stdout);
    expect(Object.keys(r.byPrincipal)).toEqual([`arn:aws:iam::${A}:role/apps/worker`]);
    expect(r.byPrincipal[`arn:aws:iam::${A}:role/apps/worker`]).toMatchObject({ observed: 1, allowed: 1 });
  });
});

describe("a tree holding only one partition's policy for an account id and name", () => {
  // ListBuckets is authorized on `*`, so a grant of one partition would allow it in another if the partition were
  // not asked: the tree is generated from aws-cn's logs only, then verified against the same role in aws.
  const listBuckets = (userIdentity: Rec, id: string) => ({
    eventVersion: '1.09',
    userIdentity,
    eventTime: '2026-11-05T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    awsRegion: 'cn-north-1',
    eventID: id,
    recipientAccountId: A,
    requestParameters: null,
  });
  const china = write([listBuckets(session('aws-cn', A, 'app', '/', 's1'), 'c1')]);
  const global = write([listBuckets(session('aws', A, 'app', '/', 's1'), 'g1')]);
  const out = join(tmp(), 'out');
  const gen = cli(['generate', 'iam', '--cloudtrail', china, '-o', out]);

  it('judges a principal of another partition by none of it (its index names the partition)', () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(readFileSync(join(out, 'iam', A, 'role/app.json'), 'utf8')).toContain('s3:ListAllMyBuckets');
    expect(verify(out, china).code).toBe(0);
    const v = verify(out, global);
    expect(v.code, v.stderr).toBe(1);
    expect(v.report.notAllowed.map((f: { subject: string; detail?: string }) => [f.subject, f.detail])).toEqual([
      [
        `arn:aws:iam::${A}:role/app`,
        `no policy for aws:${A}/role/app: of the policies read, those of its account and name are its twin's in another partition`,
      ],
    ]);
  });

  it('by place, without the index, a file without a partition suffix is the only one and judges either', () => {
    const copy = join(tmp(), 'p');
    cpSync(out, copy, { recursive: true });
    rmSync(join(copy, 'iam', A, 'index.json'));
    expect(verify(copy, global).code).toBe(0);
    expect(verify(copy, china).code).toBe(0);
  });
});
