import { originOfRecord } from '../../model/callOrigin.js';
import type { InputIssue } from '../../model/issue.js';
import type { AwsCallObservation, AwsPrincipal } from '../../model/observation.js';
import { addLinks, unlinkedAssumption } from './links.js';
import type { RecordSkip } from '../../model/network.js';
import { recordTime } from '../../util/time.js';
import { errorClass } from '../../knowledge/aws/errorCodes.js';
import { namespaceProblem, shown, subdomainProblem } from '../../knowledge/kubernetes/names.js';
import {
  accountProblem,
  eventNameProblem,
  eventSourceProblem,
  identityArnProblem,
  regionProblem,
  candidateArnProblem,
  loggedArn,
  eksClusterArnProblem,
  externalIdProblem,
  oidcProviderProblem,
  roleArnProblem,
  tokenClaimProblem,
  webIdentityProviderProblem,
  samlProviderProblem,
  type IdentityKind,
} from '../../knowledge/aws/names.js';
import { baseEventName, servicePrefix } from '../../knowledge/aws/eventNames.js';
import {
  createdResources,
  impliedPermissions,
  partitionOf,
  resourcesFromParameters,
  type CallContext,
} from './resources.js';
import { withRequestActions } from './requestActions.js';
import { isCreatedPattern, isFreshIdGrant } from './tagOnCreate.js';
import { partitionOfRegion } from '../../knowledge/aws/arn.js';
import { isObj } from '../../util/json.js';
import { typeName } from './lookupFile.js';

type Emit = (item: AwsCallObservation | RecordSkip | InputIssue) => void;
type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const EVENT_TIME = { source: 'cloudtrail', field: 'eventTime' };

/**
 * One CloudTrail record (unwrapped from whatever envelope held it: decode.ts) → one observation, or an issue. Its
 * issues and notices name the record's `eventID` where it has one: CloudTrail delivers each S3 object as one line
 * of many records, so the line alone does not find it.
 */
export function decodeRecord(v: Obj, loc: { file: string; line: number }, emit: Emit): number {
  const id = v['eventID'];
  const named = typeof id === 'string' && id !== '' ? `event ${shown(id)}: ` : '';
  const out: Emit = named ? (x) => emit(x.kind === 'issue' ? { ...x, message: named + x.message } : x) : emit;
  const issue = (code: string, message: string) =>
    emit({ kind: 'issue', code, file: loc.file, line: loc.line, message: named + message });
  if (typeof v['eventSource'] !== 'string' || typeof v['eventName'] !== 'string' || !isObj(v['userIdentity'])) {
    issue('cloudtrail.not-a-record', 'not a CloudTrail record: eventSource, eventName or userIdentity missing');
    return 0;
  }
  const typeProblem = wrongType(v);
  if (typeProblem) {
    issue('cloudtrail.bad-type', typeProblem);
    return 0;
  }
  const errorCode = str(v['errorCode']);
  const region = str(v['awsRegion']);
  const principal = principalOf(v['userIdentity'] as Obj, region ? partitionOfRegion(region) : 'aws');
  const eventSource = v['eventSource'];
  const service = servicePrefix(eventSource);
  const eventName = baseEventName(service, v['eventName']);
  const ctx = {
    partition: region ? partitionOfRegion(region) : partitionOf(principal.arn),
    region,
    account: str(v['recipientAccountId']) || principal.account,
    eventName,
    ...(principal.type === 'IAMUser' && principal.arn ? { caller: principal.arn } : {}),
  };
  const params = v['requestParameters'];
  // A name's own `*`, `?`, `${` (an S3 key's) as IAM's escapes: the policy grants that one resource.
  const resources = resourcesFromParameters(service, params, ctx).map(loggedArn);
  const listed = v['resources'];
  if (Array.isArray(listed))
    for (const r of listed)
      if (isObj(r) && typeof r['ARN'] === 'string' && r['ARN'] !== '') resources.push(loggedArn(r['ARN']));
  const obs: AwsCallObservation = {
    kind: 'aws-call',
    principal,
    eventSource,
    eventName,
    region,
    account: ctx.account,
    decision: DECISIONS[errorClass(errorCode)],
    errorCode,
    time: '',
    id: str(v['eventID']),
    resources: resources.length > 1 ? distinctSorted(resources) : resources,
    implied: impliedPermissions(service, eventName, params, ctx, v).map((i) =>
      builtPattern(i, ctx) ? i : { ...i, resource: loggedArn(i.resource) },
    ),
  };
  // DynamoDB transactions and PartiQL statements: the item actions their requests need (requestActions.ts).
  obs.implied = withRequestActions(obs.implied, service, eventName, params, ctx, obs.resources);
  const origin = originOfRecord(v, loc, out);
  if (origin) obs.origin = origin;
  const created = createdResources(service, v['responseElements'], ctx).map(loggedArn);
  if (created.length) obs.created = distinctSorted(created);
  addLinks(v, obs);
  const externalId = eventName === 'AssumeRole' && isObj(params) ? params['externalId'] : undefined;
  if (typeof externalId === 'string' && externalId !== '') obs.externalId = externalId;
  const problem = callProblem(obs, str(v['recipientAccountId']), ctx);
  if (problem) {
    issue('cloudtrail.bad-name', problem);
    return 0;
  }
  const unlinked = unlinkedAssumption(obs);
  if (unlinked) {
    issue('cloudtrail.unlinked-assumption', unlinked);
    return 0;
  }
  // Time is evidence, not authorization: a record kept is kept whatever its time (notices say why).
  obs.time = recordTime(v['eventTime'], EVENT_TIME, loc, out, v['@timestamp']);
  out(obs);
  return 1;
}

