// The checks the API server makes beyond a request, read from audit records (src/ingest/k8sAudit/checks.ts) and
// carried by the profile as implied edges (src/profile/edges.ts): bind on a binding's roleRef, escalate on a role
// written, impersonate for the impersonator. Records follow the documented audit.k8s.io/v1 Event shape.
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import type { RecordSkip } from '../src/model/network.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { grantableEdges, type Profile } from '../src/model/profile.js';
import { ProfileBuilder } from '../src/profile/builder.js';
import { serializeProfile } from '../src/profile/io.js';
import { legacyProfileText, profileOfText } from './helpers/profile.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { profileNameProblem } from '../src/profile/names.js';
import { profileSchemaProblem } from '../src/profile/schema.js';
import { defaultScope, Scope } from '../src/profile/scope.js';

const RBAC = 'rbac.authorization.k8s.io';
const OP = {
  username: 'system:serviceaccount:tenancy:tenant-operator',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:tenancy', 'system:authenticated'],
};
const ALLOW = { 'authorization.k8s.io/decision': 'allow' };
const binding = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'RoleBinding',
  apiVersion: `${RBAC}/v1`,
  metadata: { name: 'b', namespace: 'tenant-a' },
  subjects: [{ kind: 'Group', apiGroup: RBAC, name: 'tenant-a-admins' }],
  roleRef: { apiGroup: RBAC, kind, name, ...extra },
});

let n = 0;
/** A create of a RoleBinding in tenant-a by the operator, answered 201, with `over` applied. */
function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  n++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: `id-${String(n).padStart(4, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/apis/${RBAC}/v1/namespaces/tenant-a/rolebindings`,
    verb: 'create',
    user: OP,
    objectRef: { resource: 'rolebindings', namespace: 'tenant-a', name: 'b', apiGroup: RBAC, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: binding('ClusterRole', 'admin'),
    requestReceivedTimestamp: `2026-11-10T09:00:${String(n % 60).padStart(2, '0')}.000000Z`,
    annotations: ALLOW,
    ...over,
  };
}

function decode(v: unknown): K8sRequestObservation | InputIssue | RecordSkip {
  const out: (K8sRequestObservation | InputIssue | RecordSkip)[] = [];
  decodeValue(v, { file: 'audit.log', line: 3 }, (x) => out.push(x));
  expect(out).toHaveLength(1);
  return out[0]!;
}

/** The implied checks of a record as `verb resource[/sub] name @namespace decision`. */
function checks(v: unknown): string[] | string {
  const o = decode(v);
  if (o.kind === 'issue') return `${o.code}: ${o.message}`;
  if (o.kind === 'skip') return `skip: ${o.reason}`;
  return (o.implied ?? []).map(
    (c) =>
      `${c.access.verb} ${c.access.apiGroup ? c.access.apiGroup + '/' : ''}${c.access.resource}${c.access.subresource ? '/' + c.access.subresource : ''} ${c.access.name || '-'} @${c.access.namespace || '-'} ${c.decision}${c.role ? ' role=' + c.role : ''}`,
  );
}

