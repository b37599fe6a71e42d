import { isObj } from '../../util/json.js';

/**
 * AKS audit logs in a Log Analytics workspace, as a query's rows are saved (`az monitor log-analytics query`, an
 * export of the results as JSON):
 *
 * - the resource-specific tables `AKSAudit` and `AKSAuditAdmin` hold one column per Event field (`AuditId`, `Verb`,
 *   `User`, `ObjectRef`, `ResponseStatus`, `RequestReceivedTime`...); a dynamic column (an object) comes as JSON
 *   text or as the object, an empty one as `""`. The row is turned back into the Event it holds;
 * - the `AzureDiagnostics` table holds the Event as text in `log_s`, beside `Category` and `TimeGenerated`: read as a
 *   diagnostic record (envelopes.ts).
 */

type Obj = Record<string, unknown>;

/** Event field ← column, and whether the column is dynamic (JSON). */
const COLUMNS: [string, string, boolean][] = [
  ['level', 'Level', false],
  ['auditID', 'AuditId', false],
  ['stage', 'Stage', false],
  ['requestURI', 'RequestUri', false],
  ['verb', 'Verb', false],
  ['user', 'User', true],
  ['impersonatedUser', 'ImpersonatedUser', true],
  ['sourceIPs', 'SourceIps', true],
  ['userAgent', 'UserAgent', false],
  ['objectRef', 'ObjectRef', true],
  ['responseStatus', 'ResponseStatus', true],
  ['requestObject', 'RequestObject', true],
  ['responseObject', 'ResponseObject', true],
  ['requestReceivedTimestamp', 'RequestReceivedTime', false],
  ['stageTimestamp', 'StageReceivedTime', false],
  ['annotations', 'Annotations', true],
];

/** Whether a JSON object is a row of AKSAudit or AKSAuditAdmin. */
export function isAksAuditRow(v: Obj): boolean {
  const type = v['Type'];
  if (type === 'AKSAudit' || type === 'AKSAuditAdmin') return true;
  return type === undefined && typeof v['AuditId'] === 'string' && typeof v['Verb'] === 'string';
}

/** The Event a row holds, or a problem naming the column that cannot be read. */
export function aksAuditRowToEvent(row: Obj): { event: Obj } | { problem: string } {
  const event: Obj = { kind: 'Event', apiVersion: 'audit.k8s.io/v1' };
  for (const [field, column, dynamic] of COLUMNS) {
    let v = row[column];
    if (v === undefined || v === null || v === '') continue;
    if (dynamic && typeof v === 'string') {
      // The API server's own stand-in for a body it did not log, and an empty dynamic value: no field.
      if (v === 'skipped-too-big-size-object') continue;
      try {
        v = JSON.parse(v);
      } catch {
        return { problem: `${column} is not JSON` };
      }
    }
    if (isObj(v) && Object.keys(v).length === 0 && field !== 'responseStatus') continue;
    event[field] = v;
  }
  return { event };
}
