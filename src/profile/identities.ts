import { addCounts } from '../model/evidence.js';
import { cmp } from '../model/issue.js';
import type { LeftOutIdentity, Principal, Profile } from '../model/profile.js';
import { awsIdentityKey, isServiceLinkedRole, preferredIamArn, principalId } from '../model/subject.js';
import { tupleKey } from '../util/key.js';
import type { AwsCallObservation } from '../model/observation.js';
import { LEFT_OUT_REASONS, leftOutArn, type SkipReason } from './scope.js';

/**
 * AWS identities in the profile: the ones no identity policy attaches to (`leftOut`), exact under merge like
 * everything else (counts add, event sets unite, the ARN is `preferredIamArn` of those seen), and profiles
 * written before roles were keyed by account and name read as if they had been.
 */

type Reason = LeftOutIdentity['reason'];

/** Left-out identities of a profile being built or merged, by reason and identity. */
export class LeftOutAccumulator {
  private readonly by = new Map<string, { reason: Reason; arn: string; count: number; events: Set<string> }>();

  add(reason: Reason, arn: string, count: number, events: Iterable<string>): void {
    const k = tupleKey(reason, awsIdentityKey(arn));
    let e = this.by.get(k);
    if (!e) this.by.set(k, (e = { reason, arn, count: 0, events: new Set() }));
    else e.arn = preferredIamArn(e.arn, arn);
    e.count = addCounts(e.count, count);
    for (const x of events) e.events.add(x);
  }

  /** A record left out for `reason`: listed when the reason is one of an identity (`LEFT_OUT_REASONS`). */
  addRecord(reason: SkipReason, obs: AwsCallObservation): void {
    if (LEFT_OUT_REASONS.has(reason))
      this.add(reason as Reason, leftOutArn(obs.principal), 1, [`${obs.eventSource} ${obs.eventName}`]);
  }

  /** Sorted by reason and ARN; undefined when empty (the profile then has no `leftOut`). */
  toList(): LeftOutIdentity[] | undefined {
    if (this.by.size === 0) return undefined;
    return [...this.by.values()]
      .map((e) => ({ reason: e.reason, arn: e.arn, count: e.count, events: [...e.events].sort(cmp) }))
      .sort((a, b) => cmp(a.reason, b.reason) || cmp(a.arn, b.arn));
  }
}

/** Why a principal of an older profile is one no policy attaches to (it was profiled before they were left out). */
export function oldLeftOut(p: Principal): Reason | undefined {
  if (p.subject.kind === 'AWSAccount') return 'root-user';
  if (p.subject.kind === 'FederatedUser') return 'federated-session';
  if (p.subject.kind === 'IAMRole' && isServiceLinkedRole(p.subject.name)) return 'service-linked-role';
  return undefined;
}

/**
 * Whether a profile read from a file needs `normalizeIdentities`: a principal of a kind now left out, or two
 * principals that are one identity (a role with and without its path, from before roles were keyed by name).
 */
export function needsNormalizing(p: Profile): boolean {
  const seen = new Set<string>();
  for (const pr of p.principals) {
    if (oldLeftOut(pr)) return true;
    const k = principalId(pr.subject);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/**
 * An older profile as this version would have written it: root, federated and service-linked principals become
 * `leftOut` entries (their calls counted in `skipped` under the same reason), and the caller merges principals that
 * are one identity (`mergeProfiles` keys them by `principalId`).
 */
export function liftLeftOut(p: Profile): Profile {
  const acc = new LeftOutAccumulator();
  for (const l of p.leftOut ?? []) acc.add(l.reason, l.arn, l.count, l.events);
  const skipped: Record<string, number> = { ...p.skipped };
  const principals: Principal[] = [];
  for (const pr of p.principals) {
    const reason = oldLeftOut(pr);
    if (!reason || !pr.aws?.length) {
      if (!reason) principals.push(pr);
      continue;
    }
    const count = pr.aws.reduce((n, e) => n + (e.allowed?.count ?? 0) + (e.denied?.count ?? 0), 0);
    acc.add(
      reason,
      pr.subject.name,
      count,
      pr.aws.map((e) => `${e.eventSource} ${e.eventName}`),
    );
    skipped[reason] = (skipped[reason] ?? 0) + count;
  }
  const out: Profile = { ...p, skipped, principals };
  const list = acc.toList();
  if (list) out.leftOut = list;
  else delete out.leftOut;
  return out;
}
