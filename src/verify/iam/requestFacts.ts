import { partitionOfRegion } from '../../knowledge/aws/arn.js';
import { iamIdentity } from '../../model/subject.js';
import type { CallOrigin, AwsEdge } from '../../model/profile.js';
import { principalContext, type RequestContext } from './conditions.js';
import type { NamedPolicy } from './evaluate.js';

/**
 * The request context replay asks a committed policy's Conditions with (the IAM User Guide's "AWS global condition
 * context keys"): who made the request, where it went, and where it came from, as far as the records say. A key not
 * said is unknown, never assumed: a Condition on it leaves the statement undetermined.
 */

/** What replay knows of one of a call's requests besides who made it (`callContext`). */
export interface CallFacts {
  /** The record's `awsRegion`, which is `aws:RequestedRegion` (us-east-1 for a global service's calls, as IAM's). */
  region?: string;
  /**
   * For `iam:PassRole`, the service the role went to (`iam:PassedToService`): a string where known, null for a
   * request of another action, which never carries the key; undefined where not known.
   */
  passedTo?: string | null;
  /**
   * For a KMS request a service made for the principal (an S3 write's data key, an EBS volume's grant): the service's
   * prefix (`s3`): `kms:ViaService` is `s3.REGION.amazonaws.com` and `aws:ViaAWSService` true.
   */
  via?: string;
  /** Where the call came from, as its record says (callOrigin.ts); undefined where not said. */
  origin?: CallOrigin;
}

/** The network keys a request through a VPC endpoint has, and those one from anywhere else has. */
const ENDPOINT_KEYS = ['aws:sourcevpce', 'aws:sourcevpc', 'aws:vpcsourceip'];
const CALLED_VIA = ['aws:calledvia', 'aws:calledviafirst', 'aws:calledvialast'];
/**
 * The services that put themselves in `aws:CalledVia` (the IAM User Guide's "CalledVia services" table), named as the
 * guide names them in the `aws` partition; elsewhere the name they use is not written down, so they are not claimed.
 */
const CALLED_VIA_SERVICES = new Set(['athena', 'cloudformation', 'dynamodb', 'kms']);
function calledViaName(service: string): string | undefined {
  const prefix = service.replace(/\.amazonaws\.com$/, '');
  return CALLED_VIA_SERVICES.has(prefix) ? `${prefix}.amazonaws.com` : undefined;
}

/**
 * The keys a call's origin settles, and those it shows absent, for the principal's own request (not one a service
 * made for it from another call, whose network is the service's):
 * - a call a service made with a user's credentials (`invokedBy`): `aws:ViaAWSService` true, and `aws:CalledViaLast`
 *   that service where it is one that says so; the network keys stay unknown (the source is the service's). For a
 *   role, `invokedBy` is also what a service's calls with its own service role say (CloudFormation's as a stack's
 *   role), where `aws:ViaAWSService` is false and there is no `aws:CalledVia`: the record does not tell the two apart,
 *   so both stay unknown;
 * - any other: `aws:ViaAWSService` false and no `aws:CalledVia*`; through a VPC endpoint, `aws:SourceVpce` and
 *   `aws:VpcSourceIp`, and no `aws:SourceIp` (the key is not in a request through an endpoint); else
 *   `aws:SourceIp` and none of the endpoint keys;
 * - `aws:SecureTransport` true where the record has `tlsDetails`, else unknown (older records and some services say
 *   nothing of TLS).
 */
function originKeys(
  o: CallOrigin,
  { kind, partition }: { kind: 'role' | 'user'; partition: string },
  keys: Map<string, string>,
  absent: Set<string>,
): void {
  const [ip, vpce, tls, by] = o;
  if (tls) keys.set('aws:securetransport', 'true');
  if (by) {
    if (kind === 'role') return;
    keys.set('aws:viaawsservice', 'true');
    const last = partition === 'aws' ? calledViaName(by) : undefined;
    if (last) keys.set('aws:calledvialast', last);
    return;
  }
  keys.set('aws:viaawsservice', 'false');
  for (const k of CALLED_VIA) absent.add(k);
  if (vpce) {
    keys.set('aws:sourcevpce', vpce);
    if (ip) keys.set('aws:vpcsourceip', ip);
    absent.add('aws:sourceip');
  } else {
    for (const k of ENDPOINT_KEYS) absent.add(k);
    if (ip) keys.set('aws:sourceip', ip);
  }
}

