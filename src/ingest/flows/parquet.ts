import type { InputIssue } from '../../model/issue.js';
import { lakeTable, parquetOf, readParquetRows } from '../parquet.js';
import type { FlowDecoder } from './decode.js';
import { isVpcHeaderAttempt, parseVpcHeader } from './vpcFormat.js';
import { OCSF_FLOW_FIELDS } from './ocsf.js';

/**
 * VPC flow logs delivered to S3 as Apache Parquet (the flow log's `FileFormat` `parquet`; Amazon VPC user guide,
 * "Flow log files": each file Parquet with Gzip compression inside; Amazon Athena user guide, "Create tables for flow
 * logs in Apache Parquet format": one flat column per field, named as the field with `_` for `-`, `account_id`,
 * `log_status`, `pkt_srcaddr`..., integers as int or bigint, the rest strings).
 *
 * Each file is read as the text file of the same flow log would be: its columns, `_` turned to `-`, are the header
 * line, and each row the line of its values (a null as `-`, as AWS writes a field with no value), so the checks of
 * text records hold for every row and the profile is the one of the same records as text. Issues name the row as
 * their line (row 1 is the first row; a problem with the columns is at row 0). Read as ../parquet.ts reads any.
 */

type Emit = (i: InputIssue) => void;

export interface ParquetRead {
  bytes: number;
  records: number;
  rows: number;
  foreign?: string;
}

export async function readParquetFlows(
  path: string,
  /** The file, or its bytes (stdin, read to its end). */
  abs: string | AsyncIterable<Buffer>,
  flows: FlowDecoder,
  emit: Emit,
  onProgress: (bytes: number, records: number) => void,
): Promise<ParquetRead> {
  let records = 0;
  let lake = false;
  const read = await readParquetRows<unknown[] | Record<string, unknown>>(abs, {
    columns(columns) {
      const table = lakeTable(columns);
      if (table === 'cloudtrail') return { foreign: parquetOf("Security Lake's CloudTrail records", '--cloudtrail') };
      // Security Lake's VPC flow records: each row an OCSF record (ocsf.ts).
      if (table === 'flows') {
        lake = true;
        return 'object';
      }
      const nested = columns.filter((c) => c.children.length > 0).map((c) => c.element.name);
      if (nested.length)
        return { problem: `columns ${nested.join(', ')} are nested: a VPC flow log's columns are flat` };
      const names = columns.map((c) => c.element.name.replace(/_/g, '-'));
      const header = parseVpcHeader(names);
      if ('problem' in header || !isVpcHeaderAttempt(names)) {
        const why = 'problem' in header ? header.problem : 'too few VPC flow log fields';
        return { problem: `its columns are no VPC flow log format: ${why}; no row is read` };
      }
      flows.text(names.join(' '), 0);
      return 'array';
    },
    select: OCSF_FLOW_FIELDS,
    row(row, n) {
      const made = lake ? flows.json(row, n) : flows.text((row as unknown[]).map(value).join(' '), n);
      records += made;
      onProgress(0, made);
    },
    issue: (line, what, message) => emit({ kind: 'issue', code: `flow.parquet-${what}`, file: path, line, message }),
    progress: (bytes) => onProgress(bytes, 0),
  });
  return { ...read, records };
}

/** A value as the text record holds it: `-` for none. */
function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v === '' ? '-' : v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  // A date, a byte array: no VPC field holds one; written so the record is refused as unreadable, not misread.
  return JSON.stringify(String(v));
}
