// A Deployment and a StatefulSet (or any two kinds of top-level controller) may share a name in one namespace. They
// were one workload keyed by namespace and name, selected by the labels their pods share: a policy for either then
// selected both, and a third workload whose pods carry those labels too. Objects as `kubectl get -o json` lists them.
import { describe, expect, it } from 'vitest';
import { canonicalInventory, emptyInventory, Resolver, type Inventory } from '../src/inventory/inventory.js';
import { addObject } from '../src/inventory/objects.js';
import { workloadsOfInventory } from '../src/inventory/workloads.js';
import type { InputIssue } from '../src/model/issue.js';

type Obj = Record<string, unknown>;
const owned = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, controller: true }];

function controller(kind: string, name: string, labels: Record<string, string>): Obj {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'shop' },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [] } } },
  };
}

function pod(name: string, labels: Record<string, string>, owner: [string, string], ip: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels, ownerReferences: owned(owner[0], owner[1]) },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

function inventory(objects: Obj[]): Inventory {
  const inv = emptyInventory();
  const issues: InputIssue[] = [];
  for (const o of objects) addObject(inv, o, { file: 'inv.json', line: 1 }, issues);
  expect(issues).toEqual([]);
  return canonicalInventory(inv);
}

const proxy = { app: 'cache', role: 'proxy' };
const store = { app: 'cache', role: 'store' };
const admin = { app: 'cache', role: 'admin' };

describe('controllers of one name and different kinds', () => {
  const inv = inventory([
    controller('Deployment', 'cache', proxy),
    {
      ...controller('ReplicaSet', 'cache-6b746f74dc', { ...proxy, 'pod-template-hash': '6b746f74dc' }),
      metadata: { name: 'cache-6b746f74dc', namespace: 'shop', ownerReferences: owned('Deployment', 'cache') },
    },
    pod(
      'cache-6b746f74dc-9rcxx',
      { ...proxy, 'pod-template-hash': '6b746f74dc' },
      ['ReplicaSet', 'cache-6b746f74dc'],
      '10.1.0.30',
    ),
    controller('StatefulSet', 'cache', store),
    pod('cache-0', { ...store, 'controller-revision-hash': 'cache-5d4b' }, ['StatefulSet', 'cache'], '10.1.0.31'),
    controller('Deployment', 'other', admin),
    // A DaemonSet of one name with no pods yet, beside a Deployment of that name with none either.
    controller('DaemonSet', 'agent', { app: 'agent', tier: 'node' }),
    controller('Deployment', 'agent', { app: 'agent', tier: 'web' }),
  ]);

  it('are workloads of their own: the Deployment keeps the name, the others take their kind as a suffix', () => {
    const r = new Resolver(inv);
    const proxyPod = inv.pods.find((p) => p.name.startsWith('cache-6b'))!;
    const storePod = inv.pods.find((p) => p.name === 'cache-0')!;
    expect(r.workloadOf(proxyPod)).toMatchObject({ name: 'cache', kind: 'Deployment', selector: proxy });
    expect(r.workloadOf(storePod)).toMatchObject({ name: 'cache.statefulset', kind: 'StatefulSet', selector: store });
    const ws = workloadsOfInventory(inv).map((w) => [w.name, w.kind, w.selector]);
    expect(ws).toEqual([
      ['agent', 'Deployment', { app: 'agent', tier: 'web' }],
      ['agent.daemonset', 'DaemonSet', { app: 'agent', tier: 'node' }],
      ['cache', 'Deployment', proxy],
      ['cache.statefulset', 'StatefulSet', store],
      ['other', 'Deployment', admin],
    ]);
  });

  it('a name no other kind shares is left as it is', () => {
    const r = new Resolver(inv);
    expect(r.workloadName('shop', 'StatefulSet', 'db')).toBe('db');
    expect(r.workloadName('ops', 'StatefulSet', 'cache')).toBe('cache');
  });
});
