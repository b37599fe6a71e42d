import { Option, type Command } from 'commander';
import type { SubjectKind } from '../model/subject.js';
import { DEFAULT_SUBJECT_KINDS, type ScopeOptions } from '../profile/scope.js';
import { parseTimeSpec } from '../util/time.js';
import { DEFAULT_NETWORK_TIMEOUT_MS, networkLimits, type NetworkLimits } from '../util/network.js';
import { KIND_NAMES } from '../kinds/info.js';
import type { AnyKindInfo, KindName } from '../kinds/types.js';
import { UsageError } from './errors.js';
import { own } from '../util/own.js';
import { parseVpcFormat } from '../ingest/flows/vpcFormat.js';
import { NETWORK_PLUGIN_CHOICES, networkPluginNamed } from '../knowledge/network/plugins.js';

/** Options every reading command shares, as commander hands them over. */
export interface SourceFlags {
  k8sAudit?: string[];
  cloudtrail?: string[];
  cloudtrailApi?: boolean;
  eksAuditLogs?: boolean;
  clusterName?: string;
  logGroup?: string;
  flows?: string[];
  vpcFormat?: string;
  inventory?: string[];
  cluster?: boolean;
  context?: string;
  kubeconfig?: string;
  region?: string[];
  endpoint?: string;
  networkTimeout?: string;
  deadline?: string;
  profile?: string;
  /** The command's `-o`: never read as input, though it may sit inside an input directory. */
  output?: string;
  subject?: string[];
  excludeSubject?: string[];
  subjectKind?: string;
  namespace?: string[];
  since?: string;
  until?: string;
  clockTolerance?: string;
  includeSystem?: boolean;
  workers?: string;
  onError?: 'fail' | 'skip';
  quiet?: boolean;
  verbose?: boolean;
  /** `--map FROM=TO...`: staging's AWS names as production's (profile/nameMap.ts). */
  map?: string[];
}

/**
 * The help groups options are shown in, in this order (commander's `helpGroup`); the config file's
 * sections (./config.ts) are made from the same option lists, not from these headings.
 */
export const GROUP = {
  sources: 'Sources:',
  filters: 'Filters:',
  windows: 'Windows:',
  widenings: 'Widenings and generator options:',
  output: 'Output:',
  options: 'Options:',
} as const;

/**
 * The source options, as data: the command line and the config file's `sources` are both made from it. `beside`: the
 * command takes an inventory beside `--profile` (verify, check; report with `--policies`), and its help says what for.
 */
export function sourceOptionList(withProfile: boolean, beside?: { when: string }): Option[] {
  const o = (flags: string, description: string) => new Option(flags, description).helpGroup(GROUP.sources);
  const besideProfile = beside
    ? `; beside --profile${beside.when}, only what a profile does not keep: Services (Cilium toServices), pod addresses, nodes and their labels (host policies) and the network plugin (the workloads judged stay the profile's)`
    : '';
  return [
    o(
      '--k8s-audit <path...>',
      'Kubernetes audit logs: files, directories (walked), or - for stdin; gzip detected by content',
    ),
    o(
      '--cloudtrail <path...>',
      'CloudTrail logs: files or directories (AWSLogs/... layout), .json or .json.gz, Security Lake (OCSF) Parquet or JSON, or - for stdin',
    ),
    o(
      '--cloudtrail-api',
      "read CloudTrail's LookupEvents API (management events of the last 90 days) with the default AWS credentials",
    ),
    o(
      '--eks-audit-logs',
      "read an EKS cluster's audit log from CloudWatch Logs (FilterLogEvents) with the default AWS credentials; needs --region and --cluster-name or --log-group",
    ),
    o('--cluster-name <name>', 'the EKS cluster for --eks-audit-logs (log group /aws/eks/NAME/cluster)'),
    o('--log-group <name>', 'the CloudWatch Logs group for --eks-audit-logs, instead of --cluster-name'),
    o('--region <region...>', 'regions for --cloudtrail-api; the one region for --eks-audit-logs'),
    o(
      '--endpoint <url>',
      'another endpoint for --cloudtrail-api or --eks-audit-logs (a VPC endpoint, a local test server)',
    ),
    o(
      '--flows <path...>',
      'flow logs: Hubble JSON lines (hubble observe -o json), AWS VPC flow logs (default format, a custom one with its header line, or see --vpc-format), also in CloudWatch Logs or as Parquet; Google Cloud VPC Flow Logs (Cloud Logging JSON), Azure VNet and NSG flow logs, Route 53 Resolver query logs (DNS names), Security Lake (OCSF) Parquet or JSON; plain or gzip, or -',
    ),
    o(
      '--vpc-format <format>',
      "the format of VPC flow log records without a header line (CloudWatch Logs messages, headerless files): the flow log's LogFormat ('${version} ${account-id} ...') or its field names; default: AWS's default format",
    ),
    o(
      '--inventory <path...>',
      `cluster objects: a \`kubectl get ... -A -o json\` List or a directory of object files (JSON or YAML), or a snapshot from \`audit2policy inventory\`${besideProfile}`,
    ),
    o(
      '--cluster',
      `read the inventory live from the cluster of the kubeconfig (see --context)${beside ? '; beside --profile as --inventory' : ''}`,
    ),
    o('--context <name>', 'kubeconfig context for --cluster'),
    o('--kubeconfig <file>', 'kubeconfig for --cluster (default: $KUBECONFIG, then ~/.kube/config)'),
    ...networkOptionList(GROUP.sources, '--cloudtrail-api, --eks-audit-logs and --cluster'),
    ...(withProfile
      ? [o('--profile <file>', 'read a profile made by `audit2policy profile` instead of logs (- for stdin)')]
      : []),
  ];
}

