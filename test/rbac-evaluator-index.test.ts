// The RBAC evaluator keeps, per subject, the bindings whose role could allow a request on a resource (a group every
// user is in may be bound thousands of times). Checked on random policies: a long-lived set, asked many questions,
// decides as a fresh set, and as a walk over every binding written out here (the first granting binding in binding
// order; undetermined when no binding allows and one names a role not given).
import { describe, expect, it } from 'vitest';
import type { PolicyDoc } from '../src/policy/load.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { rng } from './helpers/cli.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const GROUPS = ['', 'apps', 'team.acme.io', '*'];
const RESOURCES = ['pods', 'pods/log', 'configmaps', 'deployments', '*', '*/log'];
const VERBS = ['get', 'list', 'create', '*'];
const NAMESPACES = ['shop', 'ops'];
const USERS = ['alice', 'bob', 'system:serviceaccount:shop:web', 'system:serviceaccount:ops:backup'];
const GROUP_NAMES = ['developers', 'system:authenticated', 'system:serviceaccounts'];

function world(seed: number) {
  const rand = rng(seed);
  const one = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number): T[] =>
    Array.from({ length: 1 + Math.floor(rand() * max) }, () => one(xs));
  const rule = () =>
    rand() < 0.15
      ? { verbs: some(VERBS, 2), nonResourceURLs: some(['/healthz', '/metrics', '/api/*', '/api/v**'], 2) }
      : {
          apiGroups: some(GROUPS, 2),
          resources: some(RESOURCES, 2),
          verbs: some(VERBS, 2),
          // `""` names a request without a name (a list), `*` only an object named `*`.
          ...(rand() < 0.3 ? { resourceNames: some(['a', 'b', '', '*'], 2) } : {}),
        };
  const objects: unknown[] = [];
  const roles: { kind: 'Role' | 'ClusterRole'; ns: string; name: string }[] = [];
  for (let i = 0; i < 6; i++) {
    const cluster = rand() < 0.5;
    const ns = one(NAMESPACES);
    const name = `r${i}`;
    roles.push({ kind: cluster ? 'ClusterRole' : 'Role', ns, name });
    objects.push({
      apiVersion: V1,
      kind: cluster ? 'ClusterRole' : 'Role',
      metadata: cluster ? { name } : { name, namespace: ns },
      rules: some([0], 3).map(rule),
    });
  }
  const subject = () =>
    rand() < 0.4
      ? { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: one(GROUP_NAMES) }
      : rand() < 0.5
        ? { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: one(USERS.slice(0, 2)) }
        : { kind: 'ServiceAccount', name: one(['web', 'backup']), namespace: one(NAMESPACES) };
  for (let i = 0; i < 10; i++) {
    // Some bindings name a role that is not given: their reasons must survive the filter.
    const r = rand() < 0.1 ? { kind: 'ClusterRole' as const, ns: '', name: 'missing' } : one(roles);
    const cluster = r.kind === 'ClusterRole' && rand() < 0.6;
    objects.push({
      apiVersion: V1,
      kind: cluster ? 'ClusterRoleBinding' : 'RoleBinding',
      metadata: cluster ? { name: `b${i}` } : { name: `b${i}`, namespace: r.kind === 'Role' ? r.ns : one(NAMESPACES) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: r.kind, name: r.name },
      subjects: some([0], 2).map(subject),
    });
  }
  const request = (): RbacRequest => {
    const url = rand() < 0.15;
    const res = one(['pods', 'configmaps', 'deployments', 'widgets']);
    return {
      username: one(USERS),
      groups: some(GROUP_NAMES, 2),
      verb: one(['get', 'list', 'create', 'delete']),
      apiGroup: url ? '' : one(['', 'apps', 'team.acme.io']),
      resource: url ? '' : res,
      subresource: url || rand() < 0.7 ? '' : 'log',
      namespace: url ? '' : one([...NAMESPACES, '']),
      name: url ? '' : one(['', 'a', 'b', 'c', '*']),
      nonResourceURL: url ? one(['/healthz', '/metrics', '/api/v1']) : '',
      // What `diff` asks of a rule without names: every name at once.
      ...(!url && rand() < 0.2 ? { anyName: true } : {}),
    };
  };
  const docs: PolicyDoc[] = objects.map((object, index) => ({ file: 'p.yaml', index, object }));
  return { docs, request };
}

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: {
    verbs: string[];
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
  }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
};

