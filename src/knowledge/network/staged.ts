/**
 * Calico's staged Kubernetes network policy: a NetworkPolicy that is not enforced, whose verdicts Calico shows in its
 * flow logs beside the enforced ones ("would allow", "would deny"), so a policy is watched against live traffic before
 * it is promoted. Facts (the sources are the provider's own, read 2026):
 *
 * - Calico's reference "Staged Kubernetes network policy" (docs.tigera.io, Calico Open Source 3.32, Calico Enterprise
 *   and Calico Cloud): kind `StagedKubernetesNetworkPolicy` in `projectcalico.org/v3`, namespaced; its sample is the
 *   Kubernetes documentation's NetworkPolicy with only `apiVersion` and `kind` changed. Served by Calico's API server,
 *   without which `kubectl apply` does not know the kind.
 * - projectcalico/api, `StagedKubernetesNetworkPolicySpec`: the NetworkPolicySpec's fields (`podSelector`, `ingress`,
 *   `egress`, `policyTypes`, same JSON names and types; `podSelector` may be left out) plus `stagedAction`, `Set` when
 *   left out; promoting one (`ConvertStagedKubernetesPolicyToK8SEnforced`) copies metadata and spec into a
 *   `networking.k8s.io/v1` NetworkPolicy and returns the action beside it: `Set` creates or replaces the NetworkPolicy
 *   of that namespace and name, `Delete` stages its removal.
 * - Calico's own staged kinds (`StagedNetworkPolicy`, `StagedGlobalNetworkPolicy`) preview Calico's own policy model
 *   (tiers, ordered rules, actions), which the evaluator does not read.
 */
export const STAGED_API_VERSION = 'projectcalico.org/v3';
export const STAGED_KIND = 'StagedKubernetesNetworkPolicy';

/** A generated NetworkPolicy as the StagedKubernetesNetworkPolicy that previews it: the same metadata and spec. */
export function asStaged(policy: Record<string, unknown>): Record<string, unknown> {
  return { ...policy, apiVersion: STAGED_API_VERSION, kind: STAGED_KIND };
}

/** Whether an object is a StagedKubernetesNetworkPolicy (of Calico's API group, any version). */
export function isStagedKubernetesPolicy(o: Record<string, unknown>): boolean {
  const api = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  return o['kind'] === STAGED_KIND && api.startsWith('projectcalico.org/');
}

/**
 * What a staged policy does once promoted: `Set` (or no action) makes the NetworkPolicy of its name this spec, `Delete`
 * removes the NetworkPolicy of its name; any other action is not read (`why`). A left-out podSelector is the empty
 * one, as promotion copies it.
 */
export function promotedSpec(
  spec: Record<string, unknown>,
): { spec: Record<string, unknown> } | { deletes: true } | { why: string } {
  const action = spec['stagedAction'];
  if (action === 'Delete') return { deletes: true };
  if (action !== undefined && action !== 'Set')
    return { why: `its stagedAction ${JSON.stringify(action)} is not Set or Delete` };
  // The spec object itself where it can be (the evaluator reads no stagedAction; findings find it by identity).
  return { spec: spec['podSelector'] === undefined ? { ...spec, podSelector: {} } : spec };
}
