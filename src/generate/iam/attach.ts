/**
 * A principal whose policy needs more managed policies than AWS attaches to one role or user (10; 20 with a
 * quota increase): what takes the room, and which widening would bring it under the limit, found by trying it.
 */
import { cmp } from '../../model/issue.js';
import { ATTACHED_POLICIES, ATTACHED_POLICIES_MAX } from './policy.js';
import { resourceType, s3Object } from './widen.js';
import type { IamOptions } from './index.js';

export interface AttachWarning {
  principal: string;
  /** Managed policies its statements need, packed as tightly as the size limit allows. */
  policies: number;
  /** What AWS attaches by default. */
  limit: number;
  /** The groups of resources that take the most room: an action and the prefix its resources share. */
  largest: { action: string; prefix: string; resources: number }[];
  /** A widening that brings it to `limit` or under, with the count it gives; undefined when none does. */
  fix?: { option: string; value?: number; policies: number };
}

/** How many documents the principal's policy takes under other options (a full generation of it, not kept). */
export type Trial = (opts: IamOptions) => Promise<number>;

const LARGEST = 3;

/**
 * The warning for a principal needing `policies` documents. `permissions` are the grants as generated (action,
 * resource); `trial` regenerates with other options. Tried in order: without `--exact` (if given), the largest
 * `--s3-prefix-wildcard N` that is enough, the largest `--widen-resources N` that is enough. Each try is a
 * binary search over the thresholds that change something (group sizes), so a few generations at most.
 */
export async function attachWarning(
  principal: string,
  policies: number,
  permissions: { action: string; resource: string }[],
  opts: IamOptions,
  trial: Trial,
): Promise<AttachWarning> {
  const w: AttachWarning = { principal, policies, limit: ATTACHED_POLICIES, largest: largestGroups(permissions) };
  if (opts.exact) {
    const { exact: _, ...rest } = opts;
    const n = await trial(rest);
    if (n <= ATTACHED_POLICIES) {
      w.fix = { option: 'exact', policies: n };
      return w;
    }
  }
  // `--s3-prefix-wildcard N` folds a group of more than N keys under one prefix for one action.
  const s3 = new Map<string, number>();
  for (const p of permissions) {
    const m = s3Object(p.resource);
    if (!m || p.resource.endsWith('*') || !p.action.startsWith('s3:')) continue;
    const k = `${p.action} ${m.bucket}/${m.key.slice(0, m.key.lastIndexOf('/') + 1)}`;
    s3.set(k, (s3.get(k) ?? 0) + 1);
  }
  const s3Fix = await smallestEnough([...s3.values()], (n) => trial({ ...opts, s3PrefixWildcard: n }));
  if (s3Fix) {
    w.fix = { option: 's3-prefix-wildcard', ...s3Fix };
    return w;
  }
  // `--widen-resources N` folds more than N ARNs of one action and resource type into their common start.
  const perType = new Map<string, number>();
  for (const p of permissions) {
    const k = `${p.action} ${resourceType(p.resource)}`;
    if (p.resource !== '*') perType.set(k, (perType.get(k) ?? 0) + 1);
  }
  const wrFix = await smallestEnough([...perType.values()], (n) => trial({ ...opts, widenResources: n }));
  if (wrFix) w.fix = { option: 'widen-resources', ...wrFix };
  return w;
}

/**
 * The largest threshold N (least widening) whose generation fits the limit: N = size - 1 for a group size folds
 * every group of that size or more. Larger N folds less, so the count grows with N: binary search over the sizes.
 */
async function smallestEnough(
  sizes: number[],
  count: (n: number) => Promise<number>,
): Promise<{ value: number; policies: number } | undefined> {
  const thresholds = [...new Set(sizes)].sort((a, b) => b - a).map((s) => s - 1);
  let lo = 0;
  let hi = thresholds.length - 1;
  let best: { value: number; policies: number } | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const n = await count(thresholds[mid]!);
    if (n <= ATTACHED_POLICIES) {
      best = { value: thresholds[mid]!, policies: n };
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return best;
}

/** Resources grouped by action and the prefix they share (an S3 key's folder, else the ARN up to its name). */
function largestGroups(permissions: { action: string; resource: string }[]): AttachWarning['largest'] {
  const groups = new Map<string, AttachWarning['largest'][number]>();
  for (const p of permissions) {
    const m = s3Object(p.resource);
    const prefix = m
      ? `${m.bucket}/${m.key.slice(0, m.key.lastIndexOf('/') + 1)}`
      : p.resource.slice(0, Math.max(p.resource.lastIndexOf('/'), p.resource.lastIndexOf(':')) + 1);
    const k = `${p.action} ${prefix}`;
    const g = groups.get(k) ?? { action: p.action, prefix, resources: 0 };
    g.resources++;
    groups.set(k, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.resources - a.resources || cmp(a.action, b.action) || cmp(a.prefix, b.prefix))
    .slice(0, LARGEST);
}

/** The warning in words, for the summary and the report. */
export function attachWords(w: AttachWarning): string {
  const largest = w.largest
    .map((g) => `${g.action} on ${g.resources.toLocaleString('en-US')} resources under ${g.prefix}`)
    .join('; ');
  const fix = !w.fix
    ? 'no widening option alone brings it under the limit: split the workload over several roles'
    : w.fix.option === 'exact'
      ? `without --exact (keys with dates and ids generalized) it needs ${w.fix.policies}`
      : `--${w.fix.option} ${w.fix.value} would bring it to ${w.fix.policies} (a listed widening)`;
  return (
    `${w.principal} needs ${w.policies} managed policies: AWS attaches ${w.limit} to a role or user ` +
    `(${ATTACHED_POLICIES_MAX} with a quota increase). Largest: ${largest}. Fix: ${fix}`
  );
}
