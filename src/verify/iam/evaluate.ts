import { compileGlob, foldCase, hasPolicyVariable, type Glob } from '../../util/glob.js';
import { PrefixIndex } from '../../util/prefixIndex.js';
import { isObj, stringList } from '../../util/json.js';
import {
  conditionOf,
  createActionCondition,
  madeResource,
  passedToCondition,
  type ConditionBlock,
  type CreateActionCondition,
  type RequestContext,
} from './conditions.js';

/**
 * An evaluator for AWS identity policies, written from IAM's documented evaluation logic (groundwork
 * for the CloudTrail slice; it shares no code with any generator): an explicit Deny wins, then an
 * Allow, else the request is implicitly denied. Action/NotAction and Resource/NotResource take `*`
 * and `?`. A statement with a Condition, or a policy variable in its resources, cannot be judged
 * without the request's context: if it could change the outcome the result is `undetermined`. A Condition is judged
 * where the request says what it knows of it: a StringEquals or StringLike on a `<service>:CreateAction` key alone,
 * the key of tag on create (knowledge/aws/createAction.ts); and, with the request's `context`, any Condition whose
 * keys it holds, by the operators conditions.ts reads (one it does not hold leaves the statement undetermined).
 */
export interface IamRequest {
  /** `s3:GetObject` (the service prefix and action name match case-insensitively). */
  action: string;
  /** The resource ARN, or `*` for actions without resource-level support. */
  resource: string;
  /**
   * The `<service>:CreateAction` key of the request's context: the create whose tags it authorizes (`RunInstances`),
   * `null` when the request is known to carry no such key (a call of its own), undefined when not known.
   */
  createAction?: string | null;
  /**
   * The keys the request carries that replay knows (the principal's, the call's region: `requestContext`), and those
   * it knows are absent. Without it, every Condition but a CreateAction one is undetermined.
   */
  context?: RequestContext;
}

export type IamDecision =
  | { result: 'allow'; policy: string; sid: string }
  | {
      result: 'deny';
      explicit: boolean;
      policy?: string;
      sid?: string;
      /** An implicit deny of what the principal's policies allow: the permissions boundary that does not. */
      boundary?: string;
    }
  | {
      result: 'undetermined';
      reasons: string[];
      /** Undetermined because a policy attached to the principal was not read, not for a request's context. */
      notRead?: true;
    };

export interface NamedPolicy {
  /** The file, or for a policy of an account's authorization details, the file and the policy in words. */
  name: string;
  document: unknown;
  /**
   * A permissions boundary (IAM User Guide, "Permissions boundaries for IAM entities"): it grants nothing; what the
   * other policies allow is allowed only where a boundary allows it too, and a Deny in it denies.
   */
  boundary?: true;
  /**
   * A policy attached to the principal whose document was not among what was read (why, in words): what the rest
   * deny, it may allow (undetermined), and a boundary not read leaves every allow undetermined. Its `document` is
   * not read.
   */
  unknown?: string;
  /** Where it was read from when `name` is no file: the file, and the line the policy (or its principal) is at. */
  at?: { file: string; line: number };
  /**
   * What policy it is, whatever file it was read from, so that a diff tells the same attachment on both sides: a
   * managed policy's ARN (a Terraform policy's address while its ARN is known only after apply), a Terraform inline
   * policy's address. Absent for the policies of the layout `generate iam` writes, whose file is their identity.
   */
  ref?: string;
}

/** The policies that grant: neither boundaries nor policies not read. */
export const grantingPolicies = (policies: readonly NamedPolicy[]): NamedPolicy[] =>
  policies.filter((p) => !p.boundary && p.unknown === undefined);

export interface Statement {
  sid: string;
  effect: 'Allow' | 'Deny';
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditional: boolean;
  /** The Condition element, where it maps operators to objects of keys (IAM refuses any other). */
  condition?: ConditionBlock;
  /** A Condition that is a StringEquals on `iam:PassedToService` alone: its services. */
  passedTo?: string[];
  /** A Condition that is a StringEquals or StringLike on a `<service>:CreateAction` key alone, read. */
  createAction?: CreateActionCondition;
}

/**
 * A document's statements as objects with their Effect (a lone statement object is a list of one), or what is wrong:
 * the part every IAM document shares, identity policies and trust policies alike (trust.ts).
 */