describe('bind: a binding write checks bind on the role its roleRef names', () => {
  it.each([
    ['a RoleBinding to a ClusterRole, from the request body', {}, [`bind ${RBAC}/clusterroles admin @tenant-a allow`]],
    [
      'the stored object (responseObject) over the request body',
      { responseObject: binding('ClusterRole', 'edit') },
      [`bind ${RBAC}/clusterroles edit @tenant-a allow`],
    ],
    [
      'a RoleBinding to a Role of its namespace',
      { requestObject: binding('Role', 'quota-reader') },
      [`bind ${RBAC}/roles quota-reader @tenant-a allow`],
    ],
    [
      'a ClusterRoleBinding: checked cluster-wide',
      {
        requestURI: `/apis/${RBAC}/v1/clusterrolebindings`,
        objectRef: { resource: 'clusterrolebindings', name: 'b', apiGroup: RBAC, apiVersion: 'v1' },
      },
      [`bind ${RBAC}/clusterroles admin @- allow`],
    ],
    [
      'an update and a patch too',
      { verb: 'update', requestURI: `/apis/${RBAC}/v1/namespaces/tenant-a/rolebindings/b` },
      [`bind ${RBAC}/clusterroles admin @tenant-a allow`],
    ],
    [
      'refused after authorization (403 with an allow decision): a denied check',
      { responseStatus: { code: 403 } },
      [`bind ${RBAC}/clusterroles admin @tenant-a deny`],
    ],
    ['not authorized at all: no check ran', { annotations: {}, responseStatus: { code: 403 } }, []],
    ['another error (the check may not have run): nothing', { responseStatus: { code: 404 } }, []],
    ['a member of system:masters skips the check', { user: { ...OP, groups: ['system:masters'] } }, []],
    ['a delete checks nothing', { verb: 'delete' }, []],
    ['a read checks nothing', { verb: 'get' }, []],
    ['roleRef name with a wildcard: an issue', { requestObject: binding('ClusterRole', '*') }, /^k8s\.bad-name/],
    ['an empty roleRef name: an issue', { requestObject: binding('ClusterRole', '') }, /^k8s\.bad-name/],
  ])('%s', (_n, over, want) => {
    const got = checks(event(over));
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toEqual(want);
  });

  it.each([
    ['at Metadata level (no body)', { level: 'Metadata', requestObject: undefined }],
    ['a roleRef of another kind', { requestObject: binding('Group', 'admin') }],
    ['a roleRef of another group', { requestObject: binding('ClusterRole', 'admin', { apiGroup: 'example.com' }) }],
    [
      'a ClusterRoleBinding naming a Role',
      {
        requestObject: binding('Role', 'r'),
        objectRef: { resource: 'clusterrolebindings', name: 'b', apiGroup: RBAC, apiVersion: 'v1' },
      },
    ],
  ])('roleRef unknown %s: flagged, never guessed', (_n, over) => {
    const o = decode(event(over)) as K8sRequestObservation;
    expect(o.implied).toBeUndefined();
    expect(o.roleRefUnknown).toBe(true);
  });

  it('a RequestReceived record never carries the body: neither a check nor a flag', () => {
    const o = decode(
      event({ stage: 'RequestReceived', responseStatus: undefined, annotations: undefined, requestObject: undefined }),
    ) as K8sRequestObservation;
    expect(o.implied).toBeUndefined();
    expect(o.roleRefUnknown).toBeUndefined();
  });
});

describe('escalate: a role write checks escalate on it, with the request name', () => {
  const roleEvent = (verb: string, name: string, over: Record<string, unknown> = {}) =>
    event({
      verb,
      requestURI: `/apis/${RBAC}/v1/namespaces/tenant-a/roles${verb === 'create' ? '' : '/' + name}`,
      objectRef: { resource: 'roles', namespace: 'tenant-a', name, apiGroup: RBAC, apiVersion: 'v1' },
      requestObject: undefined,
      ...over,
    });
  it('a create is checked without a name (a create names its object only in the body)', () =>
    expect(checks(roleEvent('create', 'quota-reader'))).toEqual([
      `escalate ${RBAC}/roles - @tenant-a allow role=quota-reader`,
    ]));
  it('a patch is checked on its role', () =>
    expect(checks(roleEvent('patch', 'quota-reader'))).toEqual([
      `escalate ${RBAC}/roles quota-reader @tenant-a allow role=quota-reader`,
    ]));
  it('a ClusterRole create', () =>
    expect(
      checks(
        roleEvent('create', 'x', {
          objectRef: { resource: 'clusterroles', name: 'x', apiGroup: RBAC, apiVersion: 'v1' },
        }),
      ),
    ).toEqual([`escalate ${RBAC}/clusterroles - @- allow role=x`]));
  it('a role named only in the body', () =>
    expect(
      checks(
        roleEvent('create', 'x', {
          objectRef: { resource: 'roles', namespace: 'tenant-a', apiGroup: RBAC, apiVersion: 'v1' },
          requestObject: { kind: 'Role', metadata: { name: 'from-body' } },
        }),
      ),
    ).toEqual([`escalate ${RBAC}/roles - @tenant-a allow role=from-body`]));
});

