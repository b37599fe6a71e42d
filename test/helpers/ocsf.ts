import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

/**
 * CloudTrail records as Amazon Security Lake (source version 2, OCSF 1.1.0) stores them, following the OCSF project's
 * CloudTrail event dossiers: `api.service.name` ← eventSource, `api.operation` ← eventName, `api.request.data` ←
 * requestParameters, `api.response.data` ← responseElements, `api.response.error` ← errorCode, `actor.user.uid` ←
 * userIdentity.arn, `actor.user.uid_alt` ← principalId, `actor.session.issuer` ← sessionIssuer.arn, `metadata.uid` ←
 * eventID, `metadata.event_code` ← eventType, `cloud.account.uid` ← recipientAccountId, `resources[].uid` ←
 * resources[].ARN, `time` (epoch milliseconds) ← eventTime; what has no OCSF field goes to `unmapped` under its
 * CloudTrail path (`userIdentity.sessionContext.sessionIssuer.type`, `readOnly`, `additionalEventData` as JSON text).
 */

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface OcsfOptions {
  /** JSON-typed fields as JSON text (as in Parquet and some SIEM exports) rather than objects. */
  jsonText?: boolean;
}

export function toOcsf(r: Obj, opts: OcsfOptions = {}): Obj {
  const json = (v: unknown) => (v === undefined || v === null ? undefined : opts.jsonText ? JSON.stringify(v) : v);
  const u = o(r['userIdentity']);
  const ctx = o(u['sessionContext']);
  const issuer = o(ctx['sessionIssuer']);
  const attrs = o(ctx['attributes']);
  const unmapped: Record<string, string> = {};
  const keep = (path: string, v: unknown) => {
    if (v === undefined || v === null) return;
    unmapped[path] = typeof v === 'string' ? v : JSON.stringify(v);
  };
  for (const k of ['type', 'principalId', 'accountId', 'userName'])
    keep(`userIdentity.sessionContext.sessionIssuer.${k}`, issuer[k]);
  const webId = o(ctx['webIdFederationData']);
  for (const k of [
    'readOnly',
    'managementEvent',
    'sharedEventID',
    'sessionCredentialFromConsole',
    'additionalEventData',
  ])
    keep(k, r[k]);
  if (webId['attributes']) keep('userIdentity.sessionContext.webIdFederationData.attributes', webId['attributes']);
  const errorCode = r['errorCode'];
  const federated = u['type'] === 'WebIdentityUser' || u['type'] === 'SAMLUser';
  const out: Obj = {
    activity_id: 99,
    category_uid: 6,
    class_uid: 6003,
    class_name: 'API Activity',
    severity: 'Informational',
    severity_id: 1,
    // Columns no record is read from (the reader leaves them undecoded), as Security Lake's tables have them.
    observables: u['arn']
      ? [{ name: 'actor.user.uid', type: 'Resource UID', type_id: 10, value: u['arn'] }]
      : undefined,
    time: Date.parse(String(r['eventTime'])),
    status: errorCode ? 'Failure' : 'Success',
    status_id: errorCode ? 2 : 1,
    metadata: {
      uid: r['eventID'],
      version: '1.1.0',
      event_code: r['eventType'],
      product: {
        name: 'CloudTrail',
        vendor_name: 'AWS',
        version: r['eventVersion'],
        feature: { name: r['eventCategory'] },
      },
    },
    actor: {
      user: {
        type: u['type'],
        name: u['userName'],
        uid: u['arn'],
        uid_alt: u['principalId'],
        credential_uid: u['accessKeyId'],
        account: u['accountId'] ? { uid: u['accountId'] } : undefined,
      },
      session: {
        issuer: issuer['arn'],
        is_mfa: attrs['mfaAuthenticated'] === undefined ? undefined : attrs['mfaAuthenticated'] === 'true',
        created_time_dt: attrs['creationDate'],
      },
      invoked_by: u['invokedBy'],
      idp: { name: federated ? u['identityProvider'] : webId['federatedProvider'] },
    },
    api: {
      operation: r['eventName'],
      version: r['apiVersion'],
      service: { name: r['eventSource'] },
      request: { uid: r['requestID'], data: json(r['requestParameters']) },
      response: { error: errorCode, message: r['errorMessage'], data: json(r['responseElements']) },
    },
    cloud: { provider: 'AWS', region: r['awsRegion'], account: { uid: r['recipientAccountId'] } },
    src_endpoint: /^[\d.:a-f]+$/i.test(String(r['sourceIPAddress']))
      ? { ip: r['sourceIPAddress'], uid: r['vpcEndpointId'] }
      : { domain: r['sourceIPAddress'], uid: r['vpcEndpointId'] },
    http_request: { user_agent: r['userAgent'] },
    resources: Array.isArray(r['resources'])
      ? r['resources'].map((x: unknown) => ({
          uid: o(x)['ARN'],
          type: o(x)['type'],
          owner: { account: { uid: o(x)['accountId'] } },
        }))
      : undefined,
    unmapped: Object.keys(unmapped).length ? (opts.jsonText ? JSON.stringify(unmapped) : unmapped) : undefined,
  };
  return JSON.parse(JSON.stringify(out)) as Obj;
}

