import { accessKey, type K8sAccess } from './access.js';
import type { Evidence } from './evidence.js';
import type { InputIssue } from './issue.js';
import type { NetEdge, WorkloadInfo } from './network.js';
import type { ImpliedPermission, SamlLink, WebIdentityLink } from './observation.js';
import type { Subject } from './subject.js';

/**
 * The apiVersion of the JSON documents audit2policy writes besides the profile: the evidence, the IAM index, the
 * config file and the JSON of verify, diff, check and backtest (docs/formats.md).
 */
export const API_VERSION = 'audit2policy.dev/v1alpha1';
/**
 * The profile's own apiVersion: v1alpha2 is the streaming format (JSON lines, docs/formats.md, ADR 0010); v1alpha1,
 * one JSON document, is still read (`LEGACY_PROFILE_API_VERSION`).
 */
export const PROFILE_API_VERSION = 'audit2policy.dev/v1alpha2';
export const LEGACY_PROFILE_API_VERSION = 'audit2policy.dev/v1alpha1';

/** The normal-behaviour graph: who did what, with evidence. Serialised as JSON; see docs/formats.md. */
export interface Profile {
  apiVersion: typeof PROFILE_API_VERSION;
  kind: 'Profile';
  /** Earliest and latest time of the records in scope ('' when none had a time). */
  window: { start: string; end: string };
  /** Every input read, sorted by path. The only part that differs between a whole and its merged halves. */
  sources: SourceRecord[];
  /** Records left out of scope, by reason (`system-identity`, `subject-filter`, ...). */
  skipped: Record<string, number>;
  /**
   * The filters the profile was made with (profile/filters.ts): one set for a profile of logs, each distinct set of
   * the inputs for a merge (`{}` for an unfiltered one); absent when no filter was given.
   */
  filters?: ProfileFilters[];
  principals: Principal[];
  /**
   * AWS identities no identity policy attaches to (an account's root user, federated-user sessions, service-linked
   * roles), with their calls counted: never principals, never granted. Sorted by reason and ARN; absent when none.
   */
  leftOut?: LeftOutIdentity[];
  /**
   * Network slice: workloads (seen in flows, or in the inventory) with their selectors, sorted by namespace and name.
   */
  workloads?: WorkloadInfo[];
  /** Network slice: observed connections, sorted. */
  network?: NetEdge[];
  /** DNS names seen for addresses, sorted by address. */
  dnsNames?: { ip: string; names: string[] }[];
  /** Namespaces with their labels (from the inventory), for evaluating namespace selectors. */
  namespaces?: { name: string; labels: Record<string, string> }[];
  /**
   * The inventory's nodes that are EC2 instances (`spec.providerID` `aws:///<zone>/<instance id>`), sorted by instance
   * id and node; absent when none. IAM generation widens a call's `instance/<id>` that is one of them: nodes are
   * replaced (knowledge/aws/nodeInstances.ts).
   */
  nodeInstances?: NodeInstance[];
  /**
   * Roles AWS services assumed (an allowed AssumeRole by `userIdentity.type` AWSService: Lambda, EC2, ECS tasks), with
   * the service, for the roles' trust policies; sorted by role and service; absent when none. The services' calls stay
   * out of the principals (`skipped['aws-service']`).
   */
  serviceAssumptions?: ServiceAssumption[];
  /**
   * Roles assumed with a web identity token that is no service account's (GitHub Actions, GitLab CI, Google, Cognito:
   * an allowed AssumeRoleWithWebIdentity whose subject is not `system:serviceaccount:...`), for the roles' trust
   * policies; sorted by role, provider, subject, audience and actions; absent when none. The web identities' calls
   * stay out of the principals (`skipped.federation`).
   */
  webIdentityAssumptions?: WebIdentityAssumption[];
  /**
   * Roles assumed with a SAML assertion (an allowed AssumeRoleWithSAML: Okta, Entra ID, ADFS, IAM Identity Center),
   * for the roles' trust policies; sorted by role, provider, subject, subject type, audience and actions; absent when
   * none. The SAML users' calls stay out of the principals (`skipped.federation`).
   */
  samlAssumptions?: SamlAssumption[];
}

