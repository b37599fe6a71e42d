import { compileGlob, type Glob } from '../../util/glob.js';
import { isObj } from '../../util/json.js';

/**
 * An evaluator for AWS identity policies, written from IAM's documented evaluation logic (groundwork
 * for the CloudTrail slice; it shares no code with any generator): an explicit Deny wins, then an
 * Allow, else the request is implicitly denied. Action/NotAction and Resource/NotResource take `*`
 * and `?`. A statement with a Condition, or a policy variable in its resources, cannot be judged
 * without the request's context: if it could change the outcome the result is `undetermined`.
 */
export interface IamRequest {
  /** `s3:GetObject` (the service prefix and action name match case-insensitively). */
  action: string;
  /** The resource ARN, or `*` for actions without resource-level support. */
  resource: string;
}

export type IamDecision =
  | { result: 'allow'; policy: string; sid: string }
  | { result: 'deny'; explicit: boolean; policy?: string; sid?: string }
  | { result: 'undetermined'; reasons: string[] };

export interface NamedPolicy {
  name: string;
  document: unknown;
}

interface Statement {
  sid: string;
  effect: 'Allow' | 'Deny';
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditional: boolean;
}

const list = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** The statements of a policy document, or a message saying what is wrong with it. */
export function readStatements(doc: unknown): Statement[] | string {
  if (!isObj(doc)) return 'a policy document must be a JSON object';
  const raw = doc['Statement'];
  const stmts = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: Statement[] = [];
  for (const [i, s] of stmts.entries()) {
    if (!isObj(s)) return `Statement[${i}] is not an object`;
    const effect = s['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return `Statement[${i}].Effect must be Allow or Deny`;
    const st: Statement = {
      sid: typeof s['Sid'] === 'string' ? s['Sid'] : `#${i}`,
      effect,
      conditional: s['Condition'] !== undefined,
    };
    for (const [key, field] of [
      ['Action', 'actions'],
      ['NotAction', 'notActions'],
      ['Resource', 'resources'],
      ['NotResource', 'notResources'],
    ] as const) {
      if (s[key] === undefined) continue;
      const l = list(s[key]);
      if (!l) return `Statement[${i}].${key} must be a string or a list of strings`;
      st[field] = l;
    }
    if (!st.actions === !st.notActions) return `Statement[${i}] needs exactly one of Action and NotAction`;
    if (!st.resources === !st.notResources) return `Statement[${i}] needs exactly one of Resource and NotResource`;
    out.push(st);
  }
  return out;
}

// Compiled once per pattern: a policy's patterns are matched against every request.
const actionGlobs = new Map<string, Glob>();
const partGlobs = new Map<string, Glob>();
const MAX_CACHED = 100_000;

function cached(cache: Map<string, Glob>, pattern: string, caseInsensitive: boolean): Glob {
  let g = cache.get(pattern);
  if (!g) {
    if (cache.size >= MAX_CACHED) cache.clear();
    g = compileGlob(pattern, { caseInsensitive });
    cache.set(pattern, g);
  }
  return g;
}

function glob(pattern: string, value: string, caseInsensitive: boolean): boolean {
  return cached(caseInsensitive ? actionGlobs : partGlobs, pattern, caseInsensitive).test(value);
}

function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern, action, true);
}

/**
 * ARN patterns match segment by segment: wildcards stay within partition, service, region and account; the resource
 * part may hold anything.
 */
function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return glob(pattern, arn, false);
  return p.every((part, i) => glob(part, a[i]!, false));
}

function splitArn(s: string): string[] | undefined {
  const parts = s.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function actionApplies(st: Statement, req: IamRequest): boolean {
  return st.actions
    ? st.actions.some((p) => actionMatches(p, req.action))
    : !st.notActions!.some((p) => actionMatches(p, req.action));
}

function resourceApplies(st: Statement, req: IamRequest): boolean {
  return st.resources
    ? st.resources.some((p) => resourceMatches(p, req.resource))
    : !st.notResources!.some((p) => resourceMatches(p, req.resource));
}

const hasVariable = (st: Statement) =>
  [...(st.resources ?? []), ...(st.notResources ?? [])].some((r) => r.includes('${'));

/** Evaluate identity policies for one request. Invalid documents must be rejected first (readStatements). */
export function evaluateIdentityPolicies(policies: NamedPolicy[], req: IamRequest): IamDecision {
  let allow: { policy: string; sid: string } | undefined;
  const maybe: string[] = [];
  for (const pol of policies) {
    const stmts = readStatements(pol.document);
    if (typeof stmts === 'string') throw new Error(`${pol.name}: ${stmts}`);
    for (const st of stmts) {
      if (!actionApplies(st, req)) continue;
      // A resource with a policy variable (${aws:username}) can only be judged with the request's context.
      const variable = hasVariable(st);
      if (!variable && !resourceApplies(st, req)) continue;
      const unknowable = st.conditional || variable;
      if (st.effect === 'Deny') {
        if (!unknowable) return { result: 'deny', explicit: true, policy: pol.name, sid: st.sid };
        maybe.push(
          `${pol.name} ${st.sid}: a Deny with ${st.conditional ? 'a Condition' : 'a policy variable'} may apply`,
        );
      } else if (unknowable) {
        maybe.push(
          `${pol.name} ${st.sid}: an Allow with ${st.conditional ? 'a Condition' : 'a policy variable'} may apply`,
        );
      } else allow ??= { policy: pol.name, sid: st.sid };
    }
  }
  if (maybe.length) {
    // A conditional Deny can still deny what an Allow grants; a conditional Allow can still grant.
    const onlyAllows = maybe.every((m) => m.includes('an Allow'));
    if (!(allow && onlyAllows)) return { result: 'undetermined', reasons: maybe };
  }
  return allow ? { result: 'allow', ...allow } : { result: 'deny', explicit: false };
}
