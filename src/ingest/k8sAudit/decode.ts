import type { K8sAccess } from '../../model/access.js';
import { decide, failedAuthentication } from './decision.js';
import type { RecordSkip } from '../../model/network.js';
import type { Stage } from '../../model/evidence.js';
import type { InputIssue } from '../../model/issue.js';
import type { K8sRequestObservation } from '../../model/observation.js';
import { firstTime, recordTime } from '../../util/time.js';
import {
  apiGroupProblem as apiGroupCheck,
  namespaceProblem as namespaceCheck,
  nonResourceUrlProblem,
  objectNameProblem,
  resourceProblem as resourceCheck,
  shown,
  userNameProblem as userNameCheck,
  usernameProblem as usernameCheck,
  verbProblem as verbCheck,
} from '../../knowledge/kubernetes/names.js';
import { apiGroupOf } from '../../knowledge/kubernetes/apiGroups.js';
import { remembered } from '../../util/memo.js';
import { escalationChecks, gcOnlyWrite, impersonationChecks, type CheckProblem, type Checks } from './checks.js';
import { isObj } from '../../util/json.js';
import { iamSession } from './iamExtra.js';
import { outsideRbacReason } from '../../knowledge/kubernetes/outsideRbac.js';

// User and group names repeat record after record and take the most checking: checked once each. The
// other fields are one short regular expression each, cheaper than a lookup.
const usernameProblem = remembered(usernameCheck);
const userNameProblem = remembered(userNameCheck);
const verbProblem = verbCheck;
const resourceProblem = resourceCheck;
const apiGroupProblem = apiGroupCheck;
const namespaceProblem = namespaceCheck;

/** Where a value came from, for issues. */
export interface Loc {
  file: string;
  line: number;
}

export type Emit = (item: K8sRequestObservation | InputIssue | RecordSkip) => void;

/** The stage as one of our own constant strings (later comparisons are then cheap), or undefined. */
function knownStage(s: unknown): Stage | undefined {
  switch (s) {
    case 'ResponseComplete':
      return 'ResponseComplete';
    case 'ResponseStarted':
      return 'ResponseStarted';
    case 'RequestReceived':
      return 'RequestReceived';
    case 'Panic':
      return 'Panic';
    default:
      return undefined;
  }
}

function issue(loc: Loc, code: string, message: string): InputIssue {
  return { kind: 'issue', code, file: loc.file, line: loc.line, message };
}

