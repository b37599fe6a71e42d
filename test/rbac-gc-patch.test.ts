// A patch that changes only metadata.finalizers and metadata.ownerReferences of an RBAC object makes no bind or
// escalate check (Kubernetes' rbacregistry.IsOnlyMutatingGCFields, in the RBAC storage's policy-based Update). The
// profile marks such a write `gcOnly` (every allowed record of its edge was one, proven by its logged body), so that
// `verify` replays it as the API server decides it: authorization alone. A write whose body was not logged, or any
// other write of the same edge, keeps today's replay: its bind is replayed, or undetermined when its roleRef is not
// known.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { k8sEdgeOf, k8sLine } from '../src/profile/lines.js';
import type { K8sEdge } from '../src/model/profile.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { cli, tmp } from './helpers/cli.js';

const RBAC = 'rbac.authorization.k8s.io';
const USER = 'system:serviceaccount:ops:cleaner';
const OWNER = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '0b7e8a52-6f9f-4e37-9a53-3c3f5d0d0a11' };

let seq = 0;
/** An allowed patch of RoleBinding ops/app-readers (or of `resource` `name`) by USER, answered 200. */
function patch(
  body: unknown,
  opts: { level?: string; resource?: string; name?: string; user?: string; stage?: string } = {},
): Record<string, unknown> {
  seq++;
  const resource = opts.resource ?? 'rolebindings';
  const name = opts.name ?? 'app-readers';
  const stage = opts.stage ?? 'ResponseComplete';
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: opts.level ?? 'Request',
    auditID: `5d0c6f1e-2b7a-4c1e-8f3d-${String(seq).padStart(12, '0')}`,
    stage,
    requestURI: `/apis/${RBAC}/v1/namespaces/ops/${resource}/${name}`,
    verb: 'patch',
    user: {
      username: opts.user ?? USER,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ops', 'system:authenticated'],
    },
    objectRef: { resource, namespace: 'ops', name, apiGroup: RBAC, apiVersion: 'v1' },
    ...(stage === 'RequestReceived' ? {} : { responseStatus: { metadata: {}, code: 200 } }),
    ...(body === undefined || stage === 'RequestReceived' ? {} : { requestObject: body }),
    requestReceivedTimestamp: `2026-11-09T00:00:${String(seq).padStart(2, '0')}.000000Z`,
    stageTimestamp: `2026-11-09T00:00:${String(seq).padStart(2, '0')}.010000Z`,
    ...(stage === 'RequestReceived' ? {} : { annotations: { 'authorization.k8s.io/decision': 'allow' } }),
  };
}

const GC_MERGE = { metadata: { finalizers: null } };
const GC_OWNER = { metadata: { ownerReferences: [OWNER], uid: '7d3e2f10-0c1b-4a55-b7b1-1d2e3f4a5b6c' } };
const GC_JSON = [{ op: 'remove', path: '/metadata/finalizers/0' }];
const LABELS = { metadata: { labels: { team: 'ops' } } };