/** The authorizer's semantics walked over every binding, in binding order (kind, namespace, name). */
function reference(docs: PolicyDoc[], req: RbacRequest): { result: string; binding?: string } {
  const objs = docs.map((d) => d.object as Obj);
  const role = (kind: string, ns: string, name: string) =>
    objs.find(
      (o) => o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === ns),
    );
  const bindings = objs
    .filter((o) => o.kind.endsWith('Binding'))
    .sort((a, b) => {
      const x = [a.kind, a.metadata.namespace ?? '', a.metadata.name];
      const y = [b.kind, b.metadata.namespace ?? '', b.metadata.name];
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return 0;
    });
  // Exactly the groups the request carries: the evaluator adds none (the request builders give them).
  const groups = new Set(req.groups);
  const has = (l: string[] | undefined, v: string) => (l ?? []).some((x) => x === '*' || x === v);
  const allows = (r: NonNullable<Obj['rules']>[number]) => {
    if (!has(r.verbs, req.verb)) return false;
    if (req.nonResourceURL)
      return (r.nonResourceURLs ?? []).some(
        (u) =>
          u === '*' ||
          u === req.nonResourceURL ||
          (u.endsWith('*') && req.nonResourceURL.startsWith(u.replace(/\*+$/, ''))),
      );
    const combined = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
    const resourceOk = (r.resources ?? []).some(
      (x) => x === '*' || x === combined || (req.subresource !== '' && x === `*/${req.subresource}`),
    );
    const names = r.resourceNames ?? [];
    return (
      has(r.apiGroups, req.apiGroup) && resourceOk && (names.length === 0 || (!req.anyName && names.includes(req.name)))
    );
  };
  let unknown = false;
  for (const b of bindings) {
    const ns = b.metadata.namespace ?? '';
    const named = (b.subjects ?? []).some((s) =>
      s.kind === 'User'
        ? s.name === req.username
        : s.kind === 'Group'
          ? groups.has(s.name)
          : `system:serviceaccount:${s.namespace || ns}:${s.name}` === req.username,
    );
    if (!named) continue;
    if (b.kind === 'RoleBinding' && (req.namespace === '' || ns !== req.namespace)) continue;
    const r = role(b.roleRef!.kind, ns, b.roleRef!.name);
    if (!r) {
      unknown = true;
      continue;
    }
    if ((r.rules ?? []).some(allows)) return { result: 'allow', binding: b.metadata.name };
  }
  return { result: unknown ? 'undetermined' : 'deny' };
}

describe('the RBAC evaluator with its per-subject index', () => {
  it('a long-lived set decides as a fresh one on 300 random policies × 80 requests', () => {
    const seen = { allow: 0, deny: 0, undetermined: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const { docs, request } = world(seed);
      const kept = buildRbacPolicySet(docs).set;
      for (let q = 0; q < 80; q++) {
        const req = request();
        // A fresh set has no kept filters: its first answer walks every binding of the subject.
        const fresh = buildRbacPolicySet(structuredClone(docs)).set.authorize(structuredClone(req));
        const got = kept.authorize(req);
        expect(got, JSON.stringify({ docs, req })).toEqual(fresh);
        const want = reference(docs, req);
        expect(
          { result: got.result, binding: got.result === 'allow' ? got.grantedBy.bindingName : undefined },
          JSON.stringify({ docs, req }),
        ).toEqual(want);
        seen[fresh.result]++;
      }
    }
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(300);
  });
});

describe('the RBAC evaluator asked as a replay asks: runs of requests alike but for one field', () => {
  it('decides as a fresh set when each request changes one field of the last (user, groups, resource)', () => {
    // A replay asks for one principal's accesses in turn, sorted by resource: the evaluator keeps the last subject's
    // bindings and the last resource's key. A request that differs in one of them only must not get the last's.
    const changes: ((r: RbacRequest, rand: () => number) => RbacRequest)[] = [
      (r) => ({ ...r }),
      (r) => ({ ...r, username: r.username === 'alice' ? 'bob' : 'alice' }),
      (r) => ({ ...r, groups: [...r.groups].reverse() }),
      (r) => ({ ...r, groups: r.groups.slice(1) }),
      (r, rand) => ({ ...r, groups: [...r.groups, GROUP_NAMES[Math.floor(rand() * GROUP_NAMES.length)]!] }),
      (r) => ({ ...r, apiGroup: r.apiGroup === '' ? 'apps' : '' }),
      (r) => ({ ...r, resource: r.resource === 'pods' ? 'configmaps' : 'pods' }),
      (r) => ({ ...r, subresource: r.subresource === '' ? 'log' : '' }),
      (r) => ({ ...r, name: r.name === 'a' ? 'b' : 'a' }),
    ];
    const seen = { allow: 0, deny: 0, undetermined: 0 };
    let asked = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rand = rng(seed * 7919);
      const { docs, request } = world(seed);
      const kept = buildRbacPolicySet(docs).set;
      let req = request();
      for (let q = 0; q < 60; q++) {
        if (req.nonResourceURL !== '' || rand() < 0.1) req = request();
        else req = changes[Math.floor(rand() * changes.length)]!(req, rand);
        const fresh = buildRbacPolicySet(structuredClone(docs)).set.authorize(structuredClone(req));
        const got = kept.authorize(req);
        expect(got, JSON.stringify({ docs, req })).toEqual(fresh);
        const want = reference(docs, req);
        expect(
          { result: got.result, binding: got.result === 'allow' ? got.grantedBy.bindingName : undefined },
          JSON.stringify({ docs, req }),
        ).toEqual(want);
        seen[fresh.result]++;
        asked++;
      }
    }
    expect(asked).toBe(150 * 60);
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(150);
  });
});
