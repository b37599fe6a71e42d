import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { InputIssue } from '../model/issue.js';
import type { Observation } from '../model/observation.js';
import { emptyInventory, Resolver } from '../inventory/inventory.js';
import type { ScanResume } from './cloudTrail/scanner.js';
import { isParquet, PARQUET_NOTICE } from './parquet.js';
import { ISSUE_SAMPLE_LIMIT } from '../model/profile.js';
import { fsProblem } from '../util/fsError.js';
import { csvExport, jsonLinesAfterBadFirst, opensJsonText, UnreadableInputError } from './inputs.js';
import type { K8sAuditReader } from './k8sAudit/envelopes.js';
import { JsonLineDecoder } from './jsonLines.js';
import { foreignSource, sourceUnsaid } from './sourceOf.js';
import { countDay, type DayCounts } from './anchor.js';
import { CUT_AFTER_BYTES, LineSplitter, MAX_LINE_BYTES, type CutLines } from './lines.js';
import { afterLinePrefix, linePrefixLength } from './linePrefix.js';
import { addNotice, emptyNotices, type NoticeTally } from './notices.js';
import { checkBeside, corruptTail, gunzip, GzipHold, STDIN_HOLD, type GzipVerdict } from './gzip.js';

/** Which reader a source is for: the option it was given with. */
export type SourceFormat = 'k8s-audit' | 'cloudtrail' | 'flows';

/** A unit of reading: a whole file, a byte range of a plain file, or stdin. */
export interface Task {
  path: string;
  format: SourceFormat;
  abs: string;
  gzip: boolean;
  /** Byte range [start, end) of a plain file; whole file when absent. */
  start?: number;
  end?: number;
  /** A byte range of a CloudTrail document: it starts at a record of the file's first value (cloudTrail/ranges.ts). */
  resume?: ScanResume;
  /** Flows: an Apache Parquet file (flows/parquet.ts), read whole. */
  parquet?: true;
  /** Flows: the fields of VPC flow log records without a header line (`--vpc-format`); default: AWS's default. */
  vpcFields?: string[];
}

/** What reading one task produced besides its observations. */
export interface TaskStats {
  /** Bytes read from disk (compressed bytes for gzip). */
  bytes: number;
  records: number;
  /** Lines in this task (for numbering the lines of later ranges of the same file). */
  lines: number;
  issues: number;
  /** First issues, with lines relative to the task's first line. */
  issueSamples: InputIssue[];
  /** Set when the content was recognised as no log after decompression. */
  notice?: string;
  /** Newest record time seen (for durations back from the newest event). */
  newest: string;
  /** The pre-pass only: records per day, so a record with a wrong clock does not decide "now" (anchor.ts). */
  days?: DayCounts;
  /** Records kept with a notice (ingest/notices.ts), lines relative to the task's first line. */
  notices: NoticeTally;
  /** Audit logs: inner records unwrapped per envelope (CloudWatch Logs, Cloud Logging...), when there were any. */
  envelopes?: Record<string, number>;
  /** Audit logs: envelope records that held no audit Event, by `envelope/reason`. */
  envelopeSkipped?: Record<string, number>;
  /** Audit logs: AKS's audit records by category (k8sAudit/envelopes.ts), when there were any. */
  aksAudit?: { full: number; admin: number; adminLine: number };
}

const CHUNK = 1 << 20;

/** Called as reading goes on: bytes read from disk and records decoded since the last call. */
export type Progress = (bytes: number, records: number) => void;

/**
 * Read one task, feeding every observation to `onObservation`. Never throws for bad content: that
 * becomes issues. Throws only when the file cannot be opened or read at all.
 */
