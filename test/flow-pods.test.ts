// Pods the inventory does not hold, as Hubble flows name them (src/ingest/flows/flowPods.ts): made once per pod and
// labels, shared by its flows, frozen, and their names checked once; a bad name still makes every flow of it an issue.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../src/ingest/flows/decode.js';
import { emptyInventory, Resolver, type Inventory } from '../src/inventory/inventory.js';
import type { InputIssue } from '../src/model/issue.js';
import type { FlowObservation } from '../src/model/network.js';
import { workloadProblem } from '../src/knowledge/network/names.js';
import { shopWeb } from './helpers/workload.js';

type Out = FlowObservation | InputIssue | { kind: string };

function decode(records: object[]): Out[] {
  const out: Out[] = [];
  const d = new FlowDecoder('f.json', new Resolver(emptyInventory()), (x) => out.push(x));
  records.forEach((r, i) => d.json(JSON.parse(JSON.stringify(r)), i + 1));
  return out;
}

const flow = (pod: string, labels: string[], port = 8080) => ({
  flow: {
    time: '2026-11-02T00:00:00.000000Z',
    verdict: 'FORWARDED',
    IP: { source: '10.0.1.5', destination: '10.0.2.7', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40001, destination_port: port, flags: { SYN: true } } },
    source: { namespace: 'shop', pod_name: pod, labels },
    destination: { namespace: 'shop', pod_name: 'cart-5f7b9c8d4-m8wzt', labels: ['k8s:app=cart'] },
    Type: 'L3_L4',
    is_reply: false,
    traffic_direction: 'EGRESS',
  },
});
const flows = (out: Out[]) => out.filter((o): o is FlowObservation => o.kind === 'flow');
const issues = (out: Out[]) => out.filter((o): o is InputIssue => o.kind === 'issue');

describe('pods named by flows', () => {
  it('one pod in many records: one workload, shared and frozen, the same as decoded alone', () => {
    const web = ['k8s:app=web', 'k8s:pod-template-hash=7c9d8f6b5d', 'k8s:io.cilium.k8s.policy.serviceaccount=web'];
    const out = flows(decode([8080, 8081, 8082].map((p) => flow('web-7c9d8f6b5d-x2klq', web, p))));
    expect(out).toHaveLength(3);
    const first = out[0]!.workloads[0]!;
    expect(first).toEqual({
      namespace: 'shop',
      name: 'web',
      kind: 'Deployment',
      selector: { app: 'web' },
      labels: { app: 'web' },
      ports: [],
      hostNetwork: false,
      serviceAccount: 'web',
      source: 'flow-labels',
    });
    for (const f of out) {
      expect(f.workloads[0]).toBe(first);
      expect(f.from).toBe(out[0]!.from);
    }
    expect(Object.isFrozen(first) && Object.isFrozen(first.selector) && Object.isFrozen(out[0]!.from)).toBe(true);
    // The same record decoded on its own gives the same workload.
    expect(flows(decode([flow('web-7c9d8f6b5d-x2klq', web)]))[0]!.workloads[0]).toEqual(first);
  });

  it('other labels or another pod: another workload view', () => {
    const out = flows(
      decode([
        flow('web-7c9d8f6b5d-x2klq', ['k8s:app=web']),
        flow('web-7c9d8f6b5d-x2klq', ['k8s:app=web', 'k8s:tier=front']),
        flow('web-7c9d8f6b5d-p4zzt', ['k8s:app=web']),
      ]),
    );
    const views = out.map((f) => f.workloads[0]!);
    expect(views[1]!.labels).toEqual({ app: 'web', tier: 'front' });
    expect(views[0]).not.toBe(views[1]);
    expect(views[0]).not.toBe(views[2]);
    expect(views[0]).toEqual(views[2]);
  });

  it('a pod with a label no API server accepts: every flow of it is an issue at its own line, not only the first', () => {
    const bad = ['k8s:app=web', 'k8s:bad key=x'];
    const out = decode([flow('web-7c9d8f6b5d-x2klq', bad), flow('web-7c9d8f6b5d-x2klq', bad, 9090)]);
    expect(flows(out)).toEqual([]);
    expect(issues(out).map((i) => [i.code, i.line])).toEqual([
      ['flow.bad-name', 1],
      ['flow.bad-name', 2],
    ]);
    expect(issues(out)[1]!.message).toContain('label key "bad key"');
  });

  it('a workload checked once only when frozen whole: one that is not is checked again, and a change is seen', () => {
    const w = shopWeb();
    expect(workloadProblem(w)).toBeUndefined();
    w.labels = { 'bad key': 'x' };
    expect(workloadProblem(w)).toContain('label key "bad key"');
    // Frozen whole (a part of it frozen is not enough), the first answer stands: it cannot change.
    const partly = { ...w, labels: { app: 'web' }, selector: Object.freeze({ app: 'web' }) };
    Object.freeze(partly.ports);
    Object.freeze(partly);
    expect(workloadProblem(partly)).toBeUndefined();
    (partly.labels as Record<string, string>)['bad key'] = 'x';
    expect(workloadProblem(partly)).toContain('label key "bad key"');
    const whole = Object.freeze({ ...w, labels: Object.freeze({ 'bad key': 'x' }), selector: Object.freeze({}) });
    Object.freeze(whole.ports);
    expect(workloadProblem(whole)).toContain('label key "bad key"');
    expect(workloadProblem(whole)).toBe(workloadProblem(whole));
  });

  it("a pod of the inventory: its workload frozen whole and shared, the inventory's own objects left as they were", () => {
    const inv: Inventory = emptyInventory();
    inv.controllers.push(
      { namespace: 'shop', kind: 'Deployment', name: 'web', selector: { app: 'web' } },
      {
        namespace: 'shop',
        kind: 'ReplicaSet',
        name: 'web-7c9d8f6b5d',
        owner: { kind: 'Deployment', name: 'web' },
        selector: { app: 'web' },
      },
    );
    inv.pods.push({
      namespace: 'shop',
      name: 'web-7c9d8f6b5d-x2klq',
      ips: ['10.0.1.5'],
      labels: { app: 'web', 'pod-template-hash': '7c9d8f6b5d' },
      node: 'n1',
      hostNetwork: false,
      serviceAccount: 'web',
      owner: { kind: 'ReplicaSet', name: 'web-7c9d8f6b5d' },
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const r = new Resolver(inv);
    const w = r.workloadOf(inv.pods[0]!);
    expect(r.workloadOf(inv.pods[0]!)).toBe(w);
    expect(w).toMatchObject({ name: 'web', kind: 'Deployment', selector: { app: 'web' }, labels: { app: 'web' } });
    expect([w, w.selector, w.labels, w.ports, w.ports[0]].every((x) => Object.isFrozen(x))).toBe(true);
    expect([inv.controllers[0]!.selector, inv.pods[0]!.ports, inv.pods[0]!.ports[0]].some(Object.isFrozen)).toBe(false);
    // Its flows carry that one workload.
    const out: Out[] = [];
    const d = new FlowDecoder('f.json', r, (x) => out.push(x));
    [8080, 8081].forEach((port, i) =>
      d.json(JSON.parse(JSON.stringify(flow('web-7c9d8f6b5d-x2klq', [], port))), i + 1),
    );
    expect(flows(out).map((f) => f.workloads[0])).toEqual([w, w]);
    expect(flows(out)[1]!.workloads[0]).toBe(w);
  });
});
