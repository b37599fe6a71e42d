// The platform's namespaces (Kubernetes' kube-system, kube-public, kube-node-lease; OpenShift's default projects
// `openshift` and `openshift-*`, which hold its operators, DNS, ingress and monitoring) are one list, used by both
// sides: their service accounts are left out of RBAC scope as control-plane identities, and their namespaces get no
// default deny unless asked. The OpenShift names are those of a 4.x cluster (`oc get projects`; the inventory
// corpus of the insights operator holds the same ones).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isManagedUsername } from '../src/knowledge/kubernetes/managedIdentities.js';
import { isPlatformNamespace } from '../src/knowledge/kubernetes/platformNamespaces.js';
import { CLIENT_DB_FLOW } from './helpers/clientDb.js';
import { cli, tmp } from './helpers/cli.js';
import { configMapGets } from './helpers/k8s-audit-gen.js';
import { readProfileFile } from './helpers/profile.js';

describe('which namespaces are the platform’s', () => {
  const platform = [
    'kube-system',
    'kube-public',
    'kube-node-lease',
    'openshift',
    'openshift-monitoring',
    'openshift-dns',
    'openshift-operator-lifecycle-manager',
    'openshift-operators',
  ];
  // A user's own `kube-logging` is common: the `kube-` prefix is only advice, so it is not enough.
  const owned = ['default', 'shop', 'kube-logging', 'kube-monitoring', 'kubeflow', 'openshiftapps', 'my-openshift-x'];
  it.each(platform)('%s is', (ns) => expect(isPlatformNamespace(ns)).toBe(true));
  it.each(owned)('%s is not', (ns) => expect(isPlatformNamespace(ns)).toBe(false));
  it('their service accounts are control-plane identities; those of any other namespace are not', () => {
    for (const ns of platform) expect(isManagedUsername(`system:serviceaccount:${ns}:sa`), ns).toBe(true);
    for (const ns of owned) expect(isManagedUsername(`system:serviceaccount:${ns}:sa`), ns).toBe(false);
  });
});

describe('RBAC: an OpenShift operator’s service account', () => {
  const dir = tmp();
  const users = [
    'system:serviceaccount:openshift-monitoring:prometheus-k8s',
    'system:serviceaccount:openshift-operator-lifecycle-manager:olm-operator-serviceaccount',
    'system:serviceaccount:kube-logging:fluentd',
    'system:serviceaccount:shop:web',
  ];
  writeFileSync(join(dir, 'audit.log'), configMapGets(users));

  it('is left out by default and counted as system-identity; a user namespace named kube-* is kept', async () => {
    const out = join(tmp(), 'p.json');
    const r = cli(['profile', '--k8s-audit', dir, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const p = await readProfileFile(out);
    expect(p.principals.map((x) => x.username).sort()).toEqual([
      'system:serviceaccount:kube-logging:fluentd',
      'system:serviceaccount:shop:web',
    ]);
    expect(p.skipped['system-identity']).toBe(2);
  });

  it('gets a role with --include-system', () => {
    const r = cli(['generate', 'rbac', '--k8s-audit', dir, '--include-system']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kind: ServiceAccount\n\s+name: prometheus-k8s\n\s+namespace: openshift-monitoring/);
    expect(r.stdout).toMatch(/name: olm-operator-serviceaccount/);
  });
});

/** Hubble's line for `from` → `to` on TCP `port`, pods named as their app label. */
function flow(from: [string, string], to: [string, string], port: number, ips: [string, string]) {
  const f = structuredClone(CLIENT_DB_FLOW);
  f.flow.IP.source = ips[0];
  f.flow.IP.destination = ips[1];
  f.flow.l4.TCP.destination_port = port;
  f.flow.source = { ...f.flow.source, namespace: from[0], labels: [`k8s:app=${from[1]}`], pod_name: from[1] };
  f.flow.destination = { ...f.flow.destination, namespace: to[0], labels: [`k8s:app=${to[1]}`], pod_name: to[1] };
  return JSON.stringify(f);
}

describe('NetworkPolicy: an OpenShift namespace', () => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'hubble.jsonl'),
    [
      // OpenShift's Prometheus scrapes the shop's web pod; web talks to its database.
      flow(['openshift-monitoring', 'prometheus-k8s'], ['shop', 'web'], 8080, ['10.128.2.10', '10.129.0.5']),
      flow(['shop', 'web'], ['shop', 'db'], 5432, ['10.129.0.5', '10.129.0.6']),
    ].join('\n') + '\n',
  );

  it('gets no default deny unless --deny-system-namespaces, and the summary lists it; the shop gets one', () => {
    const out = join(tmp(), 'out');
    mkdirSync(out, { recursive: true });
    const r = cli(['generate', 'netpol', '--flows', dir, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'netpol/shop/_default-deny.yaml'))).toBe(true);
    expect(existsSync(join(out, 'netpol/openshift-monitoring/_default-deny.yaml'))).toBe(false);
    // Prometheus's own policy is written: what it was seen to do stays allowed.
    expect(existsSync(join(out, 'netpol/openshift-monitoring/prometheus-k8s.yaml'))).toBe(true);
    expect(r.stderr).toMatch(/no default deny in openshift-monitoring: a system namespace/);

    const asked = join(tmp(), 'out');
    const a = cli(['generate', 'netpol', '--flows', dir, '-o', asked, '--deny-system-namespaces']);
    expect(a.code, a.stderr).toBe(0);
    expect(existsSync(join(asked, 'netpol/openshift-monitoring/_default-deny.yaml'))).toBe(true);
    expect(a.stderr).not.toMatch(/no default deny in openshift-monitoring/);
  });
});
