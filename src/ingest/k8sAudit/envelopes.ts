import type { InputIssue } from '../../model/issue.js';
import { shown } from '../../knowledge/kubernetes/names.js';
import { deeperThan, isObj } from '../../util/json.js';
import { errorText, MAX_DEPTH as MAX_JSON_DEPTH } from '../jsonLines.js';
import { decodeValue, within as join, type Emit, type Loc } from './decode.js';
import { gkeBigQueryRowToEntry, gkeEntryToEvent } from './gke.js';
import { answerError, answerRows } from './logAnalytics.js';
import { aksAuditRowToEvent } from './aks.js';
import { siemRecords } from '../siem.js';
import { recordOfText } from '../jsonText.js';
import { describe, envelopeOf, EVENT_FIELDS, fieldsOf } from './shapes.js';
import { auditEventOf, ecsAuditEvent } from './siem.js';
import { epochTime } from '../../util/time.js';

/**
 * Managed clusters deliver the API server's audit Events inside envelopes. Each is recognised by its content,
 * unwrapped into the Event it holds (the same observation a native log gives) and counted:
 *
 * - `cloudwatch-logs`: `aws logs filter-log-events` / `get-log-events` output, `{"events": [{"message": "<Event>",
 *   "timestamp", "logStreamName"...}], "nextToken"...}` (EKS);
 * - `cloudwatch-subscription`: CloudWatch Logs subscription records (`messageType` `DATA_MESSAGE` with `logEvents`),
 *   as Firehose writes them to S3, several back to back; `CONTROL_MESSAGE` records are skipped and counted;
 * - `logs-insights`: Logs Insights results, `get-query-results` (`{"results": [[{"field", "value"}...]]}`) or rows
 *   with `@message` (and `@timestamp`);
 * - `gke-cloud-logging`: Cloud Logging entries with a `k8s.io` AuditLog payload (gke.ts); entries of other services
 *   or without an audit payload are skipped and counted;
 * - `aks-diagnostics`: Azure diagnostic-settings records (`{"records": [...]}` or one per line) of category
 *   `kube-audit` or `kube-audit-admin` with the Event in `properties.log` (or Log Analytics' AzureDiagnostics rows,
 *   `Category` and `log_s`); other categories are skipped and counted;
 * - `pubsub`: Pub/Sub messages as `gcloud pubsub subscriptions pull --format=json` or a push request gives them
 *   (`{"ackId" | "subscription", "message": {"data": "<base64>", "messageId", "publishTime"}}`), the data being a
 *   Cloud Logging entry routed to Pub/Sub (GKE);
 * - `aks-log-analytics`: rows of Log Analytics' AKSAudit and AKSAuditAdmin tables, one column per Event field (aks.ts);
 * - `log-analytics-answer`: Log Analytics' query API answer (`tables[].columns[]`, `tables[].rows[]`), each row read by
 *   its column names as an AKSAudit, AKSAuditAdmin or AzureDiagnostics row (logAnalytics.ts);
 * - `gke-bigquery`: rows of the BigQuery table a Cloud Logging sink routes GKE's audit entries to
 *   (`protopayload_auditlog`), exported as JSON: turned back into the entry (gke.ts);
 * - `splunk`, `elasticsearch`, `loki`: Events saved in a SIEM or log store (../siem.ts): Splunk's `_raw`, an
 *   Elasticsearch document's `_source` (the Event as it is, or Elastic's Kubernetes integration's `kubernetes.audit`,
 *   siem.ts), Loki's `line`.
 *
 * An issue inside an envelope names the file, the line of the envelope record, and which inner record it was
 * (`events[3]`, `logEvents[0]`, `records[12]`, `insertId ...`). A file of records in a shape this reader does not
 * know gets one issue naming what it looks like, however many records it holds, not one per record.
 */

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** How deep envelopes may nest (a message holding another envelope), so hostile input cannot recurse forever. */
const MAX_DEPTH = 3;
/** EKS control-plane log streams that are not the audit log (`kube-apiserver-audit-…` is). */
const OTHER_EKS_STREAM =
  /^(kube-apiserver|authenticator|kube-controller-manager|kube-scheduler|cloud-controller-manager)-[0-9a-f]{6,}$/;