/** Emit an issue for a record that is left out; 0 observations. */
function rejected(loc: Loc, emit: Emit, code: string, message: string): 0 {
  emit(issue(loc, code, message));
  return 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Decode one parsed JSON value: an audit Event, an EventList (the webhook backend's batch), or
 * an array of Events. Everything else becomes an issue naming the file and line, and `where` in the value: the
 * element (`items[3]`, `[2]`) of a list, after what the caller names (an envelope's `events[0]`), since a list
 * pretty-printed over many lines has one line for all its elements.
 */
export function decodeValue(v: unknown, loc: Loc, emit: Emit, where = ''): number {
  if (Array.isArray(v)) {
    let n = 0;
    v.forEach((item, i) => (n += decodeValue(item, loc, emit, within(where, `[${i}]`))));
    return n;
  }
  const out = where ? prefixed(emit, where) : emit;
  if (!isObj(v)) {
    out(
      issue(
        loc,
        'k8s.not-an-event',
        `expected an audit Event or EventList object, found ${v === null ? 'null' : typeof v}`,
      ),
    );
    return 0;
  }
  const kind = v['kind'];
  if (kind === 'EventList') {
    const items = v['items'];
    if (!Array.isArray(items)) {
      out(issue(loc, 'k8s.bad-eventlist', 'EventList without an items array'));
      return 0;
    }
    let n = 0;
    items.forEach((item, i) => {
      const w = within(where, `items[${i}]`);
      if (isObj(item) && item['kind'] === undefined) n += decodeEvent(item, loc, prefixed(emit, w));
      else n += decodeValue(item, loc, emit, w);
    });
    return n;
  }
  if (kind !== undefined && kind !== 'Event') {
    out(issue(loc, 'k8s.wrong-kind', `kind ${shownValue(kind)} is not an audit Event or EventList`));
    return 0;
  }
  return decodeEvent(v, loc, out);
}

/** `where` and then `inner`, as an issue names an element inside an element. */
export const within = (where: string, inner: string): string => (where ? `${where}, ${inner}` : inner);

/** The same emit, with the issues' messages naming `where` first. */
function prefixed(emit: Emit, where: string): Emit {
  return (item) => emit(item.kind === 'issue' ? { ...item, message: `${where}: ${item.message}` } : item);
}

/** Decode one audit Event; returns 1 when it became an observation. */
function decodeEvent(ev: Record<string, unknown>, loc: Loc, emit: Emit): number {
  const apiVersion = ev['apiVersion'];
  // Real captures often omit apiVersion: read those as v1.
  if (apiVersion !== undefined && apiVersion !== 'audit.k8s.io/v1' && apiVersion !== 'audit.k8s.io/v1beta1') {
    emit(
      issue(loc, 'k8s.unsupported-version', `apiVersion ${shownValue(apiVersion)} is not audit.k8s.io/v1 or v1beta1`),
    );
    return 0;
  }
  const verb = ev['verb'];
  const userObj = ev['user'];
  if (failedAuthentication(ev, userObj)) {
    emit({ kind: 'skip', reason: 'authentication-failure' });
    return 1;
  }
  if (typeof verb !== 'string' || verb === '' || !isObj(userObj) || typeof userObj['username'] !== 'string') {
    emit(issue(loc, 'k8s.not-an-event', 'not an audit Event: verb or user.username missing'));
    return 0;
  }
  // A field of the wrong type never becomes a default: a code "403" read as no code would grant a denial.
  const typeProblem = wrongType(ev);
  if (typeProblem) return rejected(loc, emit, 'k8s.bad-type', typeProblem);
  const imp = ev['impersonatedUser'];
  const effective = imp === undefined || imp === null ? userObj : (imp as Record<string, unknown>);
  const username = effective['username'] as string;
  const groupsRaw = effective['groups'];
  const groups = Array.isArray(groupsRaw) ? (groupsRaw as string[]) : NO_GROUPS;
  const up = usernameProblem(username);
  if (up)
    return rejected(
      loc,
      emit,
      'k8s.bad-name',
      `${imp ? 'impersonatedUser' : 'user'}.username ${shown(username)} ${up}`,
    );
  for (const g of groups) {
    const gp = userNameProblem(g);
    if (gp) return rejected(loc, emit, 'k8s.bad-name', `group ${shown(g)} ${gp}`);
  }
  const vp = verbProblem(verb);
  if (vp) return rejected(loc, emit, 'k8s.bad-name', `verb ${shown(verb)} ${vp}`);

  const stageRaw = ev['stage'];
  const status = ev['responseStatus'];
  const code = isObj(status) ? (status['code'] as number | undefined) : undefined;
  let stage = knownStage(stageRaw);
  if (stage === undefined && stageRaw === undefined)
    stage = code === undefined ? 'RequestReceived' : 'ResponseComplete';
  if (stage === undefined) return rejected(loc, emit, 'k8s.bad-stage', `unknown stage ${shownValue(stageRaw)}`);

  const access = decodeAccess(ev, verb, loc, emit);
  if (!access) return 0;
  // Time is evidence, not authorization: a record is kept whatever its time (util/time.ts recordTime).
  const meta = isObj(ev['metadata']) ? ev['metadata']['creationTimestamp'] : undefined;
  const rawTime = firstTime(ev['requestReceivedTimestamp'], ev['timestamp'], ev['stageTimestamp'], meta);
  const time = recordTime(rawTime, K8S_TIME, loc, emit, ev['@timestamp']);
  const created =
    verb === 'create' && !access.subresource && isObj(ev['objectRef']) ? str(ev['objectRef']['name']) : '';

  const obs: K8sRequestObservation = {
    kind: 'k8s-request',
    username,
    groups,
    access,
    decision: decide(ev, code),
    stage,
    time,
    id: str(ev['auditID']),
  };
  const other = obs.decision === 'allow' ? outsideRbacReason(ev['annotations']) : undefined;
  if (other) obs.outsideRbac = other;
  if (created) {
    obs.created = created;
    const gn = generateNameOf(ev);
    if (gn && created.startsWith(gn)) obs.generateName = true;
  }
  const problem = addChecks(ev, obs, code, imp ? userObj : undefined, effective);
  if (problem) return rejected(loc, emit, problem.code, problem.message);
  // The authenticator's extra is the signed-in user's; an impersonated request is another user's, named by hand.
  if (effective === userObj) {
    const iam = iamSession(userObj, loc, emit);
    if (iam) obs.iam = iam;
  }
  emit(obs);
  return 1;
}

/**
 * The checks beyond the request's own authorization (./checks.ts) onto the observation; for an impersonated
 * request also the impersonator (`user`), whose names are checked like the effective user's.
 */
function addChecks(
  ev: Record<string, unknown>,
  obs: K8sRequestObservation,
  code: number | undefined,
  impersonator: Record<string, unknown> | undefined,
  effective: Record<string, unknown>,
): CheckProblem | undefined {
  // A request refused before authorization never reached the storage's bind and escalate checks; impersonation
  // comes before the refusal in the handler chain, so its checks were passed.
  const esc =
    obs.decision === 'unreached'
      ? NO_CHECKS
      : escalationChecks(ev, obs.access, obs.decision, code, obs.stage, obs.groups);
  if ('code' in esc) return esc;
  if (esc.roleRefUnknown) obs.roleRefUnknown = true;
  const gc = obs.decision === 'unreached' ? undefined : gcOnlyWrite(ev, obs.access);
  if (gc !== undefined) obs.gcOnly = gc;
  if (!impersonator) {
    if (esc.implied.length) obs.implied = esc.implied;
    return undefined;
  }
  const username = impersonator['username'] as string;
  const groupsRaw = impersonator['groups'];
  const groups = Array.isArray(groupsRaw) ? (groupsRaw as string[]) : NO_GROUPS;
  const up = usernameProblem(username);
  if (up) return { code: 'k8s.bad-name', message: `user.username ${shown(username)} ${up}` };
  const gp = groups.map((g) => userNameProblem(g) && `group ${shown(g)} ${userNameProblem(g)}`).find(Boolean);
  if (gp) return { code: 'k8s.bad-name', message: gp };
  const imp = impersonationChecks(effective);
  if ('code' in imp) return imp;
  obs.impersonator = { username, groups };
  const implied = [...esc.implied, ...imp];
  if (implied.length) obs.implied = implied;
  return undefined;
}

const NO_GROUPS: string[] = [];
const NO_CHECKS: Checks = { implied: [], roleRefUnknown: false };

/** `requestObject.metadata.generateName` of a create logged at Request level or above, or ''. */
function generateNameOf(ev: Record<string, unknown>): string {
  const o = ev['requestObject'];
  const m = isObj(o) ? o['metadata'] : undefined;
  return isObj(m) ? str(m['generateName']) : '';
}

const K8S_TIME = { source: 'k8s', field: 'timestamp' };

/**
 * The first field whose type is not what audit.k8s.io/v1 defines (null stands for absent), or
 * undefined. Only the fields a decision or a rule is made from are checked. Field by field, written out: called
 * once per record.
 */
function wrongType(ev: Record<string, unknown>): string | undefined {
  const problem =
    notString('stage', ev['stage']) ??
    notString('auditID', ev['auditID']) ??
    notString('requestURI', ev['requestURI']) ??
    notString('level', ev['level']) ??
    notObject('objectRef', ev['objectRef']) ??
    notObject('responseStatus', ev['responseStatus']) ??
    notObject('annotations', ev['annotations']) ??
    notObject('impersonatedUser', ev['impersonatedUser']) ??
    userProblem('user', ev['user']) ??
    userProblem('impersonatedUser', ev['impersonatedUser']);
  if (problem) return problem;
  const status = ev['responseStatus'];
  if (isObj(status) && status['code'] !== undefined && status['code'] !== null) {
    const c = status['code'];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 100 || c > 599)
      return `responseStatus.code is ${typeName(c)} ${shownValue(c)}, not an HTTP status code`;
  }
  const ann = ev['annotations'];
  if (isObj(ann)) {
    const d = ann['authorization.k8s.io/decision'];
    if (d !== undefined && d !== null && typeof d !== 'string')
      return `the authorization.k8s.io/decision annotation is ${typeName(d)}, not a string`;
  }
  return undefined;
}

function notString(f: string, v: unknown): string | undefined {
  return v !== undefined && v !== null && typeof v !== 'string' ? `${f} is ${typeName(v)}, not a string` : undefined;
}

function notObject(f: string, v: unknown): string | undefined {
  return v !== undefined && v !== null && !isObj(v) ? `${f} is ${typeName(v)}, not an object` : undefined;
}

function userProblem(who: string, u: unknown): string | undefined {
  if (!isObj(u)) return undefined;
  if (typeof u['username'] !== 'string') return `${who}.username is ${typeName(u['username'])}, not a string`;
  const g = u['groups'];
  if (g === undefined || g === null) return undefined;
  if (!Array.isArray(g)) return `${who}.groups is not a list of strings`;
  for (let i = 0; i < g.length; i++) if (typeof g[i] !== 'string') return `${who}.groups is not a list of strings`;
  return undefined;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A JSON value of any type in a message: escaped, cut, never raw. */
function shownValue(v: unknown): string {
  return typeof v === 'string' ? shown(v) : shown(JSON.stringify(v) ?? String(v)).slice(1, -1);
}

function decodeAccess(ev: Record<string, unknown>, verb: string, loc: Loc, emit: Emit): K8sAccess | undefined {
  const ref = ev['objectRef'];
  if (ref === undefined || ref === null) {
    const uri = str(ev['requestURI']);
    if (uri === '') return void rejected(loc, emit, 'k8s.no-target', 'event has neither objectRef nor requestURI');
    const cut = uri.search(/[?#]/);
    const raw = cut < 0 ? uri : uri.slice(0, cut);
    // requestURI is the escaped form the client sent; the authorizer sees the decoded path (requestinfo reads
    // req.URL.Path), which is what a rule must name.
    const path = decodedPath(raw);
    if (path === undefined)
      return void rejected(loc, emit, 'k8s.bad-name', `requestURI path ${shown(raw)} holds a malformed %-escape`);
    const up = nonResourceUrlProblem(path);
    if (up) return void rejected(loc, emit, 'k8s.bad-name', `requestURI path ${shown(path)} ${up}`);
    return { verb, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', nonResourceURL: path };
  }
  if (!isObj(ref) || typeof ref['resource'] !== 'string' || ref['resource'] === '')
    return void rejected(loc, emit, 'k8s.bad-objectref', 'objectRef without a resource');
  // A field of the wrong type must not quietly become '' (a missing name would widen the rule).
  const refProblem =
    notString('objectRef.apiGroup', ref['apiGroup']) ??
    notString('objectRef.subresource', ref['subresource']) ??
    notString('objectRef.namespace', ref['namespace']) ??
    notString('objectRef.name', ref['name']);
  if (refProblem) return void rejected(loc, emit, 'k8s.bad-objectref', refProblem);
  const resource = ref['resource'];
  // A record without objectRef.apiGroup is not core by default (apiGroups.ts): undetermined is an issue.
  const group = apiGroupOf(str(ref['apiGroup']), resource, str(ev['requestURI']));
  if ('problem' in group)
    return void rejected(loc, emit, 'k8s.undetermined-api-group', `resource ${shown(resource)}: ${group.problem}`);
  const apiGroup = group.group;
  const subresource = str(ref['subresource']);
  const namespace = str(ref['namespace']);
  // RBAC cannot restrict a create by name (the name is in the request body): the access has none, and the
  // created name is kept beside it (see decodeEvent). A create on a subresource (pods/exec, pods/eviction)
  // names its object in the URL, and RBAC does restrict it by name: the name stays.
  const refName = str(ref['name']);
  const name = verb === 'create' && !subresource ? '' : refName;
  const problem =
    field('objectRef.resource', resource, resourceProblem) ??
    (subresource ? field('objectRef.subresource', subresource, resourceProblem) : undefined) ??
    field('objectRef.apiGroup', apiGroup, apiGroupProblem) ??
    (namespace ? field('objectRef.namespace', namespace, namespaceProblem) : undefined) ??
    (refName ? field('objectRef.name', refName, objectNameProblem) : undefined);
  if (problem) return void rejected(loc, emit, 'k8s.bad-name', problem);
  return { verb, apiGroup, resource, subresource, namespace, name, nonResourceURL: '' };
}

/**
 * A URL path with its %-escapes decoded as Go's url.PathUnescape does (`+` stays `+`), or undefined when an escape is
 * malformed or the bytes are not UTF-8 (Go's server refuses the former with 400 before any audit record; the latter
 * no RBAC rule written as text can name). A path without `%` is its own decoding.
 */
function decodedPath(p: string): string | undefined {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return undefined;
  }
}

function field(what: string, v: string, check: (v: string) => string | undefined): string | undefined {
  const p = check(v);
  return p ? `${what} ${shown(v)} ${p}` : undefined;
}