function logOf(events: Record<string, unknown>[]): string {
  const f = join(tmp('a2p-gc-'), 'audit.log');
  writeFileSync(f, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return f;
}

interface VerifyJson {
  observed: number;
  allowed: number;
  notAllowed: { access: { verb: string; resource: string } }[];
  undetermined: { access: { verb: string; resource: string }; detail?: string }[];
}

/** generate rbac from the log, then verify the log against what was generated. */
function generateThenVerify(file: string): { verify: VerifyJson; stderr: string } {
  const out = join(tmp('a2p-gc-'), 'out');
  const g = cli(['generate', 'rbac', '--k8s-audit', file, '-o', out, '-q']);
  expect(g.code, g.stderr).toBe(0);
  const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', file, '--format', 'json', '-q']);
  return { verify: JSON.parse(v.stdout) as VerifyJson, stderr: v.stderr };
}

const patchEdges = (file: string): K8sEdge[] => {
  const out = join(tmp('a2p-gc-'), 'profile.json');
  const r = cli(['profile', '--k8s-audit', file, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"k8s":'))
    .map((l) => k8sEdgeOf(JSON.parse(l) as Parameters<typeof k8sEdgeOf>[0]) as K8sEdge)
    .filter((e) => e.verb === 'patch');
};

describe('verify of a GC-only patch of an RBAC object', () => {
  it('a GC-only patch of a RoleBinding (merge, with ownerReferences, JSON patch): generate → verify allows it', () => {
    for (const body of [GC_MERGE, GC_OWNER, GC_JSON]) {
      const { verify, stderr } = generateThenVerify(logOf([patch(body)]));
      expect(verify.undetermined, `${JSON.stringify(body)} ${stderr}`).toEqual([]);
      expect(verify.notAllowed).toEqual([]);
      expect([verify.observed, verify.allowed]).toEqual([1, 1]);
    }
  });

  it('…of a ClusterRoleBinding, and a Role (no escalate either)', () => {
    for (const resource of ['clusterrolebindings', 'roles']) {
      const e = patch(GC_MERGE, { resource });
      if (resource === 'clusterrolebindings') {
        e['requestURI'] = `/apis/${RBAC}/v1/clusterrolebindings/app-readers`;
        e['objectRef'] = { resource, name: 'app-readers', apiGroup: RBAC, apiVersion: 'v1' };
      }
      const { verify, stderr } = generateThenVerify(logOf([e]));
      expect([verify.observed, verify.allowed], `${resource} ${stderr} ${JSON.stringify(verify)}`).toEqual([1, 1]);
    }
  });

  it('a patch whose roleRef was not logged (Metadata level) stays undetermined, as before', () => {
    const { verify } = generateThenVerify(logOf([patch(undefined, { level: 'Metadata' })]));
    expect([verify.observed, verify.allowed]).toEqual([1, 0]);
    expect(verify.undetermined.map((f) => f.detail)).toEqual([
      'the roleRef of the rolebindings written is not known: its bind check cannot be replayed',
    ]);
  });

  it('a GC-only patch and a real write of the same edge: the real write wins (undetermined, in either order)', () => {
    for (const events of [
      [patch(GC_MERGE), patch(undefined, { level: 'Metadata' })],
      [patch(undefined, { level: 'Metadata' }), patch(GC_MERGE)],
    ]) {
      const { verify } = generateThenVerify(logOf(events));
      expect([verify.observed, verify.allowed]).toEqual([1, 0]);
      expect(verify.undetermined).toHaveLength(1);
    }
  });

  it('a GC-only patch beside a real write whose body shows other changes: not GC-only in the profile', () => {
    const [e] = patchEdges(logOf([patch(GC_MERGE), patch(LABELS)]));
    expect(e!.gcOnly).toBeUndefined();
  });

  it('its RequestReceived record (no body) leaves it GC-only; an edge of such records alone is not', () => {
    const received = patch(undefined, { stage: 'RequestReceived' });
    const [e] = patchEdges(logOf([received, patch(GC_MERGE)]));
    expect(e!.gcOnly).toBe(true);
    const [alone] = patchEdges(logOf([patch(undefined, { stage: 'RequestReceived' })]));
    expect(alone!.gcOnly).toBeUndefined();
  });
});

describe('a profile holding GC-only patches', () => {
  it('is the same bytes with 1 or 2 workers, in any file order, and as the merge of its files’ profiles', () => {
    const dir = tmp('a2p-gc-');
    const files = [
      [patch(GC_MERGE), patch(GC_OWNER, { name: 'other' })],
      [patch(undefined, { level: 'Metadata' }), patch(GC_JSON, { name: 'other' })],
      [patch(GC_MERGE, { resource: 'roles', name: 'r' })],
    ].map((events, i) => {
      const f = join(dir, `audit-${i}.log`);
      writeFileSync(f, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return f;
    });
    const profileOf = (inputs: string[], workers: string) => {
      const out = join(tmp('a2p-gc-'), 'p.json');
      const args = ['profile', ...inputs.flatMap((f) => ['--k8s-audit', f]), '--workers', workers, '-o', out, '-q'];
      const r = cli(args);
      expect(r.code, r.stderr).toBe(0);
      return out;
    };
    const whole = readFileSync(profileOf(files, '1'), 'utf8');
    expect(whole).toContain('"gcOnly":true');
    expect(readFileSync(profileOf([...files].reverse(), '2'), 'utf8')).toBe(whole);
    const parts = files.map((f) => profileOf([f], '1'));
    const merged = join(tmp('a2p-gc-'), 'm.json');
    const m = cli(['merge', ...parts.reverse(), '-o', merged, '-q']);
    expect(m.code, m.stderr).toBe(0);
    // The sources list differs only by what each part read; the principals and their edges are the whole's.
    const body = (t: string) =>
      t.split('\n').filter((l) => !l.startsWith('{"apiVersion"') && !l.startsWith('{"source'));
    expect(body(readFileSync(merged, 'utf8'))).toEqual(body(whole));
    // app-readers: a GC-only patch and a Metadata-level one (not GC-only); other: two GC-only; the role: GC-only.
    const flags = whole
      .split('\n')
      .filter((l) => l.startsWith('{"k8s":["patch"'))
      .map((l) => [(JSON.parse(l) as { k8s: string[] }).k8s[5], l.includes('"gcOnly":true')]);
    expect(flags.sort()).toEqual([
      ['app-readers', false],
      ['other', true],
      ['r', true],
    ]);
  });
});

describe('the profile field gcOnly', () => {
  const obs = (gcOnly: boolean | undefined, decision: 'allow' | 'undecided' = 'allow'): K8sRequestObservation => ({
    kind: 'k8s-request',
    username: USER,
    groups: [],
    access: {
      verb: 'patch',
      apiGroup: RBAC,
      resource: 'rolebindings',
      subresource: '',
      namespace: 'ops',
      name: 'app-readers',
      nonResourceURL: '',
    },
    decision,
    stage: decision === 'allow' ? 'ResponseComplete' : 'RequestReceived',
    time: `2026-11-09T00:00:0${++seq % 10}.000000Z`,
    id: `id-${seq}`,
    ...(gcOnly === undefined ? {} : { gcOnly }),
  });
  const build = (list: K8sRequestObservation[]) => {
    const b = new ProfileBuilder(new Scope(defaultScope()));
    for (const o of list) b.add(o);
    return b.toProfile();
  };

  it('merging keeps it right: GC-only on both sides stays, a real write on either side wins, undecided is neutral', () => {
    const [g1, g2, w, u] = [obs(true), obs(true), obs(false), obs(undefined, 'undecided')];
    const gc = build([g1]);
    const write = build([w]);
    const undecided = build([u]);
    const edge = (p: ReturnType<typeof build>) => p.principals[0]!.k8s[0]!;
    expect(edge(gc).gcOnly).toBe(true);
    expect(edge(write).gcOnly).toBeUndefined();
    expect(edge(undecided).gcOnly).toBeUndefined();
    expect(edge(mergeProfiles([gc, build([g2])])).gcOnly).toBe(true);
    expect(edge(mergeProfiles([gc, write])).gcOnly).toBeUndefined();
    expect(edge(mergeProfiles([write, gc])).gcOnly).toBeUndefined();
    expect(edge(mergeProfiles([undecided, gc])).gcOnly).toBe(true);
    expect(edge(mergeProfiles([gc, undecided])).gcOnly).toBe(true);
    // A merge is the profile built from every record at once, in any order.
    for (const parts of [
      [[g1], [w]],
      [[w], [g1]],
      [[u], [g1]],
      [[g1, u], [g2]],
      [[g1], [g2, w]],
    ]) {
      const whole = build(parts.flat());
      expect(mergeProfiles(parts.map(build)), JSON.stringify(parts.map((x) => x.map((o) => o.gcOnly)))).toEqual(whole);
    }
  });

  it('is written as "gcOnly":true after the edge’s other fields, read back, and absent from old lines', () => {
    const e = build([obs(true)]).principals[0]!.k8s[0]!;
    const line = k8sLine(e);
    expect(line.endsWith(',"gcOnly":true}')).toBe(true);
    expect(k8sEdgeOf(JSON.parse(line) as Parameters<typeof k8sEdgeOf>[0])).toEqual(e);
    const old = JSON.parse(line) as Record<string, unknown>;
    delete old['gcOnly'];
    expect((k8sEdgeOf(old as Parameters<typeof k8sEdgeOf>[0]) as K8sEdge).gcOnly).toBeUndefined();
  });
});
