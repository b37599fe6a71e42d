import { isObj } from '../../util/json.js';
import {
  arnFormat,
  fillFormat,
  isArn,
  isContextPlaceholder,
  parseArn,
  placeholders,
  resourceFormats,
} from '../../knowledge/aws/arn.js';
import type { CallContext } from './resources.js';
import { own } from '../../util/own.js';

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
 * IAM's CreateRole and CreateUser (iam:TagRole, iam:TagUser) are in implied.ts.
 */

type Obj = Record<string, unknown>;
type Add = (action: string, resource: string, via: string) => void;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Tags as CloudTrail logs them: a list of `{key, value}`, or EC2's `{items: [...]}`. */
function hasTags(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return isObj(v) && Array.isArray(v['items']) && v['items'].length > 0;
}

/** Every string under `key` in `v`, at any depth (the created resources of a response: `instancesSet.items[]`). */
function valuesOf(v: unknown, key: string, out: string[], depth = 0): string[] {
  if (depth > 8) return out;
  if (Array.isArray(v)) for (const x of v) valuesOf(x, key, out, depth + 1);
  else if (isObj(v))
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.push(x);
      else valuesOf(x, key, out, depth + 1);
    }
  return out;
}

/**
 * The created resource of a type: its ARN from the id the response carries (the type's ARN placeholder, in
 * CloudTrail's lower camel case: `VolumeId` → `volumeId`), else the type's pattern in the call's account, with
 * the reason in `via` (the generator lists it as a widening).
 */
function created(
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
  const ids = key ? [...new Set(valuesOf(response, key, []))].sort() : [];
  // An ARN as the response gives it, or one built from an id (a plain id, nothing an ARN cannot hold).
  const arns = ids.flatMap((id) =>
    isArn(id) ? [id] : format && one && /^[\w.-]+$/.test(id) ? [fillFormat(format, { [one]: id }, c, '*')!] : [],
  );
  for (const arn of arns) add(arn, via);
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
const EC2_ID_KEY: Record<string, string> = { 'security-group': 'groupId' };

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
      created(
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
    created('ecs', ecs.type, ecs.key, response, c, 'requestParameters.tags', (r, v) => add('ecs:TagResource', r, v));
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
}

/**
 * Whether `arn` is a pattern `created` writes for a resource the record does not name: one of the catalogue's ARN
 * formats of a service here with `*` for every name, in the call's partition, region and account. Nothing in it is
 * a logged value (the logged type only picks a format), so decode accepts its wildcards, which it refuses in any
 * logged name.
 */
export function isCreatedPattern(arn: string, c: CallContext): boolean {
  const service = parseArn(arn)?.service ?? '';
  if (service !== 'ec2' && service !== 'ecs') return false;
  return Object.values(resourceFormats(service)).some((list) =>
    list.split(', ').some((f) => fillFormat(f, {}, c, '*') === arn),
  );
}
