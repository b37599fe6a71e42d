import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { KUSTOMIZATION, kustomization } from '../../emit/kustomization.js';
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
import { addConfigOption } from '../config/apply.js';
import { examples } from '../help.js';
import {
  addFilterOptions,
  addSourceOptions,
  exactOption,
  GROUP,
  kindOptionList,
  type SourceFlags,
} from '../options.js';

interface GenerateFlags extends SourceFlags {
  output?: string;
  [option: string]: unknown;
}

/** A kind's generator options on a command; `prefix` marks whose they are in `generate all`. */
export function addKindOptions(cmd: Command, kind: AnyKind, prefix: string): void {
  for (const o of kindOptionList(kind, prefix)) cmd.addOption(o);
}

function printSummary(ctx: Ctx, lines: SummaryLine[]): void {
  const paint = { plain: (x: string) => x, warn: ctx.c.yellow, hint: ctx.c.dim };
  for (const l of lines) ctx.io.stderr.write(paint[l.tone](`${escapeControls(l.text)}\n`));
}

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

/**
 * The kinds made now, swapped into DIR whole, with DIR/kustomization.yaml listing every Kubernetes
 * policy file there (this run's, and those of kinds not generated now).
 */
async function writeOutput(ctx: Ctx, dir: string, made: Generated[], quiet: boolean | undefined): Promise<void> {
  const files = new Map(made.flatMap((g) => [...g.files]));
  // A kustomization.yaml someone wrote there is theirs: left as it is, ours not written.
  const theirs = await readFile(join(dir, KUSTOMIZATION), 'utf8').then(
    (t) => !t.includes('managed-by: audit2policy'),
    () => false,
  );
  if (theirs) {
    if (!quiet) ctx.io.stderr.write(ctx.c.dim(`notice: ${KUSTOMIZATION} in ${dir} is not ours: left as it is\n`));
    await writeTree(dir, made.flatMap(roots), files);
    return;
  }
  const listing = await kustomization(
    dir,
    KIND_NAMES.filter((n) => KINDS[n].kubernetesObjects).map((name) => {
      const g = made.find((x) => x.kind === name);
      return g ? { name, files: g.files.keys() } : { name };
    }),
  );
  if (listing) files.set(KUSTOMIZATION, listing);
  await writeTree(dir, [...made.flatMap(roots), KUSTOMIZATION], files);
}

/** `audit2policy generate rbac (--profile FILE | [sources] [filters]) [-o DIR]` */
export function registerGenerate(program: Command, ctx: Ctx): void {
  const gen = program.command('generate').description('generate least-privilege policy from a profile or logs');
  examples(gen, [
    ['every kind with evidence, into policy/ (with policy/evidence/)', 'generate all --profile week.json -o policy/'],
    ['RBAC alone, on stdout', 'generate rbac --k8s-audit audit/'],
  ]);
  // One subcommand per kind: the same sources, filters and output handling, the kind's own widenings.
  for (const name of KIND_NAMES) {
    const k = KINDS[name];
    const cmd = gen.command(k.name).description(k.description);
    addSourceOptions(cmd, true);
    addFilterOptions(cmd, 'skip');
    cmd.addOption(new Option('-o, --output <dir>', k.outputHelp).helpGroup(GROUP.output));
    cmd.addOption(exactOption());
    addKindOptions(cmd, k, '');
    addConfigOption(cmd);
    examples(cmd, k.examples);
    cmd.action(async (flags: GenerateFlags) => {
      const options = k.parseOptions(flags);
      const { profile } = await observedProfile(flags, ctx.io, ctx.c);
      const g = await k.generate(profile, options);
      // Written first: "generated ... in DIR" is said only once DIR holds it.
      if (flags.output) await writeOutput(ctx, resolve(ctx.io.cwd, flags.output), [g], flags.quiet);
      else ctx.io.stdout.write(g.stdout);
      if (!flags.quiet) printSummary(ctx, [...g.summary(flags.output), ...learning([g], profile)]);
    });
  }

  const all = gen
    .command('all')
    .description(
      'every kind the profile has evidence for: RBAC from Kubernetes requests, IAM from CloudTrail, NetworkPolicies from flows',
    );
  addSourceOptions(all, true);
  addFilterOptions(all, 'skip');
  all.addOption(
    new Option('-o, --output <dir>', 'write DIR/rbac, DIR/iam, DIR/netpol and DIR/evidence/')
      .makeOptionMandatory()
      .helpGroup(GROUP.output),
  );
  all.addOption(exactOption());
  for (const name of KIND_NAMES) addKindOptions(all, KINDS[name], `${KINDS[name].title}: `);
  addConfigOption(all);
  examples(all, [
    [
      'RBAC, IAM and NetworkPolicies from the logs of a soak',
      'generate all --k8s-audit audit/ --cloudtrail AWSLogs/ --flows hubble/ --inventory inventory.json -o policy/',
    ],
    ['sources, filters and widenings from ./audit2policy.yaml', 'generate all -o policy/'],
  ]);
  all.action(async (flags: GenerateFlags) => {
    for (const name of KIND_NAMES) KINDS[name].parseOptions(flags);
    const { profile } = await observedProfile(flags, ctx.io, ctx.c);
    const made = await generateAll(profile, flags);
    if (made.length === 0)
      throw new UsageError(
        'nothing to generate: the profile holds no Kubernetes requests, AWS calls or network flows in scope',
      );
    await writeOutput(ctx, resolve(ctx.io.cwd, flags.output!), made, flags.quiet);
    if (!flags.quiet) for (const g of made) printSummary(ctx, g.summary(flags.output));
    if (!flags.quiet) printSummary(ctx, learning(made, profile));
  });
}
