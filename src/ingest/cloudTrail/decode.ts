import { originOfRecord } from '../../model/callOrigin.js';
import type { InputIssue } from '../../model/issue.js';
import type { AwsCallObservation, AwsPrincipal, ServiceAccountLink } from '../../model/observation.js';
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
import { deeperThan, isObj } from '../../util/json.js';
import { lookedUpRecords, typeName } from './lookupFile.js';
import { cloudWatchEnvelope, cloudWatchItems } from '../cloudWatchLogs.js';
import { cloudTrailInSiem } from './siem.js';
import { athenaQueryAnswer, athenaRecord, isAthenaRow } from './athena.js';
import { isOcsfRecord, ocsfRecord } from './ocsf.js';
import { viaCloudTrail } from '../sourceOf.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';

export type { AwsCallObservation, AwsPrincipal, ServiceAccountLink };

/**
 * CloudTrail records → observations. Accepts the S3 delivery document `{"Records":[...]}` (a large one arrives record
 * by record: stream.ts), the LookupEvents answer `{"Events":[...]}` the AWS CLI saves (each event's `CloudTrailEvent`:
 * lookupFile.ts), EventBridge envelopes, rows of an Athena table over a trail (athena.ts), Security Lake's OCSF
 * records (ocsf.ts) and single records; everything else is an issue naming file and line.
 */

type Emit = (item: AwsCallObservation | RecordSkip | InputIssue) => void;
type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const EVENT_TIME = { source: 'cloudtrail', field: 'eventTime' };

export function decodeCloudTrailValue(v: unknown, loc: { file: string; line: number }, emit: Emit): number {
  const issue = (code: string, message: string) =>
    emit({ kind: 'issue', code, file: loc.file, line: loc.line, message });
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + decodeCloudTrailValue(x, loc, emit), 0);
  if (!isObj(v)) {
    issue('cloudtrail.not-a-record', 'expected a CloudTrail record or {"Records": [...]}');
    return 0;
  }
  if (Array.isArray(v['Records'])) return decodeCloudTrailValue(v['Records'], loc, emit);
  if (v['Records'] !== undefined && typeof v['eventSource'] !== 'string') {
    issue('cloudtrail.not-a-record', `Records is ${typeName(v['Records'])}, not a list of CloudTrail records`);
    return 0;
  }
  if (Array.isArray(v['Events']) && typeof v['eventSource'] !== 'string') {
    // Each event's record at the document's line; its issues and notices name the event (Events[3], event "...").
    let n = 0;
    for (const { record, where } of lookedUpRecords(v['Events'], loc, emit))
      n += decodeCloudTrailValue(record, loc, (item) =>
        emit(item.kind === 'issue' ? { ...item, message: `${where}: ${item.message}` } : item),
      );
    return n;
  }
  if (v['Events'] !== undefined && typeof v['eventSource'] !== 'string') {
    issue('cloudtrail.not-a-record', `Events is ${typeName(v['Events'])}, not a list of LookupEvents events`);
    return 0;
  }
  // An AWSLogs tree holds digest files beside the logs (CloudTrail-Digest/): integrity records, no events.
  if (typeof v['digestStartTime'] === 'string' && Array.isArray(v['logFiles'])) {
    emit({ kind: 'skip', reason: 'cloudtrail-digest' });
    return 0;
  }
  if (v['eventType'] === 'AwsCloudTrailInsight' || v['eventCategory'] === 'Insight') {
    emit({ kind: 'skip', reason: 'cloudtrail-insight' });
    return 1;
  }
  if (viaCloudTrail(v)) return decodeCloudTrailValue(v['detail'], loc, emit);
  if (typeof v['eventSource'] !== 'string' && cloudWatchEnvelope(v)) return cloudWatchRecords(v, loc, emit);
  const siem = typeof v['eventSource'] !== 'string' ? cloudTrailInSiem(v) : undefined;
  if (siem) {
    let n = 0;
    for (const r of siem)
      if ('problem' in r) issue(r.code, `${r.where} ${r.problem}`);
      else
        n += decodeCloudTrailValue(r.record, loc, (x) =>
          emit(x.kind === 'issue' ? { ...x, message: `${r.where}: ${x.message}` } : x),
        );
    return n;
  }
  if (typeof v['eventSource'] !== 'string' && isAthenaRow(v)) return readAs(athenaRecord(v), ATHENA_ROW, loc, emit);
  if (typeof v['eventSource'] !== 'string' && isOcsfRecord(v)) return readAs(ocsfRecord(v), OCSF, loc, emit);
  const athenaAnswer = typeof v['eventSource'] !== 'string' ? athenaQueryAnswer(v) : undefined;
  if (athenaAnswer) {
    issue('cloudtrail.not-a-record', athenaAnswer);
    return 0;
  }
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
  const resources = resourcesFromParameters(service, params, ctx);
  const listed = v['resources'];
  if (Array.isArray(listed))
    for (const r of listed) if (isObj(r) && typeof r['ARN'] === 'string' && r['ARN'] !== '') resources.push(r['ARN']);
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
    implied: impliedPermissions(service, eventName, params, ctx, v),
  };
  // DynamoDB transactions and PartiQL statements: the item actions their requests need (requestActions.ts).
  obs.implied = withRequestActions(obs.implied, service, eventName, params, ctx, obs.resources);
  const origin = originOfRecord(v, loc, emit);
  if (origin) obs.origin = origin;
  const created = createdResources(service, v['responseElements'], ctx);
  if (created.length) obs.created = distinctSorted(created);
  addLinks(v, obs);
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
  obs.time = recordTime(v['eventTime'], EVENT_TIME, loc, emit, v['@timestamp']);
  emit(obs);
  return 1;
}

