import type { K8sAccess } from '../../model/access.js';
import type { Stage } from '../../model/evidence.js';
import type { InputIssue } from '../../model/issue.js';
import type { Decision, K8sRequestObservation } from '../../model/observation.js';
import { normalizeTime } from '../../util/time.js';

/** Where a value came from, for issues. */
export interface Loc {
  file: string;
  line: number;
}

export type Emit = (item: K8sRequestObservation | InputIssue) => void;

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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Decode one parsed JSON value: an audit Event, an EventList (the webhook backend's batch), or
 * an array of Events. Everything else becomes an issue naming the file and line.
 */
export function decodeValue(v: unknown, loc: Loc, emit: Emit): number {
  if (Array.isArray(v)) {
    let n = 0;
    for (const item of v) n += decodeValue(item, loc, emit);
    return n;
  }
  if (!isObject(v)) {
    emit(issue(loc, 'k8s.not-an-event', `expected an audit Event or EventList object, found ${v === null ? 'null' : typeof v}`));
    return 0;
  }
  const kind = v['kind'];
  if (kind === 'EventList') {
    const items = v['items'];
    if (!Array.isArray(items)) {
      emit(issue(loc, 'k8s.bad-eventlist', 'EventList without an items array'));
      return 0;
    }
    let n = 0;
    for (const item of items) {
      if (isObject(item) && item['kind'] === undefined) n += decodeEvent(item, loc, emit);
      else n += decodeValue(item, loc, emit);
    }
    return n;
  }
  if (kind !== undefined && kind !== 'Event') {
    emit(issue(loc, 'k8s.wrong-kind', `kind ${JSON.stringify(kind)} is not an audit Event or EventList`));
    return 0;
  }
  return decodeEvent(v, loc, emit);
}

/** Decode one audit Event; returns 1 when it became an observation. */
function decodeEvent(ev: Record<string, unknown>, loc: Loc, emit: Emit): number {
  const apiVersion = ev['apiVersion'];
  // Real captures often omit apiVersion: read those as v1.
  if (apiVersion !== undefined && apiVersion !== 'audit.k8s.io/v1' && apiVersion !== 'audit.k8s.io/v1beta1') {
    emit(issue(loc, 'k8s.unsupported-version', `apiVersion ${JSON.stringify(apiVersion)} is not audit.k8s.io/v1 or v1beta1`));
    return 0;
  }
  const verb = ev['verb'];
  const userObj = ev['user'];
  if (typeof verb !== 'string' || verb === '' || !isObject(userObj) || typeof userObj['username'] !== 'string') {
    emit(issue(loc, 'k8s.not-an-event', 'not an audit Event: verb or user.username missing'));
    return 0;
  }
  const imp = ev['impersonatedUser'];
  const effective = isObject(imp) && typeof imp['username'] === 'string' ? imp : userObj;
  const username = effective['username'] as string;
  const groupsRaw = effective['groups'];
  const groups = Array.isArray(groupsRaw) ? stringsOnly(groupsRaw) : NO_GROUPS;

  const stageRaw = ev['stage'];
  const status = ev['responseStatus'];
  const code = isObject(status) && typeof status['code'] === 'number' ? status['code'] : undefined;
  let stage = knownStage(stageRaw);
  if (stage === undefined && stageRaw === undefined) stage = code === undefined ? 'RequestReceived' : 'ResponseComplete';
  if (stage === undefined) {
    emit(issue(loc, 'k8s.bad-stage', `unknown stage ${JSON.stringify(stageRaw)}`));
    return 0;
  }

  const rawTime = str(ev['requestReceivedTimestamp']) || str(ev['timestamp']) || str(ev['stageTimestamp']) || (isObject(ev['metadata']) ? str(ev['metadata']['creationTimestamp']) : '');
  let time = '';
  if (rawTime !== '') {
    const t = normalizeTime(rawTime);
    if (t === undefined) {
      emit(issue(loc, 'k8s.bad-time', `timestamp ${JSON.stringify(rawTime)} is not RFC 3339`));
      return 0;
    }
    time = t;
  }

  const access = decodeAccess(ev, verb, loc, emit);
  if (!access) return 0;

  emit({
    kind: 'k8s-request',
    username,
    groups,
    access,
    decision: decide(ev, code),
    stage,
    time,
    id: str(ev['auditID']),
  });
  return 1;
}

const NO_GROUPS: string[] = [];

/** The array itself when it holds only strings (the usual case: no copy on the hot path). */
function stringsOnly(a: unknown[]): string[] {
  for (const x of a) if (typeof x !== 'string') return a.filter((g): g is string => typeof g === 'string');
  return a as string[];
}

function decide(ev: Record<string, unknown>, code: number | undefined): Decision {
  const ann = ev['annotations'];
  const d = isObject(ann) ? ann['authorization.k8s.io/decision'] : undefined;
  if (d === 'allow') return 'allow';
  if (d === 'forbid' || d === 'deny') return 'deny';
  if (code === undefined) return 'undecided';
  return code === 401 || code === 403 ? 'deny' : 'allow';
}

function decodeAccess(ev: Record<string, unknown>, verb: string, loc: Loc, emit: Emit): K8sAccess | undefined {
  const ref = ev['objectRef'];
  if (ref === undefined || ref === null) {
    const uri = str(ev['requestURI']);
    if (uri === '') {
      emit(issue(loc, 'k8s.no-target', 'event has neither objectRef nor requestURI'));
      return undefined;
    }
    const cut = uri.search(/[?#]/);
    return { verb, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', nonResourceURL: cut < 0 ? uri : uri.slice(0, cut) };
  }
  if (!isObject(ref) || typeof ref['resource'] !== 'string' || ref['resource'] === '') {
    emit(issue(loc, 'k8s.bad-objectref', 'objectRef without a resource'));
    return undefined;
  }
  // A field of the wrong type must not quietly become '' (a missing name would widen the rule).
  for (const f of ['apiGroup', 'subresource', 'namespace', 'name']) {
    const v = ref[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      emit(issue(loc, 'k8s.bad-objectref', `objectRef.${f} is ${typeof v}, not a string`));
      return undefined;
    }
  }
  return {
    verb,
    apiGroup: str(ref['apiGroup']),
    resource: ref['resource'],
    subresource: str(ref['subresource']),
    namespace: str(ref['namespace']),
    // The name of a created object is in the request body, not the URL: RBAC cannot restrict create by name.
    name: verb === 'create' ? '' : str(ref['name']),
    nonResourceURL: '',
  };
}