/** `--network-timeout` and `--deadline`, for the sources read over the network (`whose`). */
export function networkOptionList(group: string, whose: string): Option[] {
  const o = (flags: string, description: string) => new Option(flags, description).helpGroup(group);
  return [
    o(
      '--network-timeout <duration>',
      `for ${whose}: the longest wait to connect or for the next byte of an answer (default ${DEFAULT_NETWORK_TIMEOUT_MS / 1000}s); one page may take 10 times this`,
    ),
    o(
      '--deadline <duration>',
      `for ${whose}: the longest a whole read may take, every page and retry included (default: none)`,
    ),
  ];
}

/** A duration flag (`30s`, `1.5m`) in milliseconds, or undefined when not given. */
function durationMs(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const spec = (() => {
    try {
      return parseTimeSpec(v);
    } catch {
      return undefined;
    }
  })();
  if (spec?.kind !== 'relative' || !(spec.ms > 0))
    throw new UsageError(`${flag}: expected a duration above zero (30s, 2m, 0.5s), got ${JSON.stringify(v)}`);
  return spec.ms;
}

/** The limits of network reads from `--network-timeout` and `--deadline`. */
export function networkLimitsOf(f: { networkTimeout?: string; deadline?: string }): NetworkLimits {
  return networkLimits(durationMs('--network-timeout', f.networkTimeout), durationMs('--deadline', f.deadline));
}

/** The scope options, as data: the command line and the config file's `filters` are both made from it. */
export function filterOptionList(): Option[] {
  const o = (flags: string, description: string) => new Option(flags, description).helpGroup(GROUP.filters);
  return [
    o('--subject <glob...>', 'only subjects whose username matches (system:serviceaccount:shop:*, alice)'),
    o('--exclude-subject <glob...>', 'leave out subjects whose username matches'),
    o('--subject-kind <kinds>', 'comma-separated: serviceaccount,user,group').default('serviceaccount,user'),
    o('--namespace <ns...>', 'only requests in these namespaces (cluster-wide requests are left out)'),
    o('--since <time>', 'RFC 3339 time, or a duration back from the newest event (7d, 36h)'),
    o('--until <time>', 'RFC 3339 time, or a duration back from the newest event'),
    o(
      '--clock-tolerance <duration>',
      'the newest records may stand this far apart from the rest and still decide "now" for durations (default 1d)',
    ),
    o(
      '--include-system',
      "keep the control plane's and managed providers' identities (system:* users but system:anonymous and service accounts outside kube-system, kube-public, kube-node-lease and OpenShift's openshift-* namespaces; EKS's eks:*, aws:*, amazon:*, iam:*; service-linked role sessions; Google's service agents; system:* and eks:* groups)",
    ),
  ];
}