/**
 * A trail that sends its events to CloudWatch Logs: each log event's message is one record as JSON text (a
 * `filter-log-events` save, a subscription record). Issues name the log event (`logEvents[2]: ...`).
 */
function cloudWatchRecords(v: Obj, loc: { file: string; line: number }, emit: Emit): number {
  let n = 0;
  for (const item of cloudWatchItems(v)) {
    if ('control' in item) continue;
    const issue = (code: string, message: string) =>
      emit({ kind: 'issue', code, file: loc.file, line: loc.line, message: `${item.where}: ${message}` });
    if ('problem' in item) {
      issue('cloudtrail.not-a-record', item.problem);
      continue;
    }
    const m = item.message;
    let record: unknown = m;
    if (typeof m === 'string') {
      try {
        record = JSON.parse(m);
      } catch (e) {
        issue('json.malformed', `the message is not a CloudTrail record as JSON: ${errorText(e)}`);
        continue;
      }
      if (deeperThan(record, MAX_DEPTH)) {
        issue('json.too-deep', `a message nested deeper than ${MAX_DEPTH} levels of objects and arrays`);
        continue;
      }
    }
    if (!isObj(record)) {
      issue('cloudtrail.not-a-record', `the message is ${typeName(record)}, not a CloudTrail record`);
      continue;
    }
    n += decodeCloudTrailValue(record, loc, (x) =>
      emit(x.kind === 'issue' ? { ...x, message: `${item.where}: ${x.message}` } : x),
    );
  }
  return n;
}

/**
 * A row of an Athena table over a trail (athena.ts), or a Security Lake record (ocsf.ts): read as the record it stands
 * for. Its issues say what it was; one that makes no record is an issue naming the field.
 */
function readAs(
  r: { record: Obj; notice?: { code: string; message: string } } | { code: string; problem: string },
  what: string,
  loc: { file: string; line: number },
  emit: Emit,
): number {
  if ('problem' in r) {
    emit({ kind: 'issue', code: r.code, file: loc.file, line: loc.line, message: `${what}${r.problem}` });
    return 0;
  }
  if (r.notice) emit({ kind: 'issue', level: 'notice', perFile: true, ...loc, ...r.notice });
  return decodeCloudTrailValue(r.record, loc, (x) =>
    emit(x.kind === 'issue' ? { ...x, message: `${what}${x.message}` } : x),
  );
}

const ATHENA_ROW = 'a row of an Athena CloudTrail table: ';
const OCSF = 'an OCSF record (Security Lake): ';

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
    // A created resource the record does not name is a catalogue pattern built from the call's context alone.
    const built = i.resource === '' || isCreatedPattern(i.resource, ctx) || isFreshIdGrant(i);
    const p = built ? undefined : check(`${i.action} resource`, i.resource, candidateArnProblem);
    if (p) return p;
  }
  const l = obs.link;
  if (l) {
    return (
      check('the service account namespace', l.namespace, namespaceProblem) ??
      check('the service account', l.serviceAccount, subdomainProblem) ??
      check('the assumed role', l.roleArn, roleArnProblem) ??
      (l.provider !== undefined ? check('the OIDC provider', l.provider, oidcProviderProblem) : undefined)
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
