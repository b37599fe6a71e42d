// Inputs shaped to make work grow faster than their size (issue 16's review of what logs and files can cost): YAML
// aliases that multiply a policy file, and lists merged entry by entry. Their speed is measured by hand (the
// closing note of the stop); here, what they read as.
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type PolicyDoc } from '../src/policy/load.js';
import { mergeProfiles } from '../src/profile/merge.js';
import type { InputIssue } from '../src/model/issue.js';
import type { Principal, Profile } from '../src/model/profile.js';

const ROLE = '{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: []}';

function parse(text: string): { docs: PolicyDoc[]; issues: InputIssue[] } {
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  parsePolicyText('p.yaml', text, docs, issues);
  return { docs, issues };
}

/** `levels` lists of ten aliases of the level below: 10^levels roles from a few hundred bytes. */
function laughs(levels: number): string {
  const lines = ['kind: List', 'apiVersion: v1', 'defs:', `  - &a0 {kind: List, items: [${ROLE}]}`];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `  - &a${i} {kind: List, items: [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]}`,
    );
  lines.push(`items: [*a${levels}]`);
  return lines.join('\n') + '\n';
}

describe('inputs that multiply', () => {
  it('a policy file of nested aliases is an issue at its line, not millions of objects', () => {
    const { docs, issues } = parse(laughs(7));
    expect(docs).toEqual([]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'policy.unparseable', file: 'p.yaml', line: 6 });
    expect(issues[0]!.message).toContain('aliases');
  });

  it('a few aliases, as people write them, still read', () => {
    const role = (name: string, rules: string) =>
      `  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: ${name}}, rules: ${rules}}`;
    const text = [
      'kind: List',
      'apiVersion: v1',
      'items:',
      role('a', "&rules [{apiGroups: [''], resources: [pods], verbs: [get]}]"),
      role('b', '*rules'),
      role('c', '*rules'),
    ].join('\n');
    const { docs, issues } = parse(text + '\n');
    expect(issues).toEqual([]);
    const items = (docs[0]!.object as { items: { rules: unknown[] }[] }).items;
    expect(items.map((i) => i.rules.length)).toEqual([1, 1, 1]);
    expect(parse(laughs(1)).issues).toEqual([]);
  });

  it('created names of one resource merge across many entries, in order, names and generated alike', () => {
    const principal = (names: string[], generated: string[]): Principal => ({
      subject: { kind: 'ServiceAccount', namespace: 'ci', name: 'runner' },
      username: 'system:serviceaccount:ci:runner',
      groups: [],
      k8s: [],
      created: [{ namespace: 'ci', apiGroup: '', resource: 'pods', names, ...(generated.length ? { generated } : {}) }],
    });
    const profile = (p: Principal): Profile => ({
      apiVersion: 'audit2policy.dev/v1alpha2',
      kind: 'Profile',
      window: { start: '', end: '' },
      sources: [],
      skipped: {},
      principals: [p],
    });
    const parts = [
      principal(['a', 'b'], ['a']),
      principal([], ['z']),
      principal(['c'], []),
      principal(['b', 'd'], ['d']),
    ];
    const merged = mergeProfiles(parts.map(profile));
    const created = merged.principals[0]!.created!;
    expect(created).toHaveLength(1);
    expect(created[0]!.names).toEqual(['a', 'b', 'c', 'd']);
    expect(created[0]!.generated).toEqual(['a', 'd', 'z']);
    // The inputs are left as they were.
    expect(parts[0]!.created![0]!.names).toEqual(['a', 'b']);
  });
});
