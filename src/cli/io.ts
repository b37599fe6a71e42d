import type { Readable, Writable } from 'node:stream';

/** Everything a command touches of its process, so commands run in tests without one. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal: progress and colour only then. */
  stderrIsTTY: boolean;
  /** Working directory that relative paths resolve against. */
  cwd: string;
}
