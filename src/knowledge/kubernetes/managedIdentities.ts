import { isPlatformNamespace } from './platformNamespaces.js';

/**
 * Kubernetes identities that belong to the cluster's control plane or to its managed provider, not to anything the
 * cluster's owner deploys: a policy written for one would be a policy for the provider's own component, which the
 * provider binds (and changes) itself. They are left out of scope unless `--include-system`.
 *
 * - Kubernetes reserves the `system:` prefix of users and groups for its own use (RBAC documentation, "Referring to
 *   subjects"). Of the usernames under it, two are not the control plane's: a workload's service account
 *   (`system:serviceaccount:<namespace>:<name>`, outside the platform's namespaces: `kube-system`, whose controllers
 *   are the control plane's, and OpenShift's `openshift-*`; see platformNamespaces.ts) and `system:anonymous`
 *   (unauthenticated requests, whose grants the owner decides). The rest are
 *   components: `system:kube-controller-manager`, `system:kube-scheduler`, `system:node:<name>`, `system:apiserver`,
 *   GKE's `system:gcp-controller-manager`, `system:addon-manager`, `system:clustermetrics`, OpenShift's
 *   `system:admin`, and whatever a distribution adds under the prefix.
 * - Amazon EKS: a custom username or group of an access entry "can't start with `system:`, `eks:`, `aws:`, `amazon:`,
 *   or `iam:`" (EKS user guide, "Create access entries"), as EKS names its own components there: the users of
 *   "Default Amazon EKS Kubernetes roles and users" (`eks:authenticator`, `eks:certificate-controller`,
 *   `eks:cluster-event-watcher`, `eks:fargate-scheduler`, `eks:k8s-metrics`, `eks:nodewatcher`,
 *   `eks:pod-identity-mutating-webhook`, `eks:addon-manager`, `eks:node-manager`...) and EKS Auto Mode's `eks:managed`
 *   group. Auto Mode's controllers sign in as the service-linked role `AWSServiceRoleForAmazonEKS` (EKS user guide,
 *   "Grant additional Kubernetes RBAC to EKS Auto Mode managed controllers"), so as EKS's default username of a role
 *   session, `arn:<partition>:sts::<account>:assumed-role/AWSServiceRoleFor…/<session>`: a service-linked role's
 *   policies are the service's to change (IAM user guide, "Using service-linked roles"), as on the CloudTrail side.
 * - GKE: Google's service agents call the API server as their e-mail, `service-<project number>@container-engine-
 *   robot.iam.gserviceaccount.com` and `service-<project number>@gcp-sa-<service>.iam.gserviceaccount.com` (Google
 *   Cloud IAM, "Service agents"); a project's own service accounts are `<name>@<project id>.iam.gserviceaccount.com`.
 */

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):[^:]+$/;
const EKS_RESERVED = /^(?:eks|aws|amazon|iam):/;
const SERVICE_LINKED_SESSION = /^arn:aws(?:-[a-z]+)*:sts::\d{12}:assumed-role\/AWSServiceRoleFor[\w+=,.@-]*\/[^/]+$/;
const GOOGLE_SERVICE_AGENT = /^service-\d+@(?:container-engine-robot|gcp-sa-[a-z0-9-]+)\.iam\.gserviceaccount\.com$/;

/** Whether a Kubernetes username is a control plane's or a managed provider's own (see above). */
export function isManagedUsername(username: string): boolean {
  if (username.startsWith('system:')) {
    if (username === 'system:anonymous') return false;
    const sa = SERVICE_ACCOUNT.exec(username);
    return sa === null || isPlatformNamespace(sa[1]!);
  }
  return EKS_RESERVED.test(username) || SERVICE_LINKED_SESSION.test(username) || GOOGLE_SERVICE_AGENT.test(username);
}

/**
 * Whether a group is Kubernetes' own (`system:authenticated`, `system:serviceaccounts:<ns>`, `system:masters`...: a
 * binding to one reaches every member, everyone for `system:authenticated`) or a managed provider's (`eks:managed`).
 */
export function isManagedGroup(group: string): boolean {
  return group.startsWith('system:') || EKS_RESERVED.test(group);
}

/**
 * Kubernetes' privileged group. The API server puts an authorizer ahead of every other that allows each request of
 * a member of `system:masters` (`user.SystemPrivilegedGroup` in its source), so no RBAC object restricts one: removing
 * every binding that names the group changes nothing. Credentials made for it: AKS's admin kubeconfig (`masterclient`),
 * kubeadm's `kubernetes-admin` before 1.29 and its `super-admin.conf` since, client certificates whose organisation is
 * the group. A Role made for such a user takes effect only once its credential leaves the group.
 */
export const PRIVILEGED_GROUP = 'system:masters';

/** What to say of a user whose requests carried the privileged group. */
export function privilegedGroupWarning(username: string): string {
  return (
    `${username} is in ${PRIVILEGED_GROUP}: the API server allows its every request before RBAC is asked, so the ` +
    `RBAC made for it restricts nothing until its credential leaves that group`
  );
}

/**
 * Kubernetes' groups whose members no one lists (RBAC documentation, "Default roles and role bindings" and "Service
 * account permissions"): a binding to one grants what any member did to every member, present and future, and a
 * binding to `system:masters` restricts nothing (its members pass before RBAC is asked). `generate rbac
 * --subject-kind group --include-system` leaves them out and lists them unless `--include-broad-groups`. Why, in
 * words, or undefined.
 */
export function broadGroup(kind: string, name: string): string | undefined {
  if (kind !== 'Group') return undefined;
  const all = 'a binding would grant them all what any member did';
  if (name === 'system:authenticated') return `every authenticated user and service account is a member: ${all}`;
  if (name === 'system:serviceaccounts') return `every service account of the cluster is a member: ${all}`;
  if (name.startsWith('system:serviceaccounts:'))
    return `every service account of namespace ${name.slice('system:serviceaccounts:'.length)} is a member, those made later too: ${all}`;
  if (name === 'system:masters')
    return 'its members pass every request before RBAC is asked: a binding restricts nothing';
  return undefined;
}
