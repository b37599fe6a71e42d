import { isObj, type JsonObject as Obj } from '../util/json.js';

/**
 * Logs saved from a SIEM keep each record whole inside the SIEM's own wrapper, whatever the log: every reader
 * (`--k8s-audit`, `--cloudtrail`, `--flows`) unwraps the same shapes here and judges what it finds as its own.
 *
 * - Splunk, which indexes each record as its raw event: a search exported as JSON (`splunk search … -output json`,
 *   the REST export with `output_mode=json`) writes one line per event, `{"preview": false, "offset": N, "result":
 *   {"_raw": "<record>", "_time", "sourcetype", …}}`; a result saved alone is `{"_raw": …}`; a search job's results
 *   (`…/search/jobs/<sid>/results?output_mode=json`) are one document `{"preview", "init_offset", "messages",
 *   "fields", "results": [{"_raw", …}, …]}`.
 * - Elasticsearch / OpenSearch: a search answer `{"hits": {"hits": [{"_index", "_id", "_source": {…}}]}}`, or its
 *   documents one per line as dump tools write them. What `_source` holds depends on how the log was indexed (the
 *   record as it is, or an integration's mapping of it): the reader of each log says which (`OwnRecord`).
 */

/** A record inside a SIEM's wrapper: its text (Splunk's `_raw`) or an object (from a document's `_source`). */
export type SiemRecord =
  | { where: string; value: string | Obj; time?: unknown; envelope: SiemEnvelope }
  | { where: string; problem: string; envelope: SiemEnvelope };

export type SiemEnvelope = 'splunk' | 'elasticsearch';

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
  return undefined;
}

/**
 * Every record a SIEM's wrapper holds, in order (none when it is no such wrapper). Splunk's `_raw` is the record's
 * text; of an Elasticsearch document, what `own` finds in its `_source`, else the record an ECS-mapped document kept
 * as text in `event.original` (Elastic's integrations keep it when asked, `preserve_original_event`), else a problem
 * naming `what` is missing. An element of the wrapper that holds no record is a problem of its own; the others are
 * read.
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
  const doc = (s: Obj, where: string): SiemRecord => {
    const time = s['@timestamp'];
    const mine = own(s);
    if (mine) return { envelope, where: mine.where ? `${where}.${mine.where}` : where, value: mine.value, time };
    const original = ecsOriginal(s);
    if (original !== undefined) return { envelope, where: `${where}.event.original`, value: original, time };
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
