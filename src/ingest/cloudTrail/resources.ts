import type { ImpliedPermission } from '../../model/observation.js';
import { compareTuples } from '../../util/key.js';
import { isObj, stringsUnder } from '../../util/json.js';
import {
  arnFormat,
  fillFormat,
  formatPattern,
  isArn,
  isContextPlaceholder,
  matchFormat,
  parseArn,
  resourceFormats,
} from '../../knowledge/aws/arn.js';
import { CREATED_BY_ID, rulesFor, type ParameterRule } from '../../knowledge/aws/resourceParameters.js';
import { apiGatewayRequests, filledRequestPath } from '../../knowledge/aws/apiGateway.js';
import { impliedFromParameters } from './implied.js';
import { fleetCreated } from './fleet.js';
import { pushAll } from '../../util/array.js';
import { own } from '../../util/own.js';

/**
 * The resources a CloudTrail call touched, as ARNs, from its request parameters: the table of
 * knowledge/aws/resourceParameters.ts (which parameter names which resource type) through the catalogue's
 * ARN formats, with partition, region and account from the record. These are candidates: the generator
 * keeps those that match one of the action's resource types, so a parameter that is no resource of the
 * action (a role passed to CreateFunction) never becomes the action's resource. The permissions a call
 * needs beyond its own action are in ./implied.ts.
 */

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface CallContext {
  partition: string;
  region: string;
  /** The account the call went to (recipientAccountId), else the caller's. */
  account: string;
  eventName?: string;
  /** The caller's IAM user ARN, when an IAM user's access key signed the call (IAM's user when none is named). */
  caller?: string;
}

/** `arn:aws-cn:...` principals live in another partition; everything else is `aws`. */
export function partitionOf(arn: string): string {
  return parseArn(arn)?.partition ?? 'aws';
}

