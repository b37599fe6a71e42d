import { own } from '../../util/own.js';

/**
 * What is known of a CloudTrail event by its source and name alone, without AWS's action catalogue: the IAM service
 * prefix, the name without its API version, and whether the call needs an IAM permission at all. The reader and the
 * profile builder need only this; the mapping to actions (actions.ts) loads the catalogue.
 */

/** eventSource host → IAM service prefix, where they differ (REFERENCE.md 8.1). */
const SERVICE_RENAMES: Record<string, string> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  appstream2: 'appstream',
  'models.lex': 'lex',
  'runtime.lex': 'lex',
  'mturk-requester': 'mechanicalturk',
  'streams.dynamodb': 'dynamodb',
  tagging: 'tag',
  // RDS Data API: `rdsdataapi` per EventBridge's event reference ("Amazon RDS Data API events"), `rdsdata` in older
  // records; its actions are `rds-data:ExecuteStatement`...
  rdsdataapi: 'rds-data',
  rdsdata: 'rds-data',
};

const SIGN_IN = 'sign-in is not an API permission';
const PORTAL = "the AWS access portal signs its calls with the user's portal token, not IAM credentials";
const OIDC = 'IAM Identity Center OIDC: the device and token flow is signed with no IAM credentials';

/** Calls that need no IAM permission (REFERENCE.md 8.4). */
const NO_PERMISSION: Record<string, string> = {
  'sts:GetCallerIdentity': 'GetCallerIdentity needs no permission',
  'sts:GetSessionToken': "GetSessionToken needs no permission (it uses the caller's long-term credentials)",
  // Console sign-in events (CloudTrail user guide, "AWS Management Console sign-in events"), and the
  // sign-in events of IAM Identity Center users (CredentialChallenge, CredentialVerification, UserAuthentication).
  'signin:ConsoleLogin': SIGN_IN,
  'signin:CheckMfa': SIGN_IN,
  'signin:SwitchRole': 'console role switching is not an API permission',
  'signin:ExitRole': 'console role switching is not an API permission',
  'signin:RenewRole': 'console role switching is not an API permission',
  'signin:CredentialChallenge': SIGN_IN,
  'signin:CredentialVerification': SIGN_IN,
  'signin:UserAuthentication': SIGN_IN,
  // The access portal (IAM Identity Center Portal API: GetRoleCredentials, ListAccounts, ListAccountRoles,
  // Logout take a bearer token and no SigV4 signature), and its sign-in steps Authenticate and Federate.
  // Not ListApplications: sso:ListApplications is also an administration action of the same event source.
  'sso:Authenticate': PORTAL,
  'sso:Federate': PORTAL,
  'sso:GetRoleCredentials': PORTAL,
  'sso:ListAccounts': PORTAL,
  'sso:ListAccountRoles': PORTAL,
  'sso:Logout': PORTAL,
  'sso-oauth:CreateToken': OIDC,
  'sso-oauth:RegisterClient': OIDC,
  'sso-oauth:StartDeviceAuthorization': OIDC,
};

/** Event sources every call of which needs no IAM permission. */
const NO_PERMISSION_SERVICES: Record<string, string> = { 'portal.sso': PORTAL };

const prefixes = new Map<string, string>();

/** `lambda.amazonaws.com` → `lambda`; `monitoring.amazonaws.com` → `cloudwatch`. Cached: called per record. */
export function servicePrefix(eventSource: string): string {
  let p = prefixes.get(eventSource);
  if (p === undefined) {
    const host = eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '');
    p = own(SERVICE_RENAMES, host) ?? host;
    if (prefixes.size < 10_000) prefixes.set(eventSource, p);
  }
  return p;
}

/** Strip API version suffixes: Lambda `GetFunction20150331v2`, CloudFront `CreateDistribution2015_07_27`. */
export function baseEventName(service: string, eventName: string): string {
  if (service === 'lambda') return eventName.replace(/\d{8}(v\d+)?$/, '');
  if (service === 'cloudfront') return eventName.replace(/\d{4}_\d{2}_\d{2}$/, '');
  return eventName;
}

/** Why a call needs no IAM permission, or undefined when it needs one. Synchronous: used while reading. */
export function noPermissionReason(eventSource: string, eventName: string): string | undefined {
  const service = servicePrefix(eventSource);
  return own(NO_PERMISSION_SERVICES, service) ?? NO_PERMISSION[`${service}:${baseEventName(service, eventName)}`];
}
