import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { ChalkInstance as Chalk } from 'chalk';
import { ingest, type IngestResult } from '../ingest/index.js';
import type { Profile } from '../model/profile.js';
import { filterProfile } from '../profile/filter.js';
import { readProfile } from '../profile/io.js';
import { Scope } from '../profile/scope.js';
import type { TimeSpec } from '../util/time.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';
import { scopeOptions, workerCount, type SourceFlags } from './options.js';
import { ProgressMeter } from './progress.js';
import { printIngestSummary } from './summary.js';

/**
 * LookupEvents reads a window the API filters: --since/--until as RFC 3339 times, or durations back from
 * now (the API has no "newest event" to count back from before it is read).
 */
function lookupOptions(flags: SourceFlags, scope: Scope): NonNullable<Parameters<typeof ingest>[0]['cloudtrailApi']> {
  const at = (spec: TimeSpec | undefined): Date | undefined => {
    if (!spec) return undefined;
    return new Date(spec.kind === 'absolute' ? spec.time : Date.now() - spec.ms);
  };
  const startTime = at(scope.options.since);
  const endTime = at(scope.options.until);
  if (flags.endpoint !== undefined && !/^https?:\/\//.test(flags.endpoint)) throw new UsageError(`--endpoint: expected an http(s) URL, got "${flags.endpoint}"`);
  return {
    regions: flags.region ?? [],
    options: { ...(startTime ? { startTime } : {}), ...(endTime ? { endTime } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) },
  };
}

/** Raised when input issues stop the run under `--on-error fail`: exit 2. */
export class InputAbort extends Error {}

/**
 * The profile a command works on: read from `--profile` (and narrowed by the filters), or built
 * from logs with the filters applied while reading. Prints the input summary on stderr.
 */
export async function observedProfile(flags: SourceFlags, io: Io, c: Chalk): Promise<{ profile: Profile; ingest?: IngestResult }> {
  const scope = new Scope(scopeOptions(flags));
  const hasLogs = (flags.k8sAudit?.length ?? 0) > 0 || (flags.cloudtrail?.length ?? 0) > 0 || !!flags.cloudtrailApi;
  if (flags.profile !== undefined && hasLogs) throw new UsageError('give either --profile or log sources (--k8s-audit, --cloudtrail, --cloudtrail-api), not both');
  if (flags.cloudtrailApi && !flags.region?.length) throw new UsageError('--cloudtrail-api needs --region R...');
  if (!flags.cloudtrailApi && (flags.region || flags.endpoint)) throw new UsageError('--region and --endpoint go with --cloudtrail-api');
  if (flags.profile !== undefined) {
    const whole = await readProfile(resolve(io.cwd, flags.profile));
    try {
      return { profile: filterProfile(whole, scope) };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (!hasLogs) throw new UsageError('no input: give --k8s-audit PATH..., --cloudtrail PATH... or --cloudtrail-api (or --profile FILE)');
  const meter = new ProgressMeter(io.stderr, io.stderrIsTTY && !flags.quiet);
  let result: IngestResult;
  try {
    result = await ingest({
      k8sAudit: flags.k8sAudit ?? [],
      cloudtrail: flags.cloudtrail ?? [],
      ...(flags.cloudtrailApi ? { cloudtrailApi: lookupOptions(flags, scope) } : {}),
      scope,
      workers: workerCount(flags, availableParallelism()),
      cwd: io.cwd,
      stdin: io.stdin,
      onTotal: (n) => meter.setTotal(n),
      onProgress: meter.add,
    });
  } finally {
    meter.done();
  }
  if (!flags.quiet || (result.issueCount > 0 && flags.onError === 'fail')) printIngestSummary(io.stderr, result, c);
  if (result.issueCount > 0 && flags.onError === 'fail') {
    throw new InputAbort(`${result.issueCount} input issue${result.issueCount === 1 ? '' : 's'} with --on-error fail: nothing was written (use --on-error skip to go on without the bad records)`);
  }
  return { profile: result.profile, ingest: result };
}