/** Every CloudTrail record of the demo: its S3 delivery files, its EventBridge events and its Lake export. */
export function demoCloudTrailRecords(dir: string): Obj[] {
  const out: Obj[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.json.gz'))
        out.push(...(JSON.parse(gunzipSync(readFileSync(p)).toString()) as { Records: Obj[] }).Records);
      else if (p.endsWith('.jsonl'))
        for (const line of readFileSync(p, 'utf8').split('\n').filter(Boolean)) {
          const v = JSON.parse(line) as Obj;
          out.push(v['detail-type'] ? o(v['detail']) : v);
        }
    }
  };
  walk(dir);
  return out;
}

/* Parquet, as Security Lake writes it: one column per top-level OCSF field, structs, a list of structs, a map. */

type Leaf = 'STRING' | 'INT32' | 'INT64' | 'BOOLEAN' | 'TIMESTAMP';
type Shape = Leaf | { [field: string]: Shape } | { list: Shape } | { map: 'STRING' };

const S = 'STRING';
const SHAPE: Record<string, Shape> = {
  activity_id: 'INT32',
  category_uid: 'INT32',
  class_uid: 'INT32',
  class_name: S,
  severity: S,
  severity_id: 'INT32',
  observables: { list: { name: S, type: S, type_id: 'INT32', value: S } },
  time: 'INT64',
  status: S,
  status_id: 'INT32',
  metadata: {
    uid: S,
    version: S,
    event_code: S,
    product: { name: S, vendor_name: S, version: S, feature: { name: S } },
  },
  actor: {
    user: { type: S, name: S, uid: S, uid_alt: S, credential_uid: S, account: { uid: S } },
    session: { issuer: S, is_mfa: 'BOOLEAN', created_time_dt: 'TIMESTAMP' },
    invoked_by: S,
    idp: { name: S },
  },
  api: {
    operation: S,
    version: S,
    service: { name: S },
    request: { uid: S, data: S },
    response: { error: S, message: S, data: S },
  },
  cloud: { provider: S, region: S, account: { uid: S } },
  src_endpoint: { ip: S, domain: S, uid: S },
  http_request: { user_agent: S },
  resources: { list: { uid: S, type: S, owner: { account: { uid: S } } } },
  unmapped: { map: S },
};

const LEAF: Record<Leaf, Obj> = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  INT32: { type: 'INT32' },
  INT64: { type: 'INT64' },
  BOOLEAN: { type: 'BOOLEAN' },
  TIMESTAMP: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
};

