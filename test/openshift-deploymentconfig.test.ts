// OpenShift's DeploymentConfigs roll out as ReplicationControllers `<dc>-<version>`, whose pods carry the labels
// `deploymentconfig: <dc>` and `deployment: <dc>-<version>` (openshift/api apps/v1: DeploymentConfigLabel,
// DeploymentLabel). The second changes with every rollout, like a ReplicaSet's pod-template-hash: a NetworkPolicy that
// selected on it would select nothing after the next rollout. The workload is the DeploymentConfig, selected on the
// labels that stay.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { deploymentConfigOf, stableLabels, workloadNameFromPod } from '../src/inventory/inventory.js';
import { cli, readTree, tmp } from './helpers/cli.js';

describe('the labels of a DeploymentConfig’s pods', () => {
  it.each([
    ['a rollout of web', { app: 'web', deploymentconfig: 'web', deployment: 'web-3' }, 'web'],
    ['a name with dashes and a long version', { deploymentconfig: 'my-api', deployment: 'my-api-127' }, 'my-api'],
    ['a deployment label someone set', { app: 'web', deployment: 'frontend' }, undefined],
    ['deployment of another name', { deploymentconfig: 'web', deployment: 'api-3' }, undefined],
    ['no version after the name', { deploymentconfig: 'web', deployment: 'web-canary' }, undefined],
    ['no deploymentconfig label', { deployment: 'web-3' }, undefined],
  ] as const)('%s', (_what, labels, dc) => {
    expect(deploymentConfigOf(labels)).toBe(dc);
    // The rollout's label goes only where it is a DeploymentConfig's.
    expect('deployment' in stableLabels(labels)).toBe(dc === undefined);
  });

  it('a pod `web-3-x2klq` is of the DeploymentConfig web; other pods keep their names', () => {
    expect(workloadNameFromPod('web-3-x2klq', { deploymentconfig: 'web', deployment: 'web-3' })).toEqual({
      name: 'web',
      kind: 'DeploymentConfig',
    });
    expect(workloadNameFromPod('web-7c9d8f6b5d-x2klq', { app: 'web', deployment: 'frontend' })).toEqual({
      name: 'web',
      kind: 'Deployment',
    });
  });
});

const pod = (name: string, version: number, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    labels: { app: 'web', deploymentconfig: 'web', deployment: `web-${version}` },
    ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: `web-${version}`, controller: true }],
  },
  spec: { serviceAccountName: 'web', containers: [{ name: 'web', ports: [{ containerPort: 8080 }] }] },
  status: { podIP: ip, phase: 'Running' },
});
const db = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' } },
  spec: { containers: [{ name: 'db', ports: [{ containerPort: 5432 }] }] },
  status: { podIP: '10.128.2.20', phase: 'Running' },
};
const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: {} } };

/** A Hubble flow from a web pod (labels as Cilium gives them) to db:5432. */
const flow = (podName: string, version: number, ip: string, i: number) =>
  JSON.stringify({
    flow: {
      time: `2026-11-0${i < 3 ? 2 : 4}T10:00:0${i}.000000000Z`,
      verdict: 'FORWARDED',
      IP: { source: ip, destination: '10.128.2.20', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40000 + i, destination_port: 5432, flags: { SYN: true } } },
      source: {
        namespace: 'shop',
        pod_name: podName,
        labels: [
          'k8s:app=web',
          'k8s:deploymentconfig=web',
          `k8s:deployment=web-${version}`,
          'k8s:io.kubernetes.pod.namespace=shop',
        ],
      },
      destination: {
        namespace: 'shop',
        pod_name: 'db-0',
        labels: ['k8s:app=db', 'k8s:io.kubernetes.pod.namespace=shop'],
      },
      Type: 'L3_L4',
      is_reply: false,
      traffic_direction: 'EGRESS',
    },
  });

describe('NetworkPolicy for a DeploymentConfig survives its next rollout', () => {
  it('selects on deploymentconfig, not on the rollout, with or without an inventory; the next rollout is allowed', () => {
    const dir = tmp('dc-');
    // Days 2: rollout 3; day 4: rollout 4 (new pods, new addresses, a new `deployment` label).
    writeFileSync(
      join(dir, 'inventory.json'),
      JSON.stringify({ kind: 'List', items: [ns, pod('web-3-x2klq', 3, '10.128.2.5'), db] }),
    );
    writeFileSync(
      join(dir, 'flows.json'),
      [
        flow('web-3-x2klq', 3, '10.128.2.5', 1),
        flow('web-3-x2klq', 3, '10.128.2.5', 2),
        flow('web-4-q9zlm', 4, '10.128.2.9', 3),
      ].join('\n') + '\n',
    );
    for (const withInventory of [true, false]) {
      const out = join(dir, `out-${String(withInventory)}`);
      const inv = withInventory ? ['--inventory', join(dir, 'inventory.json')] : [];
      const g = cli([
        'generate',
        'netpol',
        '--flows',
        join(dir, 'flows.json'),
        ...inv,
        '--until',
        '2026-11-03T00:00:00Z',
        '-o',
        out,
      ]);
      expect(g.code, g.stderr).toBe(0);
      const tree = readTree(join(out, 'netpol'));
      const webFile = Object.keys(tree).find((f) => /web/.test(f) && !/default-deny/.test(f));
      expect(webFile, Object.keys(tree).join(', ')).toBeDefined();
      const docs = (tree[webFile!] ?? '').split(/^---$/m).map((d) => load(d) as { spec?: { podSelector?: unknown } });
      const selectors = JSON.stringify(docs.map((d) => d?.spec?.podSelector));
      expect(selectors).toContain('"deploymentconfig":"web"');
      expect(selectors).not.toContain('web-3');
      // The held-out rollout's connection is allowed by the policy made before it.
      const v = cli([
        'verify',
        '--policies',
        out,
        '--flows',
        join(dir, 'flows.json'),
        ...inv,
        '--since',
        '2026-11-03T00:00:00Z',
        '--format',
        'json',
      ]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(JSON.parse(v.stdout).byKind.netpol).toMatchObject({ observed: 1, allowed: 1 });
    }
  });
});
