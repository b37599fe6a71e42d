import type { Command } from 'commander';
import { writeFileAtomic } from '../../emit/writeTree.js';
import { serializeProfile } from '../../profile/io.js';
import type { Ctx } from '../context.js';
import { observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, type SourceFlags } from '../options.js';
import { resolve } from 'node:path';

/** `audit2policy profile [sources] [filters] -o profile.json` */
export function registerProfile(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('profile')
    .description('read logs into a profile: the normal-behaviour graph with evidence');
  addSourceOptions(cmd, false);
  addFilterOptions(cmd, 'skip');
  cmd.option('-o, --output <file>', 'write the profile here (default: stdout)');
  cmd.action(async (flags: SourceFlags & { output?: string }) => {
    const { profile } = await observedProfile(flags, ctx.io, ctx.c);
    const text = serializeProfile(profile);
    if (flags.output) {
      await writeFileAtomic(resolve(ctx.io.cwd, flags.output), text);
      if (!flags.quiet) ctx.io.stderr.write(`wrote ${flags.output}\n`);
    } else ctx.io.stdout.write(text);
  });
}
