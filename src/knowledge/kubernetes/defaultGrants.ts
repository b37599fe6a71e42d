import type { K8sAccess } from '../../model/access.js';

/**
 * What every Kubernetes cluster grants by default, before anyone writes a binding: the bootstrap ClusterRoles the
 * API server reconciles at start (labelled `kubernetes.io/bootstrapping=rbac-defaults`) that are bound to groups
 * every identity of a kind belongs to. From plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go and the
 * Kubernetes documentation ("Using RBAC Authorization", API discovery roles):
 *
 * - `system:discovery` (to `system:authenticated`; also to `system:unauthenticated` before 1.14): GET on the
 *   discovery and health URLs (`/api`, `/apis` and below, `/openapi`, `/version`, `/healthz`, `/livez`, `/readyz`);
 * - `system:public-info-viewer` (to `system:authenticated` and `system:unauthenticated`, 1.14+): GET on `/healthz`,
 *   `/livez`, `/readyz`, `/version`;
 * - `system:basic-user` (to `system:authenticated`): create self-subject access and rules reviews, and (1.28+,
 *   `kubectl auth whoami`) self-subject reviews;
 * - `system:service-account-issuer-discovery` (to `system:serviceaccounts`, 1.20+): GET on the service-account
 *   issuer's OIDC discovery document and keys.
 *
 * The API server puts every authenticated request in `system:authenticated` and every service account's in
 * `system:serviceaccounts`, whatever else the authenticator says. So a request these cover is allowed in any cluster
 * that keeps its default bindings, whatever RBAC a tool writes: writing it again is a ClusterRole and binding that
 * add nothing (audit2rbac leaves discovery out for that reason). A cluster that removed them (the API server
 * restores them at start unless annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`) is told with
 * `--no-default-grants`, and then they are written like any other access.
 *
 * OpenShift adds its own (openshift/openshift-apiserver pkg/bootstrappolicy, policy.go and constants.go), of which
 * only the rules on OpenShift's own API groups (`*.openshift.io`) are taken: a request there was answered by
 * OpenShift's API server, so the request itself says the cluster has them, where a rule on a group every cluster
 * serves (`basic-user` also reads `clusterroles` and `storageclasses`) would need the tool to know the platform:
 *
 * - `basic-user` (binding `basic-users`, to `system:authenticated`): get `users` named `~` (`oc whoami`), list and
 *   watch `projects` (`oc projects`), list `projectrequests`, get and list OpenShift's `clusterroles`, create
 *   `selfsubjectrulesreviews`;
 * - `self-access-reviewer` (`self-access-reviewers`, to `system:authenticated` and `system:unauthenticated`): create
 *   `selfsubjectrulesreviews`;
 * - `self-provisioner` (`self-provisioners`, to `system:authenticated:oauth`, the group OpenShift's OAuth server puts
 *   its users in: not service accounts): create `projectrequests` (`oc new-project`);
 * - `system:oauth-token-deleter` (`system:oauth-token-deleters`, to both): delete OAuth tokens (`oc logout`);
 * - `system:webhook` (`system:webhooks`, to both): get and create `buildconfigs/webhooks` (a Git host's push hook);
 * - `system:openshift:scc:restricted-v2` (4.11+, from the kube-apiserver operator, to `system:authenticated`): `use`
 *   the SecurityContextConstraints `restricted-v2`, the one pods are admitted under by default.
 *
 * The generator asks `defaultGrantMatcher` (its own matching); the evaluator reads `defaultGrantObjects` as any
 * ClusterRole and binding, so the two share the facts but not the matching. The list is sorted by ClusterRole name:
 * where two allow a request, both name the first.
 */
export interface DefaultGrant {
  clusterRole: string;
  /** The platform that adds it, for one Kubernetes does not. */
  platform?: 'OpenShift';
  /** Its default ClusterRoleBinding's name, when not the ClusterRole's. */
  binding?: string;
  /** The groups that binding binds. */
  groups: string[];
  rules: {
    verbs: string[];
    apiGroups?: string[];
    /** `resource` or `resource/subresource`. */
    resources?: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
  }[];
}

const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const SERVICE_ACCOUNTS = 'system:serviceaccounts';
const OAUTH_USERS = 'system:authenticated:oauth';
const OS_AUTHZ = 'authorization.openshift.io';
const OS_PROJECT = 'project.openshift.io';

