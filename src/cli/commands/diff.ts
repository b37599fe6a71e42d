import { Option, type Command } from 'commander';
import type { CiReport } from '../../diff/index.js';
import { KIND_NAMES } from '../../kinds/info.js';
import type { InputIssue } from '../../model/issue.js';
import { SKIPPED_SHOWN } from '../../model/finding.js';
import { FAIL_ON } from '../../report/ci/common.js';
import { CI_FORMAT_NAMES, type CiFormat } from '../../report/formats.js';
import type { Ctx } from '../context.js';
import { EXIT, InputAbort, UsageError } from '../errors.js';
import { addConfigOption } from '../config/apply.js';
import { examples } from '../help.js';
import {
  addFilterOptions,
  mapOption,
  addSourceOptions,
  GROUP,
  defaultGrantsFacts,
  defaultGrantsOption,
  networkPluginFlag,
  networkPluginOption,
  parseKinds,
  quietOption,
  type SourceFlags,
} from '../options.js';
import { POLICIES, policiesOption } from './verify.js';

async function reportIssues(ctx: Ctx, issues: InputIssue[], onError: string | undefined): Promise<CiReport['skipped']> {
  const { printIssues } = await import('../summary.js');
  printIssues(ctx.io.stderr, issues, ctx.c);
  // A CI gate must not pass on input it could not read.
  if (issues.length && onError !== 'skip')
    throw new InputAbort(`${issues.length} policy issue${issues.length === 1 ? '' : 's'} with --on-error fail`);
  // Under skip, the report says so itself (a pull-request comment is read without the job's stderr).
  const errors = issues.filter((i) => i.level !== 'notice');
  if (errors.length === 0) return undefined;
  const shown = errors
    .slice(0, SKIPPED_SHOWN)
    .map((i) => ({ file: i.file, line: i.line, code: i.code, message: i.message }));
  return { count: errors.length, issues: shown };
}

async function finish(
  ctx: Ctx,
  r: CiReport,
  format: CiFormat,
  failOn: string,
  quiet: boolean | undefined,
): Promise<void> {
  const { counts, failing, render } = await import('../../report/ci/index.js');
  ctx.io.stdout.write(render(r, format, failOn));
  if (!quiet && format !== 'text') ctx.io.stderr.write(`${r.command}: ${counts(r)}\n`);
  ctx.exitCode = failing(r, failOn) ? EXIT.findings : EXIT.ok;
}

const kindOption = () =>
  new Option('--kind <kinds>', `comma-separated: ${KIND_NAMES.join(',')} (default: all)`).helpGroup(GROUP.filters);

interface DiffFlags {
  networkPlugin?: string;
  defaultGrants?: boolean;
  allowEmpty?: boolean;
  kind?: string;
  profile?: string;
  inventory?: string[];
  format: CiFormat;
  failOn: string;
  onError?: string;
  quiet?: boolean;
}

/**
 * `audit2policy diff BASE HEAD [--kind ...] [--profile FILE] [--inventory PATH...] [--format FMT] [--fail-on
 * ...]`
 */
