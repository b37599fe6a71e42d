/**
 * CloudWatch Logs' export to S3 (CreateExportTask) writes each log event as a line of its time and its message:
 * `2026-11-02T08:00:00.123Z {"kind":"Event",...}` (Amazon CloudWatch Logs user guide, "Exporting log data to Amazon
 * S3": the events of an export sort by the number each line starts with). EKS sends its control plane's audit log to
 * CloudWatch Logs only, so an export is how a month of it is usually kept; a trail and a VPC flow log sent to
 * CloudWatch Logs are exported the same way. The reader drops the time before the message, which carries its own
 * (the audit Event's timestamps, the record's eventTime, the flow's start): the line is read as the message alone,
 * under its own line number.
 */

const DIGIT0 = 0x30;
const DIGIT9 = 0x39;
/** The export's time: RFC 3339 in UTC with milliseconds (fractions of other lengths accepted), then one space. */
const PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z /;

/** How many characters of a line are the export's time and its space; 0 for a line without one. */
export function timePrefixLength(line: string): number {
  // The hot path: a JSON line starts with `{`, a VPC record with its version and a space; one compare each.
  const c = line.charCodeAt(0);
  if (c < DIGIT0 || c > DIGIT9 || line.charCodeAt(4) !== 0x2d) return 0;
  const m = PREFIX.exec(line);
  return m ? m[0].length : 0;
}

/** The first non-blank line of a file's first bytes without the export's time, or undefined when it has none. */
export function afterTimePrefix(head: Buffer | string): string | undefined {
  const text = typeof head === 'string' ? head : head.toString('utf8', 0, Math.min(head.length, 4096));
  const first = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .split('\n', 1)[0]!;
  const n = timePrefixLength(first);
  return n ? first.slice(n) : undefined;
}
