import { jsonSafe } from '../../util/escape.js';

/** An IAM identity policy document, keys in AWS's order, and how statements are packed into documents. */
export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[] | '*';
  /**
   * Tag on create only, `{"StringEquals": {"ec2:CreateAction": ["RunInstances"]}}` (knowledge/aws/createAction.ts),
   * or a role passed to these services only, `{"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}}`.
   */
  Condition?: { StringEquals: Record<string, string[]> };
}

/** A statement's fields in AWS's order (Sid, Effect, Action, Resource, Condition). */
const ordered = (s: Statement) => ({
  Sid: s.Sid,
  Effect: s.Effect,
  Action: s.Action,
  Resource: s.Resource,
  ...(s.Condition ? { Condition: s.Condition } : {}),
});

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** AWS's limit for a customer managed policy, counted without white space. */
export const MANAGED_POLICY_LIMIT = 6144;
/** Managed policies one role or user takes by default, and with a quota increase. */
export const ATTACHED_POLICIES = 10;
export const ATTACHED_POLICIES_MAX = 20;

/**
 * Size as IAM counts it: the JSON without white space between its tokens. White space inside a name (an
 * object key with a space) is counted: the safe side, never over the limit.
 */
export function policySize(doc: PolicyDocument): number {
  return jsonSafe(JSON.stringify(doc)).length;
}

/**
 * Serialise with a fixed key order (Sid, Effect, Action, Resource, Condition) and a final newline. An S3 key may hold
 * any character, so a resource may hold a bidirectional override or an invisible one: written as a JSON escape
 * (`jsonSafe`), the same policy once parsed; sizes are counted as written.
 */
export function serializePolicy(doc: PolicyDocument): string {
  const out = { Version: doc.Version, Statement: doc.Statement.map(ordered) };
  return jsonSafe(JSON.stringify(out, null, 2)) + '\n';
}

const DOC_OVERHEAD = policySize({ Version: '2012-10-17', Statement: [] });
const stmtSize = (s: Statement) => jsonSafe(JSON.stringify(ordered(s))).length;

/** One document being filled: its statements with where they came from, and its size without the overhead. */
interface Bin {
  items: { order: number; part: number; st: Statement }[];
  used: number;
}
const room = (b: Bin, cap: number) => cap - b.used - (b.items.length ? 1 : 0);
function put(b: Bin, order: number, part: number, st: Statement, size: number): void {
  b.used += size + (b.items.length ? 1 : 0);
  b.items.push({ order, part, st });
}

/**
 * Pack statements into as few documents as the managed-policy limit allows: first fit, largest statement first.
 * A statement is split only when it is too big for a document alone: by its resources (by its actions when it
 * names one resource or `*`), its pieces filling the room left in the documents already made, then new ones
 * each filled to the limit; the first piece keeps its `Sid`, the others get `Sid` + `Part2`....
 * Inside a document statements keep their given order; documents are ordered by their first statement.
 * Deterministic: ties keep the given order.
 */
export function splitPolicy(statements: Statement[], limit = MANAGED_POLICY_LIMIT): PolicyDocument[] {
  const cap = limit - DOC_OVERHEAD;
  const sized = statements.map((st, order) => ({ st, order, size: stmtSize(st) }));
  sized.sort((a, b) => b.size - a.size || a.order - b.order);
  const bins: Bin[] = [];
  for (const { st, order, size } of sized) {
    const fit = bins.find((b) => room(b, cap) >= size);
    if (fit) {
      put(fit, order, 1, st, size);
      continue;
    }
    const field = splitField(st);
    if (field && size > cap) {
      fillGaps(bins, st, order, field, cap);
      continue;
    }
    // Alone in a new document (over the limit only when it is one action on one resource: nothing to split).
    const b: Bin = { items: [], used: 0 };
    put(b, order, 1, st, size);
    bins.push(b);
  }
  for (const b of bins) b.items.sort((x, y) => x.order - y.order || x.part - y.part);
  bins.sort((x, y) => x.items[0]!.order - y.items[0]!.order || x.items[0]!.part - y.items[0]!.part);
  return bins.map((b) => ({ Version: '2012-10-17', Statement: b.items.map((i) => i.st) }));
}

/** Which list a statement is split along: its resources, else its actions; undefined when it has one of each. */
function splitField(st: Statement): 'Resource' | 'Action' | undefined {
  if (st.Resource !== '*' && st.Resource.length > 1) return 'Resource';
  return st.Action.length > 1 ? 'Action' : undefined;
}

/** Place `st` in pieces: into the room left in existing documents (in order), then into new documents. */
function fillGaps(bins: Bin[], st: Statement, order: number, field: 'Resource' | 'Action', cap: number): void {
  const list = st[field] as string[];
  let next = 0;
  let part = 1;
  const piece = (): Statement => ({ ...st, Sid: part === 1 ? st.Sid : `${st.Sid}Part${part}`, [field]: [] });
  const take = (b: Bin, allowEmpty: boolean): boolean => {
    const base = piece();
    let size = stmtSize(base);
    const free = room(b, cap);
    if (size >= free && !allowEmpty) return false;
    const from = next;
    for (; next < list.length; next++) {
      const add = JSON.stringify(list[next]).length + (next > from ? 1 : 0);
      if (size + add > free && (next > from || !allowEmpty)) break;
      size += add;
    }
    if (next === from) return false;
    put(b, order, part, { ...base, [field]: list.slice(from, next) }, size);
    part++;
    return true;
  };
  for (const b of bins) {
    if (next >= list.length) break;
    take(b, false);
  }
  while (next < list.length) {
    const b: Bin = { items: [], used: 0 };
    bins.push(b);
    take(b, true);
  }
}
