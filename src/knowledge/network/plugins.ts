/**
 * Network plugins and what a Kubernetes NetworkPolicy `ipBlock` peer does under each, where the API leaves it to them.
 * Facts, not decisions: the evaluator (verify/netpol/evaluate.ts) decides what to answer from them.
 *
 * What the documentation says (read 2026; the sources named are the providers' own):
 *
 * - Kubernetes, "Network Policies" (kubernetes.io/docs/concepts/services-networking/network-policies): ipBlock selects
 *   IP CIDR ranges, which should be cluster-external addresses because pod addresses are ephemeral and unpredictable;
 *   whether traffic rewritten on the way (NAT, load balancers) is subject to ipBlock is implementation-defined; and
 *   traffic to and from the node where a pod runs is always allowed, whatever the addresses. The upstream conformance
 *   tests for NetworkPolicy ("should allow egress access to server in CIDR block", "should enforce except clause while
 *   egress access to server in CIDR block", test/e2e/network/netpol) put a server pod's own address in an ipBlock and
 *   expect it to match: the plugins that pass them apply ipBlock to pod addresses.
 * - Cilium, "Layer 3 Examples", IP/CIDR based (docs.cilium.io/en/stable/security/policy/language): CIDR rules apply
 *   only where Cilium cannot map the peer to an identity from endpoint labels (outside the cluster, a host network
 *   namespace, addresses in the cluster prefix whose networking Cilium does not provide); they do not apply to
 *   traffic where both sides are managed by Cilium or use a node's address (host-network pods included), unless the
 *   agent runs with `policy-cidr-match-mode: nodes`, which lets CIDR rules select node addresses (off by default).
 *   Its Kubernetes NetworkPolicy support translates ipBlock into such CIDR rules, and its CI skips the conformance
 *   tests above because a pod CIDR in a policy conflicts with the pod's security identity (cilium/cilium#9209).
 * - GKE Dataplane V2 (cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2): implemented with Cilium, its
 *   agent the DaemonSet `anetd` in kube-system; GKE's previous dataplane enforced NetworkPolicy with Calico.
 * - Calico, "Use external IPs or networks rules in policy" (docs.tigera.io/calico/latest/network-policy/policy-rules/
 *   external-ips-policy): addresses and CIDRs in Kubernetes and Calico policy rules are matched as the rule's `nets`
 *   (the rule reference: a packet whose address is in one of the CIDRs), whatever the peer is, pods and hosts
 *   included (selectors are what names pods by identity). Its agent is the DaemonSet `calico-node` (kube-system,
 *   or calico-system under the Tigera operator).
 * - Amazon VPC CNI network policy (github.com/aws/aws-network-policy-agent): the controller resolves policies into
 *   PolicyEndpoints (addresses) and the node agent enforces them with eBPF on each pod's host veth, by address, so an
 *   ipBlock matches a pod's address as any other. The agent is a container of the `aws-node` DaemonSet; an inventory
 *   keeps no container names, so it is not recognised from one (`aws-node` alone may run beside another policy
 *   engine, or with network policy off).
 * - Antrea: its e2e suite runs the upstream "egress access to server in CIDR block" case with a server pod's address
 *   (test/e2e, antrea-io/antrea), and ipBlock rules are address matches in its OVS pipeline
 *   (antrea-io/antrea#1764): ipBlock applies to pod addresses. Its agent is the DaemonSet `antrea-agent` in
 *   kube-system.
 */

/** How a plugin treats an ipBlock that covers an address of that kind. */
export type IpBlockReach = 'applies' | 'not-applied' | 'configurable';

export interface NetworkPlugin {
  /** The canonical name (`--network-plugin` value). */
  name: 'cilium' | 'calico' | 'aws-vpc-cni' | 'antrea';
  /** As findings name it. */
  title: string;
  /** An ipBlock covering a pod's address (pod-to-pod traffic). */
  pods: IpBlockReach;
  /** An ipBlock covering a node's address (a node, or a host-network pod). */
  nodes: IpBlockReach;
  /** Where the fact is documented, for the reason a finding gives. */
  source: string;
}

const CILIUM: NetworkPlugin = {
  name: 'cilium',
  title: 'Cilium',
  pods: 'not-applied',
  nodes: 'configurable',
  source: 'Cilium applies CIDR rules only to peers it cannot identify by labels',
};

export const NETWORK_PLUGINS: Readonly<Record<NetworkPlugin['name'], NetworkPlugin>> = {
  cilium: CILIUM,
  calico: {
    name: 'calico',
    title: 'Calico',
    pods: 'applies',
    nodes: 'applies',
    source: 'Calico matches ipBlock on the packet’s address',
  },
  'aws-vpc-cni': {
    name: 'aws-vpc-cni',
    title: 'the Amazon VPC CNI network policy agent',
    pods: 'applies',
    nodes: 'applies',
    source: 'the Amazon VPC CNI network policy agent matches ipBlock on addresses',
  },
  antrea: {
    name: 'antrea',
    title: 'Antrea',
    pods: 'applies',
    nodes: 'applies',
    source: 'Antrea matches ipBlock on addresses',
  },
};

/** What `--network-plugin` accepts: the plugins, `gke-dataplane-v2` (Cilium), and `unknown` (the default). */
export const NETWORK_PLUGIN_CHOICES = ['antrea', 'aws-vpc-cni', 'calico', 'cilium', 'gke-dataplane-v2', 'unknown'];

/** A `--network-plugin` value as a plugin; `unknown` is undefined; anything else throws, naming the choices. */
export function networkPluginNamed(name: string): NetworkPlugin | undefined {
  if (name === 'unknown') return undefined;
  if (name === 'gke-dataplane-v2') return { ...CILIUM, title: 'GKE Dataplane V2 (Cilium)' };
  if (Object.hasOwn(NETWORK_PLUGINS, name)) return NETWORK_PLUGINS[name as NetworkPlugin['name']];
  throw new Error(`expected one of ${NETWORK_PLUGIN_CHOICES.join(', ')}, got ${JSON.stringify(name)}`);
}

/** The DaemonSets that enforce NetworkPolicies, by namespace and name, and the plugin each one is. */
export const POLICY_AGENTS: readonly { namespaces: readonly string[]; name: string; plugin: string }[] = [
  { namespaces: ['kube-system'], name: 'cilium', plugin: 'cilium' },
  { namespaces: ['kube-system'], name: 'anetd', plugin: 'gke-dataplane-v2' },
  { namespaces: ['kube-system', 'calico-system'], name: 'calico-node', plugin: 'calico' },
  { namespaces: ['kube-system'], name: 'antrea-agent', plugin: 'antrea' },
];
