// Seeded property test of the core invariant on random audit RECORDS: what `generate rbac` makes from a log, `verify`
// replays with nothing denied. test/rbac-checks-e2e.test.ts holds it for one fixed log and
// test/generate-verify-property.test.ts for random observations given to the builder; this one goes through the
// decoder too, where an authorized Role create answered 409 once recorded no escalate check, so generate granted
// create alone and verify denied it. Each run writes 30 to 80 audit.k8s.io/v1 Event records in the shapes the API
// server logs: service accounts, users, a system:masters member, anonymous; plain requests, self-reviews and
// non-resource URLs; RBAC writes at every level with their bodies, gc-only patches among them; impersonation; refusals,
// errors and 429s; one, two or three stages; requests made again with another answer. It runs `generate rbac` and
// `verify` in-process (odd runs with widenings and scope flags, given to both where both take them). verify must deny
// nothing, and leave undetermined only what it documents: a binding write whose roleRef the log does not show, a
// websocket exec (Kubernetes 1.35), an anonymous request. Every third run also generates from the records shuffled
// and expects the same tree.
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree, rng, shuffle, tmp } from './helpers/cli.js';
import { cliInProcess } from './helpers/inProcess.js';
import { judgeVerify, treeDiff } from './helpers/property.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261102) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 40);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

type Rand = () => number;
type Json = Record<string, unknown>;

const RBAC = 'rbac.authorization.k8s.io';
const NAMESPACES = ['shop', 'ci', 'tenant-a'];

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

// --- Who makes requests ----------------------------------------------------------------------------------------------

interface Actor {
  username: string;
  groups: string[];
  /** How the reason annotation names it. */
  as: string;
  /** An impersonated user's uid and extra values, when the client asked for them. */
  uid?: string;
  extra?: Record<string, string[]>;
}

const sa = (ns: string, name: string): Actor => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
  as: `ServiceAccount "${name}/${ns}"`,
});
const user = (name: string, groups: string[]): Actor => ({
  username: name,
  groups: [...groups, 'system:authenticated'],
  as: `User "${name}"`,
});
const SERVICE_ACCOUNTS = [sa('shop', 'web'), sa('shop', 'worker'), sa('ci', 'runner'), sa('tenancy', 'operator')];
const USERS = [
  user('alice@example.com', ['devs']),
  user('bob@example.com', ['ops', 'devs']),
  user('carol@example.com', []),
  // An OIDC user, with the API server's --oidc-username-prefix and --oidc-groups-prefix.
  user('oidc:dave', ['oidc:platform']),
];
// kubeadm's admin credential: a client certificate with O=system:masters.
const ADMIN = user('kubernetes-admin', ['system:masters']);
const ANONYMOUS: Actor = {
  username: 'system:anonymous',
  groups: ['system:unauthenticated'],
  as: 'Group "system:unauthenticated"',
};

/**
 * Another user as the API server logs it impersonated (impersonatedUser): the groups asked for, or a service account's
 * own when none are, with system:authenticated (the server adds both); sometimes a uid (kubectl --as-uid) and an extra
 * value (Impersonate-Extra-scopes); now and then `--as-group system:masters`, the break-glass way to act as admin.
 */
function impersonation(r: Rand, who: Actor): Actor {
  const serviceAccount = who.groups.includes('system:serviceaccounts');
  const p = r();
  const groups =
    p < 0.05
      ? ['system:masters', 'system:authenticated']
      : serviceAccount
        ? p < 0.8
          ? who.groups
          : ['devs', 'system:authenticated']
        : p < 0.45
          ? who.groups
          : ['system:authenticated'];
  return {
    ...who,
    groups,
    ...(r() < 0.1 ? { uid: 'a3d1c0e2-7b6f-4c59-9e8d-0f1a2b3c4d5e' } : {}),
    ...(r() < 0.1 ? { extra: { scopes: ['view'] } } : {}),
  };
}

// --- What they request -----------------------------------------------------------------------------------------------

