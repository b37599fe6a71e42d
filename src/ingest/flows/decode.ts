import type { Resolver } from '../../inventory/inventory.js';
import type { InputIssue } from '../../model/issue.js';
import type { FlowObservation, FlowNames, RecordSkip, L4Protocol, Peer, WorkloadInfo } from '../../model/network.js';
import { firstTime, recordTime, type TimeField } from '../../util/time.js';
import { flowProblem, namesProblem } from '../../knowledge/network/names.js';
import { isObj } from '../../util/json.js';
import { own, put } from '../../util/own.js';
import { cloudWatchEnvelope, cloudWatchTexts, parseOr } from '../cloudWatchLogs.js';
import { siemEnvelope, siemRecords } from '../siem.js';
import { fromClient, hubbleRequest } from './direction.js';
import { decodeGcpFlow, gcpFlowRecord } from './gcp.js';
import { decodeAzureFlows, isAzureFlowLog } from './azure.js';
import { isOcsfNetworkActivity, isVpcProduct, ocsfProduct, ocsfVpcRecord } from './ocsf.js';
import { dnsAnswer, type DnsAnswer } from './dns.js';
import { isFlowLogRecord } from './records.js';
import { recordFlows, unknownAddress } from './observation.js';
import { VPC_DEFAULT, vpcStartTime } from './vpcFormat.js';
import { VpcFormat } from './vpcHeader.js';
import { FlowPods } from './flowPods.js';
import { hubbleIcmp } from './icmp.js';

/**
 * Flow records → observations: Hubble's JSON (`hubble observe -o json`, with or without the `{"flow": {...}}` wrapper)
 * and AWS VPC flow logs (text lines: the default v2 format, or a custom format announced by its header line; also such
 * lines and flows saved from a SIEM, ../siem.ts). Peers become workloads through the inventory (pod IPs, Service
 * ClusterIPs → their backends), or, for Hubble, from the pod name and labels the flow carries.
 */
type Emit = (item: FlowObservation | RecordSkip | FlowNames | InputIssue) => void;
type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const FLOW_TIME: TimeField = { source: 'flow', field: 'time' };
const DNS_TIME: TimeField = { source: 'flow', field: 'query_timestamp' };
/** A number field (absent: 0); any other type is NaN, which the port check refuses. */
const num = (v: unknown): number => (v === undefined || v === null ? 0 : typeof v === 'number' ? v : NaN);

const IANA: Record<string, L4Protocol> = { '6': 'TCP', '17': 'UDP', '1': 'ICMP', '58': 'ICMPv6', '132': 'SCTP' };
const AUDIT =
  'flows with verdict AUDIT (Cilium policy audit mode: the policies in force would have dropped them) are granted';
/** What Hubble's GetFlowsResponse and the exporter's ExportEvent hold instead of a flow: no traffic in them. */
const NO_TRAFFIC = ['node_status', 'lost_events', 'agent_event', 'debug_event'];

export class FlowDecoder {
  /** The format of VPC flow log records in force: header lines change it (vpcHeader.ts). */
  private readonly vpc: VpcFormat;
  /** Pods the inventory does not hold, made once each from what their flows carry. */
  private readonly pods = new FlowPods();

  constructor(
    private readonly file: string,
    private readonly resolver: Resolver,
    private readonly emit: Emit,
    /** The fields of records that come without a header line (`--vpc-format`); default: the v2 default format. */
    headerless: readonly string[] = VPC_DEFAULT,
  ) {
    this.vpc = new VpcFormat(headerless, (line, code, message, notice) => this.issue(line, code, message, notice));
  }

  /** The log event of a CloudWatch Logs envelope being read (`logEvents[2]`), for issues; '' outside one. */
  private where = '';
  /** An issue (the record dropped), or a notice, counted once per file or given per record (the record read). */
  private issue(line: number, code: string, message: string, notice: boolean | 'per-record' = false): void {
    const text = this.where ? `${this.where}: ${message}` : message;
    const level = notice ? ({ level: 'notice', ...(notice === true ? { perFile: true } : {}) } as const) : {};
    this.emit({ kind: 'issue', code, file: this.file, line, message: text, ...level });
  }

