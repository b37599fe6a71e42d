// fixtures/rbac-checks: an operator service account binds ClusterRole admin in tenant namespaces (once refused
// when it tried cluster-admin) and writes a Role; a CI user impersonates a service account and a user. generate →
// verify allows every request; taking a generated bind, escalate or impersonate rule away makes verify report what
// the API server would refuse.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, readTree, ROOT, shuffle, rng, tmp } from './helpers/cli.js';

const LOG = join(ROOT, 'fixtures/rbac-checks/audit.log');
const OPERATOR = 'serviceaccount.tenancy.tenant-operator.yaml';

interface Finding {
  subject: string;
  access: { verb: string; resource: string; namespace: string; name: string };
  detail?: string;
}
interface Report {
  observed: number;
  allowed: number;
  notAllowed: Finding[];
  undetermined: Finding[];
  denied: Finding[];
}

function generate(log: string, extra: string[] = []): { out: string; stderr: string } {
  const out = join(tmp('a2p-checks-'), 'out');
  const r = cli(['generate', 'rbac', '--k8s-audit', log, '-o', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { out, stderr: r.stderr };
}

function verify(policies: string, log: string): { code: number; report: Report } {
  const r = cli(['verify', '--policies', policies, '--k8s-audit', log, '--format', 'json']);
  expect([0, 1], r.stderr).toContain(r.code);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** Rewrite one policy file, dropping the verb from every rule (and rules left without verbs). */
function dropVerb(file: string, verb: string, resource: string): void {
  const docs = loadAll(readFileSync(file, 'utf8')) as { rules?: { verbs: string[]; resources?: string[] }[] }[];
  let dropped = 0;
  for (const d of docs) {
    if (!d.rules) continue;
    for (const r of d.rules)
      if (r.resources?.includes(resource) && r.verbs.includes(verb)) {
        r.verbs = r.verbs.filter((v) => v !== verb);
        dropped++;
      }
    d.rules = d.rules.filter((r) => r.verbs.length > 0);
  }
  expect(dropped).toBeGreaterThan(0);
  writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
}

const said = (f: Finding) =>
  `${f.subject}: ${f.access.verb} ${f.access.resource} ${f.access.name} @${f.access.namespace}`;

describe('fixtures/rbac-checks: generate → verify', () => {
  const { out, stderr } = generate(LOG);

  it('generates bind, escalate and impersonate, each listed as check-driven with its requests', () => {
    const lines = stderr.split('\n');
    const at = lines.findIndex((l) => l.startsWith('check-driven permissions: 9 added'));
    expect(at, stderr).toBeGreaterThanOrEqual(0);
    expect(lines.slice(at + 1, at + 10).map((l) => l.trim())).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: bind clusterroles.rbac.authorization.k8s.io admin in tenant-a, for create rolebindings.rbac.authorization.k8s.io in tenant-a',
      'system:serviceaccount:tenancy:tenant-operator: escalate roles.rbac.authorization.k8s.io in tenant-a, for create roles.rbac.authorization.k8s.io in tenant-a (Role quota-reader)',
      'system:serviceaccount:tenancy:tenant-operator: escalate roles.rbac.authorization.k8s.io quota-reader in tenant-a, for patch roles.rbac.authorization.k8s.io quota-reader in tenant-a (Role quota-reader)',
      'system:serviceaccount:tenancy:tenant-operator: bind clusterroles.rbac.authorization.k8s.io admin in tenant-b, for create rolebindings.rbac.authorization.k8s.io in tenant-b',
      'ci-bot: impersonate groups developers (cluster-wide), for list pods in apps as jane@example.com',
      'ci-bot: impersonate users jane@example.com (cluster-wide), for list pods in apps as jane@example.com',
      'ci-bot: impersonate uids.authentication.k8s.io a3d1c0e2-7b6f-4c59-9e8d-0f1a2b3c4d5e (cluster-wide), for list pods in apps as jane@example.com',
      'ci-bot: impersonate userextras/scopes.authentication.k8s.io view (cluster-wide), for list pods in apps as jane@example.com',
      'ci-bot: impersonate serviceaccounts deployer in apps, for get deployments.apps web in apps as system:serviceaccount:apps:deployer; patch deployments.apps web in apps as system:serviceaccount:apps:deployer',
    ]);
    expect(stderr).not.toMatch(/gaps:|left out:/);
  });

  it('the rules are named by the role or identity, and the refused bind on cluster-admin is never granted', () => {
    const tree = readTree(out);
    const tenantB = loadAll(tree[`rbac/tenant-b/${OPERATOR}`]!) as { rules?: unknown[] }[];
    expect(tenantB[0]!.rules).toContainEqual({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      resourceNames: ['admin'],
      verbs: ['bind'],
    });
    expect(JSON.stringify(tenantB)).not.toContain('cluster-admin');
    const evidence = loadAll(tree[`evidence/rbac/tenant-b/${OPERATOR}`]!)[0] as {
      policies: { rules: { rule: { verbs: string[] }; because: Record<string, unknown>[] }[] }[];
      denied: Record<string, unknown>[];
    };
    const bind = evidence.policies[0]!.rules.find((r) => r.rule.verbs.includes('bind'))!;
    expect(bind.because[0]).toMatchObject({
      verb: 'bind',
      name: 'admin',
      impliedBy: [{ request: 'create rolebindings.rbac.authorization.k8s.io in tenant-b' }],
    });
    expect(evidence.denied).toEqual([
      expect.objectContaining({
        verb: 'bind',
        name: 'cluster-admin',
        samples: ['5e0c1a2b-3c4d-4e5f-8a9b-000000000005'],
      }),
    ]);
    const ci = loadAll(tree['rbac/apps/user.ci-bot.yaml']!) as { rules?: unknown[] }[];
    expect(ci[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['deployer'], verbs: ['impersonate'] },
    ]);
  });

  it('verify allows every observed request', () => {
    const { code, report } = verify(join(out, 'rbac'), LOG);
    expect(report.notAllowed).toEqual([]);
    expect(report.undetermined).toEqual([]);
    expect(report.observed).toBe(13);
    expect(report.allowed).toBe(13);
    expect(code).toBe(0);
    expect(report.denied.map(said)).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: bind clusterroles cluster-admin @tenant-b',
    ]);
  });

  it('without the bind rules, verify reports the binding creations denied', () => {
    for (const ns of ['tenant-a', 'tenant-b']) dropVerb(join(out, 'rbac', ns, OPERATOR), 'bind', 'clusterroles');
    const { code, report } = verify(join(out, 'rbac'), LOG);
    expect(code).toBe(1);
    expect(report.notAllowed.map(said)).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: create rolebindings  @tenant-a',
      'system:serviceaccount:tenancy:tenant-operator: create rolebindings  @tenant-b',
    ]);
    expect(report.notAllowed[0]!.detail).toBe(
      'the API server checks bind on clusterroles admin in tenant-a: not allowed, and ClusterRole admin is not among the policies given',
    );
  });

  it('without escalate, the Role create and patch are denied; without impersonate, the impersonation is', () => {
    const { out } = generate(LOG);
    dropVerb(join(out, 'rbac/tenant-a', OPERATOR), 'escalate', 'roles');
    dropVerb(join(out, 'rbac/apps/user.ci-bot.yaml'), 'impersonate', 'serviceaccounts');
    const { report } = verify(join(out, 'rbac'), LOG);
    expect(report.notAllowed.map(said)).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: create roles  @tenant-a',
      'system:serviceaccount:tenancy:tenant-operator: patch roles quota-reader @tenant-a',
      'ci-bot: impersonate serviceaccounts deployer @apps',
    ]);
    expect(report.notAllowed[0]!.detail).toBe(
      'the API server checks escalate on roles in tenant-a: not allowed, and the rules written are not known (a profile keeps no request bodies)',
    );
    expect(report.notAllowed[2]!.detail).toBe(
      'needed to make requests as system:serviceaccount:apps:deployer: get deployments.apps web in apps and 1 more',
    );
  });

  it('byte-deterministic: the records in another order give the same tree', () => {
    const lines = readFileSync(LOG, 'utf8').trim().split('\n');
    const shuffled = join(tmp('a2p-checks-'), 'audit.log');
    writeFileSync(shuffled, shuffle(lines, rng(7)).join('\n') + '\n');
    expect(readTree(generate(shuffled).out)).toEqual(readTree(generate(LOG).out));
  });
});

