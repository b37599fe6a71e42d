import { parseRequestPath } from '../../knowledge/kubernetes/apiGroups.js';
import { isObj } from '../../util/json.js';

/**
 * GKE delivers the API server's audit records as Cloud Logging entries (`LogEntry`) whose `protoPayload` is a
 * Cloud Audit Logs `AuditLog` of service `k8s.io`. The original audit Event is not kept, so the entry is turned
 * back into the Event a native log would hold, and that Event goes through the ordinary decoder (its name checks
 * and decision rules):
 *
 * - `methodName` `io.k8s.<group, reversed>.<version>.<resource>[.<subresource>].<verb>` (`io.k8s.core.v1.pods.list`,
 *   `io.k8s.authorization.rbac.v1.clusterroles.get`, `io.k8s.core.v1.pods.exec.create`) gives the verb, resource
 *   and subresource; a non-resource request is `io.k8s.<verb>` (`io.k8s.get` on `api/v1`);
 * - `resourceName` `<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]` with `core` for the
 *   core group gives the group, namespace and name (read as the request path it stands for);
 * - `authenticationInfo.principalEmail` is the user (GKE writes no groups: the profile's principals carry none);
 * - the decision: the entry's `authorization.k8s.io/decision` label when present (with its `…/reason` label, which
 *   says which authorizer allowed it: outsideRbac.ts), else `authorizationInfo[].granted`
 *   (any false is a denial, all true an allow whatever the status: admission may refuse what the authorizer
 *   allowed), else `status.code` (a gRPC code: 7 PERMISSION_DENIED and 16 UNAUTHENTICATED are
 *   denials; 8 RESOURCE_EXHAUSTED, with no authorizationInfo, is the API server's 429 before authorization, written
 *   back as that response without a decision; any other, NOT_FOUND included, passed authorization, as a native 404
 *   does);
 * - `operation.id` (the request's audit ID) or else `insertId` is the sample id, `timestamp` the time; every entry
 *   is one complete request (ResponseComplete).
 */

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const AUDIT_LOG = 'type.googleapis.com/google.cloud.audit.AuditLog';
/** gRPC codes that mean the request was refused by authentication or authorization. */
const DENIED_CODES = new Set([7, 16]);
/** gRPC RESOURCE_EXHAUSTED: HTTP 429, which max-in-flight and priority and fairness answer before authorization. */
const EXHAUSTED = 8;

export type GkeEntryResult = { event: Obj } | { skip: string } | { problem: string };

/** A Cloud Logging entry with an audit payload (the caller checked `protoPayload` is an object). */
export function gkeEntryToEvent(entry: Obj): GkeEntryResult {
  const p = entry['protoPayload'] as Obj;
  const type = p['@type'];
  if (type !== undefined && type !== AUDIT_LOG) return { skip: 'not-an-audit-log' };
  const service = p['serviceName'];
  if (service !== 'k8s.io') return { skip: `service:${typeof service === 'string' && service ? service : 'none'}` };
  const method = p['methodName'];
  const resourceName = p['resourceName'];
  if (typeof method !== 'string' || method === '') return { problem: 'protoPayload.methodName is missing' };
  if (typeof resourceName !== 'string') return { problem: 'protoPayload.resourceName is missing' };
  const auth = p['authenticationInfo'];
  const username = isObj(auth) ? auth['principalEmail'] : undefined;
  if (typeof username !== 'string' || username === '')
    return { problem: 'protoPayload.authenticationInfo.principalEmail is missing' };
  const parts = method.split('.');
  const verb = parts[parts.length - 1]!;
  const decision = decisionOf(entry, p);
  if (typeof decision === 'object') return decision;
  const op = entry['operation'];
  const event: Obj = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: (isObj(op) && str(op['id'])) || str(entry['insertId']),
    stage: 'ResponseComplete',
    verb,
    user: { username },
    // Refused before the authorizer ran: the native record's 429 without a decision, which the decoder counts as
    // neither granted nor denied.
    ...(decision === 'unreached'
      ? { responseStatus: { metadata: {}, code: 429 } }
      : { annotations: { 'authorization.k8s.io/decision': decision, ...reasonOf(entry) } }),
  };
  const time = entry['timestamp'];
  if (time !== undefined) event['requestReceivedTimestamp'] = time;
  const target = targetOf(parts, resourceName.replace(/^\/+/, ''), verb);
  if ('problem' in target) return target;
  Object.assign(event, target.fields);
  return { event };
}

/** The entry's `authorization.k8s.io/reason` label, as the native annotation (which authorizer allowed it). */
function reasonOf(entry: Obj): Obj {
  const labels = entry['labels'];
  const reason = isObj(labels) ? labels['authorization.k8s.io/reason'] : undefined;
  return typeof reason === 'string' ? { 'authorization.k8s.io/reason': reason } : {};
}

