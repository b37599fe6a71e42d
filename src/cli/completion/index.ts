import { Argument, type Command } from 'commander';
import type { Ctx } from '../context.js';
import { examples } from '../help.js';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { completionTree } from './tree.js';
import { zshScript } from './zsh.js';

export const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
export type Shell = keyof typeof SHELLS;

/** The completion script of a shell for the program's command tree as it is now. */
export function completionScript(program: Command, shell: Shell, version: string): string {
  return SHELLS[shell](program.name(), version, completionTree(program));
}

/** `audit2policy completion bash|zsh|fish`: prints a script made from the command tree, so it cannot go stale. */
export function registerCompletion(program: Command, ctx: Ctx, version: string): void {
  const cmd = program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish (commands, options, their values)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)));
  examples(cmd, [
    ['bash, for every shell', 'completion bash > /etc/bash_completion.d/audit2policy'],
    ['zsh, for every shell (a directory of $fpath)', 'completion zsh > ~/.zsh/completions/_audit2policy'],
    ['fish, for every shell', 'completion fish > ~/.config/fish/completions/audit2policy.fish'],
  ]);
  cmd.action((shell: Shell) => {
    ctx.io.stdout.write(completionScript(program, shell, version));
  });
}
