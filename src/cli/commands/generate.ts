import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { TreeFiles } from '../../emit/writeTree.js';
import { escapeControls } from '../../util/escape.js';
import { KIND_INFO, KIND_NAMES } from '../../kinds/info.js';
import type { KindName, Made, ProfileRest, SummaryLine } from '../../kinds/types.js';
import { UsageError } from '../errors.js';
import type { Ctx } from '../context.js';
import { addConfigOption } from '../config/apply.js';
import { examples } from '../help.js';
import {
  addFilterOptions,
  addKindOptions,
  mapOption,
  addSourceOptions,
  exactOption,
  GROUP,
  outputOption,
  type SourceFlags,
} from '../options.js';

interface GenerateFlags extends SourceFlags {
  output?: string;
  [option: string]: unknown;
}

function printSummary(ctx: Ctx, lines: SummaryLine[]): void {
  const paint = { plain: (x: string) => x, warn: ctx.c.yellow, hint: ctx.c.dim };
  for (const l of lines) ctx.io.stderr.write(paint[l.tone](`${escapeControls(l.text)}\n`));
}

/** Subjects still meeting new accesses on the soak's last day, as warnings. */
async function learning(made: Pick<Made, 'classes'>[], rest: ProfileRest): Promise<SummaryLine[]> {
  const { learningWarnings, stillLearning } = await import('../../kinds/learning.js');
  return learningWarnings(
    stillLearning(
      made.flatMap((g) => g.classes),
      rest.window.start,
      rest.window.end,
    ),
  ).map((text) => ({ text, tone: 'warn' as const }));
}

/** Each kind's output roots under -o: its policies and its evidence. */
const kindRoots = (kind: string) => [kind, `evidence/${kind}`];

/**
 * The kinds made now (their files handed over as they are made) swapped into DIR whole (`scope`: the kinds this
 * command answers for; one of them not made, `madeKinds` once the files are made, is removed from DIR), with
 * DIR/kustomization.yaml listing every Kubernetes policy file audit2policy owns there. What the tree held that is
 * not audit2policy's stays, and is said.
 */
async function writeOutput(
  ctx: Ctx,
  dir: string,
  files: TreeFiles,
  scope: string[],
  quiet: boolean | undefined,
  madeKinds: () => KindName[],
): Promise<void> {
  const { MANIFEST, writeTree } = await import('../../emit/writeTree.js');
  const { KUSTOMIZATION, kustomization } = await import('../../emit/kustomization.js');
  const kube = KIND_NAMES.filter((n) => KIND_INFO[n].kubernetesObjects);
  const r = await writeTree(dir, scope.flatMap(kindRoots), files, {
    universe: KIND_NAMES.flatMap(kindRoots),
    derived: { path: KUSTOMIZATION, make: (owned) => kustomization(owned, kube) },
  });
  if (quiet) return;
  const say = (text: string) => ctx.io.stderr.write(ctx.c.dim(`notice: ${escapeControls(text)}\n`));
  if (r.lockTakenOver !== undefined)
    say(`took over the lock of ${dir} from an audit2policy run that is gone (pid ${r.lockTakenOver})`);
  if (r.adopted)
    say(
      `${dir} had no ${MANIFEST}: ${r.adopted} files carrying audit2policy's marker taken as its own; the manifest now records them`,
    );
  for (const name of scope.filter((n) => !madeKinds().includes(n as KindName))) {
    const gone = r.removed.filter((p) => kindRoots(name).some((root) => p.startsWith(root + '/')));
    if (gone.length)
      say(
        `removed ${name}/ and evidence/${name}/ (${gone.length} files of an earlier run): this run has nothing for ${name}`,
      );
  }
  // A kind made again: what the earlier run wrote that this one does not (principals this run's --subject leaves out,
  // or no longer seen) is gone, as DIR holds this run's output alone.
  const made: string[] = madeKinds();
  const stale = r.removed.filter((p) => made.some((n) => kindRoots(n).some((root) => p.startsWith(root + '/'))));
  if (stale.length)
    say(
      `removed ${stale.length} file${stale.length === 1 ? '' : 's'} of an earlier run that this run does not write (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): ${dir} holds this run's output alone`,
    );
  if (r.derivedSkipped) say(`${KUSTOMIZATION} in ${dir} is not audit2policy's: left as it is, not rewritten`);
  const others = r.leftAlone.filter((p) => p !== r.derivedSkipped);
  const LIMIT = 10;
  for (const p of others.slice(0, LIMIT))
    say(
      r.changed.includes(p)
        ? `${p} in ${dir} was changed since audit2policy wrote it: left alone (no longer listed as audit2policy's)`
        : `${p} in ${dir} was not written by audit2policy (not in its manifest): left alone`,
    );
  if (others.length > LIMIT) say(`... and ${others.length - LIMIT} more files not audit2policy's: left alone`);
}

