import { isObj } from '../util/json.js';

/**
 * CloudWatch Logs wraps whatever a log group holds in two envelopes, whichever service wrote to it (an EKS cluster's
 * audit log, a trail that sends its events to CloudWatch Logs, a VPC flow log published there):
 *
 * - `aws logs filter-log-events` / `get-log-events` output: `{"events": [{"message", "timestamp", "logStreamName",
 *   "eventId", "ingestionTime"}], "nextToken" / "searchedLogStreams" / "nextForwardToken"}`;
 * - a subscription filter's record (as Firehose writes it to S3, several back to back): `{"messageType":
 *   "DATA_MESSAGE", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents": [{"id", "timestamp",
 *   "message"}]}`; a `CONTROL_MESSAGE` (the check CloudWatch Logs sends when the subscription is made) holds no log
 *   event.
 *
 * Each log event's `message` is one line the service wrote: a CloudTrail record or an audit Event as JSON text, a VPC
 * flow record as its space-separated fields. The readers of CloudTrail and flows take the messages from here (the
 * audit log reader has its own, k8sAudit/envelopes.ts, which also skips EKS streams that are not the audit log).
 */

type Obj = Record<string, unknown>;

export type CloudWatchEnvelope = 'cloudwatch-logs' | 'cloudwatch-subscription';

/** One log event of an envelope: its message, when it was logged, and the words that name it in issues. */
export type CloudWatchItem =
  { message: unknown; timestamp: unknown; where: string } | { problem: string; where: string } | { control: true };

/** Which CloudWatch Logs envelope a JSON object is, by its fields; undefined when it is none. */
export function cloudWatchEnvelope(v: Obj): CloudWatchEnvelope | undefined {
  const events = v['events'];
  if (Array.isArray(events)) {
    const first = events[0];
    if (isObj(first) ? 'message' in first : 'nextToken' in v || 'nextForwardToken' in v || 'searchedLogStreams' in v)
      return 'cloudwatch-logs';
  }
  if (typeof v['messageType'] === 'string' && ('logEvents' in v || 'logGroup' in v)) return 'cloudwatch-subscription';
  return undefined;
}

/** The log events of an envelope `cloudWatchEnvelope` recognised, in order; `where` prefixes their names. */
export function* cloudWatchItems(v: Obj, where = ''): Generator<CloudWatchItem> {
  const join = (a: string, b: string) => (a ? `${a}, ${b}` : b);
  let field = 'events';
  if (cloudWatchEnvelope(v) === 'cloudwatch-subscription') {
    const type = v['messageType'];
    if (type === 'CONTROL_MESSAGE') {
      yield { control: true };
      return;
    }
    if (type !== 'DATA_MESSAGE') {
      const shown = JSON.stringify(String(type).slice(0, 60));
      yield { problem: `messageType ${shown} is neither DATA_MESSAGE nor CONTROL_MESSAGE`, where };
      return;
    }
    field = 'logEvents';
  }
  const events = v[field];
  if (!Array.isArray(events)) {
    yield { problem: `${field} is not a list`, where };
    return;
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as unknown;
    const w = join(where, `${field}[${i}]`);
    if (!isObj(e)) yield { problem: 'not a log event object', where: w };
    else yield { message: e['message'], timestamp: e['timestamp'], where: w };
  }
}

/**
 * Each text message of an envelope to `each` (which returns the records it read), with the words that name it; a log
 * event that is no object or whose message is no text, and an envelope that holds no list, to `problem`. Returns the
 * records read.
 */
export function cloudWatchTexts(
  v: Obj,
  each: (message: string, where: string) => number,
  problem: (where: string, message: string) => void,
): number {
  let n = 0;
  for (const item of cloudWatchItems(v)) {
    if ('control' in item) continue;
    if ('problem' in item) problem(item.where, item.problem);
    else if (typeof item.message === 'string') n += each(item.message, item.where);
    else problem(item.where, `the message is ${item.message === null ? 'null' : typeof item.message}, not text`);
  }
  return n;
}

/** JSON text parsed, or the text itself when it is not JSON (the reader then says what it is not). */
export function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The message of an envelope's first log event, or undefined (none, a control message). */
export function firstCloudWatchMessage(v: Obj): unknown {
  for (const item of cloudWatchItems(v)) return 'message' in item ? item.message : undefined;
  return undefined;
}

/**
 * Whether a line is a VPC flow log record (or the header of a custom format): its fields hold an action or a log
 * status (`ACCEPT`, `REJECT`, `NODATA`, `SKIPDATA`), or name `srcaddr` and `dstaddr`.
 */
export function looksLikeVpcFlowLine(s: string): boolean {
  const parts = s.trim().split(/\s+/);
  if (parts.length < 4) return false;
  if (parts.includes('srcaddr') && parts.includes('dstaddr')) return true;
  return parts.some((p) => p === 'ACCEPT' || p === 'REJECT' || p === 'NODATA' || p === 'SKIPDATA');
}