/** A created resource the record does not name: a catalogue pattern built from the call's context alone. */
const builtPattern = (i: AwsCallObservation['implied'][number], ctx: CallContext) =>
  i.resource === '' || isCreatedPattern(i.resource, ctx) || isFreshIdGrant(i);

/** Refused: denied evidence. Unauthenticated: counted apart. Any other error passed the permission check. */
const DECISIONS = { denied: 'deny', unauthenticated: 'unauthenticated', passed: 'allow' } as const;

// eventTime is not here: a time of the wrong type leaves the record without a time, never drops it.
const STRING_FIELDS = ['errorCode', 'awsRegion', 'recipientAccountId', 'eventID'] as const;

/** The first field a decision or a policy is made from whose type is not CloudTrail's, or undefined. */
function wrongType(v: Obj): string | undefined {
  for (const f of STRING_FIELDS) {
    const x = v[f];
    if (x !== undefined && x !== null && typeof x !== 'string') return `${f} is ${typeName(x)}, not a string`;
  }
  for (const f of ['requestParameters', 'additionalEventData'] as const) {
    const x = v[f];
    if (x !== undefined && x !== null && !isObj(x)) return `${f} is ${typeName(x)}, not an object`;
  }
  const u = v['userIdentity'] as Obj;
  for (const f of ['type', 'arn', 'accountId', 'userName', 'invokedBy'] as const) {
    const x = u[f];
    if (x !== undefined && x !== null && typeof x !== 'string')
      return `userIdentity.${f} is ${typeName(x)}, not a string`;
  }
  const r = v['resources'];
  if (
    r !== undefined &&
    r !== null &&
    !(
      Array.isArray(r) &&
      r.every((x) => isObj(x) && (x['ARN'] === undefined || x['ARN'] === null || typeof x['ARN'] === 'string'))
    )
  ) {
    return 'resources is not a list of {ARN} objects';
  }
  return undefined;
}

const POLICY_IDENTITY = new Set<AwsPrincipal['type']>(['Role', 'IAMUser', 'Root', 'FederatedUser']);

/**
 * A name that no real record carries, in a field a policy is made from: the identity's ARN, the event,
 * the region and account, every resource and implied permission, a service account link.
 */