/** The sections of roles assumed by callers that are no principal: AWS services, web identities, SAML users. */
export type OutsideAssumptions = Pick<Profile, 'serviceAssumptions' | 'webIdentityAssumptions' | 'samlAssumptions'>;

/**
 * A SAML user's assumption of a role (the link's fields: the role, the SAML provider, the assertion's subject, its
 * type and audience, the trust actions it needed), with the AssumeRoleWithSAML events that show it.
 */
export interface SamlAssumption extends SamlLink {
  evidence: Evidence;
}

/**
 * A web identity's assumption of a role (the link's fields: the role, the `Federated` provider, the token's subject
 * and audience, the trust actions beyond `sts:AssumeRoleWithWebIdentity` it needed), with the AssumeRoleWithWebIdentity
 * events that show it.
 */
export interface WebIdentityAssumption extends WebIdentityLink {
  evidence: Evidence;
}

/** A Kubernetes node that is an EC2 instance: its name and its instance id. */
export interface NodeInstance {
  node: string;
  instanceId: string;
}

/** An AWS service's assumption of a role, with the AssumeRole events that show it. */
export interface ServiceAssumption {
  roleArn: string;
  /** The service principal, `lambda.amazonaws.com` (the record's `userIdentity.invokedBy`). */
  service: string;
  /**
   * The trust actions it needed where more than `sts:AssumeRole`: that, then `sts:SetSourceIdentity` and
   * `sts:TagSession` where it set a source identity or passed session tags (IAM Roles Anywhere); sorted.
   */
  actions?: string[];
  evidence: Evidence;
}

/** Requests another authorizer than RBAC allowed: how many, and the smallest reason as an example. */
export interface OutsideRbac {
  count: number;
  reason: string;
}

/** The non-default subject and namespace filters of a run; lists sorted. */
export interface ProfileFilters {
  subjects?: string[];
  excludeSubjects?: string[];
  subjectKinds?: Subject['kind'][];
  namespaces?: string[];
  includeSystem?: true;
}

/** An AWS identity whose calls were left out because no identity policy attaches to it. */
export interface LeftOutIdentity {
  /** The `skipped` count its records are in. */
  reason: 'root-user' | 'federated-session' | 'service-linked-role';
  /**
   * The root user's ARN; for federated sessions, the IAM user (or root) that issued them when the records say,
   * else the federated user's ARN; the service-linked role's ARN (with its path when a record showed it).
   */
  arn: string;
  /** Records, whatever their decision. */
  count: number;
  /** The calls, `eventSource eventName`, sorted. */
  events: string[];
}

export interface SourceRecord {
  path: string;
  /** Which reader handled it: `k8s-audit`, or `skipped` for a file that was no log at all. */
  format: string;
  /** Bytes read from disk (compressed size for gzip). */
  bytes: number;
  /** Records decoded. */
  records: number;
  /** Input issues in this file. */
  issues: number;
  /** The first issues of this file, in line order (at most ISSUE_SAMPLE_LIMIT). */
  issueSamples: InputIssue[];
  /** Why the file was skipped, when format is `skipped`. */
  notice?: string;
  /**
   * Notices (records kept, read with what could be read: a time in another form, no time), absent when none: one per
   * record, or one per file and kind with the count in its message.
   */
  notices?: number;
  /** The first notices of this file, in line order. */
  noticeSamples?: InputIssue[];
  /** Audit logs in managed-cluster envelopes: inner records unwrapped, by envelope (absent when none). */
  envelopes?: Record<string, number>;
  /** Envelope records that held no audit Event, by `envelope/reason` (absent when none). */
  envelopeSkipped?: Record<string, number>;
}

export const ISSUE_SAMPLE_LIMIT = 20;

