import { fillFormat, matchFormat, resourceFormats } from './arn.js';
import { hasIamWildcard, hasPolicyVariable, iamEscape } from '../../util/glob.js';

/**
 * What AWS accepts in the identity and resource fields of a CloudTrail record. A value outside these
 * rules is an input issue and the record grants nothing: a `*` or `?` in a logged identity would read as a
 * wildcard in an IAM policy, and `${...}` as a policy variable. A resource's are escaped instead (`loggedArn`).
 */

// Control characters are what this pattern is for. An unpaired UTF-16 surrogate (JSON may write `\ud800` alone) is
// no character: no API server or AWS service logs one, and written out as UTF-8 it becomes U+FFFD, so two names
// that differ only there would become one subject and one file.
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PARTITION = 'aws(?:-[a-z]+)*';
/** IAM user and role names, and path characters other than `*` and `?` (printable ASCII, as IAM allows). */
const IAM_NAME = '[\\w+=,.@-]{1,64}';
const IAM_PATH = '/(?:[\\x21-\\x29\\x2b-\\x3e\\x40-\\x7e]*/)?';
const ROLE = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role${IAM_PATH}${IAM_NAME}$`);
const USER = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:user${IAM_PATH}${IAM_NAME}$`);
const ROOT = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:root$`);
const FEDERATED = new RegExp(`^arn:${PARTITION}:sts::\\d{12}:federated-user/[\\w+=,.@-]{2,64}$`);

export type IdentityKind = 'Role' | 'IAMUser' | 'Root' | 'FederatedUser';

/** The ARN of an identity a policy attaches to, by kind: the role's with its path, a user's, root, a federated user. */
export function identityArnProblem(kind: IdentityKind, arn: string): string | undefined {
  const re = kind === 'Role' ? ROLE : kind === 'IAMUser' ? USER : kind === 'Root' ? ROOT : FEDERATED;
  return re.test(arn)
    ? undefined
    : `is not the ARN of an IAM ${kind === 'IAMUser' ? 'user' : kind === 'Role' ? 'role' : kind === 'Root' ? 'account root' : 'federated user'}`;
}

/** A role ARN a call names (a role passed to a service, an IRSA role). */
/**
 * An IAM OIDC identity provider: `arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER`, the issuer a host and a path of
 * letters, digits, `.`, `-`, `_` and `/` (an EKS cluster's `oidc.eks.REGION.amazonaws.com/id/ID`), at most 255.
 */
export function oidcProviderProblem(arn: string): string | undefined {
  return arn.length <= 2048 && OIDC_PROVIDER.test(arn) ? undefined : 'is not the ARN of an IAM OIDC provider';
}
const OIDC_PROVIDER = new RegExp(
  `^arn:${PARTITION}:iam::\\d{12}:oidc-provider/[A-Za-z0-9.-]{1,253}(/[A-Za-z0-9._-]+)*$`,
);

/**
 * An EKS cluster's ARN (`arn:aws:eks:eu-west-1:111122223333:cluster/acme`), as EKS Pod Identity's session tag
 * `eks-cluster-arn` holds it and a trust's `aws:RequestTag/eks-cluster-arn` names it: a cluster name is a letter or
 * digit, then letters, digits, `-` and `_`, at most 100 (the EKS API Reference).
 */
export function eksClusterArnProblem(arn: string): string | undefined {
  return EKS_CLUSTER.test(arn) ? undefined : 'is not the ARN of an EKS cluster';
}
const EKS_CLUSTER = new RegExp(`^arn:${PARTITION}:eks:[a-z0-9-]{1,32}:\\d{12}:cluster/[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`);

/**
 * An external ID as STS takes it (`sts:AssumeRole`'s ExternalId, the `sts:ExternalId` a trust asks): 2 to 1,224
 * letters, digits and `_+=,.@:/-` (the STS API Reference).
 */
export function externalIdProblem(v: string): string | undefined {
  return /^[\w+=,.@:/-]{2,1224}$/.test(v) ? undefined : 'is not an external ID (2 to 1,224 of A-Z a-z 0-9 _+=,.@:/-)';
}

/** An IAM SAML provider's ARN (`arn:aws:iam::111122223333:saml-provider/Okta`), as a trust's `Federated` names it. */
export function samlProviderProblem(arn: string): string | undefined {
  return SAML_PROVIDER.test(arn) ? undefined : 'is not the ARN of an IAM SAML provider';
}
const SAML_PROVIDER = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:saml-provider/[A-Za-z0-9._-]{1,128}$`);

