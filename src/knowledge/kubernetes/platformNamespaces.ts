/**
 * Namespaces that hold the platform's own components rather than anything the cluster's owner deploys.
 *
 * - Kubernetes' own: `kube-system`, `kube-public` and `kube-node-lease` (Kubernetes documentation, "Namespaces").
 *   The documentation also asks users to avoid the `kube-` prefix, but nothing enforces it and clusters do have
 *   `kube-logging` or `kube-monitoring` of their own, so only these three count.
 * - OpenShift: projects starting with `openshift-` (and `kube-`) are its default projects, which host the cluster's
 *   components as pods (operators, DNS, ingress, monitoring, OLM); `oc new-project` refuses the prefix and only a
 *   cluster administrator can create one (OpenShift documentation, "Working with projects"); `openshift` itself
 *   (shared templates and image streams) is a default project too. Their service accounts' RBAC is written by the
 *   cluster version operator, or by OLM from an operator's ClusterServiceVersion, not by the cluster's owner.
 *
 * Used on both sides so they agree: their service accounts are control-plane identities
 * (managedIdentities.ts), and their namespaces get no default deny unless asked (generate/netpol).
 */
const KUBERNETES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

export function isPlatformNamespace(namespace: string): boolean {
  return KUBERNETES.has(namespace) || namespace === 'openshift' || namespace.startsWith('openshift-');
}
