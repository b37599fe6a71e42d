import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { InputIssue } from '../../model/issue.js';
import type { FlowDecoder } from './decode.js';
import { isVpcHeaderAttempt, parseVpcHeader } from './vpcFormat.js';

/**
 * VPC flow logs delivered to S3 as Apache Parquet (the flow log's `FileFormat` `parquet`; Amazon VPC user guide,
 * "Flow log files": each file Parquet with Gzip compression inside; Amazon Athena user guide, "Create tables for flow
 * logs in Apache Parquet format": one flat column per field, named as the field with `_` for `-`, `account_id`,
 * `log_status`, `pkt_srcaddr`..., integers as int or bigint, the rest strings).
 *
 * Each file is read as the text file of the same flow log would be: its columns, `_` turned to `-`, are the header
 * line, and each row the line of its values (a null as `-`, as AWS writes a field with no value), so the checks of
 * text records hold for every row and the profile is the one of the same records as text. Issues name the row as
 * their line (row 1 is the first row; a problem with the columns is at row 0). A Parquet file is read whole (its
 * index is at its end) and decoded one row group at a time; the decoder (`hyparquet`, MIT, no dependencies) is loaded
 * only when a Parquet file is met.
 */

type Emit = (i: InputIssue) => void;

export interface ParquetRead {
  bytes: number;
  records: number;
  rows: number;
}

/**
 * The largest page a file may declare: a page's header says its size before it is decoded, and a hostile file could
 * claim gigabytes (AWS's pages are well under a megabyte). A larger one is an issue, not an allocation.
 */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;

function pageSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PAGE_BYTES)
    throw new Error(`a page declares ${n} bytes, over the ${MAX_PAGE_BYTES} a page may take`);
  return n;
}

/** The decompressors of the codecs AWS and common writers use, each bounded by the page size the header declares. */
function compressors(snappy: (input: Uint8Array, output: Uint8Array) => void) {
  return {
    GZIP: (input: Uint8Array, n: number) =>
      new Uint8Array(gunzipSync(input, { maxOutputLength: Math.max(1, pageSize(n)) })),
    SNAPPY: (input: Uint8Array, n: number) => {
      const out = new Uint8Array(pageSize(n));
      snappy(input, out);
      return out;
    },
  };
}

export async function readParquetFlows(
  path: string,
  /** The file, or its bytes (stdin, read to its end). */
  abs: string | AsyncIterable<Buffer>,
  flows: FlowDecoder,
  emit: Emit,
  onProgress: (bytes: number, records: number) => void,
): Promise<ParquetRead> {
  const data = typeof abs === 'string' ? await readFile(abs) : await collect(abs);
  const file = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  onProgress(data.byteLength, 0);
  const out: ParquetRead = { bytes: data.byteLength, records: 0, rows: 0 };
  const issue = (line: number, code: string, message: string) =>
    emit({ kind: 'issue', code, file: path, line, message });
  const { parquetMetadata, parquetRead, parquetSchema, snappyUncompress } = await import('hyparquet');
  const COMPRESSORS = compressors(snappyUncompress);
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    issue(0, 'flow.parquet-unreadable', `not a Parquet file that can be read: ${(e as Error).message}`);
    return out;
  }
  const columns = parquetSchema(metadata).children;
  const nested = columns.filter((c) => c.children.length > 0).map((c) => c.element.name);
  if (nested.length) {
    issue(0, 'flow.parquet-columns', `columns ${nested.join(', ')} are nested: a VPC flow log's columns are flat`);
    return out;
  }
  const names = columns.map((c) => c.element.name.replace(/_/g, '-'));
  const header = parseVpcHeader(names);
  if ('problem' in header || !isVpcHeaderAttempt(names)) {
    const why = 'problem' in header ? header.problem : 'too few VPC flow log fields';
    issue(0, 'flow.parquet-columns', `its columns are no VPC flow log format: ${why}; no row is read`);
    return out;
  }
  flows.text(names.join(' '), 0);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: unknown[][] = [];
    try {
      await parquetRead({
        file,
        metadata,
        rowStart,
        rowEnd,
        compressors: COMPRESSORS,
        onComplete: (r: unknown[][]) => (rows = r),
      });
    } catch (e) {
      issue(
        rowStart + 1,
        'flow.parquet-unreadable',
        `rows ${rowStart + 1}-${rowEnd} cannot be decoded: ${(e as Error).message}`,
      );
      rowStart = rowEnd;
      continue;
    }
    for (let i = 0; i < rows.length; i++) {
      const before = out.records;
      out.records += flows.text(rows[i]!.map(value).join(' '), rowStart + i + 1);
      onProgress(0, out.records - before);
    }
    out.rows += rows.length;
    rowStart = rowEnd;
  }
  return out;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Why a Parquet file given with another flag is skipped. */
export const PARQUET_NOTICE =
  'not a log: an Apache Parquet file (of the logs read, only VPC flow logs are read as Parquet, by --flows)';

/** Whether bytes start as Apache Parquet does (`PAR1`). */
export function isParquet(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === 0x50415231;
}

/** A value as the text record holds it: `-` for none. */
function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v === '' ? '-' : v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  // A date, a byte array: no VPC field holds one; written so the record is refused as unreadable, not misread.
  return JSON.stringify(String(v));
}