interface Target {
  group: string;
  resource: string;
  subresource?: string;
  verbs: string[];
  names: string[];
  cluster?: boolean;
}

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const PLAIN: Target[] = [
  { group: '', resource: 'pods', verbs: ALL, names: ['web-0', 'db-0', 'web-7c9d8f6b5-x2x9k'] },
  { group: '', resource: 'pods', subresource: 'log', verbs: ['get'], names: ['web-0', 'db-0'] },
  // get is a websocket upgrade, create SPDY's POST.
  { group: '', resource: 'pods', subresource: 'exec', verbs: ['get', 'create'], names: ['web-0', 'db-0'] },
  { group: '', resource: 'configmaps', verbs: ALL, names: ['app-config', 'feature-flags'] },
  { group: '', resource: 'secrets', verbs: ALL, names: ['db-creds', 'tls'] },
  { group: 'apps', resource: 'deployments', verbs: ALL, names: ['web', 'worker'] },
  { group: 'apps', resource: 'deployments', subresource: 'scale', verbs: ['get', 'update', 'patch'], names: ['web'] },
  { group: '', resource: 'pods', subresource: 'eviction', verbs: ['create'], names: ['web-0'] },
  { group: '', resource: 'nodes', subresource: 'proxy', cluster: true, verbs: ['get'], names: ['node-a'] },
  {
    group: '',
    resource: 'nodes',
    cluster: true,
    verbs: ['get', 'list', 'watch', 'patch', 'delete'],
    names: ['node-a'],
  },
];
// Health, metrics and discovery; most of them every cluster grants (system:public-info-viewer, system:discovery,
// system:service-account-issuer-discovery), which generate leaves to it and verify allows as it does.
const URLS = [
  '/healthz',
  '/healthz?verbose',
  '/healthz/etcd',
  '/livez',
  '/readyz',
  '/metrics',
  '/version',
  '/api',
  '/apis/apps/v1',
  '/openapi/v2',
  '/.well-known/openid-configuration',
  '/openid/v1/jwks',
];

const RBAC_RESOURCES = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];
const RBAC_NAMES: Record<string, string[]> = {
  roles: ['app-reader', 'web-writer'],
  clusterroles: ['app-reader', 'metrics-reader'],
  rolebindings: ['web-view', 'ci-edit', 'readers'],
  clusterrolebindings: ['metrics', 'ci-view'],
};
const KIND: Record<string, string> = {
  roles: 'Role',
  clusterroles: 'ClusterRole',
  rolebindings: 'RoleBinding',
  clusterrolebindings: 'ClusterRoleBinding',
};
const RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
];

interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

// --- One run's log ---------------------------------------------------------------------------------------------------

/** What a run's records exercised, summed over the runs so that the test cannot pass on logs that show nothing. */
interface Tally {
  records: number;
  rbacWrites: number;
  rbacWrite409: number;
  bindingsWithRoleRef: number;
  gcOnly: number;
  impersonated: number;
  requestReceivedOnly: number;
  bothStages: number;
  masters: number;
}

const newTally = (): Tally => ({
  records: 0,
  rbacWrites: 0,
  rbacWrite409: 0,
  bindingsWithRoleRef: 0,
  gcOnly: 0,
  impersonated: 0,
  requestReceivedOnly: 0,
  bothStages: 0,
  masters: 0,
});

/** A request before its outcome: what the records of every stage share. */
interface Req {
  verb: string;
  uri: string;
  objectRef?: Json;
  /** The name a create's objectRef gets once its body is read (after authorization). */
  createdName?: string;
  level: 'Metadata' | 'Request' | 'RequestResponse';
  /** requestObject, logged at Request level and above once the body was read. */
  body?: unknown;
  /** responseObject of a success, at RequestResponse level. */
  stored?: unknown;
  rbac?: 'role' | 'binding';
  /** A patch of only what the garbage collector changes (its body shows it at Request level and above). */
  gcOnly?: boolean;
  roleRef?: boolean;
  longRunning?: boolean;
  /** A pod eviction, which a disruption budget refuses with 429 after authorization. */
  eviction?: boolean;
  success: number;
}

interface Outcome {
  code: number;
  /** The authorizer's decision annotation; none for 401 and 429 (answered before it). */
  decision?: 'allow' | 'forbid';
  status: Json;
}

