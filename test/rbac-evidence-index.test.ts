// `check` and `report --policies` attach to every group of RBAC grants the evidence of the accesses it covers. For
// a Group subject (`system:authenticated` is every principal) the members' accesses are kept by API group and
// resource and tried by name; checked here against a walk over every principal and access of a random profile,
// with covering written out from RBAC's rules, for groups as `check` makes them (one verb and resource, many names)
// and as `diff` does (one rule: several verbs, resources and URLs).
import { describe, expect, it } from 'vitest';
import type { RbacGrant } from '../src/kinds/rbac/compare.js';
import { evidenceOf, principalsBySubject } from '../src/kinds/rbac/evidence.js';
import { fromEvidence, mergeAll } from '../src/kinds/findings.js';
import type { Evidence } from '../src/model/evidence.js';
import type { K8sEdge, Principal, Profile } from '../src/model/profile.js';
import { rng } from './helpers/cli.js';

const GROUPS = ['system:authenticated', 'system:serviceaccounts', 'devs', 'ops'];
const API_GROUPS = ['', 'apps', 'batch'];
const RESOURCES = ['pods', 'configmaps', 'secrets', 'deployments'];
const NAMES = ['', 'a', 'b', 'c', 'd'];
const VERBS = ['get', 'list', 'update', 'delete'];
const URLS = ['/healthz', '/healthz/ready', '/metrics', '/version'];
const NAMESPACES = ['', 'shop', 'pay'];

function world(seed: number) {
  const rand = rng(seed);
  const one = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let sample = 0;
  const evidence = (): Evidence => {
    const t = `2026-11-0${1 + Math.floor(rand() * 8)}T00:00:00.000000Z`;
    const n = 1 + Math.floor(rand() * 3);
    return {
      count: n,
      firstSeen: t,
      lastSeen: t,
      stages: { ResponseComplete: n },
      samples: [{ id: `e${sample++}`, time: t }],
    };
  };
  const edge = (): K8sEdge => {
    const url = rand() < 0.15;
    const e: K8sEdge = {
      verb: one(VERBS),
      apiGroup: url ? '' : one(API_GROUPS),
      resource: url ? '' : one(RESOURCES),
      subresource: url || rand() < 0.8 ? '' : 'status',
      namespace: url ? '' : one(NAMESPACES),
      name: url ? '' : one([...NAMES, '*']),
      nonResourceURL: url ? one([...URLS, '/healthz/live']) : '',
    };
    const r = rand();
    if (r < 0.7) e.allowed = evidence();
    else if (r < 0.8) e.undecided = evidence();
    else if (r < 0.9) e.denied = evidence();
    else {
      e.undecided = evidence();
      e.denied = evidence();
    }
    return e;
  };
  const principals: Principal[] = Array.from({ length: 2 + Math.floor(rand() * 8) }, (_, i) => ({
    subject: { kind: 'ServiceAccount', namespace: 'shop', name: `sa${i}` },
    username: `system:serviceaccount:shop:sa${i}`,
    groups: GROUPS.filter(() => rand() < 0.6),
    k8s: Array.from({ length: Math.floor(rand() * 12) }, edge),
  }));
  const profile = { principals } as unknown as Profile;
  const grant = (subject: string, subjectKind: string, verb: string): RbacGrant => {
    const url = rand() < 0.15;
    return {
      subject,
      subjectKind,
      namespace: url ? '' : one(NAMESPACES),
      apiGroup: url ? '' : rand() < 0.15 ? '*' : one(API_GROUPS),
      resource: url ? '' : rand() < 0.15 ? '*' : one(RESOURCES),
      subresource: url ? '' : one(['', '', 'status', '*']),
      // No name: any name. `*` and `""` are names as written (`""`: a request without one).
      name: url ? '' : rand() < 0.4 ? undefined : one([...NAMES, '*']),
      verb,
      nonResourceURL: url ? one([...URLS, '/healthz*', '/healthz**', '*']) : '',
      at: { file: 'f.yaml', line: 1 },
      rule: 'r',
    };
  };
  return { rand, one, profile, grant };
}

/**
 * RBAC's covering, written out: `*` matches any value but a name, a URL ending in `*`s is a prefix; a resource `*`
 * (subresource '') any resource and subresource, `*` with a subresource (`*\/status`) that subresource of any resource,
 * else resource and subresource exactly, as Kubernetes' ResourceMatches (`pods/*` is no wildcard).
 */
function coversRef(i: RbacGrant, e: K8sEdge): boolean {
  const w = (p: string, v: string) => p === '*' || p === v;
  if (!w(i.verb, e.verb)) return false;
  if (i.nonResourceURL)
    return (
      e.nonResourceURL !== '' &&
      (i.nonResourceURL === e.nonResourceURL ||
        (i.nonResourceURL.endsWith('*') && e.nonResourceURL.startsWith(i.nonResourceURL.replace(/\*+$/, ''))))
    );
  return (
    e.nonResourceURL === '' &&
    (i.namespace === '' || i.namespace === e.namespace) &&
    w(i.apiGroup, e.apiGroup) &&
    (i.resource === '*' && i.subresource === ''
      ? true
      : i.resource === '*'
        ? i.subresource === e.subresource
        : i.resource === e.resource && i.subresource === e.subresource) &&
    (i.name === undefined || i.name === e.name)
  );
}

function reference(profile: Profile, items: RbacGrant[]) {
  const g = items[0]!;
  const found: Evidence[] = [];
  for (const p of profile.principals) {
    // A principal is in the groups its requests carried; a service account whose requests carried none, in its own.
    const ns = /^system:serviceaccount:([^:]+):/.exec(p.username)?.[1];
    const own = ns ? ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${ns}`] : [];
    const groups = p.groups.length ? p.groups : own;
    if (p.username !== g.subject && !(g.subjectKind === 'Group' && groups.includes(g.subject))) continue;
    for (const e of p.k8s) {
      const ev = e.allowed ?? (e.denied ? undefined : e.undecided);
      if (ev && items.some((x) => coversRef(x, e))) found.push(ev);
    }
  }
  return fromEvidence(mergeAll(found));
}

describe('evidence of a group of RBAC grants', () => {
  it('is that of a walk over every principal, for groups and users, by resource or by rule', () => {
    let used = 0;
    let unused = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { rand, one, profile, grant } = world(seed);
      const by = principalsBySubject(profile);
      for (let q = 0; q < 12; q++) {
        const group = rand() < 0.75;
        const subject = group ? one(GROUPS) : one(profile.principals).username;
        const kind = group ? 'Group' : 'ServiceAccount';
        const n = 1 + Math.floor(rand() * 6);
        let items: RbacGrant[];
        if (rand() < 0.5) {
          // As `check` groups them: one verb, namespace, API group, resource and URL; names differ.
          const first = grant(subject, kind, one(VERBS));
          items = Array.from({ length: n }, () => ({
            ...first,
            name: first.nonResourceURL ? '' : one([undefined, '*', ...NAMES]),
          }));
        } else items = Array.from({ length: n }, () => grant(subject, kind, one([...VERBS, '*'])));
        const got = evidenceOf(by, items);
        expect(got, JSON.stringify({ items, principals: profile.principals })).toEqual(reference(profile, items));
        if (got.used) used++;
        else unused++;
      }
    }
    expect(used).toBeGreaterThan(700);
    expect(unused).toBeGreaterThan(700);
  });
});
