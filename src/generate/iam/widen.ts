import { mergeEvidence } from '../../model/evidence.js';
import { cmp } from '../../model/issue.js';
import { parseArn } from '../../knowledge/aws/arn.js';
import { sharedStablePrefix, streamStablePrefix } from '../../knowledge/aws/logStreams.js';
import { perRunResource } from '../../knowledge/aws/runResources.js';
import { NODE_INSTANCE_WHY, nodeInstancePrefix } from '../../knowledge/aws/nodeInstances.js';
import { BucketKeys } from '../../knowledge/aws/objectKeys.js';
import type { Principal } from '../../model/profile.js';
import type { Grant, IamWidening } from './index.js';
import { hasIamWildcard } from '../../util/glob.js';

export function fold(into: Grant, g: Grant): void {
  into.ev = mergeEvidence(into.ev, g.ev);
  for (const e of g.events) into.events.add(e);
  for (const i of g.implied) into.implied.add(i);
  if (g.direct) into.direct = true;
  for (const c of g.keyed ?? []) (into.keyed ??= new Set()).add(c);
}

/** Distinct resources of a type a principal must have created before the ids AWS gave them count as made up. */
const MIN_CREATED = 3;

/** What a principal created itself, as the ARNs later calls name: log streams, and ids AWS made up. */
export interface OwnResources {
  /** Log streams it created (CreateLogStream names them). */
  streams: Set<string>;
  /** Resources it kept creating under ids AWS made up (three or more of a type): ARN → the type's ARN up to the id. */
  ids: Map<string, string>;
  /** Per bucket (its ARN), every object key the principal's calls named there, whatever the action. */
  keys: Map<string, BucketKeys>;
  /** The instance ids of the profile's Kubernetes nodes (its `nodeInstances`): replaced, as nodes are. */
  nodes: ReadonlySet<string>;
}

/**
 * A principal's own resources. A resource it created once and then maintains (a VPC, a key it rotates) keeps its
 * id; one of a type it kept creating (a snapshot a night, an instance per image build) is one of many: the next run
 * deletes or tags another, so later calls on such ids become a wildcard of the type (`snapshot/*`). `resources` are
 * all the ARNs granted it, for the object keys it used in each bucket.
 */
export function ownResources(
  p: Principal,
  resources: Iterable<string>,
  nodes: ReadonlySet<string> = new Set(),
): OwnResources {
  const streams = new Set(
    (p.aws ?? [])
      .filter((e) => e.allowed && e.eventName === 'CreateLogStream')
      .flatMap((e) => e.resources.filter((r) => r.includes(':log-stream:'))),
  );
  const byType = new Map<string, string[]>();
  for (const r of p.createdArns ?? []) {
    const slash = r.lastIndexOf('/');
    if (slash < 0 || !parseArn(r)) continue;
    const type = r.slice(0, slash + 1);
    const list = byType.get(type);
    if (list) list.push(r);
    else byType.set(type, [r]);
  }
  const ids = new Map<string, string>();
  for (const [type, list] of byType) if (list.length >= MIN_CREATED) for (const r of list) ids.set(r, type);
  const byBucket = new Map<string, string[]>();
  for (const r of resources) {
    const o = hasIamWildcard(r) ? undefined : s3Object(r);
    if (!o) continue;
    const list = byBucket.get(o.bucket);
    if (list) list.push(o.key);
    else byBucket.set(o.bucket, [o.key]);
  }
  const keys = new Map([...byBucket].map(([b, list]) => [b, new BucketKeys(list)]));
  return { streams, ids, keys, nodes };
}

/**
 * Object keys and log streams that change every run (a date, a UUID, a run id in the path; a stream the
 * principal created itself) become a wildcard at their first variable segment, keeping the stable
 * prefix (`backups/nightly/*`): the bucket, the log group, the account and the region never widen. An id every key
 * of the principal's in the bucket holds alike (a tenant's) is no run's: kept (knowledge/aws/objectKeys.ts). A log
 * stream keeps the stable start of its name, to the character (`log-stream:kube-apiserver-audit-*`,
 * knowledge/aws/logStreams.ts); a stream it created keeps the start all the streams it created in that group
 * share, and no more than its own stable start.
 * Resources AWS makes one of per run (an ECS task, a Step Functions execution: knowledge/aws/runResources.ts)
 * become a wildcard under their parent (`task/jobs/*`); so do ids AWS gave resources the principal kept creating
 * (`snapshot/*`, ownResources), and an EC2 instance that is one of the profile's Kubernetes nodes, which a cluster's
 * agents act on without creating it (`instance/*` in its account and region: knowledge/aws/nodeInstances.ts).
 * Listed as `generated-keys`; `--exact` keeps every key as seen.
 */
