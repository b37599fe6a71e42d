import type { InputIssue } from '../../model/issue.js';
import { shown } from '../../knowledge/kubernetes/names.js';
import { deeperThan, isObj } from '../../util/json.js';
import { errorText, MAX_DEPTH } from '../jsonLines.js';

/**
 * The answer of CloudTrail's LookupEvents saved to a file (`aws cloudtrail lookup-events > events.json`, a page or
 * all of them): `{"Events": [...], "NextToken": "..."}`, each element an Event whose `CloudTrailEvent` is the whole
 * CloudTrail record as JSON text. The other fields of an Event (`EventName`, `Username`, `Resources`...) are a summary
 * of that record: only the record is read, as `--cloudtrail-api` reads it (lookupSource.ts).
 */

/** One element's record, parsed, and the words that name the element in its issues. */
export interface LookedUpRecord {
  record: unknown;
  where: string;
}

/**
 * The records of a LookupEvents answer's `Events`, one at a time. An element that gives none (no object, no
 * `CloudTrailEvent`, one that is not a string, not JSON or nested deeper than MAX_DEPTH) is an issue at `loc` naming
 * the element and its EventId; the others are still read.
 */
export function* lookedUpRecords(
  events: unknown[],
  loc: { file: string; line: number },
  onIssue: (i: InputIssue) => void,
): Generator<LookedUpRecord> {
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const id = isObj(e) && typeof e['EventId'] === 'string' && e['EventId'] !== '' ? e['EventId'] : undefined;
    const where = id === undefined ? `Events[${i}]` : `Events[${i}], event ${shown(id)}`;
    const issue = (code: string, message: string) =>
      onIssue({ kind: 'issue', code, file: loc.file, line: loc.line, message: `${where}: ${message}` });
    if (!isObj(e)) {
      issue('cloudtrail.not-a-record', `${typeName(e)}, not a LookupEvents event`);
      continue;
    }
    const text = e['CloudTrailEvent'];
    if (typeof text !== 'string') {
      issue(
        'cloudtrail.not-a-record',
        text === undefined || text === null
          ? 'no CloudTrailEvent: the event carries no record'
          : `CloudTrailEvent is ${typeName(text)}, not the record as JSON text`,
      );
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      issue('json.malformed', `CloudTrailEvent is not valid JSON: ${errorText(err)}`);
      continue;
    }
    // JSON text of its own: the depth limit of the file's records holds for it (the file's scan did not see inside).
    if (deeperThan(record, MAX_DEPTH)) {
      issue('json.too-deep', `CloudTrailEvent nested deeper than ${MAX_DEPTH} levels of objects and arrays`);
      continue;
    }
    // The record's own eventID names it in its issues (record.ts): the element's index is enough beside it.
    const ownId = isObj(record) && typeof record['eventID'] === 'string' && record['eventID'] !== '';
    yield { record, where: ownId ? `Events[${i}]` : where };
  }
}

/** `null`, `a list`, `an object`, `a string`...: a JSON value's type in words. */
export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
