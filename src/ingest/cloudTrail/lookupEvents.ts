import { awsApiClient, type AwsApiOptions } from '../awsHttp.js';
import { paged } from '../paging.js';
import type { Event as TrailEvent, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';

/**
 * CloudTrail's LookupEvents API as a source (groundwork for the CloudTrail slice): pages through
 * NextToken, keeps to the API's low rate limit, lets the SDK's retry strategy handle throttling and
 * 5xx answers, and yields each event once (deduplicated by event id). The SDK is loaded only here,
 * lazily, so runs that never use the API never pay for it.
 */
export type LookupOptions = AwsApiOptions;

/** Events asked for per page (the API's most). */
const PAGE = 50;

/** One event as LookupEvents returns it: the full CloudTrail record, parsed. */
export interface LookedUpEvent {
  id: string;
  record: unknown;
}

export async function* lookupEvents(opts: LookupOptions): AsyncGenerator<LookedUpEvent> {
  const { CloudTrailClient, LookupEventsCommand } = await import('@aws-sdk/client-cloudtrail');
  const { read, config } = awsApiClient(opts);
  const client = new CloudTrailClient(config);
  try {
    const events = paged<LookupEventsCommandOutput, TrailEvent>({
      fetch: (token) =>
        client
          .send(
            new LookupEventsCommand({
              ...(opts.startTime ? { StartTime: opts.startTime } : {}),
              ...(opts.endTime ? { EndTime: opts.endTime } : {}),
              MaxResults: PAGE,
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: read.signal },
          )
          .catch((e: unknown) => {
            throw read.explain(e);
          }),
      items: (page) => page.Events ?? [],
      next: (page) => page.NextToken,
      read,
      maxItems: PAGE,
      fields: { items: 'Events', token: 'NextToken' },
      id: (e) => e.EventId ?? '',
      // LookupEvents allows 2 requests per second per account and region.
      minIntervalMs: opts.minIntervalMs ?? 550,
      ...(opts.onPage ? { onPage: opts.onPage } : {}),
    });
    for await (const e of events) {
      let record: unknown = null;
      try {
        record = e.CloudTrailEvent ? JSON.parse(e.CloudTrailEvent) : null;
      } catch {
        record = null;
      }
      yield { id: e.EventId ?? '', record };
    }
  } finally {
    read.close();
    client.destroy();
  }
}
