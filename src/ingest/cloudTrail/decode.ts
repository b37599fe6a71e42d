import type { InputIssue } from '../../model/issue.js';
import type { AwsCallObservation, AwsPrincipal, ServiceAccountLink } from '../../model/observation.js';
import type { RecordSkip } from '../../model/network.js';
import { deeperThan, isObj } from '../../util/json.js';
import { lookedUpRecords, typeName } from './lookupFile.js';
import { cloudWatchEnvelope, cloudWatchItems } from '../cloudWatchLogs.js';
import { cloudTrailInSiem } from './siem.js';
import { athenaQueryAnswer, athenaRecord, isAthenaRow } from './athena.js';
import { isOcsfRecord, ocsfRecord } from './ocsf.js';
import { decodeRecord } from './record.js';
import { viaCloudTrail } from '../sourceOf.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';
import { recordOfText } from '../jsonText.js';

export type { AwsCallObservation, AwsPrincipal, ServiceAccountLink };

/**
 * CloudTrail records → observations. Accepts the S3 delivery document `{"Records":[...]}` (a large one arrives record
 * by record: stream.ts), the LookupEvents answer `{"Events":[...]}` the AWS CLI saves (each event's `CloudTrailEvent`:
 * lookupFile.ts), EventBridge envelopes, rows of an Athena table over a trail (athena.ts), Security Lake's OCSF
 * records (ocsf.ts) and single records; everything else is an issue naming file and line.
 */

type Emit = (item: AwsCallObservation | RecordSkip | InputIssue) => void;
type Obj = Record<string, unknown>;

export function decodeCloudTrailValue(
  v: unknown,
  loc: { file: string; line: number },
  emit: Emit,
  /** How many JSON strings of records (../jsonText.ts) this value is inside: two at most are opened. */
  texts = 0,
): number {
  const issue = (code: string, message: string) =>
    emit({ kind: 'issue', code, file: loc.file, line: loc.line, message });
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + decodeCloudTrailValue(x, loc, emit, texts), 0);
  if (!isObj(v)) {
    if (typeof v === 'string' && texts < 2) {
      const r = recordOfText(v, 'a CloudTrail record');
      if ('record' in r) return decodeCloudTrailValue(r.record, loc, emit, texts + 1);
      issue(r.code === 'not-a-record' ? 'cloudtrail.not-a-record' : r.code, r.problem);
      return 0;
    }
    issue('cloudtrail.not-a-record', 'expected a CloudTrail record or {"Records": [...]}');
    return 0;
  }
  if (Array.isArray(v['Records'])) return decodeCloudTrailValue(v['Records'], loc, emit, texts);
  if (v['Records'] !== undefined && typeof v['eventSource'] !== 'string') {
    issue('cloudtrail.not-a-record', `Records is ${typeName(v['Records'])}, not a list of CloudTrail records`);
    return 0;
  }
  if (Array.isArray(v['Events']) && typeof v['eventSource'] !== 'string') {
    // Each event's record at the document's line; its issues and notices name the event (Events[3], event "...").
    let n = 0;
    for (const { record, where } of lookedUpRecords(v['Events'], loc, emit))
      n += decodeCloudTrailValue(record, loc, (item) =>
        emit(item.kind === 'issue' ? { ...item, message: `${where}: ${item.message}` } : item),
      );
    return n;
  }
  if (v['Events'] !== undefined && typeof v['eventSource'] !== 'string') {
    issue('cloudtrail.not-a-record', `Events is ${typeName(v['Events'])}, not a list of LookupEvents events`);
    return 0;
  }
  // An AWSLogs tree holds digest files beside the logs (CloudTrail-Digest/): integrity records, no events.
  if (typeof v['digestStartTime'] === 'string' && Array.isArray(v['logFiles'])) {
    emit({ kind: 'skip', reason: 'cloudtrail-digest' });
    return 0;
  }
  if (v['eventType'] === 'AwsCloudTrailInsight' || v['eventCategory'] === 'Insight') {
    emit({ kind: 'skip', reason: 'cloudtrail-insight' });
    return 1;
  }
  if (viaCloudTrail(v)) return decodeCloudTrailValue(v['detail'], loc, emit);
  if (typeof v['eventSource'] !== 'string' && cloudWatchEnvelope(v)) return cloudWatchRecords(v, loc, emit);
  const siem = typeof v['eventSource'] !== 'string' ? cloudTrailInSiem(v) : undefined;
  if (siem) {
    let n = 0;
    for (const r of siem)
      if ('problem' in r) issue(r.code, `${r.where} ${r.problem}`);
      else
        n += decodeCloudTrailValue(r.record, loc, (x) =>
          emit(x.kind === 'issue' ? { ...x, message: `${r.where}: ${x.message}` } : x),
        );
    return n;
  }
  if (typeof v['eventSource'] !== 'string' && isAthenaRow(v)) return readAs(athenaRecord(v), ATHENA_ROW, loc, emit);
  if (typeof v['eventSource'] !== 'string' && isOcsfRecord(v)) return readAs(ocsfRecord(v), OCSF, loc, emit);
  const athenaAnswer = typeof v['eventSource'] !== 'string' ? athenaQueryAnswer(v) : undefined;
  if (athenaAnswer) {
    issue('cloudtrail.not-a-record', athenaAnswer);
    return 0;
  }
  return decodeRecord(v, loc, emit);
}

