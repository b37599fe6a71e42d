import type { Command } from 'commander';
import { examples } from '../help.js';
import { outputOption, quietOption } from '../options.js';
import type { ProfileStream } from '../../profile/read.js';
import type { Ctx } from '../context.js';
import { tupleKey } from '../../util/key.js';
import { escapeControls } from '../../util/escape.js';

/** `audit2policy merge PROFILE... -o merged.json` */
export function registerMerge(program: Command, ctx: Ctx): void {
  const cmd = program.command('merge');
  examples(cmd, [
    ['a week from its days and shards, in any order', 'merge monday.json tuesday.json shard-*.json -o week.json'],
  ]);
  cmd
    .description('combine profiles of different days or shards (order does not matter)')
    .argument('<profiles...>', 'profile files (one may be - for stdin)')
    .addOption(
      outputOption(
        '-o, --output <file>',
        'write the merged profile here, gzip when it ends in .gz (default and -: stdout)',
      ),
    )
    .addOption(quietOption('no summary on stderr'))
    .action(async (paths: string[], flags: { output?: string; quiet?: boolean }) => {
      const { openProfile } = await import('../../profile/io.js');
      const { mergeStreams } = await import('../../profile/mergeStream.js');
      const { mixedFiltersWarning } = await import('../../profile/filters.js');
      const { writeProfileOutput } = await import('../profileOutput.js');
      // Each input streams (v1alpha2) or is read whole (v1alpha1): one principal of each in memory at a time.
      const inputs: ProfileStream[] = [];
      const { profileAt } = await import('../stdinFile.js');
      for (const p of paths) {
        const at = await profileAt(p, ctx.io);
        inputs.push(await openProfile(at.file, at.name));
      }
      // Said even with --quiet: the merged profile would count those records twice.
      for (const line of overlaps(paths, inputs)) ctx.io.stderr.write(`warning: ${line}\n`);
      const merged = mergeStreams(inputs);
      // Said even with --quiet, as the overlaps: a principal one input left out is the others' view of it only.
      const mixed = mixedFiltersWarning(merged.head.filters);
      if (mixed) ctx.io.stderr.write(`warning: ${escapeControls(mixed)}\n`);
      await writeProfileOutput(ctx, flags.output, merged);
      const w = merged.head.window;
      if (!flags.quiet)
        ctx.io.stderr.write(
          `merged ${paths.length} profiles: ${merged.principalCount()} principals, window ${w.start || '?'} .. ${w.end || '?'}\n`,
        );
    });
}

const SHOWN_OVERLAPS = 5;

/**
 * Logs two inputs both hold (the same path, format, size and record count), each said once: a day merged twice, or a
 * merged profile merged again with its own parts. Their records would be counted twice; nothing else changes (a
 * merge is a union of what was seen), so it is a warning, not a refusal. Two inputs read with different filters
 * (shards of one log by subject or namespace) hold the same log on purpose: only a record both filters keep counts
 * twice, which the filters warning speaks of, so this says it may.
 */
export function overlaps(paths: string[], inputs: Pick<ProfileStream, 'head'>[]): string[] {
  const first = new Map<string, number>();
  const found: string[] = [];
  let same = false;
  const filters = inputs.map((input) => JSON.stringify(input.head.filters ?? []));
  inputs.forEach((input, i) => {
    for (const s of input.head.sources) {
      if (s.format === 'skipped' || s.records === 0) continue;
      const key = tupleKey(s.path, s.format, String(s.bytes), String(s.records));
      const j = first.get(key);
      if (j === undefined) first.set(key, i);
      else if (j !== i) {
        const what = `${paths[j]} and ${paths[i]} both hold ${s.path} (${s.bytes.toLocaleString('en-US')} bytes, ${s.records.toLocaleString('en-US')} records)`;
        if (filters[j] === filters[i]) {
          same = true;
          found.push(`${what}: its records are counted twice`);
        } else found.push(`${what}, read with different filters: a record both keep is counted twice`);
      }
    }
  });
  if (found.length === 0) return [];
  const shown = found.slice(0, SHOWN_OVERLAPS);
  if (found.length > SHOWN_OVERLAPS) shown.push(`${found.length - SHOWN_OVERLAPS} more logs are in two inputs`);
  if (same) shown.push('merge each profile once: a merged profile already holds the profiles it was merged from');
  return shown;
}
