import type { AwsPrincipal } from '../model/observation.js';
import {
  isAwsKind,
  isServiceLinkedRole,
  subjectFromUsername,
  type AwsSubjectKind,
  type SubjectKind,
} from '../model/subject.js';
import { isManagedGroup, isManagedUsername } from '../knowledge/kubernetes/managedIdentities.js';
import type { LeftOutIdentity } from '../model/profile.js';
import { compileGlob, matchesAny, type Glob } from '../util/glob.js';
import type { TimeSpec } from '../util/time.js';
import { UsageError } from '../model/issue.js';

/** Which principals and requests a run covers. The same scope drives profile, generate and verify. */
export interface ScopeOptions {
  subjects: string[];
  excludeSubjects: string[];
  subjectKinds: SubjectKind[];
  namespaces: string[];
  since?: TimeSpec;
  until?: TimeSpec;
  includeSystem: boolean;
  /**
   * Records without a time: kept (their time is unknown, not outside the window), or, for a held-out window, left out.
   */
  untimed?: 'keep' | 'skip';
}

export const DEFAULT_SUBJECT_KINDS: SubjectKind[] = ['ServiceAccount', 'User'];

export function defaultScope(): ScopeOptions {
  return {
    subjects: [],
    excludeSubjects: [],
    subjectKinds: [...DEFAULT_SUBJECT_KINDS],
    namespaces: [],
    includeSystem: false,
  };
}

/** Why a record or principal is out of scope; these are the keys of `skipped` counts. */
export type SkipReason =
  | 'system-identity'
  | 'subject-kind'
  | 'subject-filter'
  | 'namespace-filter'
  | 'outside-window'
  /** CloudTrail: calls made by AWS services on their own account (no identity policy to write). */
  | 'aws-service'
  /** CloudTrail: calls that need no IAM permission (sts:GetCallerIdentity, console sign-in). */
  | 'no-permission'
  /** CloudTrail: federation calls by web-identity or SAML users (governed by the role's trust policy). */
  | 'federation'
  /** CloudTrail: records whose identity type is unknown. */
  | 'unknown-identity'
  /** CloudTrail: records of an identity type a policy attaches to, but with no identity ARN. */
  | 'no-identity'
  /** CloudTrail: calls by an account's root user (no identity policy attaches to it); listed in `leftOut`. */
  | 'root-user'
  /**
   * CloudTrail: calls in federated-user sessions (GetFederationToken): the session has no policy of its own to
   * write; listed in `leftOut` against the IAM user that issued them.
   */
  | 'federated-session'
  /** CloudTrail: calls by service-linked roles (only the service changes their policies); listed in `leftOut`. */
  | 'service-linked-role'
  /**
   * CloudTrail: calls refused before any policy was asked (expired, invalid or badly signed credentials, a VPC
   * endpoint policy: knowledge/aws/errorCodes.ts). Never granted, never denied evidence.
   */
  | 'authentication-failure'
  /**
   * Kubernetes: requests answered before authorization (429 from max-in-flight or priority and fairness) whose record
   * carries no decision: never granted, never denied evidence.
   */
  | 'before-authorization'
  /** Flows: the reply direction of a connection (counted from its initiating side). */
  | 'reply'
  /** Flows: ICMP messages other than echo (errors, neighbour discovery, router messages, other queries). */
  | 'icmp-not-echo'
  /** Flows: VPC flow log records with no data (NODATA, SKIPDATA). */
  | 'no-data'
  /** Flows: protocols a NetworkPolicy cannot name (neither TCP, UDP, SCTP nor ICMP). */
  | 'unsupported-protocol'
  /** Flows: DNS query log records (Route 53 Resolver): names for addresses, no connection of their own. */
  | 'dns-answer'
  /** CloudTrail: digest files (log integrity), not events. */
  | 'cloudtrail-digest'
  /** CloudTrail: Insights events (unusual activity summaries), not API calls. */
  | 'cloudtrail-insight';

/**
 * The AWS identities profiled, as subject kinds: those an identity policy attaches to; the others are skipped for
 * the reasons below and `awsIdentitySkip`.
 */
export const AWS_KINDS: Partial<Record<AwsPrincipal['type'], AwsSubjectKind>> = {
  Role: 'IAMRole',
  IAMUser: 'IAMUser',
};
export const AWS_SKIPS: Partial<Record<AwsPrincipal['type'], SkipReason>> = {
  AWSService: 'aws-service',
  WebIdentityUser: 'federation',
  SAMLUser: 'federation',
  Unknown: 'unknown-identity',
};

/**
 * Why the calls of an AWS identity are no principal's, or undefined for a role or user a policy attaches to.
 * `root-user`, `federated-session` and `service-linked-role` are listed by identity in the profile's `leftOut`
 * (`leftOutArn` names it); the others are counts only.
 */
export function awsIdentitySkip(pr: AwsPrincipal): SkipReason | undefined {
  const skip = AWS_SKIPS[pr.type];
  if (skip) return skip;
  if (pr.type === 'Root') return pr.arn ? 'root-user' : 'no-identity';
  if (pr.type === 'FederatedUser') return pr.issuer || pr.arn ? 'federated-session' : 'no-identity';
  if (!pr.arn) return 'no-identity';
  return pr.type === 'Role' && isServiceLinkedRole(pr.arn) ? 'service-linked-role' : undefined;
}