const TIME_FIELDS = ['requestReceivedTimestamp', 'timestamp', 'stageTimestamp'];
/** Logs Insights' `@timestamp`: UTC, milliseconds, no zone. */
const INSIGHTS_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?$/;

/** A CloudWatch Logs event as the exports, subscriptions and the API give it. */
export interface LogEvent {
  message?: unknown;
  timestamp?: unknown;
  logStreamName?: unknown;
}

export class K8sAuditReader {
  /** Inner records unwrapped, by envelope. */
  readonly envelopes: Record<string, number> = {};
  /** Envelope records that hold no audit Event (control messages, other log categories...), by `envelope/reason`. */
  readonly skipped: Record<string, number> = {};
  /**
   * AKS's audit records by category: `kube-audit` (AKSAudit) holds every request, `kube-audit-admin` (AKSAuditAdmin)
   * leaves out every get and list; `adminLine`, the line of the first of those (index.ts says so once per run).
   */
  readonly aksAudit = { full: 0, admin: 0, adminLine: 0 };
  private readonly shapes = new Map<string, { issue: InputIssue; more: number }>();
  private line = -1;
  private onLine = 0;

  constructor(private readonly emit: Emit) {}

  /**
   * One parsed JSON value of a `--k8s-audit` input; returns the observations it made. `index`: its number among the
   * values of its line, when the line holds several (else counted here).
   */
  value(v: unknown, loc: Loc, index?: number): number {
    if (index !== undefined) {
      this.line = loc.line;
      this.onLine = index;
    } else if (loc.line === this.line) this.onLine++;
    else {
      this.line = loc.line;
      this.onLine = 1;
    }
    // The common case first, straight to the decoder: a native Event on a line of its own.
    if (this.onLine === 1 && isObj(v) && v['kind'] === 'Event') return decodeValue(v, loc, this.emit);
    return this.any(v, loc, this.onLine > 1 ? `value ${this.onLine} of the line` : '', 0);
  }

  /** One CloudWatch Logs event read from the API (eksLogs.ts): the message is an Event. */
  logEvent(e: LogEvent, loc: Loc, where: string, envelope: string): number {
    return this.cloudWatchEvent(e, loc, where, envelope, 0);
  }

  /** Call after the last value: issues that stood for many records say how many. */
  finish(): void {
    for (const s of this.shapes.values())
      if (s.more > 0)
        s.issue.message += ` (and ${s.more} more record${s.more === 1 ? '' : 's'} like it in this input, all left out)`;
  }

