import type { ImpliedPermission } from '../../model/observation.js';
import { isObj } from '../../util/json.js';
import { isArn, parseArn } from '../../knowledge/aws/arn.js';
import type { CallContext } from './resources.js';
import { own } from '../../util/own.js';
import { tagOnCreate } from './tagOnCreate.js';
import { apiGatewayImplied } from './apiGatewayImplied.js';
import { fleetImplied } from './fleet.js';
import { runInstancesTemplate } from './launchTemplate.js';

/**
 * The permissions a call needs besides its own action, each with the request parameter that says so
 * (`via`), from what AWS documents:
 * - iam:PassRole on every role a call hands to a service to assume later (any parameter whose name ends in
 *   `role`, `roleArn`, `roleArns`... holding a role ARN, at any depth, in any list; role names where the API
 *   takes a name; an instance profile's role, which the event does not name);
 * - s3:GetObject (s3:GetObjectVersion with a versionId) on a copy source;
 * - s3:GetObjectVersion, s3:DeleteObjectVersion... when a versionId is given;
 * - s3:PutObjectAcl when a write sets an ACL (x-amz-acl, x-amz-grant-*);
 * - kms:GenerateDataKey (and kms:Decrypt for multipart uploads) when an S3 write names a KMS key or its response
 *   shows one (a bucket's default SSE-KMS), kms:Decrypt for an upload part into an SSE-KMS upload and when the
 *   record shows a read of an SSE-KMS object; on the account's keys when the record shows SSE-KMS but no key;
 * - kms:CreateGrant, kms:DescribeKey (and kms:GenerateDataKeyWithoutPlaintext for EBS) where a service uses a key on
 *   the caller's behalf (EBS volumes and snapshots, RDS instances and clusters);
 * - iam:TagRole, iam:TagUser when a create carries tags; the tag action of EC2, ECS, Secrets Manager, ELB, EFS, KMS,
 *   Lambda, CloudWatch Logs, SQS and SNS creates that carry tags (tagOnCreate.ts);
 * - ec2:RunInstances for an instant EC2 fleet, and ec2:CreateTags for the tags of a CreateFleet (fleet.ts);
 * - ec2:RunInstances on the launch template a RunInstances or an instant fleet names by name (launchTemplate.ts);
 * - secretsmanager:GetSecretValue for BatchGetSecretValue, and secretsmanager:ListSecrets when it uses filters;
 * - cloudformation:ListStacks for DescribeStacks without a stack name;
 * - sts:TagSession and sts:SetSourceIdentity on the role for AssumeRole with session tags or a source identity;
 * - kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key of a ReEncrypt naming both;
 * - API Gateway's additional authorization (UpdateRestApiPolicy, SetWebACL, AddCertificateToDomain...) when the request
 *   shows what it guards (apiGatewayImplied.ts).
 */

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const ROLE_KEY = /(^|[a-z])(role|Role|ROLE)(Arn|ARN|arn)?s?$/;

/** Services whose role parameters are not handed over: STS assumes the role itself, IAM manages roles. */
const NO_PASS = new Set(['sts', 'iam']);

/** Calls that take a role by name (or ARN) where PassRole applies: event → parameter paths. */
const ROLE_NAMES: Record<string, string[]> = {
  'glue:CreateJob': ['role'],
  'glue:UpdateJob': ['jobUpdate.role'],
  'glue:CreateCrawler': ['role'],
  'glue:UpdateCrawler': ['role'],
  'ecs:RegisterTaskDefinition': ['taskRoleArn', 'executionRoleArn'],
};

/** Calls that pass an instance profile: the role inside it is not in the event. */
const PASS_INSTANCE_PROFILE = new Set([
  'ec2:RunInstances',
  'ec2:AssociateIamInstanceProfile',
  'ec2:ReplaceIamInstanceProfileAssociation',
]);

function isRoleArn(v: string): boolean {
  const a = parseArn(v);
  return a?.service === 'iam' && /^\d{12}$/.test(a.account) && /^role\/./.test(a.resource);
}

/** Every role ARN under a parameter whose name says it is a role, with its path. */
function roleArns(v: unknown, path: string, key: string, out: [string, string][], depth = 0): void {
  if (depth > 8) return;
  if (typeof v === 'string') {
    if (ROLE_KEY.test(key) && isRoleArn(v)) out.push([path, v]);
  } else if (Array.isArray(v)) v.forEach((x, i) => roleArns(x, `${path}[${i}]`, key, out, depth + 1));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) roleArns(x, `${path}.${k}`, k, out, depth + 1);
}

