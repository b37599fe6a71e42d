import { PassThrough, Writable } from 'node:stream';
import type { Command } from 'commander';
import { makeCtx } from '../../src/cli/context.js';
import { buildProgram, run } from '../../src/cli/run.js';
import { ROOT } from './cli.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const io = (stdout: Writable, stderr: Writable, cwd = ROOT) => ({
  stdout,
  stderr,
  stdin: new PassThrough(),
  env: { NO_COLOR: '1' },
  stderrIsTTY: false,
  cwd,
});

/** The CLI run in this process (for commands that read nothing: help, completion). */
export async function runInProcess(
  args: string[],
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await run(args, io(out.stream, err.stream, cwd));
  return { code, stdout: out.text(), stderr: err.text() };
}

/** The program's command tree as commander holds it. */
export function program(): Command {
  return buildProgram(makeCtx(io(sink().stream, sink().stream)));
}

/** Every command below the program, with its path of names. */
export function commands(c: Command, path: string[] = []): { cmd: Command; path: string[] }[] {
  return c.commands.flatMap((s) => [{ cmd: s, path: [...path, s.name()] }, ...commands(s, [...path, s.name()])]);
}