/** Whether an option's value is a path (`<path...>`, `<file>`, `<dir>`): a config file's are relative to it. */
export const isPathOption = (o: Option): boolean => /<(path|file|dir)(\.\.\.)?>/.test(o.flags);

export function addSourceOptions(cmd: Command, withProfile: boolean, beside?: { when: string }): Command {
  for (const o of sourceOptionList(withProfile, beside)) cmd.addOption(o);
  return cmd;
}

export function addFilterOptions(cmd: Command, onErrorDefault: 'fail' | 'skip'): Command {
  for (const o of filterOptionList()) cmd.addOption(o);
  return cmd
    .addOption(
      new Option(
        '--workers <n>',
        'threads reading files or byte ranges in parallel (default: number of cores; one for inputs under 256 MiB, gzip counted at 8x its size)',
      ).helpGroup(GROUP.options),
    )
    .addOption(
      new Option('--on-error <mode>', 'on bad input: fail (exit 2) or skip (count and go on)')
        .choices(['fail', 'skip'])
        .default(onErrorDefault)
        .helpGroup(GROUP.options),
    )
    .addOption(quietOption('no summary on stderr (errors still print)'))
    .addOption(new Option('--verbose', 'stack traces on errors').helpGroup(GROUP.options));
}

export const EXACT_HELP =
  'no generalization: keep names and keys the logs show to be made up (pods of a rollout, CronJob runs, dated keys) exactly as seen';

/** `--exact`, shared by every generator (the config file's `widenings.exact`). */
export const exactOption = (): Option => new Option('--exact', EXACT_HELP).helpGroup(GROUP.widenings);

/** A kind's generator options on a command; `prefix` marks whose they are in `generate all`. */
export function addKindOptions(cmd: Command, kind: AnyKindInfo, prefix: string): void {
  for (const o of kindOptionList(kind, prefix)) cmd.addOption(o);
}

/** A kind's generator options as declared in src/kinds/<kind>/info.ts; `prefix` marks whose (`generate all`). */
export function kindOptionList(kind: AnyKindInfo, prefix = ''): Option[] {
  return kind.options.map((o) => {
    const opt = new Option(o.flags, `${prefix}${o.description}`).helpGroup(GROUP.widenings);
    if (o.choices) opt.choices(o.choices);
    if (o.default !== undefined) opt.default(o.default);
    return opt;
  });
}

/**
 * `-o FILE` of a command that writes to stdout without one: `-o -` is stdout too, as `-` is stdin for the sources
 * (before, it wrote a file named `-`).
 */
export const outputOption = (flags: string, description: string): Option =>
  new Option(flags, description).argParser((v: string) => (v === '-' ? undefined : v)).helpGroup(GROUP.output);

export const quietOption = (description: string): Option =>
  new Option('-q, --quiet', description).helpGroup(GROUP.output);

const KINDS: Record<string, SubjectKind> = { serviceaccount: 'ServiceAccount', user: 'User', group: 'Group' };

export function scopeOptions(f: SourceFlags): ScopeOptions {
  const kinds = (f.subjectKind ?? '')
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  const subjectKinds: SubjectKind[] = [];
  for (const k of kinds) {
    const kind = own(KINDS, k.replace(/s$/, ''));
    if (!kind) throw new UsageError(`--subject-kind: unknown kind "${k}" (choose from serviceaccount, user, group)`);
    if (!subjectKinds.includes(kind)) subjectKinds.push(kind);
  }
  const time = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    try {
      return parseTimeSpec(v);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  };
  const opts: ScopeOptions = {
    subjects: f.subject ?? [],
    excludeSubjects: f.excludeSubject ?? [],
    subjectKinds: subjectKinds.length ? subjectKinds : [...DEFAULT_SUBJECT_KINDS],
    namespaces: f.namespace ?? [],
    includeSystem: !!f.includeSystem,
  };
  const since = time('--since', f.since);
  const until = time('--until', f.until);
  // Nothing is after the newest record: `--since 0d` would be a window of no time.
  if (since?.kind === 'relative' && since.ms === 0)
    throw new UsageError(`--since ${f.since}: a window of no time; give a duration above zero (1h, 7d)`);
  if (since) opts.since = since;
  if (until) opts.until = until;
  return opts;
}