function at(params: Obj, path: string): unknown {
  let v: unknown = params;
  for (const k of path.split('.')) v = isObj(v) ? v[k] : undefined;
  return v;
}

/** A KMS key parameter → the key's ARN, or the alias's (the key behind an alias is not in the event). */
function keyArn(id: string, c: CallContext): string {
  if (isArn(id)) return id;
  if (id.startsWith('alias/')) return `arn:${c.partition}:kms:${c.region}:${c.account}:${id}`;
  return `arn:${c.partition}:kms:${c.region}:${c.account}:key/${id}`;
}

const S3_VERSIONED: Record<string, string> = {
  GetObject: 's3:GetObjectVersion',
  HeadObject: 's3:GetObjectVersion',
  DeleteObject: 's3:DeleteObjectVersion',
  GetObjectAcl: 's3:GetObjectVersionAcl',
  PutObjectAcl: 's3:PutObjectVersionAcl',
  GetObjectTagging: 's3:GetObjectVersionTagging',
  PutObjectTagging: 's3:PutObjectVersionTagging',
  DeleteObjectTagging: 's3:DeleteObjectVersionTagging',
};
const S3_WRITES = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload']);
const ACL_HEADERS = [
  'x-amz-acl',
  'x-amz-grant-read',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
];
const S3_KMS_KEY = ['x-amz-server-side-encryption-aws-kms-key-id', 'SSEKMSKeyId'];
const RESP_KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const SSE_HEADER = 'x-amz-server-side-encryption';
/** S3 writes that use the object's KMS key, and the KMS actions each needs on it. */
const S3_KMS_WRITES: Record<string, string[]> = {
  PutObject: ['kms:GenerateDataKey'],
  CopyObject: ['kms:GenerateDataKey'],
  CreateMultipartUpload: ['kms:GenerateDataKey', 'kms:Decrypt'],
  UploadPart: ['kms:Decrypt'],
  UploadPartCopy: ['kms:Decrypt'],
};

/** Calls through which a service uses a KMS key on the caller's behalf: event → the key parameter and the actions. */
const KEY_FOR_SERVICE: Record<string, { param: string; actions: string[] }> = {
  'ec2:CreateVolume': {
    param: 'kmsKeyId',
    actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext'],
  },
  'ec2:CopySnapshot': {
    param: 'kmsKeyId',
    actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext'],
  },
  'ec2:CopyImage': {
    param: 'kmsKeyId',
    actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext'],
  },
  'rds:CreateDBInstance': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:CreateDBCluster': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:CreateDBInstanceReadReplica': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:RestoreDBInstanceFromDBSnapshot': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:RestoreDBClusterFromSnapshot': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:CopyDBSnapshot': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
  'rds:CopyDBClusterSnapshot': { param: 'kmsKeyId', actions: ['kms:CreateGrant', 'kms:DescribeKey'] },
};