function callProblem(obs: AwsCallObservation, recipient: string, ctx: CallContext): string | undefined {
  const check = (what: string, value: string, fn: (x: string) => string | undefined) => {
    const p = fn(value);
    return p ? `${what} ${shown(value)} ${p}` : undefined;
  };
  const pr = obs.principal;
  const out =
    // No ARN at all is no identity (counted apart by the profile); a wrong one is bad input.
    (POLICY_IDENTITY.has(pr.type) && pr.arn !== ''
      ? check('the identity', pr.arn, (x) => identityArnProblem(pr.type as IdentityKind, x))
      : undefined) ??
    (pr.issuer !== undefined ? check('the session issuer', pr.issuer, issuerProblem) : undefined) ??
    check('eventSource', obs.eventSource, eventSourceProblem) ??
    check('eventName', obs.eventName, eventNameProblem) ??
    check('awsRegion', obs.region, regionProblem) ??
    check('recipientAccountId', recipient, accountProblem) ??
    check('userIdentity.accountId', pr.account, accountProblem);
  if (out) return out;
  for (const r of obs.resources) {
    const p = check('resource', r, candidateArnProblem);
    if (p) return p;
  }
  for (const r of obs.created ?? []) {
    const p = check('created resource', r, candidateArnProblem);
    if (p) return p;
  }
  for (const i of obs.implied) {
    const p = builtPattern(i, ctx) ? undefined : check(`${i.action} resource`, i.resource, candidateArnProblem);
    if (p) return p;
  }
  if (obs.externalId !== undefined) {
    const p = check('the external ID', obs.externalId, externalIdProblem);
    if (p) return p;
  }
  const l = obs.link;
  if (l) {
    return (
      check('the service account namespace', l.namespace, namespaceProblem) ??
      check('the service account', l.serviceAccount, subdomainProblem) ??
      check('the assumed role', l.roleArn, roleArnProblem) ??
      (l.provider !== undefined ? check('the OIDC provider', l.provider, oidcProviderProblem) : undefined) ??
      (l.cluster !== undefined ? check('the EKS cluster', l.cluster, eksClusterArnProblem) : undefined)
    );
  }
  const w = obs.webIdentityLink;
  if (w)
    return (
      check('the assumed role', w.roleArn, roleArnProblem) ??
      check('the web identity provider', w.provider, webIdentityProviderProblem) ??
      check("the token's subject", w.subject, tokenClaimProblem) ??
      (w.audience !== undefined ? check("the token's audience", w.audience, tokenClaimProblem) : undefined)
    );
  const s = obs.samlLink;
  if (s)
    return (
      check('the assumed role', s.roleArn, roleArnProblem) ??
      check('the SAML provider', s.provider, samlProviderProblem) ??
      check("the assertion's subject", s.subject, tokenClaimProblem) ??
      (s.subjectType !== undefined ? check("the subject's type", s.subjectType, tokenClaimProblem) : undefined) ??
      (s.audience !== undefined ? check("the assertion's audience", s.audience, tokenClaimProblem) : undefined)
    );
  return undefined;
}

/** A federated session's issuer: an IAM user or the account's root. */
function issuerProblem(arn: string): string | undefined {
  return identityArnProblem('IAMUser', arn) && identityArnProblem('Root', arn)
    ? 'is not the ARN of an IAM user or an account root'
    : undefined;
}

function distinctSorted(xs: string[]): string[] {
  xs.sort();
  let n = 1;
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[n - 1]) xs[n++] = xs[i]!;
  xs.length = n;
  return xs;
}

/**
 * The identity a policy would attach to. An assumed role is its role: the session issuer's ARN (which carries the
 * role's path), else the role named in the session ARN (path unknown: the profile keys roles by account and name, so
 * both are one principal). A federated user keeps its issuer, the IAM user or root that asked for the session. An
 * identity type whose record carries no ARN gives '' (counted as `no-identity`, never a principal). `partition` is the
 * call's (from its region), for the root user whose record names only its account.
 */
function principalOf(u: Obj, partition: string): AwsPrincipal {
  const type = str(u['type']);
  const account = str(u['accountId']);
  const arn = str(u['arn']);
  const ctx = isObj(u['sessionContext']) ? u['sessionContext'] : {};
  const issuer = isObj(ctx['sessionIssuer']) ? ctx['sessionIssuer'] : {};
  const issuerArn = str(issuer['arn']);
  switch (type) {
    case 'AssumedRole': {
      if (issuerArn && (issuer['type'] === undefined || issuer['type'] === 'Role'))
        return { type: 'Role', arn: issuerArn, account };
      const m = /^arn:(aws[\w-]*):sts::(\d+):assumed-role\/([^/]+)\//.exec(arn);
      return { type: 'Role', arn: m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn, account };
    }
    case 'IAMUser':
      return { type: 'IAMUser', arn, account };
    case 'Root':
      // Without its ARN, the root of the account in the call's partition (each partition has its own accounts).
      return {
        type: 'Root',
        arn: arn || (/^\d{12}$/.test(account) ? `arn:${partition}:iam::${account}:root` : ''),
        account,
      };
    case 'FederatedUser': {
      const by = issuerArn && (issuer['type'] === 'IAMUser' || issuer['type'] === 'Root') ? { issuer: issuerArn } : {};
      return { type: 'FederatedUser', arn, account, ...by };
    }
    case 'AWSService':
      return { type: 'AWSService', arn: str(u['invokedBy']), account };
    case 'WebIdentityUser':
      return { type: 'WebIdentityUser', arn: str(u['userName']), account };
    case 'SAMLUser':
      return { type: 'SAMLUser', arn: str(u['userName']), account };
    default:
      return { type: 'Unknown', arn, account };
  }
}