function makeLog(r: Rand, tally: Tally): Json[] {
  // The run's cast: a few service accounts and users, sometimes an admin and anonymous requests.
  const cast: Actor[] = [
    ...shuffle(SERVICE_ACCOUNTS, r).slice(0, int(r, 2, 4)),
    ...shuffle(USERS, r).slice(0, int(r, 1, 3)),
    ...(r() < 0.35 ? [ADMIN] : []),
    ...(r() < 0.25 ? [ANONYMOUS] : []),
  ];
  // A binding's roleRef cannot change: one per binding for the whole run.
  const roleRefs = new Map<string, RoleRef>();
  const refOf = (resource: string, ns: string, name: string): RoleRef => {
    const key = `${resource}/${ns}/${name}`;
    let ref = roleRefs.get(key);
    if (!ref) {
      const role = resource === 'rolebindings' && r() < 0.4;
      ref = role
        ? { apiGroup: RBAC, kind: 'Role', name: pick(r, RBAC_NAMES['roles']!) }
        : { apiGroup: RBAC, kind: 'ClusterRole', name: pick(r, ['view', 'edit', 'app-reader']) };
      roleRefs.set(key, ref);
    }
    return ref;
  };

  const lines: Json[] = [];
  const asked: { actor: Actor; as: Actor | undefined; req: Req }[] = [];
  const target = int(r, 30, 80);
  for (let n = 0; lines.length < target; n++) {
    // A request made before, made again (a controller's retry, a Role re-created on every start), with another answer.
    const again = asked.length && r() < 0.3 ? pick(r, asked) : undefined;
    const actor = again?.actor ?? pick(r, cast);
    // Impersonation: the request made as another member of the cast (not the admin, not anonymous).
    let as = again?.as;
    const others = cast.filter((a) => a !== actor && a !== ADMIN && a !== ANONYMOUS);
    if (!again && actor !== ANONYMOUS && others.length && r() < 0.12) as = impersonation(r, pick(r, others));
    const effective = as ?? actor;
    const roll = r();
    const req =
      again?.req ??
      (roll < 0.1 || effective === ANONYMOUS
        ? effective === ANONYMOUS && r() < 0.5
          ? plainRequest(r, effective)
          : nonResource(r)
        : roll < 0.5
          ? rbacWrite(r, refOf)
          : roll < 0.54
            ? selfReview(r)
            : plainRequest(r, effective));
    if (!again) asked.push({ actor, as, req });
    const out = outcome(r, req, effective);
    const records = stages(r, req, out, actor, as, n);
    lines.push(...records);
    // The tallies.
    if (req.rbac) {
      tally.rbacWrites++;
      if (out.code === 409) tally.rbacWrite409++;
      if (req.rbac === 'binding' && req.roleRef && out.code < 300) tally.bindingsWithRoleRef++;
      if (req.gcOnly && req.level !== 'Metadata') tally.gcOnly++;
    }
    if (as) tally.impersonated++;
    if (effective.groups.includes('system:masters')) tally.masters++;
    if (records.length === 1 && records[0]!['stage'] === 'RequestReceived') tally.requestReceivedOnly++;
    if (records.length > 1) tally.bothStages++;
  }
  tally.records += lines.length;
  return lines;
}

