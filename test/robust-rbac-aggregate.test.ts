// Aggregated ClusterRoles resolved as a fixed point over a visited set (issue 17): roles that aggregate each other
// neither crash nor multiply their rules, and a chain of any length is followed to its end. An aggregated role's own
// `rules` are overwritten by the controller: its rules come from the roles it selects alone.
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
/**
 * A ClusterRole labelled `name`, with one rule on `resource` (overwritten when it aggregates), aggregating the roles
 * labelled in `from`.
 */
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

/** Three ClusterRoles that each aggregate the other two and one source role. */
const CYCLE = [
  crole('a', 'nodes', ['b', 'c', 'pods']),
  crole('b', 'nodes', ['a', 'c', 'services']),
  crole('c', 'nodes', ['a', 'b', 'secrets']),
  crole('pods', 'pods', []),
  crole('services', 'services', []),
  crole('secrets', 'secrets', []),
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
    for (const r of ['nodes', 'configmaps']) expect(set.authorize(get('alice', r)).result).toBe('deny');
  });

  it('a chain of 40 aggregations is followed to its end (no round limit), a role never aggregates itself', () => {
    const chain = Array.from({ length: 40 }, (_, i) =>
      crole(`r${i}`, 'nodes', [`l${i}`, i < 39 ? `r${i + 1}` : 'r39']),
    );
    const sources = Array.from({ length: 40 }, (_, i) => crole(`l${i}`, `res${i}`, []));
    const { set } = buildRbacPolicySet(docs([...chain, ...sources, crb('r0', 'bob')]));
    expect(set.roleRules('ClusterRole', '', 'r0')!.rules).toHaveLength(40);
    expect(set.roleRules('ClusterRole', '', 'r39')!.rules).toHaveLength(1);
    expect(set.authorize(get('bob', 'res39')).result).toBe('allow');
  });

  it('1,000 ClusterRoles that all aggregate each other and 1,000 sources resolve in bounded time and size', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      ...crole(`m${i}`, `res${i}`, []),
      metadata: { name: `m${i}`, labels: { [LABEL]: 'all' } },
      // The even ones aggregate (their own rule overwritten), the odd ones are their sources.
      ...(i % 2 === 0 ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [LABEL]: 'all' } }] } } : {}),
    }));
    const t0 = performance.now();
    const { set } = buildRbacPolicySet(docs([...many, crb('m6', 'carol')]));
    expect(set.roleRules('ClusterRole', '', 'm1998')!.rules).toHaveLength(1000);
    expect(set.authorize(get('carol', 'res1235')).result).toBe('allow');
    expect(set.authorize(get('carol', 'res1234')).result).toBe('deny');
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
