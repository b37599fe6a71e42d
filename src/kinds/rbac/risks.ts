import type { Risk } from '../../model/finding.js';

// ---- the documented catalogue of risky permissions (docs/report.md): Kubernetes ----------------
//
// Sources, by title: Kubernetes "Role Based Access Control Good Practices" (its privilege escalation risks:
// listing secrets, workload creation, persistent volume creation, the nodes/proxy subresource, the escalate, bind
// and impersonate verbs, CSRs and certificate issuing, token request, admission webhooks, namespace modification);
// Kubernetes "Using RBAC Authorization" (how `*`, `*/subresource` and groups match; `pods/*` is no wildcard);
// Kubernetes "Authenticating" (which resources impersonation names); "Ephemeral Containers" (added to a running
// pod through its `ephemeralcontainers` subresource); "NodeRestriction" admission (node labels steer workloads);
// CVE-2021-25740 (Endpoints and EndpointSlice writes forward traffic across namespaces); OpenShift "Managing
// security context constraints" (pods admitted under an SCC other than the default restricted-v2 may run as any
// user, privileged, or with the host's namespaces and file system).

/** One access or one grant as the catalogue reads it: a grant may carry `*` in its verb, group and resource. */
export interface K8sRiskInput {
  verb: string;
  resource: string;
  subresource: string;
  apiGroup: string;
  nonResourceURL: string;
}

const CORE = '';
const APPS = ['apps', 'extensions'];
const RBAC = 'rbac.authorization.k8s.io';
const CERTS = 'certificates.k8s.io';
const ADMISSION = 'admissionregistration.k8s.io';

/** Workloads: each runs pods from a template, so creating one runs any image as any service account. */
const WORKLOADS: [string, string[]][] = [
  ['pods', [CORE]],
  ['replicationcontrollers', [CORE]],
  ['deployments', APPS],
  ['daemonsets', APPS],
  ['statefulsets', APPS],
  ['replicasets', APPS],
  ['jobs', ['batch']],
  ['cronjobs', ['batch']],
];

const RBAC_RESOURCES = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];
const READS = ['get', 'list', 'watch'];
const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const CHANGES = ['create', 'update', 'patch'];