export function effectStatements(
  doc: unknown,
  what: string,
): { i: number; s: Record<string, unknown>; effect: 'Allow' | 'Deny' }[] | string {
  if (!isObj(doc)) return `${what} must be a JSON object`;
  const raw = doc['Statement'];
  const out = [];
  for (const [i, s] of (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).entries()) {
    if (!isObj(s)) return `Statement[${i}] is not an object`;
    const effect = s['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return `Statement[${i}].Effect must be Allow or Deny`;
    out.push({ i, s, effect: effect as 'Allow' | 'Deny' });
  }
  return out;
}

/** The statements of a policy document, or a message saying what is wrong with it. */
export function readStatements(doc: unknown): Statement[] | string {
  const stmts = effectStatements(doc, 'a policy document');
  if (typeof stmts === 'string') return stmts;
  const out: Statement[] = [];
  for (const { i, s, effect } of stmts) {
    const st: Statement = {
      sid: typeof s['Sid'] === 'string' ? s['Sid'] : `#${i}`,
      effect,
      conditional: s['Condition'] !== undefined,
    };
    const onCreate = createActionCondition(s['Condition']);
    if (onCreate) st.createAction = onCreate;
    const passedTo = passedToCondition(s['Condition']);
    if (passedTo) st.passedTo = passedTo;
    const c = s['Condition'];
    if (isObj(c) && Object.values(c).every(isObj)) st.condition = c as ConditionBlock;
    for (const [key, field] of [
      ['Action', 'actions'],
      ['NotAction', 'notActions'],
      ['Resource', 'resources'],
      ['NotResource', 'notResources'],
    ] as const) {
      if (s[key] === undefined) continue;
      const l = stringList(s[key]);
      if (!l) return `Statement[${i}].${key} must be a string or a list of strings`;
      st[field] = l;
    }
    if (!st.actions === !st.notActions) return `Statement[${i}] needs exactly one of Action and NotAction`;
    if (!st.resources === !st.notResources) return `Statement[${i}] needs exactly one of Resource and NotResource`;
    out.push(st);
  }
  return out;
}

/** A statement with its patterns compiled, and the policy it is in. */
interface Compiled {
  policy: string;
  st: Statement;
  actions?: Glob[];
  notActions?: Glob[];
  resources?: ArnGlob[];
  notResources?: ArnGlob[];
  /** A resource with a policy variable (${aws:username}): it can only be judged with the request's context. */
  variable: boolean;
}

/**
 * A principal's statements, compiled once and indexed by the literal prefix of their action and resource patterns:
 * a request is tested against the statements of the smaller of its two candidate lists (a diff of 10,000 statements
 * evaluates each of its grants against a handful of them, not all).
 */
interface Index {
  names: string[];
  docs: unknown[];
  stmts: Compiled[];
  byAction: PrefixIndex;
  byResource: PrefixIndex;
}

const indexes = new WeakMap<readonly NamedPolicy[], Index>();

function indexFor(policies: readonly NamedPolicy[]): Index {
  const hit = indexes.get(policies);
  if (
    hit &&
    hit.docs.length === policies.length &&
    policies.every((p, i) => p.document === hit.docs[i] && p.name === hit.names[i])
  )
    return hit;
  const ix: Index = {
    names: policies.map((p) => p.name),
    docs: policies.map((p) => p.document),
    stmts: [],
    byAction: new PrefixIndex(),
    byResource: new PrefixIndex(),
  };
  for (const pol of policies) {
    const stmts = readStatements(pol.document);
    if (typeof stmts === 'string') throw new Error(`${pol.name}: ${stmts}`);
    for (const st of stmts) {
      const id = ix.stmts.length;
      const variable = [...(st.resources ?? []), ...(st.notResources ?? [])].some(hasPolicyVariable);
      const actionGlob = (p: string) => compileGlob(p, { caseInsensitive: true });
      ix.stmts.push({
        policy: pol.name,
        st,
        variable,
        ...(st.actions ? { actions: st.actions.map(actionGlob) } : { notActions: st.notActions!.map(actionGlob) }),
        ...(st.resources
          ? { resources: st.resources.map(compileArn) }
          : { notResources: st.notResources!.map(compileArn) }),
      });
      if (st.actions) for (const a of st.actions) ix.byAction.add(foldCase(a), id);
      else ix.byAction.addAlways(id);
      if (st.resources && !variable) for (const r of st.resources) ix.byResource.add(r, id);
      else ix.byResource.addAlways(id);
    }
  }
  indexes.set(policies, ix);
  return ix;
}

/** The ids of the statements that may apply to a request, ascending (policy order, then statement order). */
function candidates(ix: Index, req: IamRequest): number[] {
  const byAction = ix.byAction.lookup(foldCase(req.action));
  const byResource = ix.byResource.lookup(req.resource);
  const size = (ls: number[][]) => ls.reduce((n, l) => n + l.length, 0);
  const lists = size(byAction) <= size(byResource) ? byAction : byResource;
  const ids = lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => a - b);
  return ids.filter((id, i) => i === 0 || ids[i - 1] !== id);
}

