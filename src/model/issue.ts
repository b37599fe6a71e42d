/**
 * A problem with one piece of input. Bad input is data: it travels beside good
 * observations, is counted, and is reported with its file and line.
 */
export interface InputIssue {
  kind: 'issue';
  /** Dotted id, stable across releases: `json.malformed`, `k8s.wrong-kind`, `gzip.truncated`... */
  code: string;
  /** Path as given on the command line (or `-` for stdin). */
  file: string;
  /** 1-based line number; 0 when the problem is with the file as a whole. */
  line: number;
  message: string;
  /**
   * `notice`: the record was kept, read with what could be read (a time in another form, no time at
   * all); counted apart from issues, never a reason for `--on-error fail`. Absent: the record was dropped.
   */
  level?: 'notice';
  /** A notice counted once per file: the file's first one stands for all, with their count. */
  perFile?: true;
}

/** A file that was read but recognised as something else (README, zip): a notice, not an error. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** Compare issues for deterministic output: by file, then line, then code. */
export function compareIssues(a: InputIssue, b: InputIssue): number {
  return cmp(a.file, b.file) || a.line - b.line || cmp(a.code, b.code) || cmp(a.message, b.message);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A whole input that cannot be used (a profile that is no profile, a file that cannot be read): the
 * run stops with one line naming it and exit 2. Never an "internal error": files can hold anything.
 */
export class InputError extends Error {}

/** A mistake in how the tool was asked (an option value): one line, exit 2. */
export class UsageError extends Error {}
