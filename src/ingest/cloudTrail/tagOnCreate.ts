import { isObj, stringsUnder } from '../../util/json.js';
import {
  arnFormat,
  fillFormat,
  formatPattern,
  isArn,
  isContextPlaceholder,
  matchFormat,
  parseArn,
  placeholders,
  resourceFormats,
} from '../../knowledge/aws/arn.js';
import type { CallContext } from './resources.js';
import type { ImpliedPermission } from '../../model/observation.js';
import { impliedArnProblem } from '../../knowledge/aws/names.js';
import { own } from '../../util/own.js';
import { baseEventName } from '../../knowledge/aws/eventNames.js';
import { ELB_TAGGED_TYPES } from '../../knowledge/aws/beyondCatalogue.js';

/**
 * Tag on create: services that authorize the tags a create carries as a call of their own tag action, on the
 * resource created, which CloudTrail never logs as an event of its own. The catalogue marks them: their tag
 * action takes a `<service>:CreateAction` condition key (ec2:CreateTags, ecs:TagResource, elasticloadbalancing:
 * AddTags, cloudformation, elasticfilesystem, vpc-lattice, drs, mgn). Only those whose documentation says the
 * check is made are here:
 * - EC2 user guide, "Grant permission to tag Amazon EC2 resources during creation": "If tags are specified in the
 *   resource-creating action, Amazon performs additional authorization on the ec2:CreateTags action"; any create
 *   with a `TagSpecification` (CloudTrail: `tagSpecificationSet.items[]`), per resource type tagged;
 * - ECS developer guide, "Grant permission to tag resources on creation": the eight creates it lists need
 *   ecs:TagResource;
 * - Secrets Manager API reference, CreateSecret: "If you include tags in the secret, you also need
 *   secretsmanager:TagResource" (the service has no CreateAction key; the API reference says it).
 * - the creates of MORE_CREATES below, each with the page that says so.
 * IAM's CreateRole and CreateUser (iam:TagRole, iam:TagUser) are in implied.ts.
 *
 * Checked and left out (nothing found that says the create is also authorized on a tag action): CloudFormation
 * CreateStack/CreateStackSet (the catalogue gives cloudformation:TagResource a CreateAction key, but no page found says
 * a stack's Tags are checked on it); RDS, DynamoDB, Step Functions, EventBridge, IAM's other creates (CreatePolicy,
 * CreateInstanceProfile, CreateOpenIDConnectProvider...): no such statement found; ECR CreateRepository ("Using
 * Tag-Based Access Control" says the additional check is made on ecr:CreateRepository itself); ELB CreateTrustStore
 * (it takes tags, but no page found maps it to AddTags).
 * Elastic Load Balancing's CreateTargetGroup, CreateListener and CreateRule (ELB_CREATES below) grant AddTags on the
 * created target group, listener or rule: the catalogue lists only `loadbalancer` for elasticloadbalancing:AddTags, so
 * these grants are of types it does not list for the action (knowledge/aws/beyondCatalogue.ts), listed as such.
 */

type Obj = Record<string, unknown>;
type Add = (action: string, resource: string, via: string) => void;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Tags as CloudTrail logs them: a list of `{key, value}` (KMS: `{tagKey, tagValue}`), EC2's `{items: [...]}`, or a
 * map `{"team": "data"}` (SQS, Lambda, CloudWatch Logs).
 */
function hasTags(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (!isObj(v)) return false;
  if (Object.hasOwn(v, 'items')) return Array.isArray(v['items']) && v['items'].length > 0;
  return Object.keys(v).length > 0;
}

/** Why a created resource's id is `*`: it is AWS's, new at each create. */
const FRESH = 'it creates a new id, so the next create tags another than the one logged';
const freshVia = (via: string, type: string) => `${via}: AWS gives each ${type} ${FRESH}`;

/**
 * Whether an implied permission is a created resource's ARN with its own AWS-assigned id as `*` (withFreshIds): made
 * here, its other parts logged values without a wildcard, checked as any ARN's (decode accepts it as it accepts the
 * patterns of isCreatedPattern).
 */
export function isFreshIdGrant(i: ImpliedPermission): boolean {
  return i.via.endsWith(FRESH) && impliedArnProblem(i.resource) === undefined;
}

/**
 * A created resource's ARN with its own id as `*`, where AWS assigns it at the create (the format's last placeholder,
 * an `…Id`: `${InstanceId}`, `${FileSystemId}`, ECS's `${TaskId}`, an ELB listener's `${ListenerId}`): the tags of the
 * next create are authorized on a resource that did not exist in the soak, so a grant on the logged id would be used
 * once. Names the request chose, and the ids of parents that existed before (the load balancer of a listener), stay.
 * Undefined when the ARN's own part is no such id (or the ARN is not of the format).
 */