/** The values at a path: `a.b`, `a[]` (each element), `a[].b`, `a{}` (each key of an object). */
export function valuesAt(params: unknown, path: string): string[] {
  let segs = segments.get(path);
  if (!segs) segments.set(path, (segs = path.split('.').map(segment)));
  // Most paths are one plain name: its value, without the lists.
  if (segs.length === 1 && !segs[0]!.each && !segs[0]!.keys) {
    const x = isObj(params) ? params[segs[0]!.name] : undefined;
    return typeof x === 'string' && x !== '' ? [x] : [];
  }
  let cur: unknown[] = [params];
  for (const { name, each, keys } of segs) {
    const next: unknown[] = [];
    for (const v of cur) {
      const x = isObj(v) ? v[name] : undefined;
      if (each) {
        if (Array.isArray(x)) pushAll(next, x);
      } else if (keys) {
        if (isObj(x)) pushAll(next, Object.keys(x));
      } else next.push(x);
    }
    cur = next;
  }
  return cur.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A path's segment: a name, and whether it takes each element (`[]`) or each key (`{}`) of its value. */
function segment(seg: string): { name: string; each: boolean; keys: boolean } {
  const each = seg.endsWith('[]');
  const keys = seg.endsWith('{}');
  return { name: each || keys ? seg.slice(0, -2) : seg, each, keys };
}
const segments = new Map<string, { name: string; each: boolean; keys: boolean }[]>();

/** One way a value reads: placeholder values (and the type, where the value says it), or an ARN as it is. */
type Read = { values: Record<string, string>; type?: string; suffix?: string } | { arn: string };

const EC2_PREFIXES: Record<string, string> = {
  i: 'instance',
  mi: 'managed-instance',
  vol: 'volume',
  snap: 'snapshot',
  ami: 'image',
  sg: 'security-group',
  subnet: 'subnet',
  vpc: 'vpc',
  eni: 'network-interface',
  lt: 'launch-template',
  igw: 'internet-gateway',
  rtb: 'route-table',
  nat: 'natgateway',
  eipalloc: 'elastic-ip',
};
const EC2_ID_PLACEHOLDER: Record<string, string> = {
  instance: 'InstanceId',
  'managed-instance': 'InstanceId',
  volume: 'VolumeId',
  snapshot: 'SnapshotId',
  image: 'ImageId',
  'security-group': 'SecurityGroupId',
  subnet: 'SubnetId',
  vpc: 'VpcId',
  'network-interface': 'NetworkInterfaceId',
  'launch-template': 'LaunchTemplateId',
  'internet-gateway': 'InternetGatewayId',
  'route-table': 'RouteTableId',
  natgateway: 'NatGatewayId',
  'elastic-ip': 'AllocationId',
};

/** How the first placeholder's value of a row is read (see Reader in resourceParameters.ts). */
function read(rule: ParameterRule, p: string, v: string, params: Obj, c: CallContext): Read[] {
  const as = (x: string, more: Partial<{ type: string; suffix: string }> = {}): Read => ({
    values: { [p]: x },
    ...more,
  });
  switch (rule.read) {
    case 'iam-name': {
      // The entity's create carries the path (`path`, default `/`); any other call names it without it.
      const path = str(params['path']);
      if (path || rule.creates?.includes(c.eventName ?? '')) return [as(`${(path || '/').replace(/^\//, '')}${v}`)];
      return [as(v), as(`*/${v}`)];
    }
    case 'lower':
      return [as(v.toLowerCase())];
    case 'ssm-parameter':
      return [as(v.replace(/^\//, ''))];
    case 'ssm-document':
      // Documents AWS owns (AWS-RunShellScript, AWSSupport-..., AmazonCloudWatch-...) have no account in their ARN.
      return [/^(AWS|Amazon)[A-Za-z0-9]*-/.test(v) ? { values: { [p]: v, Account: '' } } : as(v)];
    case 'secret':
      return [as(`${v}-??????`)];
    case 'kms-key':
      if (v.startsWith('alias/')) return [{ values: { Alias: v.slice('alias/'.length) }, type: 'alias' }];
      return [{ values: { KeyId: v }, type: 'key' }];
    case 'sqs-url': {
      const m = /^https?:\/\/[^/]+\/(\d{12})\/([^/?#]+)$/.exec(v);
      return m ? [{ values: { Account: m[1]!, QueueName: m[2]! } }] : [];
    }
    case 'ec2-id': {
      const type = own(EC2_PREFIXES, /^([a-z]+)-[0-9a-f]{8,17}$/.exec(v)?.[1] ?? '');
      return type ? [{ values: { [EC2_ID_PLACEHOLDER[type]!]: v }, type }] : [];
    }
    case 'log-group':
      return [as(v), as(v, { suffix: ':*' })];
    case 'cfn-stack':
      return [{ values: { StackName: v, Id: '*' } }];
    case 'task-definition': {
      const m = /^([^:]+):(\d+)$/.exec(v);
      return [
        {
          values: { TaskDefinitionFamilyName: m ? m[1]! : v, TaskDefinitionRevisionNumber: m ? m[2]! : '*' },
        },
      ];
    }
    case 'lambda-function': {
      // "name", "name:qualifier" or "account:function:name[:qualifier]".
      const m = /^(\d{12}):function:(.+)$/.exec(v);
      return [m ? { values: { Account: m[1]!, FunctionName: m[2]! } } : as(v)];
    }
    default:
      return [as(v)];
  }
}

/**
 * An ARN a request gives, as IAM authorizes it. Secrets Manager takes a partial secret ARN (without the `-` and six
 * random characters it appends to the name) but authorizes the full one; as Secrets Manager reads it, an ARN whose
 * name ends in `-` and six characters is a full one.
 */
function asAuthorized(arn: string): string {
  // The service sits between colons: an ARN without this one is no secret's (most calls' ARNs, not parsed).
  if (!arn.includes(':secretsmanager:')) return arn;
  const a = parseArn(arn);
  if (a?.service !== 'secretsmanager' || !a.resource.startsWith('secret:')) return arn;
  // A name read by the `secret` reader already ends in `-??????`.
  return /-(?:[A-Za-z0-9]{6}|\?{6})$/.test(a.resource) ? arn : `${arn}-??????`;
}

/** A row's placeholders and the parameter paths they are read from (made once per row). */
function fromEntries(rule: ParameterRule): [string, string][] {
  let hit = ruleEntries.get(rule);
  if (!hit) ruleEntries.set(rule, (hit = Object.entries(rule.from)));
  return hit;
}
const ruleEntries = new WeakMap<ParameterRule, [string, string][]>();

/** The formats a catalogue entry lists (`a, b` for a type with two; made once per entry). */
function formatsOf(format: string): string[] {
  let hit = formatLists.get(format);
  if (!hit) formatLists.set(format, (hit = format.split(', ')));
  return hit;
}
const formatLists = new Map<string, string[]>();

/** The ARNs one row builds from the record. */
function fromRule(rule: ParameterRule, service: string, params: Obj, c: CallContext): string[] {
  const typeService = rule.service ?? service;
  // An account or region the request leaves out is the call's own (AWS's default): the context fills it.
  const entries: string[] = [];
  const lists: string[][] = [];
  let single = true;
  for (const [p, path] of fromEntries(rule)) {
    const l = valuesAt(params, path);
    if (l.length === 0 && isContextPlaceholder(p)) continue;
    if (l.length === 0) {
      // Without its UserName an IAM call acts on the user who signed it, path and all.
      const self = rule.callerWhenAbsent?.includes(c.eventName ?? '') ? c.caller : undefined;
      return self && arnIsOf(typeService, rule.type, self) ? [self] : [];
    }
    if (l.length > 1) single = false;
    entries.push(p);
    lists.push(l);
  }
  const out: string[] = [];
  // Rows name at most one list; the product of the others is their single values.
  const combos = single
    ? [lists.map((l) => l[0]!)]
    : lists.reduce<string[][]>((acc, l) => acc.flatMap((a) => l.map((v) => [...a, v])), [[]]);
  for (const combo of combos.slice(0, 1000)) {
    const values: Record<string, string> = {};
    let reads: Read[] = [];
    let ok = true;
    // Where an ARN is given, the resource is in its partition, region and account, not the call's: a role of another
    // account (`sts:AssumeRole` across accounts) names no role of the caller's.
    let ctx = c;
    combo.forEach((v, i) => {
      const p = entries[i]!;
      const arn = parseArn(v);
      if (arn) {
        out.push(asAuthorized(v));
        // A cluster ARN where a service's ARN needs the cluster's name: its placeholders, read through its format.
        const got = Object.values(resourceFormats(typeService))
          .map((f) => matchFormat(f, v))
          .find((x) => x?.[p] !== undefined);
        const own = {
          ...ctx,
          partition: arn.partition,
          region: arn.region || ctx.region,
          account: arn.account || ctx.account,
        };
        if (!got || (ctx !== c && (own.partition !== ctx.partition || own.account !== ctx.account))) ok = false;
        else {
          values[p] = got[p]!;
          ctx = own;
        }
      } else if (i === 0 && !/[*?]/.test(v)) reads = read(rule, p, v, params, ctx);
      else values[p] = v;
    });
    if (!ok) continue;
    if (reads.length === 0) reads = [{ values: {} }];
    for (const r of reads) {
      if ('arn' in r) {
        out.push(r.arn);
        continue;
      }
      const format = arnFormat(typeService, r.type ?? rule.type);
      if (!format) continue;
      for (const f of formatsOf(format)) {
        const arn = fillFormat(f, { ...values, ...r.values }, ctx);
        if (arn) out.push(asAuthorized(arn) + (r.suffix ?? ''));
      }
    }
  }
  return out;
}

/**
 * API Gateway's management calls are authorized on their request path, `arn:PARTITION:apigateway:REGION::PATH`: each
 * request of the operation (knowledge/aws/apiGateway.ts) filled from the parameters, or up to the last one given (the
 * rest becomes `*` where the call's needs are made, with its reason). An operation of neither API names nothing.
 */
function apiGateway(p: Obj, c: CallContext): string[] {
  const out: string[] = [];
  for (const r of apiGatewayRequests(c.eventName ?? '') ?? []) {
    const path = filledRequestPath(r.path, p);
    if (path) out.push(`arn:${c.partition}:apigateway:${c.region}::${path}`);
  }
  return out;
}

/** Candidate ARNs for a call: every top-level ARN-valued parameter (and list of them), and what the table builds. */
export function resourcesFromParameters(service: string, params: unknown, c: CallContext): string[] {
  // CloudTrail logs a request without parameters as null: what it names is then only what AWS defaults to.
  if (!isObj(params)) return service === 'apigateway' ? apiGateway({}, c) : fromDefaults(service, c);
  const out: string[] = [];
  for (const v of Object.values(params)) {
    if (typeof v === 'string' && isArn(v)) out.push(asAuthorized(v));
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && isArn(x)) out.push(asAuthorized(x));
  }
  for (const rule of rulesFor(service, c.eventName ?? '')) pushAll(out, fromRule(rule, service, params, c));
  if (service === 'apigateway') pushAll(out, apiGateway(params, c));
  return out;
}

function fromDefaults(service: string, c: CallContext): string[] {
  const out: string[] = [];
  for (const rule of rulesFor(service, c.eventName ?? '')) pushAll(out, fromRule(rule, service, {}, c));
  return out;
}

/**
 * What a create made under an id AWS made up (a snapshot, an instance and its network interfaces, a KMS key), as ARNs
 * built by the same rows that name it in later calls: the ids under the row's parameter name anywhere in the record's
 * response (`responseElements.instancesSet.items[].instanceId`, `keyMetadata.keyId`; CreateFleet's: fleet.ts),
 * each read as that row reads a request's (an id of another shape builds nothing). Empty for every other call.
 */
export function createdResources(service: string, response: unknown, c: CallContext): string[] {
  const rows = isObj(response) ? CREATED_BY_ID.get(`${service}:${c.eventName ?? ''}`) : undefined;
  if (!rows) return [];
  // CreateFleet's response is EC2's XML as JSON (`CreateFleetResponse.fleetInstanceSet.item[].instanceIds.item[]`).
  if (service === 'ec2' && c.eventName === 'CreateFleet') response = fleetCreated(response);
  const out: string[] = [];
  for (const row of rows) {
    const paths = Object.values(row.from);
    // Rows of creates name one id by a plain key; the response nests it (`instancesSet.items[]`).
    if (paths.length !== 1 || !/^\w+$/.test(paths[0]!)) continue;
    const key = paths[0]!;
    for (const id of new Set(stringsUnder(response, key)))
      if (/^[\w.-]+$/.test(id)) pushAll(out, fromRule(row, service, { [key]: id }, c));
  }
  return out;
}

/** Whether an ARN is of a type of `service` (for readers of the table in tests). */
export function arnIsOf(service: string, type: string, arn: string): boolean {
  const f = arnFormat(service, type);
  return !!f && f.split(', ').some((x) => formatPattern(x).re.test(arn));
}

/** Permissions a call needs besides its own action, sorted. `resource` '' means it could not be determined. */
const NONE: ImpliedPermission[] = [];
Object.freeze(NONE);

export function impliedPermissions(
  service: string,
  eventName: string,
  params: unknown,
  c: CallContext,
  record?: Obj,
): ImpliedPermission[] {
  const out = impliedFromParameters(service, eventName, isObj(params) ? params : {}, c, record ?? {});
  if (out.length === 0) return NONE;
  const order = (i: ImpliedPermission) => [i.action, i.resource, i.via];
  const seen = new Set<string>();
  return out
    .sort((a, b) => compareTuples(order(a), order(b)))
    .filter((i) => {
      const k = JSON.stringify(order(i));
      return seen.has(k) ? false : (seen.add(k), true);
    });
}
