import { shown } from '../../knowledge/kubernetes/names.js';
import { isObj, type JsonObject as Obj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { cloudWatchEnvelope } from '../cloudWatchLogs.js';
import { siemEnvelope } from '../siem.js';
import { viaCloudTrail } from '../sourceOf.js';
import { isAksAuditRow } from './aks.js';
import { isLogAnalyticsAnswer } from './logAnalytics.js';

/** Fields only an audit Event has: a record with one of them is read (and judged) as an Event. */
export const EVENT_FIELDS = ['verb', 'user', 'auditID', 'objectRef', 'requestURI', 'stage', 'impersonatedUser'];

/** Which envelope a record is, by its fields. */
export function envelopeOf(v: Obj): string | undefined {
  const siem = siemEnvelope(v);
  if (siem) return siem;
  const cloudWatch = cloudWatchEnvelope(v);
  if (cloudWatch) return cloudWatch;
  if ((Array.isArray(v['results']) && ('status' in v || 'statistics' in v)) || '@message' in v) return 'logs-insights';
  if (isObj(v['protopayload_auditlog'])) return 'gke-bigquery';
  if (isLogAnalyticsAnswer(v)) return 'log-analytics-answer';
  const entry = typeof v['logName'] === 'string' || typeof v['insertId'] === 'string';
  if (isObj(v['protoPayload']) || (entry && ('jsonPayload' in v || 'textPayload' in v))) return 'gke-cloud-logging';
  if (Array.isArray(v['records']) || (typeof v['category'] === 'string' && isObj(v['properties'])))
    return 'aks-diagnostics';
  if (typeof v['Category'] === 'string' && typeof v['log_s'] === 'string') return 'aks-diagnostics';
  // A Pub/Sub message as a pull (`ackId`) or a push (`subscription`) gives it.
  const message = v['message'];
  if (isObj(message) && typeof message['data'] === 'string' && ('ackId' in v || 'subscription' in v)) return 'pubsub';
  if (isAksAuditRow(v)) return 'aks-log-analytics';
  return undefined;
}

/** `[{"field": "@message", "value": "..."}...]` → `{"@message": "..."}` (get-query-results rows). */
export function fieldsOf(row: unknown[]): Obj {
  const out: Obj = {};
  for (const f of row) if (isObj(f) && typeof f['field'] === 'string') put(out, f['field'], f['value']);
  return out;
}

/** What a record of an unknown shape looks like: the issue code and a description. */
export function describe(v: Obj): [string, string] {
  if (
    Array.isArray(v['Records']) ||
    Array.isArray(v['Events']) ||
    (typeof v['eventSource'] === 'string' && typeof v['eventName'] === 'string') ||
    viaCloudTrail(v)
  )
    return ['k8s.foreign-format', 'looks like a CloudTrail document or record: pass it with --cloudtrail'];
  if (isObj(v['flow']) || (typeof v['verdict'] === 'string' && 'source' in v))
    return ['k8s.foreign-format', 'looks like Hubble flows: pass them with --flows'];
  if (typeof v['kind'] === 'string')
    return [
      'k8s.wrong-kind',
      `a Kubernetes ${shown(v['kind'])} object, not an audit Event (cluster objects go to --inventory)`,
    ];
  const keys = Object.keys(v);
  if (keys.length === 0) return ['k8s.unknown-format', 'an empty JSON object, not an audit Event'];
  const names = keys.slice(0, 8).map((k) => (/^[\w@.$-]{1,40}$/.test(k) ? k : shown(k)));
  return [
    'k8s.unknown-format',
    `a JSON object with keys ${names.join(', ')}${keys.length > 8 ? ', …' : ''}: not an audit Event, nor an ` +
      'envelope of one this tool reads (CloudWatch Logs, Cloud Logging, Azure diagnostic records, Splunk or ' +
      'Elasticsearch exports)',
  ];
}