/**
 * The trust actions a SAML user's assumption needed, comma-joined: `sts:AssumeRoleWithSAML`, then
 * `sts:SetSourceIdentity` and `sts:TagSession` where it needed them, in that (byte) order, each once.
 */
export function samlActionsProblem(joined: string): string | undefined {
  return assumeActionsProblem(joined, 'sts:AssumeRoleWithSAML');
}

/**
 * The trust actions an AWS service's assumption needed, comma-joined: `sts:AssumeRole`, then `sts:SetSourceIdentity`
 * and `sts:TagSession` where it set a source identity or passed session tags (IAM Roles Anywhere does both).
 */
export function serviceActionsProblem(joined: string): string | undefined {
  return assumeActionsProblem(joined, 'sts:AssumeRole');
}

/**
 * The trust actions a web identity's assumption needed, comma-joined: `sts:AssumeRoleWithWebIdentity`, then
 * `sts:SetSourceIdentity` and `sts:TagSession` where the token passed a source identity or session tags.
 */
export function webIdentityActionsProblem(joined: string): string | undefined {
  return assumeActionsProblem(joined, 'sts:AssumeRoleWithWebIdentity');
}

function assumeActionsProblem(joined: string, first: string): string | undefined {
  const xs = joined.split(',');
  const known = [first, 'sts:SetSourceIdentity', 'sts:TagSession'];
  const ordered = xs.every((x, i) => known.includes(x) && (i === 0 || known.indexOf(xs[i - 1]!) < known.indexOf(x)));
  return xs[0] === known[0] && ordered
    ? undefined
    : `is not ${first} followed by sts:SetSourceIdentity or sts:TagSession, sorted, each once`;
}

/**
 * The trust actions an assumption with a token or an assertion needed: `first`, then `sts:SetSourceIdentity` where
 * the request set a source identity and `sts:TagSession` where it passed session tags (`principalTags`, `tags`,
 * `transitiveTagKeys`: the IAM User Guide's session tags page asks the trust to allow it).
 */
export function assumeActions(
  first: string,
  params: Record<string, unknown>,
  answer: Record<string, unknown>,
): string[] {
  // The assertion's or token's tags (`principalTags`, a map), AssumeRole's (`tags`, a list), the transitive keys.
  const tags = params['principalTags'];
  const listed = (v: unknown) => Array.isArray(v) && v.length > 0;
  const tagged =
    (typeof tags === 'object' && tags !== null && Object.keys(tags).length > 0) ||
    listed(params['tags']) ||
    listed(params['transitiveTagKeys']);
  const given = (v: unknown) => typeof v === 'string' && v !== '';
  const actions = [first];
  if (given(params['sourceIdentity']) || given(answer['sourceIdentity'])) actions.push('sts:SetSourceIdentity');
  if (tagged) actions.push('sts:TagSession');
  return actions;
}

/** A service principal as trust policies name it (`lambda.amazonaws.com`, `ec2.amazonaws.com.cn`). */
export function servicePrincipalProblem(v: string): string | undefined {
  return SERVICE_PRINCIPAL.test(v) ? undefined : 'is not the name of an AWS service principal';
}
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]{0,126}\.amazonaws\.com(?:\.cn)?$/;

/**
 * Who issued a web identity token, as a trust policy's `Federated` principal names it: an IAM OIDC provider's ARN
 * (GitHub Actions' `arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com`), or one of the
 * providers IAM knows without one (the IAM User Guide: Login with Amazon, Facebook, Google, Amazon Cognito).
 */
