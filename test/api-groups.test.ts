import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { gkeEntryToEvent } from '../src/ingest/k8sAudit/gke.js';
import { decodeValue } from '../src/ingest/k8sAudit/decode.js';
import { apiGroupOf, parseRequestPath } from '../src/knowledge/kubernetes/apiGroups.js';
import { BUILTIN_RESOURCES } from '../src/knowledge/kubernetes/builtinResources.js';
import type { InputIssue } from '../src/model/issue.js';
import type { RecordSkip } from '../src/model/network.js';
import type { K8sRequestObservation } from '../src/model/observation.js';
import { cli, CORPUS, HAS_CORPUS, ROOT } from './helpers/cli.js';

const CORE = [
  'pods',
  'services',
  'configmaps',
  'secrets',
  'namespaces',
  'nodes',
  'serviceaccounts',
  'events',
  'endpoints',
  'persistentvolumeclaims',
  'persistentvolumes',
  'replicationcontrollers',
  'resourcequotas',
  'limitranges',
  'podtemplates',
];

describe('the built-in resource table', () => {
  it('is what scripts/gen-builtin-resources.js makes of the installed @kubernetes/client-node', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-builtin-resources.js'), '--stdout']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const file = readFileSync(join(ROOT, 'src/knowledge/kubernetes/builtinResources.ts'), 'utf8');
    expect(r.stdout.toString()).toBe(file);
    expect(file).toContain(
      `@kubernetes/client-node ${JSON.parse(readFileSync(join(ROOT, 'node_modules/@kubernetes/client-node/package.json'), 'utf8')).version}`,
    );
  });

  it('puts the core resources in core and the others in their groups', () => {
    for (const r of CORE) expect(BUILTIN_RESOURCES[r], r).toContain('');
    expect(BUILTIN_RESOURCES['deployments']).toEqual(['apps']);
    expect(BUILTIN_RESOURCES['cronjobs']).toEqual(['batch']);
    expect(BUILTIN_RESOURCES['ingresses']).toEqual(['networking.k8s.io']);
    expect(BUILTIN_RESOURCES['clusterroles']).toEqual(['rbac.authorization.k8s.io']);
    expect(BUILTIN_RESOURCES['events']).toEqual(['', 'events.k8s.io']);
    expect(Object.keys(BUILTIN_RESOURCES).length).toBeGreaterThan(60);
  });
});

describe('the API group of a request', () => {
  it.each([
    ['/api/v1/namespaces/shop/pods/web-1/exec?command=sh', ['', 'v1', 'shop', 'pods', 'web-1', 'exec']],
    ['/apis/apps/v1/namespaces/shop/deployments', ['apps', 'v1', 'shop', 'deployments', '', '']],
    ['/api/v1/namespaces/shop', ['', 'v1', 'shop', 'namespaces', 'shop', '']],
    ['/api/v1/namespaces/shop/finalize', ['', 'v1', 'shop', 'namespaces', 'shop', 'finalize']],
    ['/api/v1/watch/namespaces/shop/configmaps', ['', 'v1', 'shop', 'configmaps', '', '']],
    [
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/view',
      ['rbac.authorization.k8s.io', 'v1', '', 'clusterroles', 'view', ''],
    ],
  ])('%s', (uri, [group, version, namespace, resource, name, subresource]) =>
    expect(parseRequestPath(uri)).toEqual({ group, version, namespace, resource, name, subresource }),
  );

  it('is no resource path for discovery and non-resource URLs', () => {
    for (const u of ['/apis', '/apis/apps', '/healthz', '/api', '/openapi/v2'])
      expect(parseRequestPath(u)).toBeUndefined();
  });

  it.each([
    ['objectRef.apiGroup first', 'apps', 'deployments', '/apis/extensions/v1beta1/x', { group: 'apps' }],
    ['then the requestURI', '', 'deployments', '/apis/apps/v1/namespaces/a/deployments', { group: 'apps' }],
    ['core by its requestURI', '', 'widgets', '/api/v1/widgets', { group: '' }],
    ['then the built-in table', '', 'cronjobs', '', { group: 'batch' }],
    ['core from the table', '', 'secrets', '', { group: '' }],
    ['core where a resource is also elsewhere', '', 'events', '', { group: '' }],
  ])('%s', (_, ref, resource, uri, want) => expect(apiGroupOf(ref, resource, uri)).toEqual(want));

  it('a custom resource without its group is undetermined, never core', () => {
    const a = apiGroupOf('', 'widgets', '');
    expect(a).toEqual({ problem: expect.stringMatching(/undetermined/) });
    expect(apiGroupOf('', 'widgets', '/healthz')).toEqual(a);
  });

  const decode = (ref: Record<string, unknown>, requestURI?: string) => {
    const out: (K8sRequestObservation | InputIssue | RecordSkip)[] = [];
    const ev = {
      verb: 'get',
      user: { username: 'alice' },
      objectRef: ref,
      responseStatus: { code: 200 },
      stageTimestamp: '2026-11-02T00:00:00.000000Z',
      ...(requestURI ? { requestURI } : {}),
    };
    decodeValue(ev, { file: 'f', line: 3 }, (x) => out.push(x));
    return out[0]!;
  };

  it('decoding: a record without objectRef.apiGroup gets its group, or is an issue', () => {
    const group = (x: K8sRequestObservation | InputIssue | RecordSkip) =>
      x.kind === 'issue' ? x.code : x.kind === 'skip' ? `skip: ${x.reason}` : x.access.apiGroup;
    expect(group(decode({ resource: 'cronjobs', namespace: 'a', name: 'n' }))).toBe('batch');
    expect(group(decode({ resource: 'cronjobs', apiGroup: '' }, '/apis/batch/v1/cronjobs'))).toBe('batch');
    expect(group(decode({ resource: 'ingresses' }))).toBe('networking.k8s.io');
    expect(group(decode({ resource: 'pods' }))).toBe('');
    expect(group(decode({ resource: 'widgets' }, '/apis/example.com/v1/widgets'))).toBe('example.com');
    const i = decode({ resource: 'widgets', namespace: 'a' }) as InputIssue;
    expect(i).toMatchObject({ kind: 'issue', code: 'k8s.undetermined-api-group', file: 'f', line: 3 });
    expect(i.message).toMatch(/^resource "widgets": objectRef.apiGroup is missing/);
  });
});

