import { deeperThan, isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';
import { typeName } from './lookupFile.js';

/**
 * A CloudTrail event as Amazon Security Lake stores it: an Open Cybersecurity Schema Framework (OCSF) record of class
 * API Activity (6003), Authentication (3002) or Account Change (3001) whose `metadata.product.name` is `CloudTrail`
 * (Security Lake user guide, "OCSF source identification"). Security Lake writes Parquet; the same records arrive as
 * JSON in SIEMs that subscribe to it, and as `UNLOAD ... WITH (format = 'JSON')` of its Athena tables.
 *
 * The record is turned back into the CloudTrail record it was made from and read as any record, so every rule of
 * CloudTrail records holds. The mapping is the one of the OCSF project's CloudTrail event dossiers (source version 1,
 * OCSF 1.0.0-rc.2; source version 2, OCSF 1.1.0), which differ in two fields: `actor.user.uid` is the principal id
 * and `actor.user.uuid` the ARN in the first, `uid` the ARN and `uid_alt` the principal id in the second; the ARN is
 * whichever holds one. Fields OCSF has no place for are in `unmapped`, keyed by their CloudTrail path
 * (`recipientAccountId`, `userIdentity.sessionContext.sessionIssuer.type`, and in source version 1 the request's and
 * response's fields one by one: `responseElements.user.arn`); each is put back at its path, under the mapped fields.
 * JSON-typed fields (`api.request.data`, `api.response.data`, `unmapped`) may be objects or JSON text: both are read.
 *
 * What OCSF keeps no trace of is not made up: a session issuer's type comes from its ARN (`:role/` a role), as
 * CloudTrail would have written it; a `Failure` without `api.response.error` is refused (whether the call was denied
 * is unknown: read as allowed, it could widen a policy).
 */

type Obj = Record<string, unknown>;

/** The top-level fields a record is read from (a Parquet file's other columns are not decoded). */
export const OCSF_FIELDS = [
  'class_uid',
  'class_name',
  'metadata',
  'actor',
  'api',
  'cloud',
  'src_endpoint',
  'http_request',
  'time',
  'time_dt',
  'status',
  'status_id',
  'resources',
  'unmapped',
];

/** Classes Security Lake maps CloudTrail management and data events to. */
const CLASSES = new Set([6003, 3001, 3002]);

/** Whether an object without `eventSource` is an OCSF record: it has the class and metadata every record has. */
export function isOcsfRecord(v: Obj): boolean {
  return (v['class_uid'] !== undefined || v['class_name'] !== undefined) && isObj(v['metadata']);
}

export type OcsfRecord =
  { record: Obj; notice?: { code: string; message: string } } | { code: string; problem: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** The CloudTrail record an OCSF record stands for, or why it stands for none. */
export function ocsfRecord(v: Obj): OcsfRecord {
  const product = obj(obj(v['metadata'])['product']);
  const cls = Number(v['class_uid']);
  if (product['name'] !== 'CloudTrail') {
    const whose = [str(product['vendor_name']), str(product['name'])].filter(Boolean).join(' ') || 'an unnamed product';
    return notRecord(`an OCSF ${str(v['class_name']) ?? 'record'} of ${whose}, not a CloudTrail event`);
  }
  if (!CLASSES.has(cls)) return notRecord(`an OCSF record of class ${String(v['class_uid'])}, not an API call`);
  const api = obj(v['api']);
  const service = obj(api['service']);
  if (!str(service['name']) || !str(api['operation']))
    return notRecord(
      'an OCSF CloudTrail record without api.service.name and api.operation (its event source and name)',
    );
  const request = obj(api['request']);
  const response = obj(api['response']);
  // An error of another type read as none would grant a refused call (as CloudTrail's errorCode: decode.ts).
  const error = response['error'];
  if (error !== undefined && error !== null && typeof error !== 'string')
    return badType(`api.response.error is ${typeName(error)}, not a string`);
  const errorCode = str(error);
  if (!errorCode && (v['status'] === 'Failure' || Number(v['status_id']) === 2))
    return {
      code: 'cloudtrail.ocsf-unknown-failure',
      problem: 'status Failure without api.response.error: whether the call was refused is unknown, so it is left out',
    };

  const record: Obj = {};
  const set = (k: string, x: unknown) => {
    if (x !== undefined && x !== null && x !== '') record[k] = x;
  };
  set('eventVersion', str(product['version']));
  set('userIdentity', identity(obj(v['actor'])));
  set('eventTime', eventTime(v));
  set('eventSource', service['name']);
  set('eventName', api['operation']);
  set('awsRegion', str(obj(v['cloud'])['region']));
  set('recipientAccountId', str(obj(obj(v['cloud'])['account'])['uid']));
  const from = obj(v['src_endpoint']);
  set('sourceIPAddress', str(from['ip']) ?? str(from['domain']));
  set('vpcEndpointId', str(from['uid']));
  set('userAgent', str(obj(v['http_request'])['user_agent']));
  set('errorCode', errorCode);
  set('errorMessage', str(response['message']));
  set('requestID', str(request['uid']));
  set('eventID', str(obj(v['metadata'])['uid']));
  set('eventType', str(obj(v['metadata'])['event_code']));
  set('apiVersion', str(api['version']));
  set('eventCategory', str(obj(product['feature'])['name']));
  for (const [field, data] of [
    ['requestParameters', request['data']],
    ['responseElements', response['data']],
  ] as const) {
    const parsed = jsonField(data, field === 'requestParameters' ? 'api.request.data' : 'api.response.data');
    if ('problem' in parsed) return parsed;
    set(field, parsed.value);
  }
  if (Array.isArray(v['resources'])) {
    if (!v['resources'].every(isObj)) return badType('resources is not a list of objects');
    set('resources', v['resources'].map(resource));
  }
  const unmapped = jsonField(v['unmapped'], 'unmapped');
  if ('problem' in unmapped) return unmapped;
  if (unmapped.value !== undefined) {
    if (!isObj(unmapped.value)) return badType(`unmapped is ${typeName(unmapped.value)}, not an object`);
    for (const key of Object.keys(unmapped.value).sort()) {
      const problem = putPath(record, key, unmapped.value[key]);
      if (problem) return problem;
    }
  }
  // Source version 1 kept the request's fields only as far as its class had a place or `unmapped` a key for them.
  const version = str(obj(v['metadata'])['version']) ?? '';
  if (version.startsWith('1.0.0-rc') && record['requestParameters'] === undefined)
    return {
      record,
      notice: {
        code: 'cloudtrail.ocsf-v1',
        message:
          `OCSF ${version} (Security Lake source version 1) keeps no request parameters whole: a resource the request ` +
          'named may be missing from its record, and is then granted as the event leaves it (listed as a widening); ' +
          'source version 2 (OCSF 1.1) keeps them in api.request.data',
      },
    };
  return { record };
}

/** The record's `userIdentity` from OCSF's actor. */
function identity(actor: Obj): Obj {
  const user = obj(actor['user']);
  const session = obj(actor['session']);
  const out: Obj = {};
  const set = (k: string, x: unknown) => {
    if (x !== undefined) out[k] = x;
  };
  const uid = str(user['uid']);
  const arn = [uid, str(user['uuid'])].find((s) => s?.startsWith('arn:'));
  set('type', str(user['type']));
  set('principalId', str(user['uid_alt']) ?? (uid !== arn ? uid : undefined));
  set('arn', arn);
  set('accountId', str(obj(user['account'])['uid']) ?? str(user['account_uid']));
  set('accessKeyId', str(user['credential_uid']));
  set('userName', str(user['name']));
  set('invokedBy', str(actor['invoked_by']));
  const idp = str(obj(actor['idp'])['name']);
  // A web identity or SAML user names its provider itself; a role session it made carries it as federation data.
  const federated = out['type'] === 'WebIdentityUser' || out['type'] === 'SAMLUser';
  if (idp && federated) out['identityProvider'] = idp;
  const ctx: Obj = {};
  const issuer = str(session['issuer']);
  if (issuer) {
    const type = issuerType(issuer);
    ctx['sessionIssuer'] = { ...(type ? { type } : {}), arn: issuer, ...issuerNames(issuer) };
  }
  const created = session['created_time_dt'] ?? session['created_time'];
  const mfa = session['is_mfa'] ?? session['mfa'];
  const attributes: Obj = {};
  if (typeof created === 'string') attributes['creationDate'] = created;
  else if (typeof created === 'number' || typeof created === 'bigint' || created instanceof Date)
    attributes['creationDate'] = isoOf(created);
  if (typeof mfa === 'boolean') attributes['mfaAuthenticated'] = String(mfa);
  if (Object.keys(attributes).length) ctx['attributes'] = attributes;
  if (idp && !federated) ctx['webIdFederationData'] = { federatedProvider: idp };
  if (Object.keys(ctx).length) out['sessionContext'] = ctx;
  return out;
}

/** CloudTrail's session issuer types, from the issuer's ARN. */
function issuerType(arn: string): string | undefined {
  if (/^arn:[\w-]+:iam::\d+:role\//.test(arn)) return 'Role';
  if (/^arn:[\w-]+:iam::\d+:user\//.test(arn)) return 'IAMUser';
  if (/^arn:[\w-]+:iam::\d+:root$/.test(arn)) return 'Root';
  return undefined;
}

function issuerNames(arn: string): Obj {
  const m = /^arn:[\w-]+:iam::(\d+):(?:role|user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { accountId: m[1], userName: m[2] } : {};
}

function resource(r: Obj): Obj {
  const out: Obj = {};
  const account = str(obj(obj(r['owner'])['account'])['uid']) ?? str(r['account_uid']);
  if (account) out['accountId'] = account;
  if (str(r['type'])) out['type'] = r['type'];
  if (str(r['uid'])) out['ARN'] = r['uid'];
  return out;
}

/**
 * The record's time: OCSF's `time` is milliseconds since the epoch (a number, a bigint from Parquet's int64, a Date
 * from a Parquet timestamp); a number too small for a CloudTrail event in milliseconds (before 1973) is read as
 * seconds. Else `time_dt` (text, or a Parquet timestamp).
 */
function eventTime(v: Obj): string | undefined {
  const t = v['time'];
  if ((typeof t === 'number' && Number.isFinite(t)) || typeof t === 'bigint' || t instanceof Date) return isoOf(t);
  const dt = v['time_dt'];
  return dt instanceof Date ? isoOf(dt) : str(dt);
}

function isoOf(t: number | bigint | Date): string | undefined {
  const n = t instanceof Date ? t.getTime() : Number(t);
  const ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  // CloudTrail writes whole seconds without a fraction; a fraction OCSF kept stays.
  return d.toISOString().replace('.000Z', 'Z');
}

/** A JSON-typed OCSF field: an object as it is, JSON text parsed; absent → undefined. */
function jsonField(x: unknown, name: string): { value: unknown } | { code: string; problem: string } {
  if (x === undefined || x === null || x === '') return { value: undefined };
  if (typeof x !== 'string') return { value: x };
  let value: unknown;
  try {
    value = JSON.parse(x);
  } catch (e) {
    return { code: 'json.malformed', problem: `${name} is not JSON text: ${errorText(e)}` };
  }
  if (deeperThan(value, MAX_DEPTH))
    return { code: 'json.too-deep', problem: `${name} nested deeper than ${MAX_DEPTH} levels of objects and arrays` };
  return { value };
}

/** Fields a CloudTrail record holds as objects: an unmapped value of one given as JSON text is parsed. */
const OBJECT_FIELDS = new Set(['requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails']);
/** Fields a CloudTrail record holds as booleans, which OCSF's unmapped map keeps as text. */
const BOOLEAN_FIELDS = new Set(['readOnly', 'managementEvent', 'sessionCredentialFromConsole']);

/**
 * Put an unmapped value at its CloudTrail path (`a.b.c`), under what the mapped fields already set: a path that
 * reaches a value that is not an object, or a field already set, leaves the record as it is.
 */
function putPath(record: Obj, path: string, value: unknown): { code: string; problem: string } | undefined {
  const parts = path.split('.');
  if (parts.some((p) => p === '')) return undefined;
  let at = record;
  for (const p of parts.slice(0, -1)) {
    const next = Object.hasOwn(at, p) ? at[p] : undefined;
    if (next === undefined) {
      const made: Obj = {};
      put<unknown>(at, p, made);
      at = made;
    } else if (isObj(next)) at = next;
    else return undefined;
  }
  const last = parts[parts.length - 1]!;
  if (Object.hasOwn(at, last)) return undefined;
  let x = value;
  if (parts.length === 1 && OBJECT_FIELDS.has(last) && typeof x === 'string') {
    const parsed = jsonField(x, `unmapped ${path}`);
    if ('problem' in parsed) return parsed;
    x = parsed.value;
  } else if (parts.length === 1 && BOOLEAN_FIELDS.has(last) && (x === 'true' || x === 'false')) x = x === 'true';
  if (x !== undefined && x !== null) put<unknown>(at, last, x);
  return undefined;
}

const notRecord = (problem: string): OcsfRecord => ({ code: 'cloudtrail.not-a-record', problem });
const badType = (problem: string): OcsfRecord => ({ code: 'cloudtrail.bad-type', problem });