export function webIdentityProviderProblem(v: string): string | undefined {
  return BUILT_IN_PROVIDERS.has(v) || !oidcProviderProblem(v)
    ? undefined
    : 'is neither the ARN of an IAM OIDC provider nor a provider IAM knows without one';
}
/**
 * Amazon Cognito identity pools' issuer: its token's audience is the pool's id (`eu-west-1:UUID`), its subject an
 * identity id Cognito makes up for each new user or guest, so a trust names the pool (`:aud`), not the identities
 * (the Cognito Developer Guide's role trust; IAM refuses a trust of it without `:aud`).
 */
export const COGNITO_IDENTITY = 'cognito-identity.amazonaws.com';

const BUILT_IN_PROVIDERS = new Set([
  'www.amazon.com',
  'graph.facebook.com',
  'accounts.google.com',
  'cognito-identity.amazonaws.com',
]);

/**
 * A token's claim (its subject, its audience) as a trust policy compares it: 1 to 1,024 characters, no control
 * character, and no `${`, which IAM would read as a policy variable (`${token.actions.githubusercontent.com:sub}` in
 * a Condition's value compares the claim with itself, letting every subject in).
 */
export function tokenClaimProblem(v: string): string | undefined {
  if (v.length === 0 || v.length > 1024) return 'is not a token claim of 1 to 1,024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return 'holds a control character';
  return v.includes('${') ? 'holds "${", which IAM would read as a policy variable' : undefined;
}

export function roleArnProblem(arn: string): string | undefined {
  return ROLE.test(arn) ? undefined : 'is not the ARN of an IAM role';
}

/**
 * A resource ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with no wildcard (`*`, `?`), no
 * policy variable (`${`), no control character, and at most 2,048 characters. Its own `*`, `?` and `${` (an S3 key
 * may hold them) are written as IAM's escapes `${*}`, `${?}`, `${$}{` (see `loggedArn`), and pass.
 */
export function resourceArnProblem(arn: string): string | undefined {
  if (arn.length > 2048) return 'is longer than 2,048 characters';
  if (!RESOURCE_ARN.test(arn)) return 'is not an ARN';
  if (hasIamWildcard(arn)) return 'holds * or ?, which an IAM policy reads as a wildcard';
  if (hasPolicyVariable(arn)) return 'holds ${, which an IAM policy reads as a policy variable';
  if (CONTROL.test(arn)) return 'holds a control character';
  return undefined;
}

const RESOURCE_ARN = new RegExp(`^arn:${PARTITION}:[a-z0-9-]+:[a-z0-9-]*:(\\d{12}|aws)?:.`);

/** `s3.amazonaws.com`: lowercase host-name characters. */
export function eventSourceProblem(v: string): string | undefined {
  return /^[a-z0-9][a-z0-9.-]{0,127}$/.test(v) ? undefined : 'is not an event source (a service host name)';
}

/** `GetObject`, `GetFunction20150331v2`, `CreateDistribution2015_07_27`. */
export function eventNameProblem(v: string): string | undefined {
  return /^[A-Za-z][A-Za-z0-9_]{0,127}$/.test(v) ? undefined : 'is not an event name (letters, digits and _)';
}

/** `eu-west-1`, or '' for global services' records that carry none. */
export function regionProblem(v: string): string | undefined {
  return /^[a-z0-9-]{0,32}$/.test(v) ? undefined : 'is not a region';
}

/** A 12-digit account id, or ''. */
export function accountProblem(v: string): string | undefined {
  return v === '' || /^\d{12}$/.test(v) ? undefined : 'is not a 12-digit account id';
}

/** An S3 bucket name: 3 to 63 lowercase letters, digits, `.` and `-`. */
export function bucketProblem(v: string): string | undefined {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) ? undefined : 'is not an S3 bucket name';
}

