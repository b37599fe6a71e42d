// Views of one workload (one per flow record's pod, per inventory pod) merge to the same workload in any order.
// Merged pairwise, two views sharing no label left "{}", which the next view read as "no labels known" and replaced
// whole: the selector a NetworkPolicy is written with then depended on the order of the records.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agreedLabels, frozenWhole, mergeWorkloads, WorkloadViews, type WorkloadInfo } from '../src/model/network.js';
import { cli, rng, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';
import { shopWeb } from './helpers/workload.js';

/** What the views of one workload say, taken whole (the rule of mergeWorkloads, written out). */
function reference(views: WorkloadInfo[]): WorkloadInfo {
  const inv = views.filter((v) => v.source === 'inventory');
  const use = inv.length ? inv : views;
  const min = (xs: string[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
  const ports = new Map(use.flatMap((v) => v.ports).map((p) => [`${p.name}/${p.port}/${p.protocol}`, p]));
  const sa = min(use.map((v) => v.serviceAccount ?? '').filter(Boolean));
  const pods = use.filter((v) => v.pods !== undefined).map((v) => v.pods!);
  return {
    namespace: use[0]!.namespace,
    name: use[0]!.name,
    kind: min(use.map((v) => v.kind))!,
    selector: agreedLabels(use.map((v) => v.selector)),
    labels: agreedLabels(use.map((v) => v.labels)),
    ports: [...ports.values()].sort(
      (a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.name.localeCompare(b.name),
    ),
    hostNetwork: use.some((v) => v.hostNetwork),
    ...(sa ? { serviceAccount: sa } : {}),
    ...(pods.length ? { pods: Math.max(...pods) } : {}),
    source: use[0]!.source,
  };
}

/** A view frozen whole, as flowPods.ts and the inventory's resolver share one. */
function freezeWhole(v: WorkloadInfo): WorkloadInfo {
  for (const p of v.ports) Object.freeze(p);
  Object.freeze(v.ports);
  Object.freeze(v.selector);
  Object.freeze(v.labels);
  return Object.freeze(v);
}

describe('WorkloadViews', () => {
  it('gives what the views say taken whole, in any order (2,000 random sets of views)', () => {
    const r = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const labels = (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const k of ['app', 'tier', 'x', 'y']) if (r() < 0.4) out[k] = pick(['1', '2']);
      return out;
    };
    for (let round = 0; round < 2000; round++) {
      const views: WorkloadInfo[] = Array.from({ length: 1 + Math.floor(r() * 6) }, () => ({
        namespace: 'shop',
        name: 'web',
        kind: pick(['Deployment', 'Unknown', 'ReplicaSet']),
        selector: labels(),
        labels: labels(),
        ports: r() < 0.5 ? [{ name: pick(['http', 'grpc']), port: pick([80, 8080]), protocol: 'TCP' as const }] : [],
        hostNetwork: r() < 0.1,
        ...(r() < 0.5 ? { serviceAccount: pick(['web', 'default']) } : {}),
        ...(r() < 0.3 ? { pods: Math.floor(r() * 4) } : {}),
        source: r() < 0.3 ? ('inventory' as const) : ('flow-labels' as const),
      }));
      const want = reference(views);
      for (let s = 0; s < 3; s++) {
        const shuffled = [...views].sort(() => r() - 0.5);
        const acc = new WorkloadViews(shuffled[0]!);
        for (const v of shuffled.slice(1)) acc.add(v);
        expect(acc.get(), JSON.stringify(shuffled)).toEqual(want);
        expect(mergeWorkloads(shuffled)).toEqual(want);
      }
    }
  });

  it.each([
    ['views of their own', false],
    ['one object per view, frozen whole, as a pod shares its among its flows', true],
  ])(
    'gives the same when most views repeat earlier ones, as one per flow record does (1,000 random sets): %s',
    (_, frozen) => {
      // A repeated view adds nothing and is skipped (WorkloadViews' `absorbs`, and the same frozen object as the last
      // one at once): the answer must not change.
      const r = rng(20261207);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
      const ports: WorkloadInfo['ports'] = [
        { name: 'grpc', port: 80, protocol: 'TCP' },
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'http', port: 8080, protocol: 'TCP' },
      ];
      const view = (): WorkloadInfo => {
        const inventory = r() < 0.2;
        return {
          namespace: 'shop',
          name: 'web',
          kind: pick(['Deployment', 'Unknown']),
          selector: r() < 0.8 ? { app: 'web', ...(r() < 0.5 ? { tier: pick(['a', 'b']) } : {}) } : {},
          labels: r() < 0.8 ? { app: 'web', ...(r() < 0.5 ? { x: pick(['1', '2']) } : {}) } : {},
          // A view's own ports in any order: only a merge sorts them.
          ports: ports.filter(() => r() < 0.4).sort(() => r() - 0.5),
          hostNetwork: r() < 0.1,
          ...(r() < 0.4 ? { serviceAccount: pick(['web', 'default']) } : {}),
          ...(r() < 0.3 ? { pods: Math.floor(r() * 3) } : {}),
          source: inventory ? ('inventory' as const) : ('flow-labels' as const),
        };
      };
      for (let round = 0; round < 1000; round++) {
        const pool = Array.from({ length: 1 + Math.floor(r() * 3) }, view).map((v) => (frozen ? freezeWhole(v) : v));
        const views = Array.from({ length: 2 + Math.floor(r() * 20) }, () => pick(pool));
        const acc = new WorkloadViews(views[0]!);
        for (const v of views.slice(1)) acc.add(v);
        const want = reference(views);
        // An inventory's one view wins over the flows' views and is taken as it is, its ports as it lists them.
        const inventory = views.filter((v) => v.source === 'inventory');
        if (inventory.length === 1) want.ports = inventory[0]!.ports;
        expect(acc.get(), JSON.stringify(views)).toEqual(want);
      }
    },
  );

  it('a view that is not frozen is read again when it comes again, though it is the same object', () => {
    const v = shopWeb();
    const acc = new WorkloadViews(v);
    acc.add(v);
    v.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
    acc.add(v);
    expect(acc.get().ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    // Frozen whole, it cannot change: the same object again is skipped, and the answer is the same.
    const f = freezeWhole({ ...v, ports: [{ name: 'grpc', port: 9090, protocol: 'TCP' }] });
    const b = new WorkloadViews(v);
    for (let i = 0; i < 3; i++) b.add(f);
    expect(b.get().ports.map((p) => p.port)).toEqual([8080, 9090]);
    expect(frozenWhole(f)).toBe(true);
    expect(frozenWhole({ ...f })).toBe(false);
  });

  it('profile: three pods of one workload whose labels share nothing give the same profile in either order', async () => {
    const flow = (pod: string, labels: string[]) =>
      JSON.stringify({
        flow: {
          time: '2026-11-02T08:00:00.123456789Z',
          verdict: 'FORWARDED',
          IP: { source: '10.0.1.101', destination: '10.0.1.102', ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 51000, destination_port: 8081, flags: { SYN: true } } },
          source: { namespace: 'shop', pod_name: pod, labels },
          destination: { namespace: 'shop', pod_name: 'cart-5f7b9c8d4-m8wzt', labels: ['k8s:app=cart'] },
          Type: 'L3_L4',
          is_reply: false,
        },
      });
    const a = flow('web-7c9d8f6b5d-aaaaa', ['k8s:x=1']);
    const b = flow('web-7c9d8f6b5d-bbbbb', ['k8s:y=2']);
    const c = flow('web-7c9d8f6b5d-ccccc', ['k8s:x=1']);
    const dir = tmp();
    const web = async (lines: string[], name: string) => {
      writeFileSync(join(dir, `${name}.json`), lines.join('\n') + '\n');
      const r = cli(['profile', '--flows', join(dir, `${name}.json`), '-o', join(dir, `${name}.profile`), '-q']);
      expect(r.code, r.stderr).toBe(0);
      const p = await readProfileFile(join(dir, `${name}.profile`));
      return p.workloads!.find((w) => w.name === 'web')!;
    };
    const abc = await web([a, b, c], 'abc');
    const acb = await web([a, c, b], 'acb');
    expect(abc).toEqual(acb);
    // No label is carried by every pod that carries any: none is agreed, so none selects the workload's pods.
    expect(abc.labels).toEqual({});
    expect(abc.selector).toEqual({});
  });
});
