import type { Resolver } from '../../inventory/inventory.js';
import type { InputIssue } from '../../model/issue.js';
import type { FlowObservation, L4Protocol, Peer, WorkloadInfo } from '../../model/network.js';

/** One side of a record, as a decoder resolved it. */
export interface Side {
  peer: Peer;
  workload?: WorkloadInfo;
}

/**
 * The flows of one record, for every flow log format: one per destination, where a destination met as an address
 * that the inventory holds as a Service's ClusterIP (Hubble before translation, a flow log record) stands for its
 * backing workloads on the target port (`Resolver.serviceOrPeer`).
 */
export function recordFlows(
  resolver: Resolver,
  from: Side,
  to: Side,
  dstIp: string,
  port: number,
  protocol: L4Protocol,
  rest: Pick<FlowObservation, 'decision' | 'starts' | 'time' | 'id' | 'names'>,
): FlowObservation[] {
  const targets =
    to.peer.kind === 'ip' && resolver.service(dstIp)
      ? resolver.serviceOrPeer(dstIp, port, protocol)
      : [{ peer: to.peer, workload: to.workload, port }];
  return targets.map((t) => ({
    kind: 'flow',
    from: from.peer,
    to: t.peer,
    protocol,
    port: t.port,
    decision: rest.decision,
    starts: rest.starts,
    time: rest.time,
    id: rest.id,
    workloads: [from.workload, t.workload].filter((w): w is WorkloadInfo => !!w),
    names: rest.names,
  }));
}

/** An address no pod, Service or node of the inventory has, near its pods' (a pod that came and went?): a notice. */
export function unknownAddress(
  resolver: Resolver,
  peer: Peer,
  at: { file: string; line: number },
): InputIssue | undefined {
  if (peer.kind !== 'ip' || !resolver.looksLikePod(peer.ip)) return undefined;
  return {
    kind: 'issue',
    level: 'notice',
    perFile: true,
    code: 'flow.unknown-address',
    ...at,
    message: `${peer.ip} is a private address beside the inventory's pods that no pod, Service or node of it has (a pod gone before the inventory was taken?): kept as an address, a /32 block in policies`,
  };
}
