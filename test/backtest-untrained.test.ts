import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { record, ROLE } from './helpers/cloudtrailRecords.js';

/**
 * A kind the held-out window holds but training does not (CloudTrail or flows only after the split) is judged against
 * a policy that allows nothing, never left out: a gate on breakage must not pass on the kinds that were judged.
 */
const D = 'fixtures/demo';
const SPLIT = ['--split', '2026-11-09T00:00:00Z'];

describe('backtest: a kind with no training data', () => {
  it('IAM only after the split: every held-out call would be denied as a new principal, and the gate fails', () => {
    const dir = tmp();
    const records = [
      record('s3.amazonaws.com', 'ListBuckets', null, { eventTime: '2026-11-09T01:00:00Z', readOnly: true }),
      record('sqs.amazonaws.com', 'ListQueues', {}, { eventTime: '2026-11-09T02:00:00Z', readOnly: true }),
    ];
    writeFileSync(join(dir, 'ct.json'), JSON.stringify({ Records: records }));
    const args = ['backtest', '--k8s-audit', `${D}/k8s-audit`, '--cloudtrail', join(dir, 'ct.json'), ...SPLIT, '-q'];
    const j = cli([...args, '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    const r = JSON.parse(j.stdout);
    expect(r.untrained).toEqual(['iam']);
    expect(r.byKind.iam).toMatchObject({ observed: 2, allowed: 0, wouldDeny: 2, breakage: 100 });
    expect(r.byKind.rbac.observed).toBeGreaterThan(0);
    const iam = r.wouldDeny.filter((f: { kind: string }) => f.kind === 'iam');
    expect(iam.map((f: { subject: string }) => f.subject)).toEqual([ROLE, ROLE]);
    for (const f of iam) expect(f.reason).toContain('a new principal');
    const text = cli([...args, '--fail-on-breakage', '1']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain('iam: no training data');
    expect(cli([...args, '--format', 'markdown']).stdout).toContain('iam: no training data');
  });

  it('flows only after the split: each held-out namespace is judged against a deny-all', () => {
    const r = cli([
      'backtest',
      '--k8s-audit',
      `${D}/k8s-audit`,
      '--flows',
      `${D}/flows/hubble/hubble-2026-11-09.json`,
      '--inventory',
      `${D}/inventory`,
      ...SPLIT,
      '--format',
      'json',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.untrained).toEqual(['netpol']);
    // All but what no NetworkPolicy can deny (a pod's own node reaching it).
    expect(j.byKind.netpol).toMatchObject({ observed: 38, allowed: 1, wouldDeny: 37 });
    expect(j.byPrincipal['own node 10.0.1.23']).toMatchObject({ observed: 1, allowed: 1 });
  });

  it('no training data at all, or nothing held out: exit 2 with what to change', () => {
    const audit = ['backtest', '--k8s-audit', `${D}/k8s-audit`, '-q'];
    const none = cli([...audit, '--holdout', '30d', '--fail-on-breakage', '1']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/no training data: no record in scope before 2026-10-10T.*hold out less/);
    const late = cli([...audit, '--split', '2027-01-01T00:00:00Z']);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain(
      'nothing held out: no record in scope at or after 2027-01-01T00:00:00.000000Z (the records in scope end at 2026-11-09T',
    );
    const early = cli([...audit, '--split', '2020-01-01T00:00:00Z']);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('no training data');
  });
});
