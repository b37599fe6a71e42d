import { compileGlob } from '../../util/glob.js';
import { stringList as strings } from './evaluate.js';
import type { TrustStatement } from './trust.js';

/**
 * A trust statement's Condition against what an assumption's request says, with IAM's operators (the IAM User
 * Guide's "IAM JSON policy elements: Condition operators"): String and Arn operators, their negations and
 * `IfExists`, `Null`, and the `ForAnyValue:`/`ForAllValues:` qualifiers of one value. Anything else, or a policy
 * variable in a value, is not judged: unknown, never allowed.
 */
type Tri = true | false | 'unknown';

/**
 * One condition block (an operator and its keys) against what the request says: `context` maps lower-case keys to
 * their value; a key in `absent` is known not to be in the request; any other key is not known.
 */
function conditionHolds(
  operator: string,
  keys: Record<string, unknown>,
  context: ReadonlyMap<string, string>,
  absent: (key: string) => boolean,
): Tri {
  const m = /^(ForAnyValue:|ForAllValues:)?(.+?)(IfExists)?$/.exec(operator);
  if (!m) return 'unknown';
  const [, set, base, ifExists] = m;
  let result: Tri = true;
  for (const [rawKey, rawValues] of Object.entries(keys)) {
    const key = rawKey.toLowerCase();
    const value = context.get(key);
    if (value === undefined && !absent(key)) {
      result = 'unknown';
      continue;
    }
    let holds: boolean | undefined;
    if (base === 'Null') {
      const v = typeof rawValues === 'boolean' ? String(rawValues) : strings(rawValues)?.[0];
      if (v !== 'true' && v !== 'false') return 'unknown';
      holds = (value === undefined) === (v === 'true');
    } else {
      const values = strings(rawValues);
      if (!values) return 'unknown';
      const negated = /^(String|Arn)Not/.test(base!);
      const like = /Like$/.test(base!);
      const fold = /IgnoreCase$/.test(base!);
      // ArnEquals and ArnLike match alike: each of an ARN's six parts on its own, with wildcards (IAM's operators).
      const arn = /^Arn(Not)?(Equals|Like)$/.test(base!);
      if (!arn && !/^String(Not)?(Equals|EqualsIgnoreCase|Like)$/.test(base!)) return 'unknown';
      if (values.some((v) => v.includes('${'))) return 'unknown';
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
        holds = negated ? !any : any;
      }
    }
    if (!holds) return false;
  }
  return result;
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

export function statementHolds(
  st: TrustStatement,
  context: ReadonlyMap<string, string>,
  absent: (k: string) => boolean,
): Tri {
  let result: Tri = true;
  for (const [op, keys] of Object.entries(st.condition)) {
    const r = conditionHolds(op, keys, context, absent);
    if (r === false) return false;
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}
