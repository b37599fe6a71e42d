// Labels a release changes are never a generated selector (knowledge/kubernetes/podLabels.ts): Helm's
// app.kubernetes.io/version and helm.sh/chart, constant through the soak, and Argo Rollouts'
// rollouts-pod-template-hash. Selecting on them, the policies of a Hubble-only soak stopped selecting web and
// orders-api at their next release.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectorLabels, stableLabels } from '../src/inventory/inventory.js';
import { cli, tmp } from './helpers/cli.js';

const endpoint = (pod: string, labels: Record<string, string>, name: string) => ({
  namespace: 'shop',
  pod_name: pod,
  labels: [
    ...Object.entries(labels).map(([k, v]) => `k8s:${k}=${v}`),
    'k8s:io.kubernetes.pod.namespace=shop',
    `k8s:io.cilium.k8s.policy.serviceaccount=${name}`,
  ],
  workloads: [{ name, kind: name === 'web' ? 'Deployment' : 'Rollout' }],
});

/** Hubble flows web → orders-api TCP/8080, 4 a day for days 1-4; day 4 is a new release of both. */
function hubble(): string {
  const lines: string[] = [];
  for (let day = 1; day <= 4; day++) {
    const release =
      day === 4
        ? { v: '1.5.0', hash: '6d9f8b7c5', rs: '7f6c5d8b9' }
        : { v: '1.4.0', hash: '5b7c9d8f6', rs: '6c8d9f7b45' };
    const web = endpoint(
      `web-${release.rs}-hzmb6`,
      {
        'app.kubernetes.io/name': 'web',
        'app.kubernetes.io/instance': 'web',
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': release.v,
        'helm.sh/chart': `web-${release.v}`,
        'pod-template-hash': release.rs,
      },
      'web',
    );
    const api = endpoint(
      `orders-api-${release.hash}-bmtwc`,
      { app: 'orders-api', 'rollouts-pod-template-hash': release.hash },
      'orders-api',
    );
    for (let i = 0; i < 4; i++)
      lines.push(
        JSON.stringify({
          flow: {
            time: `2026-12-0${day}T0${i}:10:00.000000000Z`,
            verdict: 'FORWARDED',
            IP: { source: '10.20.1.103', destination: '10.20.2.105', ipVersion: 'IPv4' },
            l4: { TCP: { source_port: 36500 + i, destination_port: 8080, flags: { SYN: true } } },
            source: web,
            destination: api,
            Type: 'L3_L4',
            is_reply: false,
            traffic_direction: 'EGRESS',
          },
        }),
      );
  }
  return lines.join('\n') + '\n';
}

let flows = '';
beforeAll(() => {
  flows = join(tmp(), 'hubble.json');
  writeFileSync(flows, hubble());
});

describe('labels a release changes', () => {
  it('are in no generated selector, peer or pod, though constant through the soak', () => {
    const r = cli(['generate', 'netpol', '--flows', flows, '--until', '2026-12-04T00:00:00Z', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const docs = loadAll(r.stdout) as { metadata: { name: string }; spec: Record<string, unknown> }[];
    const web = docs.find((d) => d.metadata.name === 'audit2policy-web')!;
    expect(web.spec['podSelector']).toEqual({
      matchLabels: {
        'app.kubernetes.io/instance': 'web',
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/name': 'web',
      },
    });
    const api = docs.find((d) => d.metadata.name === 'audit2policy-orders-api')!;
    expect(api.spec['podSelector']).toEqual({ matchLabels: { app: 'orders-api' } });
    expect(r.stdout).not.toMatch(/app\.kubernetes\.io\/version|helm\.sh\/chart|rollouts-pod-template-hash/);
  });

  it('so the next release is still allowed: a backtest across it breaks nothing', () => {
    const r = cli(['backtest', '--flows', flows, '--split', '2026-12-04T00:00:00Z', '--format', 'json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const bt = JSON.parse(r.stdout);
    expect(bt.byKind.netpol).toMatchObject({ observed: 1, allowed: 1, wouldDeny: 0 });
  });

  it('per-release labels stay among the labels the pods share (hand-written selectors); rollout hashes do not', () => {
    const pod = {
      app: 'web',
      'app.kubernetes.io/version': '1.4.0',
      'helm.sh/chart': 'web-0.1.4',
      'rollouts-pod-template-hash': '5b7c9d8f6',
      'service.istio.io/canonical-revision': '1.4.0',
      'serving.knative.dev/revision': 'web-00003',
    };
    expect(stableLabels(pod)).toEqual({
      app: 'web',
      'app.kubernetes.io/version': '1.4.0',
      'helm.sh/chart': 'web-0.1.4',
      'service.istio.io/canonical-revision': '1.4.0',
      'serving.knative.dev/revision': 'web-00003',
    });
    expect(selectorLabels(pod)).toEqual({ app: 'web' });
  });
});
