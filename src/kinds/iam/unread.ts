import { broadManagedPolicy } from '../../knowledge/aws/managedPolicies.js';
import type { CiFinding } from '../../model/finding.js';
import type { IamPolicySet } from '../../verify/iam.js';
import type { NamedPolicy } from '../../verify/iam/evaluate.js';

/**
 * A policy attached to a principal whose document was not read (an AWS managed policy an account's answer or a plan
 * does not hold, a document known only after apply), in a diff. Where the other side does not attach the same policy
 * (its `ref`: ARN or address) to the principal, it is a change as a whole, as an RBAC binding to a role whose rules are
 * not given is: high risk for an AWS managed policy whose name says it is broad (knowledge/aws/managedPolicies.ts),
 * medium for any other (what it allows is not known). Undefined where the other side attaches it too, or where what it
 * is cannot be told (no `ref`): it stays undetermined.
 */
export function unreadChange(
  principal: string,
  label: string,
  pol: NamedPolicy,
  other: IamPolicySet,
): CiFinding | undefined {
  if (pol.unknown === undefined || pol.boundary || pol.ref === undefined) return undefined;
  const theirs = other.byPrincipal.get(principal) ?? [];
  if (theirs.some((p) => !p.boundary && p.ref === pol.ref)) return undefined;
  const broad = broadManagedPolicy(pol.ref);
  return {
    type: 'new-access',
    kind: 'iam',
    principal: label,
    access: { action: `policy ${pol.ref}`, resources: [] },
    summary: `attaches ${pol.ref}, a policy not read: ${pol.unknown}`,
    risk: broad
      ? { level: 'high', reasons: [`an AWS managed policy that grants ${broad}`] }
      : { level: 'medium', reasons: ['a policy whose document is not read: what it allows is not known'] },
    locations: [pol.at ?? { file: pol.name, line: 1 }],
  };
}
