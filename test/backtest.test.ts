import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { ACCOUNT, record, ROLE } from './helpers/cloudtrailRecords.js';

/**
 * An 8-day soak written here: a job runner that creates a pod a day (a new made-up name each time)
 * and reads and deletes it; a web service account reading its configmap by name every day, and on
 * the last day a configmap it never read before (a genuinely new access the policy must not allow).
 */
function soak(): string {
  const lines: string[] = [];
  const ev = (user: string, verb: string, resource: string, name: string, time: string, i: number) =>
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `e-${i}`,
      stage: 'ResponseComplete',
      requestURI: `/api/v1/namespaces/ci/${resource}`,
      verb,
      user: { username: user, groups: ['system:authenticated'] },
      objectRef: { resource, namespace: user.includes(':ci:') ? 'ci' : 'shop', name, apiVersion: 'v1' },
      responseStatus: { code: verb === 'create' ? 201 : 200 },
      requestReceivedTimestamp: time,
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
  const suffixes = ['b7k2p', 'x2x9k', 'q4w5z', 'm2n5p', 'c6d7f', 'g8h9j', 'k2l4m', 'n5p6q'];
  let i = 0;
  for (let d = 2; d <= 9; d++) {
    const t = (h: number) => `2026-11-0${d}T${String(h).padStart(2, '0')}:00:00.000000Z`;
    const pod = `job-${suffixes[d - 2]}`;
    lines.push(ev('system:serviceaccount:ci:runner', 'create', 'pods', pod, t(1), i++));
    lines.push(ev('system:serviceaccount:ci:runner', 'get', 'pods', pod, t(2), i++));
    lines.push(ev('system:serviceaccount:ci:runner', 'delete', 'pods', pod, t(3), i++));
    lines.push(ev('system:serviceaccount:shop:web', 'get', 'configmaps', 'web-config', t(4), i++));
    if (d === 9) lines.push(ev('system:serviceaccount:shop:web', 'get', 'configmaps', 'feature-flags', t(5), i++));
  }
  return lines.join('\n') + '\n';
}

let log = '';
beforeAll(() => {
  log = join(tmp(), 'audit.log');
  writeFileSync(log, soak());
});

const SPLIT = ['--split', '2026-11-08T00:00:00Z'];

