import { deeperThan, type JsonObject } from '../util/json.js';
import { errorText, MAX_DEPTH } from './jsonLines.js';

/**
 * A record saved as a JSON string of its JSON text: what the AWS CLI prints for a query of the messages alone
 * (`aws logs filter-log-events --query 'events[].message'`, `aws cloudtrail lookup-events --query
 * 'Events[].CloudTrailEvent'`: an array of strings, one per line), and `jq '.events[].message'` (a string per line).
 * Only a value that is a string comes here (the readers' paths for objects are untouched): its text parsed, or what
 * is wrong with it, `expected` naming what the reader reads. Text that opens no object is not parsed.
 */
export function recordOfText(
  text: string,
  expected: string,
): { record: JsonObject } | { code: 'json.malformed' | 'json.too-deep' | 'not-a-record'; problem: string } {
  if (!/^\s*\{/.test(text))
    return { code: 'not-a-record', problem: `a JSON string whose text is no JSON object: expected ${expected}` };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    const n = text.length.toLocaleString('en-US');
    return {
      code: 'json.malformed',
      problem: `a JSON string whose text (${n} characters) is not valid JSON: ${errorText(e)}`,
    };
  }
  // Text of its own: the depth limit of the file's records holds for it (the line's count did not see inside).
  if (deeperThan(record, MAX_DEPTH))
    return {
      code: 'json.too-deep',
      problem: `a JSON string whose text nests deeper than ${MAX_DEPTH} levels of objects and arrays`,
    };
  return { record: record as JsonObject };
}
