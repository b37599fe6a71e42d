import { NetworkRead, networkLimits, type NetworkLimits } from '../../util/network.js';
import { limitedAwsHandler } from '../awsHttp.js';
import { paged } from '../paging.js';
import type { Event as TrailEvent, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';

/**
 * CloudTrail's LookupEvents API as a source (groundwork for the CloudTrail slice): pages through
 * NextToken, keeps to the API's low rate limit, lets the SDK's retry strategy handle throttling and
 * 5xx answers, and yields each event once (deduplicated by event id). The SDK is loaded only here,
 * lazily, so runs that never use the API never pay for it.
 */
export interface LookupOptions {
  region: string;
  startTime?: Date;
  endTime?: Date;
  /** Another endpoint (tests point this at a server on 127.0.0.1). */
  endpoint?: string;
  /** Static credentials; without them the SDK's default provider chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Least time between two requests. LookupEvents allows 2 per second per account and region. */
  minIntervalMs?: number;
  /** Attempts per request, throttling and 5xx included (the SDK's standard retry strategy). */
  maxAttempts?: number;
  /** Called after each page with the number of events it held. */
  onPage?: (events: number) => void;
  /** Timeouts, deadline and size cap (util/network.ts); the defaults when absent. */
  limits?: NetworkLimits;
}

/** Events asked for per page (the API's most). */
const PAGE = 50;

/** One event as LookupEvents returns it: the full CloudTrail record, parsed. */
export interface LookedUpEvent {
  id: string;
  record: unknown;
}

export async function* lookupEvents(opts: LookupOptions): AsyncGenerator<LookedUpEvent> {
  const { CloudTrailClient, LookupEventsCommand } = await import('@aws-sdk/client-cloudtrail');
  const read = new NetworkRead(opts.limits ?? networkLimits());
  const client = new CloudTrailClient({
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? 8,
    requestHandler: limitedAwsHandler(read),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
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