export function impliedFromParameters(
  service: string,
  eventName: string,
  params: Obj,
  c: CallContext,
  record: Obj,
): ImpliedPermission[] {
  const out: ImpliedPermission[] = [];
  const add = (action: string, resource: string, via: string) => out.push({ action, resource, via });
  const key = `${service}:${eventName}`;

  // iam:PassRole.
  if (!NO_PASS.has(service)) {
    const found: [string, string][] = [];
    for (const [k, v] of Object.entries(params)) roleArns(v, `requestParameters.${k}`, k, found);
    for (const [path, arn] of found) add('iam:PassRole', arn, path);
    for (const path of ROLE_NAMES[key] ?? []) {
      const name = str(at(params, path));
      if (!name || isArn(name) || !/^[\w+=,.@-]{1,64}$/.test(name)) continue;
      // A role by name: at the root or under any path.
      for (const r of [name, `*/${name}`])
        add('iam:PassRole', `arn:${c.partition}:iam::${c.account}:role/${r}`, `requestParameters.${path}`);
    }
  }
  if (PASS_INSTANCE_PROFILE.has(key)) {
    const ip = at(params, 'iamInstanceProfile');
    if (isObj(ip))
      add(
        'iam:PassRole',
        '',
        `requestParameters.iamInstanceProfile (${str(ip['arn']) || str(ip['name'])}): the role inside the instance profile is not in the event`,
      );
  }

  if (service === 's3') s3Implied(eventName, params, c, record, add);

  // A service that uses a KMS key for the caller.
  const k = KEY_FOR_SERVICE[key];
  const kid = k ? str(params[k.param]) : '';
  if (k && kid) for (const a of k.actions) add(a, keyArn(kid, c), `requestParameters.${k.param}`);

  if (key === 'iam:CreateRole' || key === 'iam:CreateUser') {
    const tags = params['tags'];
    const name = str(params[key === 'iam:CreateRole' ? 'roleName' : 'userName']);
    if (Array.isArray(tags) && tags.length > 0 && name) {
      const path = (str(params['path']) || '/').replace(/^\//, '');
      const kind = key === 'iam:CreateRole' ? 'role' : 'user';
      add(
        key === 'iam:CreateRole' ? 'iam:TagRole' : 'iam:TagUser',
        `arn:${c.partition}:iam::${c.account}:${kind}/${path}${name}`,
        'requestParameters.tags',
      );
    }
  }

  // AssumeRole passing session tags or a source identity: the caller needs sts:TagSession / sts:SetSourceIdentity on
  // the role as well (IAM User Guide, "Permissions required to add session tags", "Permissions required to use source
  // identity"), and so does the role's trust policy.
  if (key === 'sts:AssumeRole') {
    const role = str(params['roleArn']);
    const listed = (k: string) => Array.isArray(params[k]) && (params[k] as unknown[]).length > 0;
    if (role && isRoleArn(role)) {
      if (listed('tags')) add('sts:TagSession', role, 'requestParameters.tags');
      else if (listed('transitiveTagKeys')) add('sts:TagSession', role, 'requestParameters.transitiveTagKeys');
      if (str(params['sourceIdentity'])) add('sts:SetSourceIdentity', role, 'requestParameters.sourceIdentity');
    }
  }

  tagOnCreate(service, eventName, params, c, record, add);
  if (key === 'ec2:CreateFleet') fleetImplied(params, c, record, add);
  if (key === 'ec2:RunInstances') runInstancesTemplate(params, c, add);
  apiGatewayImplied(service, eventName, params, c, add);

  // ReEncrypt is authorized as kms:ReEncryptFrom on the key that decrypts and kms:ReEncryptTo on the one that
  // encrypts (KMS API reference). The call's resources hold both keys without saying which is which, so the action's
  // two permissions would each be granted on both; with both keys named in the request, each gets its own (and
  // callNeeds grants them only so). Without sourceKeyId (a symmetric key, read from the ciphertext) it stays as it was.
  if (key === 'kms:ReEncrypt') {
    const from = str(params['sourceKeyId']);
    const to = str(params['destinationKeyId']);
    if (from && to) {
      add('kms:ReEncryptFrom', keyArn(from, c), 'requestParameters.sourceKeyId');
      add('kms:ReEncryptTo', keyArn(to, c), 'requestParameters.destinationKeyId');
    }
  }

  if (key === 'secretsmanager:BatchGetSecretValue') {
    const ids = Array.isArray(params['secretIdList']) ? params['secretIdList'].map(str).filter(Boolean) : [];
    ids.forEach((id, i) =>
      add(
        'secretsmanager:GetSecretValue',
        isArn(id) ? id : `arn:${c.partition}:secretsmanager:${c.region}:${c.account}:secret:${id}-??????`,
        `requestParameters.secretIdList[${i}]`,
      ),
    );
    if (Array.isArray(params['filters']) && params['filters'].length > 0) {
      add('secretsmanager:ListSecrets', '', 'requestParameters.filters');
      add(
        'secretsmanager:GetSecretValue',
        '',
        'requestParameters.filters: the secrets the filters selected are not in the event',
      );
    }
  }

  if (key === 'cloudformation:DescribeStacks' && !str(params['stackName']))
    add('cloudformation:ListStacks', '', 'requestParameters.stackName (absent): DescribeStacks of every stack');
  return out;
}

function s3Implied(
  eventName: string,
  params: Obj,
  c: CallContext,
  record: Obj,
  add: (action: string, resource: string, via: string) => void,
): void {
  const bucket = str(params['bucketName']);
  const objectKey = str(params['key']);
  const object = bucket && objectKey ? `arn:${c.partition}:s3:::${bucket}/${objectKey}` : '';

  if (eventName === 'CopyObject' || eventName === 'UploadPartCopy') {
    const src = str(params['x-amz-copy-source']);
    if (src) {
      // "bucket/key", URL-encoded, optionally "?versionId=..."; a leading slash is allowed.
      let path = src.replace(/^\//, '');
      // Cut at the query (a scan, not /\?.*$/: that tries every `?` of the value to its end).
      const query = path.indexOf('?');
      if (query >= 0) path = path.slice(0, query);
      try {
        path = decodeURIComponent(path);
      } catch {
        /* keep it as it was logged */
      }
      const versioned = /[?&]versionId=/.test(src);
      add(
        versioned ? 's3:GetObjectVersion' : 's3:GetObject',
        `arn:${c.partition}:s3:::${path}`,
        'requestParameters.x-amz-copy-source',
      );
    }
  }
  const versioned = own(S3_VERSIONED, eventName);
  if (versioned && object && str(params['versionId'])) add(versioned, object, 'requestParameters.versionId');
  if (S3_WRITES.has(eventName) && object)
    for (const h of ACL_HEADERS)
      if (params[h] !== undefined && params[h] !== '') add('s3:PutObjectAcl', object, `requestParameters.${h}`);

  // Writes into SSE-KMS: the key the request names, else the one the response says S3 used (a bucket's default
  // encryption, an upload part of an SSE-KMS upload). S3 API reference: a PUT or copy needs kms:GenerateDataKey on
  // the key; CreateMultipartUpload kms:GenerateDataKey (and kms:Decrypt, which the upload's parts need: the
  // multipart upload guide asks for both), UploadPart and UploadPartCopy kms:Decrypt.
  const kmsActions = own(S3_KMS_WRITES, eventName);
  if (kmsActions) {
    const resp = isObj(record['responseElements']) ? record['responseElements'] : {};
    const kmsParam = S3_WRITES.has(eventName) ? S3_KMS_KEY.find((h) => str(params[h])) : undefined;
    const respKey = str(resp[RESP_KMS_KEY]);
    const found = kmsParam
      ? { id: str(params[kmsParam]), via: `requestParameters.${kmsParam}` }
      : respKey
        ? { id: respKey, via: `responseElements.${RESP_KMS_KEY}` }
        : undefined;
    if (found) for (const a of kmsActions) add(a, keyArn(found.id, c), found.via);
    else {
      // SSE-KMS known only as a fact (additionalEventData.SSEApplied, the response's x-amz-server-side-encryption): the
      // key is the bucket's default or the upload's, which the record does not name; '' grants the KMS actions on the
      // call's account and Region's keys, listed with this reason. Not when the request itself asked for aws:kms with
      // no key id: S3 then uses the AWS managed key aws/s3 (S3 API reference, PutObject), whose key policy lets the
      // account's principals use it through S3 without an IAM grant.
      const extra = isObj(record['additionalEventData']) ? record['additionalEventData'] : {};
      const applied = str(extra['SSEApplied']);
      const asked = S3_WRITES.has(eventName) && str(params[SSE_HEADER]).startsWith('aws:kms');
      const kms = str(resp[SSE_HEADER]).startsWith('aws:kms') || applied === 'SSE_KMS' || applied === 'Default_SSE_KMS';
      const source = applied ? `additionalEventData.SSEApplied (${applied})` : `responseElements.${SSE_HEADER}`;
      if (kms && !asked)
        for (const a of kmsActions)
          add(a, '', `${source}: the write is SSE-KMS encrypted, its key is not in the event`);
    }
  }
  if (eventName === 'GetObject' || eventName === 'HeadObject') {
    // Reads of SSE-KMS objects: the key is in the response, or only the fact in additionalEventData.
    const resp = isObj(record['responseElements']) ? record['responseElements'] : {};
    const extra = isObj(record['additionalEventData']) ? record['additionalEventData'] : {};
    const keyId = str(resp['x-amz-server-side-encryption-aws-kms-key-id']);
    if (keyId) add('kms:Decrypt', keyArn(keyId, c), 'responseElements.x-amz-server-side-encryption-aws-kms-key-id');
    else if (str(resp['x-amz-server-side-encryption']) === 'aws:kms' || str(extra['SSEApplied']) === 'SSE_KMS')
      add(
        'kms:Decrypt',
        '',
        'additionalEventData.SSEApplied: the object is SSE-KMS encrypted, its key is not in the event',
      );
  }
}
