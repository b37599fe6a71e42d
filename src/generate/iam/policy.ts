/** An IAM identity policy document, keys in AWS's order. */
import { pushAll } from '../../util/array.js';
export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[] | '*';
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** AWS's limit for a customer managed policy, counted without white space. */
export const MANAGED_POLICY_LIMIT = 6144;

/** Size as IAM counts it: the JSON without white space. */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

/** Serialise with a fixed key order (Sid, Effect, Action, Resource) and a final newline. */
export function serializePolicy(doc: PolicyDocument): string {
  const ordered = {
    Version: doc.Version,
    Statement: doc.Statement.map((s) => ({ Sid: s.Sid, Effect: s.Effect, Action: s.Action, Resource: s.Resource })),
  };
  return JSON.stringify(ordered, null, 2) + '\n';
}

/**
 * Pack statements into as few documents as fit the managed-policy limit, in order. A statement too
 * big for one document is split by its resources into parts (`Sid` + `Part2`...).
 */
export function splitPolicy(statements: Statement[], limit = MANAGED_POLICY_LIMIT): PolicyDocument[] {
  const empty = (): PolicyDocument => ({ Version: '2012-10-17', Statement: [] });
  const pieces: Statement[] = [];
  for (const s of statements) pushAll(pieces, splitStatement(s, limit));
  const docs: PolicyDocument[] = [];
  let cur = empty();
  for (const s of pieces) {
    const next: PolicyDocument = { ...cur, Statement: [...cur.Statement, s] };
    if (cur.Statement.length > 0 && policySize(next) > limit) {
      docs.push(cur);
      cur = { ...empty(), Statement: [s] };
    } else cur = next;
  }
  if (cur.Statement.length > 0) docs.push(cur);
  return docs;
}

function splitStatement(s: Statement, limit: number): Statement[] {
  const fits = (st: Statement) => policySize({ Version: '2012-10-17', Statement: [st] }) <= limit;
  if (fits(s) || s.Resource === '*' || s.Resource.length <= 1) return [s];
  const out: Statement[] = [];
  let cur: string[] = [];
  const make = (resources: string[], i: number): Statement => ({
    ...s,
    Sid: i === 0 ? s.Sid : `${s.Sid}Part${i + 1}`,
    Resource: resources,
  });
  for (const r of s.Resource) {
    if (cur.length > 0 && !fits(make([...cur, r], out.length))) {
      out.push(make(cur, out.length));
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) out.push(make(cur, out.length));
  return out;
}
