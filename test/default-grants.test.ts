// Every cluster grants some requests before anyone writes a binding: discovery and health URLs and self-reviews to
// every authenticated user, health URLs to anyone, the service-account issuer's OIDC documents to every service
// account (Kubernetes' bootstrap ClusterRoles and their default bindings). `generate rbac` writes no rule for them
// (they would be a ClusterRole and binding that add nothing), says so, and the evaluator counts them allowed as the
// cluster would, unless told with --no-default-grants that the cluster removed those bindings.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';
import { defaultGrantMatcher, impliedGroups } from '../src/knowledge/kubernetes/defaultGrants.js';
import { defaultGrantFor } from '../src/verify/rbac/defaults.js';
import type { K8sAccess } from '../src/model/access.js';

const url = (verb: string, nonResourceURL: string): K8sAccess => ({
  verb,
  apiGroup: '',
  resource: '',
  subresource: '',
  namespace: '',
  name: '',
  nonResourceURL,
});
const res = (verb: string, apiGroup: string, resource: string, subresource = ''): K8sAccess => ({
  verb,
  apiGroup,
  resource,
  subresource,
  namespace: '',
  name: '',
  nonResourceURL: '',
});

const SA = { username: 'system:serviceaccount:shop:web', groups: [] as string[] };
const USER = { username: 'alice@example.com', groups: ['system:authenticated'] };
const BARE_USER = { username: 'bob', groups: [] as string[] };
const ANON = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
const GROUP_DEVS = { username: '', groups: ['devs'] };
const GROUP_AUTH = { username: '', groups: ['system:authenticated'] };
// An OpenShift user signed in through its OAuth server, and one with a client certificate (no OAuth group).
const OC_USER = { username: 'alice', groups: ['system:authenticated:oauth', 'system:authenticated'] };
const named = (access: K8sAccess, name: string): K8sAccess => ({ ...access, name });
const OS_USERS = res('get', 'user.openshift.io', 'users');
const OS_PROJECTS = 'project.openshift.io';