/**
 * A trail that sends its events to CloudWatch Logs: each log event's message is one record as JSON text (a
 * `filter-log-events` save, a subscription record). Issues name the log event (`logEvents[2]: ...`).
 */
function cloudWatchRecords(v: Obj, loc: { file: string; line: number }, emit: Emit): number {
  let n = 0;
  for (const item of cloudWatchItems(v)) {
    if ('control' in item) continue;
    const issue = (code: string, message: string) =>
      emit({ kind: 'issue', code, file: loc.file, line: loc.line, message: `${item.where}: ${message}` });
    if ('problem' in item) {
      issue('cloudtrail.not-a-record', item.problem);
      continue;
    }
    const m = item.message;
    let record: unknown = m;
    if (typeof m === 'string') {
      try {
        record = JSON.parse(m);
      } catch (e) {
        issue('json.malformed', `the message is not a CloudTrail record as JSON: ${errorText(e)}`);
        continue;
      }
      if (deeperThan(record, MAX_DEPTH)) {
        issue('json.too-deep', `a message nested deeper than ${MAX_DEPTH} levels of objects and arrays`);
        continue;
      }
    }
    if (!isObj(record)) {
      issue('cloudtrail.not-a-record', `the message is ${typeName(record)}, not a CloudTrail record`);
      continue;
    }
    n += decodeCloudTrailValue(record, loc, (x) =>
      emit(x.kind === 'issue' ? { ...x, message: `${item.where}: ${x.message}` } : x),
    );
  }
  return n;
}

/**
 * A row of an Athena table over a trail (athena.ts), or a Security Lake record (ocsf.ts): read as the record it stands
 * for. Its issues say what it was; one that makes no record is an issue naming the field.
 */
function readAs(
  r: { record: Obj; notice?: { code: string; message: string } } | { code: string; problem: string },
  what: string,
  loc: { file: string; line: number },
  emit: Emit,
): number {
  if ('problem' in r) {
    emit({ kind: 'issue', code: r.code, file: loc.file, line: loc.line, message: `${what}${r.problem}` });
    return 0;
  }
  if (r.notice) emit({ kind: 'issue', level: 'notice', perFile: true, ...loc, ...r.notice });
  return decodeCloudTrailValue(r.record, loc, (x) =>
    emit(x.kind === 'issue' ? { ...x, message: `${what}${x.message}` } : x),
  );
}

const ATHENA_ROW = 'a row of an Athena CloudTrail table: ';
const OCSF = 'an OCSF record (Security Lake): ';
