import { Option, type Command } from 'commander';
import type { PolicyDoc } from '../../policy/load.js';
import { isIamIndex } from '../../model/layout.js';
import { API_VERSION } from '../../model/profile.js';
import { VERIFY_FORMAT_NAMES } from '../../report/formats.js';
import { KIND_NAMES } from '../../kinds/info.js';
import { EXIT, InputAbort, UsageError } from '../errors.js';
import type { Ctx } from '../context.js';
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
  type SourceFlags,
} from '../options.js';

interface VerifyFlags extends SourceFlags {
  policies: string[];
  format: string;
  kind?: string;
  networkPlugin?: string;
  defaultGrants?: boolean;
}

/** A path of `--policies` in messages. */
export const POLICIES = (path: string): string => `--policies ${path}`;

/** `--policies PATH...`, in the sources group of the help. */
export const policiesOption = (description: string): Option =>
  new Option('--policies <path...>', description).helpGroup(GROUP.sources);

/** `audit2policy verify --policies PATH... (--profile FILE | [sources] [filters]) [--format text|json]` */
export function registerVerify(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('verify')
    .description('replay every observed authorized request against policies; exit 1 if any would be denied');
  cmd.addOption(policiesOption('policy files or directories (YAML/JSON, walked recursively)').makeOptionMandatory());
  addSourceOptions(cmd, true, { when: '' });
  addFilterOptions(cmd, 'fail').addOption(mapOption());
  cmd.addOption(
    new Option(
      '--kind <kinds>',
      `comma-separated: ${KIND_NAMES.join(',')} (default: every kind given both policies and observations)`,
    ).helpGroup(GROUP.filters),
  );
  cmd.addOption(
    new Option('--format <fmt>', 'output format').choices(VERIFY_FORMAT_NAMES).default('text').helpGroup(GROUP.output),
  );
  cmd.addOption(networkPluginOption()).addOption(defaultGrantsOption());
  addConfigOption(cmd);
  examples(cmd, [
    ['RBAC policies against the profile they were made from', 'verify --policies policy/rbac --profile week.json'],
    ['every kind against the logs, as JSON', 'verify --policies policy/ --k8s-audit audit.log --format json'],
    ['the scope of ./audit2policy.yaml, as generate used it', 'verify --policies policy/'],
    [
      "a profile, with the cluster's Services, pod addresses and network plugin",
      'verify --policies policy/ --profile week.json --inventory inventory.json',
    ],
  ]);
  cmd.action(async (flags: VerifyFlags) => {
    const kinds = parseKinds(flags.kind);
    const plugin = networkPluginFlag(flags.networkPlugin);
    const { loadPolicyDocs } = await import('../../policy/load.js');
    const { kustomizeIssues } = await import('../../policy/kustomize.js');
    const { observedAny, policyIssues, readAllPolicies, verifySource } = await import('../../kinds/index.js');
    const { emptyPathsError, examinePolicyPaths } = await import('../policyPaths.js');
    const { observedOnce } = await import('../input.js');
    const { networkFacts } = await import('../../inventory/network.js');
    const { notJudgedText } = await import('../../report/notJudged.js');
    const { VERIFY_FORMATS } = await import('../../report/verify/index.js');
    const { printIssues } = await import('../summary.js');
    const loaded = await loadPolicyDocs(flags.policies, ctx.io.cwd);
    const { docs, issues, evidence, profiles } = loaded;
    const policies = readAllPolicies(docs);
    // A log given as policies is a mistake of flags (exit 2), said before the logs are read.
    const empty = await examinePolicyPaths(loaded, ctx.io.cwd, POLICIES, policies);
    const problems = [...issues, ...kustomizeIssues(docs), ...policyIssues(policies)];
    printIssues(ctx.io.stderr, problems, ctx.c);
    if (problems.length && flags.onError === 'fail') {
      throw new InputAbort(`${problems.length} policy issue${problems.length === 1 ? '' : 's'} with --on-error fail`);
    }
    if (!flags.quiet) {
      const claimed = [...policies.values()].reduce((n, p) => n + p.count, 0);
      const besides = treeNote(docs, claimed, evidence, profiles);
      ctx.io.stderr.write(
        `policies: ${[...policies.values()].map((p) => p.label).join(', ')}${besides ? ` (${besides})` : ''}\n`,
      );
    }
    // The profile is read once, a principal at a time, from its file or as the logs were read: never whole.
    const observed = await observedOnce(flags, ctx.io, ctx.c, { besideProfile: true });
    // The inventory the logs were read with, or given beside --profile, gives the cluster's Services
    // (CiliumNetworkPolicy toServices), its pods' addresses and its network plugin (ipBlocks covering pods), which
    // --network-plugin overrides; the workloads judged are the profile's.
    const services = observed.inventory?.services;
    const facts = {
      ...(services ? { services } : {}),
      ...networkFacts(plugin, observed.inventory),
      ...defaultGrantsFacts(flags),
    };
    let report;
    try {
      report = await verifySource(observed.source, policies, kinds, facts);
    } finally {
      await observed.close();
    }
    // A policy path that held no policy while the logs held something: a wrong path, not a pass on the others.
    if (empty.length && observedAny(report)) throw emptyPathsError(empty, POLICIES);
    // A gate that checked nothing must not look like one that passed: exit 2, saying why.
    if (report.observed === 0) {
      const nj = notJudgedText(report.notJudged);
      throw new UsageError(
        `nothing to verify: no authorized access in scope was observed for policies given${nj ? ` (${nj})` : ''}; check the sources, filters and --kind`,
      );
    }
    ctx.io.stdout.write(VERIFY_FORMATS[flags.format]!(report));
    ctx.exitCode = report.notAllowed.length === 0 ? EXIT.ok : EXIT.findings;
  });
}