/**
 * Who a call is granted to: a federated-user session's IAM user that issued it (`sessionContext.sessionIssuer`: the IAM
 * User Guide, "Requesting temporary security credentials": a GetFederationToken session's permissions are those both
 * the user's policies and the session policy allow, so the user's must allow each call); else the caller itself.
 */
export function issuingUser(pr: AwsPrincipal): AwsPrincipal {
  if (pr.type !== 'FederatedUser' || !pr.issuer || !/^arn:[^:]+:iam::\d{12}:user\//.test(pr.issuer)) return pr;
  return { type: 'IAMUser', arn: pr.issuer, account: pr.account };
}

/** The ARN a left-out identity is listed by: a federated session by its issuer when the record says. */
export function leftOutArn(pr: AwsPrincipal): string {
  return pr.type === 'FederatedUser' ? (pr.issuer ?? pr.arn) : pr.arn;
}

export const LEFT_OUT_REASONS: ReadonlySet<string> = new Set<LeftOutIdentity['reason']>([
  'root-user',
  'federated-session',
  'service-linked-role',
]);

/** A compiled scope: subject decisions are cached by the caller per username. */
export class Scope {
  private readonly include: Glob[];
  private readonly exclude: Glob[];
  private readonly kinds: Set<SubjectKind>;
  private readonly namespaces: Set<string>;
  /** Absolute window bounds (resolved), '' when open. */
  readonly since: string;
  readonly until: string;

  constructor(
    readonly options: ScopeOptions,
    resolved: { since?: string; until?: string } = {},
  ) {
    this.include = options.subjects.map((g) => compileGlob(g));
    this.exclude = options.excludeSubjects.map((g) => compileGlob(g));
    this.kinds = new Set(options.subjectKinds);
    this.namespaces = new Set(options.namespaces);
    this.since = resolved.since ?? (options.since?.kind === 'absolute' ? options.since.time : '');
    this.until = resolved.until ?? (options.until?.kind === 'absolute' ? options.until.time : '');
    // The window's ends as resolved: one not before the other is a window holding nothing, never an empty result.
    if (this.since !== '' && this.until !== '' && this.since >= this.until) {
      const said = (t: TimeSpec | undefined, v: string) => (t?.kind === 'relative' ? `${t.text} (${v})` : v);
      throw new UsageError(
        `--since ${said(options.since, this.since)} is not before --until ${said(options.until, this.until)}: ` +
          'the window holds nothing',
      );
    }
  }

  get hasRelativeTime(): boolean {
    return this.options.since?.kind === 'relative' || this.options.until?.kind === 'relative';
  }

  get wantsGroups(): boolean {
    return this.kinds.has('Group');
  }

  /** Whether a subject (by kind and the name its requests carry) is in scope, or why not. */
  subjectSkip(kind: SubjectKind, username: string): SkipReason | undefined {
    // Control planes' and managed providers' own identities (knowledge/kubernetes/managedIdentities.ts).
    if (!this.options.includeSystem && (kind === 'Group' ? isManagedGroup(username) : isManagedUsername(username))) {
      return 'system-identity';
    }
    // --subject-kind chooses among Kubernetes subjects; AWS identities are chosen by --subject globs on their ARNs.
    if (!isAwsKind(kind) && !this.kinds.has(kind)) return 'subject-kind';
    if (this.include.length > 0 && !matchesAny(username, this.include)) return 'subject-filter';
    if (matchesAny(username, this.exclude)) return 'subject-filter';
    return undefined;
  }

  /**
   * Whether the link of a service account to a role stays though the service account is left out: `--subject` globs
   * that select the role (its ARN, as the AssumeRole* call named it) and not the service account keep the role's
   * trust, the service accounts that assume it. Its own requests stay out; `--exclude-subject` naming the service
   * account or the role, and `--namespace`, still leave the link out.
   */
  keepsLink(serviceAccount: string, roleArn: string): boolean {
    const r = this.subjectSkip('ServiceAccount', serviceAccount);
    return (
      (r === 'subject-filter' || r === 'subject-kind') &&
      this.include.length > 0 &&
      !matchesAny(serviceAccount, this.exclude) &&
      this.subjectSkip('IAMRole', roleArn) === undefined
    );
  }

  /**
   * Why a request answered before authorization is left out: its subject's scope reason when none of the principals
   * it would count for is in scope, else `before-authorization`. No principal is made for it.
   */
  unreachedSkip(username: string, groups: readonly string[]): SkipReason {
    const own = this.subjectSkip(subjectFromUsername(username).kind, username);
    const group = this.wantsGroups && groups.some((g) => !this.subjectSkip('Group', g));
    return own && !group ? own : 'before-authorization';
  }

  namespaceSkip(namespace: string): SkipReason | undefined {
    if (this.namespaces.size === 0) return undefined;
    return this.namespaces.has(namespace) ? undefined : 'namespace-filter';
  }

  /** Records without a time are kept: their time is unknown, not outside the window. */
  timeSkip(time: string): SkipReason | undefined {
    if (time === '') return this.options.untimed === 'skip' ? 'outside-window' : undefined;
    if (this.since !== '' && time < this.since) return 'outside-window';
    if (this.until !== '' && time > this.until) return 'outside-window';
    return undefined;
  }

  /** A serialisable form for worker threads. */
  toJSON(): { options: ScopeOptions; since: string; until: string } {
    return { options: this.options, since: this.since, until: this.until };
  }

  static fromJSON(j: { options: ScopeOptions; since: string; until: string }): Scope {
    return new Scope(j.options, { since: j.since, until: j.until });
  }
}