/**
 * The wildcards audit2policy itself writes into a resource built from a request parameter, for a part of the ARN the
 * record cannot carry: a secret's random suffix (`secret:NAME-??????`), the path of an IAM name (`role/*\/NAME`), the
 * `:*` of a log group, a stack's id (`stack/NAME/*`), a task definition's latest revision (`family:*`). Each
 * stands after a name that is itself checked; a logged value holding `*` or `?` is never read this way.
 */
const BUILT_WILDCARDS: [RegExp, string][] = [
  [/^(arn:aws[\w-]*:secretsmanager:[^:]*:\d*:secret:.+)-\?{6}$/s, '$1'],
  [/^(arn:aws[\w-]*:iam::\d*:(?:role|user|group|instance-profile|policy)\/)\*\/(.+)$/s, '$1$2'],
  [/^(arn:aws[\w-]*:logs:[^:]*:\d*:log-group:.+):\*$/s, '$1'],
  [/^(arn:aws[\w-]*:cloudformation:[^:]*:\d*:stack\/[^/]+)\/\*$/s, '$1'],
  [/^(arn:aws[\w-]*:ecs:[^:]*:\d*:task-definition\/[^:]+):\*$/s, '$1'],
];

/**
 * A resource a logged record names, as the profile keeps it: an S3 object key's `*`, `?` and `${` (a key may hold
 * any character) as IAM's escapes `${*}`, `${?}`, `${$}{`, so that a policy naming it grants that one object
 * (`bucket/report*.csv` → `bucket/report${*}.csv`). No other resource's name may hold them (IAM, Secrets Manager, SQS,
 * SSM... allow none): any other ARN is kept as it is, and refused by the checks below if it does.
 */
export function loggedArn(arn: string): string {
  if (!/[*?]|\$\{/.test(arn)) return arn;
  const key = S3_OBJECT.exec(arn);
  return key ? arn.slice(0, key[0].length) + iamEscape(arn.slice(key[0].length)) : arn;
}

/** What comes before an S3 object's key: a bucket's (`arn:aws:s3:::bucket/`) or an access point's (`.../object/`). */
const S3_OBJECT = new RegExp(
  `^arn:${PARTITION}:s3:(?:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]|[a-z0-9-]+:\\d{12}:accesspoint/[a-z0-9-]+/object)/`,
);

/** A resource a call touched, as the profile keeps it: an ARN, or one with a wildcard audit2policy built in. */
export function candidateArnProblem(arn: string): string | undefined {
  for (const [re, to] of BUILT_WILDCARDS) if (re.test(arn)) return resourceArnProblem(arn.replace(re, to));
  return resourceArnProblem(arn);
}

/** Stand-ins for a pattern's `*` parts while the rest of it is checked as an ARN. */
const STAND_IN: Readonly<Record<string, string>> = { Region: 'us-east-1', Account: '000000000000' };

/**
 * An implied permission's resource as the profile keeps it: a candidate ARN, or a pattern audit2policy built where the
 * record could not name the resource: one of the catalogue's ARN formats of its service with whole placeholders as
 * `*` (a created volume AWS gave no id in the response, the next instance's id, every key of a Region:
 * ingest/cloudTrail/tagOnCreate.ts), every other part checked as any ARN's. A `*` inside a value is refused.
 */
export function impliedArnProblem(arn: string): string | undefined {
  const problem = candidateArnProblem(arn);
  if (!problem || !hasIamWildcard(arn)) return problem;
  const service = /^arn:[^:]*:([a-z0-9-]+):/.exec(arn)?.[1] ?? '';
  for (const list of Object.values(resourceFormats(service)))
    for (const format of list.split(', ')) {
      const values = matchFormat(format, arn);
      if (!values) continue;
      const filled: Record<string, string> = {};
      for (const [p, v] of Object.entries(values)) filled[p] = v === '*' ? (STAND_IN[p] ?? 'x') : v;
      if (Object.values(filled).some(hasIamWildcard)) continue;
      const concrete = fillFormat(format, filled, { partition: 'aws', region: '', account: '' });
      if (concrete && !candidateArnProblem(concrete)) return undefined;
    }
  return problem;
}
