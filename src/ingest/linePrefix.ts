/**
 * Lines that carry something before their record, dropped by every reader (the line is read as the record alone,
 * under its own line number):
 *
 * - CloudWatch Logs' export to S3 (CreateExportTask) writes each log event as a line of its time and its message:
 *   `2026-11-02T08:00:00.123Z {"kind":"Event",...}` (Amazon CloudWatch Logs user guide, "Exporting log data to Amazon
 *   S3": the events of an export sort by the number each line starts with). EKS sends its control plane's audit log
 *   to CloudWatch Logs only, so an export is how a month of it is usually kept; a trail and a VPC flow log sent to
 *   CloudWatch Logs are exported the same way. The time is dropped: the message carries its own (the audit Event's
 *   timestamps, the record's eventTime, the flow's start).
 * - OpenShift's `oc adm node-logs` over several nodes (`--role=master --path=kube-apiserver/audit.log`, the way its
 *   documentation reads the control plane's audit logs) puts the node's name and a space before every line, unless a
 *   single node was named (openshift/oc, pkg/cli/admin/node/logs.go): `master-0 {"kind":"Event",...}`. Taken only
 *   before JSON (`{` or `[`), as a node's name: a DNS subdomain.
 * - Grafana Loki's `logcli query --no-labels` writes the entry's time and the line (grafana/loki
 *   pkg/logcli/output/default.go); with labels (its default) the labels come between, which is no log (inputs.ts).
 */

const DIGIT0 = 0x30;
const DIGIT9 = 0x39;
/**
 * The export's time: RFC 3339 in UTC with milliseconds (fractions of other lengths, and a zone offset, accepted: Loki's
 * `logcli query --no-labels` writes the entry's time in the local zone), then one space.
 */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}) /;
/** A node's name (a DNS subdomain: lowercase letters, digits, `-` and `.`) before JSON. */
const NODE = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])? $/;

/** How many characters of a line are such a prefix and its space; 0 for a line without one. */
export function linePrefixLength(line: string): number {
  // The hot path: a JSON line starts with `{`; a VPC record with its version and a space, then a digit.
  const c = line.charCodeAt(0);
  if (c === 0x7b || c === 0x5b) return 0;
  if (c >= DIGIT0 && c <= DIGIT9 && line.charCodeAt(4) === 0x2d) {
    const m = TIME.exec(line);
    if (m) return m[0].length;
  }
  const sp = line.indexOf(' ', 1);
  if (sp < 0 || sp > 253) return 0;
  const next = line.charCodeAt(sp + 1);
  if (next !== 0x7b && next !== 0x5b) return 0;
  return NODE.test(line.slice(0, sp + 1)) ? sp + 1 : 0;
}

/** The first non-blank line of a file's first bytes without such a prefix, or undefined when it has none. */
export function afterLinePrefix(head: Buffer | string): string | undefined {
  const text = typeof head === 'string' ? head : head.toString('utf8', 0, Math.min(head.length, 4096));
  const first = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .split('\n', 1)[0]!;
  const n = linePrefixLength(first);
  return n ? first.slice(n) : undefined;
}
