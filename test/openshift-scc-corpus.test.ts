// SCC admissions read from real OpenShift pods: the Insights Operator's sample gather archive (../shared/corpus,
// k8s-objects/openshift__insights-operator; anonymized objects from several clusters, one Pod per file, saved without
// `kind`, which the archive's path gives: the test adds it, as `kubectl get -o json` would have written it).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cli, CORPUS, HAS_CORPUS, readTree, tmp } from './helpers/cli.js';

const PODS = join(CORPUS, 'k8s-objects/openshift__insights-operator/docs/insights-archive-sample/config/pod');

if (!HAS_CORPUS) console.log('openshift-scc-corpus: ../shared/corpus is absent; its cases are skipped');

function podList(): string {
  const items: unknown[] = [];
  for (const ns of readdirSync(PODS).sort())
    for (const f of readdirSync(join(PODS, ns)).sort())
      items.push({ apiVersion: 'v1', kind: 'Pod', ...(JSON.parse(readFileSync(join(PODS, ns, f), 'utf8')) as object) });
  const file = join(tmp('scc-corpus-'), 'inventory.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return file;
}

const useRules = (yaml: string) =>
  yaml
    .split(/^---$/m)
    .map(
      (d) =>
        load(d) as { kind?: string; rules?: { resources?: string[]; resourceNames?: string[]; verbs: string[] }[] },
    )
    .flatMap((o) => (o?.kind === 'Role' ? (o.rules ?? []) : []))
    .filter((r) => r.resources?.[0] === 'securitycontextconstraints');

describe.skipIf(!HAS_CORPUS)('SCCs of real OpenShift pods (Insights Operator sample archive)', () => {
  it('grants each service account the SCCs its controller-made pods ran under, and verify allows every admission', () => {
    const inv = podList();
    const out = tmp('scc-corpus-out-');
    const g = cli(['generate', 'rbac', '--inventory', inv, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const tree = readTree(join(out, 'rbac'));
    // The one namespace of a user's (SAP Data Intelligence): the rest are OpenShift's own, out of the default scope.
    expect(Object.keys(tree).sort()).toEqual([
      'di-288312/serviceaccount.di-288312.datahub-postaction-sa.yaml',
      'di-288312/serviceaccount.di-288312.default.yaml',
      'di-288312/serviceaccount.di-288312.vora-vsystem-di-288312.yaml',
    ]);
    // The default service account ran a Job's pod under anyuid and a ReplicaSet's under privileged.
    expect(useRules(tree['di-288312/serviceaccount.di-288312.default.yaml']!)).toEqual([
      {
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: ['anyuid', 'privileged'],
        verbs: ['use'],
      },
    ]);
    const v = cli(['verify', '--policies', out, '--inventory', inv, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { observed: number }).observed).toBe(4);
  });

  it('with the platform’s identities: restricted (older clusters’ default, not assumed) is written; all verify', () => {
    const inv = podList();
    const out = tmp('scc-corpus-out-');
    const g = cli(['generate', 'rbac', '--inventory', inv, '--include-system', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const names = Object.values(readTree(join(out, 'rbac'))).flatMap((y) =>
      useRules(y).flatMap((r) => r.resourceNames ?? []),
    );
    expect([...new Set(names)].sort()).toEqual([
      'anyuid',
      'hostnetwork',
      'node-exporter',
      'nonroot',
      'privileged',
      'restricted',
    ]);
    const v = cli(['verify', '--policies', out, '--inventory', inv, '--include-system', '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const r = JSON.parse(v.stdout) as { observed: number; allowed: number };
    expect(r.allowed).toBe(r.observed);
  });
});