export const DEFAULT_GRANTS: readonly DefaultGrant[] = [
  {
    clusterRole: 'basic-user',
    platform: 'OpenShift',
    binding: 'basic-users',
    groups: [AUTHENTICATED],
    rules: [
      { verbs: ['get'], apiGroups: ['user.openshift.io'], resources: ['users'], resourceNames: ['~'] },
      { verbs: ['list'], apiGroups: [OS_PROJECT], resources: ['projectrequests'] },
      { verbs: ['get', 'list'], apiGroups: [OS_AUTHZ], resources: ['clusterroles'] },
      { verbs: ['list', 'watch'], apiGroups: [OS_PROJECT], resources: ['projects'] },
      { verbs: ['create'], apiGroups: [OS_AUTHZ], resources: ['selfsubjectrulesreviews'] },
    ],
  },
  {
    clusterRole: 'self-access-reviewer',
    platform: 'OpenShift',
    binding: 'self-access-reviewers',
    groups: [AUTHENTICATED, UNAUTHENTICATED],
    rules: [{ verbs: ['create'], apiGroups: [OS_AUTHZ], resources: ['selfsubjectrulesreviews'] }],
  },
  {
    clusterRole: 'self-provisioner',
    platform: 'OpenShift',
    binding: 'self-provisioners',
    groups: [OAUTH_USERS],
    rules: [{ verbs: ['create'], apiGroups: [OS_PROJECT], resources: ['projectrequests'] }],
  },
  {
    clusterRole: 'system:basic-user',
    groups: [AUTHENTICATED],
    rules: [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    ],
  },
  {
    clusterRole: 'system:discovery',
    groups: [AUTHENTICATED],
    rules: [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      },
    ],
  },
  {
    clusterRole: 'system:oauth-token-deleter',
    platform: 'OpenShift',
    binding: 'system:oauth-token-deleters',
    groups: [AUTHENTICATED, UNAUTHENTICATED],
    rules: [
      {
        verbs: ['delete'],
        apiGroups: ['oauth.openshift.io'],
        resources: ['oauthaccesstokens', 'oauthauthorizetokens'],
      },
    ],
  },
  {
    // OpenShift 4.11+ (openshift/cluster-kube-apiserver-operator, bindata/bootkube/scc-manifests: the ClusterRole
    // `system:openshift:scc:restricted-v2` and its binding to system:authenticated): every authenticated identity may
    // have its pods admitted under the default SCC.
    clusterRole: 'system:openshift:scc:restricted-v2',
    platform: 'OpenShift',
    groups: [AUTHENTICATED],
    rules: [
      {
        verbs: ['use'],
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: ['restricted-v2'],
      },
    ],
  },
  {
    clusterRole: 'system:public-info-viewer',
    groups: [AUTHENTICATED, UNAUTHENTICATED],
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }],
  },
  {
    clusterRole: 'system:service-account-issuer-discovery',
    groups: [SERVICE_ACCOUNTS],
    rules: [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/.well-known/openid-configuration',
          '/.well-known/openid-configuration/',
          '/openid/v1/jwks',
          '/openid/v1/jwks/',
        ],
      },
    ],
  },
  {
    clusterRole: 'system:webhook',
    platform: 'OpenShift',
    binding: 'system:webhooks',
    groups: [AUTHENTICATED, UNAUTHENTICATED],
    rules: [{ verbs: ['get', 'create'], apiGroups: ['build.openshift.io'], resources: ['buildconfigs/webhooks'] }],
  },
];

/**
 * The groups every member of group `name` holds: it, and `system:authenticated` unless it is
 * `system:unauthenticated`, whose members are anonymous (kubernetes/apiserver's AuthenticatedGroupAdder adds
 * `system:authenticated` to every user that authenticated). A grant to a group is asked as one of its members.
 */
export function memberGroups(name: string): string[] {
  return name === UNAUTHENTICATED || name === AUTHENTICATED ? [name] : [name, AUTHENTICATED].sort();
}

/**
 * The groups the API server gives a requester beyond those recorded: `system:authenticated` to anyone named but
 * `system:anonymous`, `system:serviceaccounts` to a service account. A group principal (no username) gets none.
 */
export function impliedGroups(who: { username: string; groups: readonly string[] }): string[] {
  const out = new Set(who.groups);
  if (who.username !== '' && who.username !== 'system:anonymous' && !out.has(UNAUTHENTICATED)) out.add(AUTHENTICATED);
  if (who.username.startsWith('system:serviceaccount:')) out.add(SERVICE_ACCOUNTS);
  return [...out].sort();
}

/**
 * The default ClusterRole that allows a requester's accesses, if any (the first by name), the grants its groups reach
 * found once. Resource requests match on group, resource (with its subresource), verb and, where a rule names
 * objects, the object's name; non-resource ones on the path, exact or under a `/*` prefix.
 */
export function defaultGrantMatcher(who: {
  username: string;
  groups: readonly string[];
}): (access: K8sAccess) => string | undefined {
  const groups = impliedGroups(who);
  const grants = DEFAULT_GRANTS.filter((g) => g.groups.some((x) => groups.includes(x)));
  // Most accesses are of a verb no reachable rule names, and leave here.
  const verbs = new Set(grants.flatMap((g) => g.rules.flatMap((r) => r.verbs)));
  return (access) => {
    if (!verbs.has(access.verb)) return undefined;
    for (const g of grants)
      for (const r of g.rules) {
        if (!r.verbs.includes(access.verb)) continue;
        if (access.nonResourceURL !== '') {
          if (r.nonResourceURLs?.some((u) => urlCovers(u, access.nonResourceURL))) return g.clusterRole;
        } else if (
          r.apiGroups?.includes(access.apiGroup) &&
          r.resources?.includes(access.subresource ? `${access.resource}/${access.subresource}` : access.resource) &&
          (!r.resourceNames || (access.name !== '' && r.resourceNames.includes(access.name)))
        )
          return g.clusterRole;
      }
    return undefined;
  };
}

const urlCovers = (pattern: string, path: string): boolean =>
  pattern.endsWith('/*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;

/** The default ClusterRoles and their bindings as the objects a cluster holds, for an evaluator to read. */
export function defaultGrantObjects(): Record<string, unknown>[] {
  const meta = (name: string) => ({ name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } });
  const out: Record<string, unknown>[] = [];
  for (const g of DEFAULT_GRANTS) {
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(g.clusterRole),
      rules: g.rules.map((r) => ({ ...r })),
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(g.binding ?? g.clusterRole),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: g.clusterRole },
      subjects: g.groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
    });
  }
  return out;
}
