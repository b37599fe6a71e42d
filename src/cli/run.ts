import { VERSION } from '../version.js';
import { Command, CommanderError } from 'commander';
import { InputError } from '../model/issue.js';
import { OutputConflictError } from '../emit/writeTree.js';
import { escapeControls } from '../util/escape.js';
import { registerGenerate } from './commands/generate.js';
import { registerInventory } from './commands/inventory.js';
import { registerCheck, registerDiff } from './commands/diff.js';
import { registerReport } from './commands/report.js';
import { registerBacktest } from './commands/backtest.js';
import { registerMerge } from './commands/merge.js';
import { registerProfile } from './commands/profile.js';
import { registerVerify } from './commands/verify.js';
import { makeCtx } from './context.js';
import { EXIT, UsageError } from './errors.js';
import { InputAbort } from './input.js';
import type { Io } from './io.js';

export type { Io } from './io.js';

export { VERSION };

/** Run the CLI: parse, call the library, format, and return the exit code. Never exits the process. */
export async function run(argv: string[], io: Io): Promise<number> {
  const ctx = makeCtx(io);
  const program = new Command('audit2policy')
    .description('Turn what staging actually did into least-privilege policy, proven by replay.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerProfile(program, ctx);
  registerMerge(program, ctx);
  registerGenerate(program, ctx);
  registerVerify(program, ctx);
  registerInventory(program, ctx);
  registerDiff(program, ctx);
  registerCheck(program, ctx);
  registerReport(program, ctx);
  registerBacktest(program, ctx);
  for (const cmd of allCommands(program))
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    const verbose = argv.includes('--verbose');
    const known =
      e instanceof UsageError || e instanceof InputError || e instanceof InputAbort || e instanceof OutputConflictError;
    io.stderr.write(ctx.c.red(`error: ${escapeControls((e as Error).message)}\n`));
    if (verbose)
      io.stderr.write(
        `${((e as Error).stack ?? '')
          .split('\n')
          .map((l) => escapeControls(l))
          .join('\n')}\n`,
      );
    else if (!known)
      io.stderr.write('(an internal error: run again with --verbose for the stack trace, and please report it)\n');
    return EXIT.error;
  }
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