export function registerDiff(program: Command, ctx: Ctx): void {
  const diff = program.command('diff');
  addConfigOption(diff);
  examples(diff, [
    [
      'what a pull request newly allows, riskiest first, as a comment',
      'diff main/policy/ policy/ --profile soak.json --format markdown',
    ],
    [
      'a CI gate on risky new access, as GitHub annotations',
      'diff main/policy/ policy/ --fail-on risky --format github',
    ],
    ['is the committed policy in sync with what the soak needs?', 'diff policy/ generated/ --profile soak.json'],
  ]);
  diff
    .description(
      'review a policy change by meaning: what HEAD newly allows and no longer allows, riskiest first (exit 1 per --fail-on)',
    )
    .argument('<base>', 'the policy in force (main, or the committed policy): a file or directory, walked recursively')
    .argument('<head>', 'the proposed policy (the pull request, or the freshly generated one): a file or directory')
    .addOption(kindOption())
    .addOption(
      new Option(
        '--profile <file>',
        'a profile: evidence for each line, and the workloads NetworkPolicies are compared over',
      ).helpGroup(GROUP.sources),
    )
    .addOption(
      new Option(
        '--inventory <path...>',
        'cluster objects: the workloads NetworkPolicies are compared over (without a profile)',
      ).helpGroup(GROUP.sources),
    )
    .addOption(
      new Option('--format <fmt>', 'output format').choices(CI_FORMAT_NAMES).default('text').helpGroup(GROUP.output),
    )
    .addOption(
      new Option(
        '--fail-on <what>',
        'exit 1 on: new-access, removed-access, risky (new access the risk catalogue flags), any, none',
      )
        .choices([...FAIL_ON.diff])
        .default('any')
        .helpGroup(GROUP.output),
    )
    .addOption(
      new Option('--on-error <mode>', 'unreadable policy documents: fail (exit 2) or skip')
        .choices(['fail', 'skip'])
        .default('fail')
        .helpGroup(GROUP.options),
    )
    .option('--allow-empty', 'a side without policy documents is no policy at all (default: exit 2)')
    .addOption(quietOption('no summary on stderr'))
    .addOption(networkPluginOption())
    .addOption(defaultGrantsOption())
    .action(async (basePath: string, headPath: string, flags: DiffFlags) => {
      const kinds = parseKinds(flags.kind);
      const plugin = networkPluginFlag(flags.networkPlugin);
      const { loadPolicyDocs } = await import('../../policy/load.js');
      const { readProfile } = await import('../../profile/io.js');
      const { loadInventory } = await import('../../inventory/load.js');
      const { workloadsOfInventory } = await import('../../inventory/workloads.js');
      const { networkFacts } = await import('../../inventory/network.js');
      const { diffPolicies, loadSide } = await import('../../diff/index.js');
      const { markBaseLocations } = await import('../../diff/locations.js');
      const { texts } = await import('../../diff/check.js');
      const { examinePolicyPaths } = await import('../policyPaths.js');
      const a = await loadPolicyDocs([basePath], ctx.io.cwd);
      const b = await loadPolicyDocs([headPath], ctx.io.cwd);
      const base = loadSide(a.docs, a.issues);
      const head = loadSide(b.docs, b.issues);
      // A side that is a log (a mistake of arguments) stops the run; one without any policy reads as "no policy at
      // all", every grant of the other side a change: only with --allow-empty (a directory of other files is one).
      for (const [name, loaded, side] of [
        ['BASE', a, base],
        ['HEAD', b, head],
      ] as const) {
        const empty = await examinePolicyPaths(loaded, ctx.io.cwd, (p) => `${name} ${p}`, side.policies);
        if (empty.length && !flags.allowEmpty)
          throw new UsageError(
            `${empty[0]!.path}: no policy documents found${empty[0]!.hint ? ` (${empty[0]!.hint})` : ''} (an empty side reads as no policy at all: pass --allow-empty if that is meant)`,
          );
      }
      const { profileAt } = await import('../stdinFile.js');
      const at = flags.profile ? await profileAt(flags.profile, ctx.io) : undefined;
      const profile = at ? await readProfile(at.file, at.name) : undefined;
      let inv: Awaited<ReturnType<typeof loadInventory>> | undefined;
      if (flags.inventory?.length) inv = await loadInventory(flags.inventory, ctx.io.cwd);
      const skipped = await reportIssues(ctx, [...base.issues, ...head.issues, ...(inv?.issues ?? [])], flags.onError);
      const t = await texts([...a.docs, ...b.docs], ctx.io.cwd);
      const net = networkFacts(plugin, inv?.inventory);
      const r = await diffPolicies(base, head, {
        kinds,
        texts: t,
        ...(profile ? { profile } : {}),
        ...(inv
          ? {
              inventory: {
                workloads: workloadsOfInventory(inv.inventory),
                namespaces: inv.inventory.namespaces,
                services: inv.inventory.services,
                ...(net.podAddresses ? { podAddresses: net.podAddresses } : {}),
                ...(net.nodes ? { nodes: net.nodes } : {}),
              },
            }
          : {}),
        ...(net.plugin ? { plugin: net.plugin } : {}),
        ...defaultGrantsFacts(flags),
      });
      if (skipped) r.skipped = skipped;
      const files = (docs: { file: string }[]) => new Set(docs.map((d) => d.file));
      markBaseLocations(r, basePath, headPath, files(a.docs), files(b.docs));
      await finish(ctx, r, flags.format, flags.failOn, flags.quiet);
    });
}