  private any(v: unknown, loc: Loc, where: string, depth: number): number {
    if (Array.isArray(v)) {
      let n = 0;
      v.forEach((item, i) => {
        n += this.any(item, loc, join(where, `[${i}]`), depth);
      });
      return n;
    }
    if (typeof v === 'string') return this.text(v, loc, where, depth);
    if (!isObj(v)) return this.decode(v, loc, where);
    const kind = v['kind'];
    // An ECS document of Elastic's Kubernetes integration (its `user` is ECS's, not the Event's): the Event inside.
    if (kind === undefined && depth < MAX_DEPTH && isObj(v['kubernetes'])) {
      const ecs = ecsAuditEvent(v);
      if (ecs) return this.inner(ecs.value, loc, join(where, ecs.where), 'elasticsearch', depth, v['@timestamp']);
    }
    if (kind === 'Event' || kind === 'EventList' || (kind === undefined && EVENT_FIELDS.some((f) => f in v)))
      return this.decode(v, loc, where);
    // A kind that is no string is a broken record, judged on its own.
    if (kind !== undefined && typeof kind !== 'string') return this.decode(v, loc, where);
    const envelope = depth < MAX_DEPTH ? envelopeOf(v) : undefined;
    switch (envelope) {
      case 'cloudwatch-logs':
        return this.list(v['events'], loc, where, 'events', (e, w) => this.cloudWatchEvent(e, loc, w, envelope, depth));
      case 'cloudwatch-subscription':
        return this.subscription(v, loc, where, depth);
      case 'logs-insights':
        if (!Array.isArray(v['results'])) return this.insightsRow(v, loc, where, depth);
        return this.list(v['results'], loc, where, 'results', (row, w) =>
          this.insightsRow(Array.isArray(row) ? fieldsOf(row) : row, loc, w, depth),
        );
      case 'gke-cloud-logging':
        return this.gke(v, loc, where, envelope);
      case 'gke-bigquery':
        return this.gke(gkeBigQueryRowToEntry(v), loc, where, envelope);
      case 'log-analytics-answer':
        return this.answer(v, loc, where, depth);
      case 'aks-diagnostics':
        if (!Array.isArray(v['records'])) return this.aksRecord(v, loc, where, depth);
        return this.list(v['records'], loc, where, 'records', (r, w) => this.aksRecord(r, loc, w, depth));
      case 'pubsub': {
        // The message's data is the LogEntry, as base64 JSON.
        const m = v['message'] as Obj;
        const id = str(m['messageId']);
        const w = id ? join(where, `messageId ${shown(id)}`) : where;
        const text = Buffer.from(str(m['data']), 'base64').toString('utf8');
        return this.inner(text, loc, w, envelope, depth, m['publishTime']);
      }
      case 'splunk':
      case 'elasticsearch':
      case 'loki':
        return this.siem(v, loc, where, depth);
      case 'aks-log-analytics': {
        this.count(envelope);
        if (v['Type'] === 'AKSAudit' || v['Type'] === 'AKSAuditAdmin') this.aks(v['Type'] === 'AKSAuditAdmin', loc);
        const r = aksAuditRowToEvent(v);
        const w = join(where, `AuditId ${shown(str(v['AuditId']))}`);
        // A row without RequestReceivedTime and StageReceivedTime: the time Log Analytics gave it.
        return 'problem' in r
          ? this.bad(loc, w, r.problem)
          : this.decode(withEnvelopeTime(r.event, v['TimeGenerated']), loc, w);
      }
      default:
        return this.unknown(v, loc, where);
    }
  }

  private list(xs: unknown, loc: Loc, where: string, field: string, each: (x: unknown, w: string) => number): number {
    if (!Array.isArray(xs)) return this.bad(loc, where, `${field} is not a list`);
    let n = 0;
    xs.forEach((x, i) => (n += each(x, join(where, `${field}[${i}]`))));
    return n;
  }

  private subscription(v: Obj, loc: Loc, where: string, depth: number): number {
    const env = 'cloudwatch-subscription';
    const type = v['messageType'];
    if (type === 'CONTROL_MESSAGE') return this.skip(env, 'control-message');
    if (type !== 'DATA_MESSAGE')
      return this.bad(loc, where, `messageType ${shown(str(type))} is neither DATA_MESSAGE nor CONTROL_MESSAGE`);
    const stream = str(v['logStream']);
    return this.list(v['logEvents'], loc, where, 'logEvents', (e, w) =>
      this.cloudWatchEvent(isObj(e) && stream ? { ...e, logStreamName: stream } : e, loc, w, env, depth),
    );
  }

  private cloudWatchEvent(e: unknown, loc: Loc, where: string, env: string, depth: number): number {
    if (!isObj(e)) return this.bad(loc, where, 'not a log event object');
    const other = OTHER_EKS_STREAM.exec(str(e['logStreamName']));
    if (other) return this.skip(env, `stream:${other[1]}`);
    return this.inner(e['message'], loc, where, env, depth, e['timestamp']);
  }

