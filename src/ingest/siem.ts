import { isObj, type JsonObject as Obj } from '../util/json.js';
import { epochTime } from '../util/time.js';
import { shown } from '../knowledge/kubernetes/names.js';

/**
 * Logs saved from a SIEM or a log store keep each record whole inside the store's own wrapper, whatever the log:
 * every reader (`--k8s-audit`, `--cloudtrail`, `--flows`) unwraps the same shapes here and judges what it finds as
 * its own.
 *
 * - Splunk, which indexes each record as its raw event: a search exported as JSON (`splunk search … -output json`,
 *   the REST export with `output_mode=json`) writes one line per event, `{"preview": false, "offset": N, "result":
 *   {"_raw": "<record>", "_time", "sourcetype", …}}`; a result saved alone is `{"_raw": …}`; a search job's results
 *   (`…/search/jobs/<sid>/results?output_mode=json`) are one document `{"preview", "init_offset", "messages",
 *   "fields", "results": [{"_raw", …}, …]}`.
 * - Elasticsearch / OpenSearch: a search answer `{"hits": {"hits": [{"_index", "_id", "_source": {…}}]}}`, or its
 *   documents one per line as dump tools write them. What `_source` holds depends on how the log was indexed (the
 *   record as it is, or an integration's mapping of it): the reader of each log says which (`OwnRecord`); a shipper
 *   that did not decode the line keeps the record's JSON text in `message` (Filebeat without `decode_json_fields`).
 * - Grafana Loki: `logcli query --output jsonl` writes a line per entry, `{"labels": {…}, "line": "<record>",
 *   "timestamp": "<RFC 3339>"}` (labels absent with `--no-labels`); the HTTP API's query answer
 *   (`/loki/api/v1/query_range`) is `{"status", "data": {"resultType": "streams", "result": [{"stream": {…},
 *   "values": [["<epoch ns>", "<record>"], …]}]}}`, a value's third element (structured metadata) not read.
 */

/** A record inside a SIEM's wrapper: its text (Splunk's `_raw`) or an object (from a document's `_source`). */
export type SiemRecord =
  | { where: string; value: string | Obj; time?: unknown; envelope: SiemEnvelope }
  | { where: string; problem: string; envelope: SiemEnvelope };

export type SiemEnvelope = 'splunk' | 'elasticsearch' | 'loki';

/** What a reader finds in a document's `_source`: its record (as it is, or from an integration's mapping). */
export type OwnRecord = (source: Obj) => { value: string | Obj; where?: string } | undefined;

/** Which SIEM's wrapper a parsed JSON object is, by its fields, or undefined. */
export function siemEnvelope(v: Obj): SiemEnvelope | undefined {
  if (typeof v['_raw'] === 'string') return 'splunk';
  const result = v['result'];
  if (isObj(result) && (typeof result['_raw'] === 'string' || 'preview' in v || 'offset' in v)) return 'splunk';
  if (Array.isArray(v['results']) && ('preview' in v || 'init_offset' in v)) return 'splunk';
  if (isObj(v['_source'])) return 'elasticsearch';
  const hits = v['hits'];
  if (isObj(hits) && Array.isArray(hits['hits'])) return 'elasticsearch';
  if (typeof v['line'] === 'string' && ('timestamp' in v || isObj(v['labels']))) return 'loki';
  const data = v['data'];
  if (typeof v['status'] === 'string' && isObj(data) && typeof data['resultType'] === 'string') return 'loki';
  return undefined;
}

/**
 * Every record a SIEM's wrapper holds, in order (none when it is no such wrapper). Splunk's `_raw` is the record's
 * text; of an Elasticsearch document, what `own` finds in its `_source`, else the record an ECS-mapped document kept
 * as text in `event.original` (Elastic's integrations keep it when asked, `preserve_original_event`), else the JSON
 * text of an object in `message` (a line shipped as it came), else a problem naming `what` is missing. An element of
 * the wrapper that holds no record is a problem of its own; the others are read.
 */
