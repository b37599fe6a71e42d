import { describe, expect, it } from 'vitest';
import { generateRbac, type RbacOptions } from '../src/generate/rbac/index.js';
import type { K8sAccess } from '../src/model/access.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import { verifyRbac } from '../src/verify/rbac.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { rng } from './helpers/cli.js';

const USERS = [
  'system:serviceaccount:shop:web',
  'system:serviceaccount:ci:runner',
  'alice',
  'bob@example.com',
  'https://idp/x#y%z',
];
const NS = ['', 'shop', 'ci', 'payments'];
const RES: [string, string, string][] = [
  ['', 'pods', ''],
  ['', 'pods', 'exec'],
  ['', 'pods', 'log'],
  ['apps', 'deployments', ''],
  ['apps', 'deployments', 'scale'],
  ['', 'secrets', ''],
  ['', 'nodes', ''],
];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const URLS = ['/healthz', '/api', '/apis/apps/v1', '/metrics'];

function randomProfile(seed: number, groups: boolean) {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const b = new ProfileBuilder(
    new Scope({
      ...defaultScope(),
      subjectKinds: groups ? ['ServiceAccount', 'User', 'Group'] : ['ServiceAccount', 'User'],
    }),
  );
  for (let i = 0; i < 300; i++) {
    const nonResource = r() < 0.1;
    const [apiGroup, resource, subresource] = pick(RES);
    const verb = nonResource ? pick(['get', 'post']) : pick(VERBS);
    const access: K8sAccess = nonResource
      ? { verb, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', nonResourceURL: pick(URLS) }
      : {
          verb,
          apiGroup,
          resource,
          subresource,
          namespace: pick(NS),
          name: verb === 'create' || r() < 0.3 ? '' : `obj-${Math.floor(r() * 6)}`,
          nonResourceURL: '',
        };
    b.add({
      kind: 'k8s-request',
      username: pick(USERS),
      groups: [pick(['devs', 'ops']), 'system:authenticated'],
      access,
      decision: r() < 0.1 ? 'deny' : r() < 0.05 ? 'undecided' : 'allow',
      stage: 'ResponseComplete',
      time: '',
      id: `id-${i}`,
    });
  }
  return b.toProfile();
}

const WIDENINGS: [string, RbacOptions][] = [
  ['no widening', {}],
  ['--widen-names 1', { widenNames: 1 }],
  ['--widen-namespaces 1', { widenNamespaces: 1 }],
  ['--expand-verbs', { expandVerbs: true }],
  ['all widenings', { widenNames: 0, widenNamespaces: 0, expandVerbs: true }],
];

describe('generate → verify on random profiles (the evaluator shares no code with the generator)', () => {
  it.each(WIDENINGS)('every grantable access is allowed (%s)', (_name, opts) => {
    for (let seed = 1; seed <= 25; seed++) {
      const profile = randomProfile(seed, seed % 2 === 0);
      const { artefacts } = generateRbac(profile, opts);
      const docs = artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object })));
      const built = buildRbacPolicySet(docs);
      expect(built.issues).toEqual([]);
      const report = verifyRbac(profile, built.set);
      expect(report.notAllowed).toEqual([]);
      expect(report.undetermined).toEqual([]);
      expect(report.allowed).toBe(report.observed);
    }
  });

  it('without widening, nothing unobserved is allowed: every other verb, name and namespace is denied', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const profile = randomProfile(seed, false);
      const { artefacts } = generateRbac(profile);
      const set = buildRbacPolicySet(
        artefacts.flatMap((a) => a.objects.map((object, index) => ({ file: a.path, index, object }))),
      ).set;
      for (const p of profile.principals) {
        // The oracle, from the documented rules: per (verb, group, resource, namespace), the names seen.
        // get/update/patch/delete are restricted to the names seen unless a request named none;
        // other verbs (list, watch, create, deletecollection) cannot be restricted by name here.
        const seen = new Map<string, Set<string>>();
        for (const e of p.k8s.filter((x) => x.allowed || (x.undecided && !x.denied))) {
          const k = [e.verb, e.apiGroup, e.resource, e.subresource, e.namespace].join('|');
          seen.set(k, (seen.get(k) ?? new Set()).add(e.name));
        }
        // What was seen cluster-wide is granted by a ClusterRoleBinding, so in every namespace too.
        const allows = (req: Omit<RbacRequest, 'username' | 'groups'>, namespace: string) => {
          const names = seen.get([req.verb, req.apiGroup, req.resource, req.subresource, namespace].join('|'));
          if (!names) return false;
          if (!['get', 'update', 'patch', 'delete'].includes(req.verb)) return true;
          return names.has('') || (req.name !== '' && names.has(req.name));
        };
        // And create beside get on pods/exec (websocket-create: Kubernetes 1.35 checks both for a websocket), on the
        // names get has.
        const websocket = (req: Omit<RbacRequest, 'username' | 'groups'>) =>
          req.verb === 'create' && req.apiGroup === '' && req.resource === 'pods' && req.subresource === 'exec';
        const expected = (req: Omit<RbacRequest, 'username' | 'groups'>) =>
          allows(req, req.namespace) ||
          allows(req, '') ||
          (websocket(req) && (allows({ ...req, verb: 'get' }, req.namespace) || allows({ ...req, verb: 'get' }, '')))
            ? 'allow'
            : 'deny';
        for (const [apiGroup, resource, subresource] of RES) {
          for (const namespace of NS) {
            for (const verb of VERBS) {
              for (const name of ['', 'obj-0', 'obj-1', 'never-seen']) {
                const req = { verb, apiGroup, resource, subresource, namespace, name, nonResourceURL: '' };
                const decision = set.authorize({ ...req, username: p.username, groups: p.groups }).result;
                expect([`${p.username} ${JSON.stringify(req)}`, decision]).toEqual([
                  `${p.username} ${JSON.stringify(req)}`,
                  expected(req),
                ]);
              }
            }
          }
        }
      }
    }
  });
});
