import type { Location } from '../../model/finding.js';
import type { IamPolicySet } from '../../verify/iam.js';
import { grantingPolicies, readStatements } from '../../verify/iam/evaluate.js';

/** Statements compared word for word between the sides of a diff (compare.ts), and the lines they stand on. */

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

// Lines of each statement per policy file, indexed once per file text (a policy of 10,000 statements is located in
// one pass, not one scan per statement).
const statementLines = new Map<string, { text: string; sids: Map<string, number>; firstAllow: number }>();

/** The line of the statement's Sid (the first Allow for a statement without one), else line 1. */
export function statementLine(file: string, text: string | undefined, sid: string): Location {
  let c = statementLines.get(file);
  if (!c || c.text !== (text ?? '')) {
    c = { text: text ?? '', sids: new Map(), firstAllow: 0 };
    for (const [i, line] of c.text.split('\n').entries()) {
      for (const m of line.matchAll(/"Sid"\s*:\s*"([^"]*)"/g)) if (!c.sids.has(m[1]!)) c.sids.set(m[1]!, i + 1);
      if (!c.firstAllow && /"Effect"\s*:\s*"Allow"/.test(line)) c.firstAllow = i + 1;
    }
    statementLines.set(file, c);
  }
  return { file, line: (sid.startsWith('#') ? c.firstAllow : c.sids.get(sid)) || 1 };
}