describe('GKE entries as the Events they stand for', () => {
  const entry = (method: string, resourceName: string, extra: Record<string, unknown> = {}) => ({
    insertId: 'i1',
    timestamp: '2026-11-02T08:00:00.123456789Z',
    operation: { id: 'op-1', producer: 'k8s.io' },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'k8s.io',
      methodName: method,
      resourceName,
      authenticationInfo: { principalEmail: 'alice@example.com' },
      ...extra,
    },
  });
  const ev = (e: ReturnType<typeof entry>) => {
    const r = gkeEntryToEvent(e);
    if (!('event' in r)) throw new Error(JSON.stringify(r));
    return r.event as { verb: string; objectRef?: unknown; requestURI: string; annotations: Record<string, string> };
  };

  it('reads methodName and resourceName as verb, group, namespace, resource, name and subresource', () => {
    expect(ev(entry('io.k8s.core.v1.pods.exec.create', 'core/v1/namespaces/shop/pods/web-1/exec'))).toMatchObject({
      verb: 'create',
      auditID: 'op-1',
      user: { username: 'alice@example.com' },
      objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1', subresource: 'exec', apiVersion: 'v1' },
      requestURI: '/api/v1/namespaces/shop/pods/web-1/exec',
      stage: 'ResponseComplete',
      requestReceivedTimestamp: '2026-11-02T08:00:00.123456789Z',
    });
    const rbac = ev(
      entry('io.k8s.authorization.rbac.v1.clusterroles.get', 'rbac.authorization.k8s.io/v1/clusterroles/view'),
    );
    expect(rbac.objectRef).toEqual({
      resource: 'clusterroles',
      apiGroup: 'rbac.authorization.k8s.io',
      apiVersion: 'v1',
      name: 'view',
    });
    const crd = ev(
      entry('com.coreos.monitoring.v1.servicemonitors.list', 'monitoring.coreos.com/v1/namespaces/m/servicemonitors'),
    );
    expect(crd.objectRef).toEqual({
      resource: 'servicemonitors',
      apiGroup: 'monitoring.coreos.com',
      apiVersion: 'v1',
      namespace: 'm',
    });
    const fin = ev(entry('io.k8s.core.v1.namespaces.finalize.update', 'core/v1/namespaces/old/finalize'));
    expect(fin.objectRef).toEqual({
      resource: 'namespaces',
      apiVersion: 'v1',
      namespace: 'old',
      name: 'old',
      subresource: 'finalize',
    });
    const mk = ev(entry('io.k8s.core.v1.namespaces.create', 'core/v1/namespaces/new'));
    expect(mk.objectRef).toEqual({ resource: 'namespaces', apiVersion: 'v1', name: 'new' });
    const all = ev(entry('io.k8s.core.v1.pods.list', 'core/v1/pods'));
    expect(all.objectRef).toEqual({ resource: 'pods', apiVersion: 'v1' });
    const nonResource = ev(entry('io.k8s.get', 'apis/storage.k8s.io/v1'));
    expect(nonResource).toMatchObject({ verb: 'get', requestURI: '/apis/storage.k8s.io/v1' });
    expect(nonResource.objectRef).toBeUndefined();
  });

  it('decides from the decision label, then authorizationInfo, then the gRPC status', () => {
    const d = (extra: Record<string, unknown>, labels?: Record<string, string>) =>
      ev({
        ...entry('io.k8s.core.v1.secrets.get', 'core/v1/namespaces/a/secrets/s', extra),
        ...(labels ? { labels } : {}),
      }).annotations['authorization.k8s.io/decision'];
    expect(d({ status: {} })).toBe('allow');
    expect(d({ status: { code: 7, message: 'PERMISSION_DENIED' } })).toBe('forbid');
    expect(d({ status: { code: 16 } })).toBe('forbid');
    expect(d({ status: { code: 5, message: 'NOT_FOUND' } })).toBe('allow');
    expect(d({ authorizationInfo: [{ granted: true }, { granted: false }] })).toBe('forbid');
    expect(d({ authorizationInfo: [{ granted: true }] }, { 'authorization.k8s.io/decision': 'forbid' })).toBe('forbid');
  });

  it('allows what every authorizationInfo check granted, though admission refused it (gRPC 7, no decision label)', () => {
    const d = (extra: Record<string, unknown>) =>
      ev(entry('io.k8s.core.v1.pods.create', 'core/v1/namespaces/shop/pods/web-0', extra)).annotations[
        'authorization.k8s.io/decision'
      ];
    // PodSecurity's refusal: authorized, then rejected by admission with a 403 (PERMISSION_DENIED).
    const psa = { code: 7, message: 'pods "web-0" is forbidden: violates PodSecurity "restricted:latest": privileged' };
    const granted = { permission: 'io.k8s.core.v1.pods.create', granted: true };
    expect(d({ authorizationInfo: [granted], status: psa })).toBe('allow');
    expect(d({ authorizationInfo: [granted, granted], status: { code: 16 } })).toBe('allow');
    // A check without its `granted` decides nothing: the status does.
    expect(d({ authorizationInfo: [granted, { permission: 'x' }], status: psa })).toBe('forbid');
    expect(d({ authorizationInfo: [{ permission: 'x' }], status: psa })).toBe('forbid');
    expect(d({ authorizationInfo: [granted, { ...granted, granted: false }], status: { code: 0 } })).toBe('forbid');
  });

  it('skips other services and payloads, and names what does not agree', () => {
    const other = entry('google.container.v1.ClusterManager.GetCluster', 'projects/p/clusters/c');
    other.protoPayload.serviceName = 'container.googleapis.com';
    expect(gkeEntryToEvent(other)).toEqual({ skip: 'service:container.googleapis.com' });
    expect(gkeEntryToEvent(entry('io.k8s.core.v1.pods.get', 'apps/v1/namespaces/a/deployments/d'))).toEqual({
      problem: expect.stringMatching(/do not agree/),
    });
    const noUser = entry('io.k8s.core.v1.pods.get', 'core/v1/namespaces/a/pods/p', { authenticationInfo: {} });
    expect(gkeEntryToEvent(noUser)).toEqual({ problem: expect.stringMatching(/principalEmail/) });
  });
});