describe('backtest', () => {
  it('held-out days: made-up pod names are generalized, the genuinely new access is denied with its reason', () => {
    const r = cli(['backtest', '--k8s-audit', log, ...SPLIT, '--format', 'json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'apiVersion',
      'train',
      'test',
      'observed',
      'allowed',
      'wouldDeny',
      'undetermined',
      'breakage',
      'byKind',
      'byPrincipal',
      'generalized',
      'excess',
    ]);
    expect(j.train).toEqual({ from: '2026-11-02T01:00:00.000000Z', until: '2026-11-08T00:00:00.000000Z' });
    expect(j.test).toEqual({ from: '2026-11-08T00:00:00.000000Z', until: '2026-11-09T05:00:00.000000Z' });
    // Days 8-9: runner create/get/delete of two new pods collapse into its rules' accesses; web's two reads.
    expect(j.wouldDeny).toHaveLength(1);
    expect(j.wouldDeny[0]).toMatchObject({
      kind: 'rbac',
      subject: 'system:serviceaccount:shop:web',
      access: { verb: 'get', resource: 'configmaps', name: 'feature-flags' },
      reason: 'a new name feature-flags of configmaps (seen: web-config)',
    });
    expect(j.wouldDeny[0].evidence).toMatchObject({
      count: 1,
      firstSeen: '2026-11-09T05:00:00.000000Z',
      samples: ['e-32'],
    });
    expect(j.observed).toBe(j.allowed + 1);
    expect(j.breakage).toBe(Math.round(10000 / j.observed) / 100);
    expect(j.byPrincipal['system:serviceaccount:ci:runner']).toMatchObject({ wouldDeny: 0, breakage: 0 });
    expect(j.generalized).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'rbac', option: 'generated-names', subject: 'serviceaccount:ci:runner' }),
      ]),
    );
    expect(j.excess.rbac).toMatchObject({ samples: expect.any(Number), allowed: expect.any(Number) });
  });

  it('--exact keeps every name: the next days break, and --fail-on-breakage turns that into exit 1', () => {
    const exact = JSON.parse(
      cli(['backtest', '--k8s-audit', log, ...SPLIT, '--format', 'json', '-q', '--exact']).stdout,
    );
    expect(exact.generalized).toEqual([]);
    expect(
      exact.wouldDeny
        .map(
          (f: { subject: string; access: { verb: string; name: string } }) =>
            `${f.subject} ${f.access.verb} ${f.access.name}`,
        )
        .sort(),
    ).toEqual([
      'system:serviceaccount:ci:runner delete job-k2l4m',
      'system:serviceaccount:ci:runner delete job-n5p6q',
      'system:serviceaccount:ci:runner get job-k2l4m',
      'system:serviceaccount:ci:runner get job-n5p6q',
      'system:serviceaccount:shop:web get feature-flags',
    ]);
    expect(cli(['backtest', '--k8s-audit', log, ...SPLIT, '-q', '--exact', '--fail-on-breakage', '10']).code).toBe(1);
    expect(cli(['backtest', '--k8s-audit', log, ...SPLIT, '-q', '--fail-on-breakage', '50']).code).toBe(0);
  });

  it('--holdout 2d cuts 48 hours before the newest record (05:00 on day 8): the label says day 6 is on both sides', () => {
    const t = cli(['backtest', '--k8s-audit', log, '--holdout', '2d', '-q']).stdout;
    expect(t).toMatch(/^backtest {2}days 1-6 \(to 05:00 UTC\) -> 6-8: \d+\/\d+ allowed/);
  });

  it('text and markdown carry the figure, the denials with their reasons and the generalizations', () => {
    const t = cli(['backtest', '--k8s-audit', log, ...SPLIT, '-q']).stdout;
    expect(t).toMatch(/^backtest {2}days 1-6 -> 7-8: \d+\/\d+ allowed \(breakage \d+\.\d%\)\n/);
    expect(t).toContain(
      'get configmaps feature-flags in shop ×1, first 2026-11-09T05:00:00.000000Z (e-32): a new name feature-flags of configmaps',
    );
    expect(t).toContain('(made-up names; --exact keeps them)');
    const md = cli(['backtest', '--k8s-audit', log, ...SPLIT, '-q', '--format', 'markdown']).stdout;
    expect(md).toMatch(/^### ⚠️ backtest/);
    expect(md).toContain('| rbac |');
  });

  it('--folds: a learning curve per principal; one that met something new on the last day is still learning', () => {
    const j = JSON.parse(cli(['backtest', '--k8s-audit', log, '--folds', '3', '--format', 'json', '-q']).stdout);
    expect(j.folds.map((f: { test: { from: string } }) => f.test.from)).toEqual([
      '2026-11-07T00:00:00.000000Z',
      '2026-11-08T00:00:00.000000Z',
      '2026-11-09T00:00:00.000000Z',
    ]);
    expect(j.learning['system:serviceaccount:shop:web']).toMatchObject({
      lastNew: '2026-11-09T00:00:00.000000Z',
      stillLearning: true,
    });
    expect(
      j.learning['system:serviceaccount:shop:web'].days.map((d: { newAccesses: number }) => d.newAccesses),
    ).toEqual([0, 0, 1]);
    expect(j.learning['system:serviceaccount:ci:runner']).toMatchObject({ lastNew: '', stillLearning: false });
    // generate says so too, from the profile alone: the newest class of web appeared on the last day.
    const g = cli(['generate', 'rbac', '--k8s-audit', log]);
    expect(g.stderr).toMatch(
      /still learning on the soak's last day: 1 subject .*\n {2}system:serviceaccount:shop:web: get configmaps feature-flags in shop, first seen 2026-11-09T05:00:00.000000Z/,
    );
  });

  it('asks for exactly one way to hold out, and sets the windows itself', () => {
    expect(cli(['backtest', '--k8s-audit', log]).stderr).toContain(
      'give one of --holdout DURATION, --split TIME or --folds K',
    );
    expect(cli(['backtest', '--k8s-audit', log, '--holdout', '2d', '--folds', '2']).code).toBe(2);
    expect(cli(['backtest', '--k8s-audit', log, '--holdout', '2d', '--since', '3d']).stderr).toContain(
      'backtest sets the windows itself',
    );
    // Refused, so not listed in the help as if they worked (the other filters are).
    const help = cli(['backtest', '--help']).stdout;
    expect(help).not.toMatch(/--since|--until/);
    expect(help).toContain('--subject <glob...>');
    expect(cli(['backtest', '--k8s-audit', log, '--holdout', '2026-11-08T00:00:00Z']).stderr).toContain(
      '--holdout: expected a duration',
    );
    expect(cli(['backtest', '--k8s-audit', log, '--folds', '20']).stderr).toContain('too few days');
  });
});