  /** A flow or names with a name no real record carries become an issue and allow nothing. */
  private checked(item: FlowObservation | FlowNames, line: number): boolean {
    const problem = item.kind === 'flow' ? flowProblem(item) : namesProblem(item.names);
    if (problem) this.issue(line, 'flow.bad-name', problem);
    return !problem;
  }

  /**
   * One parsed JSON value: a Hubble flow (wrapped or not), an array of them, or a shipper's record with `_raw`. Returns
   * flows decoded.
   */
  json(v: unknown, line: number): number {
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + this.json(x, line), 0);
    if (!isObj(v)) {
      this.issue(line, 'flow.not-a-flow', 'expected a Hubble flow object');
      return 0;
    }
    const f = isObj(v['flow']) ? v['flow'] : v;
    if (!isObj(f['IP']) && !isObj(f['l4'])) {
      if (!this.where && siemEnvelope(v)) return this.siem(v, line);
      // hubble observe also prints node status and lost-event notices, the exporter agent and debug events: no traffic.
      if (NO_TRAFFIC.some((k) => isObj(v[k]))) return 0;
      if (isAzureFlowLog(v)) return decodeAzureFlows(v, { file: this.file, line }, this.resolver, this.emit);
      if (isOcsfNetworkActivity(v)) return this.ocsf(v, line);
      const dns = dnsAnswer(v);
      if (dns) return this.dns(dns, line);
      const gcp = gcpFlowRecord(v);
      if (gcp) return decodeGcpFlow(gcp, v, { file: this.file, line }, this.resolver, this.emit);
      if (!this.where && cloudWatchEnvelope(v)) return this.cloudWatch(v, line);
      this.issue(
        line,
        'flow.not-a-flow',
        'a JSON object without IP or l4: not a Hubble flow, a Google Cloud VPC Flow Logs record, an Azure flow log, ' +
          'a Route 53 Resolver query log record or a Security Lake VPC flow record',
      );
      return 0;
    }
    // GetFlowsResponse and the exporter's ExportEvent carry when the event was observed beside the flow.
    return this.hubble(f, line, v['@timestamp'], f === v ? undefined : v['time']);
  }

  /** A DNS query log record (dns.ts): the names its answers give addresses, no flow of its own. */
  private dns(a: DnsAnswer, line: number): number {
    const t =
      typeof a.time === 'number' || typeof a.time === 'bigint' ? new Date(Number(a.time)).toISOString() : a.time;
    const time = recordTime(t, DNS_TIME, { file: this.file, line }, this.emit);
    if (a.addresses.length) {
      const answer: FlowNames = { kind: 'flow-names', names: a.addresses.map((ip) => ({ ip, names: [a.name] })), time };
      if (!this.checked(answer, line)) return 0;
      this.emit(answer);
    }
    this.emit({ kind: 'skip', reason: 'dns-answer' });
    return 1;
  }

  /** A Security Lake record (OCSF Network Activity of Amazon VPC): read as the VPC flow log record it was made from. */
  private ocsf(v: Obj, line: number): number {
    if (isVpcProduct(v)) {
      const rec = ocsfVpcRecord(v);
      return this.vpcRecord(rec, line, Object.values(rec).join(' '));
    }
    this.issue(line, 'flow.not-a-flow', `an OCSF Network Activity record of ${ocsfProduct(v)}, not a VPC flow log`);
    return 0;
  }

  /** A flow log published to CloudWatch Logs: each message is a VPC flow log line (no header) or a flow as JSON. */
  private cloudWatch(v: Obj, line: number): number {
    const n = cloudWatchTexts(
      v,
      (m, where) => {
        this.where = where;
        return this.message(m, line);
      },
      (where, problem) => {
        this.where = where;
        this.issue(line, 'flow.not-a-flow', problem);
      },
    );
    this.where = '';
    return n;
  }

  /** Flows saved from a SIEM (../siem.ts): Splunk's `_raw` (a VPC flow log line or a flow as JSON), a `_source`. */
  private siem(v: Obj, line: number): number {
    let n = 0;
    const own = (s: Obj) => (isFlowLogRecord(s) ? { value: s } : undefined);
    for (const r of siemRecords(v, 'flow', own)) {
      this.where = r.where;
      if ('problem' in r) this.issue(line, 'flow.not-a-flow', r.problem);
      else n += this.message(r.value, line);
    }
    this.where = '';
    return n;
  }

  /** A wrapper's record: a flow (JSON text or parsed) or a VPC flow log line. */
  private message(m: string | Obj, line: number): number {
    if (typeof m !== 'string') return this.json(m, line);
    return m.trimStart().startsWith('{') ? this.json(parseOr(m), line) : this.text(m, line);
  }

  private hubble(f: Obj, line: number, shipped: unknown, observed: unknown): number {
    // Time is evidence, not authorization (as for audit and CloudTrail records): a flow whose time is missing or
    // unreadable is kept, its time unknown, with a notice; another form than RFC 3339 is read, with a notice.
    const time = recordTime(firstTime(f['time'], observed), FLOW_TIME, { file: this.file, line }, this.emit, shipped);
    const ip = isObj(f['IP']) ? f['IP'] : {};
    const l4 = isObj(f['l4']) ? f['l4'] : {};
    const src = str(ip['source']);
    const dst = str(ip['destination']);
    const l7 = isObj(f['l7']) ? f['l7'] : undefined;
    const names: FlowObservation['names'] = [];
    const destNames = Array.isArray(f['destination_names'])
      ? f['destination_names'].filter((x): x is string => typeof x === 'string')
      : [];
    if (destNames.length && dst) names.push({ ip: dst, names: destNames.map(stripDot) });
    const dns = l7 && isObj(l7['dns']) ? l7['dns'] : undefined;
    if (dns && Array.isArray(dns['ips']) && str(dns['query']))
      for (const a of dns['ips'])
        if (typeof a === 'string') names.push({ ip: a, names: [stripDot(str(dns['query']))] });

    let protocol: L4Protocol;
    let port = 0;
    let starts = true;
    let reply = f['is_reply'] === true || f['reply'] === true || (l7 !== undefined && l7['type'] === 'RESPONSE');
    if (isObj(l4['TCP'])) {
      protocol = 'TCP';
      port = num(l4['TCP']['destination_port']);
      const flags = isObj(l4['TCP']['flags']) ? l4['TCP']['flags'] : undefined;
      starts = !!flags && flags['SYN'] === true && flags['ACK'] !== true;
      if (flags && flags['SYN'] === true && flags['ACK'] === true) reply = true;
      // Old captures omit the reply flag: a mid-connection packet from a low port to a high one answers a client.
      const sp = Number(l4['TCP']['source_port'] ?? 0);
      if (!starts && f['is_reply'] === undefined && sp < port && port >= 1024) reply = true;
    } else if (isObj(l4['UDP']) || isObj(l4['SCTP'])) {
      protocol = isObj(l4['UDP']) ? 'UDP' : 'SCTP';
      const p = l4[protocol] as Obj;
      port = num(p['destination_port']);
      // Hubble leaves is_reply out when conntrack does not know the direction: the ports decide, as in flow logs.
      if (f['is_reply'] === undefined && f['reply'] === undefined && !reply)
        reply = !hubbleRequest(this.resolver, protocol, src, Number(p['source_port'] ?? 0), dst, port, (m) =>
          this.issue(line, 'flow.direction-guessed', m, true),
        );
    } else if (isObj(l4['ICMPv4']) || isObj(l4['ICMPv6'])) {
      const v6 = isObj(l4['ICMPv6']);
      protocol = v6 ? 'ICMPv6' : 'ICMP';
      const kind = hubbleIcmp(v6, Number((l4[v6 ? 'ICMPv6' : 'ICMPv4'] as Obj)['type'] ?? 0));
      if (kind === 'other') return (this.emit({ kind: 'skip', reason: 'icmp-not-echo' }), 1);
      if (kind === 'reply') reply = true;
    } else {
      this.emit({ kind: 'skip', reason: 'unsupported-protocol' });
      return 0;
    }
    if (names.length && reply) {
      // A DNS answer: keep the names it gives for addresses, not the flow.
      const answer: FlowNames = { kind: 'flow-names', names, time };
      if (!this.checked(answer, line)) return 0;
      this.emit(answer);
    }
    if (reply) {
      this.emit({ kind: 'skip', reason: 'reply' });
      return 1;
    }
    // L7 records repeat a connection the L3/L4 records already count.
    if (f['Type'] === 'L7') starts = false;
    // A packet seen arriving at a pod whose sender is a pod too was also seen leaving it: count it there.
    const source = isObj(f['source']) ? f['source'] : {};
    if (f['traffic_direction'] === 'INGRESS' && str(source['pod_name'])) starts = false;
    let from = this.endpoint(source, src);
    let to = this.endpoint(isObj(f['destination']) ? f['destination'] : {}, dst);
    // `reserved:host` is the node of the agent that saw the flow, and the flow was seen at the endpoint its direction
    // names (the destination of an INGRESS flow, the source of an EGRESS one): when that endpoint is a pod, the host
    // is the pod's own node. Seen from the host's side, it may be another pod's (a host firewall's egress).
    const direction = f['traffic_direction'];
    if (direction === 'INGRESS' && to.peer.kind === 'workload' && from.local) from = ownNode(from);
    if (direction === 'EGRESS' && from.peer.kind === 'workload' && to.local) to = ownNode(to);
    const verdict = str(f['verdict']);
    const decision = verdict === 'DROPPED' || verdict === 'ERROR' || verdict === 'DENIED' ? 'deny' : 'allow';
    // Policy audit mode lets through what the policies would drop: granted (what the workload needs), and said.
    if (verdict === 'AUDIT') this.issue(line, 'flow.audit-verdict', AUDIT, true);
    const sport = Number(
      (l4['TCP'] as Obj | undefined)?.['source_port'] ??
        (l4['UDP'] as Obj | undefined)?.['source_port'] ??
        (l4['SCTP'] as Obj | undefined)?.['source_port'] ??
        0,
    );
    // A destination Hubble saw before translation (a Service's ClusterIP) stands for its backends, on the target
    // port, as a flow log record's does.
    const id = `${src}:${sport}>${dst}:${port}`;
    const flows = recordFlows(this.resolver, from, to, dst, port, protocol, { decision, starts, time, id, names });
    for (const f of flows) if (!this.checked(f, line)) return 0;
    for (const f of flows) this.emit(f);
    return 1;
  }

  /** A Hubble endpoint: a pod (a workload), a node, or an address. */
  private endpoint(ep: Obj, ip: string): { peer: Peer; workload?: WorkloadInfo; local?: true } {
    const labels = Array.isArray(ep['labels']) ? ep['labels'].filter((x): x is string => typeof x === 'string') : [];
    const namespace = str(ep['namespace']);
    const podName = str(ep['pod_name']);
    // The API server, whether it runs on a node (with `reserved:host` or `reserved:remote-node`) or outside the
    // cluster (with `reserved:world`): a peer of its own, its address kept as evidence (managed ones change it).
    if (labels.includes('reserved:kube-apiserver')) return { peer: { kind: 'apiserver', ip } };
    // A host-network pod shares its node's address, and NetworkPolicies see its traffic as the node's: a podSelector
    // never selects it, so it is a peer by node address (Cilium gives it the host's identity).
    if (labels.includes('reserved:host')) return { peer: { kind: 'node', ip }, local: true };
    if (labels.includes('reserved:remote-node')) return { peer: { kind: 'node', ip } };
    if (namespace && podName) {
      const pod = this.resolver.pod(namespace, podName);
      if (pod?.hostNetwork) return { peer: { kind: 'node', ip: ip || (pod.ips[0] ?? '') } };
      if (pod) {
        const w = this.resolver.workloadOf(pod);
        return { peer: { kind: 'workload', namespace, name: w.name }, workload: w };
      }
      return this.pods.side(namespace, podName, labels, ep);
    }
    return this.resolver.peerOf(ip);
  }

  /** One text line of a VPC flow log (a header line sets the field order). Returns flows decoded. */
  text(text: string, line: number): number {
    const parts = text.trim().split(/\s+/);
    const vpc = this.vpc;
    // A record of the format in force has as many values and an action where the format has one; a header line never
    // has (a field name stands there). Only a line that is no such record is looked at as a header line.
    const act = parts[vpc.actionAt];
    if (parts.length !== vpc.fields.length || (act !== 'ACCEPT' && act !== 'REJECT' && act !== '-')) {
      if (vpc.take(parts, line)) return 0;
      if (parts.length !== vpc.fields.length) {
        const hint = vpc.headed
          ? ''
          : " (a record without a header line has the format --vpc-format gives, else AWS's default)";
        this.issue(line, 'flow.vpc-fields', `expected ${vpc.text}, got ${parts.length}${hint}`);
        return 0;
      }
    }
    const rec: Record<string, string> = {};
    vpc.fields.forEach((f, i) => put(rec, f, parts[i]!));
    return this.vpcRecord(rec, line, text);
  }

  /** One VPC flow log record, its fields by name: a text line's, or a Security Lake record's (ocsf.ts). */
  private vpcRecord(rec: Record<string, string>, line: number, text: string): number {
    if (rec['log-status'] === 'NODATA' || rec['log-status'] === 'SKIPDATA' || rec['srcaddr'] === '-') {
      this.emit({ kind: 'skip', reason: 'no-data' });
      return 0;
    }
    const protocol = own(IANA, rec['protocol'] ?? '');
    if (!protocol) {
      this.emit({ kind: 'skip', reason: 'unsupported-protocol' });
      return 1;
    }
    const srcIp = rec['pkt-srcaddr'] && rec['pkt-srcaddr'] !== '-' ? rec['pkt-srcaddr'] : rec['srcaddr']!;
    const dstIp = rec['pkt-dstaddr'] && rec['pkt-dstaddr'] !== '-' ? rec['pkt-dstaddr'] : rec['dstaddr']!;
    const sport = Number(rec['srcport']);
    const dport = Number(rec['dstport']);
    if (
      !Number.isInteger(sport) ||
      !Number.isInteger(dport) ||
      !/^[0-9a-fA-F:.]+$/.test(srcIp) ||
      !/^[0-9a-fA-F:.]+$/.test(dstIp)
    ) {
      this.issue(
        line,
        'flow.vpc-bad-record',
        `cannot read addresses or ports in ${JSON.stringify(text.slice(0, 120))}`,
      );
      return 0;
    }
    const action = rec['action'];
    if (action !== 'ACCEPT' && action !== 'REJECT') {
      this.issue(line, 'flow.vpc-bad-record', `action ${JSON.stringify(action)} is neither ACCEPT nor REJECT`);
      return 0;
    }
    // Time is evidence, not authorization: a `start` that is no time keeps the record, its time unknown (as in Hubble).
    const start = vpcStartTime(rec['start']!);
    if ('problem' in start) this.issue(line, 'flow.bad-time', start.problem, 'per-record');
    const time = 'time' in start ? start.time : '';
    const guessed = (message: string) =>
      this.emit({
        kind: 'issue',
        level: 'notice',
        perFile: true,
        code: 'flow.direction-guessed',
        file: this.file,
        line,
        message,
      });
    if (!fromClient(this.resolver, guessed, protocol, rec['tcp-flags'], srcIp, sport, dstIp, dport)) {
      this.emit({ kind: 'skip', reason: 'reply' });
      return 1;
    }
    const flows = recordFlows(
      this.resolver,
      this.resolver.peerOf(srcIp),
      this.resolver.peerOf(dstIp),
      dstIp,
      protocol.startsWith('ICMP') ? 0 : dport,
      protocol,
      {
        decision: action === 'ACCEPT' ? 'allow' : 'deny',
        starts: true,
        time,
        id: `${srcIp}:${sport}>${dstIp}:${dport}`,
        names: [],
      },
    );
    for (const f of flows) if (!this.checked(f, line)) return 0;
    for (const f of flows) this.emit(f);
    // One notice a record (its first such address), so that the file's count is of records.
    if (!this.resolver.empty)
      for (const peer of [flows[0]!.from, ...flows.map((f) => f.to)]) {
        const notice = unknownAddress(this.resolver, peer, { file: this.file, line });
        if (notice) {
          this.emit(notice);
          break;
        }
      }
    return 1;
  }
}

const stripDot = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name);

/** The node of a Hubble endpoint as the pod's own node. */
const ownNode = (e: { peer: Peer; workload?: WorkloadInfo }): { peer: Peer; workload?: WorkloadInfo } =>
  e.peer.kind === 'node' ? { ...e, peer: { kind: 'node', ip: e.peer.ip, own: true } } : e;
