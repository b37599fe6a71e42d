import type { VerifyReport } from '../model/finding.js';
import type { InputIssue } from '../model/issue.js';
import type { Profile } from '../model/profile.js';
import type { PolicyDoc } from '../policy/load.js';

/** The policy kinds audit2policy generates and checks: the keys of the registry in ./index.ts. */
export type KindName = 'rbac' | 'iam' | 'netpol';

/** A policy broader than what was observed, whatever its kind: never silent, always listed. */
export interface KindWidening {
  kind: KindName;
  /** The option or rule that made it (`widen-names`, `undetermined-resource`, `dns`...). */
  option: string;
  /** Who it is for: a subject key, a principal ARN, a `namespace/workload`. */
  subject: string;
  /** What changed, in words. */
  detail: string;
  /** How a reader sees it: `--widen-names in shop: ...`, `resource not in the logs: ...`. */
  text: string;
}

/** One rule, permission or peer of a generated policy, and when what it covers was first seen. */
export interface AccessClass {
  subject: string;
  /** `get pods in ci`, `s3:PutObject on arn:...`, `egress shop/cart`. */
  label: string;
  firstSeen: string;
}

/** One line of a generator's summary, with how loudly to say it. */
export interface SummaryLine {
  text: string;
  tone: 'plain' | 'warn' | 'hint';
}

/** What one kind's generator made of a profile. */
export interface Generated {
  kind: KindName;
  /** Policies and their evidence: relative path under the output directory → content. */
  files: Map<string, string>;
  /** The policies alone, as printed when there is no output directory. */
  stdout: string;
  widenings: KindWidening[];
  /**
   * The access classes of the policy (a rule, a permission, a peer), each with when the first access
   * it covers was seen: a subject whose newest class appeared on the soak's last day was still learning.
   */
  classes: AccessClass[];
  /** Words for stderr; `output` is the directory given with -o, if any. */
  summary(output: string | undefined): SummaryLine[];
}

/** A command-line option a kind's generator takes (the CLI registers it; the kind parses its value). */
export interface KindOption {
  /** `--widen-names <n>`. */
  flags: string;
  description: string;
  choices?: string[];
  default?: string;
}

/** The policies of one kind found among policy documents. */
export interface KindPolicies<S> {
  set: S;
  issues: InputIssue[];
  /** How many policies of the kind were found, for the summary. */
  count: number;
  /** `14 Roles, 3 ClusterRoles, ...`. */
  label: string;
}

/**
 * Everything one policy kind brings: its generator with its options, the reader of its policies and the
 * evaluator that replays observations against them. Commands loop over the registry; adding a kind
 * is a folder of its own and one line in ./index.ts.
 */
export interface PolicyKind<O = unknown, S = unknown> {
  name: KindName;
  /** What `generate <name>` makes, for its help. */
  description: string;
  /** The -o help of `generate <name>`. */
  outputHelp: string;
  /** A short label for `generate all` help prefixes (`RBAC: `). */
  title: string;
  options: KindOption[];
  /** Command-line values (commander's camel-cased keys) → generator options; throws UsageError on bad values. */
  parseOptions(flags: Record<string, unknown>): O;
  /** Whether the profile holds anything this kind is made from. */
  hasEvidence(profile: Profile): boolean;
  generate(profile: Profile, options: O): Promise<Generated>;
  readPolicies(docs: PolicyDoc[]): KindPolicies<S>;
  /** Replay the profile's observations of this kind against the policies, adding to `report`. */
  verify(profile: Profile, policies: KindPolicies<S>, report: VerifyReport): Promise<void>;
}

/** A kind whose option and set types are erased, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = PolicyKind<any, any>;
