import type { ImpliedPermission } from '../../model/observation.js';
import { DYNAMODB_REQUEST_ACTIONS } from '../../knowledge/aws/actions.js';
import { compareTuples, tupleKey } from '../../util/key.js';
import { isObj } from '../../util/json.js';
import type { CallContext } from './resources.js';
import { own } from '../../util/own.js';

/**
 * The item actions of DynamoDB calls whose permissions depend on the request, as implied permissions:
 * each operation of a TransactWriteItems (`requestParameters.requestItems[].operation`: Put, Update,
 * Delete, ConditionCheck, each with its `tableName`), and the verb and table of a PartiQL statement
 * (`requestParameters.statement`, or `requestItems[].statement` for a batch), as the DynamoDB developer
 * guide shows these records ("Understanding DynamoDB log file entries"). One permission per distinct
 * (action, table). Where the record does not say (no request parameters), every action the operation
 * can need, with the reason in `via`, so the widening is listed, never silent.
 */
type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `"Music"`, `Music`, `"Music"."Index"`: the identifier forms of PartiQL for DynamoDB. */
const IDENT = '"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*)';
const STATEMENT = new RegExp(
  `^\\s*(?:(SELECT)\\b[\\s\\S]*?\\bFROM|(INSERT)\\s+INTO|(UPDATE)|(DELETE)\\s+FROM)\\s+(?:${IDENT})(?:\\s*\\.\\s*(?:${IDENT}))?`,
  'i',
);
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export function requestActions(
  eventName: string,
  params: unknown,
  c: CallContext,
  /** The call's resources: a table named there stands in for one the request does not name. */
  resources: string[],
): ImpliedPermission[] {
  const kind = own(DYNAMODB_REQUEST_ACTIONS.events, eventName);
  if (!kind) return [];
  const table = (name: string) =>
    TABLE_NAME.test(name) ? `arn:${c.partition}:dynamodb:${c.region}:${c.account}:table/${name}` : '';
  const tables = resources.filter((r) => /:dynamodb:[^:]*:[^:]*:table\/[^/]+$/.test(r));
  const fallback = tables.length === 1 ? tables[0]! : '';
  const out = new Map<string, ImpliedPermission>();
  const add = (action: string, resource: string, via: string) =>
    out.set(tupleKey(action, resource, via), { action, resource, via });
  const p: Obj = isObj(params) ? params : {};
  if (kind === 'operation') {
    const items = Array.isArray(p['requestItems']) ? p['requestItems'].filter(isObj) : [];
    for (const it of items) {
      const op = str(it['operation']);
      const action = own(DYNAMODB_REQUEST_ACTIONS.operation, op);
      const name = str(it['tableName']) || str(it['TableName']);
      const res = name ? table(name) : fallback;
      if (action) add(action, res, `requestParameters.requestItems[].operation ${op}`);
      else
        everything(
          add,
          'operation',
          res,
          `requestParameters.requestItems[].operation ${JSON.stringify(op.slice(0, 40))} is none AWS documents`,
        );
    }
    if (items.length === 0)
      everything(add, 'operation', fallback, 'requestParameters.requestItems is not in the record');
  } else {
    const statements: [string, string][] = [];
    if (typeof p['statement'] === 'string') statements.push([p['statement'], 'requestParameters.statement']);
    if (Array.isArray(p['requestItems']))
      for (const it of p['requestItems'])
        if (isObj(it) && typeof it['statement'] === 'string')
          statements.push([it['statement'], 'requestParameters.requestItems[].statement']);
    for (const [text, where] of statements) {
      const m = STATEMENT.exec(text);
      if (!m) {
        everything(add, 'statement', fallback, `${where} is no PartiQL statement AWS documents`);
        continue;
      }
      const verb = (m[1] ?? m[2] ?? m[3] ?? m[4]!).toUpperCase();
      const name = (m[5] ?? m[6] ?? '').replace(/""/g, '"');
      const index = (m[7] ?? m[8] ?? '').replace(/""/g, '"');
      let res = name ? table(name) : fallback;
      // A SELECT on an index is authorized on the index ("permission on the table or index").
      if (res && index && verb === 'SELECT') res = TABLE_NAME.test(index) ? `${res}/index/${index}` : '';
      add(DYNAMODB_REQUEST_ACTIONS.statement[verb]!, res, `${where} ${verb}`);
    }
    if (statements.length === 0)
      everything(add, 'statement', fallback, 'requestParameters has no statement in the record');
  }
  const order = (i: ImpliedPermission) => [i.action, i.resource, i.via];
  return [...out.values()].sort((a, b) => compareTuples(order(a), order(b)));
}

/** Every action an operation or a statement can need, when the record does not say which. */
function everything(
  add: (action: string, resource: string, via: string) => void,
  kind: 'operation' | 'statement',
  resource: string,
  why: string,
): void {
  for (const action of new Set(Object.values(DYNAMODB_REQUEST_ACTIONS[kind])))
    add(action, resource, `${why}: every action it can need`);
}

/** The call's implied permissions with its request's item actions (DynamoDB only; others unchanged). */
export function withRequestActions(
  implied: ImpliedPermission[],
  service: string,
  eventName: string,
  params: unknown,
  c: CallContext,
  resources: string[],
): ImpliedPermission[] {
  if (service !== 'dynamodb') return implied;
  const extra = requestActions(eventName, params, c, resources);
  if (extra.length === 0) return implied;
  const order = (i: ImpliedPermission) => [i.action, i.resource, i.via];
  return [...implied, ...extra].sort((a, b) => compareTuples(order(a), order(b)));
}