  private insightsRow(row: unknown, loc: Loc, where: string, depth: number): number {
    const env = 'logs-insights';
    if (!isObj(row)) return this.bad(loc, where, 'not a result row');
    if (!('@message' in row))
      return this.shape(loc, where, 'k8s.no-message', 'Logs Insights results without @message: add `fields @message`');
    const other = OTHER_EKS_STREAM.exec(str(row['@logStream']));
    if (other) return this.skip(env, `stream:${other[1]}`);
    // Logs Insights writes `@timestamp` in UTC without a zone (`2026-11-02 08:00:00.123`): say so, no notice.
    const t = row['@timestamp'];
    const utc = typeof t === 'string' && INSIGHTS_TIME.test(t) ? t + 'Z' : t;
    return this.inner(row['@message'], loc, where, env, depth, utc);
  }

  private gke(v: Obj, loc: Loc, where: string, env: string): number {
    if (!isObj(v['protoPayload'])) return this.skip(env, 'not-an-audit-log');
    const r = gkeEntryToEvent(v);
    if ('skip' in r) return this.skip(env, r.skip);
    this.count(env);
    const id = v['insertId'];
    const w = typeof id === 'string' ? join(where, `insertId ${shown(id)}`) : where;
    // A BigQuery row names the payload's column as the table does.
    if ('problem' in r)
      return this.bad(
        loc,
        w,
        env === 'gke-bigquery' ? r.problem.replace(/^protoPayload\./, 'protopayload_auditlog.') : r.problem,
      );
    return this.decode(r.event, loc, w);
  }

  /** Records saved from a SIEM (../siem.ts): Splunk's `_raw` text, an Elasticsearch document's `_source`. */
  private siem(v: Obj, loc: Loc, where: string, depth: number): number {
    let n = 0;
    for (const r of siemRecords(v, 'audit Event', auditEventOf)) {
      const w = join(where, r.where);
      if ('problem' in r) n += this.shape(loc, w, 'k8s.unknown-format', `${SIEM_RECORD[r.envelope]} that ${r.problem}`);
      else n += this.inner(r.value, loc, w, r.envelope, depth, r.time);
    }
    return n;
  }

  /** Log Analytics' query answer: each row by its column names; an answer that says it is incomplete, an issue. */
  private answer(v: Obj, loc: Loc, where: string, depth: number): number {
    const error = answerError(v);
    if (error)
      this.emit({
        kind: 'issue',
        code: 'k8s.partial-results',
        file: loc.file,
        line: loc.line,
        message: join(where, `the query answer carries an error (${error}): its results are incomplete`),
      });
    let n = 0;
    for (const item of answerRows(v)) {
      const w = join(where, item.where);
      n += 'problem' in item ? this.bad(loc, w, item.problem) : this.any(item.row, loc, w, depth + 1);
    }
    return n;
  }

  private aksRecord(r: unknown, loc: Loc, where: string, depth: number): number {
    const env = 'aks-diagnostics';
    if (!isObj(r)) return this.bad(loc, where, 'not a diagnostic record object');
    // A row of Log Analytics' AzureDiagnostics table names its fields otherwise (Category, log_s, TimeGenerated).
    const row = typeof r['log_s'] === 'string';
    const category = str(r[row ? 'Category' : 'category']);
    if (category !== 'kube-audit' && category !== 'kube-audit-admin')
      return this.skip(env, `category:${category || 'none'}`);
    this.aks(category === 'kube-audit-admin', loc);
    const props = r['properties'];
    const log = row ? r['log_s'] : isObj(props) ? props['log'] : undefined;
    if (log === undefined) return this.bad(loc, where, 'properties.log is missing');
    return this.inner(log, loc, where, env, depth, r[row ? 'TimeGenerated' : 'time']);
  }

