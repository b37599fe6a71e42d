import { isObj, type JsonObject as Obj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { ecsOriginal } from '../siem.js';
import { EVENT_FIELDS } from './shapes.js';

/**
 * The audit Event in a document of Elastic's Kubernetes integration (data stream `kubernetes.audit_logs`, also fed
 * from EKS's CloudWatch Logs, AKS's Event Hub and GKE's Pub/Sub): the record kept whole in `event.original` when the
 * integration was asked to keep it, else the Event its ingest pipeline stores under `kubernetes.audit`. That copy has
 * lost two things: `requestObject.metadata` and `responseObject.metadata` (removed: a create's `generateName` is
 * unknown, as in a Metadata-level log), and the dots of every annotation key (`authorization.k8s.io/decision` is
 * written `authorization_k8s_io/decision`). A key's prefix is a DNS subdomain, which holds no `_`, so the dots of the
 * prefix are put back exactly; the name after the `/` stays as the pipeline wrote it.
 *
 * Undefined for a document without `kubernetes.audit`.
 */
export function ecsAuditEvent(doc: Obj): { value: string | Obj; where: string } | undefined {
  const k = doc['kubernetes'];
  const audit = isObj(k) ? k['audit'] : undefined;
  if (!isObj(audit)) return undefined;
  const original = ecsOriginal(doc);
  if (original !== undefined) return { value: original, where: 'event.original' };
  const ann = audit['annotations'];
  if (!isObj(ann)) return { value: audit, where: 'kubernetes.audit' };
  const dotted: Obj = {};
  for (const key of Object.keys(ann)) {
    const slash = key.indexOf('/');
    const name = slash < 0 ? key : key.slice(0, slash).replace(/_/g, '.') + key.slice(slash);
    if (!Object.hasOwn(dotted, name)) put(dotted, name, ann[key]);
  }
  return { value: { ...audit, annotations: dotted }, where: 'kubernetes.audit' };
}

/** The audit Event an Elasticsearch document's `_source` holds: the Event as it is, or Elastic's mapping of it. */
export function auditEventOf(s: Obj): { value: string | Obj; where?: string } | undefined {
  const ecs = ecsAuditEvent(s);
  if (ecs) return ecs;
  return s['kind'] !== undefined || EVENT_FIELDS.some((f) => f in s) ? { value: s } : undefined;
}