function elements(name: string, shape: Shape): Obj[] {
  if (typeof shape === 'string') return [{ name, repetition_type: 'OPTIONAL', ...LEAF[shape] }];
  if ('list' in shape && Object.keys(shape).length === 1)
    return [
      { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      ...elements('element', shape.list as Shape),
    ];
  if ('map' in shape && Object.keys(shape).length === 1)
    return [
      { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
      { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
      { name: 'key', repetition_type: 'REQUIRED', ...LEAF.STRING },
      { name: 'value', repetition_type: 'OPTIONAL', ...LEAF.STRING },
    ];
  const fields = Object.entries(shape as Record<string, Shape>);
  return [
    { name, repetition_type: 'OPTIONAL', num_children: fields.length },
    ...fields.flatMap(([k, s]) => elements(k, s)),
  ];
}

/** A row's value as the Parquet column holds it: int64 as bigint, timestamps as Dates, JSON fields as text. */
function columnValue(v: unknown, shape: Shape): unknown {
  if (v === undefined || v === null) return null;
  if (shape === 'INT64') return BigInt(v as number);
  if (shape === 'TIMESTAMP') return new Date(String(v));
  if (typeof shape === 'string') return shape === S && typeof v !== 'string' ? JSON.stringify(v) : v;
  if ('list' in shape && Object.keys(shape).length === 1)
    return (v as unknown[]).map((x) => columnValue(x, shape.list as Shape));
  if ('map' in shape && Object.keys(shape).length === 1) return typeof v === 'string' ? JSON.parse(v) : v;
  const out: Obj = {};
  for (const [k, s] of Object.entries(shape as Record<string, Shape>)) out[k] = columnValue(o(v)[k], s);
  return out;
}

/** OCSF records (toOcsf) as one Security Lake Parquet file, `rowGroupSize` rows per group. */
export function ocsfParquet(records: Obj[], rowGroupSize = 1000, codec: 'SNAPPY' | 'ZSTD' = 'SNAPPY'): Buffer {
  return parquetOfShape(SHAPE, records, rowGroupSize, codec);
}

/**
 * A Zstandard frame holding `data` in raw blocks (RFC 8878: magic, a frame header declaring a 4-byte content size,
 * blocks of at most 128 KiB, the last one flagged): valid Zstandard that needs no compressor, which Node 20 lacks.
 */
export function rawZstdFrame(data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = 0xa0; // Frame_Content_Size in 4 bytes, single segment, no checksum, no dictionary
  head.writeUInt32LE(data.length, 5);
  const parts: Buffer[] = [head];
  let off = 0;
  do {
    const n = Math.min(128 * 1024, data.length - off);
    const h = (n << 3) | (off + n >= data.length ? 1 : 0); // Block_Type 0: raw
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), Buffer.from(data.subarray(off, off + n)));
    off += n;
  } while (off < data.length);
  return new Uint8Array(Buffer.concat(parts));
}

function parquetOfShape(
  shape: Record<string, Shape>,
  records: Obj[],
  rowGroupSize: number,
  codec: 'SNAPPY' | 'ZSTD' = 'SNAPPY',
): Buffer {
  const columns = Object.entries(shape);
  const schema = [{ name: 'root', num_children: columns.length }, ...columns.flatMap(([k, s]) => elements(k, s))];
  const columnData = columns.map(([k, s]) => ({ name: k, data: records.map((r) => columnValue(r[k], s)) }));
  const compressors = { ZSTD: rawZstdFrame };
  const options = { columnData, schema, rowGroupSize, codec, compressors };
  return Buffer.from(parquetWriteBuffer(options as unknown as Parameters<typeof parquetWriteBuffer>[0]));
}

/**
 * A VPC flow log record (its fields by name, as the text line holds them) as Security Lake stores it: OCSF 1.1
 * Network Activity, by the OCSF project's VPC flow log dossier (`src_endpoint.ip` the packet's source where
 * `pkt-srcaddr` differs from `srcaddr`, which goes to `intermediate_ips`; the interface on the side `flow-direction`
 * names; `action` Allowed/Denied; times in milliseconds).
 */
export function vpcToOcsf(rec: Record<string, string>): Obj {
  const v = (k: string) => (rec[k] === undefined || rec[k] === '-' ? undefined : rec[k]);
  const n = (k: string) => (v(k) === undefined ? undefined : Number(v(k)));
  const endpoint = (addr: string, pkt: string, port: string) => {
    const packet = v(pkt) ?? v(addr);
    return {
      ip: packet,
      port: n(port),
      intermediate_ips: v(pkt) && v(pkt) !== v(addr) ? [v(addr)] : undefined,
    };
  };
  const src: Obj = endpoint('srcaddr', 'pkt-srcaddr', 'srcport');
  const dst: Obj = endpoint('dstaddr', 'pkt-dstaddr', 'dstport');
  (v('flow-direction') === 'ingress' ? dst : src)['interface_uid'] = v('interface-id');
  const accept = v('action') === 'ACCEPT';
  const out: Obj = {
    class_uid: 4001,
    class_name: 'Network Activity',
    category_uid: 4,
    activity_id: 6,
    metadata: {
      version: '1.1.0',
      product: { name: 'Amazon VPC', vendor_name: 'AWS', version: v('version'), feature: { name: 'Flowlogs' } },
    },
    cloud: { provider: 'AWS', account: { uid: v('account-id') } },
    time: n('start') === undefined ? undefined : n('start')! * 1000,
    start_time: n('start') === undefined ? undefined : n('start')! * 1000,
    end_time: n('end') === undefined ? undefined : n('end')! * 1000,
    src_endpoint: src,
    dst_endpoint: dst,
    connection_info: {
      protocol_num: n('protocol'),
      tcp_flags: n('tcp-flags'),
      direction:
        v('flow-direction') === 'ingress' ? 'Inbound' : v('flow-direction') === 'egress' ? 'Outbound' : undefined,
    },
    traffic: { packets: n('packets'), bytes: n('bytes') },
    action: v('action') ? (accept ? 'Allowed' : 'Denied') : undefined,
    action_id: v('action') ? (accept ? 1 : 2) : undefined,
    disposition: v('action') ? (accept ? 'Allowed' : 'Blocked') : undefined,
    status_code: v('log-status'),
  };
  return JSON.parse(JSON.stringify(out)) as Obj;
}

const NETWORK_SHAPE: Record<string, Shape> = {
  class_uid: 'INT32',
  class_name: S,
  category_uid: 'INT32',
  activity_id: 'INT32',
  metadata: { version: S, product: { name: S, vendor_name: S, version: S, feature: { name: S } } },
  cloud: { provider: S, account: { uid: S } },
  time: 'INT64',
  start_time: 'INT64',
  end_time: 'INT64',
  src_endpoint: { ip: S, port: 'INT32', interface_uid: S, intermediate_ips: { list: S } },
  dst_endpoint: { ip: S, port: 'INT32', interface_uid: S, intermediate_ips: { list: S } },
  connection_info: { protocol_num: 'INT32', tcp_flags: 'INT32', direction: S },
  traffic: { packets: 'INT64', bytes: 'INT64' },
  action: S,
  action_id: 'INT32',
  disposition: S,
  status_code: S,
};

/** Security Lake VPC flow records (vpcToOcsf) as one Parquet file. */
export function ocsfFlowParquet(records: Obj[], rowGroupSize = 1000): Buffer {
  return parquetOfShape(NETWORK_SHAPE, records, rowGroupSize);
}

const DNS_SHAPE: Record<string, Shape> = {
  class_uid: 'INT32',
  class_name: S,
  metadata: { version: S, product: { name: S, vendor_name: S, version: S } },
  cloud: { provider: S, region: S, account: { uid: S } },
  time: 'INT64',
  query: { hostname: S, type: S, class: S },
  answers: { list: { rdata: S, type: S, class: S } },
  rcode: S,
  src_endpoint: { ip: S, port: 'INT32', vpc_uid: S, instance_uid: S },
  connection_info: { protocol_name: S },
  disposition: S,
};

/** Security Lake Route 53 Resolver records (OCSF DNS Activity) as one Parquet file. */
export function ocsfDnsParquet(records: Obj[]): Buffer {
  return parquetOfShape(DNS_SHAPE, records, 1000);
}