/** An ARN pattern matched part by part (see resourceMatches); `*` matches anything. */
interface ArnGlob {
  test(arn: string, parts: string[] | undefined): boolean;
}

/** Resource patterns as IAM reads them: `${*}`, `${?}`, `${$}` are the characters, not wildcards. */
const IAM = { iamEscapes: true } as const;

/**
 * ARN patterns match segment by segment: wildcards stay within partition, service, region and account; the resource
 * part may hold anything. A pattern or a value that is no ARN is matched as a whole.
 */
function compileArn(pattern: string): ArnGlob {
  if (pattern === '*') return { test: () => true };
  const whole = compileGlob(pattern, IAM);
  const p = splitArn(pattern);
  if (!p) return { test: (arn) => whole.test(arn) };
  const parts = p.map((x) => compileGlob(x, IAM));
  return { test: (arn, a) => (a ? parts.every((g, i) => g.test(a[i]!)) : whole.test(arn)) };
}

// The request's ARN parts, for the few requests in a row that share a resource (a wildcard's expansion).
let lastArn: { arn: string; parts: string[] | undefined } = { arn: '', parts: undefined };
function requestParts(arn: string): string[] | undefined {
  if (lastArn.arn !== arn) lastArn = { arn, parts: splitArn(arn) };
  return lastArn.parts;
}

