import { describe, expect, it } from 'vitest';
import { accessKey, type K8sAccess } from '../src/model/access.js';
import { mergeEvidence, type Evidence } from '../src/model/evidence.js';
import { EvidenceAccumulator } from '../src/model/evidenceStore.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { isGrantable } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { filterProfile } from '../src/profile/filter.js';
import { serializeProfile } from '../src/profile/io.js';
import { mergeProfiles, profileOf } from '../src/profile/merge.js';
import { defaultScope, Scope, type ScopeOptions } from '../src/profile/scope.js';

const access = (over: Partial<K8sAccess> = {}): K8sAccess => ({
  verb: 'get',
  apiGroup: '',
  resource: 'configmaps',
  subresource: '',
  namespace: 'shop',
  name: 'cfg',
  nonResourceURL: '',
  ...over,
});

function obs(i: number, over: Partial<K8sRequestObservation> = {}): K8sRequestObservation {
  return {
    kind: 'k8s-request',
    username: 'system:serviceaccount:shop:web',
    groups: ['system:serviceaccounts'],
    access: access(),
    decision: 'allow',
    stage: 'ResponseComplete',
    time: `2026-11-02T08:00:${String(i % 60).padStart(2, '0')}.000000Z`,
    id: `id-${String(i).padStart(3, '0')}`,
    ...over,
  };
}

function build(items: K8sRequestObservation[], scope: Partial<ScopeOptions> = {}) {
  const b = new ProfileBuilder(new Scope({ ...defaultScope(), ...scope }));
  for (const o of items) b.add(o);
  return b.toProfile();
}

/** A varied stream: several subjects, verbs, decisions and stages, in a fixed pseudo-random order. */
function stream(n: number): K8sRequestObservation[] {
  const users = [
    'system:serviceaccount:shop:web',
    'alice',
    'system:serviceaccount:ci:runner',
    'system:kube-scheduler',
    'system:serviceaccount:kube-system:foo',
  ];
  const out: K8sRequestObservation[] = [];
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(
      obs(i, {
        username: users[x % users.length]!,
        access: access({
          verb: ['get', 'list', 'watch', 'patch'][x % 4]!,
          name: x % 3 ? `n${x % 5}` : '',
          namespace: x % 7 ? 'shop' : '',
        }),
        decision: (['allow', 'allow', 'deny', 'undecided'] as const)[(x >> 3) % 4]!,
        stage: (['ResponseComplete', 'RequestReceived', 'ResponseStarted'] as const)[(x >> 5) % 3]!,
        id: `id-${(x >> 4) % 50}`,
      }),
    );
  }
  return out;
}

describe('evidence', () => {
  it('counts the latest stage seen, keeps the 3 earliest samples with ties broken by id', () => {
    const acc = new EvidenceAccumulator();
    acc.add('RequestReceived', '2026-11-02T08:00:03.000000Z', 'c');
    acc.add('ResponseComplete', '2026-11-02T08:00:03.000000Z', 'c');
    acc.add('ResponseComplete', '2026-11-02T08:00:01.000000Z', 'z');
    acc.add('ResponseComplete', '2026-11-02T08:00:01.000000Z', 'a');
    acc.add('ResponseComplete', '2026-11-02T08:00:09.000000Z', 'b');
    const ev = acc.toEvidence();
    expect(ev.count).toBe(4);
    expect(ev.stages).toEqual({ RequestReceived: 1, ResponseComplete: 4 });
    expect(ev.samples.map((s) => s.id)).toEqual(['a', 'z', 'c']);
    expect([ev.firstSeen, ev.lastSeen]).toEqual(['2026-11-02T08:00:01.000000Z', '2026-11-02T08:00:09.000000Z']);
  });

  it('an exec seen only as ResponseStarted counts its ResponseStarted records', () => {
    const acc = new EvidenceAccumulator();
    acc.add('ResponseStarted', '', 'x');
    acc.add('ResponseStarted', '', 'y');
    expect(acc.toEvidence()).toMatchObject({
      count: 2,
      firstSeen: '',
      lastSeen: '',
      samples: [{ id: 'x' }, { id: 'y' }],
    });
  });

  it('merging evidence is commutative and associative', () => {
    const mk = (ids: [string, string][]): Evidence => {
      const acc = new EvidenceAccumulator();
      for (const [id, t] of ids) acc.add('ResponseComplete', t, id);
      return acc.toEvidence();
    };
    const a = mk([
      ['a', '2026-01-01T00:00:05.000000Z'],
      ['b', '2026-01-01T00:00:01.000000Z'],
    ]);
    const b = mk([
      ['c', '2026-01-01T00:00:01.000000Z'],
      ['d', ''],
    ]);
    const c = mk([['e', '2026-01-01T00:00:00.000000Z']]);
    expect(mergeEvidence(a, b)).toEqual(mergeEvidence(b, a));
    expect(mergeEvidence(mergeEvidence(a, b), c)).toEqual(mergeEvidence(a, mergeEvidence(b, c)));
    expect(mergeEvidence(mergeEvidence(a, b), c).samples.map((s) => s.id)).toEqual(['e', 'b', 'c']);
  });
});