export function withFreshIds(format: string, arn: string, c: CallContext): string | undefined {
  const values = matchFormat(format, arn);
  const own = placeholders(format)
    .filter((p) => !isContextPlaceholder(p))
    .pop();
  if (!values || !own || !/Id$/.test(own)) return undefined;
  // A logged wildcard anywhere else is refused as such (decode), never carried into a pattern.
  if (Object.entries(values).some(([p, v]) => p !== own && /[*?]/.test(v))) return undefined;
  values[own] = '*';
  return fillFormat(format, values, c, '*');
}

/**
 * withFreshIds with the first of the service's formats (any type) that finds an AWS-assigned id in the ARN: an ELB v2
 * load balancer's `loadbalancer/app/NAME/ID`, which the catalogue's `loadbalancer` type (v1's) holds as a name.
 */
function freshPattern(service: string, arn: string, c: CallContext): string | undefined {
  for (const list of Object.values(resourceFormats(service)))
    for (const f of list.split(', ')) {
      const every = withFreshIds(f, arn, c);
      if (every) return every;
    }
  return undefined;
}

/**
 * The created resource of a type: its ARN from the id the response carries (the type's ARN placeholder, in
 * CloudTrail's lower camel case: `VolumeId` → `volumeId`), with an id AWS assigned as `*` (withFreshIds), else the
 * type's pattern in the call's account, with the reason in `via` (the generator lists it as a widening).
 */
export function createdResource(
  service: string,
  type: string,
  idKey: string | undefined,
  response: Obj,
  c: CallContext,
  via: string,
  add: (resource: string, via: string) => void,
): void {
  const format = type ? arnFormat(service, type) : undefined;
  const names = format ? placeholders(format).filter((p) => !isContextPlaceholder(p)) : [];
  const one = names.length === 1 ? names[0]! : undefined;
  const key = idKey ?? (one ? one[0]!.toLowerCase() + one.slice(1) : undefined);
  const ids = key ? [...new Set(stringsUnder(response, key, []))].sort() : [];
  // An ARN as the response gives it, or one built from an id (a plain id, nothing an ARN cannot hold).
  const arns = ids.flatMap((id) =>
    isArn(id) ? [id] : format && one && /^[\w.-]+$/.test(id) ? [fillFormat(format, { [one]: id }, c, '*')!] : [],
  );
  for (const arn of new Set(arns)) {
    const every = freshPattern(service, arn, c);
    if (every) add(every, freshVia(via, type));
    else add(arn, via);
  }
  if (arns.length > 0) return;
  if (format)
    add(
      fillFormat(format, {}, c, '*')!,
      `${via}: the created ${type} gets its name from AWS and responseElements does not carry ${key ?? 'it'}`,
    );
  // A type the catalogue does not know: the tag action on each type it takes, in the call's account.
  else add('', `${via}: the created resource is of a type the catalogue does not know (${type || 'none given'})`);
}

/** EC2 resource types whose id is logged under a key other than their ARN placeholder's. */
export const EC2_ID_KEY: Record<string, string> = { 'security-group': 'groupId' };

/** The ECS creates its guide lists: the type created and the response key of its ARN. */
const ECS_CREATES: Record<string, { type: string; key: string }> = {
  CreateCapacityProvider: { type: 'capacity-provider', key: 'capacityProviderArn' },
  CreateCluster: { type: 'cluster', key: 'clusterArn' },
  CreateService: { type: 'service', key: 'serviceArn' },
  CreateTaskSet: { type: 'task-set', key: 'taskSetArn' },
  RegisterContainerInstance: { type: 'container-instance', key: 'containerInstanceArn' },
  RegisterTaskDefinition: { type: 'task-definition', key: 'taskDefinitionArn' },
  RunTask: { type: 'task', key: 'taskArn' },
  StartTask: { type: 'task', key: 'taskArn' },
};

/** A create whose tags are also authorized on a tag action: the created resource's type and where it is named. */
interface More {
  action: string;
  type: string;
  /** Response keys holding the created resource's ARN or id, in order. */
  ids: string[];
  /** The request parameter holding its name (the ARN is built from it when the response does not name it). */
  name?: string;
  /** Why every resource of the type in the call's account and Region, whatever the record names. */
  every?: string;
}

