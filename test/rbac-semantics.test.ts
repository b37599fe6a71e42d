// Where Kubernetes' RBAC reads a rule differently from what it seems to say, the evaluator (verify, check) and diff
// follow Kubernetes (pkg/apis/rbac/v1/evaluation_helpers.go, pkg/controller/clusterroleaggregation):
// - resourceNames are compared literally: `*` names only an object called `*`, `""` a request without a name;
// - a nonResourceURL ending in `*`s is the prefix before all of them;
// - an aggregated ClusterRole's own `rules` are overwritten by the union of the roles it selects.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { PolicyDoc } from '../src/policy/load.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { cli, tmp } from './helpers/cli.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const RBAC = 'rbac.authorization.k8s.io';
const role = (name: string, rules: unknown[]) => ({
  apiVersion: V1,
  kind: 'Role',
  metadata: { name, namespace: 'shop' },
  rules,
});
const rb = (name: string, roleName: string) => ({
  apiVersion: V1,
  kind: 'RoleBinding',
  metadata: { name, namespace: 'shop' },
  roleRef: { apiGroup: RBAC, kind: 'Role', name: roleName },
  subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
});
const crole = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: V1,
  kind: 'ClusterRole',
  metadata: { name, ...((extra['metadata'] as object) ?? {}) },
  ...(extra['aggregationRule'] ? { aggregationRule: extra['aggregationRule'] } : {}),
  rules,
});
const crb = (name: string, roleName: string, user: string) => ({
  apiVersion: V1,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
  subjects: [{ kind: 'User', apiGroup: RBAC, name: user }],
});
const docs = (objects: unknown[]): PolicyDoc[] => objects.map((object, index) => ({ file: 'p.yaml', index, object }));

const WEB = 'system:serviceaccount:shop:web';
const req = (over: Partial<RbacRequest>): RbacRequest => ({
  username: WEB,
  groups: [],
  verb: 'get',
  apiGroup: '',
  resource: 'secrets',
  subresource: '',
  namespace: 'shop',
  name: '',
  nonResourceURL: '',
  ...over,
});

const secrets = (names: string[] | undefined) => ({
  apiGroups: [''],
  resources: ['secrets'],
  verbs: ['get', 'delete'],
  ...(names ? { resourceNames: names } : {}),
});
const CONFIGMAPS = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };

/** `diff BASE HEAD --format json` over two sets of objects, one file each. */
function diff(base: unknown[], head: unknown[]) {
  const dir = tmp('a2p-sem-');
  for (const [side, objects] of [
    ['base', base],
    ['head', head],
  ] as const) {
    mkdirSync(join(dir, side));
    writeFileSync(join(dir, side, 'p.yaml'), objects.map((o) => dump(o)).join('---\n'));
  }
  const r = cli(['diff', join(dir, 'base'), join(dir, 'head'), '--format', 'json', '--fail-on', 'risky']);
  const out = JSON.parse(r.stdout) as {
    newAccess: { principal: string; summary: string; access: { resourceNames: string[] } }[];
    removedAccess: unknown[];
  };
  return { code: r.code, stderr: r.stderr, out };
}

describe('resourceNames are compared literally', () => {
  it('diff: a rule naming `*` grants no more than an object called `*`; dropping its names is new access', () => {
    const r = diff([role('r', [secrets(['*'])]), rb('rb', 'r')], [role('r', [secrets(undefined)]), rb('rb', 'r')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.out.newAccess.map((f) => [f.principal, f.summary, f.access.resourceNames])).toEqual([
      [WEB, 'delete, get secrets in shop', []],
    ]);
    // The object named `*` stays granted: nothing is removed.
    expect(r.out.removedAccess).toEqual([]);
  });

  it('diff: a rule naming `*` or `""` added is shown as those names, quoted in words', () => {
    const base = [role('r', [CONFIGMAPS]), rb('rb', 'r')];
    const r = diff(base, [role('r', [CONFIGMAPS, secrets(['*', ''])]), rb('rb', 'r')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.out.newAccess.map((f) => [f.summary, f.access.resourceNames])).toEqual([
      ['delete, get secrets "", "*" in shop', ['', '*']],
    ]);
  });

  it('the evaluator: `*` allows the object `*` alone; a request for every name only a rule without names', () => {
    const { set } = buildRbacPolicySet(docs([role('r', [secrets(['*'])]), rb('rb', 'r')]));
    expect(set.authorize(req({ name: '*' })).result).toBe('allow');
    expect(set.authorize(req({ name: 'db' })).result).toBe('deny');
    expect(set.authorize(req({ name: '*', anyName: true })).result).toBe('deny');
    const open = buildRbacPolicySet(docs([role('r', [secrets(undefined)]), rb('rb', 'r')])).set;
    expect(open.authorize(req({ anyName: true })).result).toBe('allow');
  });

  it('`""` matches a request without a name (a list), through the name index too', () => {
    // Several bindings whose roles all name their objects: the evaluator walks only those naming the request's.
    const { set } = buildRbacPolicySet(
      docs([
        role('unnamed', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: [''] }]),
        rb('a-unnamed', 'unnamed'),
        role('db', [secrets(['db'])]),
        rb('b-db', 'db'),
      ]),
    );
    const list = set.authorize(req({ verb: 'list', name: '' }));
    expect(list.result === 'allow' && list.grantedBy.bindingName).toBe('a-unnamed');
    expect(set.authorize(req({ verb: 'list', name: 'db' })).result).toBe('deny');
    expect(set.authorize(req({ verb: 'list', anyName: true })).result).toBe('deny');
    expect(set.authorize(req({ verb: 'get', name: 'db' })).result).toBe('allow');
  });
});

