import type { InputIssue } from '../../model/issue.js';
import type { RecordSkip } from '../../model/network.js';
import { isVpcHeaderAttempt } from '../flows/vpcFormat.js';
import { lakeTable, parquetOf, readParquetRows } from '../parquet.js';
import { decodeCloudTrailValue, type AwsCallObservation } from './decode.js';
import { OCSF_FIELDS } from './ocsf.js';

/**
 * CloudTrail events as Amazon Security Lake stores them: Parquet files of OCSF records (Security Lake user guide,
 * "Open Cybersecurity Schema Framework (OCSF) in Security Lake"), one column per top-level OCSF field (`actor`,
 * `api`, `metadata`... as structs, `unmapped` as a map, `resources` as a list of structs). Each row, read as an object,
 * is the record cloudTrail/ocsf.ts reads from JSON; issues name the row as their line. A file whose columns are no OCSF
 * API activity (another Security Lake source, another table) is one issue, no row read.
 */

type Emit = (item: AwsCallObservation | RecordSkip | InputIssue) => void;

export async function readParquetCloudTrail(
  path: string,
  /** The file, or its bytes (stdin, read to its end). */
  abs: string | AsyncIterable<Buffer>,
  emit: Emit,
  onProgress: (bytes: number, records: number) => void,
): Promise<{ bytes: number; records: number; rows: number; foreign?: string }> {
  let records = 0;
  const read = await readParquetRows<Record<string, unknown>>(abs, {
    columns(columns) {
      const table = lakeTable(columns);
      if (table === 'cloudtrail') return 'object';
      const names = columns.map((c) => c.element.name);
      if (table === 'flows' || isVpcHeaderAttempt(names.map((n) => n.replace(/_/g, '-'))))
        return { foreign: parquetOf(table ? "Security Lake's VPC flow records" : 'VPC flow logs', '--flows') };
      const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '');
      return {
        problem:
          `its columns (${shown}) are not Security Lake's CloudTrail records (OCSF: class_uid, metadata, api); ` +
          'no row is read',
      };
    },
    select: OCSF_FIELDS,
    row(row, n) {
      const made = decodeCloudTrailValue(row, { file: path, line: n }, emit);
      records += made;
      onProgress(0, made);
    },
    issue: (line, what, message) =>
      emit({ kind: 'issue', code: `cloudtrail.parquet-${what}`, file: path, line, message }),
    progress: (bytes) => onProgress(bytes, 0),
  });
  return { ...read, records };
}
