import { BlockList, isIP } from 'node:net';
import { compileGlob } from '../../util/glob.js';
import type { IamIdentity } from '../../model/subject.js';
import { isObj, stringList as strings } from '../../util/json.js';
import type { TrustStatement } from './trust.js';
import type { IamRequest, Statement } from './evaluate.js';

/**
 * A policy statement's Condition against what a request says, with IAM's operators (the IAM User Guide's "IAM JSON
 * policy elements: Condition operators"): String, Arn and IP address operators, their negations and `IfExists`,
 * `Null`, and the `ForAnyValue:`/`ForAllValues:` qualifiers of one value, `Bool`, policy variables made from the
 * request's keys (`substitute`).
 * Anything else is not judged: unknown, never allowed. Trust policies (trust.ts, trustCallers.ts) and identity
 * policies (evaluate.ts) alike.
 */
export type Tri = true | false | 'unknown';

/**
 * What a request says of its condition keys: `keys` maps lower-case keys to their value; a key `absent` answers for
 * is known not to be in the request; any other key is not known.
 */
export interface RequestContext {
  keys: ReadonlyMap<string, string>;
  absent: (key: string) => boolean;
}

/** A Condition element: operators to their keys and values. */
export type ConditionBlock = Readonly<Record<string, Record<string, unknown>>>;

/**
 * One condition block (an operator and its keys) against what the request says. Keys that leave it unknown go to
 * `unknownKeys` (as spelt), where given.
 */
function conditionHolds(
  operator: string,
  keys: Record<string, unknown>,
  context: ReadonlyMap<string, string>,
  absent: (key: string) => boolean,
  unknownKeys?: Set<string>,
): Tri {
  const m = /^(ForAnyValue:|ForAllValues:)?(.+?)(IfExists)?$/.exec(operator);
  if (!m) return 'unknown';
  const [, set, base, ifExists] = m;
  let result: Tri = true;
  for (const [rawKey, rawValues] of Object.entries(keys)) {
    const key = rawKey.toLowerCase();
    const value = context.get(key);
    if (value === undefined && !absent(key)) {
      unknownKeys?.add(rawKey);
      result = 'unknown';
      continue;
    }
    let holds: boolean | undefined;
    if (base === 'Null') {
      const v = typeof rawValues === 'boolean' ? String(rawValues) : strings(rawValues)?.[0];
      if (v !== 'true' && v !== 'false') return 'unknown';
      holds = (value === undefined) === (v === 'true');
    } else if (base === 'Bool') {
      // `true`/`false`, as strings or JSON booleans, without case; a key the request lacks holds only under IfExists.
      const list = (Array.isArray(rawValues) ? rawValues : [rawValues]).map((v) => String(v).toLowerCase());
      if (!list.every((v) => v === 'true' || v === 'false')) return 'unknown';
      holds = value === undefined ? Boolean(ifExists) : list.some((v) => v === value.toLowerCase());
    } else if (base === 'IpAddress' || base === 'NotIpAddress') {
      const within = ipWithin(strings(rawValues));
      if (!within) return 'unknown';
      const negated = base === 'NotIpAddress';
      holds = value === undefined ? Boolean(ifExists) || negated || set === 'ForAllValues:' : within(value) !== negated;
    } else {
      const raw = strings(rawValues);
      if (!raw) return 'unknown';
      // Policy variables in the values, as the request makes them. One naming an absent key is null: it equals nothing
      // and is unequal to nothing (a negated operator with it fails), as iam-simulate reads "no value".
      const made = raw.map((v) => (v.includes('${') ? substitute(v, { keys: context, absent }) : v));
      if (made.some((v) => v === undefined)) return 'unknown';
      const values = made.filter((v): v is string => typeof v === 'string');
      const negated = /^(String|Arn)Not/.test(base!);
      const like = /Like$/.test(base!);
      const fold = /IgnoreCase$/.test(base!);
      // ArnEquals and ArnLike match alike: each of an ARN's six parts on its own, with wildcards (IAM's operators).
      const arn = /^Arn(Not)?(Equals|Like)$/.test(base!);
      if (!arn && !/^String(Not)?(Equals|EqualsIgnoreCase|Like)$/.test(base!)) return 'unknown';
      if (value === undefined) holds = Boolean(ifExists) || negated || set === 'ForAllValues:';
      else {
        const one = (v: string) =>
          arn
            ? arnLike(v, value)
            : like
              ? compileGlob(v).test(value)
              : fold
                ? v.toLowerCase() === value.toLowerCase()
                : v === value;
        const any = values.some(one);
        holds = negated ? !any && !made.includes(null) : any;
      }
    }
    if (!holds) return false;
  }
  return result;
}

