// VPC flow logs delivered to S3 as Apache Parquet (the flow log's FileFormat `parquet`): Gzip-compressed pages, one
// flat column per field named as AWS's Athena table for them names it (`account_id`, `log_status`, `tcp_flags`...),
// integers as int or bigint, the rest strings. They are read as the text file of the same records: the profile of the
// demo's VPC flow log rewritten as Parquet is the profile of the text, byte for byte but for the list of sources, for
// any worker count. The files are written here with hyparquet-writer (a dev dependency) in AWS's column layout.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { profileLinesOf } from './helpers/profile.js';

const VPC_DIR = join(ROOT, 'fixtures/demo/flows/vpc');
const INVENTORY = join(ROOT, 'fixtures/demo/inventory');
/** The Athena table's types for VPC flow log columns in Parquet (Amazon Athena user guide); strings otherwise. */
const INT32 = new Set(['version', 'srcport', 'dstport', 'tcp_flags', 'traffic_path']);
const INT64 = new Set(['protocol', 'packets', 'bytes', 'start', 'end']);

type Column = { name: string; data: unknown[]; type: 'INT32' | 'INT64' | 'STRING' };

/** A Parquet file of text records (a header line, then records), as AWS writes them: Gzip, AWS's column names. */
function parquetOf(
  lines: string[],
  rowGroupSize = 1000,
  rename: (c: string) => string = (c) => c,
  codec: 'GZIP' | 'SNAPPY' = 'GZIP',
): Uint8Array {
  const fields = lines[0]!.trim().split(/\s+/);
  const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
  const columnData: Column[] = fields.map((f, i) => {
    const name = rename(f.replace(/-/g, '_'));
    const raw = rows.map((r) => (r[i] === '-' ? null : r[i]!));
    if (INT32.has(name)) return { name, type: 'INT32', data: raw.map((v) => (v === null ? null : Number(v))) };
    if (INT64.has(name)) return { name, type: 'INT64', data: raw.map((v) => (v === null ? null : BigInt(v))) };
    return { name, type: 'STRING', data: raw };
  });
  const buf = parquetWriteBuffer({
    columnData,
    codec,
    compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) },
    rowGroupSize,
  });
  return new Uint8Array(buf);
}

const DEMO_TEXT = readFileSync(join(VPC_DIR, 'eni-0a1b2c3d4e5f60718-2026-11-07T15.log'), 'utf8').trimEnd().split('\n');

/** A profile's lines without its list of sources (paths, formats and sizes differ by construction). */
function withoutSources(file: string): unknown[] {
  return profileLinesOf(file).map((l) => ('sources' in l ? { ...l, sources: [] } : l));
}

