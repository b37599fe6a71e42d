import { Option, type Command } from 'commander';
import type { BacktestPlan, WindowReader } from '../../backtest/index.js';
import { KIND_INFO, KIND_NAMES } from '../../kinds/info.js';
import { BACKTEST_FORMAT_NAMES } from '../../report/formats.js';
import { parseTimeSpec } from '../../util/time.js';
import type { Ctx } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { addConfigOption, refuseConfigKeys } from '../config/apply.js';
import { examples } from '../help.js';
import {
  addFilterOptions,
  addKindOptions,
  addSourceOptions,
  exactOption,
  GROUP,
  networkPluginFlag,
  defaultGrantsFacts,
  networkPluginOption,
  type SourceFlags,
} from '../options.js';
import type { ReplayFacts } from '../../kinds/types.js';

interface BacktestFlags extends SourceFlags {
  holdout?: string;
  networkPlugin?: string;
  split?: string;
  folds?: string;
  format: string;
  failOnBreakage?: string;
  [option: string]: unknown;
}

function plan(flags: BacktestFlags): BacktestPlan {
  const given = [flags.holdout, flags.split, flags.folds].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('give one of --holdout DURATION, --split TIME or --folds K');
  if (flags.since || flags.until)
    throw new UsageError(
      'backtest sets the windows itself: use --holdout, --split or --folds instead of --since/--until',
    );
  if (flags.profile)
    throw new UsageError('backtest reads logs (a profile has no per-record times to split): give the log sources');
  if (flags.holdout !== undefined) {
    const t = parseTimeSpec(flags.holdout);
    if (t.kind !== 'relative') throw new UsageError(`--holdout: expected a duration (2d, 36h), got "${flags.holdout}"`);
    return { holdoutMs: t.ms };
  }
  if (flags.split !== undefined) {
    const t = parseTimeSpec(flags.split);
    if (t.kind !== 'absolute') throw new UsageError(`--split: expected an RFC 3339 time, got "${flags.split}"`);
    return { split: t.time };
  }
  const k = Number(flags.folds);
  if (!Number.isInteger(k) || k < 1 || k > 60)
    throw new UsageError(`--folds: expected a whole number of days from 1 to 60, got "${flags.folds}"`);
  return { folds: k };
}

/** `audit2policy backtest [sources] [filters] [generate options] (--holdout DURATION | --split TIME | --folds K)` */
export function registerBacktest(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('backtest')
    .description(
      'generate from the first part of the soak, replay the rest: how much of what came after would the policy deny, and what does it allow beyond what was seen',
    );
  addSourceOptions(cmd, false);
  addFilterOptions(cmd, 'skip');
  // The filters' --since/--until are refused here (the windows are the backtest's): kept so the refusal says what to
  // use instead, but not listed in the help as if they worked.
  for (const o of cmd.options) if (o.long === '--since' || o.long === '--until') o.hideHelp();
  const window = (flags: string, description: string) => new Option(flags, description).helpGroup(GROUP.windows);
  cmd
    .addOption(window('--holdout <duration>', 'hold out the last DURATION of the logs (2d, 36h)'))
    .addOption(window('--split <time>', 'train before TIME, hold out from TIME on'))
    .addOption(
      window(
        '--folds <k>',
        'rolling origin over the last K days: train on the days before each, replay it (a learning curve per principal)',
      ),
    )
    .addOption(exactOption())
    .addOption(networkPluginOption())
    .addOption(
      new Option('--format <fmt>', 'output format')
        .choices(BACKTEST_FORMAT_NAMES)
        .default('text')
        .helpGroup(GROUP.output),
    )
    .addOption(
      new Option(
        '--fail-on-breakage <pct>',
        'exit 1 when more than PCT per cent of the held-out accesses would be denied',
      ).helpGroup(GROUP.output),
    );
  for (const name of KIND_NAMES) addKindOptions(cmd, KIND_INFO[name], `${KIND_INFO[name].title}: `);
  addConfigOption(cmd);
  const windows = 'backtest sets its windows itself (--holdout, --split, --folds)';
  refuseConfigKeys(cmd, {
    'filters.since': windows,
    'filters.until': windows,
    'sources.profile': 'backtest reads logs (a profile has no per-record times to split)',
  });
  examples(cmd, [
    [
      'train on all but the last 2 days, replay those',
      'backtest --k8s-audit audit/ --cloudtrail AWSLogs/ --holdout 2d',
    ],
    [
      'a CI gate: fail when more than 1% would be denied',
      'backtest --k8s-audit audit/ --split 2026-11-08T00:00:00Z --fail-on-breakage 1',
    ],
    ['learning curves: was the soak long enough?', 'backtest --k8s-audit audit/ --folds 3 --format markdown'],
  ]);
  cmd.action(async (flags: BacktestFlags) => {
    const p = plan(flags);
    for (const name of KIND_NAMES) KIND_INFO[name].parseOptions(flags);
    const threshold = flags.failOnBreakage === undefined ? undefined : Number(flags.failOnBreakage);
    if (threshold !== undefined && !(threshold >= 0 && threshold <= 100))
      throw new UsageError(`--fail-on-breakage: expected a per cent from 0 to 100, got "${flags.failOnBreakage}"`);
    const plugin = networkPluginFlag(flags.networkPlugin);
    const { backtest } = await import('../../backtest/index.js');
    const { BACKTEST_FORMATS } = await import('../../report/backtest/index.js');
    const { observedProfile } = await import('../input.js');
    const { networkFacts } = await import('../../inventory/network.js');
    // The network plugin (--network-plugin, else the inventory's), known once the first window is read.
    // --no-default-grants (RBAC's generator option): the cluster removed its default bindings; replay knows it too.
    const facts: ReplayFacts = { ...defaultGrantsFacts(flags) };
    let reads = 0;
    const read: WindowReader = async (w) => {
      // The input summary once; later reads of the same sources say nothing new.
      const quiet = flags.quiet || reads++ > 0;
      const window = {
        ...(w.since ? { since: { kind: 'absolute' as const, time: w.since } } : {}),
        ...(w.until ? { until: { kind: 'absolute' as const, time: w.until } } : {}),
        ...(w.sinceMsBeforeNewest !== undefined
          ? { since: { kind: 'relative' as const, ms: w.sinceMsBeforeNewest, text: flags.holdout ?? '' } }
          : {}),
        ...(w.heldOut ? { untimed: 'skip' as const } : {}),
      };
      const r = await observedProfile({ ...flags, quiet }, ctx.io, ctx.c, window);
      if (reads === 1) Object.assign(facts, networkFacts(plugin, r.inventory));
      return { profile: r.profile, since: r.ingest?.window.since ?? '', until: r.ingest?.window.until ?? '' };
    };
    const result = await backtest(read, flags, p, facts);
    ctx.io.stdout.write(BACKTEST_FORMATS[flags.format]!(result));
    ctx.exitCode = threshold !== undefined && result.run.breakage > threshold ? EXIT.findings : EXIT.ok;
  });
}
