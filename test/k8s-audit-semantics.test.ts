// What an audit record says about authorization, as the API server decides it: a 429 answered before authorization
// (max-in-flight, priority and fairness: k8s.io/apiserver pkg/server/config.go DefaultBuildHandlerChain) grants
// nothing; a non-resource URL is authorized on its decoded path; a patch that only changes finalizers or
// ownerReferences of an RBAC object makes no bind or escalate check (rbacregistry.IsOnlyMutatingGCFields); a
// websocket exec, attach or port-forward (logged as get) also needs create from Kubernetes 1.35
// (AuthorizePodWebsocketUpgradeCreatePermission). Records follow the audit.k8s.io/v1 Event shape.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import type { InputIssue } from '../src/model/issue.js';
import type { RecordSkip } from '../src/model/network.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { cli, tmp } from './helpers/cli.js';
import { mdRead } from './helpers/markdown.js';

const RBAC = 'rbac.authorization.k8s.io';
const ALLOW = { 'authorization.k8s.io/decision': 'allow' };
const WEB = {
  username: 'system:serviceaccount:shop:web',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
};

let n = 0;
function event(over: Record<string, unknown>): Record<string, unknown> {
  n++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${String(n).padStart(4, '0')}`,
    stage: 'ResponseComplete',
    user: WEB,
    requestReceivedTimestamp: `2026-11-02T08:00:${String(n % 60).padStart(2, '0')}.000000Z`,
    ...over,
  };
}

function decode(v: unknown): (K8sRequestObservation | InputIssue | RecordSkip)[] {
  const out: (K8sRequestObservation | InputIssue | RecordSkip)[] = [];
  decodeValue(v, { file: 'audit.log', line: 3 }, (x) => out.push(x));
  return out;
}

function log(events: Record<string, unknown>[]): string {
  const file = join(tmp('a2p-semantics-'), 'audit.log');
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

type Rule = { resources?: string[]; nonResourceURLs?: string[]; resourceNames?: string[]; verbs: string[] };
/** The `skipped` counts of the profile `profile` writes from `file` (its header line). */
function skipped(file: string, extra: string[] = []): Record<string, number> {
  const out = join(tmp('a2p-semantics-'), 'profile.json');
  const r = cli(['profile', '--k8s-audit', file, ...extra, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!) as { skipped: Record<string, number> }).skipped;
}

const rulesOf = (yaml: string): Rule[] => (loadAll(yaml) as { rules?: Rule[] }[]).flatMap((d) => d.rules ?? []);

const getSecret = (over: Record<string, unknown>) =>
  event({
    verb: 'get',
    requestURI: '/api/v1/namespaces/shop/secrets/db-root',
    objectRef: { resource: 'secrets', namespace: 'shop', name: 'db-root', apiVersion: 'v1' },
    ...over,
  });
const tooMany = {
  metadata: {},
  status: 'Failure',
  message: 'Too many requests, please try again later.',
  reason: 'TooManyRequests',
  code: 429,
};

describe('a request answered before authorization', () => {
  it('is neither granted nor denied, and counted as left out', () => {
    const file = log([getSecret({ responseStatus: tooMany })]);
    const r = cli(['generate', 'rbac', '--k8s-audit', file]);
    // Nothing granted, so nothing to generate: exit 2, no policy.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: nothing to generate: the profile holds no Kubernetes API requests in scope');
    expect(rulesOf(r.stdout)).toEqual([]);
    expect(r.stderr).toContain('left out of scope: before-authorization 1');
    expect(skipped(file)).toEqual({ 'before-authorization': 1 });
  });

  it('on GKE: RESOURCE_EXHAUSTED (gRPC 8) with no authorizationInfo is the same 429; with a grant it passed', () => {
    const entry = (id: string, extra: Record<string, unknown>) => ({
      insertId: id,
      timestamp: '2026-11-02T08:00:00.123456Z',
      operation: { id, producer: 'k8s.io', first: true, last: true },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        serviceName: 'k8s.io',
        methodName: 'io.k8s.core.v1.secrets.get',
        resourceName: 'core/v1/namespaces/shop/secrets/db-root',
        authenticationInfo: { principalEmail: 'system:serviceaccount:shop:web' },
        status: { code: 8, message: 'Too many requests, please try again later.' },
        ...extra,
      },
    });
    const refused = log([entry('op-1', {})]);
    const r = cli(['generate', 'rbac', '--k8s-audit', refused]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: nothing to generate: ');
    expect(rulesOf(r.stdout)).toEqual([]);
    expect(r.stderr).toContain('left out of scope: before-authorization 1');
    // authorizationInfo says the authorizer ran and granted it: the 429 came after (an eviction's budget).
    const granted = { permission: 'io.k8s.core.v1.secrets.get', granted: true };
    const after = log([entry('op-2', { authorizationInfo: [granted] })]);
    const g = cli(['generate', 'rbac', '--k8s-audit', after]);
    expect(g.code, g.stderr).toBe(0);
    expect(rulesOf(g.stdout)).toEqual([
      expect.objectContaining({ resources: ['secrets'], resourceNames: ['db-root'], verbs: ['get'] }),
    ]);
  });

  it('is counted under its subject scope reason when the subject is out of scope', () => {
    const file = log([getSecret({ responseStatus: tooMany })]);
    expect(skipped(file, ['--exclude-subject', 'system:serviceaccount:shop:*'])).toEqual({ 'subject-filter': 1 });
  });

  it('follows the decision annotation when there is one (an eviction refused by a disruption budget: 429 after authorization)', () => {
    const [o] = decode(
      event({
        verb: 'create',
        requestURI: '/api/v1/namespaces/shop/pods/web-0/eviction',
        objectRef: { resource: 'pods', namespace: 'shop', name: 'web-0', subresource: 'eviction', apiVersion: 'v1' },
        responseStatus: { ...tooMany, message: 'Cannot evict pod as it would violate the pod disruption budget.' },
        annotations: ALLOW,
      }),
    ) as K8sRequestObservation[];
    expect(o!.decision).toBe('allow');
  });

  it('keeps 401 and 403 as denials and other codes as past authorization', () => {
    const codes = [401, 403, 404, 409, 500].map(
      (code) => (decode(getSecret({ responseStatus: { code } }))[0] as K8sRequestObservation).decision,
    );
    expect(codes).toEqual(['deny', 'deny', 'allow', 'allow', 'allow']);
  });
});

// kube-apiserver logs a request whose credentials it did not accept (an expired token, a scanner) with no user and a
// 401 (k8s.io/apiserver filters.WithFailedAuthenticationAudit: one ResponseStarted record, "Unauthorized"). Such a
// record was an input issue, so verify and check (--on-error fail) refused any log holding one.
describe('a request whose credentials were not accepted', () => {
  const unauthenticated = (over: Record<string, unknown> = {}) =>
    event({
      verb: 'list',
      stage: 'ResponseStarted',
      user: {},
      requestURI: '/api/v1/namespaces/shop/secrets',
      objectRef: { resource: 'secrets', namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
      ...over,
    });

  it('grants and denies nothing, is counted as an authentication failure, and stops no command', () => {
    expect(decode(unauthenticated())).toEqual([{ kind: 'skip', reason: 'authentication-failure' }]);
    const allowed = getSecret({ responseStatus: { metadata: {}, code: 200 }, annotations: ALLOW });
    const file = log([allowed, unauthenticated(), unauthenticated({ user: { username: '' } })]);
    expect(skipped(file)).toEqual({ 'authentication-failure': 2 });
    const out = tmp('a2p-unauth-');
    const g = cli(['generate', 'rbac', '--k8s-audit', file, '-o', out, '-q']);
    expect(g.code, g.stderr).toBe(0);
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', file, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { observed: number }).observed).toBe(1);
  });

  it('a record with no user and another code is still no audit Event', () => {
    for (const code of [200, 403])
      expect(decode(unauthenticated({ responseStatus: { metadata: {}, code } })), String(code)).toEqual([
        expect.objectContaining({ kind: 'issue', code: 'k8s.not-an-event' }),
      ]);
  });
});

describe('a non-resource URL', () => {
  const url = (requestURI: string) =>
    event({
      verb: 'get',
      requestURI,
      user: { username: 'alice', groups: ['system:authenticated'] },
      annotations: ALLOW,
    });

  it('is granted on its decoded path, which the authorizer matches', () => {
    const file = log([url('/logs/kube%20apiserver.log'), url('/logs/caf%C3%A9.log?tail=10')]);
    const r = cli(['generate', 'rbac', '--k8s-audit', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(rulesOf(r.stdout)).toEqual([
      { nonResourceURLs: ['/logs/café.log'], verbs: ['get'] },
      { nonResourceURLs: ['/logs/kube apiserver.log'], verbs: ['get'] },
    ]);
  });

  it('with a malformed escape, or one that decodes to a wildcard or a control character, is an input issue at its line', () => {
    for (const [uri, what] of [
      ['/logs/a%zz.log', 'malformed'],
      ['/logs/%ff', 'malformed'],
      ['/logs/%2A', 'holds *'],
      ['/logs/a%0Ab', 'control'],
    ]) {
      const [i] = decode(url(uri!)) as InputIssue[];
      expect(i).toMatchObject({ kind: 'issue', code: 'k8s.bad-name', file: 'audit.log', line: 3 });
      expect(i!.message).toContain(what);
    }
  });
});

describe('a write of an RBAC object that changes only what the garbage collector changes', () => {
  const stored = {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'admins', namespace: 'shop', finalizers: ['example.com/cleanup'] },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'User', apiGroup: RBAC, name: 'root-ish' }],
  };
  const write = (verb: string, requestObject: unknown, level = 'RequestResponse') =>
    event({
      level,
      verb,
      requestURI: `/apis/${RBAC}/v1/namespaces/shop/rolebindings/admins`,
      objectRef: { resource: 'rolebindings', namespace: 'shop', name: 'admins', apiGroup: RBAC, apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
      annotations: ALLOW,
      ...(requestObject === undefined ? {} : { requestObject }),
      ...(level === 'RequestResponse' ? { responseObject: stored } : {}),
    });
  const implied = (e: Record<string, unknown>) => {
    const o = decode(e)[0] as K8sRequestObservation;
    return { implied: (o.implied ?? []).map((c) => `${c.access.verb} ${c.access.name}`), unknown: !!o.roleRefUnknown };
  };

  it('needs no bind: merge, strategic and JSON patches touching only finalizers or ownerReferences', () => {
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u-1' };
    for (const body of [
      { metadata: { finalizers: ['example.com/cleanup'] } },
      { metadata: { ownerReferences: [owner], uid: 'b-1' } },
      { metadata: { '$setElementOrder/finalizers': ['a'], finalizers: ['a'] } },
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '7' },
        { op: 'remove', path: '/metadata/finalizers/0' },
      ],
    ])
      expect(implied(write('patch', JSON.parse(JSON.stringify(body)) as unknown)), JSON.stringify(body)).toEqual({
        implied: [],
        unknown: false,
      });
  });

  it('keeps the bind check when the body changes anything else, or does not show it', () => {
    const bind = { implied: ['bind cluster-admin'], unknown: false };
    expect(implied(write('patch', { metadata: { finalizers: ['x'], labels: { a: 'b' } } }))).toEqual(bind);
    expect(implied(write('patch', { metadata: { finalizers: ['x'] }, subjects: [] }))).toEqual(bind);
    expect(implied(write('patch', [{ op: 'add', path: '/subjects/-', value: { kind: 'User', name: 'x' } }]))).toEqual(
      bind,
    );
    // A server-side apply body names apiVersion and kind; a $patch directive may replace the whole object.
    expect(
      implied(write('patch', { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { finalizers: [] } })),
    ).toEqual(bind);
    expect(implied(write('patch', { $patch: 'replace', metadata: { finalizers: [] } }))).toEqual(bind);
    // An update: the object it replaced is not logged, so nothing proves only GC fields changed.
    expect(implied(write('update', stored))).toEqual(bind);
    // Metadata level: no body, so the roleRef is unknown as before.
    expect(implied(write('patch', undefined, 'Metadata'))).toEqual({ implied: [], unknown: true });
  });

  it('gets no bind rule from generate rbac', () => {
    const file = log([write('patch', { metadata: { finalizers: ['example.com/cleanup'] } })]);
    const r = cli(['generate', 'rbac', '--k8s-audit', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(rulesOf(r.stdout)).toEqual([
      { apiGroups: [RBAC], resources: ['rolebindings'], resourceNames: ['admins'], verbs: ['patch'] },
    ]);
  });
});

// The RBAC storage (pkg/registry/rbac/*/policybased) makes its escalate or bind check after the authorizer and before
// the store: an authorized write answered 409 (AlreadyExists on a create, Conflict on a stale resourceVersion), 422 or
// a webhook's 500 may have failed before or after it, so its records show no check (checks.ts). A controller that
// re-creates its Role on every start logs exactly that. `generate` grants no escalate or bind for it; `verify` must not
// then deny the write for the check nothing in the soak showed passing (found by the profile fuzzer's rich base).
describe('an RBAC write authorized, then failed with another code than 401 or 403', () => {
  const web = WEB.username;
  const roles = (verb: string, code: number, name?: string) =>
    event({
      verb,
      requestURI: `/apis/${RBAC}/v1/namespaces/shop/roles${name ? `/${name}` : ''}`,
      objectRef: { resource: 'roles', namespace: 'shop', apiGroup: RBAC, apiVersion: 'v1', ...(name ? { name } : {}) },
      responseStatus: {
        metadata: {},
        code,
        ...(code === 409 ? { status: 'Failure', reason: verb === 'create' ? 'AlreadyExists' : 'Conflict' } : {}),
      },
      annotations: ALLOW,
    });
  const binding = (code: number) =>
    event({
      level: 'Request',
      verb: 'create',
      requestURI: `/apis/${RBAC}/v1/namespaces/shop/rolebindings`,
      objectRef: { resource: 'rolebindings', namespace: 'shop', apiGroup: RBAC, apiVersion: 'v1' },
      requestObject: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'web-view', namespace: 'shop' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
      },
      responseStatus: { metadata: {}, code },
      annotations: ALLOW,
    });
  const createOnly = (dir: string) =>
    writeFileSync(
      join(dir, 'role.yaml'),
      [
        `apiVersion: ${RBAC}/v1\nkind: Role\nmetadata: {name: writer, namespace: shop}\nrules:\n- apiGroups: [${RBAC}]\n  resources: [roles, rolebindings]\n  verbs: [create, update]`,
        `apiVersion: ${RBAC}/v1\nkind: RoleBinding\nmetadata: {name: writer, namespace: shop}\nroleRef: {apiGroup: ${RBAC}, kind: Role, name: writer}\nsubjects:\n- {kind: ServiceAccount, name: web, namespace: shop}`,
      ].join('\n---\n'),
    );
  type Report = { notAllowed: { access: { verb: string; resource: string } }[]; undetermined: unknown[] };
  const verify = (policies: string, file: string) => {
    const v = cli(['verify', '--policies', policies, '--k8s-audit', file, '--format', 'json']);
    return { code: v.code, report: JSON.parse(v.stdout) as Report, stderr: v.stderr };
  };

  it("records no check, gets no escalate or bind, and its replay is the authorizer's alone", () => {
    const failed = [roles('create', 409), roles('update', 409, 'web-reader'), roles('create', 422), binding(409)];
    for (const e of failed) expect(decode(e).flatMap((o) => ('implied' in o ? (o.implied ?? []) : []))).toEqual([]);
    const file = log(failed);
    const out = tmp('a2p-failed-');
    const g = cli(['generate', 'rbac', '--k8s-audit', file, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    // Each is listed as a gap: production makes the check staging never showed passing.
    const gaps = g.stderr.split('\n').filter((l) => l.includes('gaps: ') || l.includes('every authorized record'));
    expect(gaps.map((l) => l.trim().replace(/: every authorized record.*needs (\w+) .*/, ' → $1'))).toEqual([
      "gaps: 3 RBAC writes that only failed after authorization (409, 422, a webhook's 500): the check the API server makes beside them was never seen passing and is not granted:",
      `${web}: create rolebindings.${RBAC} in shop → bind`,
      `${web}: create roles.${RBAC} in shop → escalate`,
      `${web}: update roles.${RBAC} web-reader in shop → escalate`,
    ]);
    // The reviewer's report lists them among its coverage warnings.
    const md = join(out, 'report.md');
    const r = cli(['report', '--k8s-audit', file, '-o', md, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = mdRead(readFileSync(md, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('every authorized record failed afterwards'));
    expect(warnings.map((l) => l.replace(/: (create|update) .* in shop: .*needs (\w+) .*/, ' → $2'))).toEqual([
      `- ${web} → bind`,
      `- ${web} → escalate`,
      `- ${web} → escalate`,
    ]);
    const verbs = rulesOf(readFileSync(join(out, 'rbac/shop/serviceaccount.shop.web.yaml'), 'utf8')).flatMap(
      (r) => r.verbs,
    );
    expect(verbs).not.toContain('escalate');
    expect(verbs).not.toContain('bind');
    const v = verify(join(out, 'rbac'), file);
    expect(v.code, v.stderr).toBe(0);
    expect([v.report.notAllowed, v.report.undetermined]).toEqual([[], []]);
  });

  it('a write that also succeeded keeps its check: create alone is refused for it', () => {
    const dir = tmp('a2p-failed-');
    createOnly(dir);
    expect(verify(dir, log([roles('create', 409), roles('update', 409, 'web-reader')])).report.notAllowed).toEqual([]);
    const both = log([roles('create', 201), roles('create', 409)]);
    const g = cli(['generate', 'rbac', '--k8s-audit', both, '-o', tmp('a2p-failed-')]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).not.toContain('only failed after authorization');
    const v = verify(dir, both);
    expect(v.code).toBe(1);
    expect(v.report.notAllowed.map((f) => `${f.access.verb} ${f.access.resource} ${web}`)).toEqual([
      `create roles ${web}`,
    ]);
  });
});

describe('a websocket exec, attach or port-forward', () => {
  const connect = (sub: string, pod: string) =>
    event({
      stage: 'ResponseStarted',
      verb: 'get',
      user: { username: 'alice', groups: ['system:authenticated'] },
      requestURI: `/api/v1/namespaces/shop/pods/${pod}/${sub}?command=sh&stdin=true&stdout=true&tty=true`,
      objectRef: { resource: 'pods', namespace: 'shop', name: pod, subresource: sub, apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 101 },
      annotations: ALLOW,
    });

  it('is granted create beside get on the same pod, listed as a widening with its reason', () => {
    const file = log([connect('exec', 'web-0'), connect('portforward', 'db-0')]);
    const out = join(tmp('a2p-ws-'), 'out');
    const r = cli(['generate', 'rbac', '--k8s-audit', file, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const yaml = cli(['generate', 'rbac', '--k8s-audit', file]).stdout;
    expect(rulesOf(yaml)).toEqual([
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['web-0'], verbs: ['create', 'get'] },
      { apiGroups: [''], resources: ['pods/portforward'], resourceNames: ['db-0'], verbs: ['create', 'get'] },
    ]);
    expect(r.stderr).toContain('create pods/exec added beside get on web-0: Kubernetes 1.35 and later');
    expect(r.stderr).toContain('create pods/portforward added beside get on db-0');
    const v = cli(['verify', '--policies', join(out, 'rbac'), '--k8s-audit', file, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ observed: 2, allowed: 2, notAllowed: [], undetermined: [] });
  });

  it('replayed against a policy with get alone is undetermined (refused from 1.35, allowed before), not denied', () => {
    const file = log([connect('exec', 'web-0')]);
    const dir = tmp('a2p-ws-');
    writeFileSync(
      join(dir, 'role.yaml'),
      [
        `apiVersion: ${RBAC}/v1\nkind: Role\nmetadata: {name: exec, namespace: shop}\nrules:\n- apiGroups: ['']\n  resources: [pods/exec]\n  verbs: [get]`,
        `apiVersion: ${RBAC}/v1\nkind: RoleBinding\nmetadata: {name: exec, namespace: shop}\nroleRef: {apiGroup: ${RBAC}, kind: Role, name: exec}\nsubjects:\n- {kind: User, apiGroup: ${RBAC}, name: alice}`,
      ].join('\n---\n'),
    );
    const v = cli(['verify', '--policies', dir, '--k8s-audit', file, '--format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { notAllowed: unknown[]; undetermined: { detail: string }[] };
    expect(report.notAllowed).toEqual([]);
    expect(report.undetermined).toHaveLength(1);
    expect(report.undetermined[0]!.detail).toContain('Kubernetes 1.35 and later also check create on pods/exec');
  });
});
