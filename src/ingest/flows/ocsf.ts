import { isObj } from '../../util/json.js';

/**
 * VPC flow log records as Amazon Security Lake stores them: OCSF Network Activity records (class 4001) whose
 * `metadata.product.name` is `Amazon VPC` (Security Lake user guide, "OCSF source identification"), in Parquet or, as
 * a SIEM that subscribes to the lake holds them, JSON. Each is turned back into the VPC flow log record it was made
 * from, by the OCSF project's VPC flow log mapping read backwards, and read as a text record is (flows/decode.ts):
 *
 * - `src_endpoint.ip` is the packet's source (`pkt-srcaddr`), `src_endpoint.intermediate_ips[0]` the interface's
 *   address (`srcaddr`) where the two differ; the same for the destination;
 * - `src_endpoint.port`, `dst_endpoint.port`, `connection_info.protocol_num`, `connection_info.tcp_flags`,
 *   `traffic.packets`, `traffic.bytes`, `cloud.account.uid`, the interface on the side the direction names
 *   (`interface_uid`), `status_code` (`log-status`);
 * - `start_time` or `time` and `end_time` (epoch milliseconds; `*_dt` as text), to the seconds the record holds;
 * - `action` `Allowed`/`Denied` (else `action_id` 1/2, else `disposition` `Allowed`/`Blocked`) as ACCEPT/REJECT.
 *
 * Anything else (no action, an unknown one) stays as the record would have it unknown, and the text reader's checks
 * refuse it: nothing is guessed.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** Whether a JSON object is an OCSF Network Activity record (checked only for objects that are no Hubble flow). */
export function isOcsfNetworkActivity(v: Obj): boolean {
  return Number(v['class_uid']) === 4001 && isObj(v['metadata']);
}

/** The top-level fields a record is read from (a Parquet file's other columns are not decoded). */
export const OCSF_FLOW_FIELDS = [
  'class_uid',
  'metadata',
  'cloud',
  'time',
  'time_dt',
  'start_time',
  'start_time_dt',
  'end_time',
  'end_time_dt',
  'src_endpoint',
  'dst_endpoint',
  'connection_info',
  'traffic',
  'action',
  'action_id',
  'disposition',
  'status_code',
  // Route 53 Resolver query logs (DNS Activity): names for addresses (dns.ts).
  'query',
  'answers',
];

/** The product an OCSF record names, for messages. */
export function ocsfProduct(v: Obj): string {
  const p = obj(obj(v['metadata'])['product']);
  return [p['vendor_name'], p['name']].filter((x) => typeof x === 'string' && x).join(' ') || 'an unnamed product';
}

export const isVpcProduct = (v: Obj): boolean => obj(obj(v['metadata'])['product'])['name'] === 'Amazon VPC';

/** A value as a text record holds it: `-` for none, whitespace kept (the text reader refuses such a record). */
function text(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Seconds since the epoch from OCSF milliseconds (a number, a bigint, a Date) or its `_dt` text. */
function seconds(ms: unknown, dt: unknown): string {
  if (ms instanceof Date) return String(Math.floor(ms.getTime() / 1000));
  if (typeof ms === 'bigint') return String(ms / 1000n);
  if (typeof ms === 'number' && Number.isFinite(ms)) return String(Math.floor(ms / 1000));
  const t = dt instanceof Date ? dt.getTime() : typeof dt === 'string' ? Date.parse(dt) : NaN;
  return Number.isNaN(t) ? text(ms ?? dt) : String(Math.floor(t / 1000));
}

function action(v: Obj): string {
  const a = v['action'];
  if (a === 'Allowed') return 'ACCEPT';
  if (a === 'Denied') return 'REJECT';
  const id = v['action_id'] === undefined ? NaN : Number(v['action_id']);
  if (id === 1) return 'ACCEPT';
  if (id === 2) return 'REJECT';
  if (v['disposition'] === 'Allowed') return 'ACCEPT';
  if (v['disposition'] === 'Blocked') return 'REJECT';
  return text(a ?? v['disposition']);
}

/** The record's fields by VPC flow log name (those of the default format, the packet's addresses and TCP flags). */
export function ocsfVpcRecord(v: Obj): Record<string, string> {
  const src = obj(v['src_endpoint']);
  const dst = obj(v['dst_endpoint']);
  const conn = obj(v['connection_info']);
  const traffic = obj(v['traffic']);
  const via = (e: Obj) => (Array.isArray(e['intermediate_ips']) ? e['intermediate_ips'][0] : undefined) ?? e['ip'];
  const inbound = conn['direction'] === 'Inbound' || Number(conn['direction_id']) === 1;
  return {
    version: text(obj(obj(v['metadata'])['product'])['version']),
    'account-id': text(obj(obj(v['cloud'])['account'])['uid']),
    'interface-id': text(inbound ? dst['interface_uid'] : (src['interface_uid'] ?? dst['interface_uid'])),
    srcaddr: text(via(src)),
    dstaddr: text(via(dst)),
    'pkt-srcaddr': text(src['ip']),
    'pkt-dstaddr': text(dst['ip']),
    srcport: text(src['port']),
    dstport: text(dst['port']),
    protocol: text(conn['protocol_num']),
    packets: text(traffic['packets']),
    bytes: text(traffic['bytes']),
    start: seconds(v['start_time'] ?? v['time'], v['start_time_dt'] ?? v['time_dt']),
    end: seconds(v['end_time'], v['end_time_dt']),
    action: action(v),
    'log-status': text(v['status_code']),
    'tcp-flags': text(conn['tcp_flags']),
  };
}
