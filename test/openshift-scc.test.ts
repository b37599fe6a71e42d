// OpenShift admits a pod only if its service account (or its creator) may `use` a SecurityContextConstraints in the
// pod's namespace (openshift/apiserver-library-go sccmatching), and writes the SCC on the pod (`openshift.io/scc`).
// No audit event records that check: an inventory's pods are its evidence. The service accounts of controller-made
// pods get `use` on their SCC by name; `restricted-v2` is every authenticated identity's already (OpenShift 4.11+,
// the kube-apiserver operator's `system:openshift:scc:restricted-v2` binding); a pod a user created directly gets
// nothing (its creator's grants may have admitted it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../src/inventory/load.js';
import { k8sRisks } from '../src/kinds/rbac/risks.js';
import { cli, readTree, tmp } from './helpers/cli.js';

function pod(namespace: string, name: string, sa: string | undefined, scc: string, owner?: [string, string]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: name.split('-')[0]! },
      annotations: { 'openshift.io/scc': scc },
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner[0], name: owner[1], controller: true }] }
        : {}),
    },
    spec: { ...(sa ? { serviceAccountName: sa } : {}), containers: [{ name: 'c' }] },
    status: { podIP: `10.128.2.${name.length}` },
  };
}

const PODS = [
  pod('shop', 'legacy-7c9d8f6b5d-x2klq', 'legacy', 'anyuid', ['ReplicaSet', 'legacy-7c9d8f6b5d']),
  pod('shop', 'legacy-7c9d8f6b5d-q9zlm', 'legacy', 'anyuid', ['ReplicaSet', 'legacy-7c9d8f6b5d']),
  pod('shop', 'agent-x7k2m', 'agent', 'hostaccess', ['DaemonSet', 'agent']),
  pod('shop', 'web-6b746f74dc-9rcxx', 'web', 'restricted-v2', ['ReplicaSet', 'web-6b746f74dc']),
  // Made by a user, not a controller: the user's own grants may be what admitted it.
  pod('shop', 'debug', undefined, 'privileged'),
  // The platform's own namespace: out of the default scope.
  pod('openshift-dns', 'dns-default-x7k2m', 'dns', 'dns-operator', ['DaemonSet', 'dns-default']),
];

function inventory(items: unknown[] = PODS): string {
  const file = join(tmp('scc-'), 'inventory.json');
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  writeFileSync(
    file,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ns('shop'), ns('openshift-dns'), ...items] }),
  );
  return file;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
const rulesOf = (yaml: string): Rule[] =>
  yaml
    .split(/^---$/m)
    .map((d) => load(d) as { kind?: string; rules?: Rule[] })
    .flatMap((o) => (o?.kind === 'Role' ? (o.rules ?? []) : []));

