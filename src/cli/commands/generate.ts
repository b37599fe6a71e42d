import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { writeTree } from '../../emit/writeTree.js';
import { escapeControls } from '../../util/escape.js';
import {
  generateAll,
  KINDS,
  KIND_NAMES,
  learningWarnings,
  stillLearning,
  type AnyKind,
  type Generated,
  type SummaryLine,
} from '../../kinds/index.js';
import type { Profile } from '../../model/profile.js';
import { UsageError } from '../errors.js';
import type { Ctx } from '../context.js';
import { observedProfile } from '../input.js';
import { addFilterOptions, addSourceOptions, type SourceFlags } from '../options.js';

interface GenerateFlags extends SourceFlags {
  output?: string;
  [option: string]: unknown;
}

/** A kind's generator options on a command; `prefix` marks whose they are in `generate all`. */
export function addKindOptions(cmd: Command, kind: AnyKind, prefix: string): void {
  for (const o of kind.options) {
    const opt = new Option(o.flags, `${prefix}${o.description}`);
    if (o.choices) opt.choices(o.choices);
    if (o.default !== undefined) opt.default(o.default);
    cmd.addOption(opt);
  }
}

function printSummary(ctx: Ctx, lines: SummaryLine[]): void {
  const paint = { plain: (x: string) => x, warn: ctx.c.yellow, hint: ctx.c.dim };
  for (const l of lines) ctx.io.stderr.write(paint[l.tone](`${escapeControls(l.text)}\n`));
}

export const EXACT_HELP =
  'no generalization: keep names and keys the logs show to be made up (pods of a rollout, CronJob runs, dated keys) exactly as seen';

/** Subjects still meeting new accesses on the soak's last day, as warnings. */
function learning(made: Generated[], profile: Profile): SummaryLine[] {
  return learningWarnings(
    stillLearning(
      made.flatMap((g) => g.classes),
      profile.window.start,
      profile.window.end,
    ),
  ).map((text) => ({ text, tone: 'warn' as const }));
}

/** Each kind's output roots under -o: its policies and its evidence. */
const roots = (g: Generated) => [g.kind, `evidence/${g.kind}`];

/** `audit2policy generate rbac (--profile FILE | [sources] [filters]) [-o DIR]` */
export function registerGenerate(program: Command, ctx: Ctx): void {
  const gen = program.command('generate').description('generate least-privilege policy from a profile or logs');
  // One subcommand per kind: the same sources, filters and output handling, the kind's own widenings.
  for (const name of KIND_NAMES) {
    const k = KINDS[name];
    const cmd = gen.command(k.name).description(k.description);
    addSourceOptions(cmd, true);
    addFilterOptions(cmd, 'skip');
    cmd.option('-o, --output <dir>', k.outputHelp);
    cmd.option('--exact', EXACT_HELP);
    addKindOptions(cmd, k, '');
    cmd.action(async (flags: GenerateFlags) => {
      const options = k.parseOptions(flags);
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const g = await k.generate(profile, options);
      if (!flags.quiet) printSummary(ctx, [...g.summary(flags.output), ...learning([g], profile)]);
      if (flags.output) await writeTree(resolve(ctx.io.cwd, flags.output), roots(g), g.files);
      else ctx.io.stdout.write(g.stdout);
    });
  }

  const all = gen
    .command('all')
    .description(
      'every kind the profile has evidence for: RBAC from Kubernetes requests, IAM from CloudTrail, NetworkPolicies from flows',
    );
  addSourceOptions(all, true);
  addFilterOptions(all, 'skip');
  all.requiredOption('-o, --output <dir>', 'write DIR/rbac, DIR/iam, DIR/netpol and DIR/evidence/');
  all.option('--exact', EXACT_HELP);
  for (const name of KIND_NAMES) addKindOptions(all, KINDS[name], `${KINDS[name].title}: `);
  all.action(async (flags: GenerateFlags) => {
    for (const name of KIND_NAMES) KINDS[name].parseOptions(flags);
    const { profile } = await observedProfile(flags, ctx.io, ctx.c);
    const made = await generateAll(profile, flags);
    if (made.length === 0)
      throw new UsageError(
        'nothing to generate: the profile holds no Kubernetes requests, AWS calls or network flows in scope',
      );
    if (!flags.quiet) for (const g of made) printSummary(ctx, g.summary(flags.output));
    if (!flags.quiet) printSummary(ctx, learning(made, profile));
    const files = new Map(made.flatMap((g) => [...g.files]));
    await writeTree(resolve(ctx.io.cwd, flags.output!), made.flatMap(roots), files);
  });
}
