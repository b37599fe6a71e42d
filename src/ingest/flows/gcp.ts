import type { Resolver } from '../../inventory/inventory.js';
import { workloadNameFromPod } from '../../inventory/inventory.js';
import { flowProblem } from '../../knowledge/network/names.js';
import type { InputIssue } from '../../model/issue.js';
import type { FlowObservation, L4Protocol, RecordSkip, WorkloadInfo } from '../../model/network.js';
import { isObj } from '../../util/json.js';
import { own } from '../../util/own.js';
import { firstTime, recordTime, type TimeField } from '../../util/time.js';
import { fromClient } from './direction.js';
import { recordFlows, type Side } from './observation.js';

/**
 * Google Cloud VPC Flow Logs records (Google Cloud's "About VPC Flow Logs records"): a Cloud Logging LogEntry whose
 * `jsonPayload` holds the record (`gcloud logging read --format=json`, a sink to Cloud Storage or Pub/Sub, a BigQuery
 * export as JSON), or the record alone. The 5-tuple is `connection` (`src_ip`, `src_port`, `dest_ip`, `dest_port`,
 * `protocol` as its IANA number), `start_time` in RFC 3339, `reporter` the VM that sampled it (`SRC` or `DEST`);
 * metadata, on by default and optional, names GKE endpoints (`src_gke_details`/`dest_gke_details`: `cluster`, `pod`
 * with `pod_name`, `pod_namespace` and `pod_workload` {`workload_name`, `workload_type`}, `service`), VMs
 * (`src_instance`) and places outside (`src_location`). `disposition` is `DROPPED` for dropped traffic.
 *
 * As an AWS VPC record, a record is one direction of a connection and does not say who started it: the inventory's
 * ports, else the lower port, decide (direction.ts). Pods the inventory knows are its workloads; a pod it does not know
 * (replaced since) is the workload the record names, selected as the inventory's pods of it are, else without labels
 * to select it by. The same documentation
 * says pod-to-pod traffic inside one node is seen only with the cluster's intranode visibility on, and flows are
 * sampled: both are said once per file.
 */

type Obj = Record<string, unknown>;
type Emit = (item: FlowObservation | RecordSkip | InputIssue) => void;

const IANA: Record<string, L4Protocol> = { '6': 'TCP', '17': 'UDP', '1': 'ICMP', '58': 'ICMPv6', '132': 'SCTP' };
const TIME: TimeField = { source: 'flow', field: 'start_time' };
/** `pod_workload.workload_type` → the Kubernetes kind. */
const KINDS: Record<string, string> = {
  DEPLOYMENT: 'Deployment',
  REPLICA_SET: 'ReplicaSet',
  STATEFUL_SET: 'StatefulSet',
  DAEMON_SET: 'DaemonSet',
  JOB: 'Job',
  CRON_JOB: 'CronJob',
  REPLICATION_CONTROLLER: 'ReplicationController',
};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);

/** The VPC Flow Logs record a JSON value holds (a LogEntry's `jsonPayload`, or the record itself), else undefined. */
export function gcpFlowRecord(v: Obj): Obj | undefined {
  const p = obj(v['jsonPayload']) ?? v;
  return isObj(p['connection']) && typeof p['reporter'] === 'string' ? p : undefined;
}

