import { isIP } from 'node:net';
import { epochTime } from '../../util/time.js';

/**
 * The fields of an AWS VPC flow log record. A record is its values separated by spaces, in the order of the flow
 * log's format: the default format (the version 2 fields, in the order of AWS's table of available fields) or a
 * custom one (`LogFormat`, `${version} ${account-id} ...`). A file delivered to S3 starts with a header line naming
 * the fields; a message in CloudWatch Logs (and a headerless file) does not, so its format is the default one unless
 * `--vpc-format` names it.
 *
 * The field names are AWS's (Amazon VPC user guide, "Flow log records", available fields; AWS CDK `ec2.LogFormat`):
 * version 2 (the default format), 3, 4, 5, the ECS fields of version 7, and `reject-reason`, `resource-id` and
 * `encryption-status` of the later versions.
 */

/** Every field AWS documents, in the order of its table. */
export const VPC_FIELDS: readonly string[] = [
  // version 2: the default format, in this order
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  // version 3
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  // version 4
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  // version 5
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  // version 7: ECS
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  // later versions
  'reject-reason',
  'resource-id',
  'encryption-status',
];

/** The default format: the version 2 fields. */
export const VPC_DEFAULT: readonly string[] = VPC_FIELDS.slice(0, 14);

/** What this reader needs of a record: who talked to whom, on which port and protocol, when, and whether allowed. */
const NEEDED = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'start', 'action'];

const KNOWN = new Set(VPC_FIELDS);

/**
 * The fields a format names, in order: AWS's `LogFormat` (`${version} ${account-id} ...`) or the field names as a
 * file's header line gives them (`version account-id ...`), either form for each field. A field AWS does not document,
 * a field named twice, or a format without a field this reader needs is a problem, in words.
 */
export function parseVpcFormat(text: string): { fields: string[] } | { problem: string } {
  return vpcFields(text.trim().split(/\s+/).filter(Boolean), false);
}

/**
 * The fields of a file's header line, as `parseVpcFormat` reads a format, but a name AWS does not document yet is
 * kept when it has a field name's shape (a field of a later version than this reader knows: the values are
 * positional, so the fields around it are still read in place, and its own is not read).
 */
export function parseVpcHeader(parts: readonly string[]): { fields: string[] } | { problem: string } {
  return vpcFields(parts, true);
}

/** A field name's shape: lower-case words joined by hyphens, as every name AWS documents. */
const NAME_SHAPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function vpcFields(tokens: readonly string[], header: boolean): { fields: string[] } | { problem: string } {
  if (tokens.length === 0) return { problem: 'no field given' };
  const fields: string[] = [];
  for (const token of tokens) {
    const m = /^\$\{([^}]*)\}$/.exec(token);
    const name = m ? m[1]! : token;
    const shown = JSON.stringify(token.length > 60 ? `${token.slice(0, 60)}…` : token);
    if (!m && /[${}]/.test(token)) return { problem: `${shown} is neither \${field} nor a field name` };
    if (!KNOWN.has(name) && !(header && NAME_SHAPE.test(name)))
      return {
        problem: `${header ? `${shown} is no field name` : `unknown field ${shown}`} (VPC flow log fields: ${VPC_FIELDS.join(', ')})`,
      };
    if (fields.includes(name)) return { problem: `${name} is named twice` };
    fields.push(name);
  }
  const missing = NEEDED.filter((f) => !fields.includes(f));
  if (missing.length)
    return { problem: `the format lacks ${missing.join(', ')}: flows cannot be read without ${NEEDED.join(', ')}` };
  return { fields };
}

/**
 * Whether a line that is no record of the format in force is meant as a header line: it names at least three fields
 * AWS documents. A record never does: of its values only an ECS cluster's and service's names are chosen by people
 * (two at most), the others are numbers, addresses, ids and AWS's own words. Fewer than three (a header cut short
 * after two names) is read as a record, which fits no format: an issue of its own.
 */
export function isVpcHeaderAttempt(parts: readonly string[]): boolean {
  let named = 0;
  for (const p of parts) {
    const name = p.startsWith('${') && p.endsWith('}') ? p.slice(2, -1) : p;
    if (KNOWN.has(name) && ++named === 3) return true;
  }
  return false;
}

/**
 * Whether a line is a record of the given fields: as many values, an action (`ACCEPT`, `REJECT`, `-`) where the
 * format has it, and a log status where it has one.
 */
export function fitsVpcFields(line: string, fields: readonly string[]): boolean {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== fields.length) return false;
  const at = (f: string) => parts[fields.indexOf(f)];
  if (fields.includes('action') && !['ACCEPT', 'REJECT', '-'].includes(at('action')!)) return false;
  return !fields.includes('log-status') || ['OK', 'NODATA', 'SKIPDATA'].includes(at('log-status')!);
}

/**
 * A record's `start`, the Unix seconds its capture window began (Amazon VPC user guide, "Flow log records"),
 * normalised; a problem for anything else (a sign, a fraction, hexadecimal, milliseconds past the year 9999).
 */
export function vpcStartTime(start: string): { time: string } | { problem: string } {
  const time = /^\d{1,12}$/.test(start) ? epochTime(Number(start), 1e6) : undefined;
  if (time !== undefined) return { time };
  const shown = JSON.stringify(start.slice(0, 40));
  return { problem: `start ${shown} is not a time in Unix seconds: the record is kept, its time unknown` };
}

/** A record's action, or the log status of a window without one. */
const VPC_WORDS = new Set(['ACCEPT', 'REJECT', 'NODATA', 'SKIPDATA']);
const PORT = /^\d{1,5}$/;

/**
 * Why a text file is skipped when its first lines are VPC flow log records that fit neither AWS's default format nor
 * `--vpc-format`'s fields (a flow log of a custom format, saved without its header line), or undefined when they are
 * not such records: each line the same number of values (at least the seven a flow needs), each with an action or a
 * log status, each record of an action with two addresses and two port numbers. A README or other prose is none.
 */
export function headerlessVpcNotice(head: Buffer, fields?: readonly string[]): string | undefined {
  const lines = head.toString('utf8', 0, Math.min(head.length, 64 * 1024)).split('\n');
  if (lines.length > 1) lines.pop(); // the last line may be cut short by the head
  const records = lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 9)
    .map((l) => l.split(/\s+/));
  const width = records[0]?.length ?? 0;
  if (width < NEEDED.length) return undefined;
  let flows = 0;
  for (const values of records) {
    if (values.length !== width || !values.some((v) => VPC_WORDS.has(v))) return undefined;
    if (values.includes('NODATA') || values.includes('SKIPDATA')) continue;
    if (values.filter((v) => isIP(v)).length < 2 || values.filter((v) => PORT.test(v) && +v < 65536).length < 2)
      return undefined;
    flows++;
  }
  if (flows === 0) return undefined;
  // Not "looks like ...": that is a notice of another source's file (sourceOf.ts), which the summary groups by flag.
  const unlike = fields ? `not the ${fields.length} fields of --vpc-format` : "not AWS's default format";
  return (
    `what seem VPC flow log records without a header line (${width} values a line, ${unlike}): give their format ` +
    "with --vpc-format '${srcaddr} ${dstaddr} ...' (the flow log's LogFormat, or the field names of its header line)"
  );
}