/**
 * `IpAddress`'s test of an address against a policy's values (addresses and CIDR ranges, IPv4 and IPv6); undefined
 * where a value is neither, which leaves the condition unknown.
 */
function ipWithin(values: string[] | undefined): ((ip: string) => boolean) | undefined {
  if (!values) return undefined;
  const list = new BlockList();
  for (const v of values) {
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(v.trim());
    const type = m ? isIP(m[1]!) : 0;
    if (!m || !type) return undefined;
    const family = type === 4 ? 'ipv4' : 'ipv6';
    const bits = m[2] === undefined ? undefined : Number(m[2]);
    if (bits === undefined) list.addAddress(m[1]!, family);
    else if (bits > (type === 4 ? 32 : 128)) return undefined;
    else list.addSubnet(m[1]!, bits, family);
  }
  return (ip) => {
    const type = isIP(ip);
    return type !== 0 && list.check(ip, type === 4 ? 'ipv4' : 'ipv6');
  };
}

/** The six parts of an ARN (the last one holds the rest, colons and all), or undefined for no ARN. */
function arnParts(s: string): string[] | undefined {
  const parts = s.split(':');
  return parts.length >= 6 ? [...parts.slice(0, 5), parts.slice(5).join(':')] : undefined;
}

/** `ArnLike`: each part of the pattern matches the same part of the ARN, `*` and `?` within it. */
export function arnLike(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  return !!p && !!a && p.every((x, i) => compileGlob(x).test(a[i]!));
}

/**
 * Whether a Condition element holds for a request: false as soon as one block surely fails (the rest need not be
 * known), true when every block holds, else unknown (the keys not known go to `unknownKeys`, where given).
 */
