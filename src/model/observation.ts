import type { CallOrigin } from './profile.js';
import type { K8sAccess } from './access.js';
import type { Stage } from './evidence.js';
import type { InputIssue } from './issue.js';
import type { FlowNames, FlowObservation, RecordSkip } from './network.js';

/**
 * Whether the request passed authorization. `undecided` is a record that cannot say
 * (a RequestReceived stage carries neither a decision annotation nor a response code).
 */
export type Decision = 'allow' | 'deny' | 'undecided';

/** One Kubernetes API request record, normalised. Nothing after ingest reads raw audit JSON. */
export interface K8sRequestObservation {
  kind: 'k8s-request';
  /** The effective user: impersonatedUser when present, else user. */
  username: string;
  groups: string[];
  access: K8sAccess;
  /**
   * `unreached`: answered before authorization (429 from max-in-flight or priority and fairness, without a decision
   * annotation): no evidence either way; the profile counts it in `skipped.before-authorization`.
   */
  decision: Decision | 'unreached';
  stage: Stage;
  /** Normalised RFC 3339 UTC time with microseconds; '' when the record had none. */
  time: string;
  /** auditID. */
  id: string;
  /** For a create: the name of the object it made (`objectRef.name`, filled in by the API server). */
  created?: string;
  /** The create asked for a generated name (`requestObject.metadata.generateName`, at Request level and above). */
  generateName?: boolean;
  /** Checks the API server made for this request besides authorizing it (escalation prevention, impersonation). */
  implied?: ImpliedCheck[];
  /**
   * An allowed request whose `authorization.k8s.io/reason` is not RBAC's (`RBAC: allowed by …`): another authorizer
   * allowed it (a webhook: EKS access policies, GKE IAM, AKS Azure RBAC). The reason, made safe (outsideRbac.ts).
   */
  outsideRbac?: string;
  /** The user who made an impersonated request (`user`); the request itself is `username`'s. */
  impersonator?: { username: string; groups: string[] };
  /** A binding write whose record does not carry the roleRef (audit level Metadata): the bind it needed is unknown. */
  roleRefUnknown?: boolean;
  /**
   * A patch of a Role, ClusterRole, RoleBinding or ClusterRoleBinding: whether its logged body changes only
   * metadata.finalizers and metadata.ownerReferences (no bind or escalate check; false when no body shows it).
   */
  gcOnly?: boolean;
  /**
   * The IAM role session the request's user signed in as, from its `user.extra` (aws-iam-authenticator, EKS): absent
   * when the record shows none (no `canonicalArn`, not a role's, no `sessionName`) and for impersonated requests.
   */
  iam?: IamSession;
}

/** An IAM role's session as `user.extra` names it: `canonicalArn`, `sessionName`, `accessKeyId` ('' when absent). */
export interface IamSession {
  role: string;
  session: string;
  accessKeyId: string;
}

/**
 * A permission the API server checks beyond a request's own authorization: `bind` on the role a
 * RoleBinding or ClusterRoleBinding write refers to, `escalate` on a Role or ClusterRole written (both the
 * request's own user's, unless it holds every permission in the role), `impersonate` on each attribute of
 * an impersonated identity (the impersonator's).
 */
export interface ImpliedCheck {
  access: K8sAccess;
  /** `allow`: the request got past the check; `deny`: it was refused (401/403); `undecided`: RequestReceived. */
  decision: Decision;
  /** escalate: the name of the role written (a create carries it only in its body). */
  role?: string;
}

/** Who made an AWS call, normalised to the identity a policy attaches to. */
export interface AwsPrincipal {
  type: 'Role' | 'IAMUser' | 'Root' | 'FederatedUser' | 'AWSService' | 'WebIdentityUser' | 'SAMLUser' | 'Unknown';
  /**
   * Role ARN (with its path when the record's session issuer shows it) for assumed roles, the user or root ARN, the
   * federated user's ARN, the service name for AWSService; '' when the record names no identity.
   */
  arn: string;
  account: string;
  /** A federated user's session issuer (the IAM user or root that called GetFederationToken), when the record says. */
  issuer?: string;
}

