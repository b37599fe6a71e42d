// K8sEdgeTable (src/profile/edges.ts) finds a principal's edge by name, then by prefix along a short chain, or, past
// CHAIN_LIMIT edges of one name, in a map by prefix. Checked against a plain count by access over records whose names
// recur across many prefixes (list calls on many resources, one well-known name in many namespaces), in any order.
import { describe, expect, it } from 'vitest';
import { accessKey, type K8sAccess } from '../src/model/access.js';
import type { Decision, K8sRequestObservation } from '../src/model/observation.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { rng } from './helpers/cli.js';

const USERS = ['system:serviceaccount:team-a:reader', 'system:serviceaccount:team-b:writer', 'alice@example.com'];
const RESOURCES = ['pods', 'services', 'configmaps', 'secrets', 'endpoints', 'deployments', 'jobs', 'leases'];
const NAMESPACES = Array.from({ length: 14 }, (_, i) => `ns-${i}`);
const NAMES = ['', 'kube-root-ca.crt', 'app', 'app-0'];
const VERBS = ['get', 'list', 'watch', 'update'];
const DECISIONS: Decision[] = ['allow', 'allow', 'allow', 'deny', 'undecided'];

function observations(seed: number, n: number): K8sRequestObservation[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: K8sRequestObservation[] = [];
  for (let i = 0; i < n; i++) {
    const access: K8sAccess = {
      verb: pick(VERBS),
      apiGroup: '',
      resource: pick(RESOURCES),
      subresource: '',
      namespace: pick(NAMESPACES),
      name: pick(NAMES),
      nonResourceURL: '',
    };
    const second = String(i % 60).padStart(2, '0');
    out.push({
      kind: 'k8s-request',
      username: pick(USERS),
      groups: ['system:authenticated'],
      access,
      decision: pick(DECISIONS),
      stage: 'ResponseComplete',
      time: `2026-11-02T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${second}.000000Z`,
      id: `id-${i}`,
    });
  }
  return out;
}

describe('K8sEdgeTable', () => {
  it('counts every access of a principal as a plain map by access does, whatever the records order', () => {
    const obs = observations(7, 6000);
    const expected = new Map<string, { allowed: number; denied: number; undecided: number }>();
    for (const o of obs) {
      const k = `${o.username}|${accessKey(o.access)}`;
      let e = expected.get(k);
      if (!e) expected.set(k, (e = { allowed: 0, denied: 0, undecided: 0 }));
      e[o.decision === 'allow' ? 'allowed' : o.decision === 'deny' ? 'denied' : 'undecided']++;
    }
    // Many names recur across far more prefixes than a chain holds: the map by prefix is used.
    const perName = new Map<string, number>();
    for (const k of expected.keys()) {
      const [user] = k.split('|');
      const name = obs.find((o) => `${o.username}|${accessKey(o.access)}` === k)!.access.name;
      perName.set(`${user}|${name}`, (perName.get(`${user}|${name}`) ?? 0) + 1);
    }
    expect(Math.max(...perName.values())).toBeGreaterThan(100);
    expect(Math.min(...perName.values())).toBeGreaterThan(8);

    const profiles = [obs, [...obs].reverse()].map((list) => {
      const b = new ProfileBuilder(new Scope({ ...defaultScope(), includeSystem: true }));
      for (const o of list) b.add(o);
      return b.toProfile();
    });
    expect(JSON.stringify(profiles[1])).toBe(JSON.stringify(profiles[0]));

    const got = new Map<string, { allowed: number; denied: number; undecided: number }>();
    for (const p of profiles[0]!.principals) {
      for (const e of p.k8s) {
        const k = `${p.username}|${accessKey(e)}`;
        expect(got.has(k)).toBe(false);
        got.set(k, {
          allowed: e.allowed?.count ?? 0,
          denied: e.denied?.count ?? 0,
          undecided: e.undecided?.count ?? 0,
        });
      }
    }
    expect(got).toEqual(expected);
  });
});
