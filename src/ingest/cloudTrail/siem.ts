import { deeperThan, isObj } from '../../util/json.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';

/**
 * CloudTrail records saved from a SIEM keep the record whole inside the SIEM's own wrapper:
 *
 * - Splunk (the AWS add-on indexes each record as its raw event): a search exported as JSON (`splunk search ...
 *   -output json`, the REST export with `output_mode=json`) writes one line per event, `{"preview": false, "offset":
 *   N, "result": {"_raw": "<record>", "_time", "sourcetype", ...}}`; a result saved alone is `{"_raw": ...}`;
 * - Elasticsearch / OpenSearch: a search answer `{"hits": {"hits": [{"_index", "_id", "_source": {...}}]}}` or its
 *   documents one per line; `_source` is the record, or, for ECS-mapped documents (Elastic's AWS integration), the
 *   record is kept as text in `event.original` (its other ECS fields are not read).
 *
 * Undefined when the value is no such wrapper.
 */

type Obj = Record<string, unknown>;

export type SiemUnwrapped = { records: { record: unknown; where: string }[] } | { problem: string; code: string };

export function siemRecords(v: Obj): SiemUnwrapped | undefined {
  const result = v['result'];
  if (isObj(result) && typeof result['_raw'] === 'string') return raw(result['_raw'], 'result._raw');
  if (typeof v['_raw'] === 'string') return raw(v['_raw'], '_raw');
  if (isObj(v['_source'])) return source(v['_source'], '_source');
  const hits = isObj(v['hits']) ? v['hits']['hits'] : undefined;
  if (Array.isArray(hits)) {
    const records: { record: unknown; where: string }[] = [];
    for (let i = 0; i < hits.length; i++) {
      const h = hits[i] as unknown;
      const r = isObj(h) && isObj(h['_source']) ? source(h['_source'], `hits.hits[${i}]._source`) : undefined;
      if (!r) return { code: 'cloudtrail.not-a-record', problem: `hits.hits[${i}] has no _source` };
      if ('problem' in r) return r;
      for (const x of r.records) records.push(x);
    }
    return { records };
  }
  return undefined;
}

function raw(text: string, where: string): SiemUnwrapped {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    return { code: 'json.malformed', problem: `${where} is not a CloudTrail record as JSON: ${errorText(e)}` };
  }
  if (deeperThan(record, MAX_DEPTH))
    return { code: 'json.too-deep', problem: `${where} nested deeper than ${MAX_DEPTH} levels of objects and arrays` };
  return { records: [{ record, where }] };
}

function source(s: Obj, where: string): SiemUnwrapped {
  if (typeof s['eventSource'] === 'string' || Array.isArray(s['Records'])) return { records: [{ record: s, where }] };
  const event = s['event'];
  const original = isObj(event) ? event['original'] : undefined;
  if (typeof original === 'string') return raw(original, `${where}.event.original`);
  return {
    code: 'cloudtrail.not-a-record',
    problem:
      `${where} holds no CloudTrail record (ECS fields are not read: keep the record in event.original, ` +
      'or index it as it is)',
  };
}
