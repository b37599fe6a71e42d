import type { Resolver } from '../../inventory/inventory.js';
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