/** Every rule of `generate rbac` on these inputs: none puts a non-core resource in the core group. */
/**
 * Rules of the core group, less `impersonate` on `users` and `groups`: the API server checks
 * impersonation against those core-group resources, which are no objects it serves (kubernetes.io, user
 * impersonation), so they are in no table of served resources.
 */
function coreRulesOf(args: string[]): { resources: string[] }[] {
  const g = cli(['generate', 'rbac', ...args, '--include-system', '--subject-kind', 'serviceaccount,user,group', '-q']);
  expect(g.code, g.stderr).toBe(0);
  const docs = g.stdout
    .split(/^---\n/m)
    .map((d) => load(d) as { rules?: { apiGroups?: string[]; resources?: string[] }[] });
  return docs
    .flatMap((d) => d.rules ?? [])
    .filter((r) => r.apiGroups?.includes(''))
    .map((r) => ({
      ...r,
      resources: (r.resources ?? []).filter(
        (res) => !((r as { verbs?: string[] }).verbs?.includes('impersonate') && (res === 'users' || res === 'groups')),
      ),
    })) as { resources: string[] }[];
}

const notCore = (rules: { resources: string[] }[]) =>
  rules.flatMap((r) => r.resources).filter((res) => !BUILTIN_RESOURCES[res.split('/')[0]!]?.includes(''));

describe('no non-core resource in the core group', () => {
  it('on the fixtures: the demo and every envelope', () => {
    const rules = coreRulesOf(['--k8s-audit', join(ROOT, 'fixtures/demo/k8s-audit'), join(ROOT, 'fixtures/envelopes')]);
    expect(rules.length).toBeGreaterThan(0);
    expect(notCore(rules)).toEqual([]);
  });

  it.skipIf(!HAS_CORPUS)('on the corpus Kubernetes audit files', () => {
    const rules = coreRulesOf(['--k8s-audit', join(CORPUS, 'k8s-audit'), '--on-error', 'skip']);
    expect(rules.length).toBeGreaterThan(0);
    expect(notCore(rules)).toEqual([]);
  });
});
