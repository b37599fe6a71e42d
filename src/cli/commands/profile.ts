import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { addConfigOption, refuseConfigKeys } from '../config/apply.js';
import { examples } from '../help.js';
import { addFilterOptions, addSourceOptions, outputOption, type SourceFlags } from '../options.js';

/** `audit2policy profile [sources] [filters] -o profile.json` */
export function registerProfile(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('profile')
    .description('read logs into a profile: the normal-behaviour graph with evidence');
  addSourceOptions(cmd, false);
  addFilterOptions(cmd, 'skip');
  cmd.addOption(
    outputOption('-o, --output <file>', 'write the profile here, gzip when it ends in .gz (default and -: stdout)'),
  );
  addConfigOption(cmd);
  refuseConfigKeys(cmd, { 'sources.profile': 'profile reads logs, not a profile' });
  examples(cmd, [
    ["a day of the API server's audit log", 'profile --k8s-audit /var/log/kube-audit/ -o monday.json'],
    [
      'every source of a soak, with the cluster inventory',
      'profile --k8s-audit audit/ --cloudtrail AWSLogs/ --flows hubble/ --inventory inventory.json -o week.json',
    ],
    [
      "one namespace's service accounts over the last 7 days",
      'profile --k8s-audit audit/ --namespace shop --since 7d -o shop.json',
    ],
  ]);
  cmd.action(async (flags: SourceFlags & { output?: string }) => {
    // Streamed: each principal is made from the builder's state (or a worker's) as it is written.
    const { observedStream } = await import('../input.js');
    const { writeProfileOutput } = await import('../profileOutput.js');
    const stream = await observedStream(flags, ctx.io, ctx.c);
    try {
      await writeProfileOutput(ctx, flags.output, stream.parts);
    } finally {
      await stream.close();
    }
    if (flags.output && !flags.quiet) ctx.io.stderr.write(`wrote ${flags.output}\n`);
  });
}