export async function runTask(
  task: Task,
  onObservation: (o: Observation) => void,
  onProgress: Progress,
  stdin?: Readable,
  /** Track the newest record time (only the pre-pass for durations needs it). */
  trackNewest = false,
  /** Flows: the inventory that turns addresses and pod names into workloads. */
  resolver?: Resolver,
): Promise<TaskStats> {
  const stats: TaskStats = {
    bytes: 0,
    records: 0,
    lines: 0,
    issues: 0,
    issueSamples: [],
    newest: '',
    notices: emptyNotices(),
  };
  // Set once the file is known as another source's: it is skipped whole, what is wrong with it after that unsaid.
  let foreign = false;
  const onIssue = (i: InputIssue) => {
    if (foreign) return;
    if (i.level === 'notice') return addNotice(stats.notices, i);
    stats.issues++;
    if (stats.issueSamples.length < ISSUE_SAMPLE_LIMIT) stats.issueSamples.push(i);
  };
  const take = (item: Observation) => {
    if (trackNewest && 'time' in item) {
      if (item.time > stats.newest) stats.newest = item.time;
      countDay((stats.days ??= {}), item.time);
    }
    onObservation(item);
  };
  // A gzip's observations wait for its check (gzip.ts): corrupt bytes decode to names that were never seen.
  let hold: GzipHold | undefined;
  const emit = (item: Observation | InputIssue) => {
    if (item.kind === 'issue') return onIssue(item);
    if (hold?.held(item)) return;
    take(item);
  };
  const first = !task.start;
  // The first value of a file says whose it is: a file of another source is skipped whole, with one
  // notice naming the flag it belongs to (a CloudTrail directory given to --k8s-audit).
  // A value that says nothing of it (a subscription's control message) leaves it to the next, up to a few.
  let checked = !first || task.abs === '-';
  let unsaid = 0;
  const mine = (v: unknown): boolean => {
    if (!checked && sourceUnsaid(v) && ++unsaid <= 8) return true;
    if (!checked) {
      checked = true;
      const notice = foreignSource(v, task.format);
      if (notice) {
        stats.notice = notice;
        foreign = true;
      }
    }
    return !foreign;
  };
  // Each source's reader is loaded when a task of it runs, and the others' are not (ADR 0017).
  const audit = task.format === 'k8s-audit' ? await import('./k8sAudit/envelopes.js') : undefined;
  const cloudTrail = task.format === 'cloudtrail' ? await import('./cloudTrail/reader.js') : undefined;
  const flowReader = task.format === 'flows' ? await import('./flows/reader.js') : undefined;
  const flowDecoder = (r: typeof import('./flows/reader.js')) =>
    new r.FlowDecoder(task.path, resolver ?? new Resolver(emptyInventory()), emit, task.vpcFields);
  /** A Parquet file (flows/parquet.ts, cloudTrail/parquet.ts), from its path or its bytes on stdin: read whole. */
  const parquet = async (from: string | AsyncIterable<Buffer>): Promise<TaskStats> => {
    // Audit logs are never Parquet (inputs.ts refuses such a file with this notice).
    if (!flowReader && !cloudTrail) return { ...stats, notice: PARQUET_NOTICE };
    const reading = flowReader
      ? flowReader.readParquetFlows(task.path, from, flowDecoder(flowReader), onIssue, onProgress)
      : cloudTrail!.readParquetCloudTrail(task.path, from, emit, onProgress);
    const read = await reading.catch((e: Error) => {
      throw new UnreadableInputError(`cannot read ${task.path}: ${fsProblem(e)}`);
    });
    if (read.foreign) return { ...stats, bytes: read.bytes, notice: read.foreign };
    return { ...stats, bytes: read.bytes, records: read.records, lines: read.rows };
  };
  if (task.parquet) return parquet(task.abs);
  let reader: K8sAuditReader | undefined;
  let decoder: { end(): void };
  let onLine: (text: string, n: number) => void = () => {};
  let splitter: { push(c: Buffer): void; end(): void; done: boolean; lineNo: number } | undefined;
  let cloudTrailReader: ((head: Buffer) => typeof splitter) | undefined;
  let cut: CutLines | undefined;
  if (flowReader) {
    // Hubble writes JSON lines; VPC flow logs are text: each line goes where its first character says.
    const flows = flowDecoder(flowReader);
    const d = new JsonLineDecoder(
      task.path,
      (v, line) => (stats.records += mine(v) ? flows.json(v, line) : 0),
      onIssue,
      first,
    );
    decoder = d;
    onLine = (line, n) => {
      const text = unprefixed(line);
      const c = firstChar(text);
      // A line that ends as a JSON value does is one (a flow cut at its start: a JSON issue, not a VPC record's).
      if (c === 0x7b || c === 0x5b || d.inDocument || closesValue(text)) d.line(text, n);
      else stats.records += flows.text(text, n);
    };
    cut = cutInto(d);
  } else if (cloudTrail) {
    const { decodeCloudTrailValue, CloudTrailStream } = cloudTrail;
    const record = (v: unknown, line: number) =>
      (stats.records += mine(v) ? decodeCloudTrailValue(v, { file: task.path, line }, emit) : 0);
    decoder = { end() {} };
    // Chosen by the first bytes (after gzip): lines with a prefix (linePrefix.ts) are read line by line.
    cloudTrailReader = (head) => {
      if (first && afterLinePrefix(head) !== undefined) {
        const d = (decoder = new JsonLineDecoder(task.path, record, onIssue, first));
        onLine = (line, n) => d.line(unprefixed(line), n);
        return undefined;
      }
      // Records of a document one at a time, whatever its size (cloudTrail/scanner.ts); a range starts at a record.
      return new CloudTrailStream(
        task.path,
        record,
        onIssue,
        { base: task.start ?? 0, limit: task.end ?? Infinity, ...(task.resume ? { resume: task.resume } : {}) },
        mine,
      );
    };
  } else {
    // Audit logs: native Events, or Events inside a managed cluster's envelopes (k8sAudit/envelopes.ts).
    const r = (reader = new audit!.K8sAuditReader(emit));
    const d = (decoder = new JsonLineDecoder(
      task.path,
      (v, line, index) => (stats.records += mine(v) ? r.value(v, { file: task.path, line }, index) : 0),
      onIssue,
      first,
    ));
    onLine = (line, n) => d.line(unprefixed(line), n);
    cut = cutInto(d);
  }
  const lineSplitter = () =>
    new LineSplitter((text, n) => onLine(text, n), {
      skipFirstPartial: !first,
      base: first ? 0 : task.start! - 1,
      limit: task.end ?? Infinity,
      ...(cut ? { cut } : {}),
      onLineTooLong: (line, bytes) =>
        onIssue({
          kind: 'issue',
          code: 'line.too-long',
          file: task.path,
          line,
          message: `a line of ${bytes.toLocaleString('en-US')} bytes, over the ${MAX_LINE_BYTES.toLocaleString('en-US')} a record may take: left out`,
        }),
    });
  /** The reader, made at the first bytes: a CloudTrail file's shape is known only then (after gzip). */
  const readerFor = (head: Buffer) => (cloudTrailReader ? cloudTrailReader(head) : undefined) ?? lineSplitter();

  const from = first ? 0 : task.resume ? task.start! : task.start! - 1;
  const raw: Readable = task.abs === '-' ? stdin! : createReadStream(task.abs, { start: from, highWaterMark: CHUNK });
  let source: AsyncIterable<Buffer> = raw;
  let gzip = task.gzip;
  if (task.abs === '-') {
    const peeked = await peek(raw);
    gzip = peeked.head.length >= 2 && peeked.head[0] === 0x1f && peeked.head[1] === 0x8b;
    source = peeked.stream;
    // Parquet on stdin: read to its end (its index is at the end), as a file would be.
    if (isParquet(peeked.head)) return parquet(source);
  }
  let sniffed = gzip ? false : true;
  let verdict: Promise<GzipVerdict> | undefined;
  let failed: (GzipVerdict & { corrupt: true }) | undefined;
  if (gzip) {
    const h = (hold = new GzipHold(task.abs === '-' ? STDIN_HOLD : Infinity, () => stats.records, take));
    verdict = (await checkBeside(task.abs))?.verdict.then((v) => {
      if (v.corrupt) failed = v;
      else h.release();
      return v;
    });
  }
  try {
    const input = gzip ? gunzip(source, stats, onProgress) : source;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const before = stats.records;
      if (!gzip) stats.bytes += chunk.length;
      if (!sniffed) {
        sniffed = true;
        const c = firstNonSpace(chunk);
        const json =
          c === undefined ||
          c === 0x7b ||
          c === 0x5b ||
          (c === 0x22 && opensJsonText(chunk, chunk.indexOf(0x22))) ||
          /^[{[]/.test(afterLinePrefix(chunk) ?? '') ||
          jsonLinesAfterBadFirst(chunk);
        if (!json && task.format !== 'flows') {
          stats.notice = csvExport(chunk) ?? 'not a log: compressed content is not JSON';
          break;
        }
      }
      (splitter ??= readerFor(chunk)).push(chunk);
      onProgress(gzip ? 0 : chunk.length, stats.records - before);
      if (hold?.full) await verdict;
      if (splitter.done || foreign || failed) break;
    }
    if (!(await verdict)?.corrupt) {
      (splitter ??= readerFor(Buffer.alloc(0))).end();
      decoder.end();
      hold?.release();
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || /unexpected end/i.test(err.message))) {
      // The partial line before the break is incomplete by definition: it is part of this issue.
      decoder.end();
      const after = splitter?.lineNo ?? 0;
      // Bytes cut short decode to what was written; corrupt ones may not have, up to the check that found them.
      if ((err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) && !(await verdict)?.corrupt) {
        hold?.release();
        onIssue({
          kind: 'issue',
          code: 'gzip.truncated',
          file: task.path,
          line: after + 1,
          message: `gzip stream ends early after line ${after}: the rest of the file is lost`,
        });
      } else failed ??= { corrupt: true, line: after, message: err.message };
    } else {
      throw new UnreadableInputError(`cannot read ${task.path}: ${fsProblem(err)}`);
    }
  } finally {
    if (raw !== stdin) raw.destroy();
  }
  if (failed) {
    const dropped = hold!.drop();
    stats.records -= dropped.records;
    onIssue({
      kind: 'issue',
      code: 'gzip.corrupt',
      file: task.path,
      line: failed.line + 1,
      message: `gzip data is corrupt after line ${failed.line}: ${failed.message}; ${corruptTail(dropped)}`,
    });
  }
  if (reader) {
    reader.finish();
    if (Object.keys(reader.envelopes).length) stats.envelopes = { ...reader.envelopes };
    if (Object.keys(reader.skipped).length) stats.envelopeSkipped = { ...reader.skipped };
    if (reader.aksAudit.full || reader.aksAudit.admin) stats.aksAudit = { ...reader.aksAudit };
  }
  stats.lines = splitter?.lineNo ?? 0;
  // A range reads past its end to finish its last line; its bytes are its own range.
  if (task.end !== undefined) stats.bytes = task.end - (task.start ?? 0);
  return stats;
}

/** A long line of JSON values back to back, cut into them as it streams (lines.ts), to the decoder one by one. */
function cutInto(d: JsonLineDecoder): CutLines {
  return {
    after: CUT_AFTER_BYTES,
    accept: () => !d.inDocument,
    value: (text, n, index) => d.cutValue(text, n, index),
    tooLarge: (n, index, bytes) => d.tooLargeValue(n, index, bytes),
  };
}

/** A line without what comes before its record (linePrefix.ts: an export's time, a node's name). */
function unprefixed(line: string): string {
  const n = linePrefixLength(line);
  return n ? line.slice(n) : line;
}

/** Whether a line's last character but spaces is `}` or `]`. */
function closesValue(s: string): boolean {
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return c === 0x7d || c === 0x5d;
  }
  return false;
}

function firstChar(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0xfeff) return c;
  }
  return -1;
}

function firstNonSpace(b: Buffer): number | undefined {
  for (const c of b) if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  return undefined;
}

/** Read the first chunk of a stream and give back a stream that still starts with it. */
async function peek(stream: Readable): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* rest() {
    if (!first.done) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield Buffer.from(n.value);
    }
  }
  return { head, stream: rest() };
}
