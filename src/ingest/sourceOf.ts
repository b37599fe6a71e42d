import { isObj } from '../util/json.js';
import { cloudWatchEnvelope, firstCloudWatchMessage, looksLikeVpcFlowLine } from './cloudWatchLogs.js';
import { siemEnvelope, siemRecords } from './siem.js';

/**
 * What a JSON value read from a file looks like, whichever flag it was given to: the first value of a
 * file decides, so a CloudTrail directory passed to --k8s-audit is one notice per file ("looks like
 * CloudTrail: read it with --cloudtrail"), not an issue per record. Undefined when it is none of the
 * inputs the tool reads (the source's own decoder then says what is wrong with it).
 */
export type SourceKind = 'k8s-audit' | 'cloudtrail' | 'flows' | 'inventory' | 'profile';

export const SOURCE_WORDS: Record<SourceKind, { label: string; flag: string }> = {
  'k8s-audit': { label: 'a Kubernetes audit log', flag: '--k8s-audit' },
  cloudtrail: { label: 'CloudTrail', flag: '--cloudtrail' },
  flows: { label: 'flow logs', flag: '--flows' },
  inventory: { label: 'Kubernetes cluster objects', flag: '--inventory' },
  profile: { label: 'an audit2policy profile', flag: '--profile' },
};

const WORKLOAD_KINDS = new Set([
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Service',
  'Namespace',
  'Node',
]);