describe('nonResourceURLs', () => {
  it('a URL ending in several `*`s is the prefix before all of them', () => {
    const { set } = buildRbacPolicySet(
      docs([crole('metrics', [{ nonResourceURLs: ['/metrics**'], verbs: ['get'] }]), crb('m', 'metrics', 'alice')]),
    );
    const url = (nonResourceURL: string) =>
      set.authorize(req({ username: 'alice', resource: '', namespace: '', nonResourceURL })).result;
    expect(url('/metrics')).toBe('allow');
    expect(url('/metrics/cadvisor')).toBe('allow');
    expect(url('/metric')).toBe('deny');
  });
});

describe('ClusterRole aggregation', () => {
  const agg = (name: string, selects: string, own: unknown[], label?: string) =>
    crole(name, own, {
      metadata: label ? { labels: { [label]: 'true' } } : {},
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [selects]: 'true' } }] },
    });
  const SECRETS_GET = { apiGroups: [''], resources: ['secrets'], verbs: ['get'] };

  it("an aggregated role's own rules are overwritten by those of the roles it selects", () => {
    const { set } = buildRbacPolicySet(
      docs([
        agg('agg', 'agg', [SECRETS_GET]),
        crole('src', [CONFIGMAPS], { metadata: { labels: { agg: 'true' } } }),
        crb('alice-agg', 'agg', 'alice'),
      ]),
    );
    expect(set.authorize(req({ username: 'alice', resource: 'configmaps', name: 'c' })).result).toBe('allow');
    expect(set.authorize(req({ username: 'alice', name: 'db' })).result).toBe('deny');
    expect(set.roleRules('ClusterRole', '', 'agg')!.rules).toEqual([
      { ...CONFIGMAPS, resourceNames: [], nonResourceURLs: [] },
    ]);
  });

  it('a role aggregating an aggregated role takes its aggregated rules, not the rules it lists', () => {
    const { set } = buildRbacPolicySet(
      docs([
        agg('outer', 'outer', []),
        agg('inner', 'inner', [SECRETS_GET], 'outer'),
        crole('src', [CONFIGMAPS], { metadata: { labels: { inner: 'true' } } }),
        crb('bob-outer', 'outer', 'bob'),
      ]),
    );
    expect(set.authorize(req({ username: 'bob', resource: 'configmaps', name: 'c' })).result).toBe('allow');
    expect(set.authorize(req({ username: 'bob', name: 'db' })).result).toBe('deny');
  });

  it('verify: an access only the aggregated role’s own rule allowed is not allowed (the CLI)', () => {
    const dir = tmp('a2p-sem-');
    writeFileSync(
      join(dir, 'policy.yaml'),
      [
        agg('agg', 'agg', [SECRETS_GET]),
        crole('src', [CONFIGMAPS], { metadata: { labels: { agg: 'true' } } }),
        crb('alice-agg', 'agg', 'alice'),
      ]
        .map((o) => dump(o))
        .join('---\n'),
    );
    const event = (n: number, resource: string, name: string) =>
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: `id-${n}`,
        stage: 'ResponseComplete',
        requestURI: `/api/v1/namespaces/shop/${resource}/${name}`,
        verb: 'get',
        user: { username: 'alice', groups: ['system:authenticated'] },
        objectRef: { resource, namespace: 'shop', name, apiVersion: 'v1' },
        responseStatus: { code: 200 },
        requestReceivedTimestamp: `2026-11-02T08:00:0${n}.000000Z`,
        stageTimestamp: `2026-11-02T08:00:0${n}.000000Z`,
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      });
    writeFileSync(join(dir, 'audit.jsonl'), [event(1, 'secrets', 'db'), event(2, 'configmaps', 'c')].join('\n') + '\n');
    const r = cli(['verify', '--policies', join(dir, 'policy.yaml'), '--k8s-audit', join(dir, 'audit.jsonl'), '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('FAIL: 1 of 2 observed accesses allowed (rbac 1/2)');
    expect(r.stdout).toContain('alice: get secrets db in shop');
  });
});
