/** The types of the record scanner (scanner.ts): what it hands over, and how a scan is set up. */

/** `unknown` until the first value ends on its line (`lines`) or spans a line break (`document`). */
export type ScanMode = 'unknown' | 'lines' | 'document';
/** A top-level value, one element of a streamed array, or a value of another key of a streamed document. */
export type UnitRole = 'value' | 'element' | 'skipped';

export interface ScanSink {
  /** A unit's text, the line it starts on and its nesting (1 for `{}`, 0 for a scalar). */
  value(text: string, line: number, depth: number, role: UnitRole): void;
  /**
   * Fast path: a whole line, or a record of a streamed array whose end was guessed (recordEnds.ts). False when it is
   * not one valid JSON value: the scanner then reads it byte by byte.
   */
  line(text: string, line: number): boolean;
  /** A document's Records are about to stream: the keys before them as `{...,"Records":[]}` (undefined: too large). */
  stream(head: string | undefined, line: number): void;
  issue(line: number, code: string, message: string): void;
}

/** Where a byte range of a document starts: at an element of the first value's streamed array. */
export interface ScanResume {
  container: 'records' | 'array';
  mode: ScanMode;
}

export interface ScanOptions {
  /** Absolute offset of the first byte pushed. */
  base?: number;
  /** Stop at the first element starting at or past this absolute offset (it belongs to the next range). */
  limit?: number;
  resume?: ScanResume;
  /** A unit larger than this is counted and dropped as it streams (default MAX_LINE_BYTES). */
  maxBytes?: number;
  /** Boundary pre-scan: called at the first byte of each element of the file's first value; true stops the scan. */
  onElement?: (offset: number, resume: ScanResume) => boolean;
  /** False: elements are scanned, never cut out nor handed over (the boundary pre-scan). */
  captureElements?: boolean;
  /** False: every element is scanned byte by byte, its end never guessed (recordEnds.ts; tests compare the two). */
  guessEnds?: boolean;
}
