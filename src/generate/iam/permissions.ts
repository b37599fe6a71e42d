import { tagOnCreateOf } from '../../knowledge/aws/createAction.js';
import { passedToOf } from '../../knowledge/aws/passedTo.js';
import { callNeeds } from '../../knowledge/aws/permissions.js';
import type { AwsCall } from '../../model/profile.js';
import { pushAll } from '../../util/array.js';
import { hasIamWildcard } from '../../util/glob.js';

/**
 * What the generator grants for one observed call: the needs AWS defines (knowledge/aws/permissions.ts)
 * with the generator's decisions where the event named no resource: the narrowest pattern still known
 * (the call's partition, region and account, the bucket of unnamed objects, `*` for the name), never `*`
 * for a resource type the action takes; `*` only for actions that take no resource type or that AWS
 * authorizes on `*`. Each such decision carries its reason, which the generator lists.
 */
export interface NeededPermission {
  action: string;
  /** ARNs or ARN patterns; `['*']` when no narrower resource exists. */
  resources: string[];
  /** Set when the resource is broader than what was observed, with the reason. */
  widened?: string;
  /** Set when the grant is on `*`: why nothing narrower exists. */
  star?: string;
  /** Set for implied permissions: where the event says it (`requestParameters.role`). */
  implied?: string;
  /** Set when the resources are of a type the catalogue does not list for the action: why AWS takes them. */
  beyond?: string;
  /**
   * Tag on create: the create whose tags this implied tag action authorizes, granted under its `<service>:CreateAction`
   * key (knowledge/aws/createAction.ts) and never to tag at will.
   */
  onCreate?: string;
  /**
   * `iam:PassRole`: the service the call hands the role to (knowledge/aws/passedTo.ts), granted under the
   * `iam:PassedToService` key; absent where the call's guide does not say (then granted without one).
   */
  passedTo?: string;
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
    const passedTo = passedToOf(call, n);
    const base = {
      action: n.action,
      ...(n.implied ? { implied: n.implied } : {}),
      ...(tagOnCreateOf(n, call.eventName) ? { onCreate: call.eventName } : {}),
      ...(passedTo ? { passedTo } : {}),
      ...(n.beyond ? { beyond: `${n.beyond} → ${n.resources.join(', ')}` } : {}),
    };
    if (n.star) return { ...base, resources: ['*'], star: n.star };
    const widened: string[] = [];
    const resources = [...n.resources];
    for (const u of n.unnamed ?? []) {
      pushAll(resources, u.patterns);
      widened.push(`${u.why} → ${u.patterns.join(', ')}`);
    }
    // Names the event gave without a part of their ARN: a secret's random suffix, an IAM name's path...
    const partial = n.resources.filter(hasIamWildcard);
    // An implied permission on a pattern whose `via` says why (`requestParameters.x: the created volume...`).
    if (partial.length && n.implied?.includes(': ')) widened.push(`${n.action}: ${n.implied} → ${partial.join(', ')}`);
    else if (partial.length) widened.push(`${n.action}: ${partial.map(builtWildcard).join('; ')}`);
    return {
      ...base,
      resources: [...new Set(resources)].sort(),
      ...(widened.length ? { widened: widened.join('; ') } : {}),
    };
  });
  return { kind: 'actions', permissions };
}

/** Why a resource built from a request parameter holds a wildcard (see candidateArnProblem in aws/names.ts). */
function builtWildcard(arn: string): string {
  if (/:secretsmanager:.*-\?{6}$/.test(arn))
    return `the call named the secret ${arn.replace(/^.*:secret:/, '').slice(0, -7)} by name; -?????? stands for the six random characters AWS adds to its ARN`;
  if (/^arn:[^:]+:iam::[^:]*:[a-z-]+\/\*\//.test(arn))
    return `the call named ${arn.replace(/^.*\/\*\//, '')} without its path; */ stands for any path`;
  if (/:logs:.*:log-group:.+:\*$/.test(arn))
    return `the call named the log group ${arn.replace(/^.*:log-group:/, '').slice(0, -2)}; IAM authorizes log-group actions on its ARN with and without :* (which covers its streams)`;
  if (/:cloudformation:.*:stack\/[^/]+\/\*$/.test(arn))
    return `the call named the stack ${arn.replace(/^.*:stack\//, '').slice(0, -2)} by name; its id is not in the event`;
  if (/:ecs:.*:task-definition\/[^:]+:\*$/.test(arn))
    return `the call named the task definition ${arn.replace(/^.*:task-definition\//, '').slice(0, -2)} without a revision (its latest)`;
  return `${arn} holds a wildcard from the record`;
}