export function generalizeKeys(
  principal: string,
  action: string,
  byRes: Map<string, Grant>,
  own: OwnResources,
  out: IamWidening[],
): void {
  const groups = new Map<string, { members: string[]; why: Set<string> }>();
  const shared = createdPrefixes(own.streams);
  for (const r of [...byRes.keys()].sort(cmp)) {
    // A run's ARN may carry a wildcard after the run's own part (the `express:<machine>:<name>:*` an execution
    // implies): its parent's wildcard covers it.
    const run = perRunResource(r);
    if (hasIamWildcard(run?.prefix ?? r)) continue;
    let wide: string | undefined;
    let why: string | undefined;
    const s3 = s3Object(r);
    const stream = logStream(r);
    const type = own.ids.get(r);
    const node = nodeInstancePrefix(r, own.nodes);
    if (run) {
      wide = `${run.prefix}*`;
      why = run.why;
    } else if (type) {
      wide = `${type}*`;
      why = 'an id AWS gave a resource of a type it kept creating';
    } else if (node) {
      wide = `${node}*`;
      why = NODE_INSTANCE_WHY;
    } else if (s3) {
      const v = own.keys.get(s3.bucket)?.widened(s3.key);
      if (v) {
        wide = `${s3.bucket}/${v.prefix}*`;
        why = v.why;
      }
    } else if (stream) {
      const v = streamStablePrefix(stream.name);
      if (own.streams.has(r)) {
        const all = shared.get(stream.prefix);
        const keep = all === undefined ? (v?.prefix ?? '') : v && v.prefix.length < all.length ? v.prefix : all;
        wide = `${stream.prefix}${keep}*`;
        why = 'a stream it created itself';
      } else if (v) {
        wide = `${stream.prefix}${v.prefix}*`;
        why = v.why;
      }
    }
    if (!wide || !why) continue;
    const g = groups.get(wide) ?? { members: [], why: new Set<string>() };
    g.members.push(r);
    g.why.add(why);
    groups.set(wide, g);
  }
  for (const [wide, g] of [...groups].sort((a, b) => cmp(a[0], b[0]))) {
    const evs = g.members.map((m) => byRes.get(m)!.ev);
    const first =
      evs
        .map((e) => e.firstSeen)
        .filter(Boolean)
        .sort(cmp)[0] ?? '';
    const last =
      evs
        .map((e) => e.lastSeen)
        .sort(cmp)
        .pop() ?? '';
    const examples = g.members.slice(0, 2).map((m) => parseArn(m)?.resource ?? m);
    const n = g.members.length;
    const what = `${n} resource${n === 1 ? '' : 's'} named with ${[...g.why].sort(cmp).join(', ')} (${examples.join(', ')}${n > 2 ? ', …' : ''}; seen ${first} .. ${last}) → ${wide}`;
    collapse(byRes, g.members, wide, `made-up keys: ${what}`);
    out.push({ principal, action, option: 'generated-keys', detail: `${action}: ${what}` });
  }
}

/** `--s3-prefix-wildcard N`: more than N object keys under one prefix of a bucket → `bucket/prefix/*`. */
export function widenS3Prefixes(
  principal: string,
  action: string,
  byRes: Map<string, Grant>,
  n: number,
  out: IamWidening[],
): void {
  const groups = new Map<string, string[]>();
  for (const r of byRes.keys()) {
    const m = s3Object(r);
    if (!m || r.endsWith('*')) continue;
    const prefix = `${m.bucket}/${m.key.slice(0, m.key.lastIndexOf('/') + 1)}`;
    const list = groups.get(prefix);
    if (list) list.push(r);
    else groups.set(prefix, [r]);
  }
  for (const prefix of [...groups.keys()].sort(cmp)) {
    const members = groups.get(prefix)!;
    if (members.length <= n) continue;
    const what = `${members.length} object keys under ${prefix} → ${prefix}*`;
    collapse(byRes, members, `${prefix}*`, `--s3-prefix-wildcard: ${what}`);
    out.push({ principal, action, option: 's3-prefix-wildcard', detail: `${action}: ${what}` });
  }
}

