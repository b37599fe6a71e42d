import { Help, type Command, type Option } from 'commander';
import { UsageError } from './errors.js';
import { GROUP } from './options.js';

const ORDER: string[] = [GROUP.sources, GROUP.filters, GROUP.windows, GROUP.widenings, GROUP.output, GROUP.options];
const rank = (group: string) => {
  const i = ORDER.indexOf(group);
  return i < 0 ? ORDER.length : i;
};

/**
 * Help shows option groups in one order on every command (sources, filters, widenings, output, the
 * rest), whatever order a command declared them in. Set on the program before its commands are added:
 * they inherit it.
 */
export function configureHelp(program: Command): Command {
  return program.configureHelp({
    groupItems<T extends Command | Option>(unsorted: T[], visible: T[], getGroup: (item: T) => string) {
      const groups = Help.prototype.groupItems.call<Help, [T[], T[], (item: T) => string], Map<string, T[]>>(
        this as Help,
        unsorted,
        visible,
        getGroup,
      );
      return new Map([...groups].sort(([a], [b]) => rank(a) - rank(b)));
    },
  });
}

/** One example: what it does, and the command line (without the program name). */
export type Example = [what: string, line: string];

const EXAMPLES = new WeakMap<Command, Example[]>();

/** Examples at the end of a command's help. */
export function examples(cmd: Command, list: Example[]): Command {
  EXAMPLES.set(cmd, list);
  return cmd.addHelpText(
    'after',
    () => `\nExamples:\n${list.map(([what, line]) => `  # ${what}\n  $ audit2policy ${line}\n`).join('')}`,
  );
}

/** A command's examples (for tests and completion descriptions). */
export const examplesOf = (cmd: Command): Example[] => EXAMPLES.get(cmd) ?? [];

/** The command a path of names leads to (`generate rbac`), or a usage error naming the step that is not one. */
export function findCommand(program: Command, path: string[]): Command {
  let cmd = program;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!next)
      throw new UsageError(
        `help: no command "${[...commandPath(cmd), name].join(' ')}" (${cmd === program ? 'commands' : `subcommands of ${commandPath(cmd).join(' ')}`}: ${cmd.commands.map((c) => c.name()).join(', ')})`,
      );
    cmd = next;
  }
  return cmd;
}

/** The names from below the program down to `cmd`: `generate rbac` as two names. */
export function commandPath(cmd: Command): string[] {
  const out: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) out.unshift(c.name());
  return out;
}

/**
 * `help [command...]`: the help of any command of the tree, `help generate rbac` included (commander's
 * own help command looks one level down only).
 */
export function addHelpCommand(program: Command): void {
  program.helpCommand(false);
  const help = program
    .command('help')
    .description('show the help of a command: help generate rbac')
    .argument('[command...]', 'the command, with its subcommand');
  examples(help, [
    ['the options of generate rbac, by group', 'help generate rbac'],
    ['every command', 'help'],
  ]);
  help.action((path: string[]) => {
    findCommand(program, path).outputHelp();
  });
}