export interface Principal {
  subject: Subject;
  /** The name requests carry: `system:serviceaccount:shop:web`, `alice`, or the group name. */
  username: string;
  /** Groups the principal's requests carried (union), for evaluating bindings to groups. */
  groups: string[];
  /** Kubernetes API accesses, sorted (empty for AWS identities). */
  k8s: K8sEdge[];
  /** AWS API calls, sorted (AWS identities only; absent when there are none). */
  aws?: AwsEdge[];
  /** IAM roles this service account assumed (IRSA, EKS Pod Identity), sorted (absent when none). */
  assumes?: RoleLink[];
  /** Objects the principal created itself (allowed creates), by namespace and resource, sorted (absent when none). */
  created?: CreatedNames[];
  /**
   * (AWS) Resources it created under ids AWS made up (EC2 instances, volumes, snapshots, images, security groups; KMS
   * keys), as the ARNs later calls name them: from allowed creates' responses, sorted, distinct (absent when none).
   */
  createdArns?: string[];
  /**
   * A User whose username names one session of an IAM role, as its requests' `user.extra` showed (the role's
   * `canonicalArn`, and the session's name or access key inside the username): each role with the username's
   * template, sorted by role then template. Absent when no record showed it, and when the username's own shape does
   * (EKS's default `arn:…:assumed-role/ROLE/{{SessionName}}`, knowledge/kubernetes/sessionUsers.ts).
   */
  roleSessions?: RoleSession[];
  /**
   * (Kubernetes) Allowed requests an authorizer other than RBAC allowed (their `authorization.k8s.io/reason` is not
   * RBAC's), with the smallest reason seen: RBAC made for the principal does not restrict what that authorizer grants.
   */
  outsideRbac?: OutsideRbac;
}

/** An IAM role a username is one session of, and the username with the session's part as its template marker. */
export interface RoleSession {
  /** `arn:PARTITION:iam::ACCOUNT:role/NAME`, as the authenticator gives it (without the role's path). */
  role: string;
  /** `admin:{{SessionName}}`: the username with `{{SessionName}}`, `{{SessionNameRaw}}` or `{{AccessKeyID}}`. */
  template: string;
}

/** Names of objects a principal created: later reads and deletes of them are of names it made, not stable ones. */
export interface CreatedNames {
  namespace: string;
  apiGroup: string;
  resource: string;
  names: string[];
  /** Those of `names` made with `generateName` (seen when the audit level logs request bodies). */
  generated?: string[];
}

/** One observed kind of AWS call: the event, the resources it touched, what else it needed. */
/**
 * Where a call came from, as its record says: `sourceIPAddress` where it is an IP address (else ''), `vpcEndpointId`,
 * `tls` where the record has `tlsDetails` (else ''), and `userIdentity.invokedBy` (the service that made the call for
 * the principal).
 */
export type CallOrigin = [sourceIp: string, vpce: string, tls: '' | 'tls', invokedBy: string];

export interface AwsCall {
  eventSource: string;
  /** The event name without API version suffixes (`GetFunction`, not `GetFunction20150331v2`). */
  eventName: string;
  /** ARNs the call touched (CloudTrail's resources[] and those built from request parameters), sorted. */
  resources: string[];
  /** Permissions the call needed besides its own action, sorted. */
  implied: ImpliedPermission[];
  /**
   * The record's awsRegion and the account the call went to (recipientAccountId, else the caller's): what an ARN of a
   * resource the call did not name still holds. Absent in profiles written before they were kept.
   */
  region?: string;
  account?: string;
  /**
   * An AssumeRole's external ID (`requestParameters.externalId`): calls with another, or none, are other edges, so the
   * role's trust can ask `sts:ExternalId` of exactly those seen. Absent when the calls passed none.
   */
  externalId?: string;
}

export interface AwsEdge extends AwsCall {
  allowed?: Evidence;
  denied?: Evidence;
  /**
   * Where its allowed records came from (callOrigin.ts): each distinct origin, in order, at most ORIGIN_LIMIT of them
   * (the first in that order); `originsMore` when they had more, or records that did not say. Absent: none said
   * (a profile written before origins were kept, a record shape without them).
   */
  origins?: CallOrigin[];
  originsMore?: true;
}

/** A service account → IAM role link with the AssumeRole* events that show it. */
export interface RoleLink {
  roleArn: string;
  via: 'irsa' | 'pod-identity';
  /**
   * IRSA: the OIDC providers (ARNs) whose tokens the service account assumed the role with, sorted, distinct: a
   * generated trust names them. Absent for Pod Identity, and where no record named one (profiles written before).
   */
  providers?: string[];
  /**
   * Pod Identity: the clusters (ARNs, the session tag `eks-cluster-arn`) whose pods assumed the role, sorted, distinct:
   * a generated trust pins them. Absent for IRSA, and where no record named one (profiles written before).
   */
  clusters?: string[];
  evidence: Evidence;
}