/** A request of a pod, config map, secret, deployment or node; the name in the URL unless a collection is asked. */
function plainRequest(r: Rand, who: Actor): Req {
  // Anonymous requests are reads.
  const t = pick(
    r,
    PLAIN.filter((t) => who !== ANONYMOUS || t.verbs.includes('list')),
  );
  const verb = who === ANONYMOUS ? pick(r, ['get', 'list']) : pick(r, t.verbs);
  const ns = t.cluster ? '' : pick(r, NAMESPACES);
  const name = pick(r, t.names);
  const base = (t.group ? `/apis/${t.group}/v1` : '/api/v1') + (ns ? `/namespaces/${ns}` : '') + `/${t.resource}`;
  const collection = ['list', 'watch', 'create', 'deletecollection'].includes(verb) && !t.subresource;
  const read = verb === 'list' || verb === 'watch';
  // A list or watch of one object names it in a field selector, which the API server authorizes by name.
  const oneByField = read && r() < 0.25;
  // A list or watch across every namespace.
  const allNs = read && !t.cluster && !oneByField && r() < 0.2;
  const path = collection
    ? (t.group ? `/apis/${t.group}/v1` : '/api/v1') + (allNs ? '' : ns ? `/namespaces/${ns}` : '') + `/${t.resource}`
    : `${base}/${name}${t.subresource ? `/${t.subresource}` : ''}`;
  const query =
    t.subresource === 'proxy'
      ? '/metrics'
      : t.subresource === 'exec'
        ? '?command=sh&container=app&stdin=true&stdout=true&tty=true'
        : t.subresource === 'log'
          ? '?container=app'
          : oneByField
            ? `?fieldSelector=metadata.name%3D${name}${verb === 'watch' ? '&watch=true' : ''}`
            : verb === 'watch'
              ? '?allowWatchBookmarks=true&resourceVersion=18342&watch=true'
              : verb === 'list'
                ? '?limit=500'
                : '';
  const objectRef: Json = {
    resource: t.resource,
    ...(ns && !allNs ? { namespace: ns } : {}),
    ...(!collection || oneByField ? { name } : {}),
    ...(t.group ? { apiGroup: t.group } : {}),
    apiVersion: 'v1',
    ...(t.subresource ? { subresource: t.subresource } : {}),
  };
  const write = ['create', 'update', 'patch'].includes(verb);
  // Secrets are logged at Metadata level (their bodies hold the secret), as audit policies do.
  const level: Req['level'] =
    t.resource === 'secrets' || !write ? 'Metadata' : pick(r, ['Metadata', 'Request', 'RequestResponse'] as const);
  const kind = t.resource === 'deployments' ? (t.subresource ? 'Scale' : 'Deployment') : 'ConfigMap';
  const object = {
    kind,
    apiVersion: t.group ? `${t.group}/v1` : 'v1',
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
  };
  const body =
    level === 'Metadata' || t.subresource === 'exec'
      ? undefined
      : verb === 'patch'
        ? t.subresource === 'scale'
          ? { spec: { replicas: int(r, 1, 5) } }
          : { metadata: { labels: { release: `r${int(r, 1, 9)}` } } }
        : object;
  const longRunning = verb === 'watch' || t.subresource === 'exec';
  return {
    verb,
    uri: path + query,
    objectRef,
    ...(verb === 'create' && !t.subresource ? { createdName: name } : {}),
    level,
    ...(body === undefined ? {} : { body }),
    ...(level === 'RequestResponse' && body !== undefined ? { stored: object } : {}),
    longRunning,
    success: t.subresource === 'exec' ? 101 : verb === 'create' ? 201 : 200,
    ...(t.subresource === 'eviction' ? { eviction: true } : {}),
  };
}

function nonResource(r: Rand): Req {
  return { verb: 'get', uri: pick(r, URLS), level: 'Metadata', success: 200 };
}

/** `kubectl auth can-i` and `kubectl auth whoami`: creates every cluster grants (system:basic-user). */
function selfReview(r: Rand): Req {
  const [group, resource] = pick(r, [
    ['authorization.k8s.io', 'selfsubjectaccessreviews'],
    ['authorization.k8s.io', 'selfsubjectrulesreviews'],
    ['authentication.k8s.io', 'selfsubjectreviews'],
  ] as const);
  return {
    verb: 'create',
    uri: `/apis/${group}/v1/${resource}`,
    objectRef: { resource, apiGroup: group, apiVersion: 'v1' },
    level: 'Metadata',
    success: 201,
  };
}

