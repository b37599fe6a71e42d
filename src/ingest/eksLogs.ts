/**
 * EKS audit logs read live from CloudWatch Logs (`--eks-audit-logs`): FilterLogEvents on the cluster's log group
 * (`/aws/eks/NAME/cluster`, streams `kube-apiserver-audit-*`), paging through nextToken (a page may be empty while
 * more follow), keeping a least interval between calls, letting the SDK's retry strategy handle throttling and 5xx
 * answers, stopping if the service hands back a token it gave before, and yielding each event once (by event id).
 * The SDK is loaded only here, lazily, so runs that never read the API never pay for it. Every event's message goes
 * through the same reader as an exported file (k8sAudit/envelopes.ts), so both give the same profile.
 */
import type { InputIssue } from '../model/issue.js';
import { ISSUE_SAMPLE_LIMIT, type Profile, type SourceRecord } from '../model/profile.js';
import { ProfileBuilder } from '../profile/builder.js';
import type { Scope } from '../profile/scope.js';
import { UnreadableInputError } from './inputs.js';
import { K8sAuditReader } from './k8sAudit/envelopes.js';
import type { Progress } from './task.js';
import { paged } from './paging.js';
import { awsApiClient, type AwsApiOptions } from './awsHttp.js';
import type { FilteredLogEvent, FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';

export interface EksLogsOptions extends AwsApiOptions {
  logGroup: string;
  /** Only streams starting with this (the audit streams of an EKS cluster's group); all streams when absent. */
  streamPrefix?: string;
  /** Called when the service returns a nextToken it returned before: reading stops there. */
  onRepeatedToken?: (pages: number) => void;
}

/** The most events a FilterLogEvents page holds (its `limit` defaults to the maximum, 10,000). */
const PAGE = 10_000;

/** One log event as FilterLogEvents returns it. */
export interface EksLogEvent {
  id: string;
  logStreamName: string;
  timestamp?: number;
  message: string;
}

export async function* filterLogEvents(opts: EksLogsOptions): AsyncGenerator<EksLogEvent> {
  const { CloudWatchLogsClient, FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const { read, config } = awsApiClient(opts);
  const client = new CloudWatchLogsClient(config);
  try {
    const events = paged<FilterLogEventsCommandOutput, FilteredLogEvent>({
      fetch: (token) =>
        client
          .send(
            new FilterLogEventsCommand({
              logGroupName: opts.logGroup,
              ...(opts.streamPrefix ? { logStreamNamePrefix: opts.streamPrefix } : {}),
              ...(opts.startTime ? { startTime: opts.startTime.getTime() } : {}),
              ...(opts.endTime ? { endTime: opts.endTime.getTime() } : {}),
              ...(token ? { nextToken: token } : {}),
            }),
            { abortSignal: read.signal },
          )
          .catch((e: unknown) => {
            throw read.explain(e);
          }),
      items: (page) => page.events ?? [],
      next: (page) => page.nextToken,
      read,
      maxItems: PAGE,
      fields: { items: 'events', token: 'nextToken' },
      id: (e) => e.eventId ?? '',
      minIntervalMs: opts.minIntervalMs ?? 250,
      ...(opts.onPage ? { onPage: opts.onPage } : {}),
      ...(opts.onRepeatedToken ? { onRepeatedToken: opts.onRepeatedToken } : {}),
    });
    for await (const e of events)
      yield {
        id: e.eventId ?? '',
        logStreamName: e.logStreamName ?? '',
        ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}),
        message: e.message ?? '',
      };
  } finally {
    read.close();
    client.destroy();
  }
}

/**
 * Read the log group into a profile of its own (merged by the caller), as one source `eks-audit-logs:REGION:GROUP`.
 * An event that is no audit Event is an issue of that source (numbered by its place in the read); a request that
 * fails after the SDK's retries makes the input unreadable.
 */
export async function readEksAuditLogs(
  opts: EksLogsOptions,
  scope: Scope,
  onProgress: Progress,
): Promise<{ profile: Profile; source: SourceRecord }> {
  const builder = new ProfileBuilder(scope);
  const path = `eks-audit-logs:${opts.region}:${opts.logGroup}`;
  const rec: SourceRecord = { path, format: 'eks-audit-logs', bytes: 0, records: 0, issues: 0, issueSamples: [] };
  const onIssue = (i: InputIssue) => {
    rec.issues++;
    if (rec.issueSamples.length < ISSUE_SAMPLE_LIMIT) rec.issueSamples.push(i);
  };
  const reader = new K8sAuditReader((item) => (item.kind === 'issue' ? onIssue(item) : builder.add(item)));
  let n = 0;
  try {
    for await (const ev of filterLogEvents({
      ...opts,
      onRepeatedToken: (pages) =>
        onIssue({
          kind: 'issue',
          code: 'eks.repeated-token',
          file: path,
          line: 0,
          message: `FilterLogEvents returned a nextToken it had returned before, after ${pages} pages: reading stopped there, later events may be missing`,
        }),
    })) {
      n++;
      rec.bytes += Buffer.byteLength(ev.message);
      const where = `event ${ev.id || n}`;
      const added = reader.logEvent(ev, { file: path, line: n }, where, 'cloudwatch-logs-api');
      rec.records += added;
      onProgress(0, added);
    }
  } catch (e) {
    throw new UnreadableInputError(
      `cannot read EKS audit logs from ${opts.logGroup} in ${opts.region}: ${(e as Error).message}`,
    );
  }
  reader.finish();
  if (Object.keys(reader.envelopes).length) rec.envelopes = { ...reader.envelopes };
  if (Object.keys(reader.skipped).length) rec.envelopeSkipped = { ...reader.skipped };
  return { profile: builder.toProfile(), source: rec };
}