export function sourceOf(v: unknown): SourceKind | undefined {
  if (Array.isArray(v)) return v.length ? sourceOf(v[0]) : undefined;
  // A record as a JSON string of its text (jsonText.ts): the record says.
  if (typeof v === 'string') return /^\s*\{/.test(v) ? sourceOfMessage(v) : undefined;
  if (!isObj(v)) return undefined;
  const kind = v['kind'];
  const apiVersion = typeof v['apiVersion'] === 'string' ? v['apiVersion'] : '';
  if ((kind === 'Event' || kind === 'EventList') && apiVersion.startsWith('audit.k8s.io/')) return 'k8s-audit';
  if (typeof v['auditID'] === 'string' && typeof v['verb'] === 'string') return 'k8s-audit';
  // CloudWatch Logs carries any service's log: its first message says whose (none: each reader judges).
  if (cloudWatchEnvelope(v)) return sourceOfMessage(firstCloudWatchMessage(v));
  // A SIEM's export keeps the record whole: Splunk's raw event, an Elasticsearch document's source.
  if (siemEnvelope(v)) {
    const first = siemRecords(v, 'record', (s) => (sourceOf(s) ? { value: s } : undefined))[0];
    return first && 'value' in first ? sourceOfMessage(first.value) : undefined;
  }
  // Elastic's Kubernetes integration keeps the Event under kubernetes.audit (k8sAudit/siem.ts).
  const k8s = v['kubernetes'];
  if (isObj(k8s) && isObj(k8s['audit'])) return 'k8s-audit';
  if (isObj(v['protoPayload']) && v['protoPayload']['serviceName'] === 'k8s.io') return 'k8s-audit';
  // The same entry as a row of the BigQuery table a log sink writes to.
  const bq = v['protopayload_auditlog'];
  if (isObj(bq) && bq['serviceName'] === 'k8s.io') return 'k8s-audit';
  if (Array.isArray(v['records']) && v['records'].some((r) => isObj(r) && /^kube-audit/.test(String(r['category']))))
    return 'k8s-audit';
  if (aksRecord(v)) return 'k8s-audit';
  // Logs Insights results: the first row's message says whose (only the audit log reader reads them).
  const insights = insightsMessage(v);
  if (insights !== undefined) return sourceOfMessage(insights) === 'k8s-audit' ? 'k8s-audit' : undefined;
  if (kind === 'Profile' && apiVersion.startsWith('audit2policy')) return 'profile';
  if (Array.isArray(v['Records']) && (v['Records'].length === 0 || isObj(v['Records'][0]))) return 'cloudtrail';
  if (typeof v['eventSource'] === 'string' && typeof v['eventName'] === 'string' && 'eventVersion' in v)
    return 'cloudtrail';
  // A row of an Athena table over a trail: the same columns in lower case (cloudTrail/athena.ts).
  if (typeof v['eventsource'] === 'string' && typeof v['eventname'] === 'string' && 'eventversion' in v)
    return 'cloudtrail';
  if (viaCloudTrail(v)) return 'cloudtrail';
  // Security Lake's OCSF record of a CloudTrail event (cloudTrail/ocsf.ts).
  const product = isObj(v['metadata']) ? v['metadata']['product'] : undefined;
  if (isObj(product) && product['name'] === 'CloudTrail' && isObj(v['api'])) return 'cloudtrail';
  if (isObj(product) && product['name'] === 'Amazon VPC' && Number(v['class_uid']) === 4001) return 'flows';
  // DNS query logs name the addresses flows reach (flows/dns.ts): Route 53 Resolver's, and as Security Lake keeps them.
  if (isObj(product) && product['name'] === 'Route 53' && Number(v['class_uid']) === 4003) return 'flows';
  if (typeof v['query_name'] === 'string' && typeof v['query_timestamp'] === 'string') return 'flows';
  if (Array.isArray(v['Events']) && lookupEventsAnswer(v, v['Events'])) return 'cloudtrail';
  if (isObj(v['flow']) || (typeof v['verdict'] === 'string' && isObj(v['IP']))) return 'flows';
  if (kind === 'List' && Array.isArray(v['items']))
    return v['items'].some((i) => isObj(i) && WORKLOAD_KINDS.has(String(i['kind']))) ? 'inventory' : undefined;
  if (typeof kind === 'string' && WORKLOAD_KINDS.has(kind) && isObj(v['metadata'])) return 'inventory';
  return undefined;
}

/** AKS's control-plane log categories (diagnostic settings): only the audit log reader reads them. */
const AKS_CATEGORY = /^(kube-(audit|audit-admin|apiserver|controller-manager|scheduler)|cluster-autoscaler|guard)$/;
const AKS_RESOURCE = /\/providers\/microsoft\.containerservice\/managedclusters\//i;

/**
 * An AKS record by itself: a diagnostic record (`category`, `properties`; one per line in a storage account's PT1H.json
 * or an Event Hub's), a row of Log Analytics' AzureDiagnostics (`Category`, `log_s`) or AKSAudit / AKSAuditAdmin
 * table (k8sAudit/aks.ts), or the query API's answer whose first table has their columns (k8sAudit/logAnalytics.ts).
 */
function aksRecord(v: Record<string, unknown>): boolean {
  const [category, id] = isObj(v['properties'])
    ? [v['category'], v['resourceId']]
    : typeof v['log_s'] === 'string'
      ? [v['Category'], v['ResourceId'] ?? v['_ResourceId']]
      : [undefined, undefined];
  if (typeof category === 'string' && (AKS_CATEGORY.test(category) || AKS_RESOURCE.test(String(id)))) return true;
  const type = v['Type'];
  if (type === 'AKSAudit' || type === 'AKSAuditAdmin') return true;
  if (type === undefined && typeof v['AuditId'] === 'string' && typeof v['Verb'] === 'string') return true;
  const tables = v['tables'];
  const table = Array.isArray(tables) && isObj(tables[0]) ? tables[0] : undefined;
  const columns = table && Array.isArray(table['columns']) ? table['columns'] : [];
  const names = new Set(columns.map((c) => (isObj(c) ? c['name'] : undefined)));
  return (names.has('AuditId') && names.has('Verb')) || (names.has('Category') && names.has('log_s'));
}

/** The `@message` of Logs Insights results' first row (`{"results": [[{"field", "value"}...]]}`, or a saved row). */
function insightsMessage(v: Record<string, unknown>): unknown {
  if ('@message' in v) return v['@message'];
  const results = v['results'];
  if (!Array.isArray(results) || !('status' in v || 'statistics' in v)) return undefined;
  const row: unknown = results[0];
  if (!Array.isArray(row)) return undefined;
  const field = row.find((f) => isObj(f) && f['field'] === '@message') as Record<string, unknown> | undefined;
  return field?.['value'];
}

/**
 * Whether a value says nothing of whose a file is, so the next one decides: a CloudWatch Logs subscription's
 * `CONTROL_MESSAGE` (the check it sends when the subscription is made, first in the Firehose object it lands in).
 */
export function sourceUnsaid(v: unknown): boolean {
  return isObj(v) && v['messageType'] === 'CONTROL_MESSAGE' && cloudWatchEnvelope(v) === 'cloudwatch-subscription';
}

/**
 * Whether a JSON object is an EventBridge event CloudTrail sent (its record in `detail`): every detail-type CloudTrail
 * uses ends so (`AWS API Call via CloudTrail`, `AWS Console Signin via CloudTrail`, `AWS Service Event via
 * CloudTrail`, `AWS Console Action via CloudTrail`, `AWS Insight via CloudTrail`).
 */
export function viaCloudTrail(v: Record<string, unknown>): boolean {
  const t = v['detail-type'];
  return typeof t === 'string' && t.endsWith(' via CloudTrail') && isObj(v['detail']);
}

/** What a CloudWatch Logs message is: JSON text of a record, or a VPC flow log line. */
function sourceOfMessage(m: unknown): SourceKind | undefined {
  if (typeof m !== 'string') return isObj(m) ? sourceOf(m) : undefined;
  const t = m.trimStart();
  if (t.startsWith('{')) {
    try {
      return sourceOf(JSON.parse(t));
    } catch {
      return undefined;
    }
  }
  return looksLikeVpcFlowLine(t) ? 'flows' : undefined;
}

/**
 * LookupEvents' answer as the AWS CLI saves it (`aws cloudtrail lookup-events`): its first event carries the
 * record (`CloudTrailEvent`) or CloudTrail's summary of it (`EventId`, `EventSource`); with no events, the answer's
 * keys alone.
 */
function lookupEventsAnswer(v: Record<string, unknown>, events: unknown[]): boolean {
  const e = events[0];
  if (e === undefined) return Object.keys(v).every((k) => k === 'Events' || k === 'NextToken');
  return (
    isObj(e) && (typeof e['CloudTrailEvent'] === 'string' || (typeof e['EventId'] === 'string' && 'EventSource' in e))
  );
}

/** `looks like CloudTrail: read it with --cloudtrail`: what a file given to the wrong flag is, and what reads it. */
export function looksLike(s: SourceKind): string {
  const w = SOURCE_WORDS[s];
  return `looks like ${w.label}: read it with ${w.flag}`;
}

/** The sources that are logs (what `profile` reads), as opposed to cluster objects and profiles. */
export const LOG_SOURCES: ReadonlySet<SourceKind> = new Set(['k8s-audit', 'cloudtrail', 'flows']);

/** The notice of a file skipped as another source's, or undefined when it is this source's. */
export function foreignSource(v: unknown, format: SourceKind): string | undefined {
  const s = sourceOf(v);
  if (!s && authorizationDetails(v))
    return "looks like an account's IAM authorization details (get-account-authorization-details), policies, not a log: read it with check, diff or verify --policies";
  if (!s || s === format) return undefined;
  return looksLike(s);
}

/** `aws iam get-account-authorization-details` output: an account's policies (policy/iamAuthorization.ts). */
function authorizationDetails(v: unknown): boolean {
  if (!isObj(v) || 'Statement' in v || 'apiVersion' in v || 'kind' in v) return false;
  return ['RoleDetailList', 'UserDetailList', 'GroupDetailList', 'Policies'].some((k) => Array.isArray(v[k]));
}
