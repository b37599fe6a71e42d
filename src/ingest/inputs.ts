import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cmp, InputError, UsageError } from '../model/issue.js';
import { isOwnProfile } from './ownOutput.js';
import { fsProblem } from '../util/fsError.js';
import { fitsVpcFields } from './flows/vpcFormat.js';
import { afterLinePrefix, linePrefixLength } from './linePrefix.js';
import { isParquet, PARQUET_NOTICE } from './parquet.js';
import { MANIFEST } from '../emit/manifestName.js';

/** One file to read, as found on the command line or in a walked directory. */
export interface InputFile {
  /** Path as the user gave it (joined with the walked relative path): what issues name. */
  path: string;
  abs: string;
  size: number;
  /** gzip by magic bytes, whatever the name says. */
  gzip: boolean;
  /** Plain file whose first line is a complete JSON value: safe to split into byte ranges. */
  splittable: boolean;
  /** An Apache Parquet file (VPC flow logs, Security Lake's CloudTrail records: parquet.ts). */
  parquet?: true;
}

/** A file read but recognised as something other than a log. */
export interface Notice {
  path: string;
  bytes: number;
  reason: string;
}

export const STDIN = '-';

/**
 * A path left unread: a file or directory reached a second time (the same path given twice, a file inside a
 * directory also given, one path relative and one absolute, a link), which would count its records twice; or the
 * command's own output inside an input directory, which would be read back as input on the next run; or a policy tree
 * audit2policy wrote (a directory holding its manifest), policies and evidence, not logs.
 */
export interface Unread {
  path: string;
  /** The path it was first reached by, for a repeat; undefined for the output and a tree. */
  first?: string;
  /** A policy tree audit2policy wrote. */
  tree?: true;
}

/** Raised for input that cannot be read at all: the CLI exits 2. */
export class UnreadableInputError extends InputError {}

const SNIFF_BYTES = 64 * 1024;

/** Whether a text file that is no JSON is read all the same (a VPC flow log), or why it is skipped (a notice). */
export type AcceptText = (head: Buffer) => boolean | string | undefined;

/**
 * Expand files and directories (walked recursively, sorted) into input files, recognising each by
 * content: gzip by magic bytes, JSON by its first character; zip archives and text are notices.
 */
export async function resolveInputs(
  paths: string[],
  cwd: string,
  acceptText?: AcceptText,
  /** Whether Parquet files are read (flows, CloudTrail), else a notice. */
  parquet = false,
  /** Absolute paths never read: the command's output (-o), a file or a directory. */
  exclude: string[] = [],
): Promise<{ files: InputFile[]; notices: Notice[]; unread: Unread[] }> {
  const files: InputFile[] = [];
  const notices: Notice[] = [];
  const reached: Reached = { ids: new Map(), excluded: new Set(), unread: [] };
  for (const x of exclude) {
    const st = await stat(x).catch(() => undefined);
    if (st) reached.excluded.add(idOf(st));
  }
  for (const p of paths) {
    if (p === STDIN) continue;
    const abs = resolve(cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch (e) {
      throw new UnreadableInputError(`cannot read ${p}: ${fsProblem(e)}`);
    }
    if (!firstReach(reached, p, idOf(st))) continue;
    if (st.isDirectory()) await walk(p, abs, files, notices, reached, acceptText, parquet);
    else {
      const c = await classify(p, abs, st.size, acceptText, parquet);
      if (c.file) files.push(c.file);
      if (c.notice) notices.push(c.notice);
    }
  }
  // The output among the inputs is skipped, as the run's own; one holding a log would be destroyed by writing it.
  for (const u of reached.unread) {
    if (u.first !== undefined || u.tree) continue;
    const abs = resolve(cwd, u.path);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile() || st.size === 0 || (await isOwnProfile(abs))) continue;
    if ((await classify(u.path, abs, st.size, acceptText, parquet)).file)
      throw new UsageError(
        `-o names ${u.path}, an input log: writing the output there would destroy it; give -o another file`,
      );
  }
  return { files, notices, unread: reached.unread };
}

/** What the paths of one flag have reached so far: each file and directory by device and inode. */
interface Reached {
  ids: Map<string, string>;
  excluded: Set<string>;
  unread: Unread[];
}

const idOf = (st: { dev: number; ino: number }) => `${st.dev}:${st.ino}`;

/** Whether `path` (of identity `id`) is to be read: not the output, not reached before (else said in `unread`). */
function firstReach(reached: Reached, path: string, id: string): boolean {
  if (reached.excluded.has(id)) {
    reached.unread.push({ path });
    return false;
  }
  const first = reached.ids.get(id);
  if (first !== undefined) {
    reached.unread.push({ path, first });
    return false;
  }
  reached.ids.set(id, path);
  return true;
}

/** Entries of a directory looked at (stat, first bytes) this many at a time: the file system's latency overlaps. */
const LOOK_AHEAD = 32;

