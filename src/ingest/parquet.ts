import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { SchemaTree } from 'hyparquet';

/**
 * Apache Parquet files, read whole (a file's index is at its end) and decoded one row group at a time by `hyparquet`
 * (MIT, no dependencies, pure JavaScript), loaded only when a Parquet file is met: VPC flow logs (flows/parquet.ts)
 * and Security Lake's CloudTrail records (cloudTrail/parquet.ts). Rows are numbered from 1; a problem with the whole
 * file or its columns is at row 0.
 */

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

/**
 * The decompressors of the codecs AWS and common writers use (Gzip for AWS's flow logs and Security Lake's
 * `.gz.parquet`, Snappy, and Zstandard, which pipelines writing OCSF to a lake often choose), each bounded by the page
 * size the header declares. Zstandard is `fzstd` (MIT, pure JavaScript, no dependencies), loaded with the reader.
 */
function compressors(
  snappy: (input: Uint8Array, output: Uint8Array) => void,
  zstd: (input: Uint8Array, output: Uint8Array) => Uint8Array,
) {
  return {
    ZSTD: (input: Uint8Array, n: number) => {
      const size = zstdContentSize(input);
      if (size !== undefined && size !== n)
        throw new Error(`a Zstandard page holds ${size} bytes, not the ${n} its header declares`);
      return zstd(input, new Uint8Array(pageSize(n)));
    },
    GZIP: (input: Uint8Array, n: number) =>
      new Uint8Array(gunzipSync(input, { maxOutputLength: Math.max(1, pageSize(n)) })),
    SNAPPY: (input: Uint8Array, n: number) => {
      const out = new Uint8Array(pageSize(n));
      snappy(input, out);
      return out;
    },
  };
}

/**
 * The content size a Zstandard frame's header declares (RFC 8878, 3.1.1.1), or undefined when it declares none. A
 * page is one frame; more output than the page declares is refused by the bounded buffer, less by this.
 */
function zstdContentSize(f: Uint8Array): number | undefined {
  if (f.length < 6 || f[0] !== 0x28 || f[1] !== 0xb5 || f[2] !== 0x2f || f[3] !== 0xfd) return undefined;
  const fhd = f[4]!;
  const single = (fhd >> 5) & 1;
  const sizeBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6]!;
  if (!sizeBytes) return undefined;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  if (f.length < at + sizeBytes) return undefined;
  let v = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) v = v * 256 + f[at + i]!;
  return sizeBytes === 2 ? v + 256 : v;
}

export interface ParquetRows<Row> {
  /**
   * The file's top-level columns: how to read the rows (as arrays of the columns' values, or as objects: structs and
   * maps as objects); a problem that keeps every row from being read (an issue); or `foreign`, a file of another
   * flag's source, skipped whole with that notice as JSON files are.
   */
  columns(columns: SchemaTree[]): 'array' | 'object' | { problem: string } | { foreign: string };
  /** Read as objects, only these top-level columns (those the file has): what a record is made from. */
  select?: readonly string[];
  /** Each row, with its number (1 for the first). */
  row(row: Row, n: number): void;
  /** A problem with the file (row 0) or with a row group (its first row): `unreadable` or `columns`. */
  issue(row: number, what: 'unreadable' | 'columns', message: string): void;
  /** Bytes read (once, the whole file) and records made since the last call. */
  progress(bytes: number): void;
}

/** Read a Parquet file's rows. */
export async function readParquetRows<Row>(
  abs: string | AsyncIterable<Buffer>,
  to: ParquetRows<Row>,
): Promise<{ bytes: number; rows: number; foreign?: string }> {
  const data = typeof abs === 'string' ? await readFile(abs) : await collect(abs);
  const file = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  to.progress(data.byteLength);
  const out = { bytes: data.byteLength, rows: 0 };
  const { parquetMetadata, parquetRead, parquetSchema, snappyUncompress } = await import('hyparquet');
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    to.issue(0, 'unreadable', `not a Parquet file that can be read: ${(e as Error).message}`);
    return out;
  }
  const tree = parquetSchema(metadata).children;
  const rowFormat = to.columns(tree);
  const columns = to.select?.filter((c) => tree.some((t) => t.element.name === c));
  if (typeof rowFormat === 'object') {
    if ('foreign' in rowFormat) return { ...out, foreign: rowFormat.foreign };
    to.issue(0, 'columns', rowFormat.problem);
    return out;
  }
  const { decompress } = await import('fzstd');
  const COMPRESSORS = compressors(snappyUncompress, decompress);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Row[] = [];
    try {
      await parquetRead({
        file,
        metadata,
        rowStart,
        rowEnd,
        compressors: COMPRESSORS,
        ...(rowFormat === 'object' ? { rowFormat: 'object' as const } : {}),
        ...(rowFormat === 'object' && columns ? { columns } : {}),
        onComplete: (r: unknown[]) => (rows = r as Row[]),
      });
    } catch (e) {
      to.issue(rowStart + 1, 'unreadable', `rows ${rowStart + 1}-${rowEnd} cannot be decoded: ${(e as Error).message}`);
      rowStart = rowEnd;
      continue;
    }
    for (let i = 0; i < rows.length; i++) to.row(rows[i]!, rowStart + i + 1);
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

/** Why a Parquet file given with a flag that reads none is skipped. */
export const PARQUET_NOTICE =
  'not a log: an Apache Parquet file (of the logs read, only VPC flow logs and Security Lake CloudTrail records ' +
  'are read as Parquet, by --flows and --cloudtrail)';

/** What a Security Lake (OCSF) table holds, by its top-level columns: CloudTrail's API calls, VPC flow records. */
export function lakeTable(columns: SchemaTree[]): 'cloudtrail' | 'flows' | undefined {
  const has = (n: string) => columns.some((c) => c.element.name === n);
  if (!has('class_uid') || !has('metadata')) return undefined;
  if (has('api')) return 'cloudtrail';
  // Network Activity (VPC flow logs) and DNS Activity (Route 53 Resolver query logs).
  if (has('src_endpoint')) return 'flows';
  return undefined;
}

/** The notice for a Parquet file of another flag's source. */
export const parquetOf = (what: string, flag: string) => `looks like ${what} as Parquet: read it with ${flag}`;

/** Whether bytes start as Apache Parquet does (`PAR1`). */
export function isParquet(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === 0x50415231;
}
