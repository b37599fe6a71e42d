import type { KeptHook } from './keptTypes.js';
import type {
  CiAccessByKind,
  CiEvidence,
  CiFinding,
  Finding,
  FindingType,
  KindName,
  Location,
  VerifyReport,
} from '../model/finding.js';
import type { InputIssue } from '../model/issue.js';
import type { WorkloadInfo } from '../model/network.js';
import type { NetworkPlugin } from '../knowledge/network/plugins.js';
import type { NodeFact } from '../verify/netpol/cilium-peers.js';
import type { Principal, Profile } from '../model/profile.js';
import type { ProfileHead, ProfileTail } from '../profile/lines.js';
import type { PolicyDoc } from '../policy/load.js';
import type { ReportPart, ReportContext } from '../report/types.js';

export type { KindName } from '../model/finding.js';

/** A policy broader than what was observed, whatever its kind: never silent, always listed. */
export interface KindWidening {
  kind: KindName;
  /** The option or rule that made it (`widen-names`, `undetermined-resource`, `dns`...). */
  option: string;
  /** Who it is for: a subject key, a principal ARN, a `namespace/workload`. */
  subject: string;
  /** What changed, in words. */
  detail: string;
  /** How a reader sees it: `--widen-names in shop: ...`, `(resource not in the event): ...`. */
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

/** Where a kind's files go as they are made: the path under the output directory, and the content. */
export type FileSink = (path: string, content: string) => Promise<void>;

/** What a kind made of a profile beside its files. */
export interface Made {
  kind: KindName;
  widenings: KindWidening[];
  /**
   * Per subject, its newest access class (a rule, a permission, a peer) with when the first access it covers was
   * seen: a subject whose newest class appeared on the soak's last day was still learning (kinds/learning.ts).
   */
  classes: AccessClass[];
  /** Words for stderr; `output` is the directory given with -o, if any. */
  summary(output: string | undefined): SummaryLine[];
  /** The policies alone, as printed when there is no output directory, from the files made (in the order made). */
  stdout(files: ReadonlyMap<string, string>): string;
}

/** What one kind's generator made of a profile held in memory (`generateKind`, kinds/run.ts). */
export interface Generated extends Omit<Made, 'stdout'> {
  /** Policies and their evidence: relative path under the output directory → content. */
  files: Map<string, string>;
  /** The policies alone, as printed when there is no output directory (made only then: with -o it is never needed). */
  stdout: () => string;
}

/** The parts of a profile around its principals: the header, and the sections after them. */
export type ProfileRest = ProfileHead & ProfileTail;

/**
 * One kind's generation from a profile read principal by principal, twice (kinds/run.ts drives it), so that a
 * profile too large to hold is generated from its file: `survey` sees every principal first (file names depend on
 * the other subjects), `principal` then hands each one's files to the sink, `finish` makes the rest from the
 * header and the trailing sections.
 */
export interface KindRun {
  survey(p: Principal): void | Promise<void>;
  /** The sections after the principals, at the end of the first pass (IAM: the roles AWS services assumed). */
  surveyTail?(tail: ProfileTail): void;
  principal(p: Principal): Promise<void>;
  /** Whether the profile held anything this kind is made from (`PolicyKind.hasEvidence`), after both passes. */
  hasEvidence(rest: ProfileRest): boolean;
  finish(rest: ProfileRest): Promise<Made>;
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
 * A kind's excess in a backtest: of `samples`, how many the policy allows; per subject whose policy allows any (the
 * samples given it as its own, and how many were allowed), and a few allowed samples in words where the kind names
 * them (NetworkPolicy's pairs).
 */
export interface Excess {
  samples: number;
  allowed: number;
  bySubject?: Record<string, { samples: number; allowed: number }>;
  examples?: string[];
}

/**
 * What the command line and the config file need of a kind, loaded without its generator and evaluator
 * (src/kinds/<kind>/info.ts, gathered in ../info.ts): its name, help and options.
 */
export interface KindInfo<O = unknown, K extends KindName = KindName> {
  name: K;
  /** What `generate <name>` makes, for its help. */
  description: string;
  /** The -o help of `generate <name>`. */
  outputHelp: string;
  /** Examples for the help of `generate <name>`: what it does, and the arguments after `audit2policy`. */
  examples: [what: string, line: string][];
  /** A short label for `generate all` help prefixes (`RBAC: `). */
  title: string;
  options: KindOption[];
  /** Its policies are Kubernetes objects (applied with kubectl; listed in DIR/kustomization.yaml). */
  kubernetesObjects?: boolean;
  /** What its two sides are called, for "not judged (no IAM policies given)". */
  nouns: { policies: string; observations: string };
  /** Command-line values (commander's camel-cased keys) → generator options; throws UsageError on bad values. */
  parseOptions(flags: Record<string, unknown>): O;
}

/**
 * Everything one policy kind brings: its generator with its options, the reader of its policies and the
 * evaluator that replays observations against them. Commands loop over the registry; adding a kind
 * is a folder of its own and one line in ./index.ts and ./info.ts.
 */
export interface PolicyKind<O = unknown, S = unknown, K extends KindName = KindName> extends KindInfo<O, K> {
  /**
   * Whether the profile holds anything this kind is made from, told a principal at a time and from the sections
   * after the principals (`hasEvidence` in ./index.ts asks both of a profile in memory).
   */
  evidence: KindEvidence;
  /** Its generator with these options, handing files to `sink` as it makes them. */
  start(options: O, sink: FileSink): KindRun;
  readPolicies(docs: PolicyDoc[]): KindPolicies<S>;
  /**
   * Its evaluator over the policies: each principal's observations of this kind replayed as the principal comes,
   * then the sections after the principals; findings and counts go to `report` (./verify.ts drives it).
   */
  replay(policies: KindPolicies<S>, report: VerifyReport, facts?: ReplayFacts): KindReplay;
  /** The grants of one or two sides of policies, for `diff` and `check`. */
  compare(sides: CompareSide<S>[], ctx: CompareContext): Promise<Comparison>;
  /** A verified observation (a would-be denial) as a CI finding's access and words. */
  describe(f: Finding<K>): { access: CiAccessByKind[K]; summary: string };
  /** An observation in words: `full` for verify's text (with the calls behind it), `brief` for the backtest's. */
  words(f: Finding<K>): { full: string; brief: string };
  /**
   * Excess for the backtest: of `samples` accesses this environment made that a subject never did (or
   * pairs that never met), how many its policy allows. `both` is training and held-out data merged: what happened in
   * either window is no sample, in every kind alike.
   */
  excess(both: Profile, policies: KindPolicies<S>, facts?: ReplayFacts): Promise<Excess | undefined>;
  /** What the excess samples are, in words: `other principals' accesses`. */
  excessSamples: string;
  /**
   * A kind whose absence allows everything (a namespace no NetworkPolicy selects): the policy that allows nothing over
   * what `heldOut` shows, as files (`path`, `text`), for the backtest of a kind training saw nothing of. A kind absent
   * from it denies everything without a policy.
   */
  allowsNothing?(heldOut: Profile): { path: string; text: string }[];
  /** How `check` tells a widening `generate` listed from an unused grant (diff/kept.ts); a kind without it has none. */
  kept?: KeptHook;
  /**
   * Why a held-out observation the policy would deny is new, against what training saw (backtest); `heldOut` is the
   * held-out window's profile, for what it says of the observation beyond the finding (an address's DNS names).
   */
  newness(f: Finding<K>, train: Profile, heldOut: Profile): string;
  /** The report's sections for what this kind is made from: permissions, risks, coverage. */
  report(profile: Profile, ctx: ReportContext): Promise<ReportPart>;
}

/** Where a kind's evidence lies: in a principal, or in the sections after the principals. */
export interface KindEvidence {
  principal(p: Principal): boolean;
  rest(rest: ProfileRest): boolean;
}

/**
 * What a replay may know of the cluster beside the profile: its Services, when the logs were read with an inventory
 * (a profile keeps none), so that CiliumNetworkPolicy `toServices` resolves as `diff --inventory` resolves it.
 */
export interface ReplayFacts {
  services?: { namespace: string; name: string; selector: Record<string, string>; labels?: Record<string, string> }[];
  /** The network plugin enforcing NetworkPolicies, when known (`--network-plugin`, or the inventory's agents). */
  plugin?: NetworkPlugin;
  /** Each workload's pod addresses (`tupleKey(namespace, name)`), when an inventory gave them. */
  podAddresses?: ReadonlyMap<string, readonly string[]>;
  /** Addresses known not to be pods' beyond those the replayed profile saw as addresses or nodes (the backtest's). */
  hosts?: readonly string[];
  /** Addresses the API server was seen at beyond the replayed profile's (the backtest's training window's). */
  apiServers?: readonly string[];
  /** The cluster's nodes (addresses, labels), when an inventory gave them: Cilium host policies select by them. */
  nodes?: readonly NodeFact[];
  /**
   * false: the cluster removed Kubernetes' default RBAC bindings (`--no-default-grants`), so what they grant every
   * authenticated user (discovery, health, self-reviews) is allowed only by the policies given.
   */
  defaultGrants?: false;
}

/** One kind's replay of a profile read principal by principal (`PolicyKind.replay`). */
export interface KindReplay {
  principal(p: Principal): void | Promise<void>;
  /** After the last principal, with the header and the sections that follow them. */
  finish(rest: ProfileRest): void;
}

/** One side of a comparison: its policies of the kind and the documents they came from. */
export interface CompareSide<S> {
  policies: KindPolicies<S>;
  docs: PolicyDoc[];
}

/** What `diff` and `check` know beside the policies. */
export interface CompareContext {
  /** The text of every policy file, for file:line locations. */
  texts: Map<string, string>;
  /** Evidence for each finding, and the workloads NetworkPolicies are compared over. */
  profile?: Profile;
  /** Cluster objects given instead of a profile. */
  inventory?: {
    workloads: WorkloadInfo[];
    namespaces: { name: string; labels: Record<string, string> }[];
    /** The cluster's Services (CiliumNetworkPolicy `toServices` resolves on them); absent when not known. */
    services?: { namespace: string; name: string; selector: Record<string, string>; labels?: Record<string, string> }[];
    /** Each workload's pod addresses (`tupleKey(namespace, name)`), for ipBlocks that may cover pods. */
    podAddresses?: ReadonlyMap<string, readonly string[]>;
    /** The cluster's nodes (addresses, labels), for Cilium host policies' nodeSelectors; absent when not known. */
    nodes?: readonly NodeFact[];
  };
  /** The network plugin enforcing NetworkPolicies, when known: an ipBlock covering a pod depends on it. */
  plugin?: NetworkPlugin;
  /** The sides in words, by index: `committed`, `generated`. */
  names: string[];
  /** false: the cluster removed Kubernetes' default RBAC bindings (`--no-default-grants`); else both sides have them */
  defaultGrants?: false;
  /**
   * In a `diff`, the proposed side (HEAD): what it has that the other side does not is new access, and risks that
   * only a gain carries (a broad peer, a privilege-escalation combination) are judged on it. Absent in `check`.
   */
  newSide?: number;
}

/**
 * Whether a side grants a grant of the other: an undetermined answer says why. `context`: the side allows it only in
 * some request contexts its own policy names (an IAM Condition, or a conditional Deny that may refuse it; a
 * NetworkPolicy's L7 rule or requirement), not for want of facts: against a side that surely allows it, that is a
 * difference of access, not an open question. `restrictions`: those of its own, in words (`an L7 rule (http)`), when
 * the kind names them; absent, they are IAM's Condition or conditional Deny.
 */
export type Coverage = 'yes' | 'no' | { undetermined: string; context?: true; restrictions?: string[] };

/** One kind's grants over the sides given, each judged by the evaluator `verify` uses. */
export interface Comparison<G = unknown> {
  /**
   * Every grant of a side, with a finding for each that cannot be stated (a Condition, a missing role), and, in a
   * `diff` of two sides, `changes`: findings the kind decides whole (an IAM NotAction statement the other side does
   * not have is new or removed access as such), and in a `check`, `unused`: grants the kind judges unused whole (an
   * IAM trust policy's subjects no service account of the logs was), outside the unused share; `partlyUsed`: of
   * those, the ones the logs used a part of (a subject pattern some subject seen matches), with whom they let in in
   * the words a widening `generate` lists names it (`check` keeps a listed one: diff/kept.ts).
   */
  grants(side: number): Promise<{
    grants: G[];
    undetermined: CiFinding[];
    changes?: CiFinding[];
    unused?: CiFinding[];
    partlyUsed?: { finding: CiFinding; grant: string }[];
  }>;
  /** Whether side `by` grants at least `g`. */
  covered(g: G, by: number): Coverage;
  /** Grants with one key are one finding (the resources or names listed inside it). */
  groupKey(g: G): string;
  /**
   * For `diff`: grants with one key are one change, a rule or statement as written (a wildcard's
   * expansion collapsed); `groupKey` when absent.
   */
  changeKey?(g: G): string;
  finding(type: FindingType, group: G[], evidence?: CiEvidence): CiFinding;
  /**
   * The profile's observations the grants cover (only when a profile was given). With `besides` (a diff's other side),
   * only those that side does not surely allow: the uses a change takes away or adds, not those both sides allow
   * (a broad statement removed beside a narrow one that stays takes away none of the calls the narrow one allows).
   */
  evidence?(group: G[], besides?: number): CiEvidence;
  /** Where a would-be denial goes: the policy file of its principal on side `side`. */
  locate(f: Finding, side: number): Location[];
}

/** A kind whose option and set types are erased, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = PolicyKind<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKindInfo = KindInfo<any, any>;
