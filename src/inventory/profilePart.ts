import type { K8sRequestObservation } from '../model/observation.js';
import type { Profile } from '../model/profile.js';
import { profileOf } from '../profile/merge.js';
import { SCC_GROUP, SCC_RESOURCE } from '../knowledge/kubernetes/openShift.js';
import { ProfileBuilder } from '../profile/builder.js';
import type { Scope } from '../profile/scope.js';
import type { Inventory } from './inventory.js';
import { workloadsOfInventory } from './workloads.js';
import { subdomainProblem } from '../knowledge/kubernetes/names.js';
import { compareNodeInstances } from '../profile/checks.js';

/**
 * OpenShift's admission of each pod under a SecurityContextConstraints, as the authorization check it is: admission
 * asks whether the pod's service account (or the user who created the pod) may `use` the SCC in the pod's namespace
 * (openshift/apiserver-library-go, sccmatching `authorizedForSCC`: "check against the namespace that the pod is being
 * created in to allow per-namespace SCC grants"), and writes the SCC it admitted the pod under on the pod
 * (`openshift.io/scc`). No audit event records that check, so an inventory's pods are its only evidence.
 *
 * Only pods a controller made (they have an owner): a controller's own identity has no SCC but the default
 * `restricted-v2`, so the pod's service account is what allowed any other. A pod a user created directly may have
 * been admitted by the user's grants instead: granting its service account would be a guess, so it gets none (the
 * report's coverage warning says so). Untimed (the inventory is a snapshot); each pod is a sample,
 * `inventory:pod/<namespace>/<name>`.
 */
export function sccAdmissions(inv: Inventory): K8sRequestObservation[] {
  const out: K8sRequestObservation[] = [];
  for (const pod of inv.pods) {
    if (!pod.scc || !pod.owner) continue;
    out.push({
      kind: 'k8s-request',
      username: `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`,
      groups: ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${pod.namespace}`],
      access: {
        verb: 'use',
        apiGroup: SCC_GROUP,
        resource: SCC_RESOURCE,
        subresource: '',
        namespace: pod.namespace,
        name: pod.scc,
        nonResourceURL: '',
      },
      decision: 'allow',
      stage: 'ResponseComplete',
      time: '',
      id: `inventory:pod/${pod.namespace}/${pod.name}`,
    });
  }
  return out;
}

/**
 * The inventory's part of a profile: every workload and namespace in scope, the SCC uses OpenShift's admission
 * checked for its pods (sccAdmissions, above), as the service accounts' accesses, and the nodes that are EC2
 * instances. Its pods are no records: nothing of it counts as read or left out.
 */
export function inventoryPart(inv: Inventory, scope: Scope): Profile {
  const inScope = (ns: string) => !scope.namespaceSkip(ns);
  const admissions = new ProfileBuilder(scope);
  for (const o of sccAdmissions(inv)) admissions.add(o);
  return profileOf({
    principals: admissions.toProfile().principals,
    workloads: workloadsOfInventory(inv).filter((w) => inScope(w.namespace)),
    network: [],
    namespaces: inv.namespaces.map((n) => ({ name: n.name, labels: n.labels })),
    ...nodeInstancesOf(inv),
  });
}

/**
 * The nodes that are EC2 instances, for IAM generation (a node's instance is replaced with it), sorted; none when
 * none is. Cluster-wide: no namespace filter applies. A name no API server would accept names no node.
 */
function nodeInstancesOf(inv: Inventory): Pick<Profile, 'nodeInstances'> {
  const list = inv.nodes
    .filter((n) => n.instanceId !== undefined && !subdomainProblem(n.name))
    .map((n) => ({ node: n.name, instanceId: n.instanceId! }))
    .sort(compareNodeInstances);
  return list.length ? { nodeInstances: list } : {};
}
