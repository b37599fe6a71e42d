// Calico's StagedKubernetesNetworkPolicy: `generate netpol --staged` writes the policies Calico judges in its flow
// logs without enforcing them, and `verify`, `check` and `diff` read one as the NetworkPolicy it would enforce once
// promoted. Shapes from Calico's reference ("Staged Kubernetes network policy") and projectcalico/api's
// StagedKubernetesNetworkPolicySpec (the NetworkPolicySpec's fields, podSelector optional, stagedAction Set or Delete).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNetworkPolicies } from '../src/verify/netpol.js';
import { cli, readTree, tmp } from './helpers/cli.js';

const D = 'fixtures/demo';
const SOURCES = ['--flows', `${D}/flows`, '--inventory', `${D}/inventory`];
const doc = (object: unknown, index = 0) => ({ file: 'staged.yaml', index, object });
const staged = (spec: Record<string, unknown>, name = 'web') => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'StagedKubernetesNetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});

describe('generate netpol --staged', () => {
  let dir: string;
  let enforced: Record<string, string>;
  let preview: Record<string, string>;
  let stderr: string;
  beforeAll(() => {
    dir = tmp('staged-');
    const a = cli(['generate', 'netpol', ...SOURCES, '-o', join(dir, 'np')]);
    const b = cli(['generate', 'netpol', ...SOURCES, '--staged', '-o', join(dir, 'st')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    stderr = b.stderr;
    enforced = readTree(join(dir, 'np'));
    preview = readTree(join(dir, 'st'));
  });

  it('writes every policy, the default denies too, as a StagedKubernetesNetworkPolicy with the same metadata and spec', () => {
    const files = Object.keys(enforced).filter((f) => f.startsWith('netpol/'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.endsWith('/_default-deny.yaml'))).toBe(true);
    expect(Object.keys(preview)).toEqual(Object.keys(enforced));
    for (const f of files) {
      const np = loadAll(enforced[f]!) as Record<string, unknown>[];
      const st = loadAll(preview[f]!) as Record<string, unknown>[];
      expect(st.map((o) => [o['apiVersion'], o['kind']])).toEqual(
        np.map(() => ['projectcalico.org/v3', 'StagedKubernetesNetworkPolicy']),
      );
      expect(st.map((o) => [o['metadata'], o['spec']])).toEqual(np.map((o) => [o['metadata'], o['spec']]));
    }
    // The evidence and the listing do not change with the kind.
    for (const f of Object.keys(enforced).filter((x) => x.startsWith('evidence/') || x === 'kustomization.yaml'))
      expect(preview[f], f).toBe(enforced[f]);
    expect(stderr).toMatch(/staged: Calico StagedKubernetesNetworkPolicies .*nothing is enforced/);
  });

  it('verify replays every observed flow against the staged policies as it does against the NetworkPolicies', () => {
    const a = cli(['verify', '--policies', join(dir, 'np'), ...SOURCES, '--format', 'json']);
    const b = cli(['verify', '--policies', join(dir, 'st'), ...SOURCES, '--format', 'json']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(rb.byKind.netpol.observed).toBeGreaterThan(30);
    expect(rb.byKind).toEqual(ra.byKind);
    expect(rb.allowed).toBe(rb.observed);
  });

  it("judges a staged default deny as enforced: without web's staged policy, web's flows would be denied", () => {
    const cut = join(dir, 'cut');
    const copy = cli(['generate', 'netpol', ...SOURCES, '--staged', '-o', cut]);
    expect(copy.code, copy.stderr).toBe(0);
    rmSync(join(cut, 'netpol/shop/web.yaml'));
    const r = cli(['verify', '--policies', cut, ...SOURCES, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.notAllowed.length).toBeGreaterThan(0);
    expect(
      report.notAllowed.every(
        (f: { access: { from: string; to: string } }) => f.access.from === 'shop/web' || f.access.to === 'shop/web',
      ),
    ).toBe(true);
  });

  it('diff of the staged tree against the enforced one is quiet; a rule removed from a staged policy is named there', () => {
    const same = cli(['diff', join(dir, 'np'), join(dir, 'st'), '--inventory', `${D}/inventory`, '--format', 'json']);
    expect(same.code, same.stderr).toBe(0);
    const q = JSON.parse(same.stdout);
    expect([q.newAccess.length, q.removedAccess.length, q.undetermined.length]).toEqual([0, 0, 0]);

    const edited = join(dir, 'edited');
    expect(cli(['generate', 'netpol', ...SOURCES, '--staged', '-o', edited]).code).toBe(0);
    const file = join(edited, 'netpol/shop/db.yaml');
    const o = load(readFileSync(file, 'utf8')) as { spec: { ingress: unknown[] } };
    expect(o.spec.ingress.length).toBeGreaterThan(0);
    o.spec.ingress = [];
    writeFileSync(file, JSON.stringify(o, null, 2) + '\n');
    const d = cli(['diff', join(dir, 'st'), edited, '--inventory', `${D}/inventory`, '--format', 'json']);
    const r = JSON.parse(d.stdout);
    expect(r.newAccess).toEqual([]);
    expect(r.removedAccess.length).toBeGreaterThan(0);
    // Located on the removed rule's line of the staged policy (the locator reads the kind), the edited file beside it.
    const base = join(dir, 'st/netpol/shop/db.yaml');
    const ruleLine = readFileSync(base, 'utf8').split('\n').indexOf('  ingress:') + 2;
    for (const f of r.removedAccess as { access: { to: string }; locations: Record<string, unknown>[] }[]) {
      expect(f.access.to).toBe('shop/db');
      expect(f.locations).toEqual([{ file: base, line: ruleLine, side: 'base', head: file }]);
    }
  });

  it('is refused with --flavor cilium, which has no staged kind', () => {
    const r = cli(['generate', 'netpol', ...SOURCES, '--staged', '--flavor', 'cilium']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--staged writes Calico StagedKubernetesNetworkPolicies');
  });
});

describe('reading a StagedKubernetesNetworkPolicy', () => {
  it('reads it as the NetworkPolicy it promotes to, a left-out podSelector as every pod', () => {
    const { policies, issues } = readNetworkPolicies([
      doc(staged({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] })),
      doc(staged({ stagedAction: 'Set', policyTypes: ['Egress'] }, 'all'), 1),
    ]);
    expect(issues).toEqual([]);
    expect(policies).toEqual([
      expect.objectContaining({ kind: 'NetworkPolicy', name: 'web', namespace: 'shop', staged: true }),
      expect.objectContaining({
        kind: 'NetworkPolicy',
        name: 'all',
        spec: expect.objectContaining({ podSelector: {} }),
      }),
    ]);
  });

  it('once promoted it replaces the NetworkPolicy of its name, and a staged deletion removes it', () => {
    const np = (name: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: 'shop' },
      spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] },
    });
    const { policies, issues } = readNetworkPolicies([
      doc(np('web')),
      doc(np('cart'), 1),
      doc(np('db'), 2),
      doc(staged({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] }), 3),
      doc(staged({ stagedAction: 'Delete' }, 'cart'), 4),
    ]);
    expect(issues).toEqual([]);
    expect(policies.map((p) => [p.name, p.staged ?? false])).toEqual([
      ['db', false],
      ['web', true],
    ]);
  });

  it('another stagedAction is an issue, never read as a policy, and replaces nothing', () => {
    const enforced = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    const { policies, issues } = readNetworkPolicies([
      doc(staged({ stagedAction: 'Learn', podSelector: {} })),
      doc(enforced, 1),
    ]);
    // Nor does it replace the NetworkPolicy of its name.
    expect(policies.map((p) => [p.name, p.staged ?? false])).toEqual([['web', false]]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'policy.netpol-not-evaluated',
        file: 'staged.yaml',
        message:
          'StagedKubernetesNetworkPolicy shop/web (document 1) is not evaluated: its stagedAction "Learn" is not Set or Delete',
      }),
    ]);
  });

  it("the kind outside Calico's API group is not read as one", () => {
    const o = { ...staged({ podSelector: {} }), apiVersion: 'example.com/v1' };
    expect(readNetworkPolicies([doc(o)])).toEqual({ policies: [], issues: [] });
  });

  it('a staged policy without metadata.namespace is an issue naming its kind', () => {
    const o = staged({ podSelector: {} });
    const { policies, issues } = readNetworkPolicies([doc({ ...o, metadata: { name: 'web' } })]);
    expect(policies).toEqual([]);
    expect(issues.map((i) => i.message)).toEqual([
      'StagedKubernetesNetworkPolicy needs metadata.name, metadata.namespace and spec (document 1); left out',
    ]);
  });
});
