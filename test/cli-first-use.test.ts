import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo');

/** What a first-time user meets: counts said in words that agree with them, mistakes named for what they are. */
const base = tmp();

// One allowed request of one service account, and one S3 call of one role (as an audit log and a trail write them).
const auditLog = join(base, 'audit.log');
writeFileSync(
  auditLog,
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a1b2c3d4-0000-0000-0000-000000000001',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/configmaps/web-config',
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:web', uid: 'u1', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.1.5'],
    objectRef: { resource: 'configmaps', namespace: 'shop', name: 'web-config', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-02T10:00:00.000000Z',
    stageTimestamp: '2026-11-02T10:00:00.010000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  }) + '\n',
);
const trail = join(base, 'ct.json');
writeFileSync(
  trail,
  JSON.stringify({
    Records: [
      {
        eventVersion: '1.08',
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLE:sess',
          arn: 'arn:aws:sts::111122223333:assumed-role/app-role/sess',
          accountId: '111122223333',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLE',
              arn: 'arn:aws:iam::111122223333:role/app-role',
              accountId: '111122223333',
              userName: 'app-role',
            },
          },
        },
        eventTime: '2026-11-02T10:00:00Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        awsRegion: 'eu-west-1',
        sourceIPAddress: '10.0.0.1',
        requestParameters: { bucketName: 'my-bucket', key: 'data/report.csv' },
        responseElements: null,
        eventID: 'e1',
        readOnly: true,
        eventType: 'AwsApiCall',
        managementEvent: false,
        recipientAccountId: '111122223333',
      },
    ],
  }),
);

describe('counts of one', () => {
  const out = join(base, 'one');
  const gen = cli(['generate', 'all', '--k8s-audit', auditLog, '--cloudtrail', trail, '-o', out]);
  const profile = join(base, 'one.json');
  cli(['profile', '--k8s-audit', auditLog, '--cloudtrail', trail, '-o', profile, '-q']);
  const ver = cli(['verify', '--policies', out, '--profile', profile]);

  it('say the word in the singular', () => {
    expect(gen.code).toBe(0);
    expect(gen.stderr).toContain('read 2 files (0.00 MB), 2 records, 2 principals in scope');
    expect(gen.stderr).toContain('generated 2 RBAC objects with 1 rule for 1 subject in ');
    expect(gen.stderr).toContain('generated 1 IAM policy with 1 statement (1 action) for 1 principal in ');
    expect(ver.stderr).toMatch(/1 Role, 0 ClusterRoles, 1 RoleBinding, 0 ClusterRoleBindings/);
    expect(ver.stderr).toMatch(/1 IAM policy\b/);
    const single = cli(['profile', '--k8s-audit', auditLog, '-o', join(base, 'p1.json')]);
    expect(single.stderr).toContain('read 1 file (0.00 MB), 1 record, 1 principal in scope');
  });
});

describe('generate without a kind', () => {
  it('says it needs one, not that --profile is unknown', () => {
    const r = cli(['generate', '--profile', join(base, 'one.json'), '-o', join(base, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: generate needs a kind: rbac, iam, netpol or all \(--profile is an option of each/,
    );
    const typo = cli(['generate', '--bogus']);
    expect(typo.stderr).toMatch(/^error: generate needs a kind: rbac, iam, netpol or all \(and --bogus is no option/);
    expect(cli(['generate', 'rbac', '--bogus']).stderr).toMatch(/^error: unknown option '--bogus'/);
  });
});

describe("a config file's time window beside --profile", () => {
  const dir = join(base, 'cfg');
  mkdirSync(dir);
  const prof = join(dir, 'wk.json');
  cli(['profile', '--k8s-audit', auditLog, '-o', prof, '-q']);
  // docs/cli.md's sample config, its window meant for the logs it names.
  writeFileSync(
    join(dir, 'audit2policy.yaml'),
    [
      'apiVersion: audit2policy.dev/v1alpha1',
      'kind: Config',
      'sources:',
      '  k8sAudit: [audit/]',
      'filters:',
      "  subject: ['system:serviceaccount:shop:*']",
      '  since: 7d',
      '',
    ].join('\n'),
  );

  it('is not applied to the profile, and the notice names the file, line and key', () => {
    const r = cli(['generate', 'rbac', '--profile', 'wk.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('notice: audit2policy.yaml:7: filters.since not applied: --profile gives an aggregated');
    expect(r.stdout).toContain('kind: Role');
  });

  it('typed on the command line, it still is an error', () => {
    const r = cli(['generate', 'rbac', '--profile', 'wk.json', '--since', '7d'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --since/--until select records while reading logs');
  });
});

describe('a wrong directory', () => {
  it('of a project (README, LICENSE, package.json) as --k8s-audit: nothing read, exit 2 naming them', () => {
    const dir = join(base, 'unrelated');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '# a project\n');
    writeFileSync(join(dir, 'LICENSE'), 'MIT License\n');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', type: 'module' }, null, 2));
    const r = cli(['profile', '--k8s-audit', dir, '-o', join(base, 'u.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: nothing read: no file given is a log its flag reads: .*LICENSE \(not a log/m);
    expect(r.stderr).toMatch(/package\.json \(k8s\.unknown-format\)$/m);
  });

  it("of an account's IAM authorization details as --cloudtrail: said to be policies for check, diff or verify", () => {
    const r = cli(['profile', '--cloudtrail', join(DEMO, 'iam'), '-o', join(base, 'i.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: nothing read: the files given look like an account's IAM authorization details .*: read it with check, diff or verify --policies$/m,
    );
  });
});

describe('a log given as --inventory', () => {
  it('is one hint naming the flag that reads it, not an issue per Event', () => {
    const r = cli(['profile', '--inventory', join(DEMO, 'k8s-audit'), '-o', join(base, 'inv.json')]);
    expect(r.stderr).toContain(
      'batch-0001.json:0: inventory.foreign-format: not cluster objects: looks like a Kubernetes audit log: read it with --k8s-audit',
    );
    expect(r.stderr).not.toContain('without metadata.name');
  });
});