/** `allow` or `forbid` as a native event's annotation says it, `unreached` for a 429, or a problem. */
function decisionOf(entry: Obj, p: Obj): 'allow' | 'forbid' | 'unreached' | { problem: string } {
  const labels = entry['labels'];
  const label = isObj(labels) ? labels['authorization.k8s.io/decision'] : undefined;
  if (label === 'allow' || label === 'forbid') return label;
  const infos = p['authorizationInfo'];
  let granted = false;
  if (Array.isArray(infos) && infos.length > 0) {
    let denied = false;
    granted = true;
    for (const i of infos) {
      const g = isObj(i) ? i['granted'] : undefined;
      if (g === false) denied = true;
      else if (g === undefined) granted = false;
      else if (g !== true) return { problem: 'protoPayload.authorizationInfo[].granted is not true or false' };
    }
    if (denied) return 'forbid';
  }
  const status = p['status'];
  const code = isObj(status) ? status['code'] : undefined;
  if (code === undefined || code === null) return 'allow';
  if (typeof code !== 'number' || !Number.isInteger(code))
    return { problem: 'protoPayload.status.code is not a whole number' };
  // Every check granted: the authorizer allowed it, whatever refused it after (admission: a 403 from PodSecurity or
  // a webhook is gRPC 7 too, and says nothing of authorization).
  if (granted) return 'allow';
  if (code === EXHAUSTED && !(Array.isArray(infos) && infos.length > 0)) return 'unreached';
  return DENIED_CODES.has(code) ? 'forbid' : 'allow';
}

/** The objectRef and requestURI of a resource request, or the requestURI of a non-resource one. */
function targetOf(parts: string[], resourceName: string, verb: string): { fields: Obj } | { problem: string } {
  const disagree = { problem: `methodName ${parts.join('.')} and resourceName "${resourceName}" do not agree` };
  // io.k8s.get on api/v1, healthz, version...: a request on no resource.
  if (parts.length <= 3) {
    if (parts[0] !== 'io' || parts[1] !== 'k8s') return disagree;
    return { fields: { requestURI: '/' + resourceName } };
  }
  const segs = resourceName.split('/');
  const [group0, version] = segs;
  if (!group0 || !version) return disagree;
  const group = group0 === 'core' || group0 === 'io.k8s.core' ? '' : group0;
  // The method is ...<version>.<resource>[.<subresource>].<verb>: find the version from the right.
  let at = -1;
  for (let i = parts.length - 3; at < 0 && i >= 2 && i >= parts.length - 4; i--) if (parts[i] === version) at = i;
  if (at < 0) return disagree;
  const resource = parts[at + 1]!;
  const sub = at + 2 < parts.length - 1 ? parts[at + 2]! : '';
  const path = (group === '' ? `/api/${version}/` : `/apis/${group}/${version}/`) + segs.slice(2).join('/');
  const info = parseRequestPath(path);
  if (!info || info.resource !== resource) return disagree;
  if (info.subresource !== '' && sub !== '' && info.subresource !== sub) return disagree;
  const subresource = info.subresource || sub;
  // A namespace is created on the collection (no namespace of its own), whatever name the entry adds.
  const namespace = resource === 'namespaces' && verb === 'create' && !subresource ? '' : info.namespace;
  const ref: Obj = { resource, apiVersion: version };
  if (group !== '') ref['apiGroup'] = group;
  if (namespace !== '') ref['namespace'] = namespace;
  if (info.name !== '') ref['name'] = info.name;
  if (subresource !== '') ref['subresource'] = subresource;
  return { fields: { objectRef: ref, requestURI: path } };
}

/**
 * A row of the BigQuery table a Cloud Logging sink routes audit log entries to (Cloud Logging, "BigQuery schema for
 * logs"), as an export of it gives it (`bq extract --destination_format NEWLINE_DELIMITED_JSON`, a query's JSON
 * results), turned back into the LogEntry it was made from:
 *
 * - the LogEntry's own fields keep their names (`insertId`, `timestamp`, `operation`, `labels`, `logName`);
 * - the payload whose `@type` is `type.googleapis.com/google.cloud.audit.AuditLog` is the column
 *   `protopayload_auditlog`, its fields named as in the AuditLog (`methodName`, `resourceName`, `serviceName`,
 *   `authenticationInfo.principalEmail`, `authorizationInfo[].granted`, `status.code`);
 * - characters a column name cannot hold become `_`: the label `authorization.k8s.io/decision` is
 *   `labels.authorization_k8s_io_decision`;
 * - a JSON export writes an INT64 as a string (`status.code` `"7"`), a TIMESTAMP as
 *   `2026-11-02 08:00:00.123456 UTC`.
 */
export function gkeBigQueryRowToEntry(row: Obj): Obj {
  const payload: Obj = { ...(row['protopayload_auditlog'] as Obj), '@type': AUDIT_LOG };
  const status = payload['status'];
  const code = isObj(status) ? status['code'] : undefined;
  if (typeof code === 'string' && /^-?\d{1,10}$/.test(code))
    payload['status'] = { ...(status as Obj), code: Number(code) };
  const entry: Obj = { protoPayload: payload };
  for (const k of ['insertId', 'operation', 'logName', 'resource'])
    if (row[k] !== undefined && row[k] !== null) entry[k] = row[k];
  const time = row['timestamp'];
  if (time !== undefined && time !== null) entry['timestamp'] = typeof time === 'string' ? rfc3339(time) : time;
  const labels = row['labels'];
  const decision = isObj(labels) ? labels['authorization_k8s_io_decision'] : undefined;
  const reason = isObj(labels) ? labels['authorization_k8s_io_reason'] : undefined;
  if (decision !== undefined && decision !== null)
    entry['labels'] = {
      'authorization.k8s.io/decision': decision,
      ...(typeof reason === 'string' ? { 'authorization.k8s.io/reason': reason } : {}),
    };
  return entry;
}

/** BigQuery's `2026-11-02 08:00:00.123456 UTC` as RFC 3339; any other text as it is (the decoder judges it). */
function rfc3339(t: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d{1,9})?)(?: UTC|Z|\+00:?00)$/.exec(t);
  return m ? `${m[1]}T${m[2]}Z` : t;
}