/** One observed access with evidence split by authorization decision. At least one is present. */
export interface K8sEdge extends K8sAccess {
  allowed?: Evidence;
  denied?: Evidence;
  /** Records that could not say (RequestReceived only). */
  undecided?: Evidence;
  /**
   * Present on a check the API server made for the subject beyond a request's own authorization (verb
   * `bind`, `escalate` or `impersonate`): the requests behind it, sorted. Its evidence is theirs.
   */
  implied?: ImpliedBy[];
  /** A binding write some of whose records did not carry the roleRef: the bind it needed is unknown. */
  roleRefUnknown?: true;
  /**
   * A patch of an RBAC object every allowed record of which changed only metadata.finalizers and
   * metadata.ownerReferences, as its logged body shows: the API server makes no bind or escalate check for it
   * (IsOnlyMutatingGCFields). Absent when any allowed record was another write, or showed no body.
   */
  gcOnly?: true;
}

/** The request behind an implied check. */
export interface ImpliedBy {
  /** The request, as the access of its edge: the subject's own for bind and escalate, `as`'s for impersonate. */
  request: K8sAccess;
  /** impersonate: the user the request was made as. */
  as?: string;
  /** escalate: the name of the role written. */
  role?: string;
}

/**
 * Verbs that are never requests of their own: the API server checks them while serving other requests, on the
 * role or identity the request is about; OpenShift's admission checks `use` of the SecurityContextConstraints a pod
 * is admitted under (inventory/scc.ts). Named by what they are for, never generalized by name.
 */
export const CHECK_VERBS: ReadonlySet<string> = new Set(['bind', 'escalate', 'impersonate', 'use']);

/** The access of an edge, without its evidence and annotations. */
export function edgeAccess(e: K8sAccess): K8sAccess {
  return {
    verb: e.verb,
    apiGroup: e.apiGroup,
    resource: e.resource,
    subresource: e.subresource,
    namespace: e.namespace,
    name: e.name,
    nonResourceURL: e.nonResourceURL,
  };
}

/**
 * Whether an edge may become a rule: something was allowed, or the only records are undecided
 * (an audit policy that logs RequestReceived alone). Undecided records beside denials are taken
 * to be the first stage of the denied requests, so they never grant.
 */
export function isGrantable(e: K8sEdge): boolean {
  if (e.allowed) return true;
  return !!e.undecided && !e.denied;
}

/** The evidence that justifies granting an edge. */
export function grantEvidence(e: K8sEdge): Evidence | undefined {
  return e.allowed ?? (e.denied ? undefined : e.undecided);
}

/**
 * The edges of a principal that may become rules, in profile order: `isGrantable`, except
 * - an undecided-only access the principal also made as another user: the API server logs a request's
 *   RequestReceived record before it switches to the impersonated user, so such a record is the first stage of
 *   an impersonated request (whose impersonate checks list it), never a request of the impersonator's own;
 * - a bind or escalate check none of whose requests may become a rule (a RequestReceived record beside a denial).
 */
export function grantableEdges(p: Principal): K8sEdge[] {
  // Without checks (most principals), the edges that may become rules are those requests: no key is needed.
  if (!p.k8s.some((e) => e.implied)) return p.k8s.filter(isGrantable);
  const asOther = new Set<string>();
  for (const e of p.k8s)
    if (e.verb === 'impersonate') for (const i of e.implied ?? []) asOther.add(accessKey(i.request));
  const requests = p.k8s.filter((e) => !e.implied && isGrantable(e) && (e.allowed || !asOther.has(accessKey(e))));
  const granted = new Set(requests.map(accessKey));
  // bind and escalate are checked for the subject's own requests: only for a request it may make.
  const keep = new Set(requests);
  for (const e of p.k8s)
    if (e.implied && isGrantable(e))
      if (e.verb === 'impersonate' || e.implied.some((i) => granted.has(accessKey(i.request)))) keep.add(e);
  return p.k8s.filter((e) => keep.has(e));
}
