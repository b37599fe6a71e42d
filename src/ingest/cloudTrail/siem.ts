import { deeperThan, type JsonObject as Obj } from '../../util/json.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';
import { siemEnvelope, siemRecords } from '../siem.js';

/**
 * CloudTrail records saved from a SIEM (../siem.ts unwraps Splunk's and Elasticsearch's wrappers): Splunk's `_raw`
 * is the record as JSON text; an Elasticsearch document's `_source` is the record as it is, or, for ECS-mapped
 * documents (Elastic's AWS integration), the record kept as text in `event.original` (its other ECS fields are not
 * read). Each element is the record or what is wrong with it (`where` names it: `hits.hits[2]._source`).
 *
 * Undefined when the value is no such wrapper.
 */
export type InSiem = { record: unknown; where: string } | { where: string; code: string; problem: string };

export function cloudTrailInSiem(v: Obj): InSiem[] | undefined {
  if (siemEnvelope(v) === undefined) return undefined;
  return siemRecords(v, 'CloudTrail record', ownRecord).map((r): InSiem => {
    if ('problem' in r) return { where: r.where, code: 'cloudtrail.not-a-record', problem: r.problem };
    return typeof r.value === 'string' ? raw(r.value, r.where) : { record: r.value, where: r.where };
  });
}

const ownRecord = (s: Obj) =>
  typeof s['eventSource'] === 'string' || Array.isArray(s['Records']) ? { value: s } : undefined;

function raw(text: string, where: string): InSiem {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    return { where, code: 'json.malformed', problem: `is not a CloudTrail record as JSON: ${errorText(e)}` };
  }
  if (deeperThan(record, MAX_DEPTH))
    return { where, code: 'json.too-deep', problem: `nested deeper than ${MAX_DEPTH} levels of objects and arrays` };
  return { record, where };
}