/** A create, update or patch of a Role, ClusterRole, RoleBinding or ClusterRoleBinding, with its logged bodies. */
function rbacWrite(r: Rand, refOf: (resource: string, ns: string, name: string) => RoleRef): Req {
  const resource = pick(r, RBAC_RESOURCES);
  const binding = resource.endsWith('bindings');
  const ns = resource.startsWith('cluster') ? '' : pick(r, NAMESPACES);
  const name = pick(r, RBAC_NAMES[resource]!);
  const verb = pick(r, ['create', 'update', 'patch']);
  const level = pick(r, ['Metadata', 'Request', 'Request', 'RequestResponse', 'RequestResponse'] as const);
  const md = { name, ...(ns ? { namespace: ns } : {}) };
  const content = (): Json =>
    binding
      ? {
          roleRef: refOf(resource, ns, name),
          subjects: [
            pick(r, [
              { kind: 'Group', apiGroup: RBAC, name: 'devs' },
              { kind: 'ServiceAccount', name: 'web', namespace: 'shop' },
            ]),
          ],
        }
      : { rules: shuffle(RULES, r).slice(0, int(r, 1, 2)) };
  const full = (extra: Json = {}) => ({
    apiVersion: `${RBAC}/v1`,
    kind: KIND[resource],
    metadata: { ...md, ...extra },
    ...content(),
  });
  let body: unknown;
  let gcOnly = false;
  let finalizers = false;
  if (verb === 'create') body = full();
  else if (verb === 'update') body = full({ resourceVersion: String(int(r, 1000, 9999)) });
  else {
    const p = r();
    if (p < 0.25) {
      // Only what the garbage collector changes: no bind or escalate check.
      gcOnly = true;
      finalizers = true;
      body = pick(r, [
        { metadata: { finalizers: ['example.com/cleanup'] } },
        {
          metadata: {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'c0ffee00-0000-4000-8000-000000000001' },
            ],
            uid: 'b0b0b0b0-0000-4000-8000-000000000002',
          },
        },
        [{ op: 'remove', path: '/metadata/finalizers/0' }],
      ]);
    } else if (p < 0.45) body = { metadata: { labels: { team: 'shop' } } };
    else if (p < 0.7) body = binding ? { subjects: (content() as { subjects: unknown }).subjects } : content();
    else if (p < 0.85) body = [{ op: 'add', path: '/metadata/labels', value: { team: 'ci' } }];
    // Server-side apply: the whole object.
    else body = full();
  }
  const stored = full({
    uid: 'd2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f',
    resourceVersion: '918273',
    creationTimestamp: '2026-11-01T09:00:00Z',
    ...(finalizers ? { finalizers: ['example.com/cleanup'] } : {}),
  });
  const query =
    verb === 'patch' && !Array.isArray(body) && 'apiVersion' in (body as Json)
      ? '?fieldManager=kubectl&force=true'
      : '';
  const logged = level !== 'Metadata';
  return {
    verb,
    uri: `/apis/${RBAC}/v1${ns ? `/namespaces/${ns}` : ''}/${resource}${verb === 'create' ? '' : `/${name}`}${query}`,
    objectRef: {
      resource,
      ...(ns ? { namespace: ns } : {}),
      ...(verb === 'create' ? {} : { name }),
      apiGroup: RBAC,
      apiVersion: 'v1',
    },
    ...(verb === 'create' ? { createdName: name } : {}),
    level,
    ...(logged ? { body } : {}),
    ...(level === 'RequestResponse' ? { stored } : {}),
    rbac: binding ? 'binding' : 'role',
    gcOnly,
    roleRef:
      binding && level === 'RequestResponse' ? true : binding && logged && JSON.stringify(body).includes('roleRef'),
    success: verb === 'create' ? 201 : 200,
  };
}

