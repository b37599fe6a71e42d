import type { Resolver } from '../../inventory/inventory.js';
import { flowProblem } from '../../knowledge/network/names.js';
import type { InputIssue } from '../../model/issue.js';
import type { FlowObservation, L4Protocol, RecordSkip } from '../../model/network.js';
import { isObj } from '../../util/json.js';
import { recordFlows } from './observation.js';
import { own } from '../../util/own.js';
import { microsToTime } from '../../util/time.js';

/**
 * Azure flow logs (AKS with Azure CNI, where pods have addresses of the virtual network), as Network Watcher writes
 * them to a storage account: a document `{"records": [...]}` whose flow tuples are comma-separated text.
 *
 * - Virtual network flow logs (Microsoft's "Virtual network flow logs", log format): a record's
 *   `flowRecords.flows[].flowGroups[].flowTuples[]`, each `time (epoch ms), source IP, destination IP, source port,
 *   destination port, protocol (IANA number), direction (I or O), flow state (B begin, C continuing, E end, D denied),
 *   encryption, then packets and bytes each way`.
 * - Network security group flow logs (being retired in their favour), version 1 and 2: a record's
 *   `properties.flows[].flows[].flowTuples[]`, each `time (epoch s), source IP, destination IP, source port,
 *   destination port, protocol (T or U), direction (I or O), decision (A or D)`, and in version 2 the flow state and
 *   counters.
 *
 * A tuple is a flow as its initiator opened it (the source is the client: the logs are of stateful flows, with both
 * directions' counters in one tuple), so nothing is guessed about direction. A flow that left a node is seen at the
 * network interfaces it crossed, so one connection may be two tuples (both count as records); a begin (`B`), or any
 * tuple of a version 1 log, counts as a connection. With kubenet or an overlay network, pods' traffic leaves a node
 * under the node's address, and traffic between pods of one node never reaches the virtual network: only Azure CNI's
 * pod addresses name workloads.
 */

type Obj = Record<string, unknown>;
type Emit = (item: FlowObservation | RecordSkip | InputIssue) => void;

const IANA: Record<string, L4Protocol> = { '6': 'TCP', '17': 'UDP', '1': 'ICMP', '58': 'ICMPv6', T: 'TCP', U: 'UDP' };
const ADDRESS = /^[0-9a-fA-F:.]+$/;

/** The flow tuples of an Azure flow log record, with whether they are virtual network ones; undefined for others. */
function tuplesOf(r: Obj): { tuples: unknown[]; vnet: boolean } | undefined {
  const groups = (list: unknown, inner: string) =>
    Array.isArray(list)
      ? list.filter(isObj).flatMap((x) => (Array.isArray(x[inner]) ? (x[inner] as unknown[]) : []))
      : [];
  if (isObj(r['flowRecords'])) {
    const tuples = groups(groups(r['flowRecords']['flows'], 'flowGroups'), 'flowTuples');
    return { tuples, vnet: true };
  }
  if (isObj(r['properties']) && Array.isArray(r['properties']['flows'])) {
    const tuples = groups(groups(r['properties']['flows'], 'flows'), 'flowTuples');
    return { tuples, vnet: false };
  }
  return undefined;
}

/** Whether a JSON value is an Azure flow log document (`records` of flow log events). */
export function isAzureFlowLog(v: Obj): boolean {
  return Array.isArray(v['records']) && v['records'].some((r) => isObj(r) && tuplesOf(r) !== undefined);
}

/** Every tuple of an Azure flow log document → flows. Returns the tuples read (a flow, or a denied one). */
export function decodeAzureFlows(v: Obj, at: { file: string; line: number }, resolver: Resolver, emit: Emit): number {
  let n = 0;
  const records = v['records'] as unknown[];
  for (const [i, r] of records.entries()) {
    const found = isObj(r) ? tuplesOf(r) : undefined;
    if (!found) {
      emit({
        kind: 'issue',
        code: 'flow.not-a-flow',
        file: at.file,
        line: at.line,
        message: `records[${i}] holds no flow tuples`,
      });
      continue;
    }
    for (const [j, t] of found.tuples.entries())
      n += tuple(t, found.vnet, `records[${i}] tuple ${j + 1}`, at, resolver, emit);
  }
  return n;
}

function tuple(
  t: unknown,
  vnet: boolean,
  where: string,
  at: { file: string; line: number },
  resolver: Resolver,
  emit: Emit,
): number {
  const bad = (message: string) => {
    emit({
      kind: 'issue',
      code: 'flow.azure-bad-tuple',
      file: at.file,
      line: at.line,
      message: `${where}: ${message}`,
    });
    return 0;
  };
  if (typeof t !== 'string') return bad(`a flow tuple is comma-separated text, got ${typeof t}`);
  const f = t.split(',');
  const [time, src, dst, sport, dport, proto, direction, third, fourth] = f;
  if (vnet ? f.length !== 13 : f.length !== 8 && f.length !== 13)
    return bad(`expected ${vnet ? 13 : '8 or 13'} comma-separated fields, got ${f.length}`);
  const protocol = own(IANA, proto ?? '');
  const ports = [Number(sport), Number(dport)];
  const portText = /^\d{1,5}$/;
  if (!ADDRESS.test(src!) || !ADDRESS.test(dst!) || !portText.test(sport!) || !portText.test(dport!))
    return bad(`cannot read addresses or ports in ${JSON.stringify(t.slice(0, 120))}`);
  if (direction !== 'I' && direction !== 'O') return bad(`direction ${JSON.stringify(direction)} is neither I nor O`);
  // VNet: after the protocol and direction, the flow state (D: denied); NSG: the decision, then (version 2) the state.
  const known = vnet ? ['B', 'C', 'E', 'D'].includes(third!) : third === 'A' || third === 'D';
  if (!known)
    return bad(
      vnet
        ? `flow state ${JSON.stringify(third)} is not B, C, E or D`
        : `decision ${JSON.stringify(third)} is neither A nor D`,
    );
  const state = vnet ? third! : (fourth ?? '');
  const denied = third === 'D';
  if (!protocol) {
    emit({ kind: 'skip', reason: 'unsupported-protocol' });
    return 1;
  }
  const epoch = Number(time);
  const micros = vnet ? epoch * 1000 : epoch * 1_000_000;
  const stamp = Number.isSafeInteger(micros) && epoch > 0 ? microsToTime(micros) : '';
  if (!stamp)
    emit({
      kind: 'issue',
      level: 'notice',
      code: 'flow.bad-time',
      file: at.file,
      line: at.line,
      message: `${where}: ${JSON.stringify(time)} is no epoch time; kept, its time unknown`,
    });
  const portless = protocol === 'ICMP' || protocol === 'ICMPv6';
  const from = resolver.peerOf(src!);
  const flows = recordFlows(resolver, from, resolver.peerOf(dst!), dst!, portless ? 0 : ports[1]!, protocol, {
    decision: denied ? 'deny' : 'allow',
    // A begin, a denial or a version 1 tuple (no state) opens a connection; one arriving at an interface from a pod or
    // node of the inventory was also logged leaving it: counted there.
    starts: (state === '' || state === 'B' || state === 'D') && !(direction === 'I' && from.peer.kind !== 'ip'),
    time: stamp,
    id: `${src}:${ports[0]}>${dst}:${ports[1]}`,
    names: [],
  });
  for (const x of flows) {
    const problem = flowProblem(x);
    if (problem) return bad(problem);
  }
  for (const x of flows) emit(x);
  return 1;
}