/** Services' creates that carry `requestParameters.tags`, keyed by IAM prefix and event name (Lambda's unversioned). */
const MORE_CREATES: Record<string, More> = {
  // Elastic Load Balancing user guide, "Elastic Load Balancing API permissions to tag resources during creation":
  // with tags, elasticloadbalancing:AddTags is authorized besides the create. The catalogue's `loadbalancer` format
  // (v1's) holds v2's `loadbalancer/app/NAME/ID` too.
  'elasticloadbalancing:CreateLoadBalancer': {
    action: 'elasticloadbalancing:AddTags',
    type: 'loadbalancer',
    ids: ['loadBalancerArn'],
    name: 'loadBalancerName',
  },
  // EFS user guide, "Using tags with Amazon EFS": CreateFileSystem and CreateAccessPoint with tags are also authorized
  // on elasticfilesystem:TagResource.
  'elasticfilesystem:CreateFileSystem': {
    action: 'elasticfilesystem:TagResource',
    type: 'file-system',
    ids: ['fileSystemArn', 'fileSystemId'],
  },
  'elasticfilesystem:CreateAccessPoint': {
    action: 'elasticfilesystem:TagResource',
    type: 'access-point',
    ids: ['accessPointArn', 'accessPointId'],
  },
  // KMS developer guide, "Managing KMS key tags with API operations": CreateKey with Tags needs kms:TagResource in an
  // IAM policy that covers at least every KMS key of the account and Region.
  'kms:CreateKey': {
    action: 'kms:TagResource',
    type: 'key',
    ids: [],
    every: 'KMS authorizes the tags of CreateKey on every key of the account and Region (KMS developer guide)',
  },
  // Lambda developer guide, "Using tags on Lambda functions": lambda:TagResource for tagging on create.
  'lambda:CreateFunction': {
    action: 'lambda:TagResource',
    type: 'function',
    ids: ['functionArn'],
    name: 'functionName',
  },
  // CloudWatch Logs API reference, CreateLogGroup: tags need logs:TagResource or logs:TagLogGroup (either: the first).
  'logs:CreateLogGroup': { action: 'logs:TagResource', type: 'log-group', ids: [], name: 'logGroupName' },
  // SQS API reference, CreateQueue: tagging a queue on creation needs sqs:TagQueue besides sqs:CreateQueue.
  'sqs:CreateQueue': { action: 'sqs:TagQueue', type: 'queue', ids: [], name: 'queueName' },
  // SNS API reference, CreateTopic: tagging a topic on creation needs sns:TagResource besides sns:CreateTopic.
  'sns:CreateTopic': { action: 'sns:TagResource', type: 'topic', ids: ['topicArn'], name: 'name' },
};