/** A deployer's requests on an OpenShift cluster: a Deployment patched, a project read (an OpenShift group). */
function deployerLog(dir: string, days: number[]): string {
  const file = join(dir, 'audit.log');
  const ev = (n: number, day: number, verb: string, uri: string, objectRef: Record<string, string>) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `0c000000-0000-4000-8000-0000000${day}000${n}`,
    stage: 'ResponseComplete',
    requestURI: uri,
    verb,
    user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] },
    objectRef,
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: `2026-11-0${day}T10:00:0${n}.000000Z`,
    stageTimestamp: `2026-11-0${day}T10:00:0${n}.010000Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  });
  const events = days.flatMap((d) => [
    ev(1, d, 'patch', '/apis/apps/v1/namespaces/shop/deployments/legacy', {
      resource: 'deployments',
      namespace: 'shop',
      name: 'legacy',
      apiGroup: 'apps',
      apiVersion: 'v1',
    }),
    ev(2, d, 'get', '/apis/project.openshift.io/v1/projects/shop', {
      resource: 'projects',
      name: 'shop',
      apiGroup: 'project.openshift.io',
      apiVersion: 'v1',
    }),
  ]);
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

describe('SCCs from the inventory: the pods OpenShift admitted, as their service accounts’ use of the SCC', () => {
  it("generate's summary says which SCCs the policy grants: none without an inventory, the inventory's with one", () => {
    const audit = deployerLog(tmp('scc-gen-'), [2]);
    const without = cli(['generate', 'rbac', '--k8s-audit', audit, '-o', tmp('scc-gen-out-')]);
    expect(without.code, without.stderr).toBe(0);
    expect(without.stderr).toMatch(/system:serviceaccount:ci:deployer wrote pods or workloads.*grants no SCC/);
    const withInv = cli(['generate', 'rbac', '--k8s-audit', audit, '--inventory', inventory(), '-o', tmp('scc-gen-')]);
    expect(withInv.code, withInv.stderr).toBe(0);
    expect(withInv.stderr).toContain('grants each service account the SCCs its controller-made pods ran under');
  });

  it('backtest says the SCCs are in no log unless the inventory gave them', () => {
    const audit = deployerLog(tmp('scc-bt-'), [2, 3, 4, 5]);
    const split = ['--split', '2026-11-04T00:00:00Z', '--format', 'json'];
    const without = JSON.parse(cli(['backtest', '--k8s-audit', audit, ...split]).stdout) as { caveats?: string[] };
    expect(without.caveats).toEqual([expect.stringContaining('so the generated RBAC grants no SCC')]);
    const withInv = cli(['backtest', '--k8s-audit', audit, '--inventory', inventory(), ...split]);
    expect(withInv.code, withInv.stderr).toBe(0);
    expect(JSON.parse(withInv.stdout) as object).not.toHaveProperty('caveats');
  });

  it('reads the annotation, and names the file of a value no API server would accept', async () => {
    const good = await loadInventory([inventory()], process.cwd());
    expect(good.issues).toEqual([]);
    expect(good.inventory.pods.map((p) => [p.name, p.scc])).toContainEqual(['legacy-7c9d8f6b5d-x2klq', 'anyuid']);
    const file = inventory([pod('shop', 'bad-x7k2m', 'bad', 'Any UID', ['DaemonSet', 'bad'])]);
    const bad = await loadInventory([file], process.cwd());
    expect(bad.issues).toEqual([
      expect.objectContaining({
        code: 'inventory.bad-name',
        file,
        message: expect.stringContaining('annotation openshift.io/scc'),
      }),
    ]);
    expect(bad.inventory.pods.map((p) => p.name)).not.toContain('bad-x7k2m');
  });

  it('grants use of each SCC by name to the service accounts of controller-made pods, with the pods as evidence', () => {
    const out = tmp('scc-out-');
    const g = cli(['generate', 'rbac', '--inventory', inventory(), '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const tree = readTree(join(out, 'rbac'));
    expect(Object.keys(tree).sort()).toEqual([
      'shop/serviceaccount.shop.agent.yaml',
      'shop/serviceaccount.shop.legacy.yaml',
    ]);
    const use = (names: string[]) => ({
      apiGroups: ['security.openshift.io'],
      resources: ['securitycontextconstraints'],
      resourceNames: names,
      verbs: ['use'],
    });
    expect(rulesOf(tree['shop/serviceaccount.shop.legacy.yaml']!)).toEqual([use(['anyuid'])]);
    expect(rulesOf(tree['shop/serviceaccount.shop.agent.yaml']!)).toEqual([use(['hostaccess'])]);
    // restricted-v2 is left to the cluster's default binding, and said so.
    expect(g.stderr).toMatch(/left to the cluster's default grants: .*system:openshift:scc:restricted-v2/);
    const evidence = readFileSync(join(out, 'evidence/rbac/shop/serviceaccount.shop.legacy.yaml'), 'utf8');
    expect(evidence).toContain('inventory:pod/shop/legacy-7c9d8f6b5d-x2klq');
    expect(evidence).toContain('count: 2');
  });

  it('verify replays each admission; without the default grants restricted-v2 needs its own rule', () => {
    const inv = inventory();
    const out = tmp('scc-out-');
    expect(cli(['generate', 'rbac', '--inventory', inv, '-o', out]).code).toBe(0);
    const v = cli(['verify', '--policies', out, '--inventory', inv, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const ok = JSON.parse(v.stdout) as { observed: number; allowed: number };
    expect([ok.observed, ok.allowed]).toEqual([3, 3]);
    const strict = cli(['verify', '--policies', out, '--inventory', inv, '--no-default-grants', '--format', 'json']);
    expect(strict.code).toBe(1);
    const denied = (JSON.parse(strict.stdout) as { notAllowed: { subject: string; access: { name: string } }[] })
      .notAllowed;
    expect(denied.map((d) => [d.subject, d.access.name])).toEqual([
      ['system:serviceaccount:shop:web', 'restricted-v2'],
    ]);
    const regenerated = tmp('scc-out-');
    expect(cli(['generate', 'rbac', '--inventory', inv, '--no-default-grants', '-o', regenerated]).code).toBe(0);
    expect(rulesOf(readTree(join(regenerated, 'rbac'))['shop/serviceaccount.shop.web.yaml']!)).toEqual([
      expect.objectContaining({ resourceNames: ['restricted-v2'], verbs: ['use'] }),
    ]);
  });

  it('check: a committed policy without the SCC grant would deny the next rollout’s pods', () => {
    const inv = inventory([PODS[0]!]);
    const committed = tmp('scc-committed-');
    writeFileSync(
      join(committed, 'legacy.yaml'),
      [
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: Role',
        'metadata: {name: legacy, namespace: shop}',
        'rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: RoleBinding',
        'metadata: {name: legacy, namespace: shop}',
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: legacy}',
        'subjects: [{kind: ServiceAccount, name: legacy, namespace: shop}]',
        '',
      ].join('\n'),
    );
    const c = cli(['check', '--policies', committed, '--inventory', inv]);
    expect(c.code, c.stdout + c.stderr).toBe(1);
    expect(c.stdout).toContain('system:serviceaccount:shop:legacy');
    expect(c.stdout).toMatch(/use securitycontextconstraints\.security\.openshift\.io anyuid in shop/);
  });

  it('the report flags use of an SCC, and says which SCCs came from the inventory', () => {
    expect(
      k8sRisks({
        verb: 'use',
        apiGroup: 'security.openshift.io',
        resource: 'securitycontextconstraints',
        subresource: '',
        nonResourceURL: '',
      }),
    ).toEqual(['use on SecurityContextConstraints: pods may run with more privilege than restricted-v2']);
    // A custom resource of another group with the same name is not OpenShift's.
    expect(
      k8sRisks({
        verb: 'use',
        apiGroup: 'example.com',
        resource: 'securitycontextconstraints',
        subresource: '',
        nonResourceURL: '',
      }),
    ).toEqual([]);
    const dir = tmp('scc-report-');
    const audit = deployerLog(dir, [2]);
    const md = join(dir, 'report.md');
    const r = cli(['report', '--k8s-audit', audit, '--inventory', inventory(), '-o', md]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain(
      'the generated RBAC grants each service account the SCCs its controller-made pods ran under',
    );
    expect(text).toContain('pods may run with more privilege than restricted-v2');
  });
});