export function conditionsHold(
  condition: ConditionBlock,
  context: ReadonlyMap<string, string>,
  absent: (k: string) => boolean,
  unknownKeys?: Set<string>,
): Tri {
  let result: Tri = true;
  for (const [op, keys] of Object.entries(condition)) {
    const r = conditionHolds(op, keys, context, absent, unknownKeys);
    if (r === false) return false;
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

export const statementHolds = (
  st: TrustStatement,
  context: ReadonlyMap<string, string>,
  absent: (k: string) => boolean,
): Tri => conditionsHold(st.condition, context, absent);

/**
 * The keys an IAM role's session or user carries in every request it makes (the IAM User Guide's "AWS global
 * condition context keys"): `aws:PrincipalArn` (a session's is its role's ARN), `aws:PrincipalAccount`,
 * `aws:PrincipalType` (`AssumedRole`, `User`), `aws:PrincipalIsAWSService` (false), a user's `aws:username`, which a
 * role session's request never has, and no `aws:PrincipalServiceName`.
 */
export function principalContext(id: IamIdentity, arn: string): RequestContext {
  const keys = new Map([
    ['aws:principalarn', arn],
    ['aws:principalaccount', id.account],
    ['aws:principaltype', id.kind === 'role' ? 'AssumedRole' : 'User'],
    // A role's session or a user is no AWS service principal, and carries no service's name.
    ['aws:principalisawsservice', 'false'],
  ]);
  if (id.kind === 'user') keys.set('aws:username', id.name);
  return {
    keys,
    absent: (k) => (id.kind === 'role' && k === 'aws:username') || k === 'aws:principalservicename',
  };
}

const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * A value with policy variables (`home/${aws:username}/*`, `${aws:username, 'guest'}`) as the request makes it: a
 * string; null where a variable's key is absent and has no default (the value matches nothing: the IAM User Guide's
 * "Policy variables with no value"); undefined where replay does not know a key, a variable is malformed, or it is
 * one of the special characters `${*}`, `${?}`, `${$}`, except that with `keepEscapes` (a Resource) those are kept as
 * written, for the Resource's glob to read as the characters.
 */
export function substitute(value: string, context: RequestContext, keepEscapes = false): string | null | undefined {
  let absent = false;
  let unknown = false;
  const out = value.replace(VARIABLE, (whole: string, inner: string) => {
    // In a Resource, `${*}`, `${?}`, `${$}` stay: its glob reads them as their characters.
    if (keepEscapes && (inner === '*' || inner === '?' || inner === '$')) return whole;
    const m = /^\s*([A-Za-z0-9:/._-]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/.exec(inner);
    if (!m) {
      unknown = true;
      return '';
    }
    const key = m[1]!.toLowerCase();
    const v = context.keys.get(key);
    if (v !== undefined && !/[*?$]/.test(v)) return v;
    const fallback = m[2]?.replace(/''/g, "'");
    if (v === undefined && context.absent(key)) {
      if (fallback !== undefined && !/[*?$]/.test(fallback)) return fallback;
      if (fallback === undefined) absent = true;
      else unknown = true;
    } else unknown = true;
    return '';
  });
  return unknown ? undefined : absent ? null : out;
}

/** `{"StringEquals": {"ec2:CreateAction": ["RunInstances"]}}`, read: the key's service, its values, how compared. */
export interface CreateActionCondition {
  service: string;
  values: string[];
  like: boolean;
}

/** A Condition block that only names the create of tag on create, read; undefined for any other. */
export function createActionCondition(c: unknown): CreateActionCondition | undefined {
  if (!isObj(c)) return undefined;
  const ops = Object.keys(c);
  if (ops.length !== 1 || (ops[0] !== 'StringEquals' && ops[0] !== 'StringLike')) return undefined;
  const block = c[ops[0]];
  if (!isObj(block) || Object.keys(block).length !== 1) return undefined;
  const [key, raw] = Object.entries(block)[0]!;
  // Condition keys are not case-sensitive (IAM User Guide, "IAM JSON policy elements: Condition").
  const m = /^([a-z0-9-]+):createaction$/i.exec(key);
  const values = strings(raw);
  if (!m || !values) return undefined;
  return { service: m[1]!.toLowerCase(), values, like: ops[0] === 'StringLike' };
}

/** Whether a request's context satisfies a CreateAction condition (values compare case-sensitively). */
function createActionHolds(c: CreateActionCondition, req: IamRequest): boolean {
  if (typeof req.createAction !== 'string') return false;
  if (req.action.slice(0, req.action.indexOf(':')).toLowerCase() !== c.service) return false;
  const got = req.createAction;
  return c.values.some((v) => (c.like ? compileGlob(v).test(got) : v === got));
}

/**
 * Whether a statement's Condition holds for a request: true (or no Condition), false, `unknown`, or in words which keys
 * the request does not say (`a Condition on aws:SourceIp`).
 */
export function conditionOf(st: Statement, req: IamRequest): boolean | 'unknown' | string {
  if (!st.conditional) return true;
  // A CreateAction condition the request knows of.
  if (st.createAction !== undefined && req.createAction !== undefined) return createActionHolds(st.createAction, req);
  if (!req.context || !st.condition) return 'unknown';
  const keys = new Map(req.context.keys);
  const service = req.action.slice(0, req.action.indexOf(':')).toLowerCase();
  if (typeof req.createAction === 'string') keys.set(`${service}:createaction`, req.createAction);
  // The account a resource's ARN names (an S3 ARN names none: unknown).
  const account = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(req.resource)?.[1];
  if (account) keys.set('aws:resourceaccount', account);
  // A call of its own carries no CreateAction key; what replay does not know of it, it does not claim.
  const absent = (k: string) => req.context!.absent(k) || (req.createAction === null && k.endsWith(':createaction'));
  const unknown = new Set<string>();
  const r = conditionsHold(st.condition, keys, absent, unknown);
  if (r !== 'unknown') return r;
  return unknown.size ? `a Condition on ${[...unknown].sort().join(', ')}` : 'unknown';
}

/**
 * A Condition that is a StringEquals on `iam:PassedToService` alone (as `generate` writes a role passed to a service):
 * its services; undefined for any other.
 */
export function passedToCondition(c: unknown): string[] | undefined {
  if (!isObj(c) || Object.keys(c).length !== 1 || !isObj(c['StringEquals'])) return undefined;
  const block = c['StringEquals'];
  const keys = Object.keys(block);
  if (keys.length !== 1 || keys[0]!.toLowerCase() !== 'iam:passedtoservice') return undefined;
  return strings(block[keys[0]!]);
}

/** Where an ARN pattern's resource part begins: after its fifth colon outside a variable (0 for no ARN). */
function resourcePart(p: string): number {
  if (!p.startsWith('arn:')) return 0;
  let colons = 0;
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    if (p.startsWith('${', i)) depth++;
    else if (p[i] === '}' && depth) depth--;
    else if (p[i] === ':' && !depth && ++colons === 5) return i + 1;
  }
  return p.length;
}

/**
 * A Resource pattern with the variables of its resource part made from the request (`substitute`): only the part after
 * an ARN's fifth colon takes variables (the IAM User Guide, "Where you can use policy variables"); one before it stays
 * as written, and matches nothing.
 */
export function madeResource(p: string, context: RequestContext): string | null | undefined {
  const at = resourcePart(p);
  if (!p.includes('${', at)) return p;
  const rest = substitute(p.slice(at), context, true);
  return typeof rest === 'string' ? p.slice(0, at) + rest : rest;
}