/** A name a request gave that an ARN can hold as it is (no wildcard, no `:`). */
const PLAIN_NAME = /^[\w./#+=,@-]{1,512}$/;

/** The resource a create of MORE_CREATES made: from the response, else from the name in the request, else a pattern. */
function moreCreated(m: More, params: Obj, response: Obj, c: CallContext, add: Add): void {
  const [service] = m.action.split(':') as [string];
  const format = arnFormat(service, m.type);
  const names = format ? placeholders(format).filter((p) => !isContextPlaceholder(p)) : [];
  const one = names.length === 1 ? names[0]! : undefined;
  const fill = (v: string) => (format && one ? fillFormat(format, { [one]: v }, c, '*') : undefined);
  const via = 'requestParameters.tags';
  if (m.every) return add(m.action, format ? fillFormat(format, {}, c, '*')! : '', `${via}: ${m.every}`);
  for (const key of m.ids) {
    const arns = [...new Set(stringsUnder(response, key, []))]
      .sort()
      .flatMap((id) => (isArn(id) ? [id] : /^[\w.-]+$/.test(id) ? [fill(id) ?? ''] : []))
      .filter(Boolean);
    for (const a of arns) {
      const every = freshPattern(service, a, c);
      if (every) add(m.action, every, freshVia(via, m.type));
      else add(m.action, a, via);
    }
    if (arns.length > 0) return;
  }
  const name = m.name ? str(params[m.name]) : '';
  const byName = PLAIN_NAME.test(name) ? fill(name) : undefined;
  if (byName) return add(m.action, byName, via);
  const what = [...m.ids.map((k) => `responseElements.${k}`), ...(m.name ? [`requestParameters.${m.name}`] : [])];
  add(
    m.action,
    format ? fillFormat(format, {}, c, '*')! : '',
    `${via}: the record names no created ${m.type} (it carries none of ${what.join(', ')})`,
  );
}

/**
 * ELB v2 creates of other resources than load balancers (CloudTrail: `requestParameters.tags` as `{key, value}`, the
 * created resource in `responseElements.targetGroups[].targetGroupArn`, `listeners[].listenerArn`, `rules[].ruleArn`):
 * the response key of its ARN, and its catalogue types, told apart by the load balancer's kind (`app`, `net`, `gwy`)
 * in the request's loadBalancerArn or listenerArn.
 */
const ELB_CREATES: Record<string, { key: string; kindOf?: string; prefix: string }> = {
  CreateTargetGroup: { key: 'targetGroupArn', prefix: 'targetgroup' },
  CreateListener: { key: 'listenerArn', kindOf: 'loadBalancerArn', prefix: 'listener' },
  CreateRule: { key: 'ruleArn', kindOf: 'listenerArn', prefix: 'listener-rule' },
};

function elbCreated(eventName: string, params: Obj, response: Obj, c: CallContext, add: Add): void {
  const m = own(ELB_CREATES, eventName);
  if (!m || !hasTags(params['tags'])) return;
  // The kinds the created resource can be of: the one the parent's ARN shows, else every kind of the prefix.
  const kind = m.kindOf ? /:(?:loadbalancer|listener)\/(app|net|gwy)\//.exec(str(params[m.kindOf]))?.[1] : undefined;
  const types = ELB_TAGGED_TYPES.filter(
    (t) => t === m.prefix || (t.startsWith(`${m.prefix}/`) && (!kind || t === `${m.prefix}/${kind}`)),
  );
  const formats = types.flatMap((t) => (arnFormat('elasticloadbalancing', t) ?? '').split(', ').filter(Boolean));
  const via = 'requestParameters.tags';
  // The created ARN as the response gives it, when it is of one of those types.
  const arns = [...new Set(stringsUnder(response, m.key, []))]
    .filter((a) => isArn(a) && formats.some((f) => formatPattern(f).re.test(a)))
    .sort();
  for (const a of arns) {
    const every = freshPattern('elasticloadbalancing', a, c);
    if (every) add('elasticloadbalancing:AddTags', every, freshVia(via, m.prefix));
    else add('elasticloadbalancing:AddTags', a, via);
  }
  if (arns.length > 0) return;
  for (const f of formats)
    add(
      'elasticloadbalancing:AddTags',
      fillFormat(f, {}, c, '*')!,
      `${via}: the record names no created ${m.prefix} (responseElements carries no ${m.key})`,
    );
}

export function tagOnCreate(
  service: string,
  eventName: string,
  params: Obj,
  c: CallContext,
  record: Obj,
  add: Add,
): void {
  const response = isObj(record['responseElements']) ? record['responseElements'] : {};
  if (service === 'ec2') {
    const spec = params['tagSpecificationSet'];
    const items = isObj(spec) && Array.isArray(spec['items']) ? spec['items'] : [];
    items.forEach((item, i) => {
      if (!isObj(item) || !hasTags(item['tags'])) return;
      const type = str(item['resourceType']);
      createdResource(
        'ec2',
        type,
        own(EC2_ID_KEY, type),
        response,
        c,
        `requestParameters.tagSpecificationSet.items[${i}]`,
        (r, v) => add('ec2:CreateTags', r, v),
      );
    });
  }
  const ecs = service === 'ecs' ? own(ECS_CREATES, eventName) : undefined;
  if (ecs && hasTags(params['tags']))
    createdResource('ecs', ecs.type, ecs.key, response, c, 'requestParameters.tags', (r, v) =>
      add('ecs:TagResource', r, v),
    );
  if (service === 'secretsmanager' && eventName === 'CreateSecret' && hasTags(params['tags'])) {
    const arn = str(response['arn']);
    const name = str(params['name']);
    // Without the response, the secret by its name: AWS adds six random characters to its ARN.
    const resource = isArn(arn)
      ? arn
      : name
        ? `arn:${c.partition}:secretsmanager:${c.region}:${c.account}:secret:${name}-??????`
        : '';
    add('secretsmanager:TagResource', resource, 'requestParameters.tags');
  }
  if (service === 'elasticloadbalancing') elbCreated(eventName, params, response, c, add);
  const more = own(MORE_CREATES, `${service}:${baseEventName(service, eventName)}`);
  if (more && hasTags(params['tags'])) moreCreated(more, params, response, c, add);
}

/** The services whose created resources may be written as patterns. */
const PATTERN_SERVICES = new Set(['ec2', 'ecs', ...Object.values(MORE_CREATES).map((m) => m.action.split(':')[0]!)]);

/**
 * Whether `arn` is a pattern `created` or `moreCreated` writes for a resource the record does not name: one of the
 * catalogue's ARN formats of a service here with `*` for every name, in the call's partition, region and account.
 * Nothing in it is a logged value (the logged type only picks a format), so decode accepts its wildcards, which it
 * refuses in any logged name.
 */
export function isCreatedPattern(arn: string, c: CallContext): boolean {
  const service = parseArn(arn)?.service ?? '';
  if (!PATTERN_SERVICES.has(service)) return false;
  return Object.values(resourceFormats(service)).some((list) =>
    list.split(', ').some((f) => fillFormat(f, {}, c, '*') === arn),
  );
}