interface CheckFlags extends SourceFlags {
  networkPlugin?: string;
  defaultGrants?: boolean;
  policies: string[];
  kind?: string;
  format: CiFormat;
  failOn: string;
}

/** `audit2policy check --policies PATH... [sources] [filters] [--inventory PATH...] [--format FMT] [--fail-on ...]` */
export function registerCheck(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('check')
    .description(
      'the drift gate: what fresh logs did that the enforced policies would deny, and what they grant unused',
    );
  cmd.addOption(policiesOption('the enforced (committed) policies: files or directories').makeOptionMandatory());
  addSourceOptions(cmd, true, { when: '' });
  addFilterOptions(cmd, 'fail').addOption(mapOption());
  addConfigOption(cmd);
  examples(cmd, [
    [
      "would the enforced policy deny anything of yesterday's logs?",
      'check --policies policy/ --k8s-audit yesterday/ --format github',
    ],
    ['grants the logs never used', 'check --policies policy/ --profile week.json --fail-on unused'],
    [
      "a profile, with the cluster's Services, pod addresses and network plugin",
      'check --policies policy/ --profile week.json --inventory inventory.json',
    ],
  ]);
  cmd
    .addOption(kindOption())
    .addOption(
      new Option('--format <fmt>', 'output format').choices(CI_FORMAT_NAMES).default('text').helpGroup(GROUP.output),
    )
    .addOption(
      new Option('--fail-on <what>', 'exit 1 when there is something')
        .choices([...FAIL_ON.check])
        .default('would-deny')
        .helpGroup(GROUP.output),
    )
    .addOption(networkPluginOption())
    .addOption(defaultGrantsOption())
    .action(async (flags: CheckFlags) => {
      const kinds = parseKinds(flags.kind);
      const plugin = networkPluginFlag(flags.networkPlugin);
      const { loadPolicyDocs } = await import('../../policy/load.js');
      const { observedProfile } = await import('../input.js');
      const { loadSide } = await import('../../diff/index.js');
      const { runCheck } = await import('../../diff/check.js');
      const { networkFacts } = await import('../../inventory/network.js');
      const { notJudgedText } = await import('../../report/notJudged.js');
      const { emptyPathsError, examinePolicyPaths } = await import('../policyPaths.js');
      const loaded = await loadPolicyDocs(flags.policies, ctx.io.cwd);
      const { docs, issues } = loaded;
      // A log given as policies is a mistake of flags (exit 2), said before the logs are read.
      const side = loadSide(docs, issues);
      const empty = await examinePolicyPaths(loaded, ctx.io.cwd, POLICIES, side.policies);
      const { profile, inventory } = await observedProfile(flags, ctx.io, ctx.c, undefined, { besideProfile: true });
      const skipped = await reportIssues(ctx, side.issues, flags.onError);
      // The inventory the logs were read with, or given beside --profile, lends its Services (toServices), its pods'
      // addresses, its nodes (host policies' nodeSelectors) and its network plugin (ipBlocks covering pods) alone: the
      // workloads compared stay the profile's, which the filters scoped.
      const net = networkFacts(plugin, inventory);
      const {
        report: r,
        observed,
        observedAny,
      } = await runCheck(profile, side, kinds, {
        cwd: ctx.io.cwd,
        ...(inventory
          ? {
              inventory: {
                workloads: [],
                namespaces: [],
                services: inventory.services,
                ...(net.podAddresses ? { podAddresses: net.podAddresses } : {}),
                ...(net.nodes ? { nodes: net.nodes } : {}),
              },
            }
          : {}),
        ...(net.plugin ? { plugin: net.plugin } : {}),
        ...defaultGrantsFacts(flags),
      });
      // A policy path that held no policy while the logs held something: a wrong path, not a pass on the others.
      if (empty.length && observedAny) throw emptyPathsError(empty, POLICIES);
      // A gate that checked nothing must not look like one that passed (as verify): exit 2, saying why.
      if (observed === 0) {
        const nj = notJudgedText(r.notJudged);
        throw new UsageError(
          `nothing to check: no authorized access in scope was observed for the policies given${nj ? ` (${nj})` : ''}; check the sources, filters and --kind`,
        );
      }
      if (skipped) r.skipped = skipped;
      await finish(ctx, r, flags.format, flags.failOn, flags.quiet);
    });
}
