import { COGNITO_IDENTITY } from '../../knowledge/aws/names.js';
import { iamIdentity } from '../../model/subject.js';
import type { ClusterPins } from '../../verify/iam/trustBreadth.js';
import type { Entry } from './trust.js';

/**
 * For `diff`: a trust entry that names no one subject (a pattern of subjects, any subject of an issuer, any user of a
 * SAML provider, a pattern of IAM principals, an account, anyone, any Pod Identity association) is compared by its
 * subjects (`covered`), and beside that by one subject it lets in, asked of both sides' trusts as an exact entry is:
 * the same pattern under another audience, or without an action its tokens need, lets that subject in on one side
 * only. The stand-in is made from the entry alone (a pattern's `*` and `?` filled in, a made-up name where any will
 * do), so a `diff` without logs compares it too; it shows in no output.
 */
export type Witness = Pick<Entry, 'exact' | 'token' | 'caller' | 'saml' | 'cluster' | 'externalId'>;

/** The name a stand-in subject is given where the entry lets in any. */
const NAME = 'a2p-witness';

/** A value an IAM `StringLike` pattern matches: each `*` and `?` filled in. */
export const fillPattern = (pattern: string) => pattern.replace(/\*/g, NAME).replace(/\?/g, 'w');

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:*?]+):([^:*?]+)$/;

/**
 * A token subject of an issuer (undefined: any subject): a service account's as IRSA asks it, another's (GitHub
 * Actions, Cognito) with the audience the statement asks; a Cognito identity twice, signed in and a guest (`amr`,
 * which the Cognito Developer Guide's trusts ask under `ForAnyValue:StringLike`). None for a token of any issuer,
 * whose keys name none.
 */
export function tokenWitness(
  issuer: string,
  subject: string | undefined,
  audience?: string,
): Witness | Witness[] | undefined {
  if (issuer === '*') return undefined;
  const value = subject !== undefined ? fillPattern(subject) : undefined;
  const sa = value !== undefined ? SERVICE_ACCOUNT.exec(value) : undefined;
  if (sa) return { exact: { namespace: sa[1]!, serviceAccount: sa[2]! } };
  if (value === undefined && /^oidc\.eks\./i.test(issuer)) return { exact: { namespace: NAME, serviceAccount: NAME } };
  const token = { subject: value ?? NAME, ...(audience !== undefined ? { audience } : {}) };
  if (issuer.toLowerCase() === COGNITO_IDENTITY)
    return ['authenticated', 'unauthenticated'].map((amr) => ({ token: { ...token, amr } }));
  return { token };
}

/**
 * A Pod Identity association's service account, for a trust that lets any association in: from each cluster the
 * statement pins (`clusterStandIns`), so a pin changed or lost is asked of both sides too.
 */
export const podIdentityWitness = (pins: ClusterPins | undefined, roleArn: string): Witness[] =>
  clusterStandIns(pins, roleArn).map(({ arn }) => ({ exact: { namespace: NAME, serviceAccount: NAME }, cluster: arn }));

/**
 * The clusters (`eks-cluster-arn`) to ask a Pod Identity statement's grant with, each with how it is said: those it
 * pins, a pattern's `*` and `?` filled in; a cluster it pins by name alone (`eks-cluster-name`) in the region of one it
 * pins by ARN (else us-east-1) and the role's account (an association's role is in its cluster's account: the EKS
 * User Guide); where it pins none, a made-up cluster of the role's account, which a statement pinning clusters refuses.
 */
export function clusterStandIns(pins: ClusterPins | undefined, roleArn: string): { arn: string; said: string }[] {
  const own = iamIdentity(roleArn);
  const [partition, account] = [own?.partition ?? 'aws', own?.account ?? '123456789012'];
  const region = pins?.arns.map((a) => a.split(':')[3]).find((r) => r && !/[*?]/.test(r)) ?? 'us-east-1';
  const named = (name: string) => `arn:${partition}:eks:${region}:${account}:cluster/${fillPattern(name)}`;
  if (!pins) return [{ arn: named(NAME), said: 'any cluster' }];
  const out = new Map<string, string>();
  for (const a of pins.arns) if (!out.has(fillPattern(a))) out.set(fillPattern(a), a);
  for (const n of pins.names) if (!out.has(named(n))) out.set(named(n), `named ${n}`);
  return [...out].map(([arn, said]) => ({ arn, said }));
}

/**
 * The external IDs to ask an `sts:AssumeRole` grant with: those its statement asks (a pattern filled in), else a
 * made-up one, which a statement asking external IDs refuses (a caller who knows the role's ARN and not the ID).
 */
export const externalIdStandIns = (asked: readonly string[] | undefined): string[] =>
  asked ? [...new Set(asked.map(fillPattern))] : [NAME];

/**
 * An IAM role an `sts:AssumeRole` entry lets in: of the pattern, of the account, or (anyone) of the role's own
 * account; none where no role ARN can be made.
 */
export function callerWitness(
  scope: 'anyone' | 'account' | 'principal',
  value: string,
  roleArn: string,
): Witness | undefined {
  const own = iamIdentity(roleArn);
  const partition = own?.partition ?? 'aws';
  const caller =
    scope === 'principal'
      ? fillPattern(value)
      : scope === 'account'
        ? `arn:${partition}:iam::${value}:role/${NAME}`
        : own?.account
          ? `arn:${partition}:iam::${own.account}:role/${NAME}`
          : undefined;
  return caller !== undefined && iamIdentity(caller) ? { caller } : undefined;
}

/** A SAML user of a provider (not `*`, which names no provider to ask with): of the pattern, or any. */
export function samlWitness(provider: string, subject: string, audience?: string): Witness | undefined {
  if (provider === '*') return undefined;
  const user = subject === '' ? NAME : fillPattern(subject);
  return { saml: { provider, subject: user, ...(audience !== undefined ? { audience } : {}) } };
}

/** An entry's `witness` field, where there is one. */
export const witnessed = (w: Witness | Witness[] | undefined): { witness?: Witness[] } =>
  w ? { witness: Array.isArray(w) ? w : [w] } : {};
