import type { NetpolOptions } from '../../generate/netpol/index.js';
import { UsageError } from '../../model/issue.js';
import type { KindInfo } from '../types.js';

/** NetworkPolicies: what the command line and the config file know of it (its generator and evaluator: ./index.ts). */
export const netpolInfo: KindInfo<NetpolOptions, 'netpol'> = {
  name: 'netpol',
  title: 'network',
  description: 'NetworkPolicies (or CiliumNetworkPolicies) that allow exactly the connections observed in flow logs',
  outputHelp:
    'write DIR/netpol/<namespace>/<workload>.yaml, _default-deny.yaml and DIR/evidence/netpol/ (default: YAML on stdout)',
  kubernetesObjects: true,
  examples: [
    [
      'NetworkPolicies from Hubble flows and the inventory',
      'generate netpol --flows hubble/ --inventory inventory.json -o policy/',
    ],
    [
      'CiliumNetworkPolicies, with toFQDNs for named external peers',
      'generate netpol --profile week.json --flavor cilium -o policy/',
    ],
  ],
  nouns: { policies: 'NetworkPolicies', observations: 'flows' },
  options: [
    {
      flags: '--flavor <flavor>',
      description: 'kubernetes NetworkPolicy, or cilium CiliumNetworkPolicy (toFQDNs for named external peers, ICMP)',
      choices: ['kubernetes', 'cilium'],
      default: 'kubernetes',
    },
    {
      flags: '--no-default-deny',
      description: 'no deny-all policy per namespace (on by default, so pods no policy selects are covered)',
    },
    {
      flags: '--deny-system-namespaces',
      description:
        "a default deny in the platform's namespaces too: kube-system, kube-public, kube-node-lease, OpenShift's openshift and openshift-* (off by default, listed)",
    },
    {
      flags: '--staged',
      description:
        "Calico StagedKubernetesNetworkPolicy (projectcalico.org/v3): the same policies, which Calico's flow logs judge without enforcing them until promoted",
    },
    { flags: '--widen-ports', description: 'all ports to an observed peer (widening, listed)' },
    {
      flags: '--aggregate-cidr <prefix>',
      description: 'external addresses into blocks of this prefix length, e.g. 24 (widening, listed)',
    },
  ],
  parseOptions(flags) {
    const opts: NetpolOptions = {
      flavor: flags['flavor'] === 'cilium' ? 'cilium' : 'kubernetes',
      defaultDeny: flags['defaultDeny'] !== false,
    };
    if (flags['staged']) {
      if (opts.flavor === 'cilium')
        throw new UsageError(
          '--staged writes Calico StagedKubernetesNetworkPolicies, a kubernetes-flavor policy; Cilium has no staged kind (its policy audit mode is set on the agent or an endpoint)',
        );
      opts.staged = true;
    }
    if (flags['widenPorts']) opts.widenPorts = true;
    if (flags['denySystemNamespaces']) opts.denySystemNamespaces = true;
    if (flags['exact']) opts.exact = true;
    const agg = flags['aggregateCidr'];
    if (agg !== undefined) {
      const n = Number(String(agg).replace(/^\//, ''));
      if (!Number.isInteger(n) || n < 8 || n > 32)
        throw new UsageError(
          `--aggregate-cidr: expected an IPv4 prefix length from 8 to 32 (24 or /24), got "${String(agg)}"`,
        );
      opts.aggregateCidr = n;
    }
    return opts;
  },
};