describe('backtest days label', () => {
  it('counts days from the first record; a split before every record says there was no training data', async () => {
    const { daysLabel } = await import('../src/report/backtest/days.js');
    const w = (from: string, until: string) => ({ from, until });
    expect(
      daysLabel(
        w('2026-11-02T00:00:15.707093Z', '2026-11-08T00:00:00.000000Z'),
        w('2026-11-08T00:00:00.000000Z', '2026-11-09T23:35:45.000000Z'),
      ),
    ).toBe('days 1-6 -> 7-8');
    // A cut inside a day (--holdout counts back from the newest record) puts that day on both sides: its time said
    expect(
      daysLabel(
        w('2026-11-02T00:00:15.707093Z', '2026-11-07T23:42:04.067662Z'),
        w('2026-11-07T23:42:04.067662Z', '2026-11-09T23:35:45.000000Z'),
      ),
    ).toBe('days 1-6 (to 23:42:04 UTC) -> 6-8');
    expect(
      daysLabel(
        w('2026-11-02T00:00:15.707093Z', '2026-11-07T12:00:00.000000Z'),
        w('2026-11-07T12:00:00.000000Z', '2026-11-09T23:35:45.000000Z'),
      ),
    ).toBe('days 1-6 (to 12:00 UTC) -> 6-8');
    expect(
      daysLabel(
        w('2026-11-02T00:00:15.707093Z', '2026-11-08T00:00:00.500000Z'),
        w('2026-11-08T00:00:00.500000Z', '2026-11-09T23:35:45.000000Z'),
      ),
    ).toBe('days 1-7 (to 00:00:00 UTC) -> 7-8');
    // trailscraper's records split in 2016: nothing before the split, 376 days after it.
    expect(
      daysLabel(w('', '2016-01-01T00:00:00.000000Z'), w('2016-01-01T00:00:00.000000Z', '2017-01-10T12:00:00.000000Z')),
    ).toBe('no training data -> days 1-376');
  });
});

describe('backtest: why a held-out call is new', () => {
  it('a role seen in training without its path (no session issuer) is no new principal when it comes back with it', () => {
    const get = (key: string, time: string, issuer: boolean) => {
      const r = record(
        's3.amazonaws.com',
        'GetObject',
        { bucketName: 'acme-data', Host: 'acme-data.s3.eu-west-1.amazonaws.com', key },
        {
          eventTime: time,
          managementEvent: false,
          eventCategory: 'Data',
          readOnly: true,
          resources: [
            { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-data/${key}` },
            { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-data' },
          ],
        },
      );
      // A record without sessionContext names the role by its session ARN alone, which carries no path.
      const id = r['userIdentity'] as Record<string, unknown>;
      if (!issuer) delete id['sessionContext'];
      return r;
    };
    const dir = tmp();
    const records = [
      get('in/a.json', '2026-11-02T01:00:00Z', false),
      get('in/a.json', '2026-11-03T01:00:00Z', true),
      get('in/b.json', '2026-11-03T01:00:01Z', true),
    ];
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const r = cli([
      'backtest',
      '--cloudtrail',
      join(dir, 'ct.json'),
      '--split',
      '2026-11-03T00:00:00Z',
      '--format',
      'json',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.wouldDeny).toHaveLength(1);
    // The held-out records name the role with its path (ROLE is role/apps/worker); training saw role/worker.
    expect(j.wouldDeny[0]).toMatchObject({
      subject: ROLE,
      reason: 'a new resource arn:aws:s3:::acme-data/in/b.json for s3:GetObject',
    });
  });
});
