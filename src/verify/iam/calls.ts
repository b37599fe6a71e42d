import { concreteProbe, type Need } from '../../knowledge/aws/permissions.js';
import { splitPartitionKey } from '../../model/layout.js';
import { cmp } from '../../model/issue.js';
import type { IamPolicySet } from '../iam.js';

/**
 * What to replay for one need: each named ARN (through a concrete stand-in for the parts of it the event
 * did not carry: a secret's random suffix, an IAM name's path), `*` for an action AWS authorizes on `*`,
 * or, for a resource the event did not name, the concrete ARNs that stand for it (an object of the
 * bucket, a db of the account and region): only a grant covering every such resource allows them, which
 * is what the event leaves open.
 */
export function targets(need: Need): { resource: string; probes: string[]; unnamed?: string }[] {
  const out: { resource: string; probes: string[]; unnamed?: string }[] = need.resources.map((r) => ({
    resource: r,
    probes: [r === '*' ? '*' : concreteProbe(r)],
  }));
  for (const u of need.unnamed ?? [])
    u.patterns.forEach((p, i) => out.push({ resource: p, probes: [u.probes[i]!], unnamed: u.why }));
  return out;
}

/** The accounts a set holds policies for, once per set. */
const ACCOUNTS = new WeakMap<IamPolicySet, Set<string>>();

/** Why a principal has no policies to be judged by, in words (its account's, its twin's, its index's). */
export function noPolicy(set: IamPolicySet, key: string): string {
  let accounts = ACCOUNTS.get(set);
  if (!accounts) ACCOUNTS.set(set, (accounts = new Set([...set.byPrincipal.keys()].map((k) => k.split('/')[0]!))));
  // Policies of other accounts only: a tree made for production (`generate --map`) judged against staging's calls.
  // A twin's key carries its partition (`aws:<account>/role/<name>`).
  const account = (key.includes(':') ? splitPartitionKey(key).key : key).split('/')[0]!;
  if (accounts.size && !accounts.has(account))
    return `no policy for ${key}: the IAM policies read are for account ${[...accounts].sort(cmp).join(', ')} only (made with --map? give the same pairs here)`;
  if (!set.listed.has(key) && key.includes(':'))
    return `no policy for ${key}: of the policies read, those of its account and name are its twin's in another partition`;
  const files = set.listed.get(key);
  const authorized = set.authorized.get(key);
  if (authorized !== undefined && !files?.length)
    return `no policy for ${key}: ${authorized} declares it with no policy attached`;
  if (files?.length) return `no policy for ${key}: its index lists ${files.join(', ')}, not among the policies read`;
  // An account's authorization details or a Terraform document was read: it does not hold this principal.
  const declaring = [...new Set(set.authorized.values())].sort(cmp);
  const shown =
    declaring.length > 3
      ? `${declaring.slice(0, 3).join(', ')} and ${declaring.length - 3} more`
      : declaring.join(', ');
  if (declaring.length)
    return `no policy for ${key}: ${shown} ${declaring.length > 1 ? 'do' : 'does'} not declare it, and no index lists one`;
  return `no policy for ${key}: no index lists one, and none lies at ${key}.json`;
}
