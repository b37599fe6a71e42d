import { PassThrough, Writable } from 'node:stream';
import { run } from '../../src/cli/run.js';

/** A stream that keeps what is written to it, and its text. */
export function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * The CLI run in this process (`run`, as bin/audit2policy.js calls it), from `cwd`: its exit code, stdout and stderr.
 * Faster than a child process for the fuzzers' hundreds of runs; a throw (run() never throws) is exit code -1 with its
 * stack on stderr.
 */
export async function cliInProcess(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  let code: number;
  try {
    code = await run(args, {
      stdout: out.stream,
      stderr: err.stream,
      stdin: new PassThrough(),
      env: { NO_COLOR: '1' },
      stderrIsTTY: false,
      cwd,
    });
  } catch (e) {
    code = -1;
    err.stream.write(`run() threw: ${(e as Error).stack ?? String(e)}\n`);
  }
  return { code, stdout: out.text(), stderr: err.text() };
}