describe('impersonation: the impersonator needs impersonate on each attribute it asked for', () => {
  const CI = { username: 'ci-bot', groups: ['ci', 'system:authenticated'] };
  const imp = (impersonatedUser: Record<string, unknown>) =>
    event({
      verb: 'get',
      user: CI,
      impersonatedUser,
      requestURI: '/apis/apps/v1/namespaces/apps/deployments/web',
      objectRef: { resource: 'deployments', namespace: 'apps', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      responseStatus: { code: 200 },
    });
  const SA = 'system:serviceaccount:apps:deployer';
  it.each([
    [
      'a service account with the groups the API server gives it: the service account only',
      { username: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'] },
      ['impersonate serviceaccounts deployer @apps allow'],
    ],
    [
      'a service account with groups of its own: those groups too',
      { username: SA, groups: ['deployers', 'system:authenticated'] },
      ['impersonate serviceaccounts deployer @apps allow', 'impersonate groups deployers @- allow'],
    ],
    [
      'a user with a group, a uid and extras (system:authenticated is added by the API server)',
      {
        username: 'jane@example.com',
        uid: 'u-1',
        groups: ['system:authenticated', 'developers'],
        extra: { scopes: ['view', 'development'], 'acme.com/project': ['p'] },
      },
      [
        'impersonate users jane@example.com @- allow',
        'impersonate groups developers @- allow',
        'impersonate authentication.k8s.io/uids u-1 @- allow',
        'impersonate authentication.k8s.io/userextras/acme.com/project p @- allow',
        'impersonate authentication.k8s.io/userextras/scopes development @- allow',
        'impersonate authentication.k8s.io/userextras/scopes view @- allow',
      ],
    ],
    [
      'system:anonymous: system:unauthenticated is added for it',
      { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      ['impersonate users system:anonymous @- allow'],
    ],
    ['a group named with a wildcard: an issue', { username: 'x', groups: ['*'] }, /^k8s\.bad-name/],
    ['an extra that is not a map of lists: an issue', { username: 'x', extra: { a: 'b' } }, /^k8s\.bad-type/],
    ['a uid that is not a string: an issue', { username: 'x', uid: 7 }, /^k8s\.bad-type/],
  ])('%s', (_n, who, want) => {
    const got = checks(imp(who));
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toEqual(want);
  });

  it('the request is the impersonated user’s; the impersonator is kept beside it', () => {
    const o = decode(imp({ username: SA, groups: [] })) as K8sRequestObservation;
    expect(o.username).toBe(SA);
    expect(o.impersonator).toEqual(CI);
  });

  it('allowed even when the request itself was then denied: impersonatedUser is logged only once impersonation passed', () =>
    expect(checks({ ...imp({ username: SA, groups: [] }), annotations: {}, responseStatus: { code: 403 } })).toEqual([
      'impersonate serviceaccounts deployer @apps allow',
    ]));
});

// ---- profile ---------------------------------------------------------------------------------------------------

function profileOf(events: unknown[]): Profile {
  const b = new ProfileBuilder(new Scope(defaultScope()));
  for (const e of events) {
    const o = decode(e);
    if (o.kind === 'issue') throw new Error(o.message);
    b.add(o);
  }
  return b.toProfile();
}

const impEvents = () => [
  event({
    verb: 'get',
    user: { username: 'ci-bot', groups: ['ci'] },
    impersonatedUser: { username: 'system:serviceaccount:apps:deployer', groups: [] },
    requestURI: '/apis/apps/v1/namespaces/apps/deployments/web',
    objectRef: { resource: 'deployments', namespace: 'apps', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
    responseStatus: { code: 200 },
  }),
  event(),
  event({ responseStatus: { code: 403 }, requestObject: binding('ClusterRole', 'cluster-admin') }),
  event({
    level: 'Metadata',
    requestObject: undefined,
    requestURI: `/apis/${RBAC}/v1/namespaces/tenant-c/rolebindings`,
    objectRef: { resource: 'rolebindings', namespace: 'tenant-c', name: 'b', apiGroup: RBAC, apiVersion: 'v1' },
  }),
];

describe('implied edges in the profile', () => {
  it('sit on the subject that needs them, with the requests behind them, and pass the profile checks', async () => {
    const p = profileOf(impEvents());
    const ci = p.principals.find((x) => x.username === 'ci-bot')!;
    expect(ci.k8s).toHaveLength(1);
    expect(ci.k8s[0]).toMatchObject({
      verb: 'impersonate',
      resource: 'serviceaccounts',
      namespace: 'apps',
      name: 'deployer',
      implied: [
        { request: { verb: 'get', resource: 'deployments', name: 'web' }, as: 'system:serviceaccount:apps:deployer' },
      ],
    });
    expect(ci.groups).toEqual(['ci']);
    const deployer = p.principals.find((x) => x.username === 'system:serviceaccount:apps:deployer')!;
    expect(deployer.k8s.map((e) => `${e.verb} ${e.resource}`)).toEqual(['get deployments']);
    const op = p.principals.find((x) => x.username === OP.username)!;
    const binds = op.k8s.filter((e) => e.verb === 'bind');
    expect(binds.map((e) => [e.name, !!e.allowed, !!e.denied])).toEqual([
      ['admin', true, false],
      ['cluster-admin', false, true],
    ]);
    expect(op.k8s.find((e) => e.namespace === 'tenant-c')).toMatchObject({ verb: 'create', roleRefUnknown: true });
    // The reader checks every line (schema, names); the v1alpha1 document of it passes the same checks.
    expect(serializeProfile(await profileOfText(serializeProfile(p)))).toBe(serializeProfile(p));
    const json = JSON.parse(legacyProfileText(p));
    expect(profileSchemaProblem(json)).toBeUndefined();
    expect(profileNameProblem(json)).toBeUndefined();
  });

  it('merge exactly: any split of the records merges to the bytes of the whole', () => {
    const events = [...impEvents(), ...impEvents()];
    const whole = serializeProfile(profileOf(events));
    for (let cut = 0; cut <= events.length; cut++) {
      const parts = [profileOf(events.slice(0, cut)), profileOf(events.slice(cut))];
      expect(serializeProfile({ ...mergeProfiles(parts.reverse()), sources: [] })).toBe(whole);
    }
  });

  it("an impersonator's RequestReceived record (logged before the switch of user) grants nothing of its own", () => {
    const rr = event({
      stage: 'RequestReceived',
      verb: 'get',
      user: { username: 'ci-bot', groups: ['ci'] },
      requestURI: '/apis/apps/v1/namespaces/apps/deployments/web',
      objectRef: { resource: 'deployments', namespace: 'apps', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      responseStatus: undefined,
      annotations: undefined,
    });
    const p = profileOf([rr, impEvents()[0]!]);
    const ci = p.principals.find((x) => x.username === 'ci-bot')!;
    expect(ci.k8s.map((e) => e.verb).sort()).toEqual(['get', 'impersonate']);
    expect(grantableEdges(ci).map((e) => e.verb)).toEqual(['impersonate']);
    // Alone (no impersonation seen), the same record is taken as the impersonator's own request.
    expect(grantableEdges(profileOf([rr]).principals[0]!).map((e) => e.verb)).toEqual(['get']);
  });

  it('a profile file cannot smuggle a wildcard or a path through an implied name', () => {
    const p = JSON.parse(legacyProfileText(profileOf(impEvents())));
    const ci = p.principals.find((x: { username: string }) => x.username === 'ci-bot');
    ci.k8s[0].implied[0].as = 'bad\u0000name';
    expect(profileNameProblem(p)).toMatch(/implied\[0\]\.as/);
    ci.k8s[0].implied[0].as = 'system:serviceaccount:apps:deployer';
    ci.k8s[0].resource = 'users';
    ci.k8s[0].namespace = '';
    ci.k8s[0].name = '*';
    expect(profileNameProblem(p)).toMatch(/holds \*/);
    ci.k8s[0].name = 'CN=Jane Doe/OU=ops';
    // A user's name is any text without `*`, and the check on it is implied by requests made as that user.
    expect(profileNameProblem(p)).toMatch(/implied\[0\]\.as .* is not the identity the check is on/);
    ci.k8s[0].implied[0].as = 'CN=Jane Doe/OU=ops';
    expect(profileNameProblem(p)).toBeUndefined();
  });
});
