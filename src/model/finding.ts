import type { K8sAccess } from './access.js';
import { entryOf } from '../util/own.js';

/**
 * Findings, one shape for every policy kind. Each kind names the access its findings carry in the two
 * maps below; a kind added later adds its entries from its own folder by declaration merging
 * (`declare module '../../model/finding.js' { interface AccessByKind { gcp: GcpAccess } }`), so this
 * file does not change. Two serialized forms exist because two documented outputs use them: `Finding`
 * is one observed access judged by `verify` (verify --format json), `CiFinding` is one located grant or
 * observation of `diff` and `check` (their JSON, SARIF, annotations).
 */

/** What one observed access is, per kind. */
export interface AccessByKind {
  rbac: K8sAccess;
  iam: IamAccess;
  netpol: NetAccess;
}

/** What one grant of a policy is, as diff and check findings carry it, per kind. */
export interface CiAccessByKind {
  rbac: RbacCiAccess;
  iam: IamCiAccess;
  netpol: NetCiAccess;
}

/** The policy kinds: the keys of the registry in src/kinds/. */
export type KindName = keyof AccessByKind & keyof CiAccessByKind;

/** Evidence as findings carry it: counts and times, with sample record ids. */
export interface FindingEvidence {
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

/** One AWS permission an observed call needed. */
export interface IamAccess {
  action: string;
  /** The ARN, or `*` when the action takes no resource or the event named none. */
  resource: string;
  /** The calls that needed it: `s3.amazonaws.com PutObject`. */
  events: string[];
  /** For implied permissions: where the event says it. */
  implied?: string[];
}

/** One observed connection: the source and destination peers (`shop/web`, an address). */
export interface NetAccess {
  from: string;
  to: string;
  protocol: string;
  port: number;
}

/** One observed access judged against policies (`verify --format json`). */
export type Finding<K extends KindName = KindName> = {
  [k in K]: {
    /** Which policy kind judged it. */
    kind: k;
    /** The name the requests carried (`system:serviceaccount:shop:web`), a principal ARN, a source peer. */
    subject: string;
    subjectKind: string;
    access: AccessByKind[k];
    /** For connections, `count` is connections seen starting (records when no start was captured). */
    evidence: FindingEvidence;
    /** What allowed it, or why it could not be decided. */
    detail?: string;
  };
}[K];

export type RbacFinding = Finding<'rbac'>;
export type IamFinding = Finding<'iam'>;
export type NetpolFinding = Finding<'netpol'>;

/** The result of replaying observations against policies (`verify --format json`). */
export interface VerifyReport {
  /** Distinct authorized accesses in scope. */
  observed: number;
  allowed: number;
  notAllowed: Finding[];
  undetermined: Finding[];
  /** Requests outside the scope, by reason. */
  skipped: Record<string, number>;
  byKind: Record<
    string,
    {
      observed: number;
      allowed: number;
      /** RBAC: of those allowed, how many only the cluster's default ClusterRoles allow (discovery, health). */
      byDefaultGrants?: number;
      unobservedPairs?: number;
      unobservedAllowed?: number;
      unobservedAllowedExamples?: string[];
    }
  >;
  /** Requests the logs show as denied: seen, never granted, not failures. */
  denied: Finding[];
  /** Kinds with only one side given (policies without observations or the reverse), and which is missing. */
  notJudged?: Partial<Record<KindName, string>>;
  /** Distinct accesses replayed and allowed, per subject (a username, a principal ARN, a source workload). */
  bySubject?: Record<string, { observed: number; allowed: number }>;
}

/** Count one replayed access of a subject. */
export function tally(report: VerifyReport, subject: string, allowed: boolean): void {
  const by = (report.bySubject ??= {});
  const t = entryOf(by, subject, () => ({ observed: 0, allowed: 0 }));
  t.observed++;
  if (allowed) t.allowed++;
}

// ---- diff and check ---------------------------------------------------------------------------

/** How much a permission matters to a reviewer (docs/report.md lists the catalogue). */
export type RiskLevel = 'high' | 'medium' | 'low';

/** One reason a permission is risky, with its level. */
export interface Risk {
  level: RiskLevel;
  reason: string;
  /** The permission the reason is about, when it names one (`iam:CreateUser: an IAM or STS write`). */
  about?: string;
}

/** A risk in words: `iam:CreateUser: an IAM or STS write`. */
export const riskWords = (r: Risk): string => (r.about ? `${r.about}: ${r.reason}` : r.reason);

export const RISK_ORDER: Record<RiskLevel, number> = { high: 0, medium: 1, low: 2 };

/** The highest level among risks, or undefined when there are none. */
export function topRisk(risks: readonly Risk[]): RiskLevel | undefined {
  let top: RiskLevel | undefined;
  for (const r of risks) if (!top || RISK_ORDER[r.level] < RISK_ORDER[top]) top = r.level;
  return top;
}

/** A place in a policy file, 1-based. */
export interface Location {
  file: string;
  line: number;
  /**
   * diff: the place is in a BASE file that HEAD does not have under that name (removed access, a rule HEAD dropped).
   * `head` is HEAD's file at the same path under HEAD's root, when it has one: where a review annotation can go, as
   * GitHub and code scanning attach annotations to the pull request's files only (src/diff/locations.ts).
   */
  side?: 'base';
  head?: string;
}

/** What a CI finding says: evidence when logs or a profile were given. */
export interface CiEvidence {
  used: boolean;
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

/**
 * `diff BASE HEAD`: what HEAD newly allows and what it no longer allows; `check`: would-deny and unused, and
 * `kept-widening`: unused in these logs, but a widening the generator listed in the evidence beside the policy.
 */
export type FindingType = 'new-access' | 'removed-access' | 'undetermined' | 'would-deny' | 'unused' | 'kept-widening';

/** RBAC: a verb on a resource (names, empty = every name) in a namespace ('' = cluster-wide), or on URLs. */
export interface RbacCiAccess {
  verb: string;
  /** When one finding stands for a whole rule: every verb and resource of it (`verb`, `resource` the first). */
  verbs?: string[];
  resources?: string[];
  namespace?: string;
  apiGroup?: string;
  resource?: string;
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
/** IAM: an action on resources (with the calls that needed it, for a would-be denial). */
export interface IamCiAccess {
  /** The action, or the pattern as the statement writes it (`s3:*`). */
  action: string;
  /** A pattern's expansion against AWS's catalogue, when it stands for more than one action. */
  actions?: string[];
  resources: string[];
  events?: string[];
}
/**
 * NetworkPolicy: connections of one protocol between a source and a destination (a workload, an address, or
 * address blocks as `0.0.0.0/0 except 1.2.3.4/32`); `port` is the first port (0 for ICMP).
 */
export type NetCiAccess = NetAccess & {
  /** When more than one port: every port and range (`443`, `8081-9000`). */
  ports?: string[];
};

/** One finding per principal and access, the affected resources listed inside it (docs/formats.md). */
export type CiFinding<K extends KindName = KindName> = {
  [k in K]: {
    type: FindingType;
    kind: k;
    /** Subject, IAM principal (its ARN, or `<account>/role/<name>`) or source workload. */
    principal: string;
    /** What is granted or used (empty for an undetermined finding, whose `detail` says what). */
    access: CiAccessByKind[k] | Record<string, never>;
    /** The access in words, for people: `get configmaps web-config in shop`. */
    summary: string;
    /** How risky the access is, from the catalogue shared with the report (highest level first). */
    risk?: { level: RiskLevel; reasons: string[] };
    evidence?: CiEvidence;
    locations: Location[];
    detail?: string;
  };
}[K];

export interface CiReport {
  command: 'diff' | 'check';
  /** diff: what HEAD (the second side) allows that BASE does not, located on HEAD's files. */
  newAccess: CiFinding[];
  /** diff: what BASE allows that HEAD does not, located on BASE's files. */
  removedAccess: CiFinding[];
  undetermined: CiFinding[];
  wouldDeny: CiFinding[];
  unused: CiFinding[];
  /**
   * check: grants the logs never used (wholly or beyond what they used) that `generate` wrote as a listed widening (the
   * evidence beside the policy file says so: DNS over TCP beside the UDP used, a release-tag pattern), kept on purpose:
   * not `unused`, and no part of the unused share.
   */
  kept?: CiFinding[];
  /** check: share of each principal's grants that the logs never used. */
  unusedShare: Record<string, number>;
  /** Kinds compared or checked. */
  kinds: KindName[];
  /** check: kinds with only one side given, and which is missing (never reported as denied or unused). */
  notJudged?: Partial<Record<KindName, string>>;
  /**
   * check: observed accesses the policies do not allow but Kubernetes' default ClusterRoles do (discovery, health,
   * self-reviews), so they are no would-be denials unless the cluster removed those bindings (`--no-default-grants`).
   */
  byDefaultGrants?: number;
  /**
   * Policy input issues left out under `--on-error skip`: how many, and the first SKIPPED_SHOWN. What they held was
   * not compared, so a reader of the report (a pull-request comment) must see that it is partial.
   */
  skipped?: { count: number; issues: { file: string; line: number; code: string; message: string }[] };
}

/** How many skipped issues a CI report names; the rest are counted. */
export const SKIPPED_SHOWN = 10;