  /** The Event inside an envelope: a JSON string or an object; its time from the envelope when it has none. */
  private inner(msg: unknown, loc: Loc, where: string, env: string, depth: number, time: unknown): number {
    this.count(env);
    let v: unknown = msg;
    if (typeof msg === 'string') {
      try {
        v = JSON.parse(msg);
      } catch (e) {
        // JSON cut short or broken (an Event over CloudWatch Logs' event size, cut by it) is this record's issue; text
        // of another log is one issue for the input.
        if (!/^\s*\{/.test(msg))
          return this.shape(loc, where, 'k8s.not-json-message', `${env} messages that are not JSON (another log?)`);
        const n = msg.length.toLocaleString('en-US');
        return this.issue(
          loc,
          where,
          'json.malformed',
          `the message (${n} characters) is not valid JSON: ${errorText(e)}`,
        );
      }
      if (deeperThan(v, MAX_JSON_DEPTH)) {
        const message = `a message nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`;
        return this.issue(loc, where, 'json.too-deep', message);
      }
    } else if (!isObj(msg)) return this.bad(loc, where, `the message is ${msg === null ? 'null' : typeof msg}`);
    return this.any(withEnvelopeTime(v, time), loc, where, depth + 1);
  }

  /** A record as a JSON string of its text (../jsonText.ts), at its own line: read as the object it holds. */
  private text(s: string, loc: Loc, where: string, depth: number): number {
    if (depth >= MAX_DEPTH) return this.decode(s, loc, where);
    const r = recordOfText(s, 'an audit Event or EventList object');
    if ('problem' in r)
      return this.issue(loc, where, r.code === 'not-a-record' ? 'k8s.not-an-event' : r.code, r.problem);
    return this.any(r.record, loc, where, depth + 1);
  }

  private decode(v: unknown, loc: Loc, where: string): number {
    return decodeValue(v, loc, this.emit, where);
  }

  private unknown(v: Obj, loc: Loc, where: string): number {
    const [code, what] = describe(v);
    return this.shape(loc, where, code, what);
  }

  /** One issue per kind of unknown record and input; later ones only add to its count. */
  private shape(loc: Loc, where: string, code: string, what: string): number {
    const key = `${code}\0${what}`;
    const seen = this.shapes.get(key);
    if (seen) {
      seen.more++;
      return 0;
    }
    const issue: InputIssue = {
      kind: 'issue',
      code,
      file: loc.file,
      line: loc.line,
      message: where ? `${what} (first at ${where})` : what,
    };
    this.shapes.set(key, { issue, more: 0 });
    this.emit(issue);
    return 0;
  }

  private bad(loc: Loc, where: string, message: string): number {
    return this.issue(loc, where, 'k8s.bad-envelope', message);
  }

  private issue(loc: Loc, where: string, code: string, message: string): number {
    this.emit({ kind: 'issue', code, file: loc.file, line: loc.line, message: join(where, message) });
    return 0;
  }

  private aks(admin: boolean, loc: Loc): void {
    if (!admin) return void this.aksAudit.full++;
    if (this.aksAudit.admin++ === 0) this.aksAudit.adminLine = loc.line;
  }

  private count(env: string): void {
    this.envelopes[env] = (this.envelopes[env] ?? 0) + 1;
  }

  private skip(env: string, reason: string): number {
    const key = `${env}/${reason.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 80)}`;
    this.skipped[key] = (this.skipped[key] ?? 0) + 1;
    return 0;
  }
}

const SIEM_RECORD = {
  splunk: 'a Splunk result',
  elasticsearch: 'an Elasticsearch document',
  loki: 'a Loki entry',
} as const;

/**
 * An envelope's time for an Event without one of its own, read by the decoder as the Event's own time would be
 * (util/time.ts recordTime: the same instant whatever the form, a notice naming the file and line for one that is no
 * time): text as it is, epoch milliseconds (CloudWatch Logs) as their instant, or as text when they are none (before
 * 1970, past the year 9999). Undefined when the envelope has no time either.
 */
function withEnvelopeTime(v: unknown, time: unknown): unknown {
  if (!isObj(v) || TIME_FIELDS.some((f) => v[f] !== undefined && v[f] !== null && v[f] !== '')) return v;
  const t = timeOf(time);
  return t === undefined ? v : { ...v, requestReceivedTimestamp: t };
}

function timeOf(t: unknown): unknown {
  if (typeof t === 'number') return epochTime(t, 1000) ?? String(t);
  return t === null || t === '' ? undefined : t;
}