const status = (code: number, reason: string, message: string): Json => ({
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

/** The answer: mostly success; refusals, errors and 429s where the API server gives them. */
function outcome(r: Rand, req: Req, who: Actor): Outcome {
  const ref = req.objectRef;
  const what = ref ? `${String(ref['resource'])} "${String(ref['name'] ?? req.createdName ?? '')}"` : req.uri;
  const named = ref?.['name'] !== undefined && req.verb !== 'list' && req.verb !== 'watch';
  const write = ['create', 'update', 'patch'].includes(req.verb) && !ref?.['subresource'];
  const masters = who.groups.includes('system:masters');
  const draws: [number, number, () => Outcome][] = [
    [0.02, 401, () => ({ code: 401, status: status(401, 'Unauthorized', 'Unauthorized') })],
    [
      0.03,
      429,
      () => ({ code: 429, status: status(429, 'TooManyRequests', 'Too many requests, please try again later.') }),
    ],
  ];
  if (req.eviction)
    draws.push([
      0.3,
      429,
      () => failed(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod disruption budget.'),
    ]);
  // The authorizer never refuses system:masters.
  if (!masters)
    draws.push([
      who === ANONYMOUS ? 0.5 : 0.09,
      403,
      () => ({
        code: 403,
        decision: 'forbid',
        status: status(403, 'Forbidden', `${what} is forbidden: User "${who.username}" cannot ${req.verb} this`),
      }),
    ]);
  if (named && req.verb !== 'create') draws.push([0.05, 404, () => failed(404, 'NotFound', `${what} not found`)]);
  if (write) {
    draws.push([
      req.rbac ? 0.15 : 0.05,
      409,
      () =>
        req.verb === 'create'
          ? failed(409, 'AlreadyExists', `${what} already exists`)
          : failed(409, 'Conflict', `Operation cannot be fulfilled on ${what}: the object has been modified`),
    ]);
    draws.push([0.04, 422, () => failed(422, 'Invalid', `${what} is invalid`)]);
    draws.push([
      0.03,
      500,
      () => failed(500, 'InternalError', 'Internal error occurred: failed calling webhook "validate.example.com"'),
    ]);
  }
  // Authorized, then refused by the RBAC storage's bind or escalate check (never for system:masters, nor for a patch of
  // the fields the garbage collector changes), or by admission.
  if (req.rbac && !masters && !req.gcOnly)
    draws.push([
      0.08,
      403,
      () =>
        failed(
          403,
          'Forbidden',
          `${what} is forbidden: user "${who.username}" is attempting to grant RBAC permissions not currently held`,
        ),
    ]);
  if (req.verb === 'create' && ref?.['resource'] === 'pods' && !ref['subresource'])
    draws.push([
      0.05,
      403,
      () => failed(403, 'Forbidden', `${what} is forbidden: violates PodSecurity "restricted:latest"`),
    ]);
  for (const [p, , make] of draws) if (r() < p) return make();
  return { code: req.success, decision: 'allow', status: { metadata: {}, code: req.success } };
}

const failed = (code: number, reason: string, message: string): Outcome => ({
  code,
  decision: 'allow',
  status: status(code, reason, message),
});

/**
 * The records of one request: ResponseComplete (with ResponseStarted before it for a long-running request), sometimes
 * RequestReceived beside it or alone. RequestReceived is logged before impersonation, authorization and the body are
 * read: it names the authenticated user and carries no decision, response or body.
 */
function stages(r: Rand, req: Req, out: Outcome, actor: Actor, as: Actor | undefined, n: number): Json[] {
  const id = `5e0c1a2b-3c4d-4e5f-8a9b-${pad(n, 12)}`;
  const at = `2026-11-02T10:${pad(Math.floor(n / 60) % 60)}:${pad(n % 60)}`;
  const common = (stage: string, ms: number): Json => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: req.level,
    auditID: id,
    stage,
    requestURI: req.uri,
    verb: req.verb,
    user: { username: actor.username, groups: actor.groups },
    sourceIPs: ['10.0.3.17'],
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    requestReceivedTimestamp: `${at}.000000Z`,
    stageTimestamp: `${at}.${pad(ms * 1000, 6)}Z`,
  });
  const received: Json = { ...common('RequestReceived', 0), ...(req.objectRef ? { objectRef: req.objectRef } : {}) };
  // The body was read: the request passed authentication, the 429 gate and the authorizer.
  const read = out.decision === 'allow';
  const ok = out.code < 300;
  // The impersonated user as logged, and the reason the authorizer gave: the same in every stage.
  const impersonated: Json | undefined = as && {
    username: as.username,
    groups: as.groups,
    ...(as.uid ? { uid: as.uid } : {}),
    ...(as.extra ? { extra: as.extra } : {}),
  };
  const reason =
    out.decision !== 'allow' || (as ?? actor).groups.includes('system:masters') || r() < 0.2
      ? ''
      : `RBAC: allowed by ClusterRoleBinding "grants" of ClusterRole "grants" to ${(as ?? actor).as}`;
  const answered = (stage: string, ms: number): Json => {
    const e: Json = common(stage, ms);
    if (impersonated) e['impersonatedUser'] = impersonated;
    if (req.objectRef)
      e['objectRef'] = read && req.createdName ? { ...req.objectRef, name: req.createdName } : req.objectRef;
    e['responseStatus'] = out.status;
    if (read && req.body !== undefined && stage === 'ResponseComplete') e['requestObject'] = req.body;
    if (req.level === 'RequestResponse' && read && stage === 'ResponseComplete')
      if (ok && req.stored !== undefined) e['responseObject'] = req.stored;
      else if (!ok) e['responseObject'] = { kind: 'Status', apiVersion: 'v1', ...out.status };
    if (out.decision)
      e['annotations'] = { 'authorization.k8s.io/decision': out.decision, 'authorization.k8s.io/reason': reason };
    return e;
  };
  // A 401 is logged by the authentication filter alone (WithFailedAuthenticationAudit): one ResponseStarted record,
  // with no user (its credentials were not accepted), impersonation or decision.
  if (out.code === 401) {
    const e = answered('ResponseStarted', 4);
    delete e['impersonatedUser'];
    e['user'] = {};
    return [e];
  }
  const s = r();
  if (s < 0.07) return [received];
  const records: Json[] = [];
  if (s < 0.22) records.push(received);
  if (req.longRunning && ok && r() < 0.5) records.push(answered('ResponseStarted', 2));
  records.push(answered('ResponseComplete', 4));
  return records;
}

/**
 * Odd runs generate with some of the widenings and flags; verify is given the scope flags and --no-default-grants too
 * (its replay must be of the same scope): the policies they make must allow every request as well.
 */
function options(r: Rand): { generate: string[]; verify: string[] } {
  const generate: string[] = [];
  const both: string[] = [];
  if (r() < 0.3) generate.push('--widen-names', String(int(r, 0, 2)));
  if (r() < 0.3) generate.push('--widen-namespaces', String(int(r, 0, 1)));
  if (r() < 0.3) generate.push('--expand-verbs');
  if (r() < 0.2) generate.push('--exact');
  if (r() < 0.3) generate.push('--include-anonymous');
  if (r() < 0.3) both.push('--no-default-grants');
  if (r() < 0.3) both.push('--subject-kind', 'serviceaccount,user,group');
  if (r() < 0.2) both.push('--include-system');
  if (r() < 0.15) both.push('--namespace', pick(r, NAMESPACES));
  if (r() < 0.15) both.push('--exclude-subject', pick(r, ['system:serviceaccount:shop:*', 'alice@example.com']));
  return { generate: [...generate, ...both], verify: both };
}

// --- Running the CLI in-process --------------------------------------------------------------------------------------

/** The CLI in this process, with no config file (the working directory is a sandbox of the run's). */
const cli = (args: string[], cwd: string) => cliInProcess([...args, '--no-config'], cwd);

interface Finding {
  subject: string;
  access: Record<string, string>;
  detail?: string;
  evidence?: { samples?: string[] };
}

/**
 * The undetermined results verify documents: a binding's unknown roleRef, a websocket exec, an anonymous request (the
 * user, or the group with --subject-kind group).
 */
const documented = (f: Finding): boolean =>
  ['system:anonymous', 'system:unauthenticated'].includes(f.subject) ||
  /the roleRef of the (cluster)?rolebindings written is not known/.test(f.detail ?? '') ||
  /Kubernetes 1\.35 and later also check create/.test(f.detail ?? '');

/** A finding, with the records its samples name (cut short), for the failure message. */
function shown(f: Finding, lines: Json[]): string {
  const ids = new Set(f.evidence?.samples ?? []);
  const records = lines.filter((l) => ids.has(l['auditID'] as string)).slice(0, 3);
  return [JSON.stringify(f).slice(0, 600), ...records.map((l) => `  record: ${JSON.stringify(l).slice(0, 900)}`)].join(
    '\n',
  );
}

describe('generate rbac → verify on random audit records', () => {
  it(`verify allows every request generate made policies from (seed ${SEED}, ${RUNS} runs)`, async () => {
    const dir = tmp('a2p-rbacrec-');
    const failures: string[] = [];
    const tally = newTally();
    let observed = 0;
    let undetermined = 0;
    let shuffled = 0;
    let empty = 0;
    for (let i = 0; i < RUNS; i++) {
      if (ONLY !== undefined && i !== ONLY) continue;
      const seed = (SEED + i * 7919) >>> 0;
      const r = rng(seed);
      const lines = makeLog(r, tally);
      const at = join(dir, `run-${i}`);
      mkdirSync(join(at, 'shuffled'), { recursive: true });
      const log = join(at, 'audit.log');
      writeFileSync(log, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const flags = i % 2 ? options(r) : { generate: [], verify: [] };
      const said = flags.generate.length ? `, ${flags.generate.join(' ')}` : '';
      const what = `run ${i} (FUZZ_SEED=${SEED} FUZZ_RUN=${i}, ${lines.length} records${said}, ${log})`;

      // 1. generate exits 0.
      const g = await cli(['generate', 'rbac', '--k8s-audit', log, '-o', 'out', '-q', ...flags.generate], at);
      if (g.code !== 0) {
        failures.push(`${what}\n  generate exited ${g.code}: ${g.stderr.slice(0, 600)}`);
        continue;
      }
      // 2. verify denies nothing, and leaves undetermined only what it documents.
      const v = await cli(['verify', '--policies', 'out', '--k8s-audit', log, '--format', 'json', ...flags.verify], at);
      // Nothing in scope was allowed (a --namespace or --exclude-subject run may leave nothing): no policies either.
      const policies = Object.keys(readTree(join(at, 'out'))).filter((f) => f.startsWith('rbac/'));
      const report = judgeVerify(v, policies.length, what, documented, (f) => shown(f, lines), failures);
      if (report === 'empty') {
        empty++;
        continue;
      }
      if (!report) continue;
      observed += report.observed;
      undetermined += report.undetermined.length;

      // 3. Every third run: the records in another order give the same tree.
      if (i % 3 === 0) {
        shuffled++;
        const again = join(at, 'shuffled', 'audit.log');
        writeFileSync(
          again,
          shuffle(lines, r)
            .map((l) => JSON.stringify(l))
            .join('\n') + '\n',
        );
        const s = await cli(
          ['generate', 'rbac', '--k8s-audit', again, '-o', 'out', '-q', ...flags.generate],
          join(at, 'shuffled'),
        );
        const diff =
          s.code === 0 ? treeDiff(readTree(join(at, 'out')), readTree(join(at, 'shuffled', 'out'))) : undefined;
        if (s.code !== 0)
          failures.push(`${what}\n  generate of the shuffled records exited ${s.code}: ${s.stderr.slice(0, 600)}`);
        else if (diff) failures.push(`${what}\n  the shuffled records give another tree: ${diff}`);
      }
    }
    if (ONLY === undefined) {
      // The runs exercised what the property is about.
      const t = tally;
      expect(t.records, 'records').toBeGreaterThan(RUNS * 30 - 1);
      expect(t.rbacWrites, 'RBAC writes').toBeGreaterThan(RUNS * 5);
      expect(t.rbacWrite409, 'RBAC writes answered 409').toBeGreaterThan(RUNS / 4);
      expect(t.bindingsWithRoleRef, 'binding writes with their roleRef').toBeGreaterThan(RUNS / 4);
      expect(t.gcOnly, 'gc-only patches').toBeGreaterThan(0);
      expect(t.impersonated, 'impersonated requests').toBeGreaterThan(RUNS / 2);
      expect(t.masters, 'system:masters requests').toBeGreaterThan(0);
      expect(t.requestReceivedOnly, 'RequestReceived alone').toBeGreaterThan(0);
      expect(t.bothStages, 'two stages of one request').toBeGreaterThan(RUNS / 2);
      expect(observed, 'accesses verify replayed').toBeGreaterThan(RUNS * 15);
      expect(undetermined, 'documented undetermined results').toBeGreaterThan(0);
      expect(shuffled).toBeGreaterThan(0);
      expect(empty, 'runs with nothing in scope').toBeLessThan(RUNS / 10);
    }
    expect(failures.join('\n\n')).toBe('');
  }, 120_000);
});
