import { callNeeds } from '../../knowledge/aws/permissions.js';
import type { AwsCall } from '../../model/profile.js';

/**
 * What the generator grants for one observed call: the needs AWS defines (knowledge/aws/permissions.ts)
 * with the generator's decisions where the event named no resource: every object of the bucket when
 * only the bucket is known (S3 object actions whose keys CloudTrail does not log), `*` otherwise;
 * each such decision carries its reason in `widened`, which the generator lists.
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

/** The permissions granted for one observed call. */
export async function callPermissions(call: AwsCall): Promise<CallPermissions> {
  const needed = await callNeeds(call);
  if (needed.kind !== 'actions') return needed;
  const permissions: NeededPermission[] = needed.needs.map((n) => {
    const base = { action: n.action, ...(n.implied ? { implied: n.implied } : {}) };
    if (n.unnamed?.buckets)
      return {
        ...base,
        resources: n.unnamed.buckets.map((b) => `${b}/*`),
        widened: `${n.unnamed.why}; every object of the bucket`,
      };
    if (n.unnamed) return { ...base, resources: ['*'], widened: n.unnamed.why };
    // A secret named by its name: its ARN ends in `-` and six random characters the event does not carry.
    const bySecretName = n.resources.filter((r) => /:secretsmanager:.*-\?{6}$/.test(r));
    if (bySecretName.length)
      return {
        ...base,
        resources: n.resources,
        widened: `${n.action}: the call named ${bySecretName.length === 1 ? 'a secret' : 'secrets'} by name; -?????? stands for the six random characters AWS adds to its ARN`,
      };
    return { ...base, resources: n.resources };
  });
  return { kind: 'actions', permissions };
}
