/**
 * What a CloudTrail record's `errorCode` says about authorization. A fact table, not a decision: the
 * decoder keeps a refused call as denied evidence (never granted, listed), counts an unauthenticated
 * one apart (never granted: the caller was not known, so no identity policy was consulted), and reads
 * every other error as a call that passed the permission check (the service got as far as finding no
 * key, a throttle, a failed condition), so the permission is needed and granted.
 *
 * Sources (AWS documentation):
 * - the common errors every AWS API may return ("Common Errors" in each service's API reference):
 *   AccessDeniedException (403), NotAuthorized, ExpiredTokenException, IncompleteSignature,
 *   InvalidClientTokenId, MissingAuthenticationToken, RequestExpired, UnrecognizedClientException;
 * - Amazon EC2's error codes ("Error codes for the Amazon EC2 API"): UnauthorizedOperation, logged by
 *   CloudTrail as `Client.UnauthorizedOperation`, AuthFailure (credentials that could not be validated);
 *   DryRunOperation ("the user has the required permissions") is a pass;
 * - Amazon S3's error responses: AccessDenied, AllAccessDisabled, ExpiredToken, InvalidAccessKeyId,
 *   InvalidToken, TokenRefreshRequired, SignatureDoesNotMatch, RequestTimeTooSkewed;
 * - Amazon SNS: AuthorizationError ("the user has been denied access to the requested resource");
 * - CloudTrail network activity events: VpceAccessDenied ("the request was denied due to a VPC endpoint
 *   policy"), the only error code those events carry.
 * The `…Exception` spellings (UnauthorizedException, ForbiddenException, InvalidSignatureException,
 * IncompleteSignatureException, MissingAuthenticationTokenException) are how JSON-protocol services
 * (API Gateway, AppSync, IoT, Kinesis) name the same errors.
 */
export type ErrorClass = 'denied' | 'unauthenticated' | 'passed';

/** The caller was known and a policy (identity, resource, SCP, boundary, session) said no. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'UnauthorizedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'AllAccessDisabled',
  'Forbidden',
  'ForbiddenException',
  'NotAuthorized',
  'NotAuthorizedException',
]);

/**
 * The request never reached an authorization decision: credentials unknown, expired or badly signed,
 * the request stale, or refused by the network path (a VPC endpoint policy) before the identity's own
 * policies. Granting anything for these would be a guess.
 */
const UNAUTHENTICATED = new Set([
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'InvalidToken',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'RequestExpired',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
  'UnrecognizedClientException',
  'VpceAccessDenied',
]);

/** Every code the table names, by class (for documentation and tests). */
export const ERROR_CODES: Readonly<Record<Exclude<ErrorClass, 'passed'>, readonly string[]>> = {
  denied: [...DENIED].sort(),
  unauthenticated: [...UNAUTHENTICATED].sort(),
};

/**
 * The class of an `errorCode` ('' for none). EC2 writes its client errors with a `Client.` prefix
 * (`Client.UnauthorizedOperation`, `Client.AuthFailure`), which is stripped before the look-up.
 */
export function errorClass(errorCode: string): ErrorClass {
  if (errorCode === '') return 'passed';
  const code = errorCode.startsWith('Client.') ? errorCode.slice(7) : errorCode;
  if (DENIED.has(code)) return 'denied';
  if (UNAUTHENTICATED.has(code)) return 'unauthenticated';
  return 'passed';
}