describe('gaps and anonymous subjects', () => {
  const extra = [
    // A binding written at Metadata level: its roleRef is not in the record.
    {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '7a1b2c3d-0000-4000-8000-000000000001',
      stage: 'ResponseComplete',
      requestURI: '/apis/rbac.authorization.k8s.io/v1/namespaces/tenant-c/rolebindings',
      verb: 'create',
      user: {
        username: 'system:serviceaccount:tenancy:tenant-operator',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:tenancy', 'system:authenticated'],
      },
      objectRef: {
        resource: 'rolebindings',
        namespace: 'tenant-c',
        name: 'tenant-admins',
        apiGroup: 'rbac.authorization.k8s.io',
        apiVersion: 'v1',
      },
      responseStatus: { metadata: {}, code: 201 },
      requestReceivedTimestamp: '2026-11-10T16:00:00.000001Z',
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    },
    // Anonymous discovery: allowed where system:discovery is still bound to system:unauthenticated (clusters made
    // before 1.14 keep it). Not a default grant today (an anonymous /livez is, and would get no rule at all).
    {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '7a1b2c3d-0000-4000-8000-000000000002',
      stage: 'ResponseComplete',
      requestURI: '/api',
      verb: 'get',
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: '2026-11-10T16:00:01.000001Z',
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    },
  ];
  const log = join(tmp('a2p-checks-'), 'audit.log');
  writeFileSync(log, readFileSync(LOG, 'utf8') + extra.map((e) => JSON.stringify(e)).join('\n') + '\n');

  it('a binding write without its roleRef is a listed gap: no bind granted, verify cannot judge it', () => {
    const { out, stderr } = generate(log);
    expect(stderr).toContain(
      'gaps: 1 binding write whose roleRef the logs do not show (log RBAC writes at Request level):\n' +
        '  system:serviceaccount:tenancy:tenant-operator: create rolebindings.rbac.authorization.k8s.io in tenant-c: the records do not carry the roleRef (audit level Metadata): the bind it needs is unknown and not granted\n',
    );
    expect(readFileSync(join(out, 'rbac/tenant-c', OPERATOR), 'utf8')).not.toMatch(/- bind$/m);
    const { code, report } = verify(join(out, 'rbac'), log);
    expect(report.undetermined.map(said)).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: create rolebindings  @tenant-c',
      'system:anonymous: get   @',
    ]);
    expect(report.undetermined[0]!.detail).toMatch(/roleRef of the rolebindings written is not known/);
    expect(code).toBe(0);
  });

  it('system:anonymous gets no binding unless --include-anonymous; either way it is said', () => {
    const { out, stderr } = generate(log);
    expect(stderr).toContain(
      'left out: User system:anonymous (1 access): no binding for anonymous requests; --include-anonymous generates it',
    );
    expect(Object.keys(readTree(out)).filter((p) => p.includes('anonymous'))).toEqual([]);
    const included = generate(log, ['--include-anonymous']);
    expect(included.stderr).not.toContain('left out:');
    expect(readFileSync(join(included.out, 'rbac/_cluster/user.system~3Aanonymous.yaml'), 'utf8')).toContain(
      '- /api\n',
    );
    const { report } = verify(join(included.out, 'rbac'), log);
    expect(report.undetermined.map(said)).toEqual([
      'system:serviceaccount:tenancy:tenant-operator: create rolebindings  @tenant-c',
    ]);
  });
});