/** What one directory entry is: a directory to walk, an input file, a notice, or nothing (a socket...). */
type Found =
  | { dir: true; display: string; abs: string; id: string }
  | { dir: false; display: string; id: string; file?: InputFile; notice?: Notice }
  | undefined;

/**
 * A directory, walked in name order: its entries are looked at LOOK_AHEAD at a time and what they are appended
 * in order, each subdirectory walked in its place; the same bytes whatever the timing.
 */
async function walk(
  display: string,
  abs: string,
  files: InputFile[],
  notices: Notice[],
  reached: Reached,
  acceptText?: AcceptText,
  parquet = false,
): Promise<void> {
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (e) {
    throw new UnreadableInputError(`cannot read directory ${display}: ${fsProblem(e)}`);
  }
  if (entries.some((e) => e.name === MANIFEST && e.isFile())) {
    reached.unread.push({ path: display, tree: true });
    return;
  }
  entries.sort((a, b) => cmp(a.name, b.name));
  const look = async (name: string): Promise<Found> => {
    const childAbs = join(abs, name);
    const childDisplay = join(display, name);
    let st;
    try {
      st = await stat(childAbs);
    } catch {
      const notice = { path: childDisplay, bytes: 0, reason: 'unreadable (broken link?)' };
      return { dir: false, display: childDisplay, id: '', notice };
    }
    const id = idOf(st);
    if (st.isDirectory()) return { dir: true, display: childDisplay, abs: childAbs, id };
    if (!st.isFile()) return undefined;
    // The output or a file reached before is not read at all (decided below, in order).
    if (reached.excluded.has(id) || reached.ids.has(id)) return { dir: false, display: childDisplay, id };
    const c = await classify(childDisplay, childAbs, st.size, acceptText, parquet);
    return { dir: false, display: childDisplay, id, ...c };
  };
  for (let i = 0; i < entries.length; i += LOOK_AHEAD) {
    const found = await Promise.all(entries.slice(i, i + LOOK_AHEAD).map((e) => look(e.name)));
    for (const f of found) {
      if (!f) continue;
      if (f.id && !firstReach(reached, f.display, f.id)) continue;
      if (f.dir) await walk(f.display, f.abs, files, notices, reached, acceptText, parquet);
      else if (f.file) files.push(f.file);
      else if (f.notice) notices.push(f.notice);
    }
  }
}