describe('VPC flow logs as Parquet', () => {
  const dir = tmp('parquet-');
  const pq = join(dir, 'pq');
  mkdirSync(pq);
  // Three row groups: the decoder reads them one at a time.
  writeFileSync(join(pq, 'eni-0a1b2c3d4e5f60718_20261107T1500Z_hash.log.parquet'), parquetOf(DEMO_TEXT, 7));
  const profile = (src: string, out: string, ...more: string[]) =>
    cli(['profile', '--flows', src, '--inventory', INVENTORY, '-o', join(dir, out), ...more]);

  it('reads as the same records in text: the same profile but for its sources, with 1 or 2 workers', () => {
    expect(DEMO_TEXT.length).toBeGreaterThan(15);
    const text = profile(VPC_DIR, 'text.json');
    const one = profile(pq, 'pq1.json', '--workers', '1');
    const two = profile(pq, 'pq2.json', '--workers', '2');
    for (const r of [text, one, two]) expect(r.code, r.stderr).toBe(0);
    expect(one.stderr).not.toMatch(/issue|notice/);
    const lines = withoutSources(join(dir, 'text.json'));
    // Something was read: the demo's connections.
    expect(lines.some((l) => typeof l === 'object' && l !== null && 'network' in l)).toBe(true);
    expect(withoutSources(join(dir, 'pq1.json'))).toEqual(lines);
    expect(readFileSync(join(dir, 'pq2.json'))).toEqual(readFileSync(join(dir, 'pq1.json')));
    const head = profileLinesOf(join(dir, 'pq1.json'))[0] as { sources: { format: string; records: number }[] };
    expect(head.sources).toHaveLength(1);
    const textHead = profileLinesOf(join(dir, 'text.json'))[0] as { sources: { records: number }[] };
    expect(head.sources[0]!.records).toBe(textHead.sources[0]!.records);
    expect(head.sources[0]!.records).toBeGreaterThan(15);
  });

  it('a row without data (nulls where AWS writes -) is counted as no-data; a row that is no record names its row', () => {
    const d = join(dir, 'nodata');
    mkdirSync(d);
    const header = DEMO_TEXT[0]!;
    const noData = '2 111122223333 eni-0a1b2c3d4e5f60718 - - - - - - - 1794063600 1794063660 - NODATA';
    const badAction = DEMO_TEXT[1]!.replace('ACCEPT', 'ALLOW');
    writeFileSync(join(d, 'a.parquet'), parquetOf([header, DEMO_TEXT[1]!, noData, badAction]));
    const r = cli(['profile', '--flows', d, '-o', join(dir, 'nodata.json'), '--on-error', 'skip']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no-data 1');
    expect(r.stderr).toMatch(/a\.parquet:3: .*action "ALLOW" is neither ACCEPT nor REJECT/);
  });

  it('columns that are no VPC flow log format: one issue at row 0, no row read', () => {
    const d = join(dir, 'cols');
    mkdirSync(d);
    // dstport missing (renamed): no flow can be read without it.
    writeFileSync(
      join(d, 'b.parquet'),
      parquetOf(DEMO_TEXT, 1000, (c) => (c === 'dstport' ? 'dest_port' : c)),
    );
    const r = cli(['profile', '--flows', d, '-o', join(dir, 'cols.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/b\.parquet:0: flow\.parquet-columns: its columns are no VPC flow log format: .*dstport/);
    expect(r.stderr).toMatch(/, 0 records,/);
    // --on-error fail: exit 2.
    expect(cli(['profile', '--flows', d, '-o', join(dir, 'cols2.json'), '--on-error', 'fail']).code).toBe(2);
  });

  it('a Parquet file cut short is an issue naming it; others are read', () => {
    const d = join(dir, 'cut');
    mkdirSync(d);
    const whole = parquetOf(DEMO_TEXT);
    writeFileSync(join(d, 'cut.parquet'), whole.subarray(0, whole.length - 40));
    writeFileSync(join(d, 'whole.parquet'), whole);
    const r = cli(['profile', '--flows', d, '-o', join(dir, 'cut.json'), '--on-error', 'skip']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cut\.parquet:0: flow\.parquet-unreadable: not a Parquet file that can be read/);
    const head = profileLinesOf(join(dir, 'cut.json'))[0] as { sources: { path: string; records: number }[] };
    expect(head.sources.map((s) => s.records)).toEqual([0, 81]);
  });

  it('Snappy pages (other writers’ default, an Athena CTAS) read as Gzip ones do', () => {
    const d = join(dir, 'snappy');
    mkdirSync(d);
    writeFileSync(
      join(d, 's.parquet'),
      parquetOf(DEMO_TEXT, 7, (c) => c, 'SNAPPY'),
    );
    const r = profile(d, 'snappy.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/issue/);
    expect(profile(VPC_DIR, 'text2.json').code).toBe(0);
    expect(withoutSources(join(dir, 'snappy.json'))).toEqual(withoutSources(join(dir, 'text2.json')));
  });

  it('on stdin: read to its end, the same profile as the file', () => {
    const file = join(pq, 'eni-0a1b2c3d4e5f60718_20261107T1500Z_hash.log.parquet');
    const r = cli(['profile', '--flows', '-', '--inventory', INVENTORY, '-o', join(dir, 'stdin.json')], {
      input: readFileSync(file),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/issue|notice/);
    expect(profile(file, 'file.json').code).toBe(0);
    expect(withoutSources(join(dir, 'stdin.json'))).toEqual(withoutSources(join(dir, 'file.json')));
    const other = cli(['profile', '--k8s-audit', '-', '-o', join(dir, 'x.json')], { input: readFileSync(file) });
    expect(other.stderr).toContain('skipped -: not a log: an Apache Parquet file');
  });

  it('given to --cloudtrail or --k8s-audit: skipped with a notice saying what it is', () => {
    // The only file given is another flag's: nothing read, said as for a JSON file of another source.
    const ct = cli(['profile', '--cloudtrail', pq, '-o', join(dir, 'ct.json')]);
    expect(ct.code).toBe(2);
    expect(ct.stderr).toContain('looks like VPC flow logs as Parquet: read it with --flows');
    const k8s = cli(['profile', '--k8s-audit', pq, '-o', join(dir, 'k8s.json')]);
    expect(k8s.code).toBe(2);
    expect(k8s.stderr).toContain('error: nothing read: ');
    expect(k8s.stderr).toContain('not a log: an Apache Parquet file (of the logs read, only VPC flow logs');
  });
});
