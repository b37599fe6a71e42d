// Aggregated ClusterRoles resolved as a fixed point over a visited set (issue 17): roles that aggregate each other
// neither crash nor multiply their rules, and a chain of any length is followed to its end.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { PolicyDoc } from '../src/policy/load.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { tmp } from './helpers/cli.js';
import { cliTimed } from './helpers/timed.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const LABEL = 'rbac.example/part-of';
/** A ClusterRole labelled `name`, with one rule on `resource`, aggregating the roles labelled in `from`. */
const crole = (name: string, resource: string, from: string[]) => ({
  apiVersion: V1,
  kind: 'ClusterRole',
  metadata: { name, labels: { [LABEL]: name } },
  ...(from.length
    ? {
        aggregationRule: {
          clusterRoleSelectors: from.map((f) => ({ matchLabels: { [LABEL]: f } })),
        },
      }
    : {}),
  rules: [{ apiGroups: [''], resources: [resource], verbs: ['get'] }],
});
const crb = (role: string, user: string) => ({
  apiVersion: V1,
  kind: 'ClusterRoleBinding',
  metadata: { name: `${user}-${role}` },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
});
const docs = (objects: unknown[]): PolicyDoc[] => objects.map((object, index) => ({ file: 'p.yaml', index, object }));
const get = (username: string, resource: string): RbacRequest => ({
  username,
  groups: [],
  verb: 'get',
  apiGroup: '',
  resource,
  subresource: '',
  namespace: '',
  name: '',
  nonResourceURL: '',
});

/** Three ClusterRoles that each aggregate the other two. */
const CYCLE = [
  crole('a', 'pods', ['b', 'c']),
  crole('b', 'services', ['a', 'c']),
  crole('c', 'secrets', ['a', 'b']),
  crb('a', 'alice'),
];

describe('ClusterRole aggregation', () => {
  it('three ClusterRoles that aggregate each other: each has the three rules once', () => {
    const { set } = buildRbacPolicySet(docs(CYCLE));
    for (const name of ['a', 'b', 'c'])
      expect(
        set
          .roleRules('ClusterRole', '', name)!
          .rules.map((r) => r.resources[0])
          .sort(),
      ).toEqual(['pods', 'secrets', 'services']);
    for (const r of ['pods', 'services', 'secrets']) expect(set.authorize(get('alice', r)).result).toBe('allow');
    expect(set.authorize(get('alice', 'configmaps')).result).toBe('deny');
  });

  it('a chain of 40 aggregations is followed to its end (no round limit), a role never aggregates itself', () => {
    const chain = Array.from({ length: 40 }, (_, i) => crole(`r${i}`, `res${i}`, i < 39 ? [`r${i + 1}`] : ['r39']));
    const { set } = buildRbacPolicySet(docs([...chain, crb('r0', 'bob')]));
    expect(set.roleRules('ClusterRole', '', 'r0')!.rules).toHaveLength(40);
    expect(set.roleRules('ClusterRole', '', 'r39')!.rules).toHaveLength(1);
    expect(set.authorize(get('bob', 'res39')).result).toBe('allow');
  });

  it('2,000 ClusterRoles that all aggregate each other resolve in bounded time and size', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      ...crole(`m${i}`, `res${i}`, []),
      metadata: { name: `m${i}`, labels: { [LABEL]: 'all' } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [LABEL]: 'all' } }] },
    }));
    const t0 = performance.now();
    const { set } = buildRbacPolicySet(docs([...many, crb('m7', 'carol')]));
    expect(set.roleRules('ClusterRole', '', 'm1999')!.rules).toHaveLength(2000);
    expect(set.authorize(get('carol', 'res1234')).result).toBe('allow');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('diff of the cycle against itself: no change, exit 0 (the CLI, killed at the deadline)', () => {
    const dir = tmp('a2p-agg-');
    for (const side of ['base', 'head']) {
      mkdirSync(join(dir, side));
      writeFileSync(join(dir, side, 'roles.yaml'), CYCLE.map((o) => dump(o)).join('---\n'));
    }
    const t = cliTimed(['diff', join(dir, 'base'), join(dir, 'head'), '--format', 'json'], 30_000);
    expect(t.timedOut, `diff still running after ${t.ms} ms`).toBe(false);
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ newAccess: [], removedAccess: [] });
  });
});
