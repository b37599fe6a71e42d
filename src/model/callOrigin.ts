import { isIP } from 'node:net';
import { compareTuples } from '../util/key.js';
import type { InputIssue } from './issue.js';
import type { CallOrigin } from './profile.js';

/**
 * Where an AWS call came from, kept per edge so that replay can judge a committed policy's Conditions on it
 * (`aws:SourceIp`, `aws:SourceVpce`, `aws:SecureTransport`, `aws:ViaAWSService`): the distinct origins of an edge's
 * records, the first ORIGIN_LIMIT of them in tuple order, and whether there were more. Keeping the first k in a total
 * order is the same whatever the order records, files, workers and shards arrive in: the first k of a union are the
 * first k of the union of each part's first k.
 */
export const ORIGIN_LIMIT = 16;

/** What `invokedBy` holds: a service principal or `AWS Internal`, at most 128 characters. */
const INVOKED_BY = /^([A-Za-z0-9][A-Za-z0-9. -]{0,127})?$/;

export const compareOrigins = (a: CallOrigin, b: CallOrigin): number => compareTuples(a, b);

/** The origins of one edge while it is built or merged. */
export interface OriginSet {
  list: CallOrigin[];
  more: boolean;
}

/**
 * Add an origin to a set, in order, without duplicates, keeping the first ORIGIN_LIMIT; undefined (a record that did
 * not say where it came from) marks the set as having more than it lists.
 */
export function addOrigin(set: OriginSet, o: CallOrigin | undefined): void {
  if (!o) {
    set.more = true;
    return;
  }
  const list = set.list;
  let i = list.length;
  // Most edges have one origin, or a few added in order: search from the end.
  while (i > 0) {
    const c = compareOrigins(list[i - 1]!, o);
    if (c === 0) return;
    if (c < 0) break;
    i--;
  }
  if (i >= ORIGIN_LIMIT) {
    set.more = true;
    return;
  }
  list.splice(i, 0, o);
  if (list.length > ORIGIN_LIMIT) {
    list.length = ORIGIN_LIMIT;
    set.more = true;
  }
}

/** The fields an edge keeps them in: absent when no record said. */
export function originFields(set: OriginSet): { origins?: CallOrigin[]; originsMore?: true } {
  return {
    ...(set.list.length ? { origins: set.list } : {}),
    ...(set.more ? { originsMore: true as const } : {}),
  };
}

/** Two edges' origins as one edge's: their union, its first ORIGIN_LIMIT, more where either had more or it is cut. */
export function mergeOrigins(
  a: { origins?: CallOrigin[]; originsMore?: true },
  b: { origins?: CallOrigin[]; originsMore?: true },
): { origins?: CallOrigin[]; originsMore?: true } {
  const set: OriginSet = { list: [], more: Boolean(a.originsMore || b.originsMore) };
  for (const o of a.origins ?? []) addOrigin(set, o);
  for (const o of b.origins ?? []) addOrigin(set, o);
  return originFields(set);
}

/**
 * A record's origin: its `sourceIPAddress` (kept only where it is an IP address: a service's name, `AWS Internal`, is
 * no `aws:SourceIp`), `vpcEndpointId`, whether it has `tlsDetails`, and `userIdentity.invokedBy`. Undefined for a
 * record without `sourceIPAddress`, which says nothing of where it came from, or with a `vpcEndpointId` that is no
 * endpoint's id or an `invokedBy` that is no service's name.
 */
export function originOfRecord(
  v: Record<string, unknown>,
  /** Where the record is, and where a notice goes when a field is there but malformed (the origin is then unknown). */
  at?: { file: string; line: number },
  emit?: (i: InputIssue) => void,
): CallOrigin | undefined {
  const malformed = (message: string) =>
    at && emit?.({ kind: 'issue', level: 'notice', code: 'cloudtrail.bad-origin', ...at, message });
  const u = v['userIdentity'];
  const who = u !== null && typeof u === 'object' ? (u as Record<string, unknown>) : {};
  // A service's own call (`AWSService`) is no principal's: its calls are left out, and so is where they came from.
  if (who['type'] === 'AWSService') return undefined;
  const ip = v['sourceIPAddress'];
  if (typeof ip !== 'string' || ip === '') return undefined;
  const vpce = v['vpcEndpointId'];
  // An endpoint id that is not one leaves the origin unknown: '' would say the call came through none.
  if (vpce !== undefined && vpce !== null && (typeof vpce !== 'string' || !/^(vpce-[0-9a-z]+)?$/i.test(vpce))) {
    malformed(`vpcEndpointId ${JSON.stringify(vpce).slice(0, 80)} is no VPC endpoint id`);
    return undefined;
  }
  const tls = v['tlsDetails'];
  const by = who['invokedBy'];
  // A service's name (`cloudformation.amazonaws.com`, `AWS Internal`); anything else leaves the origin unknown.
  if (by !== undefined && by !== null && (typeof by !== 'string' || !INVOKED_BY.test(by))) {
    malformed(`userIdentity.invokedBy ${JSON.stringify(by).slice(0, 80)} is no service's name`);
    return undefined;
  }
  return [
    isIP(ip) ? ip.toLowerCase() : '',
    typeof vpce === 'string' ? vpce : '',
    tls !== null && typeof tls === 'object' && !Array.isArray(tls) ? 'tls' : '',
    typeof by === 'string' ? by : '',
  ];
}

/** What is wrong with an edge's origins as a profile gives them, or undefined: the order, the count, a field. */
export function originsProblem(list: CallOrigin[]): string | undefined {
  if (list.length > ORIGIN_LIMIT) return `origins: more than ${ORIGIN_LIMIT}`;
  for (let i = 0; i < list.length; i++) {
    const [ip, vpce] = list[i]!;
    if (ip !== '' && (!isIP(ip) || ip !== ip.toLowerCase())) return `origins[${i}]: "${ip}" is no IP address`;
    if (!/^(vpce-[0-9a-z]+)?$/i.test(vpce)) return `origins[${i}]: "${vpce}" is no VPC endpoint id`;
    if (!INVOKED_BY.test(list[i]![3])) return `origins[${i}]: ${JSON.stringify(list[i]![3])} is no service's name`;
    if (i > 0 && compareOrigins(list[i - 1]!, list[i]!) >= 0) return `origins[${i}]: out of order or repeated`;
  }
  return undefined;
}
