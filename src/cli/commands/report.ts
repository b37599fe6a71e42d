import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { InputAbort, UsageError } from '../errors.js';
import { Option } from 'commander';
import { addConfigOption } from '../config/apply.js';
import { examples } from '../help.js';
import {
  addFilterOptions,
  mapOption,
  addSourceOptions,
  GROUP,
  networkPluginFlag,
  networkPluginOption,
  scopeOptions,
  type SourceFlags,
} from '../options.js';
import { describeFilters, profileFilters } from '../../profile/filters.js';
import { KIND_NAMES } from '../../kinds/info.js';
import { policiesOption } from './verify.js';

interface ReportFlags extends SourceFlags {
  output: string;
  policies?: string[];
  title?: string;
  networkPlugin?: string;
}

/** `audit2policy report (--profile FILE | [sources]) [--policies PATH...] -o report.html|report.md [--title T]` */
export function registerReport(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('report')
    .description(
      "the security reviewer's report: what each principal may do and why, risky permissions, coverage gaps",
    );
  addSourceOptions(cmd, true, { when: ' (with --policies)' });
  addFilterOptions(cmd, 'skip').addOption(mapOption());
  cmd
    .addOption(
      new Option(
        '-o, --output <file>',
        'report.html (one self-contained file, no scripts) or report.md (Markdown with a Mermaid diagram)',
      )
        .makeOptionMandatory()
        .helpGroup(GROUP.output),
    )
    .addOption(policiesOption('committed policies: add the check view (would-be-denied and unused grants)'))
    .addOption(networkPluginOption())
    .addOption(
      new Option('--title <title>', 'the report title').default('audit2policy report').helpGroup(GROUP.output),
    );
  addConfigOption(cmd);
  examples(cmd, [
    [
      "the reviewer's report of a soak and the policies made from it",
      'report --profile week.json --policies policy/ -o report.html',
    ],
    ['Markdown with a Mermaid diagram, for a pull request', 'report --profile week.json -o report.md'],
  ]);
  cmd.action(async (flags: ReportFlags) => {
    const html = /\.html?$/i.test(flags.output);
    if (!html && !/\.md$/i.test(flags.output))
      throw new UsageError(`-o: name the report .html or .md (got "${flags.output}")`);
    const plugin = networkPluginFlag(flags.networkPlugin);
    const { observedProfile } = await import('../input.js');
    const { loadPolicyDocs } = await import('../../policy/load.js');
    const { loadSide } = await import('../../diff/index.js');
    const { runCheck } = await import('../../diff/check.js');
    const { networkFacts } = await import('../../inventory/network.js');
    const { generateAll, learningWarnings, stillLearning } = await import('../../kinds/index.js');
    const { buildReport } = await import('../../report/model.js');
    const { renderHtml, renderMarkdown } = await import('../../report/render.js');
    const { writeFileAtomic } = await import('../../emit/writeTree.js');
    const { printIssues } = await import('../summary.js');
    // Beside --profile, an inventory serves the check view alone (--policies): the rest of the report is the profile's.
    const { profile, inventory } = await observedProfile(flags, ctx.io, ctx.c, undefined, {
      besideProfile: !!flags.policies?.length,
    });
    let check;
    if (flags.policies?.length) {
      const { docs, issues } = await loadPolicyDocs(flags.policies, ctx.io.cwd);
      const side = loadSide(docs, issues);
      printIssues(ctx.io.stderr, side.issues, ctx.c);
      if (side.issues.length && flags.onError === 'fail')
        throw new InputAbort(`${side.issues.length} policy issues with --on-error fail`);
      // Of the inventory the logs were read with (or given beside --profile), what check takes: Services, pod
      // addresses, its nodes (host policies), the network plugin.
      const net = networkFacts(plugin, inventory);
      const inv = inventory
        ? {
            workloads: [],
            namespaces: [],
            services: inventory.services,
            podAddresses: net.podAddresses!,
            nodes: net.nodes!,
          }
        : undefined;
      check = (
        await runCheck(profile, side, [...KIND_NAMES], {
          cwd: ctx.io.cwd,
          ...(inv ? { inventory: inv } : {}),
          ...(net.plugin ? { plugin: net.plugin } : {}),
        })
      ).report;
    }
    // The widenings the generated policy would carry: each kind's generator with its default options.
    const generated = await generateAll(profile);
    const widenings = generated.flatMap((g) => g.widenings);
    const learning = learningWarnings(
      stillLearning(
        generated.flatMap((g) => g.classes),
        profile.window.start,
        profile.window.end,
      ),
    );
    const model = await buildReport(profile, {
      widenings,
      learning,
      ...(flags.title ? { title: flags.title } : {}),
      ...(check ? { check } : {}),
      ...(flags.map?.length ? { mapped: flags.map } : {}),
      ...narrowedBy(flags),
    });
    await writeFileAtomic(resolve(ctx.io.cwd, flags.output), html ? renderHtml(model) : renderMarkdown(model));
    if (!flags.quiet)
      ctx.io.stderr.write(
        `wrote ${flags.output}: ${model.sections.length} principals and workloads, ${model.risks.length} risky permissions, ${model.coverage.length} coverage warnings\n`,
      );
  });
}

/**
 * A profile file narrowed while read (`--profile week.json --namespace shop`): its header names only the filters it
 * was made with, so the report says these too. Logs read with filters record them in the profile itself.
 */
function narrowedBy(flags: ReportFlags): { narrowed?: string } {
  if (!flags.profile) return {};
  const f = profileFilters(scopeOptions(flags));
  return f ? { narrowed: describeFilters(f) } : {};
}