/**
 * What else the policy tree held, so that a tree `generate -o` wrote reads as whole: its evidence (YAML files skipped
 * unparsed, JSON documents read and set aside), its IAM indexes (read to attribute policies), its kustomization and
 * output manifest; then whatever no kind reads, as `other documents ignored`.
 */
export function treeNote(docs: readonly PolicyDoc[], claimed: number, evidenceFiles: number, profiles = 0): string {
  const own = { evidence: evidenceFiles, index: 0, kustomization: 0, manifest: 0, profile: profiles };
  let parsedOwn = 0;
  for (const d of docs) {
    const o = d.object as { apiVersion?: unknown; kind?: unknown } | null;
    const ours = !!o && o.apiVersion === API_VERSION && typeof o.kind === 'string';
    const kind = ours ? String(o.kind) : '';
    const which = isIamIndex(d.object)
      ? 'index'
      : kind.endsWith('Evidence')
        ? 'evidence'
        : kind === 'OutputManifest'
          ? 'manifest'
          : o?.kind === 'Profile' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit2policy.dev/')
            ? 'profile'
            : o?.kind === 'Kustomization' && String(o.apiVersion).startsWith('kustomize.config.k8s.io/')
              ? 'kustomization'
              : undefined;
    if (!which) continue;
    own[which]++;
    parsedOwn++;
  }
  const other = docs.length - claimed - parsedOwn;
  const n = (k: number, one: string, many: string) => (k ? [`${k} ${k === 1 ? one : many}`] : []);
  const listed = [
    ...n(own.evidence, 'evidence document', 'evidence documents'),
    ...n(own.index, 'IAM index', 'IAM indexes'),
    ...n(own.kustomization, 'kustomization', 'kustomizations'),
    ...n(own.manifest, 'output manifest', 'output manifests'),
    ...n(own.profile, 'profile', 'profiles'),
  ];
  const parts = listed.length ? [`besides: ${listed.join(', ')}`] : [];
  if (other > 0) parts.push(`other documents ignored: ${other}`);
  return parts.join('; ');
}
