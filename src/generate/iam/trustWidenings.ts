/**
 * The trust widenings `generate iam` lists (roleTrust, ./trust.ts), in the words its evidence keeps them, and read
 * back: `check` keeps an unused trust statement the evidence lists so (diff/kept.ts).
 */
const WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';

/** Who a Cognito pool's statement lets in, as its widening says and `check` names its finding (kinds/iam/trust.ts). */
export const cognitoPool = (pool: string): string => `any identity of Cognito identity pool ${pool}`;

/** A release tag's subject written as its pattern. */
export const releaseTagWidening = (subject: string, pattern: string): string =>
  `${WEB_IDENTITY}: ${subject} → ${pattern} (a release tag: each release's is new)`;

/** A Cognito pool's statement, naming no identity. */
export const cognitoWidening = (pool: string, identities: number): string =>
  `${WEB_IDENTITY}: ${cognitoPool(pool)} (${identities} seen: Cognito makes up an identity id for each new user or guest)`;

/**
 * Who a trust widening listed lets in, read back from its detail: the release-tag pattern
 * (`repo:acme/shop:ref:refs/tags/v*`), or `cognitoPool`'s words; undefined for any other widening.
 */
export function widenedTrustSubject(action: string, detail: string): string | undefined {
  if (action !== WEB_IDENTITY || !detail.startsWith(`${WEB_IDENTITY}: `)) return undefined;
  const m =
    / → (\S+) \(a release tag: /.exec(detail) ?? /^\S+: (any identity of Cognito identity pool \S+) \(/.exec(detail);
  return m?.[1];
}