function splitArn(s: string): string[] | undefined {
  const parts = s.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function actionApplies(c: Compiled, action: string): boolean {
  return c.actions ? c.actions.some((g) => g.test(action)) : !c.notActions!.some((g) => g.test(action));
}

function resourceApplies(c: Compiled, arn: string, parts: string[] | undefined): boolean {
  return c.resources ? c.resources.some((g) => g.test(arn, parts)) : !c.notResources!.some((g) => g.test(arn, parts));
}

const madeGlobs = new Map<string, ArnGlob>();

/**
 * Whether a statement whose resources hold policy variables applies to the request's resource, with the variables
 * made from the request's context (conditions.ts `substitute`): unknown where one cannot be.
 */
function madeResourceApplies(c: Compiled, req: IamRequest, parts: string[] | undefined): boolean | 'unknown' {
  const patterns = c.st.resources ?? c.st.notResources!;
  const made = patterns.map((p) => (hasPolicyVariable(p) ? madeResource(p, req.context!) : p));
  if (made.some((p) => p === undefined)) return 'unknown';
  // A NotResource naming an absent key's variable never holds (its "no value" is unequal to nothing either).
  if (c.st.notResources && made.includes(null)) return false;
  if (madeGlobs.size > 10_000) madeGlobs.clear();
  const hit = made.some((p) => {
    if (p === null || p === undefined) return false;
    let g = madeGlobs.get(p);
    if (!g) madeGlobs.set(p, (g = compileArn(p)));
    return g.test(req.resource, parts);
  });
  return c.st.resources ? hit : !hit;
}

/** A principal's policies in their roles (identity, boundary, not read), split once per list. */
interface Parts {
  identity: NamedPolicy[];
  boundary: NamedPolicy[];
  unknown: NamedPolicy[];
  unknownBoundary: NamedPolicy[];
}
const partsOf = new WeakMap<readonly NamedPolicy[], Parts | null>();

function split(policies: readonly NamedPolicy[]): Parts | null {
  const hit = partsOf.get(policies);
  if (hit !== undefined) return hit;
  let parts: Parts | null = null;
  if (policies.some((p) => p.boundary || p.unknown !== undefined)) {
    const known = (p: NamedPolicy) => p.unknown === undefined;
    parts = {
      identity: policies.filter((p) => !p.boundary && known(p)),
      boundary: policies.filter((p) => p.boundary && known(p)),
      unknown: policies.filter((p) => !p.boundary && !known(p)),
      unknownBoundary: policies.filter((p) => p.boundary && !known(p)),
    };
  }
  partsOf.set(policies, parts);
  return parts;
}

/**
 * Evaluate a principal's policies for one request. Invalid documents must be rejected first (readStatements). With a
 * permissions boundary, an explicit Deny in either denies, and the request is allowed only where both allow (IAM's
 * evaluation logic for identity-based policies with boundaries); a policy attached but not read makes an implicit deny
 * undetermined, a boundary not read every allow.
 */
export function evaluateIdentityPolicies(policies: NamedPolicy[], req: IamRequest): IamDecision {
  const parts = split(policies);
  if (!parts) return evaluateSet(policies, req);
  let d = evaluateSet(parts.identity, req);
  if (d.result === 'deny' && d.explicit) return d;
  if (d.result === 'deny' && parts.unknown.length)
    d = {
      result: 'undetermined',
      reasons: parts.unknown.map((u) => `${u.name} may allow it (${u.unknown!})`),
      notRead: true,
    };
  if (!parts.boundary.length && !parts.unknownBoundary.length) return d;
  const b = parts.boundary.length ? evaluateSet(parts.boundary, req) : undefined;
  if (b?.result === 'deny' && b.explicit) return b;
  const outside = b?.result === 'deny' && !parts.unknownBoundary.length;
  const byBoundary = {
    result: 'deny',
    explicit: false,
    boundary: parts.boundary.map((p) => p.name).join(', '),
  } as const;
  // What the boundary surely does not allow is denied, whatever the policies may say.
  if (d.result !== 'allow') return d.result === 'undetermined' && outside ? byBoundary : d;
  if (outside) return byBoundary;
  if (b?.result === 'allow' && !parts.unknownBoundary.length) return d;
  const reasons = [
    ...(b?.result === 'undetermined' ? b.reasons.map((r) => `permissions boundary: ${r}`) : []),
    ...parts.unknownBoundary.map((u) => `${u.name}, its permissions boundary, may not allow it (${u.unknown!})`),
  ];
  return { result: 'undetermined', reasons, ...(parts.unknownBoundary.length ? { notRead: true as const } : {}) };
}

function evaluateSet(policies: NamedPolicy[], req: IamRequest): IamDecision {
  let allow: { policy: string; sid: string } | undefined;
  const maybe: string[] = [];
  const ix = indexFor(policies);
  const parts = requestParts(req.resource);
  for (const id of candidates(ix, req)) {
    const c = ix.stmts[id]!;
    const st = c.st;
    if (!actionApplies(c, req.action)) continue;
    if (!c.variable && !resourceApplies(c, req.resource, parts)) continue;
    // A policy variable in its resources, made with what the request says where it can be.
    const byVariable = c.variable && req.context ? madeResourceApplies(c, req, parts) : 'unknown';
    if (byVariable === false) continue;
    const variable = byVariable !== true && c.variable;
    // A Condition the request knows the keys of: a statement whose condition fails does not apply.
    const holds = conditionOf(st, req);
    if (holds === false) continue;
    const unknowable = holds !== true || variable;
    const what = holds === true ? 'a policy variable' : holds === 'unknown' ? 'a Condition' : holds;
    if (st.effect === 'Deny') {
      if (!unknowable) return { result: 'deny', explicit: true, policy: c.policy, sid: st.sid };
      maybe.push(`${c.policy} ${st.sid}: a Deny with ${what} may apply`);
    } else if (unknowable) {
      maybe.push(`${c.policy} ${st.sid}: an Allow with ${what} may apply`);
    } else allow ??= { policy: c.policy, sid: st.sid };
  }
  if (maybe.length) {
    // A conditional Deny can still deny what an Allow grants; a conditional Allow can still grant.
    const onlyAllows = maybe.every((m) => m.includes('an Allow'));
    if (!(allow && onlyAllows)) return { result: 'undetermined', reasons: maybe };
  }
  return allow ? { result: 'allow', ...allow } : { result: 'deny', explicit: false };
}
