import type { K8sAccess } from '../../model/access.js';
import { cmp } from '../../model/issue.js';
import { isGrantable, type Principal } from '../../model/profile.js';
import { own } from '../../util/own.js';

/**
 * What only OpenShift's API server serves: its own API groups (`project.openshift.io`, `user.openshift.io`,
 * `security.openshift.io`…). A request there that was answered says the cluster is OpenShift.
 */
export const isOpenShiftGroup = (apiGroup: string): boolean => apiGroup.endsWith('.openshift.io');

/** Where OpenShift writes the SecurityContextConstraints it admitted a pod under (apiserver-library-go). */
export const SCC_ANNOTATION = 'openshift.io/scc';
export const SCC_GROUP = 'security.openshift.io';
export const SCC_RESOURCE = 'securitycontextconstraints';

/**
 * OpenShift's policy groups: namespace labels no namespace carries, which its network plugins match in a
 * NetworkPolicy's namespaceSelector (OpenShift 4.6 and 4.7 release notes; "About network policy"). `host-network`
 * (OVN-Kubernetes) selects traffic from the host network: a node's address, host-network pods; `ingress` the Ingress
 * Controller's, whether its router pods (namespace `openshift-ingress`) run on the cluster network or the host's.
 */
export const HOST_NETWORK_GROUP = 'policy-group.network.openshift.io/host-network';
export const INGRESS_GROUP = 'policy-group.network.openshift.io/ingress';
export const ROUTER_NAMESPACE = 'openshift-ingress';
/** Whether a policy document names one of OpenShift's policy groups anywhere. */
export function namesPolicyGroup(o: unknown): boolean {
  const text = JSON.stringify(o) ?? '';
  return text.includes(HOST_NETWORK_GROUP) || text.includes(INGRESS_GROUP);
}
/** The namespace of OVN-Kubernetes' pods on OpenShift: an inventory holding it is of a cluster using that plugin. */
export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';

/** Writes that make pods, directly or through a controller, in the groups each resource lives in. */
const POD_MAKERS: Record<string, readonly string[]> = {
  '': ['pods', 'replicationcontrollers'],
  apps: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
  batch: ['jobs', 'cronjobs'],
  'apps.openshift.io': ['deploymentconfigs'],
};
const WRITES = new Set(['create', 'update', 'patch']);

/** Whether an access writes pods or a workload that makes pods (a pod template). */
export function makesPods(a: K8sAccess): boolean {
  // An API group is a log's word: `constructor` is no table entry (util/own.ts).
  return WRITES.has(a.verb) && a.subresource === '' && (own(POD_MAKERS, a.apiGroup)?.includes(a.resource) ?? false);
}

/**
 * OpenShift admits a pod only if its service account, or the user who created it, may `use` a
 * SecurityContextConstraints (the `use` verb on `securitycontextconstraints.security.openshift.io`). Admission asks
 * that itself: no request of the principal's records it. The SCC the pod was admitted under is written on it
 * (annotation `openshift.io/scc`): with an inventory, the generated RBAC grants each service account the SCCs its
 * controller-made pods ran under (inventory/profilePart.ts); without one, none.
 */
export function sccWarning(writers: readonly string[], fromInventory: boolean): string {
  const shown = writers.slice(0, 3).join(', ') + (writers.length > 3 ? `, and ${writers.length - 3} more` : '');
  const granted = fromInventory
    ? 'the generated RBAC grants each service account the SCCs its controller-made pods ran under in the inventory, ' +
      'none for pods a user created directly or workloads the inventory did not hold'
    : 'the generated RBAC grants no SCC (an --inventory of the pods, whose openshift.io/scc annotation names it, ' +
      'would)';
  return (
    `OpenShift (requests to *.openshift.io groups were answered): ${shown} wrote pods or workloads, whose pods are ` +
    'admitted only if their service account or creator may use a SecurityContextConstraints; admission checks that ' +
    `without a logged request, so ${granted}. Keep the SCC bindings the others need (oc adm policy ` +
    'add-scc-to-user) beside the policy'
  );
}

/**
 * On OpenShift (a request to one of its groups was answered, or an SCC admission came from the inventory), the
 * principals that wrote pods or workloads, and whether SCC admissions came from an inventory: what `sccWarning`
 * says. Principals are added one at a time (generate streams them); `result` is undefined elsewhere or when nobody
 * wrote pods.
 */
export class SccCoverage {
  private openShift = false;
  private fromInventory = false;
  private readonly writers = new Set<string>();

  add(p: Principal): void {
    for (const e of p.k8s) {
      if (!isGrantable(e)) continue;
      if (isOpenShiftGroup(e.apiGroup)) this.openShift = true;
      if (makesPods(e)) this.writers.add(p.username);
      if (e.verb === 'use' && e.resource === SCC_RESOURCE) this.fromInventory = true;
    }
  }

  result(): { writers: string[]; fromInventory: boolean } | undefined {
    if (!this.openShift || this.writers.size === 0) return undefined;
    return { writers: [...this.writers].sort(cmp), fromInventory: this.fromInventory };
  }
}

/** `SccCoverage` over principals in memory. */
export function sccCoverage(principals: readonly Principal[]): ReturnType<SccCoverage['result']> {
  const c = new SccCoverage();
  for (const p of principals) c.add(p);
  return c.result();
}
