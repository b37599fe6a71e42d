import type { ConditionBlock } from '../../verify/iam/conditions.js';
import { effectStatements, type NamedPolicy } from '../../verify/iam/evaluate.js';
import { isObj } from '../../util/json.js';

/**
 * A diff asks a conditional Allow's grants of the other side (compare.ts). Where the other side allows the same
 * action on the same resource under a Condition of the same meaning, in a statement written otherwise (actions
 * reordered or in another case, a string for a list of one, the statement split in two), the grant is no change:
 * the same as a statement the other side has word for word.
 */

/**
 * A Condition block's meaning as text: operators as written, keys lower-cased (the IAM User Guide: condition key
 * names are not case-sensitive), each key's values as a sorted set of strings (a value, or a list in any order: its
 * values are alternatives). Undefined when two keys of one operator differ only in case.
 */
export function conditionText(c: ConditionBlock): string | undefined {
  const ops: [string, [string, string[]][]][] = [];
  for (const op of Object.keys(c).sort()) {
    const keys = new Map<string, string[]>();
    for (const [k, v] of Object.entries(c[op]!)) {
      const key = k.toLowerCase();
      if (keys.has(key)) return undefined;
      keys.set(key, [...new Set((Array.isArray(v) ? v : [v]).map((x) => String(x)))].sort());
    }
    ops.push([op, [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))]);
  }
  return JSON.stringify(ops);
}

const cache = new WeakMap<readonly NamedPolicy[], Map<string, NamedPolicy[]>>();

/**
 * The policies as they stand where Condition `text` holds and nothing else is known: an Allow whose Condition
 * means the same (conditionText) without it, every other conditional Allow left out; Deny statements, boundaries
 * and policies not read as they are.
 */
export function underCondition(policies: readonly NamedPolicy[], text: string): NamedPolicy[] {
  let byText = cache.get(policies);
  if (!byText) cache.set(policies, (byText = new Map()));
  const hit = byText.get(text);
  if (hit) return hit;
  const out = policies.map((p): NamedPolicy => {
    if (p.boundary || p.unknown !== undefined) return p;
    const stmts = effectStatements(p.document, 'a policy document');
    if (typeof stmts === 'string') return p;
    const kept: Record<string, unknown>[] = [];
    for (const { s, effect } of stmts) {
      const c = s['Condition'];
      if (effect === 'Deny' || c === undefined) kept.push(s);
      else if (isObj(c) && Object.values(c).every(isObj) && conditionText(c as ConditionBlock) === text) {
        const { Condition: _c, ...rest } = s;
        kept.push(rest);
      }
    }
    return { ...p, document: { ...(isObj(p.document) ? p.document : {}), Statement: kept } };
  });
  byText.set(text, out);
  return out;
}