export function workerCount(f: SourceFlags, cores: number): number {
  if (f.workers === undefined) return Math.max(1, cores);
  const n = Number(f.workers);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new UsageError(`--workers: expected a whole number from 1 to 256, got "${f.workers}"`);
  return n;
}

export function nonNegativeInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected a whole number, got ${JSON.stringify(v)}`);
  return n;
}

/** `--clock-tolerance 2d` in milliseconds, or undefined when not given. */
export function clockTolerance(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const spec = (() => {
    try {
      return parseTimeSpec(v);
    } catch {
      return undefined;
    }
  })();
  if (spec?.kind !== 'relative')
    throw new UsageError(`--clock-tolerance: expected a duration (12h, 2d), got ${JSON.stringify(v)}`);
  return spec.ms;
}

/** `--kind rbac,iam`: kinds of the registry, each once, in the order given (default: all). */
export function parseKinds(v: string | undefined): KindName[] {
  if (!v) return [...KIND_NAMES];
  const out: KindName[] = [];
  for (const k of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!KIND_NAMES.includes(k as KindName))
      throw new UsageError(`--kind: unknown kind "${k}" (choose from ${KIND_NAMES.join(', ')})`);
    if (!out.includes(k as KindName)) out.push(k as KindName);
  }
  return out;
}

/** `--vpc-format`'s fields, or undefined when not given; a format this reader cannot use is a usage error. */
export function vpcFieldsOf(f: SourceFlags): string[] | undefined {
  if (f.vpcFormat === undefined) return undefined;
  const r = parseVpcFormat(String(f.vpcFormat));
  if ('problem' in r) throw new UsageError(`--vpc-format: ${r.problem}`);
  return r.fields;
}

/** `--network-plugin NAME`: the plugin enforcing NetworkPolicies (an ipBlock covering a pod depends on it). */
export const networkPluginOption = (): Option =>
  new Option(
    '--network-plugin <name>',
    `the network plugin enforcing NetworkPolicies, for ipBlocks that cover pods: ${NETWORK_PLUGIN_CHOICES.join(', ')} (default: the one whose agent the inventory shows, else unknown: such an ipBlock is undetermined)`,
  ).helpGroup(GROUP.options);

/**
 * `--no-default-grants` on the commands that judge RBAC (verify, check): the cluster removed Kubernetes' default
 * bindings, so discovery, health and self-review requests are allowed only by the policies given. The generators'
 * option of the same name (generate rbac, backtest) also writes rules for them.
 */
export const defaultGrantsOption = (): Option =>
  new Option(
    '--no-default-grants',
    "RBAC: the cluster removed Kubernetes' default bindings (system:discovery, system:basic-user...): only the policies given allow discovery, health and self-review requests",
  ).helpGroup(GROUP.options);

/** The replay facts the `--no-default-grants` flag (`defaultGrants: false`) gives. */
export const defaultGrantsFacts = (flags: object): { defaultGrants?: false } =>
  (flags as Record<string, unknown>)['defaultGrants'] === false ? { defaultGrants: false } : {};

/** The `--network-plugin` value, checked (a usage error naming the option and the choices). */
export function networkPluginFlag(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    networkPluginNamed(v);
  } catch {
    throw new UsageError(
      `--network-plugin: expected one of ${NETWORK_PLUGIN_CHOICES.join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** `--map FROM=TO...` (the config file's `filters.map`): on the commands that judge or write production's policy. */
export const mapOption = (): Option =>
  new Option(
    '--map <from=to...>',
    "staging's AWS names as production's: FROM becomes TO in every ARN, in calls' account and region and in the DNS names flows saw, before anything is made or replayed (111122223333=444455556666 acme-staging=acme-prod us-west-2=us-east-1); give generate and verify the same",
  ).helpGroup(GROUP.filters);