/** `audit2policy generate rbac (--profile FILE | [sources] [filters]) [-o DIR]` */
export function registerGenerate(program: Command, ctx: Ctx): void {
  const gen = program.command('generate').description('generate least-privilege policy from a profile or logs');
  examples(gen, [
    ['every kind with evidence, into policy/ (with policy/evidence/)', 'generate all --profile week.json -o policy/'],
    ['RBAC alone, on stdout', 'generate rbac --k8s-audit audit/'],
  ]);
  // `generate --profile x`: an option before any kind is one of a kind's (commander would call it unknown).
  const kinds = [...KIND_NAMES, 'all'];
  (gen as unknown as { unknownOption: (flag: string) => void }).unknownOption = (flag: string) => {
    const name = flag.split('=')[0]!;
    const known = gen.commands.some((c) => c.options.some((o) => o.long === name || o.short === name));
    gen.error(
      `error: generate needs a kind: ${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}` +
        (known ? ` (${name} is an option of each: generate all ${name} ...)` : ` (and ${name} is no option of theirs)`),
      { code: 'commander.missingKind' },
    );
  };
  // One subcommand per kind: the same sources, filters and output handling, the kind's own widenings.
  for (const name of KIND_NAMES) {
    const k = KIND_INFO[name];
    const cmd = gen.command(k.name).description(k.description);
    addSourceOptions(cmd, true);
    addFilterOptions(cmd, 'skip').addOption(mapOption());
    cmd.addOption(outputOption('-o, --output <dir>', k.outputHelp));
    cmd.addOption(exactOption());
    addKindOptions(cmd, k, '');
    addConfigOption(cmd);
    examples(cmd, k.examples);
    cmd.action(async (flags: GenerateFlags) => {
      const options = k.parseOptions(flags);
      const { KINDS, generateKind, runKinds } = await import('../../kinds/index.js');
      const { observedSource } = await import('../input.js');
      const kind = KINDS[name];
      const source = await observedSource(flags, ctx.io, ctx.c);
      let made: Made;
      let rest: ProfileRest;
      // Written first: "generated ... in DIR" is said only once DIR holds it.
      if (flags.output) {
        const files: TreeFiles = async (put) => {
          const r = await runKinds(source, [kind.start(options, put)], true);
          if (!r.made[0]) throw nothingToGenerate(k.nouns.observations, flags);
          made = r.made[0];
          rest = r.rest;
        };
        await writeOutput(ctx, resolve(ctx.io.cwd, flags.output), files, [k.name], flags.quiet, () => [k.name]);
      } else {
        const g = await generateKind(kind, source, options);
        if (!g.generated) throw nothingToGenerate(k.nouns.observations, flags);
        ctx.io.stdout.write(g.generated.stdout());
        [made, rest] = [g.generated, g.rest];
      }
      if (!flags.quiet)
        printSummary(ctx, [...made!.summary(shownDir(flags.output)), ...(await learning([made!], rest!))]);
    });
  }

  const all = gen
    .command('all')
    .description(
      'every kind the profile has evidence for: RBAC from Kubernetes requests, IAM from CloudTrail, NetworkPolicies from flows',
    );
  addSourceOptions(all, true);
  addFilterOptions(all, 'skip').addOption(mapOption());
  all.addOption(
    new Option('-o, --output <dir>', 'write DIR/rbac, DIR/iam, DIR/netpol and DIR/evidence/')
      .makeOptionMandatory()
      .argParser((v: string) => {
        // A tree of files has no stdout to go to (a kind's subcommand has: `generate rbac -o -`).
        if (v === '-') throw new InvalidArgumentError('generate all writes a tree of files: name a directory');
        return v;
      })
      .helpGroup(GROUP.output),
  );
  all.addOption(exactOption());
  for (const name of KIND_NAMES) addKindOptions(all, KIND_INFO[name], `${KIND_INFO[name].title}: `);
  addConfigOption(all);
  examples(all, [
    [
      'RBAC, IAM and NetworkPolicies from the logs of a soak',
      'generate all --k8s-audit audit/ --cloudtrail AWSLogs/ --flows hubble/ --inventory inventory.json -o policy/',
    ],
    ['sources, filters and widenings from ./audit2policy.yaml', 'generate all -o policy/'],
  ]);
  all.action(async (flags: GenerateFlags) => {
    const { allKinds, runKinds } = await import('../../kinds/index.js');
    const { observedSource } = await import('../input.js');
    const kinds = allKinds(flags);
    const source = await observedSource(flags, ctx.io, ctx.c);
    // Each principal's files are written as they are made: neither the profile (read from its file principal by
    // principal) nor the policies are held whole.
    let made: Made[] = [];
    let rest: ProfileRest | undefined;
    const files: TreeFiles = async (put) => {
      const r = await runKinds(
        source,
        kinds.map((k) => k.kind.start(k.options, put)),
        true,
      );
      made = r.made.filter((m) => m !== undefined);
      rest = r.rest;
      if (made.length === 0) throw nothingToGenerate('Kubernetes requests, AWS calls or network flows', flags);
      // Flows are not filtered by subject: a --subject matching no one would otherwise remove every subject's files.
      if (flags['subject'] !== undefined && r.principals === 0) throw nothingToGenerate('subjects', flags);
    };
    await writeOutput(ctx, resolve(ctx.io.cwd, flags.output!), files, [...KIND_NAMES], flags.quiet, () =>
      made.map((m) => m.kind),
    );
    if (!flags.quiet) for (const g of made) printSummary(ctx, g.summary(shownDir(flags.output)));
    if (!flags.quiet) printSummary(ctx, await learning(made, rest!));
  });
}

/**
 * A run with nothing for what it was asked to make: an error (exit 2) before anything is written, so a typo in a
 * filter or a path that holds no log never empties the policy an earlier run wrote.
 */
function nothingToGenerate(what: string, flags: GenerateFlags): UsageError {
  const given = FILTERS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
  const filtered = given.length ? ` (filtered by ${given.join(', ')}: do they match what the logs hold?)` : '';
  const kept = flags.output ? `; ${shownDir(flags.output)} is left as it was` : '';
  return new UsageError(`nothing to generate: the profile holds no ${what} in scope${filtered}${kept}`);
}

const FILTERS = [
  ['subject', '--subject'],
  ['excludeSubject', '--exclude-subject'],
  ['namespace', '--namespace'],
  ['since', '--since'],
  ['until', '--until'],
] as const;

/** An output directory as summaries name it: `policy/` and `policy` alike, so `policy/rbac`, never `policy//rbac`. */
export function shownDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const trimmed = dir.replace(/[\\/]+$/, '');
  return trimmed === '' ? dir.slice(0, 1) : trimmed;
}