export function siemRecords(v: Obj, what: string, own: OwnRecord): SiemRecord[] {
  const envelope = siemEnvelope(v);
  if (envelope === 'splunk') {
    if (typeof v['_raw'] === 'string') return [{ envelope, where: '_raw', value: v['_raw'], time: v['_time'] }];
    const result = v['result'];
    if (isObj(result)) return [splunkResult(result, 'result')];
    return (v['results'] as unknown[]).map((r, i) =>
      isObj(r)
        ? splunkResult(r, `results[${i}]`)
        : { envelope, where: `results[${i}]`, problem: 'is not a result object' },
    );
  }
  if (envelope === undefined) return [];
  if (envelope === 'loki') return lokiRecords(v);
  const doc = (s: Obj, where: string): SiemRecord => {
    const time = s['@timestamp'];
    const mine = own(s);
    if (mine) return { envelope, where: mine.where ? `${where}.${mine.where}` : where, value: mine.value, time };
    const original = ecsOriginal(s);
    if (original !== undefined) return { envelope, where: `${where}.event.original`, value: original, time };
    // A shipper that kept the line as it came (Filebeat's `message`, no decode_json_fields): the record's JSON text.
    const line = s['message'];
    if (typeof line === 'string' && /^\s*\{/.test(line))
      return { envelope, where: `${where}.message`, value: line, time };
    const problem = `holds no ${what} (ECS fields are not read: keep the record in event.original, or index it as it is)`;
    return { envelope, where, problem };
  };
  if (isObj(v['_source'])) return [doc(v['_source'], '_source')];
  return ((v['hits'] as Obj)['hits'] as unknown[]).map((h, i) =>
    isObj(h) && isObj(h['_source'])
      ? doc(h['_source'], `hits.hits[${i}]._source`)
      : { envelope, where: `hits.hits[${i}]`, problem: 'has no _source' },
  );
}

function splunkResult(r: Obj, where: string): SiemRecord {
  const envelope = 'splunk';
  if (typeof r['_raw'] === 'string') return { envelope, where: `${where}._raw`, value: r['_raw'], time: r['_time'] };
  const problem = 'has no _raw: the search kept fields, not the events (export them without `| table` or `| stats`)';
  return { envelope, where, problem };
}

/** The record an ECS-mapped document kept as text in `event.original`, or undefined. */
export function ecsOriginal(s: Obj): string | undefined {
  const event = s['event'];
  const original = isObj(event) ? event['original'] : undefined;
  return typeof original === 'string' ? original : undefined;
}

function lokiRecords(v: Obj): SiemRecord[] {
  const envelope = 'loki';
  if (typeof v['line'] === 'string') return [{ envelope, where: 'line', value: v['line'], time: v['timestamp'] }];
  const data = v['data'] as Obj;
  if (data['resultType'] !== 'streams' || !Array.isArray(data['result'])) {
    const problem = `is ${shown(String(data['resultType']))}, not streams: a metric query's samples, not log lines`;
    return [{ envelope, where: 'data.resultType', problem }];
  }
  const out: SiemRecord[] = [];
  data['result'].forEach((stream: unknown, i) => {
    const values = isObj(stream) ? stream['values'] : undefined;
    if (!Array.isArray(values))
      return void out.push({ envelope, where: `data.result[${i}]`, problem: 'has no values' });
    values.forEach((pair: unknown, j) => {
      const where = `data.result[${i}].values[${j}]`;
      if (Array.isArray(pair) && typeof pair[1] === 'string')
        out.push({ envelope, where, value: pair[1], time: nsTime(pair[0]) });
      else out.push({ envelope, where, problem: 'is not a [time, line] pair' });
    });
  });
  return out;
}

/** Loki's time of an entry, epoch nanoseconds as text, as an RFC 3339 time (microseconds); else as it is. */
function nsTime(t: unknown): unknown {
  if (typeof t !== 'string' || !/^\d{10,19}$/.test(t)) return t;
  return epochTime(Number(t.slice(0, -3)), 1) ?? t;
}
