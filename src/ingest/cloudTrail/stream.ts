import type { InputIssue } from '../../model/issue.js';
import { deeperThan } from '../../util/json.js';
import { countNewlines, errorText, MAX_DEPTH } from '../jsonLines.js';
import { RecordScanner, type ScanOptions, type ScanSink, type UnitRole } from './scanner.js';

/**
 * A CloudTrail file as it streams: each record of a `{"Records":[...]}` document (or of a top-level array) parsed on
 * its own, with the line it starts on; every other value (JSON lines, EventBridge envelopes, digests) whole. Bad
 * input is an issue at file:line: a record that is not JSON, one nested deeper than MAX_DEPTH, one over the size
 * limit, a document cut short.
 */
export class CloudTrailStream implements ScanSink {
  private readonly scanner: RecordScanner;

  constructor(
    private readonly file: string,
    /** A record, an array of them or any other value read from the file, with its line. */
    private readonly onValue: (v: unknown, line: number) => void,
    private readonly onIssue: (i: InputIssue) => void,
    opts: ScanOptions = {},
    /** The keys before a document's Records (`{...,"Records":[]}`), before its first record: the foreign check. */
    private readonly onHead: (v: unknown) => void = () => {},
  ) {
    this.scanner = new RecordScanner(this, opts);
  }

  get done(): boolean {
    return this.scanner.done;
  }

  /** Complete lines read (the line of the byte being read is this + 1). */
  get lineNo(): number {
    return this.scanner.lines;
  }

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  end(): void {
    this.scanner.end();
  }

  value(text: string, line: number, depth: number, role: UnitRole): void {
    if (depth > MAX_DEPTH) {
      const what = role === 'skipped' ? 'a value beside the Records' : 'a JSON value';
      return this.issue(line, 'json.too-deep', `${what} nested deeper than ${MAX_DEPTH} levels of objects and arrays`);
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      const msg = errorText(e);
      const pos = /position (\d+)/.exec(msg);
      return this.issue(
        line + (pos ? countNewlines(text, Number(pos[1])) : 0),
        'json.malformed',
        `not valid JSON: ${msg}`,
      );
    }
    if (role !== 'skipped') this.onValue(v, line);
  }

  line(text: string, line: number): boolean {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return false;
    }
    if (opensMoreThan(text, MAX_DEPTH) && deeperThan(v, MAX_DEPTH))
      this.issue(line, 'json.too-deep', `a JSON value nested deeper than ${MAX_DEPTH} levels of objects and arrays`);
    else this.onValue(v, line);
    return true;
  }

  stream(head: string | undefined, line: number): void {
    if (head === undefined) return;
    let v: unknown;
    try {
      v = JSON.parse(head);
    } catch (e) {
      return this.issue(line, 'json.malformed', `not valid JSON before "Records": ${errorText(e)}`);
    }
    this.onHead(v);
  }

  issue(line: number, code: string, message: string): void {
    this.onIssue({ kind: 'issue', code, file: this.file, line, message });
  }
}

/** Whether the text holds more than `max` of `{` and `[` (in strings or not: an upper bound of the nesting). */
function opensMoreThan(s: string, max: number): boolean {
  let n = 0;
  for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) if (++n > max) return true;
  for (let i = s.indexOf('['); i >= 0; i = s.indexOf('[', i + 1)) if (++n > max) return true;
  return false;
}
