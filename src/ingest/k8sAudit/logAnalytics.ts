import { isObj } from '../../util/json.js';
import { put } from '../../util/own.js';
import { shown } from '../../knowledge/kubernetes/names.js';

/**
 * Log Analytics' query API answers with tables of columns and rows (Azure Monitor, "Log Analytics API response
 * format"): `{"tables": [{"name": "PrimaryResult", "columns": [{"name", "type"}...], "rows": [[...]...]}]}`, as
 * `api.loganalytics.io/v1/workspaces/{id}/query` (or `az rest` on it) returns it. Each row is turned into the object
 * of its columns by name (a dynamic column stays the JSON text the API gives), which is a row of AKSAudit,
 * AKSAuditAdmin or AzureDiagnostics as an export of the results holds it (aks.ts, envelopes.ts). A query that met a
 * non-fatal error still answers, with an `error` (code `PartialError`) beside the tables: its results are incomplete.
 */

type Obj = Record<string, unknown>;

export type AnswerItem = { row: Obj; where: string } | { problem: string; where: string };

/** Whether a JSON object is a query answer: a list of tables, each with columns. */
export function isLogAnalyticsAnswer(v: Obj): boolean {
  const tables = v['tables'];
  return Array.isArray(tables) && tables.every((t) => isObj(t) && 'columns' in t && 'rows' in t);
}

/** The rows of every table, each as the object of its columns; a table or row that cannot be read, as a problem. */
export function* answerRows(v: Obj): Generator<AnswerItem> {
  const tables = v['tables'] as Obj[];
  for (let t = 0; t < tables.length; t++) {
    const where = `tables[${t}]`;
    const columns = tables[t]!['columns'];
    const rows = tables[t]!['rows'];
    if (!Array.isArray(columns) || !columns.every((c) => isObj(c) && typeof c['name'] === 'string')) {
      yield { problem: 'columns is not a list of named columns', where };
      continue;
    }
    if (!Array.isArray(rows)) {
      yield { problem: 'rows is not a list', where };
      continue;
    }
    const names = columns.map((c) => (c as Obj)['name'] as string);
    // Rows are read by column name: two columns of one name would leave one value of the two, chosen silently.
    const seen = new Set<string>();
    const twice = names.find((n) => seen.size === seen.add(n).size);
    if (twice !== undefined) {
      yield { problem: `the column ${shown(twice)} is named twice: its rows are not read`, where };
      continue;
    }
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as unknown;
      const at = `${where}.rows[${r}]`;
      if (!Array.isArray(row) || row.length !== names.length) {
        const got = Array.isArray(row) ? `${row.length} values` : 'not a list of values';
        yield { problem: `${got} for the table's ${names.length} columns`, where: at };
        continue;
      }
      const o: Obj = {};
      names.forEach((n, i) => put(o, n, row[i]));
      yield { row: o, where: at };
    }
  }
}

/** The answer's error in words when it has one (its results are then incomplete), else undefined. */
export function answerError(v: Obj): string | undefined {
  const e = v['error'];
  if (e === undefined || e === null) return undefined;
  const text = (x: unknown) => (typeof x === 'string' ? shown(x) : '');
  if (!isObj(e)) return 'an error';
  return [text(e['code']), text(e['message'])].filter(Boolean).join(' ') || 'an error';
}