/** A Kubernetes service account that assumed an IAM role (IRSA or EKS Pod Identity). */
export interface ServiceAccountLink {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  via: 'irsa' | 'pod-identity';
  /** IRSA: the OIDC provider of the token (the record's `userIdentity.identityProvider`), when it names one. */
  provider?: string;
  /** Pod Identity: the cluster, as the session tag `eks-cluster-arn` names it, when the record has it. */
  cluster?: string;
}

/** A permission a call needs besides its own action. */
export interface ImpliedPermission {
  action: string;
  /** The ARN, or '' when the event does not say (a role inside an instance profile). */
  resource: string;
  /** Where it came from: `requestParameters.role`. */
  via: string;
}

/** One CloudTrail record, normalised. */
export interface AwsCallObservation {
  kind: 'aws-call';
  principal: AwsPrincipal;
  eventSource: string;
  eventName: string;
  region: string;
  /** The account the call went to: recipientAccountId, else the caller's. */
  account: string;
  /**
   * From the error code (knowledge/aws/errorCodes.ts): `deny` refused by a policy, `unauthenticated` never
   * reached one (expired or invalid credentials, a VPC endpoint policy), `allow` passed the permission check.
   */
  decision: 'allow' | 'deny' | 'unauthenticated';
  errorCode: string;
  /** Normalised time, or '' when the record had no eventTime (some shippers keep only their own). */
  time: string;
  /** eventID. */
  id: string;
  /** ARNs the call touched: CloudTrail's `resources[]` and those built from request parameters, sorted, distinct. */
  resources: string[];
  implied: ImpliedPermission[];
  /**
   * What the call created under ids AWS made up, as ARNs (`snapshot/snap-…` from CreateSnapshot's response), sorted,
   * distinct; absent when none: later calls on them name ids the principal made, not stable ones.
   */
  created?: string[];
  link?: ServiceAccountLink;
  /**
   * An AWS service's AssumeRole of a role (not a Pod Identity link): the service, the role, and the trust actions it
   * needed where more than `sts:AssumeRole` (`sts:SetSourceIdentity`, `sts:TagSession`; sorted).
   */
  serviceLink?: { service: string; roleArn: string; actions?: string[] };
  /** A web identity's AssumeRoleWithWebIdentity that is no service account's (GitHub Actions, another OIDC issuer). */
  webIdentityLink?: WebIdentityLink;
  /** A SAML user's AssumeRoleWithSAML (Okta, Entra ID, ADFS, IAM Identity Center). */
  samlLink?: SamlLink;
  /** Where it came from (callOrigin.ts); absent where the record does not say (no `sourceIPAddress`). */
  origin?: CallOrigin;
  /** An AssumeRole's `requestParameters.externalId`: a trust asking `sts:ExternalId` must be given it. */
  externalId?: string;
}

/** Who became a role with a web identity token: the provider, the token's subject and audience, and the role. */
export interface WebIdentityLink {
  roleArn: string;
  /** The `Federated` principal: an OIDC provider's ARN, or `accounts.google.com` and the like. */
  provider: string;
  subject: string;
  /** The token's audience (`sts.amazonaws.com` for GitHub Actions); absent where the record does not say. */
  audience?: string;
  /**
   * The trust actions it needed where more than `sts:AssumeRoleWithWebIdentity`: that, then `sts:SetSourceIdentity`
   * and `sts:TagSession` where the token passed a source identity or session tags; sorted. Absent: only the first.
   */
  actions?: string[];
}

/**
 * Who became a role with a SAML assertion: the IAM SAML provider, the assertion's subject (its NameID) and the
 * NameID's format, its audience, and the trust actions the request needed (`sts:AssumeRoleWithSAML`, and
 * `sts:TagSession` / `sts:SetSourceIdentity` where the assertion passed session tags or a source identity).
 */
export interface SamlLink {
  roleArn: string;
  /** `arn:aws:iam::ACCOUNT:saml-provider/NAME`. */
  provider: string;
  subject: string;
  /** `persistent`, `transient`, `unspecified`...; absent where the record does not say. */
  subjectType?: string;
  /** The assertion's Recipient (`https://signin.aws.amazon.com/saml`); absent where the record does not say. */
  audience?: string;
  /** Sorted. */
  actions: string[];
}

/** Everything ingest yields: observations of any source, and issues. */
export type Observation = K8sRequestObservation | AwsCallObservation | FlowObservation | RecordSkip | FlowNames;
export type IngestItem = Observation | InputIssue;