/** What replay knows of a call's request by the principal's role or user (`arn`) and the call's facts. */
export function callContext(arn: string, facts: CallFacts = {}): RequestContext | undefined {
  const id = iamIdentity(arn);
  if (!id) return undefined;
  const c = principalContext(id, arn);
  const keys = new Map(c.keys);
  const absent = new Set<string>();
  if (facts.region) keys.set('aws:requestedregion', facts.region);
  if (facts.passedTo) keys.set('iam:passedtoservice', facts.passedTo);
  if (facts.passedTo === null) absent.add('iam:passedtoservice');
  if (facts.via) {
    // A request a service made for the principal: the service's network, not the call's origin. A service that says
    // so is the chain's last; where the principal called it itself, its only one.
    keys.set('aws:viaawsservice', 'true');
    // The endpoint's name in the `aws` partition; China's end in `.amazonaws.com.cn`, and others are not claimed.
    const inAws = facts.region !== undefined && partitionOfRegion(facts.region) === 'aws';
    if (inAws) keys.set('kms:viaservice', `${facts.via}.${facts.region}.amazonaws.com`);
    const last = inAws ? calledViaName(facts.via) : undefined;
    if (last) keys.set('aws:calledvialast', last);
    if (last && facts.origin?.[3] === '') for (const k of CALLED_VIA) keys.set(k, last);
  } else if (facts.origin) originKeys(facts.origin, id, keys, absent);
  return { keys, absent: (k) => c.absent(k) || absent.has(k) };
}

/** A need's facts as `callContexts` keys them: '' for a region or service not known, null for no pass. */
export interface NeedFacts {
  region: string;
  passedTo: string | null;
  via: string;
  origin?: CallOrigin;
}

/** The key of a need's facts: needs of one principal share a handful. */
export const factsKey = (f: NeedFacts): string =>
  [f.region, f.passedTo ?? '\u0001', f.via, f.origin ? f.origin.join('\u0002') : '\u0003'].join('\u0000');

/**
 * `callContext` of one principal, kept per set of facts ('' for a region or service not known, as `verify` keys its
 * needs): a principal's calls have a handful of them.
 */
export function callContexts(arn: string): (facts: NeedFacts) => RequestContext | undefined {
  const made = new Map<string, RequestContext | undefined>();
  return (f) => {
    const k = factsKey(f);
    if (!made.has(k))
      made.set(
        k,
        callContext(arn, {
          region: f.region || undefined,
          passedTo: f.passedTo === '' ? undefined : f.passedTo,
          via: f.via || undefined,
          ...(f.origin ? { origin: f.origin } : {}),
        }),
      );
    return made.get(k);
  };
}

/** The keys an origin settles, as a policy may name them (in a Condition or a variable), without case. */
const ORIGIN_KEY = /aws:(sourceip|vpcsourceip|sourcevpce|sourcevpc|securetransport|viaawsservice|calledvia)/i;
const naming = new WeakMap<readonly NamedPolicy[], boolean>();

/** Whether a principal's policies name any key an origin settles: if none does, every origin gets the same answer. */
function originsMatter(policies: readonly NamedPolicy[]): boolean {
  let v = naming.get(policies);
  if (v === undefined) naming.set(policies, (v = policies.some((p) => ORIGIN_KEY.test(JSON.stringify(p.document)))));
  return v;
}

/**
 * The origins replay asks an edge's calls from under `policies`: each it lists, and an unknown one (undefined) where
 * its records had more or did not say; only the unknown one where the policies name no key an origin settles (the
 * answer is the same from anywhere, and a need is asked once instead of once per origin).
 */
export function originsOf(e: AwsEdge, policies: readonly NamedPolicy[]): (CallOrigin | undefined)[] {
  if (!originsMatter(policies)) return [undefined];
  return [...(e.origins ?? []), ...(e.originsMore || !e.origins?.length ? [undefined] : [])];
}

/** The context of a pass of a role to `service` by `arn` (only the service, where `arn` is no role or user). */
export function passedToContext(arn: string, service: string): RequestContext {
  return (
    callContext(arn, { passedTo: service }) ?? {
      keys: new Map([['iam:passedtoservice', service]]),
      absent: () => false,
    }
  );
}

/**
 * Why a role's call a service made is undetermined under a Condition on `aws:ViaAWSService` or `aws:CalledVia*`, in
 * words for the finding, or undefined where that is not why: the record does not say which of the two it was.
 */
export function serviceAsRoleWords(arn: string, facts: readonly NeedFacts[], reasons: string): string | undefined {
  if (iamIdentity(arn)?.kind !== 'role' || !/aws:(ViaAWSService|CalledVia)/i.test(reasons)) return undefined;
  const by = [...new Set(facts.map((f) => f.origin?.[3] ?? '').filter((b) => b !== ''))].sort();
  if (!by.length) return undefined;
  return (
    `calls ${by.join(', ')} made as the role: CloudTrail writes the same invokedBy whether the service forwarded ` +
    "the role's credentials (aws:ViaAWSService true) or worked as the role itself, as with a stack's service role " +
    '(false)'
  );
}
