import type { ImpliedPermission } from '../../model/observation.js';
import { compareTuples } from '../../util/key.js';
import { isObj } from '../../util/json.js';
import {
  arnFormat,
  fillFormat,
  formatPattern,
  isArn,
  matchFormat,
  parseArn,
  resourceFormats,
} from '../../knowledge/aws/arn.js';
import { rulesFor, type ParameterRule } from '../../knowledge/aws/resourceParameters.js';
import { impliedFromParameters } from './implied.js';
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
}

/** `arn:aws-cn:...` principals live in another partition; everything else is `aws`. */
export function partitionOf(arn: string): string {
  return parseArn(arn)?.partition ?? 'aws';
}

/** The values at a path: `a.b`, `a[]` (each element), `a[].b`, `a{}` (each key of an object). */
export function valuesAt(params: unknown, path: string): string[] {
  let cur: unknown[] = [params];
  for (const seg of path.split('.')) {
    const each = seg.endsWith('[]');
    const keys = seg.endsWith('{}');
    const name = each || keys ? seg.slice(0, -2) : seg;
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
      // A create carries the path (`path`, default `/`); any other call names the entity without it.
      const path = str(params['path']);
      if (path || (c.eventName ?? '').startsWith('Create')) return [as(`${(path || '/').replace(/^\//, '')}${v}`)];
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

/** The ARNs one row builds from the record. */
function fromRule(rule: ParameterRule, service: string, params: Obj, c: CallContext): string[] {
  const typeService = rule.service ?? service;
  const entries = Object.entries(rule.from);
  const lists = entries.map(([, path]) => valuesAt(params, path));
  if (lists.some((l) => l.length === 0)) return [];
  const out: string[] = [];
  // Rows name at most one list; the product of the others is their single values.
  const combos = lists.reduce<string[][]>((acc, l) => acc.flatMap((a) => l.map((v) => [...a, v])), [[]]);
  for (const combo of combos.slice(0, 1000)) {
    const values: Record<string, string> = {};
    let reads: Read[] = [];
    let ok = true;
    combo.forEach((v, i) => {
      const p = entries[i]![0];
      const arn = parseArn(v);
      if (arn) {
        out.push(v);
        // A cluster ARN where a service's ARN needs the cluster's name: its placeholders, read through its format.
        const got = Object.values(resourceFormats(typeService))
          .map((f) => matchFormat(f, v))
          .find((x) => x?.[p] !== undefined);
        if (got) values[p] = got[p]!;
        else ok = false;
      } else if (i === 0 && !/[*?]/.test(v)) reads = read(rule, p, v, params, c);
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
      for (const f of format.split(', ')) {
        const arn = fillFormat(f, { ...values, ...r.values }, c);
        if (arn) out.push(arn + (r.suffix ?? ''));
      }
    }
  }
  return out;
}

/** API Gateway's management calls are authorized on paths under `arn:aws:apigateway:REGION::`. */
function apiGateway(p: Obj, c: CallContext): string[] {
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
}

/** Candidate ARNs for a call: every top-level ARN-valued parameter (and list of them), and what the table builds. */
export function resourcesFromParameters(service: string, params: unknown, c: CallContext): string[] {
  if (!isObj(params)) return [];
  const out: string[] = [];
  for (const v of Object.values(params)) {
    if (typeof v === 'string' && isArn(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && isArn(x)) out.push(x);
  }
  for (const rule of rulesFor(service, c.eventName ?? '')) pushAll(out, fromRule(rule, service, params, c));
  if (service === 'apigateway') pushAll(out, apiGateway(params, c));
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