/** A file by its first bytes: an input file, or a notice saying what else it is. */
async function classify(
  path: string,
  abs: string,
  size: number,
  acceptText?: AcceptText,
  parquet = false,
): Promise<{ file?: InputFile; notice?: Notice }> {
  let head: Buffer;
  try {
    const fh = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(Math.min(SNIFF_BYTES, size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UnreadableInputError(`cannot read ${path}: ${fsProblem(e)}`);
  }
  const kind = sniff(head);
  if (kind === 'gzip') return { file: { path, abs, size, gzip: true, splittable: false } };
  if (kind === PARQUET) {
    if (parquet) return { file: { path, abs, size, gzip: false, splittable: false, parquet: true } };
    return {
      notice: {
        path,
        bytes: size,
        reason: PARQUET_NOTICE,
      },
    };
  }
  if (kind === 'json') return { file: { path, abs, size, gzip: false, splittable: firstLineComplete(head) } };
  const accepted = kind === 'not a log: text that is not JSON' ? acceptText?.(head) : undefined;
  if (kind === 'empty' || accepted === true) return { file: { path, abs, size, gzip: false, splittable: false } };
  return { notice: { path, bytes: size, reason: typeof accepted === 'string' ? accepted : kind } };
}

const PARQUET = 'parquet';
/**
 * `logcli query`'s default output: the entry's time (RFC 3339, UTC or local), its labels in Loki's own syntax
 * (`{job="audit", node="m-0"}`) and the line (grafana/loki pkg/logcli/output/default.go): the labels are no JSON.
 */
const LOGCLI_DEFAULT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) \{[A-Za-z_][A-Za-z0-9_]*="/;

/** What the first bytes say a file is. */
export function sniff(head: Buffer): 'gzip' | 'json' | 'empty' | typeof PARQUET | string {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'not a log: zip archive';
  // Apache Parquet opens (and ends) with `PAR1`.
  if (isParquet(head)) return PARQUET;
  // Avro object container files: Event Hubs Capture writes AKS diagnostic records this way.
  if (head.length >= 4 && head.readUInt32BE(0) === 0x4f626a01)
    return "not a log: an Avro container (Event Hubs Capture?): pass the JSON records of each event's Body instead";
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i >= head.length) return 'empty';
  const c = head[i];
  if (c === 0x7b || c === 0x5b || opensJsonText(head, i)) return 'json';
  if (LOGCLI_DEFAULT.test(head.toString('utf8', i, Math.min(head.length, i + 512))))
    return "not a log: Loki's logcli default output (a time and labels before each line): save the query with --output raw or --output jsonl";
  // A CloudWatch Logs export or oc adm node-logs (linePrefix.ts): a time or a node's name, then a JSON message.
  const message = afterLinePrefix(head);
  if (message !== undefined && (message.startsWith('{') || message.startsWith('['))) return 'json';
  if (looksBinary(head)) return 'not a log: binary data';
  if (jsonLinesAfterBadFirst(head)) return 'json';
  return csvExport(head) ?? 'not a log: text that is not JSON';
}

/**
 * Whether the bytes at `i` open a JSON string whose text is an object (`"{\"kind\":…`): a record saved as a string
 * of its JSON text (jsonText.ts), as `jq '.events[].message'` prints it. A line of such a record may be longer than
 * the head, so its start decides.
 */
export function opensJsonText(head: Buffer, i: number): boolean {
  return head[i] === 0x22 && head[i + 1] === 0x7b;
}

/** A query's results saved as CSV, whose header names the column that holds the record: what to export instead. */
export function csvExport(head: Buffer): string | undefined {
  const nl = head.indexOf(0x0a);
  const columns = head
    .toString('utf8', 0, nl < 0 ? head.length : nl)
    .split(',')
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  if (columns.includes('@message'))
    return 'not a log: Logs Insights results as CSV: save them as JSON instead (aws logs get-query-results)';
  if (columns.includes('_raw'))
    return 'not a log: Splunk results as CSV: export them as JSON instead (splunk search -output json, or output_mode=json)';
  // A CloudTrail query's results as CSV (Athena's console download, CloudTrail Lake's saved results): its structs and
  // maps are text (`{type=AssumedRole, arn=...}`), which cannot be read back into records unambiguously.
  const lower = new Set(columns.map((c) => c.toLowerCase()));
  if (lower.has('eventsource') && lower.has('eventname') && (lower.has('useridentity') || lower.has('eventtime')))
    return (
      'not a log: CloudTrail query results as CSV (Athena, CloudTrail Lake): their structs are text that cannot be ' +
      "read back; UNLOAD the query WITH (format = 'JSON') instead, or read the trail's own files"
    );
  return undefined;
}

function looksBinary(head: Buffer): boolean {
  const n = Math.min(head.length, 1024);
  for (let i = 0; i < n; i++) if (head[i] === 0) return true;
  return false;
}

function firstLineComplete(head: Buffer): boolean {
  const nl = head.indexOf(0x0a);
  if (nl < 0) return false;
  try {
    JSON.parse(head.toString('utf8', 0, nl));
    return true;
  } catch {
    return false;
  }
}

/** How many of a file's first lines are looked at beyond the first: a bad first record does not hide the file. */
const SNIFF_LINES = 8;

/** The first complete lines of the head (SNIFF_LINES and the first), each without its line prefix (linePrefix.ts). */
function headLines(head: Buffer): string[] {
  const text = head.toString('utf8', 0, Math.min(head.length, SNIFF_BYTES)).replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  if (lines.length > 1) lines.pop();
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, SNIFF_LINES + 1)
    .map((l) => l.slice(linePrefixLength(l)).trim());
}

/**
 * JSON lines whose first line is not a record: a record cut at its start (the file began mid-record: a log cut at a
 * byte offset, a copy after a rotation) or a value that is no object (`42`). It is read, that line an issue of its
 * reader, when the line ends as a record does or is JSON, and a later line of the first few is a whole JSON object
 * or array, or every line is JSON: a text file with a JSON-looking line inside stays "not a log".
 */
export function jsonLinesAfterBadFirst(head: Buffer): boolean {
  const lines = headLines(head);
  const [first, ...rest] = lines;
  if (first === undefined || !(first.endsWith('}') || first.endsWith(']') || parses(first))) return false;
  // A file of JSON values alone (`42`: a record replaced by a number) is JSON too, each value an issue of its reader.
  return rest.some((l) => (l.startsWith('{') || l.startsWith('[')) && isObjectText(l)) || lines.every(parses);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isObjectText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

/**
 * A VPC flow log in text: a header naming srcaddr and dstaddr, or on one of its first lines a default-format (v2+)
 * record or a record of the fields `--vpc-format` names (a bad first record is an issue of the reader, not a reason
 * to take the file for other text).
 */
export function looksLikeVpcFlowLog(head: Buffer, fields?: readonly string[]): boolean {
  const lines = headLines(head);
  // A header is the first line.
  if (lines[0] !== undefined && /\bsrcaddr\b/.test(lines[0]) && /\bdstaddr\b/.test(lines[0])) return true;
  return lines.some(
    (line) =>
      (fields !== undefined && fitsVpcFields(line, fields)) ||
      /^\d+ \S+ \S+ [0-9a-fA-F:.-]+ [0-9a-fA-F:.-]+ \S+ \S+ \S+ \S+ \S+ \d+ \d+ (ACCEPT|REJECT|-) (OK|NODATA|SKIPDATA)/.test(
        line,
      ),
  );
}
