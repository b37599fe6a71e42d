// The escalation check's coverage (src/verify/rbac/covers.ts) counts the atoms of written rules that no rule held
// covers without splitting the rules into their product. Checked against the split written out: every written rule
// broken into single (group, resource, verb, name) and (URL, verb) rules, each tested against every rule held.
import { describe, expect, it } from 'vitest';
import { ruleWords, uncovered } from '../src/verify/rbac/covers.js';
import type { PolicyRule } from '../src/verify/rbac/types.js';
import { rng } from './helpers/cli.js';

const rule = (x: Partial<PolicyRule>): PolicyRule => ({
  verbs: [],
  apiGroups: [],
  resources: [],
  resourceNames: [],
  nonResourceURLs: [],
  ...x,
});

/** The API server's semantics, one atom at a time (kubernetes.io/docs/reference/access-authn-authz/rbac). */
function reference(owner: PolicyRule[], written: PolicyRule[]): { first: string[]; count: number } {
  const atoms: PolicyRule[] = [];
  for (const r of written) {
    for (const apiGroup of r.apiGroups)
      for (const resource of r.resources)
        for (const verb of r.verbs)
          for (const name of r.resourceNames.length ? r.resourceNames : [undefined])
            atoms.push(
              rule({
                apiGroups: [apiGroup],
                resources: [resource],
                verbs: [verb],
                resourceNames: name === undefined ? [] : [name],
              }),
            );
    for (const url of r.nonResourceURLs)
      for (const verb of r.verbs) atoms.push(rule({ nonResourceURLs: [url], verbs: [verb] }));
  }
  const holds = (o: PolicyRule, a: PolicyRule): boolean => {
    const verb = o.verbs.includes('*') || o.verbs.includes(a.verbs[0]!);
    if (a.nonResourceURLs.length) {
      const url = a.nonResourceURLs[0]!;
      const urlOk = o.nonResourceURLs.some(
        (x) => x === url || (x.endsWith('*') && url.startsWith(x.replace(/\*+$/, ''))),
      );
      return verb && urlOk && o.resourceNames.length === 0;
    }
    const group = o.apiGroups.includes('*') || o.apiGroups.includes(a.apiGroups[0]!);
    const res = a.resources[0]!;
    const slash = res.indexOf('/');
    const resource =
      o.resources.includes('*') ||
      o.resources.includes(res) ||
      (slash >= 0 && o.resources.includes(`*/${res.slice(slash + 1)}`));
    const name =
      o.resourceNames.length === 0 || (a.resourceNames.length === 1 && o.resourceNames.includes(a.resourceNames[0]!));
    return verb && group && resource && name;
  };
  const left = atoms.filter((a) => !owner.some((o) => holds(o, a)));
  return { first: left.slice(0, 3).map(ruleWords), count: left.length };
}

describe('escalation coverage without the product', () => {
  it('agrees with the atom-by-atom split on 3,000 random owners and written rules', () => {
    const rand = rng(16);
    const pick = <T>(xs: readonly T[], max: number): T[] => {
      const n = Math.floor(rand() * (max + 1));
      return Array.from({ length: n }, () => xs[Math.floor(rand() * xs.length)]!);
    };
    const GROUPS = ['', 'apps', 'batch', '*'];
    const RESOURCES = ['pods', 'pods/log', 'secrets', 'deployments', '*', '*/log', 'pods/exec'];
    const VERBS = ['get', 'list', 'create', 'delete', '*'];
    const NAMES = ['a', 'b', 'c'];
    const URLS = ['/healthz', '/metrics', '/api/*', '/api/v1', '/*', '/api**'];
    // Some rules mix both halves (the API server refuses such a rule, a file may hold one): names then keep a
    // rule held from covering URLs.
    const random = (): PolicyRule =>
      rand() < 0.1
        ? rule({
            verbs: pick(VERBS, 3),
            nonResourceURLs: pick(URLS, 2),
            resources: pick(RESOURCES, 2),
            apiGroups: pick(GROUPS, 2),
            resourceNames: pick(NAMES, 2),
          })
        : rand() < 0.25
          ? rule({ verbs: pick(VERBS, 3), nonResourceURLs: pick(URLS, 3) })
          : rule({
              verbs: pick(VERBS, 3),
              apiGroups: pick(GROUPS, 2),
              resources: pick(RESOURCES, 3),
              resourceNames: rand() < 0.5 ? [] : pick(NAMES, 2),
            });
    let some = 0;
    let none = 0;
    for (let i = 0; i < 3000; i++) {
      const owner = Array.from({ length: Math.floor(rand() * 5) }, random);
      const written = Array.from({ length: 1 + Math.floor(rand() * 3) }, random);
      const want = reference(owner, written);
      const got = uncovered(owner, written, 3);
      expect({ first: got.first.map(ruleWords), count: got.count }, JSON.stringify({ owner, written })).toEqual(want);
      if (want.count) some++;
      else if (written.some((w) => w.verbs.length)) none++;
    }
    // Both answers are common among the cases, so neither is agreed by default.
    expect(some).toBeGreaterThan(500);
    expect(none).toBeGreaterThan(300);
  });

  it('more than 32 rules held (the marks span several words)', () => {
    const owner = Array.from({ length: 70 }, (_, i) => rule({ verbs: ['get'], apiGroups: [''], resources: [`r${i}`] }));
    const written = [rule({ verbs: ['get', 'list'], apiGroups: [''], resources: owner.map((_, i) => `r${i}`) })];
    const got = uncovered(owner, written, 3);
    expect(got.count).toBe(70);
    expect(got.first.map(ruleWords)).toEqual(['list r0 (core)', 'list r1 (core)', 'list r2 (core)']);
    expect(reference(owner, written)).toEqual({ first: got.first.map(ruleWords), count: got.count });
  });

  it('a written rule of 56 of each list (9.8M atoms) is counted, not split', () => {
    const list = (p: string) => Array.from({ length: 56 }, (_, i) => `${p}${i}`);
    const written = [rule({ apiGroups: list('g'), resources: list('r'), verbs: list('v'), resourceNames: list('n') })];
    // Held: every group and verb, the even resources, every name: the odd resources are left.
    const owner = [rule({ apiGroups: ['*'], resources: list('r').filter((_, i) => i % 2 === 0), verbs: ['*'] })];
    const got = uncovered(owner, written, 3);
    expect(got.count).toBe(56 * 28 * 56 * 56);
    expect(got.first.map(ruleWords)).toEqual(['v0 r1 (g0) [n0]', 'v0 r1 (g0) [n1]', 'v0 r1 (g0) [n2]']);
    expect(uncovered([rule({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] })], written, 3).count).toBe(0);
  });
});
