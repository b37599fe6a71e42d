// Verifying a profile read principal by principal (issue 16): `verify --profile FILE` reads the file once, each kind
// replaying each principal as it comes. What it reports must be what replaying the profile in memory reports, kind
// after kind, with the filters counting what they leave out as filterProfile does.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, readAllPolicies, verifyAll, verifySource, sourceOf, type KindName } from '../src/kinds/index.js';
import type { VerifyReport } from '../src/model/finding.js';
import type { Profile } from '../src/model/profile.js';
import { loadPolicyDocs } from '../src/policy/load.js';
import { filterProfile } from '../src/profile/filter.js';
import { openProfile, readProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { VERIFY_FORMATS } from '../src/report/verify/index.js';
import { ingest } from '../src/ingest/index.js';
import { loadInventory } from '../src/inventory/load.js';
import { cli, DEMO_SOURCES, tmp } from './helpers/cli.js';

// Policies that leave much of the demo out, so every kind has findings: RBAC and NetworkPolicies of one namespace,
// and IAM without the policies of one role.
const LEFT_OUT_ROLE = 'arn:aws:iam::111122223333:role/shop-cart';

let profilePath: string;
let profile: Profile;
let policyDir: string;
let policies: ReturnType<typeof readAllPolicies>;

beforeAll(async () => {
  const base = tmp();
  profilePath = join(base, 'demo.json');
  policyDir = join(base, 'policies');
  const made = [
    cli(['profile', ...DEMO_SOURCES, '-o', profilePath, '-q']),
    cli(['generate', 'rbac', '--profile', profilePath, '--namespace', 'payments', '-o', policyDir, '-q']),
    cli(['generate', 'netpol', '--profile', profilePath, '--namespace', 'payments', '-o', policyDir, '-q']),
    cli(['generate', 'iam', '--profile', profilePath, '--exclude-subject', LEFT_OUT_ROLE, '-o', policyDir, '-q']),
  ];
  for (const r of made) expect(r.code, r.stderr).toBe(0);
  profile = await readProfile(profilePath);
  policies = readAllPolicies((await loadPolicyDocs([policyDir], process.cwd())).docs);
}, 180_000);

/** The parts of a report one kind contributes. */
const partOf = (r: VerifyReport) => ({
  notAllowed: r.notAllowed,
  undetermined: r.undetermined,
  denied: r.denied,
  byKind: r.byKind,
});

describe('verify from a profile file, principal by principal', () => {
  it('reports what replaying the profile in memory reports, whole and filtered', async () => {
    const cases: { args: string[]; scope: Partial<ConstructorParameters<typeof Scope>[0]>; kinds?: KindName[] }[] = [
      { args: [], scope: {} },
      { args: ['--namespace', 'shop'], scope: { namespaces: ['shop'] } },
      {
        args: ['--exclude-subject', 'system:serviceaccount:payments:*', '--kind', 'rbac,iam'],
        scope: { excludeSubjects: ['system:serviceaccount:payments:*'] },
        kinds: ['rbac', 'iam'],
      },
    ];
    for (const c of cases) {
      const r = cli(['verify', '--policies', policyDir, '--profile', profilePath, ...c.args, '--format', 'json']);
      expect(r.code, r.stderr).toBe(1);
      const inMemory = await verifyAll(
        filterProfile(profile, new Scope({ ...defaultScope(), ...c.scope })),
        policies,
        c.kinds ?? KIND_NAMES,
      );
      expect(r.stdout).toBe(VERIFY_FORMATS['json']!(inMemory));
      if (c.args.length) expect(Object.values(inMemory.skipped).some((n) => n > 0)).toBe(true);
    }
  });

  it('from logs, replays the principals as the builders hand them over: what the profile in memory gives', async () => {
    const inventory = await loadInventory(['fixtures/demo/inventory'], process.cwd());
    const { profile: read } = await ingest({
      k8sAudit: ['fixtures/demo/k8s-audit'],
      cloudtrail: ['fixtures/demo/cloudtrail'],
      flows: ['fixtures/demo/flows'],
      inventory: inventory.inventory,
      scope: new Scope({ ...defaultScope(), namespaces: ['shop', 'payments'] }),
      workers: 1,
      cwd: process.cwd(),
    });
    const expected = VERIFY_FORMATS['json']!(await verifyAll(read, policies));
    for (const workers of ['1', '3']) {
      const j = cli([
        'verify',
        '--policies',
        policyDir,
        ...DEMO_SOURCES,
        '--namespace',
        'shop',
        'payments',
        '--workers',
        workers,
        '--format',
        'json',
      ]);
      expect(j.code, j.stderr).toBe(1);
      expect(j.stdout).toBe(expected);
    }
  });

  it('gives every kind its findings in turn: the report of all kinds joins the reports of each kind alone', async () => {
    const all = await verifySource(async () => openProfile(profilePath), policies);
    const alone = await Promise.all(KIND_NAMES.map((k) => verifySource(sourceOf(profile), policies, [k])));
    for (const [i, k] of KIND_NAMES.entries()) {
      const mine = all.notAllowed.filter((f) => f.kind === k);
      expect(mine.length, k).toBeGreaterThan(0);
      expect(partOf(alone[i]!).notAllowed).toEqual(mine);
      expect(all.byKind[k]).toEqual(alone[i]!.byKind[k]);
    }
    // Findings come kind after kind, never interleaved by principal.
    const order = all.notAllowed.map((f) => KIND_NAMES.indexOf(f.kind as KindName));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const list of ['notAllowed', 'undetermined', 'denied'] as const)
      expect(all[list]).toEqual(alone.flatMap((r) => r[list]));
    expect(all.observed).toBe(alone.reduce((n, r) => n + r.observed, 0));
    // A subject's tallies are the sums of its kinds' (a service account's RBAC and a role's IAM are different
    // subjects; a workload's flows are a third).
    const summed: Record<string, { observed: number; allowed: number }> = {};
    for (const r of alone)
      for (const [s, t] of Object.entries(r.bySubject ?? {})) {
        const to = (summed[s] ??= { observed: 0, allowed: 0 });
        to.observed += t.observed;
        to.allowed += t.allowed;
      }
    expect(all.bySubject).toEqual(summed);
    expect(Object.keys(all.bySubject ?? {})).toEqual(Object.keys(summed));
  });

  it('reads the profile once, and names a kind with one side missing as not judged', async () => {
    let opened = 0;
    const once = async () => {
      opened++;
      return openProfile(profilePath);
    };
    const onlyRbac = new Map([...policies].filter(([k]) => k === 'rbac'));
    const r = await verifySource(once, onlyRbac);
    expect(opened).toBe(1);
    expect(Object.keys(r.byKind)).toEqual(['rbac']);
    expect(r.notJudged).toEqual({ iam: 'no IAM policies given', netpol: 'no NetworkPolicies given' });
    // Policies of a kind the profile holds nothing of: judged neither way.
    // (No calls, and no roles assumed by AWS services, web identities or SAML users, whose trusts IAM would judge.)
    const { serviceAssumptions: _s, webIdentityAssumptions: _w, samlAssumptions: _a, ...rest } = profile;
    const k8sOnly: Profile = { ...rest, principals: profile.principals.map((p) => ({ ...p, aws: [] })) };
    const noAws = await verifySource(sourceOf(k8sOnly), policies);
    expect(noAws.notJudged).toEqual({ iam: 'no CloudTrail calls in scope' });
    expect(noAws.byKind['iam']).toBeUndefined();
    expect(noAws.notAllowed.some((f) => f.kind === 'iam')).toBe(false);
  });
});
