import type { IamPolicySet } from '../../verify/iam.js';
import { grantingPolicies, readStatements } from '../../verify/iam/evaluate.js';

/** Statements compared word for word between the sides of a diff (compare.ts). */

/** A statement word for word, its Sid aside, keys sorted: the same permission whatever its place or Sid. */
export function statementKey(principal: string, doc: unknown, index: number): string {
  const raw = (doc as { Statement?: unknown }).Statement;
  const s = (Array.isArray(raw) ? raw[index] : raw) as Record<string, unknown>;
  const { Sid: _sid, ...rest } = s;
  return JSON.stringify([principal, sorted(rest)]);
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}

const keysOf = new WeakMap<IamPolicySet, Set<string>>();

/** The keys of every statement of a side, per principal (built once per side). */
export function statementKeys(set: IamPolicySet): Set<string> {
  let keys = keysOf.get(set);
  if (keys) return keys;
  keys = new Set();
  for (const [principal, policies] of set.byPrincipal)
    for (const pol of grantingPolicies(policies)) {
      const stmts = readStatements(pol.document);
      if (typeof stmts !== 'string') for (const i of stmts.keys()) keys.add(statementKey(principal, pol.document, i));
    }
  keysOf.set(set, keys);
  return keys;
}
