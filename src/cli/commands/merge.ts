import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { examples } from '../help.js';
import { GROUP, quietOption } from '../options.js';
import { writeFileAtomic } from '../../emit/writeTree.js';
import { readProfile, serializeProfile } from '../../profile/io.js';
import { mergeProfiles } from '../../profile/merge.js';
import type { Ctx } from '../context.js';

/** `audit2policy merge PROFILE... -o merged.json` */
export function registerMerge(program: Command, ctx: Ctx): void {
  const cmd = program.command('merge');
  examples(cmd, [
    ['a week from its days and shards, in any order', 'merge monday.json tuesday.json shard-*.json -o week.json'],
  ]);
  cmd
    .description('combine profiles of different days or shards (order does not matter)')
    .argument('<profiles...>', 'profile files')
    .addOption(
      new Option('-o, --output <file>', 'write the merged profile here (default: stdout)').helpGroup(GROUP.output),
    )
    .addOption(quietOption('no summary on stderr'))
    .action(async (paths: string[], flags: { output?: string; quiet?: boolean }) => {
      const profiles = [];
      for (const p of paths) profiles.push(await readProfile(resolve(ctx.io.cwd, p)));
      const merged = mergeProfiles(profiles);
      const text = serializeProfile(merged);
      if (flags.output) await writeFileAtomic(resolve(ctx.io.cwd, flags.output), text);
      else ctx.io.stdout.write(text);
      if (!flags.quiet)
        ctx.io.stderr.write(
          `merged ${paths.length} profiles: ${merged.principals.length} principals, window ${merged.window.start || '?'} .. ${merged.window.end || '?'}\n`,
        );
    });
}