// [what, access, requester, the default ClusterRole that allows it (or undefined)]
const TABLE: [string, K8sAccess, { username: string; groups: string[] }, string | undefined][] = [
  ['kubectl discovery root', url('get', '/api'), USER, 'system:discovery'],
  ['group discovery', url('get', '/apis'), USER, 'system:discovery'],
  ['a group version', url('get', '/apis/apps/v1'), SA, 'system:discovery'],
  ['core version', url('get', '/api/v1'), BARE_USER, 'system:discovery'],
  ['/api/ itself', url('get', '/api/'), USER, 'system:discovery'],
  ['openapi v3 document', url('get', '/openapi/v3/apis/apps/v1'), USER, 'system:discovery'],
  ['openapi v2', url('get', '/openapi/v2'), SA, 'system:discovery'],
  ['version (discovery comes first by name)', url('get', '/version'), USER, 'system:discovery'],
  ['version/ with the slash', url('get', '/version/'), USER, 'system:discovery'],
  ['health for anyone', url('get', '/healthz'), ANON, 'system:public-info-viewer'],
  ['readiness for anyone', url('get', '/readyz'), ANON, 'system:public-info-viewer'],
  ['liveness, a user', url('get', '/livez'), USER, 'system:discovery'],
  ['no discovery for anonymous', url('get', '/api'), ANON, undefined],
  ['no openapi for anonymous', url('get', '/openapi/v2'), ANON, undefined],
  ['a sub-check of health is not granted', url('get', '/healthz/etcd'), USER, undefined],
  ['/apisx is not under /apis/', url('get', '/apisx'), USER, undefined],
  ['/version/x is not granted', url('get', '/version/x'), USER, undefined],
  ['metrics are not granted', url('get', '/metrics'), USER, undefined],
  ['only get', url('post', '/api'), USER, undefined],
  ['can-i', res('create', 'authorization.k8s.io', 'selfsubjectaccessreviews'), USER, 'system:basic-user'],
  ['auth can-i --list', res('create', 'authorization.k8s.io', 'selfsubjectrulesreviews'), SA, 'system:basic-user'],
  ['auth whoami (1.28)', res('create', 'authentication.k8s.io', 'selfsubjectreviews'), BARE_USER, 'system:basic-user'],
  ['another user: not granted', res('create', 'authorization.k8s.io', 'subjectaccessreviews'), USER, undefined],
  ['whoami in the wrong group', res('create', 'authorization.k8s.io', 'selfsubjectreviews'), USER, undefined],
  ['only create', res('get', 'authorization.k8s.io', 'selfsubjectaccessreviews'), USER, undefined],
  ['no self-review for anonymous', res('create', 'authorization.k8s.io', 'selfsubjectaccessreviews'), ANON, undefined],
  ['pods are never a default', res('list', '', 'pods'), USER, undefined],
  [
    'no subresource of a self-review',
    res('create', 'authorization.k8s.io', 'selfsubjectaccessreviews', 'x'),
    USER,
    undefined,
  ],
  ['OIDC discovery, a service account', url('get', '/.well-known/openid-configuration'), SA, DISCO()],
  ['OIDC keys, a service account', url('get', '/openid/v1/jwks'), SA, DISCO()],
  ['OIDC keys, a user', url('get', '/openid/v1/jwks'), USER, undefined],
  ['a group principal: an anonymous member of devs', url('get', '/api'), GROUP_DEVS, undefined],
  ['a group principal: system:authenticated itself', url('get', '/api'), GROUP_AUTH, 'system:discovery'],
  // OpenShift's own, on its own API groups (openshift-apiserver pkg/bootstrappolicy).
  ['oc whoami: users ~', named(OS_USERS, '~'), OC_USER, 'basic-user'],
  ['oc whoami by a service account', named(OS_USERS, '~'), SA, 'basic-user'],
  ['another user by name is not granted', named(OS_USERS, 'bob'), OC_USER, undefined],
  ['users ~ in the core group is not OpenShift', named(res('get', '', 'users'), '~'), OC_USER, undefined],
  ['users ~ for anonymous', named(OS_USERS, '~'), ANON, undefined],
  ['oc projects: list', res('list', OS_PROJECTS, 'projects'), OC_USER, 'basic-user'],
  [
    'a project by name: view or admin, not a default',
    named(res('get', OS_PROJECTS, 'projects'), 'shop'),
    OC_USER,
    undefined,
  ],
  ['oc new-project, an OAuth user', res('create', OS_PROJECTS, 'projectrequests'), OC_USER, 'self-provisioner'],
  ['oc new-project, a certificate user', res('create', OS_PROJECTS, 'projectrequests'), USER, undefined],
  ['oc new-project, a service account', res('create', OS_PROJECTS, 'projectrequests'), SA, undefined],
  ['OpenShift rules review', res('create', 'authorization.openshift.io', 'selfsubjectrulesreviews'), SA, 'basic-user'],
  [
    'OpenShift rules review, anonymous',
    res('create', 'authorization.openshift.io', 'selfsubjectrulesreviews'),
    ANON,
    'self-access-reviewer',
  ],
  ['oc logout', named(res('delete', 'oauth.openshift.io', 'oauthaccesstokens'), 'sha256~x'), OC_USER, OAUTH_DEL()],
  [
    'a Git host’s push hook',
    named(res('create', 'build.openshift.io', 'buildconfigs', 'webhooks'), 'web'),
    ANON,
    'system:webhook',
  ],
  ['a build config itself is not', named(res('get', 'build.openshift.io', 'buildconfigs'), 'web'), USER, undefined],
  [
    'rbac clusterroles: basic-user’s too, but on every cluster’s group',
    res('list', 'rbac.authorization.k8s.io', 'clusterroles'),
    OC_USER,
    undefined,
  ],
];

function OAUTH_DEL(): string {
  return 'system:oauth-token-deleter';
}

function DISCO(): string {
  return 'system:service-account-issuer-discovery';
}

describe("the cluster's default grants: the generator's matcher and the evaluator agree", () => {
  it.each(TABLE)('%s', (_what, access, who, role) => {
    expect(defaultGrantMatcher(who)(access)).toBe(role);
    // The evaluator reads the same facts as ClusterRoles and bindings and judges them as the authorizer does.
    expect(defaultGrantFor({ ...who, ...access })).toBe(role);
  });

  it('the API server adds system:authenticated to a named user and system:serviceaccounts to a service account', () => {
    expect(impliedGroups(BARE_USER)).toEqual(['system:authenticated']);
    expect(impliedGroups(SA)).toEqual(['system:authenticated', 'system:serviceaccounts']);
    expect(impliedGroups(ANON)).toEqual(['system:unauthenticated']);
    expect(impliedGroups(GROUP_DEVS)).toEqual(['devs']);
  });
});

