import type { PolicyDoc } from '../../src/policy/load.js';
import {
  NetworkPolicySet,
  type ClusterFacts,
  type Connection,
  type Endpoint,
} from '../../src/verify/netpol/evaluate.js';
import { readNetworkPolicies } from '../../src/verify/netpol.js';

/** A pod endpoint of the evaluator: its namespace and labels, no declared ports. */
export const pod = (namespace: string, labels: Record<string, string>): Endpoint => ({
  kind: 'pod',
  namespace,
  labels,
  ports: [],
});
export const tcp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'TCP', port });
export const udp = (src: Endpoint, dst: Endpoint, port: number): Connection => ({ src, dst, protocol: 'UDP', port });

/** Policy objects as the documents of one file, in order. */
export const docsOf = (file: string, objects: unknown[]): PolicyDoc[] =>
  objects.map((object, index) => ({ file, index, object }));

/** Policy objects read as `verify` reads them, into an evaluator with the cluster's facts. */
export function readPolicySet(objects: unknown[], facts: ClusterFacts = {}) {
  const { policies, issues } = readNetworkPolicies(docsOf('p.yaml', objects));
  const set = new NetworkPolicySet(new Map(), new Map(), facts);
  for (const p of policies) set.add(p.kind, p.name, p.namespace, p.spec);
  return { set, issues, policies };
}