describe('profile', () => {
  it('is the same bytes for any order of the same records', () => {
    const items = stream(400);
    const reversed = [...items].reverse();
    const interleaved = [...items.filter((_, i) => i % 2), ...items.filter((_, i) => i % 2 === 0)];
    const want = serializeProfile(build(items));
    expect(serializeProfile(build(reversed))).toBe(want);
    expect(serializeProfile(build(interleaved))).toBe(want);
  });

  it('merge of the profiles of any split equals the profile of the whole, and merge is commutative and associative', () => {
    const items = stream(300);
    const whole = serializeProfile(build(items));
    const a = build(items.slice(0, 100));
    const b = build(items.slice(100, 170));
    const c = build(items.slice(170));
    expect(serializeProfile(mergeProfiles([a, b, c]))).toBe(whole);
    expect(serializeProfile(mergeProfiles([c, a, b]))).toBe(whole);
    expect(serializeProfile(mergeProfiles([mergeProfiles([a, b]), c]))).toBe(
      serializeProfile(mergeProfiles([a, mergeProfiles([b, c])])),
    );
  });

  it('leaves out control-plane identities by default and counts them; --include-system keeps them', () => {
    const items = [
      obs(1, { username: 'system:kube-scheduler' }),
      obs(2, { username: 'system:node:n1' }),
      obs(3, { username: 'system:serviceaccount:kube-system:replicaset-controller' }),
      obs(4, { username: 'system:apiserver' }),
      obs(5),
    ];
    const p = build(items);
    expect(p.principals.map((x) => x.username)).toEqual(['system:serviceaccount:shop:web']);
    expect(p.skipped).toEqual({ 'system-identity': 4 });
    expect(build(items, { includeSystem: true }).principals).toHaveLength(5);
  });

  it('groups only when asked, and never the built-in system: groups by default', () => {
    const items = [obs(1, { username: 'alice', groups: ['sre', 'system:authenticated'] })];
    expect(build(items).principals.map((p) => p.subject.kind)).toEqual(['User']);
    const withGroups = build(items, { subjectKinds: ['User', 'Group'] });
    expect(withGroups.principals.map((p) => `${p.subject.kind}:${p.username}`)).toEqual(['Group:sre', 'User:alice']);
  });

  it('applies subject globs, exclusions, namespaces and the time window, counting what it left out', () => {
    const items = [
      obs(1),
      obs(2, { username: 'alice' }),
      obs(3, { access: access({ namespace: 'payments' }) }),
      obs(4, { time: '2026-11-01T00:00:00.000000Z' }),
    ];
    const p = build(items, {
      subjects: ['system:serviceaccount:shop:*'],
      namespaces: ['shop'],
      since: { kind: 'absolute', time: '2026-11-02T00:00:00.000000Z' },
    });
    expect(p.principals.map((x) => x.k8s.length)).toEqual([1]);
    expect(p.skipped).toEqual({ 'subject-filter': 1, 'namespace-filter': 1, 'outside-window': 1 });
    const ex = build(items, { excludeSubjects: ['alice'] });
    expect(ex.principals.map((x) => x.username)).toEqual(['system:serviceaccount:shop:web']);
  });

  it('keeps denied requests as denied evidence that never grants', () => {
    const p = build([obs(1, { decision: 'deny', access: access({ verb: 'list', resource: 'secrets', name: '' }) })]);
    const e = p.principals[0]!.k8s[0]!;
    expect(e.denied?.count).toBe(1);
    expect(e.allowed).toBeUndefined();
    expect(isGrantable(e)).toBe(false);
  });

  it('undecided records grant only when nothing was denied for the same access', () => {
    const rr = obs(1, { decision: 'undecided', stage: 'RequestReceived' });
    expect(isGrantable(build([rr]).principals[0]!.k8s[0]!)).toBe(true);
    expect(isGrantable(build([rr, obs(1, { decision: 'deny' })]).principals[0]!.k8s[0]!)).toBe(false);
    expect(isGrantable(build([rr, obs(2, { decision: 'deny' }), obs(3)]).principals[0]!.k8s[0]!)).toBe(true);
  });

  it('filtering a profile applies the same rules as filtering records', () => {
    const items = stream(200);
    const scoped: Partial<ScopeOptions> = { subjects: ['alice', 'system:serviceaccount:*'], namespaces: ['shop'] };
    const direct = build(items, scoped);
    const filtered = filterProfile(build(items), new Scope({ ...defaultScope(), ...scoped }));
    const keys = (p: typeof direct) => p.principals.flatMap((x) => x.k8s.map((e) => `${x.username} ${accessKey(e)}`));
    expect(keys(filtered)).toEqual(keys(direct));
  });

  it('refuses a time window on an aggregated profile', () => {
    expect(() =>
      filterProfile(
        build(stream(5)),
        new Scope({ ...defaultScope(), since: { kind: 'relative', ms: 1000, text: '1s' } }),
      ),
    ).toThrow(/already aggregated/);
  });
});

describe('conflicting attributes merge the same in any order', () => {
  it('a namespace and a workload labelled differently on two days keep the labels both agree on', async () => {
    const day = (team: string, tier: string) =>
      profileOf({
        namespaces: [{ name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team } }],
        workloads: [
          {
            namespace: 'shop',
            name: 'web',
            kind: 'Deployment',
            selector: { app: 'web' },
            labels: { app: 'web', tier },
            ports: [],
            hostNetwork: false,
            source: 'inventory',
          },
        ],
        network: [],
        dnsNames: [],
      });
    const a = day('payments', 'front');
    const b = day('checkout', 'edge');
    const ab = mergeProfiles([a, b]);
    expect(serializeProfile(ab)).toBe(serializeProfile(mergeProfiles([b, a])));
    expect(ab.namespaces).toEqual([{ name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } }]);
    expect(ab.workloads![0]!.labels).toEqual({ app: 'web' });
  });
});