let n = 0;
function event(
  day: 2 | 3,
  user: string,
  groups: string[],
  verb: string,
  uri: string,
  objectRef?: Record<string, string>,
) {
  n++;
  const at = `2026-11-0${day}T10:00:${String(n).padStart(2, '0')}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: uri,
    verb,
    user: { username: user, groups },
    sourceIPs: ['10.0.0.5'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    ...(objectRef ? { objectRef } : {}),
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: `${at}.000000Z`,
    stageTimestamp: `${at}.010000Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'];

/** A service account that reads its pods, runs kubectl's discovery and can-i, and reads the OIDC keys. */
function log(): string {
  const dir = tmp('default-grants-');
  const sa = 'system:serviceaccount:shop:deployer';
  const events = [
    event(2, sa, SA_GROUPS, 'get', '/api?timeout=32s'),
    event(2, sa, SA_GROUPS, 'get', '/apis?timeout=32s'),
    event(2, sa, SA_GROUPS, 'get', '/openapi/v3/apis/apps/v1?hash=8C3F'),
    event(2, sa, SA_GROUPS, 'get', '/.well-known/openid-configuration'),
    event(2, sa, SA_GROUPS, 'create', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      resource: 'selfsubjectaccessreviews',
      apiGroup: 'authorization.k8s.io',
      apiVersion: 'v1',
    }),
    event(2, sa, SA_GROUPS, 'list', '/api/v1/namespaces/shop/pods?limit=500', {
      resource: 'pods',
      namespace: 'shop',
      apiVersion: 'v1',
    }),
    // The next day, after the split: discovery of another group version, and pods again.
    event(3, sa, SA_GROUPS, 'get', '/apis/batch/v1?timeout=32s'),
    event(3, sa, SA_GROUPS, 'get', '/version?timeout=32s'),
    event(3, sa, SA_GROUPS, 'list', '/api/v1/namespaces/shop/pods?limit=500', {
      resource: 'pods',
      namespace: 'shop',
      apiVersion: 'v1',
    }),
    event(3, sa, SA_GROUPS, 'get', '/apis/apps/v1?timeout=32s'),
    // Another principal, for the backtest's negative samples: its discovery is no excess of the deployer's policy.
    event(2, 'system:serviceaccount:shop:web', SA_GROUPS, 'get', '/apis/policy/v1'),
    event(2, 'system:serviceaccount:shop:web', SA_GROUPS, 'get', '/api/v1/namespaces/shop/configmaps/web', {
      resource: 'configmaps',
      namespace: 'shop',
      name: 'web',
      apiVersion: 'v1',
    }),
  ];
  const file = join(dir, 'audit.log');
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

const files = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
        .sort()
    : [];

describe('generate, verify, check and backtest with the default grants', () => {
  const audit = log();

  it('generate writes no ClusterRole for discovery, OIDC and can-i, and lists what it left to the cluster', () => {
    const out = tmp('dg-out-');
    const g = cli(['generate', 'rbac', '--k8s-audit', audit, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(files(join(out, 'rbac'))).toEqual([
      'shop/serviceaccount.shop.deployer.yaml',
      'shop/serviceaccount.shop.web.yaml',
    ]);
    expect(g.stderr).toContain(
      "left to the cluster's default grants: 9 accesses of 2 subjects (system:basic-user: create " +
        'selfsubjectaccessreviews.authorization.k8s.io (cluster-wide); system:discovery: get /api, get /apis, get /apis/apps/v1, ' +
        'get /apis/batch/v1, and 3 more; system:service-account-issuer-discovery: get ' +
        "/.well-known/openid-configuration), which every cluster with Kubernetes' default bindings allows; " +
        '--no-default-grants writes rules for them',
    );
    const role = readFileSync(join(out, 'rbac/shop/serviceaccount.shop.deployer.yaml'), 'utf8');
    expect(role).not.toContain('nonResourceURLs');
    expect(role).not.toContain('selfsubjectaccessreviews');

    const v = cli(['verify', '--policies', out, '--k8s-audit', audit]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('OK: 11 of 11 observed accesses allowed (rbac 11/11)');
    expect(v.stdout).toContain("of those, 9 allowed by the cluster's default ClusterRoles");

    // A cluster that removed the default bindings: verify says what it would deny, and why.
    const hard = cli(['verify', '--policies', out, '--k8s-audit', audit, '--no-default-grants']);
    expect(hard.code).toBe(1);
    expect(hard.stdout).toContain('FAIL: 2 of 11 observed accesses allowed');
    expect(hard.stdout).toContain('system:serviceaccount:shop:deployer: get /.well-known/openid-configuration');
    expect(hard.stdout).not.toContain('of those');

    const check = cli(['check', '--policies', out, '--k8s-audit', audit, '--no-default-grants', '--format', 'json']);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout) as { wouldDeny: { principal: string; summary: string }[] };
    expect(report.wouldDeny.map((f) => f.summary)).toContain('get /.well-known/openid-configuration');
    expect(report.wouldDeny).toHaveLength(9);
    // Where the cluster keeps them, check passes and says how much rests on them (a PR comment has no stderr).
    const soft = cli(['check', '--policies', out, '--k8s-audit', audit]);
    expect(soft.code).toBe(0);
    expect(soft.stdout).toContain(
      "9 observed accesses were allowed only by the cluster's default ClusterRoles (discovery, health, self-reviews; OpenShift's for every user)",
    );
    const softJson = cli(['check', '--policies', out, '--k8s-audit', audit, '--format', 'json']);
    expect((JSON.parse(softJson.stdout) as { byDefaultGrants?: number }).byDefaultGrants).toBe(9);
    expect(check.stdout).not.toContain('byDefaultGrants');
  });

  it('--no-default-grants writes them as rules, and verify passes on a cluster without the default bindings', () => {
    const out = tmp('dg-hard-');
    const g = cli(['generate', 'rbac', '--k8s-audit', audit, '-o', out, '--no-default-grants']);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).not.toContain("left to the cluster's default grants");
    expect(files(join(out, 'rbac'))).toContain('_cluster/serviceaccount.shop.deployer.yaml');
    const cluster = readFileSync(join(out, 'rbac/_cluster/serviceaccount.shop.deployer.yaml'), 'utf8');
    for (const u of ['/api', '/apis', '/.well-known/openid-configuration', '/openapi/v3/apis/apps/v1'])
      expect(cluster).toContain(`- ${u}\n`);
    expect(cluster).toContain('selfsubjectaccessreviews');
    const v = cli(['verify', '--policies', out, '--k8s-audit', audit, '--no-default-grants']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain('OK: 11 of 11 observed accesses allowed');

    // diff of that tree (committed by an older release, say) against the default one: no access changed where the
    // cluster keeps its default bindings; where it removed them, the rules' removal is removed access.
    const soft = tmp('dg-soft-');
    expect(cli(['generate', 'rbac', '--k8s-audit', audit, '-o', soft, '-q']).code).toBe(0);
    const same = cli(['diff', join(out, 'rbac'), join(soft, 'rbac')]);
    expect(same.code, same.stdout).toBe(0);
    expect(same.stdout).toContain('OK: 0 new access (0 risky), 0 removed access');
    const hard = cli(['diff', join(out, 'rbac'), join(soft, 'rbac'), '--no-default-grants', '--format', 'json']);
    expect(hard.code).toBe(1);
    const removed = (JSON.parse(hard.stdout) as { removedAccess: { summary: string }[] }).removedAccess;
    expect(removed.map((f) => f.summary)).toContain('get /.well-known/openid-configuration');
    expect(removed).toHaveLength(9);
  });

  it("the backtest: discovery after the split is not breakage, and other principals' discovery is no excess", () => {
    const args = ['backtest', '-q', '--format', 'json', '--k8s-audit', audit, '--split', '2026-11-03T00:00:00Z'];
    const run = (extra: string[] = []) => {
      const r = cli([...args, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as {
        observed: number;
        allowed: number;
        wouldDeny: { reason: string; access: { nonResourceURL: string } }[];
        excess: { rbac?: { samples: number; allowed: number } };
      };
    };
    const soft = run();
    expect([soft.observed, soft.allowed]).toEqual([4, 4]);
    // The deployer's sample is web's configmap (its /apis/policy/v1 the cluster grants anyway), web's the deployer's
    // pods: the rest of what each did the other is granted by default.
    expect(soft.excess.rbac).toMatchObject({ samples: 2, allowed: 0 });
    const hard = run(['--no-default-grants']);
    expect([hard.observed, hard.allowed]).toEqual([4, 1]);
    expect(hard.wouldDeny.map((d) => d.access.nonResourceURL).sort()).toEqual([
      '/apis/apps/v1',
      '/apis/batch/v1',
      '/version',
    ]);
    expect(hard.excess.rbac).toMatchObject({ samples: 11, allowed: 0 });
  });

  it("a config's widenings.rbac.defaultGrants: false is --no-default-grants for generate and verify alike", () => {
    const dir = tmp('dg-config-');
    writeFileSync(
      join(dir, 'audit2policy.yaml'),
      'apiVersion: audit2policy.dev/v1alpha1\nkind: Config\nwidenings:\n  rbac:\n    defaultGrants: false\n',
    );
    const soft = tmp('dg-soft-');
    expect(cli(['generate', 'rbac', '--k8s-audit', audit, '-o', soft, '-q', '--no-config']).code).toBe(0);
    const v = cli(['verify', '--policies', soft, '--k8s-audit', audit], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('FAIL: 2 of 11 observed accesses allowed');
    const g = cli(['generate', 'rbac', '--k8s-audit', audit, '-o', join(dir, 'out')], { cwd: dir });
    expect(g.code, g.stderr).toBe(0);
    expect(files(join(dir, 'out/rbac'))).toContain('_cluster/serviceaccount.shop.deployer.yaml');
  });

  it('the report marks what every cluster grants', () => {
    const out = join(tmp('dg-report-'), 'report.md');
    const r = cli(['report', '--k8s-audit', audit, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('get /api \\(granted by default: system:discovery\\)');
    expect(md).toContain(
      'create selfsubjectaccessreviews.authorization.k8s.io \\(cluster-wide\\) \\(granted by default: system:basic-user\\)',
    );
    expect(md).not.toMatch(/list pods in shop \\\(granted/);
  });
});

/** A GKE Cloud Logging entry (as `gcloud logging read --format=json` prints it): GKE records no groups. */
function gkeEntry(n: number, user: string, method: string, resourceName: string) {
  return {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      authenticationInfo: { principalEmail: user },
      authorizationInfo: [{ permission: method, granted: true, resource: resourceName }],
      methodName: method,
      requestMetadata: { callerIp: '203.0.113.9', callerSuppliedUserAgent: 'kubectl/v1.34.1 (linux/amd64)' },
      resourceName,
      serviceName: 'k8s.io',
      status: {},
    },
    insertId: `gke-${n}`,
    resource: { type: 'k8s_cluster', labels: { cluster_name: 'shop-staging', location: 'europe-west1' } },
    timestamp: `2026-11-02T08:0${n}:00.123456Z`,
    logName: 'projects/shop-staging-1234/logs/cloudaudit.googleapis.com%2Fdata_access',
    operation: { id: `0000000${n}-a81a-4808-8945-cfa8cfb85cfa`, producer: 'k8s.io', first: true, last: true },
  };
}

describe('GKE: a user whose entries carry no groups is still in system:authenticated', () => {
  it("kubectl's discovery is left to the cluster, its pods get a Role, and verify allows both", () => {
    const file = join(tmp('dg-gke-'), 'gke.json');
    const user = 'dev@example.com';
    writeFileSync(
      file,
      JSON.stringify([
        gkeEntry(1, user, 'io.k8s.get', 'api'),
        gkeEntry(2, user, 'io.k8s.get', 'apis/apps/v1'),
        gkeEntry(3, user, 'io.k8s.core.v1.pods.list', 'core/v1/namespaces/shop/pods'),
      ]),
    );
    const out = tmp('dg-gke-out-');
    const g = cli(['generate', 'rbac', '--k8s-audit', file, '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain(
      "left to the cluster's default grants: 2 accesses of 1 subject (system:discovery: get /api, get /apis/apps/v1)",
    );
    expect(files(join(out, 'rbac'))).toEqual(['shop/user.dev~40example~2Ecom.yaml']);
    const v = cli(['verify', '--policies', out, '--k8s-audit', file]);
    expect(v.stdout).toContain('OK: 3 of 3 observed accesses allowed');
  });
});