/** Replace `members` by one `wide` resource holding all their evidence. */
function collapse(byRes: Map<string, Grant>, members: string[], wide: string, widened: string): string {
  const first = byRes.get(members[0]!)!;
  const target: Grant = byRes.get(wide) ?? {
    ev: first.ev,
    events: new Set(first.events),
    implied: new Set(first.implied),
    ...(first.direct ? { direct: true } : {}),
    ...(first.keyed ? { keyed: new Set(first.keyed) } : {}),
  };
  const fresh = !byRes.has(wide);
  for (const r of members) {
    if (!(fresh && r === members[0])) fold(target, byRes.get(r)!);
    byRes.delete(r);
  }
  target.widened = target.widened ? `${target.widened}; ${widened}` : widened;
  byRes.set(wide, target);
  return wide;
}

/**
 * `--widen-resources N`: more than N ARNs of one resource type for one action → the narrowest wildcard over them,
 * `<their common start>*`, that never crosses the type (`volume/` and `instance/` of AttachVolume are widened each
 * on its own, and only where that type has more than N) and starts only after a boundary (`/ - _ . :`): a start cut
 * mid-token (`table/orders-events-2026-12-0*`, `pr-41*`) is a coincidence of the names seen, which the next one
 * (`-2026-12-10`, `pr-4200`) does not share.
 */
export function widenMany(
  principal: string,
  action: string,
  byRes: Map<string, Grant>,
  n: number,
  out: IamWidening[],
): void {
  const byType = new Map<string, string[]>();
  for (const r of [...byRes.keys()].sort(cmp)) {
    if (r === '*') continue;
    const type = resourceType(r);
    const list = byType.get(type);
    if (list) list.push(r);
    else byType.set(type, [r]);
  }
  for (const [type, arns] of [...byType].sort((a, b) => cmp(a[0], b[0]))) {
    if (arns.length <= n) continue;
    let prefix = arns[0]!;
    for (const a of arns) while (!a.startsWith(prefix)) prefix = prefix.slice(0, -1);
    // A `?` or `*` already in the prefix is part of a wildcard, a `$` maybe of an escape (`${*}`): cut before it.
    prefix = prefix.replace(/[*?$].*$/s, '');
    prefix = prefix.slice(0, Math.max(...[...'/-_.:'].map((c) => prefix.lastIndexOf(c))) + 1);
    // A wildcard inside the type (its region or account a pattern already): no narrower start within the type.
    if (prefix.length < type.length) continue;
    const what = `${arns.length} resources → ${prefix}*`;
    collapse(byRes, arns, `${prefix}*`, `--widen-resources: ${what}`);
    out.push({ principal, action, option: 'widen-resources', detail: `${action}: ${what}` });
  }
}

/**
 * An ARN's resource type, as the ARN up to its resource id: through the first `/` or `:` of the resource part
 * (`...:volume/`, `...:log-group:`, an S3 object's bucket `arn:aws:s3:::bucket/`), else through the account's colon
 * (a bucket, a queue, a topic: the resource part is the name). The value itself for what is no ARN.
 */
export function resourceType(arn: string): string {
  const a = parseArn(arn);
  if (!a) return arn;
  const at = a.resource.search(/[/:]/);
  return arn.slice(0, arn.length - a.resource.length + (at < 0 ? 0 : at + 1));
}

/** `arn:aws:s3:::bucket/key` → the bucket's ARN and the key. */
export function s3Object(arn: string): { bucket: string; key: string } | undefined {
  const a = parseArn(arn);
  const slash = a && a.service === 's3' && !a.region && !a.account ? a.resource.indexOf('/') : -1;
  if (!a || slash <= 0 || slash === a.resource.length - 1) return undefined;
  return { bucket: arn.slice(0, arn.length - a.resource.length + slash), key: a.resource.slice(slash + 1) };
}

/**
 * Per log group (the stream ARN up to `log-stream:`), the start every stream the principal created there shares;
 * undefined for a group where it created one (one name shows no pattern: its own stable start, if any, applies).
 */
function createdPrefixes(createdStreams: Set<string>): Map<string, string | undefined> {
  const names = new Map<string, string[]>();
  for (const r of createdStreams) {
    const s = logStream(r);
    if (!s) continue;
    const list = names.get(s.prefix);
    if (list) list.push(s.name);
    else names.set(s.prefix, [s.name]);
  }
  return new Map([...names].map(([g, n]) => [g, n.length > 1 ? sharedStablePrefix(n) : undefined]));
}

/** `arn:aws:logs:R:A:log-group:G:log-stream:S` → everything up to the stream's name, and the name. */
function logStream(arn: string): { prefix: string; name: string } | undefined {
  const a = parseArn(arn);
  const m = a?.service === 'logs' ? /^(log-group:[^:]+:log-stream:)(.+)$/s.exec(a.resource) : null;
  if (!a || !m) return undefined;
  return { prefix: arn.slice(0, arn.length - a.resource.length) + m[1], name: m[2]! };
}
