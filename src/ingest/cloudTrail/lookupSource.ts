import { ISSUE_SAMPLE_LIMIT, type Profile, type SourceRecord } from '../../model/profile.js';
import { ProfileBuilder } from '../../profile/builder.js';
import type { DeferredAws } from '../../profile/deferred.js';
import type { Scope } from '../../profile/scope.js';
import { deeperThan, isObj } from '../../util/json.js';
import type { InputIssue } from '../../model/issue.js';
import { shown } from '../../knowledge/kubernetes/names.js';
import { MAX_DEPTH } from '../jsonLines.js';
import { UnreadableInputError } from '../inputs.js';
import { addNotice, emptyNotices, noticeFields } from '../notices.js';
import type { Progress } from '../task.js';
import { decodeCloudTrailValue } from './decode.js';
import { lookupEvents, type LookupOptions } from './lookupEvents.js';

/**
 * Read CloudTrail's LookupEvents API for each region into a profile of its own (merged by the caller).
 * Each region is one source, `cloudtrail-api:<region>`; an answer the API gives that is no record is an
 * issue of that source, and a failed request (after the SDK's retries) makes the input unreadable.
 */
export async function readLookupEvents(
  api: { regions: string[]; options: Omit<LookupOptions, 'region'> },
  scope: Scope,
  onProgress: Progress,
): Promise<{ profile: Profile; sources: SourceRecord[]; deferred?: DeferredAws }> {
  const builder = new ProfileBuilder(scope);
  const sources: SourceRecord[] = [];
  for (const region of [...new Set(api.regions)].sort()) {
    const path = `cloudtrail-api:${region}`;
    const rec: SourceRecord = { path, format: 'cloudtrail-api', bytes: 0, records: 0, issues: 0, issueSamples: [] };
    const tally = emptyNotices();
    let n = 0;
    try {
      for await (const ev of lookupEvents({ ...api.options, region })) {
        n++;
        // The event's CloudTrailEvent is JSON text of its own: the depth limit of records read from files holds.
        if (deeperThan(ev.record, MAX_DEPTH)) {
          const message = `event ${shown(ev.id)}: CloudTrailEvent nested deeper than ${MAX_DEPTH} levels of objects and arrays`;
          rec.issues++;
          if (rec.issueSamples.length < ISSUE_SAMPLE_LIMIT)
            rec.issueSamples.push({ kind: 'issue', code: 'json.too-deep', file: path, line: n, message });
          continue;
        }
        // The record's issues name it by its own eventID (record.ts); one without one, by the event's id.
        const own = isObj(ev.record) && typeof ev.record['eventID'] === 'string' && ev.record['eventID'] !== '';
        const named = (i: InputIssue): InputIssue =>
          own ? i : { ...i, message: `event ${shown(ev.id)}: ${i.message}` };
        const added = decodeCloudTrailValue(ev.record, { file: path, line: n }, (item) => {
          if (item.kind === 'issue' && item.level === 'notice') addNotice(tally, named(item));
          else if (item.kind === 'issue') {
            rec.issues++;
            if (rec.issueSamples.length < ISSUE_SAMPLE_LIMIT) rec.issueSamples.push(named(item));
          } else builder.add(item);
        });
        rec.records += added;
        onProgress(0, added);
      }
    } catch (e) {
      throw new UnreadableInputError(`cannot read CloudTrail LookupEvents in ${region}: ${(e as Error).message}`);
    }
    sources.push({ ...rec, ...noticeFields(tally) });
  }
  // Merged with the files' profiles: its AWS principals are judged after the merge (profile/deferred.ts).
  const { profile, deferred } = builder.partial();
  return { profile, sources, ...(deferred ? { deferred } : {}) };
}
