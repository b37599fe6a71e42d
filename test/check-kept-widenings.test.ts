import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, DEMO_SOURCES, demoPolicies, tmp } from './helpers/cli.js';

/**
 * `check` on freshly generated policy, against the logs it was generated from (npm run demo's): the widenings
 * `generate` writes on purpose and lists (DNS over TCP to the cluster DNS beside the UDP seen; a release-tag pattern
 * and a Cognito pool in trust policies) were "granted but never used" (7 of them), which a CI reader removes. They are
 * kept as listed widenings, saying where the evidence lists them, failing no --fail-on; real unused grants stay unused.
 */
const { profile, policy, made } = demoPolicies();

interface Finding {
  type: string;
  kind: string;
  principal: string;
  access: { action?: string; from?: string; to?: string; protocol?: string; port?: number };
  detail?: string;
}
interface Report {
  unused: Finding[];
  keptWidenings?: Finding[];
  unusedShare: Record<string, number>;
}

const check = (args: string[]) => cli(['check', ...args, '--format', 'json', '-q']);
const dnsTcp = (f: Finding) =>
  f.kind === 'netpol' && f.access.to === 'kube-system/coredns' && f.access.protocol === 'TCP';

describe('check keeps the widenings generate listed', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  it('the demo logs against the policy made from them: nothing unused, 7 kept, --fail-on unused passes', () => {
    const r = check(['--policies', policy, ...DEMO_SOURCES, '--fail-on', 'unused']);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.unused).toEqual([]);
    const kept = report.keptWidenings ?? [];
    expect(kept).toHaveLength(7);
    expect(kept.every((f) => f.type === 'kept-widening')).toBe(true);
    expect(kept.filter(dnsTcp).map((f) => f.principal)).toEqual([
      'ci/deploy',
      'ops/backup',
      'ops/report',
      'payments/payments-api',
      'shop/cart',
    ]);
    for (const f of kept.filter(dnsTcp))
      expect(f.detail).toBe(
        `kept: a widening generate listed in ${join(policy, 'evidence/netpol', `${f.principal}.yaml`)}: cluster DNS: UDP and TCP 53 are both allowed; unseen in these logs beside the UDP/53 they show`,
      );
    const trusts = kept.filter((f) => f.kind === 'iam');
    expect(trusts.map((f) => f.principal)).toEqual([
      'arn:aws:iam::111122223333:role/app/shop-mobile-uploads',
      'arn:aws:iam::111122223333:role/ci/github-release',
    ]);
    expect(trusts[1]!.detail).toContain('repo:acme/shop:ref:refs/tags/v1.4.0 → repo:acme/shop:ref:refs/tags/v*');
    expect(Object.values(report.unusedShare).every((s) => s === 0)).toBe(true);
    // In words, for a CI log: its own section, not "granted but never used".
    const text = cli(['check', '--policies', policy, '--profile', profile, '-q', '--fail-on', 'any']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^OK: 0 would be denied, 0 granted but never used, 7 kept as listed widenings, /);
    expect(text.stdout).toContain('\nkept as listed widenings (7):\n');
    expect(text.stdout).not.toContain('granted but never used (');
  });

  it('the policy directories named one by one: the evidence is found beside them', () => {
    const paths = ['rbac', 'iam', 'netpol'].map((k) => join(policy, k));
    const report = JSON.parse(check(['--policies', ...paths, '--profile', profile]).stdout) as Report;
    expect(report.unused).toEqual([]);
    expect(report.keptWidenings).toHaveLength(7);
  });

  it('a tree committed without its evidence: what the policy alone says, unused', () => {
    const bare = join(tmp(), 'policy');
    cpSync(policy, bare, { recursive: true });
    rmSync(join(bare, 'evidence'), { recursive: true });
    const r = check(['--policies', bare, '--profile', profile, '--fail-on', 'unused']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.unused).toHaveLength(7);
    expect(report.keptWidenings).toBeUndefined();
  });

  it('a client whose DNS over UDP is not granted: its TCP 53 is a real unused grant, not kept', () => {
    const edited = join(tmp(), 'policy');
    cpSync(policy, edited, { recursive: true });
    const file = join(edited, 'netpol/ci/deploy.yaml');
    const text = readFileSync(file, 'utf8');
    const udp = '        - protocol: UDP\n          port: dns\n';
    expect(text).toContain(udp);
    writeFileSync(file, text.replace(udp, ''));
    const report = JSON.parse(
      check(['--policies', edited, '--profile', profile, '--fail-on', 'none']).stdout,
    ) as Report;
    expect(report.unused.filter(dnsTcp).map((f) => f.principal)).toEqual(['ci/deploy']);
    expect(report.unusedShare['ci/deploy']).toBeGreaterThan(0);
    expect((report.keptWidenings ?? []).filter(dnsTcp)).toHaveLength(4);
  });
});
