import { VERSION } from '../version.js';
import { Command, CommanderError } from 'commander';
import { InputError } from '../model/issue.js';
import { OutputConflictError } from '../emit/errors.js';
import { escapeControls } from '../util/escape.js';
import { registerGenerate } from './commands/generate.js';
import { registerInventory } from './commands/inventory.js';
import { registerCheck, registerDiff } from './commands/diff.js';
import { registerReport } from './commands/report.js';
import { registerBacktest } from './commands/backtest.js';
import { registerMerge } from './commands/merge.js';
import { registerProfile } from './commands/profile.js';
import { registerVerify } from './commands/verify.js';
import { applyConfig } from './config/apply.js';
import { registerCompletion } from './completion/index.js';
import { makeCtx, type Ctx } from './context.js';
import { addHelpCommand, configureHelp, examples } from './help.js';
import { EXIT, InputAbort, UsageError } from './errors.js';
import type { Io } from './io.js';
import { removeSpooled } from './stdinFile.js';

export type { Io } from './io.js';

export { VERSION };

/** The whole command tree, its actions writing to `ctx`: run() parses with it, tests and completion read it. */
export function buildProgram(ctx: Ctx): Command {
  const io = ctx.io;
  const program = configureHelp(
    new Command('audit2policy')
      .description('Turn what staging actually did into least-privilege policy, proven by replay.')
      .version(VERSION)
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)')
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }),
  );
  examples(program, [
    [
      'profile, generate, verify and report on the bundled demo',
      'profile --k8s-audit fixtures/demo/k8s-audit --cloudtrail fixtures/demo/cloudtrail --flows fixtures/demo/flows --inventory fixtures/demo/inventory -o week.json',
    ],
    [
      'least-privilege RBAC, IAM and NetworkPolicies with their evidence',
      'generate all --profile week.json -o policy/',
    ],
    ['replay what was observed against the policies', 'verify --policies policy/ --profile week.json'],
    ["the security reviewer's report (one HTML file)", 'report --profile week.json --policies policy/ -o report.html'],
    ['the options of one command, by group', 'help generate rbac'],
  ]);
  registerProfile(program, ctx);
  registerMerge(program, ctx);
  registerGenerate(program, ctx);
  registerVerify(program, ctx);
  registerInventory(program, ctx);
  registerDiff(program, ctx);
  registerCheck(program, ctx);
  registerReport(program, ctx);
  registerBacktest(program, ctx);
  registerCompletion(program, ctx, VERSION);
  addHelpCommand(program);
  for (const cmd of allCommands(program))
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  // The config file's sources, filters and widenings, under what the command line gave.
  program.hook('preAction', (_program, action) => applyConfig(action, io));
  return program;
}

/** Run the CLI: parse, call the library, format, and return the exit code. Never exits the process. */
export async function run(argv: string[], io: Io): Promise<number> {
  const ctx = makeCtx(io);
  const program = buildProgram(ctx);
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
    // Our messages may hold several lines (a config file's mistakes, one per line); each is escaped on its own.
    const lines = (e as Error).message.split('\n').map((l) => escapeControls(l));
    io.stderr.write(ctx.c.red(`error: ${lines.join('\n')}\n`));
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
  } finally {
    removeSpooled(io);
  }
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
