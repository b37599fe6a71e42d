// The RBAC evaluator judges exactly the user and groups a request carries: a username that reads as a service
// account (`system:serviceaccount:NS:N`) gains no group there. The requests are built with their groups: `verify`
// and `check` with those the audit records carried (a service account's own when they carried none), `diff` with the
// groups a service account's token gives (system:serviceaccounts, system:serviceaccounts:NS, system:authenticated).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDoc } from '../src/policy/load.js';
import { k8sRequester, subjectFromUsername } from '../src/model/subject.js';
import { buildRbacPolicySet } from '../src/verify/rbac/policySet.js';
import type { RbacRequest } from '../src/verify/rbac/types.js';
import { cli, tmp } from './helpers/cli.js';

const V1 = 'rbac.authorization.k8s.io/v1';
const SA = 'system:serviceaccount:ns:sa';

const reader = (ns: string) => ({
  apiVersion: V1,
  kind: 'Role',
  metadata: { name: 'reader', namespace: ns },
  rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
});
const binding = (ns: string, name: string, subject: Record<string, string>) => ({
  apiVersion: V1,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
  subjects: [subject],
});
const group = (name: string) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

const get = (over: Partial<RbacRequest>): RbacRequest => ({
  username: SA,
  groups: [],
  verb: 'get',
  apiGroup: '',
  resource: 'configmaps',
  subresource: '',
  namespace: 'ns',
  name: 'app',
  nonResourceURL: '',
  ...over,
});

describe('the RBAC evaluator takes the groups it is given', () => {
  const docs: PolicyDoc[] = [
    reader('ns'),
    binding('ns', 'all-sas', group('system:serviceaccounts')),
    binding('ns', 'ns-sas', group('system:serviceaccounts:ns')),
    binding('ns', 'everyone', group('system:authenticated')),
  ].map((object, index) => ({ file: 'p.yaml', index, object }));
  const { set } = buildRbacPolicySet(docs);

  it('a service-account username with groups [] matches no binding to a group', () => {
    expect(set.authorize(get({})).result).toBe('deny');
    expect(set.admit(get({})).result).toBe('deny');
    expect(set.rulesFor({ username: SA, groups: [] }, 'ns').rules).toEqual([]);
  });

  it('each of its groups, given, matches its binding', () => {
    for (const [g, name] of [
      ['system:serviceaccounts', 'all-sas'],
      ['system:serviceaccounts:ns', 'ns-sas'],
      ['system:authenticated', 'everyone'],
    ] as const) {
      const d = set.authorize(get({ groups: [g] }));
      expect(d.result === 'allow' && d.grantedBy.bindingName, g).toBe(name);
    }
  });

  it('the request builders’ helper gives a service account its token’s groups, and keeps recorded ones exactly', () => {
    const sa = subjectFromUsername(SA);
    expect(k8sRequester(sa, SA)).toEqual({
      username: SA,
      groups: ['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:ns'],
    });
    expect(set.authorize(get(k8sRequester(sa, SA))).result).toBe('allow');
    expect(k8sRequester(sa, SA, ['team'])).toEqual({ username: SA, groups: ['team'] });
    expect(k8sRequester(subjectFromUsername('alice'), 'alice')).toEqual({ username: 'alice', groups: [] });
    expect(k8sRequester({ kind: 'Group', name: 'devs' }, 'devs')).toEqual({ username: '', groups: ['devs'] });
  });
});

/** A directory holding the given objects as one YAML stream (JSON documents). */
function policyDir(objects: unknown[]): string {
  const dir = join(tmp(), 'rbac');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'p.yaml'), objects.map((o) => JSON.stringify(o)).join('\n---\n') + '\n');
  return dir;
}

describe('diff of a service-account subject against bindings to its groups (CLI)', () => {
  const old = policyDir([
    reader('shop'),
    binding('shop', 'web', { kind: 'ServiceAccount', name: 'web', namespace: 'shop' }),
  ]);
  const diff = (to: string) => {
    const r = cli(['diff', old, to, '--format', 'json', '-q']);
    return { ...r, out: JSON.parse(r.stdout) as { removedAccess: { principal: string }[] } };
  };

  it('a RoleBinding of the service account replaced by one of system:serviceaccounts:shop removes nothing', () => {
    const r = diff(policyDir([reader('shop'), binding('shop', 'sas', group('system:serviceaccounts:shop'))]));
    expect(r.out.removedAccess, r.stderr).toEqual([]);
  });

  it('…nor by one of system:serviceaccounts', () => {
    const r = diff(policyDir([reader('shop'), binding('shop', 'sas', group('system:serviceaccounts'))]));
    expect(r.out.removedAccess, r.stderr).toEqual([]);
  });

  it('…but replaced by another namespace’s group it is removed', () => {
    const r = diff(policyDir([reader('shop'), binding('shop', 'sas', group('system:serviceaccounts:ops'))]));
    expect(r.out.removedAccess.map((f) => f.principal)).toEqual(['system:serviceaccount:shop:web']);
  });
});

describe('check of a service account against a binding to its namespace’s group (CLI)', () => {
  const policy = policyDir([reader('shop'), binding('shop', 'sas', group('system:serviceaccounts:shop'))]);
  /** One allowed `get configmaps app` of shop/web, its record carrying `groups` (no user.groups when undefined). */
  const log = (groups: string[] | undefined) => {
    const user: Record<string, unknown> = { username: 'system:serviceaccount:shop:web' };
    if (groups) user['groups'] = groups;
    const rec = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '6b1d7a8e-0c57-4a8e-9d1e-2f4b8e0c0001',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/configmaps/app',
      verb: 'get',
      user,
      objectRef: { resource: 'configmaps', namespace: 'shop', name: 'app', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: '2026-11-09T00:00:01.000000Z',
      stageTimestamp: '2026-11-09T00:00:01.010000Z',
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    };
    const f = join(tmp(), 'audit.log');
    writeFileSync(f, JSON.stringify(rec) + '\n');
    return f;
  };
  const check = (f: string) => {
    const r = cli(['check', '--policies', policy, '--k8s-audit', f, '--format', 'json', '-q']);
    return { ...r, out: JSON.parse(r.stdout) as { wouldDeny: { principal: string }[]; unused: unknown[] } };
  };

  it('its records carrying the groups its token gives: allowed, and the grant is used', () => {
    const r = check(log(['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.wouldDeny).toEqual([]);
    expect(r.out.unused).toEqual([]);
  });

  it('its records carrying no groups: judged with its own, allowed, and the grant is used', () => {
    const r = check(log(undefined));
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.wouldDeny).toEqual([]);
    expect(r.out.unused).toEqual([]);
  });

  it('its records carrying other groups: exactly those, so the binding to system:serviceaccounts:shop does not apply', () => {
    const r = check(log(['system:authenticated', 'team']));
    expect(r.code).toBe(1);
    expect(r.out.wouldDeny.map((f) => f.principal)).toEqual(['system:serviceaccount:shop:web']);
  });
});