/** Why one Kubernetes access or grant is risky, with levels; [] when it is not. */
export function k8sRiskList(a: K8sRiskInput): Risk[] {
  const out: Risk[] = [];
  const add = (level: Risk['level'], reason: string) => out.push({ level, reason });
  if (a.nonResourceURL) {
    // `*` and `/*` match every path (a trailing `*` is a prefix match).
    if (a.verb === '*' || a.nonResourceURL === '*' || a.nonResourceURL === '/*') add('high', 'a wildcard');
    return out;
  }
  const verb = (...vs: string[]) => a.verb === '*' || vs.includes(a.verb);
  const group = (gs: string[]) => a.apiGroup === '*' || gs.includes(a.apiGroup);
  // RBAC's matching: `*` is every resource and subresource; `*/sub` any resource's sub; `pods/*` only itself.
  const on = (resource: string, gs: string[], sub = '') =>
    group(gs) &&
    (a.resource === resource ? a.subresource === sub : a.resource === '*' && sub !== '' && a.subresource === sub);
  if (a.resource === '*' && !a.subresource) {
    // Every resource, those added later too (RBAC Good Practices): each reason below would apply.
    add('high', 'a wildcard');
    return out;
  }
  if (a.verb === '*' || a.apiGroup === '*' || a.resource === '*') add('high', 'a wildcard');

  if (on('secrets', [CORE])) {
    // list and watch return the secrets' contents, as get does.
    if (verb(...READS)) add('high', 'reads secrets');
    if (verb(...WRITES)) add('high', 'writes secrets');
  }
  for (const sub of ['exec', 'attach', 'portforward'])
    if (on('pods', [CORE], sub)) add('high', `pods/${sub}: a shell or a tunnel into pods`);
  if (on('pods', [CORE], 'ephemeralcontainers') && verb('update', 'patch'))
    add('high', 'pods/ephemeralcontainers: runs a new container inside a running pod');
  for (const [resource, gs] of WORKLOADS) {
    if (!on(resource, gs)) continue;
    if (verb('create')) add('medium', `creates ${resource}: can run any image as any service account of the namespace`);
    if (verb('update', 'patch')) add('medium', `changes ${resource}: can swap the image or service account`);
  }
  if (on('persistentvolumes', [CORE]) && verb('create'))
    add('high', 'creates persistentvolumes: a hostPath volume reaches the node filesystem');
  // Any verb: `get` on nodes/proxy is enough for the kubelet's exec and run endpoints.
  if (on('nodes', [CORE], 'proxy')) add('high', 'nodes/proxy: the kubelet API');
  if (on('nodes', [CORE]) && verb('update', 'patch'))
    add('medium', 'changes nodes: labels and taints steer workloads onto a node');
  // Custom verbs of the same spelling on other resources (a CRD's) are no RBAC escalation.
  for (const v of ['escalate', 'bind'])
    if (verb(v) && (on('roles', [RBAC]) || on('clusterroles', [RBAC]))) add('high', `${v}: privilege escalation`);
  const impersonable =
    ['users', 'groups', 'serviceaccounts'].some((r) => on(r, [CORE])) ||
    (group(['authentication.k8s.io']) && (a.resource === 'userextras' || on('uids', ['authentication.k8s.io'])));
  if (verb('impersonate') && impersonable) add('high', 'impersonate: privilege escalation');
  for (const r of RBAC_RESOURCES) if (on(r, [RBAC]) && verb(...WRITES)) add('high', `writes RBAC (${r})`);
  if (on('serviceaccounts', [CORE], 'token') && verb('create')) add('high', 'mints service account tokens');
  if (on('certificatesigningrequests', [CERTS], 'approval') && verb('update', 'patch'))
    add('high', 'approves certificate signing requests');
  if (on('signers', [CERTS]) && verb('approve')) add('high', 'approve on signers: can have client certificates issued');
  if (on('certificatesigningrequests', [CERTS]) && verb('create'))
    add('low', 'creates certificate signing requests (issued once approved)');
  for (const r of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'])
    if (on(r, [ADMISSION]) && verb(...WRITES))
      add('high', `writes admission webhooks (${r}): sees or changes objects written`);
  if (on('namespaces', [CORE]) && verb('update', 'patch'))
    add('medium', 'changes namespaces: labels decide Pod Security admission and NetworkPolicy selection');
  // Every authenticated identity already uses restricted-v2 (the default grants): a grant is for another SCC.
  if (on('securitycontextconstraints', ['security.openshift.io']) && verb('use'))
    add('medium', 'use on SecurityContextConstraints: pods may run with more privilege than restricted-v2');
  if ((on('endpoints', [CORE]) || on('endpointslices', ['discovery.k8s.io'])) && verb(...CHANGES))
    add('medium', `writes ${a.resource}: can forward a Service to any address (CVE-2021-25740)`);
  return dedupeReasons(out);
}

/** Each reason once (a verb `*` on a resource can match one check twice), in the order found. */
function dedupeReasons(list: Risk[]): Risk[] {
  const seen = new Set<string>();
  return list.filter((r) => !seen.has(r.reason) && seen.add(r.reason));
}

/** The reasons alone, as the report lists them. */
export const k8sRisks = (a: K8sRiskInput): string[] => k8sRiskList(a).map((r) => r.reason);

/**
 * Why a grant is risky for whom it reaches, whatever it grants: a group every caller is in. `system:unauthenticated`
 * (and its user, `system:anonymous`) is anyone who reaches the API server without credentials, `system:authenticated`
 * every user and service account, `system:serviceaccounts` every service account, so any pod's token (RBAC
 * documentation, "Default roles and role bindings"), and OpenShift's `system:authenticated:oauth` every user its OAuth
 * server signs in. `diff` and `check` add it to the grant's own risks.
 */
export function k8sSubjectRisk(kind: string, name: string): Risk | undefined {
  const high = (reason: string): Risk => ({ level: 'high', reason });
  if ((kind === 'Group' && name === 'system:unauthenticated') || (kind === 'User' && name === 'system:anonymous'))
    return high(`granted to ${name}: anyone who reaches the API server, without credentials`);
  if (kind !== 'Group') return undefined;
  if (name === 'system:authenticated') return high('granted to system:authenticated: every user and service account');
  if (name === 'system:authenticated:oauth')
    return high("granted to system:authenticated:oauth: every user OpenShift's OAuth server signs in");
  if (name === 'system:serviceaccounts')
    return high("granted to system:serviceaccounts: every service account of the cluster, so any pod's token");
  return undefined;
}
