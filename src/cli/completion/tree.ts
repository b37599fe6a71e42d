import type { Command, Option } from 'commander';

/** What a word completes to: nothing, a file, a directory, a free value, one of some choices, a command name. */
export type ValueKind =
  | { type: 'none' }
  | { type: 'file' }
  | { type: 'dir' }
  | { type: 'word' }
  | { type: 'choice'; choices: string[] }
  | { type: 'commands' };

export interface CompletionOption {
  /** `-o`, `--output`. */
  flags: string[];
  description: string;
  value: ValueKind;
  /** Whether the option takes several values (`--k8s-audit a b`). */
  many: boolean;
}

export interface CompletionNode {
  /** The names below the program: `generate rbac` as two names. */
  path: string[];
  description: string;
  commands: CompletionNode[];
  options: CompletionOption[];
  /** What the command's own arguments complete to. */
  args: ValueKind;
}

function optionValue(o: Option): ValueKind {
  if (o.negate || (!o.required && !o.optional)) return { type: 'none' };
  if (o.argChoices) return { type: 'choice', choices: [...o.argChoices] };
  if (/<dir>/.test(o.flags)) return { type: 'dir' };
  if (/<(path|file)(\.\.\.)?>/.test(o.flags)) return { type: 'file' };
  return { type: 'word' };
}

function argsValue(cmd: Command): ValueKind {
  if (cmd.name() === 'help') return { type: 'commands' };
  const a = cmd.registeredArguments[0];
  if (!a) return { type: 'none' };
  return a.argChoices ? { type: 'choice', choices: [...a.argChoices] } : { type: 'file' };
}

/**
 * The command tree as commander holds it, with what each word completes to: the shell scripts are
 * rendered from this, so they list exactly the commands and options the program parses.
 */
export function completionTree(cmd: Command, path: string[] = []): CompletionNode {
  const help = cmd.createHelp();
  return {
    path,
    description: cmd.description(),
    commands: help.visibleCommands(cmd).map((c) => completionTree(c, [...path, c.name()])),
    options: help.visibleOptions(cmd).map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => !!f),
      description: o.description,
      value: optionValue(o),
      many: o.variadic,
    })),
    args: argsValue(cmd),
  };
}

/** Every node of the tree, the root first. */
export const allNodes = (n: CompletionNode): CompletionNode[] => [n, ...n.commands.flatMap(allNodes)];

/** The tree's value kinds in words a script reads back: `file 1`, `choice 0 bash zsh fish`. */
export const valueWords = (v: ValueKind, many: boolean): string =>
  v.type === 'none' ? '' : `${v.type} ${many ? 1 : 0}${v.type === 'choice' ? ` ${v.choices.join(' ')}` : ''}`;

/** A string in single quotes for sh, bash and zsh. */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** One line of description: whitespace collapsed. */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
