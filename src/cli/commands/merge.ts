import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { examples } from '../help.js';
import { GROUP, quietOption } from '../options.js';
import { openProfile } from '../../profile/io.js';
import { mergeStreams } from '../../profile/mergeStream.js';
import type { ProfileStream } from '../../profile/read.js';
import { writeProfileOutput } from './profile.js';
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
      new Option(
        '-o, --output <file>',
        'write the merged profile here, gzip when it ends in .gz (default: stdout)',
      ).helpGroup(GROUP.output),
    )
    .addOption(quietOption('no summary on stderr'))
    .action(async (paths: string[], flags: { output?: string; quiet?: boolean }) => {
      // Each input streams (v1alpha2) or is read whole (v1alpha1): one principal of each in memory at a time.
      const inputs: ProfileStream[] = [];
      for (const p of paths) inputs.push(await openProfile(resolve(ctx.io.cwd, p)));
      const merged = mergeStreams(inputs);
      await writeProfileOutput(ctx, flags.output, merged);
      const w = merged.head.window;
      if (!flags.quiet)
        ctx.io.stderr.write(
          `merged ${paths.length} profiles: ${merged.principalCount()} principals, window ${w.start || '?'} .. ${w.end || '?'}\n`,
        );
    });
}