/** One VPC Flow Logs record → flows. Returns 1 when it was a record read (a flow, or a reply skipped), else 0. */
export function decodeGcpFlow(
  p: Obj,
  entry: Obj,
  at: { file: string; line: number },
  resolver: Resolver,
  emit: Emit,
): number {
  /** An issue (the record allows nothing), or a notice counted once per file. */
  const issue = (code: string, message: string, perFileNotice = false) =>
    emit({
      kind: 'issue',
      code,
      file: at.file,
      line: at.line,
      message,
      ...(perFileNotice ? { level: 'notice' as const, perFile: true } : {}),
    });
  const c = p['connection'] as Obj;
  const protocol = own(IANA, String(c['protocol'] ?? ''));
  if (!protocol) {
    emit({ kind: 'skip', reason: 'unsupported-protocol' });
    return 1;
  }
  const srcIp = str(c['src_ip']);
  const dstIp = str(c['dest_ip']);
  const portless = protocol === 'ICMP' || protocol === 'ICMPv6';
  const sport = portless ? 0 : (c['src_port'] ?? 0);
  const dport = portless ? 0 : (c['dest_port'] ?? 0);
  const address = /^[0-9a-fA-F:.]+$/;
  if (!address.test(srcIp) || !address.test(dstIp) || !Number.isInteger(sport) || !Number.isInteger(dport)) {
    issue('flow.gcp-bad-record', `cannot read addresses or ports in connection ${JSON.stringify(c).slice(0, 160)}`);
    return 0;
  }
  const disposition = p['disposition'];
  if (disposition !== undefined && disposition !== 'ALLOWED' && disposition !== 'DROPPED') {
    issue('flow.gcp-bad-record', `disposition ${JSON.stringify(disposition)} is neither ALLOWED nor DROPPED`);
    return 0;
  }
  const time = recordTime(firstTime(p['start_time'], entry['timestamp']), TIME, at, emit);
  const srcGke = obj(p['src_gke_details']);
  const dstGke = obj(p['dest_gke_details']);
  if (srcGke || dstGke)
    issue(
      'flow.gcp-coverage',
      'VPC Flow Logs sample flows and show traffic between pods of one node only with intranode visibility: a ' +
        'connection no record shows is denied (for the soak: flow sampling 1.0, --enable-intra-node-visibility)',
      true,
    );
  const guessed = (message: string) => issue('flow.direction-guessed', message, true);
  if (!fromClient(resolver, guessed, protocol, undefined, srcIp, Number(sport), dstIp, Number(dport))) {
    emit({ kind: 'skip', reason: 'reply' });
    return 1;
  }
  const from = endpoint(resolver, srcIp, srcGke, p['src_instance']);
  const to = endpoint(resolver, dstIp, dstGke, p['dest_instance']);
  const flows = recordFlows(resolver, from, to, dstIp, Number(dport), protocol, {
    decision: disposition === 'DROPPED' ? 'deny' : 'allow',
    starts: true,
    time,
    id: `${srcIp}:${String(sport)}>${dstIp}:${String(dport)}`,
    names: [],
  });
  for (const f of flows) {
    const problem = flowProblem(f);
    if (problem) {
      issue('flow.bad-name', problem);
      return 0;
    }
  }
  for (const f of flows) emit(f);
  return 1;
}

/**
 * A side of a record: what the inventory knows at its address; else the GKE pod the metadata names (its workload, or
 * the pod name without its controller's suffixes), a GKE node (cluster metadata on a VM, no pod), or the address.
 */
function endpoint(resolver: Resolver, ip: string, gke: Obj | undefined, instance: unknown): Side {
  const known = resolver.peerOf(ip);
  if (known.peer.kind !== 'ip') return known;
  const pod = obj(gke?.['pod']);
  const namespace = str(pod?.['pod_namespace']);
  const podName = str(pod?.['pod_name']);
  if (namespace && podName) {
    const inv = resolver.pod(namespace, podName);
    if (inv?.hostNetwork) return { peer: { kind: 'node', ip } };
    if (inv) {
      const w = resolver.workloadOf(inv);
      return { peer: { kind: 'workload', namespace, name: w.name }, workload: w };
    }
    const wl = obj(pod?.['pod_workload']);
    const guess = workloadNameFromPod(podName);
    let name = str(wl?.['workload_name']) || guess.name;
    let kind = own(KINDS, str(wl?.['workload_type'])) ?? (str(wl?.['workload_name']) ? 'Unknown' : guess.kind);
    // A CronJob's run is a Job named for its scheduled minute: the workload is the CronJob (as for the inventory's).
    const run = kind === 'Job' ? /^(.+)-\d{8,}$/.exec(name) : null;
    if (run) [name, kind] = [run[1]!, 'CronJob'];
    // The workload as the inventory's pods of it give it (its selector and labels), when it holds any.
    const known = resolver.workloadNamed(namespace, resolver.workloadName(namespace, kind, name));
    if (known) return { peer: { kind: 'workload', namespace, name: known.name }, workload: known };
    const w: WorkloadInfo = {
      namespace,
      name,
      kind,
      selector: {},
      labels: {},
      ports: [],
      hostNetwork: false,
      source: 'flow-labels',
    };
    return { peer: { kind: 'workload', namespace, name }, workload: w };
  }
  if (gke && isObj(instance)) return { peer: { kind: 'node', ip } };
  return known;
}
