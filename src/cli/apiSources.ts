import type { ingest } from '../ingest/index.js';
import { EKS_AUDIT_STREAM_PREFIX, eksLogGroup } from '../ingest/eksLogNames.js';
import type { Scope } from '../profile/scope.js';
import type { TimeSpec } from '../util/time.js';
import { UsageError } from './errors.js';
import { networkLimitsOf, type SourceFlags } from './options.js';

// The options of the sources read from AWS's APIs (--cloudtrail-api, --eks-audit-logs), from the flags.

/**
 * LookupEvents reads a window the API filters: --since/--until as RFC 3339 times, or durations back from
 * now (the API has no "newest event" to count back from before it is read).
 */
export function lookupOptions(
  flags: SourceFlags,
  scope: Scope,
): NonNullable<Parameters<typeof ingest>[0]['cloudtrailApi']> {
  const at = (spec: TimeSpec | undefined): Date | undefined => {
    if (!spec) return undefined;
    return new Date(spec.kind === 'absolute' ? spec.time : Date.now() - spec.ms);
  };
  const startTime = at(scope.options.since);
  const endTime = at(scope.options.until);
  if (flags.endpoint !== undefined && !/^https?:\/\//.test(flags.endpoint))
    throw new UsageError(`--endpoint: expected an http(s) URL, got "${flags.endpoint}"`);
  return {
    regions: flags.region ?? [],
    options: {
      ...(startTime ? { startTime } : {}),
      ...(endTime ? { endTime } : {}),
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      limits: networkLimitsOf(flags),
    },
  };
}

/** EKS cluster names (1 to 100: letters, digits, - and _) and CloudWatch Logs group names (1 to 512: also . / #). */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * How long after it was received an Event may be logged: a watch's longest timeout (the API server picks one
 * between --min-request-timeout, 30 minutes by default, and twice that) and ten minutes for delivery.
 */
export const EKS_LATE_LOG_MS = 70 * 60_000;

/** `--eks-audit-logs`: the log group (the cluster's, or the one given), one region, the window of --since/--until. */
export function eksOptions(
  flags: SourceFlags,
  scope: Scope,
): NonNullable<Parameters<typeof ingest>[0]['eksAuditLogs']> {
  if (!flags.region?.length) throw new UsageError('--eks-audit-logs needs --region R');
  if (flags.region.length > 1)
    throw new UsageError(`--eks-audit-logs reads one region, got ${flags.region.length}: give one --region`);
  if (!!flags.clusterName === !!flags.logGroup)
    throw new UsageError('--eks-audit-logs needs --cluster-name NAME or --log-group NAME (one of them)');
  if (flags.clusterName && !CLUSTER_NAME.test(flags.clusterName))
    throw new UsageError(`--cluster-name: "${flags.clusterName}" is not an EKS cluster name`);
  if (flags.logGroup && !LOG_GROUP.test(flags.logGroup))
    throw new UsageError(`--log-group: "${flags.logGroup}" is not a CloudWatch Logs group name`);
  const { options } = lookupOptions(flags, scope);
  // FilterLogEvents filters on the log event's timestamp, written when the API server logs the Event: a watch
  // received before --until is logged when it ends, up to an hour later. The API is asked for that much more; the
  // scope then keeps exactly the Events received by --until, as it does for an exported file.
  if (options.endTime) options.endTime = new Date(options.endTime.getTime() + EKS_LATE_LOG_MS);
  return {
    ...options,
    region: flags.region[0]!,
    // The cluster's group holds every control-plane log: its audit streams only. A group given by name: all streams.
    ...(flags.clusterName
      ? { logGroup: eksLogGroup(flags.clusterName), streamPrefix: EKS_AUDIT_STREAM_PREFIX }
      : { logGroup: flags.logGroup! }),
  };
}
