import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { profileAt } from './stdinFile.js';
import { eksOptions, lookupOptions } from './apiSources.js';
import type { ChalkInstance as Chalk } from 'chalk';
import {
  ingest,
  ingestStream,
  type IngestInfo,
  type IngestOptions,
  type IngestResult,
  type IngestStream,
} from '../ingest/index.js';
import { InputError } from '../model/issue.js';
import { asAsync } from '../util/array.js';
import type { Profile } from '../model/profile.js';
import { checkProfileScope, filterProfile, filterStream } from '../profile/filter.js';
import { mapped, nameMapOf } from './mapFlag.js';
import { openProfile, readProfile } from '../profile/io.js';
import { mixedFiltersWarning } from '../profile/filters.js';
import { escapeControls } from '../util/escape.js';
import { sourceOf, type ProfileSource } from '../kinds/run.js';
import { Scope, type ScopeOptions } from '../profile/scope.js';
import { UnreadableInputError } from '../ingest/inputs.js';
import type { Inventory } from '../inventory/inventory.js';
import type { InputIssue } from '../model/issue.js';
import { InputAbort, UsageError } from './errors.js';
import { principalsDieYoung } from './heap.js';
import type { Io } from './io.js';
import {
  clockTolerance,
  networkLimitsOf,
  scopeOptions,
  vpcFieldsOf,
  workerCount,
  type SourceFlags,
} from './options.js';
import { ProgressMeter } from './progress.js';
import { printIngestSummary } from './summary.js';
import { printIssueSummary } from './summary.js';

/** The inventory from files or the live cluster; its issues print like input issues and count under --on-error fail. */
async function readInventory(flags: SourceFlags, io: Io, c: Chalk): Promise<Inventory> {
  let r: { inventory: Inventory; issues: InputIssue[] };
  if (flags.cluster) {
    try {
      const { readLiveInventory } = await import('../inventory/live.js');
      r = await readLiveInventory({
        ...(flags.context ? { context: flags.context } : {}),
        ...(flags.kubeconfig ? { kubeconfig: resolve(io.cwd, flags.kubeconfig) } : {}),
        limits: networkLimitsOf(flags),
      });
    } catch (e) {
      throw new UnreadableInputError(`cannot read the cluster inventory: ${(e as Error).message}`);
    }
  } else r = await (await import('../inventory/load.js')).loadInventory(flags.inventory ?? [], io.cwd);
  const inv = r.inventory;
  if (!flags.quiet)
    io.stderr.write(
      `inventory: ${inv.namespaces.length} namespaces, ${inv.pods.length} pods, ${inv.controllers.length} controllers, ${inv.services.length} services, ${inv.nodes.length} nodes${flags.cluster ? ' (live)' : ''}\n`,
    );
  const n = r.issues.length;
  printIssueSummary(io.stderr, r.issues, c, `${n} inventory issue${n === 1 ? '' : 's'}: those objects were left out`);
  // Said even with --quiet: an inventory that gave nothing is most likely the wrong files (or objects without kind).
  if (
    !inv.namespaces.length &&
    !inv.pods.length &&
    !inv.controllers.length &&
    !inv.services.length &&
    !inv.nodes.length
  )
    io.stderr.write(
      c.yellow(
        `warning: the ${flags.cluster ? "cluster's " : ''}inventory gave no objects: pods and workloads are known only from what the logs say (workloads guessed from the flows' pod names and labels, as without --inventory)\n`,
      ),
    );
  if (r.issues.length && flags.onError === 'fail')
    throw new InputAbort(`${r.issues.length} inventory issue${r.issues.length === 1 ? '' : 's'} with --on-error fail`);
  return inv;
}

export { InputAbort } from './errors.js';

/**
 * `besideProfile`: the command takes `--inventory`/`--cluster` beside `--profile` (verify, check, report with
 * `--policies`) for what a profile does not keep: the Services (Cilium toServices), the pods' addresses and the network
 * plugin. The workloads stay the profile's: the inventory it was made with gave them, scoped as it was.
 */
export interface SourceUse {
  besideProfile?: boolean;
}

/**
 * The profile a command works on: read from `--profile` (and narrowed by the filters), or built
 * from logs with the filters applied while reading. Prints the input summary on stderr.
 */
export async function observedProfile(
  flags: SourceFlags,
  io: Io,
  c: Chalk,
  window?: Pick<ScopeOptions, 'since' | 'until' | 'untimed'>,
  use: SourceUse = {},
): Promise<{ profile: Profile; ingest?: IngestResult; inventory?: Inventory }> {
  const scope = new Scope({ ...scopeOptions(flags), ...(window ?? {}) });
  const map = nameMapOf(flags);
  const run = await sourcesOf(flags, io, c, scope, use);
  if (typeof run !== 'function') {
    const whole = await readProfile(run.file, run.name);
    warnMixed(whole.filters, io);
    return {
      profile: mapped(
        scoped(() => filterProfile(whole, scope)),
        map,
        flags,
        io,
      ),
      ...(run.inventory ? { inventory: run.inventory } : {}),
    };
  }
  const result = await run(ingest);
  checkIngest(flags, io, c, result);
  const profile = mapped(result.profile, map, flags, io);
  return { profile, ingest: result, ...(run.inventory ? { inventory: run.inventory } : {}) };
}

/** `--profile`'s file: where it is read from, and what errors call it (`-` for stdin). */
interface ProfileFile {
  file: string;
  name: string;
  inventory?: Inventory;
}

/** `--profile`'s file as a source, opened again for each pass; a merge of differently filtered parts said once. */
function profileFileSource(run: ProfileFile, scope: Scope, io: Io): ProfileSource {
  let said = false;
  return async () => {
    const s = await openProfile(run.file, run.name);
    if (!said) warnMixed(s.head.filters, io);
    said = true;
    return filterStream(s, scope);
  };
}

/** Said even with --quiet, as `merge` says it: the policy of a principal one part left out may deny what it did. */
function warnMixed(filters: Profile['filters'], io: Io): void {
  const w = mixedFiltersWarning(filters);
  if (w) io.stderr.write(`warning: ${escapeControls(w)}\n`);
}

/**
 * The profile the flags name as a source its generators read principal by principal (`generate`): `--profile`'s
 * file, opened again for each pass (memory is one principal at a time); else the profile made from the logs, in
 * memory, with the same checks and summary as `observedProfile`.
 */
export async function observedSource(flags: SourceFlags, io: Io, c: Chalk): Promise<ProfileSource> {
  // A map may make two principals one, so it needs the profile whole (profile/nameMap.ts).
  if (flags.map?.length) return sourceOf((await observedProfile(flags, io, c)).profile);
  const scope = new Scope(scopeOptions(flags));
  const run = await sourcesOf(flags, io, c, scope);
  if (typeof run !== 'function') {
    scoped(() => checkProfileScope(scope));
    return profileFileSource(run, scope, io);
  }
  const result = await run(ingest);
  checkIngest(flags, io, c, result);
  return sourceOf(result.profile);
}

/**
 * The profile the flags name, for a command that reads it once, principal by principal (`verify`): `--profile`'s
 * file; else the profile as the logs were read, handed over from the builders' state a principal at a time (never
 * whole in memory), with the same checks and summary as `observedProfile`, and the inventory they were read with.
 * Call `close()` when done with it.
 */
export async function observedOnce(
  flags: SourceFlags,
  io: Io,
  c: Chalk,
  use: SourceUse = {},
): Promise<{ source: ProfileSource; close(): Promise<void>; inventory?: Inventory }> {
  if (flags.map?.length) {
    const { profile, inventory } = await observedProfile(flags, io, c, undefined, use);
    return { source: sourceOf(profile), close: async () => {}, ...(inventory ? { inventory } : {}) };
  }
  const scope = new Scope(scopeOptions(flags));
  const run = await sourcesOf(flags, io, c, scope, use);
  if (typeof run !== 'function') {
    scoped(() => checkProfileScope(scope));
    // Read once, a principal at a time, nothing kept: what the reader makes dies young.
    principalsDieYoung();
    return {
      source: profileFileSource(run, scope, io),
      close: async () => {},
      ...(run.inventory ? { inventory: run.inventory } : {}),
    };
  }
  const stream = await checkedStream(flags, io, c, run);
  let read = false;
  return {
    source: async () => {
      if (read) throw new Error('internal error: a profile made from logs is handed over once');
      read = true;
      return { head: stream.parts.head, principals: asAsync(stream.parts.principals), tail: stream.parts.tail };
    },
    close: stream.close,
    ...(run.inventory ? { inventory: run.inventory } : {}),
  };
}

/** A filter's refusal (`--since` on a profile) as a usage error. */
function scoped<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * A function that reads the logs the flags name with `read`; `inventory` is the cluster inventory it reads them with,
 * when one was given (its Services are facts the network evaluator uses: CiliumNetworkPolicy `toServices`).
 */
type LogRun = (<T>(read: (o: IngestOptions) => Promise<T>) => Promise<T>) & { inventory?: Inventory };

/**
 * What the flags say to read after checking them: `--profile`'s file (with the inventory given beside it, when the
 * command takes one: `use`), or a function that reads the logs.
 */
async function sourcesOf(
  flags: SourceFlags,
  io: Io,
  c: Chalk,
  scope: Scope,
  use: SourceUse = {},
): Promise<ProfileFile | LogRun> {
  const hasLogs =
    (flags.k8sAudit?.length ?? 0) > 0 ||
    (flags.cloudtrail?.length ?? 0) > 0 ||
    !!flags.cloudtrailApi ||
    !!flags.eksAuditLogs ||
    (flags.flows?.length ?? 0) > 0;
  if (flags.profile !== undefined && hasLogs)
    throw new UsageError(
      'give either --profile or log sources (--k8s-audit, --eks-audit-logs, --cloudtrail, --cloudtrail-api, --flows), not both',
    );
  const wantsInventory = (flags.inventory?.length ?? 0) > 0 || !!flags.cluster;
  if (flags.profile !== undefined && wantsInventory && !use.besideProfile)
    throw new UsageError(
      'a profile keeps the workloads of the inventory it was made with: give --inventory/--cluster when profiling (verify, check and report --policies take one beside --profile, for its Services, pod addresses and network plugin)',
    );
  if (flags.inventory?.length && flags.cluster) throw new UsageError('give either --inventory or --cluster, not both');
  if ((flags.context || flags.kubeconfig) && !flags.cluster)
    throw new UsageError('--context and --kubeconfig go with --cluster');
  if (flags.cloudtrailApi && !flags.region?.length) throw new UsageError('--cloudtrail-api needs --region R...');
  if (!flags.cloudtrailApi && !flags.eksAuditLogs && (flags.region || flags.endpoint))
    throw new UsageError('--region and --endpoint go with --cloudtrail-api or --eks-audit-logs');
  if (!flags.cloudtrailApi && !flags.eksAuditLogs && !flags.cluster && (flags.networkTimeout || flags.deadline))
    throw new UsageError('--network-timeout and --deadline go with --cloudtrail-api, --eks-audit-logs or --cluster');
  networkLimitsOf(flags);
  if (!flags.eksAuditLogs && (flags.clusterName || flags.logGroup))
    throw new UsageError('--cluster-name and --log-group go with --eks-audit-logs');
  if (flags.vpcFormat !== undefined && !flags.flows?.length) throw new UsageError('--vpc-format goes with --flows');
  vpcFieldsOf(flags);
  const eks = flags.eksAuditLogs ? eksOptions(flags, scope) : undefined;
  if (flags.profile !== undefined) {
    const inventory = wantsInventory ? { inventory: await readInventory(flags, io, c) } : {};
    return { ...(await profileAt(flags.profile, io)), ...inventory };
  }
  if (!hasLogs && !wantsInventory)
    throw new UsageError(
      'no input: give --k8s-audit PATH..., --eks-audit-logs, --cloudtrail PATH..., --cloudtrail-api or --flows PATH... (or --profile FILE)',
    );
  return ingestRun(flags, io, c, scope, eks, wantsInventory);
}

/**
 * The profile built from logs, streaming (`profile`): the same checks and summary as `observedProfile`, but the
 * principals come one at a time as the caller writes them. The caller must `close()` it.
 */
export async function observedStream(flags: SourceFlags, io: Io, c: Chalk): Promise<IngestStream> {
  const scope = new Scope(scopeOptions(flags));
  const run = await sourcesOf(flags, io, c, scope);
  if (typeof run !== 'function') throw new UsageError('profile reads logs, not a profile');
  return checkedStream(flags, io, c, run);
}

/** The logs read by `run` as a stream, its summary printed and its issues checked (closed if they stop the run). */
async function checkedStream(
  flags: SourceFlags,
  io: Io,
  c: Chalk,
  run: <T>(read: (o: IngestOptions) => Promise<T>) => Promise<T>,
): Promise<IngestStream> {
  const stream = await run(ingestStream);
  try {
    checkIngest(flags, io, c, stream);
  } catch (e) {
    await stream.close();
    throw e;
  }
  return stream;
}

/** Reads the sources the flags name with `read` (`ingest` or `ingestStream`), with the progress meter. */
async function ingestRun(
  flags: SourceFlags,
  io: Io,
  c: Chalk,
  scope: Scope,
  eks: ReturnType<typeof eksOptions> | undefined,
  wantsInventory: boolean,
): Promise<LogRun> {
  const inventory = wantsInventory ? await readInventory(flags, io, c) : undefined;
  const vpcFields = vpcFieldsOf(flags);
  const run: LogRun = async (read) => {
    const meter = new ProgressMeter(io.stderr, io.stderrIsTTY && !flags.quiet);
    try {
      return await read({
        k8sAudit: flags.k8sAudit ?? [],
        cloudtrail: flags.cloudtrail ?? [],
        flows: flags.flows ?? [],
        ...(vpcFields ? { vpcFields } : {}),
        ...(inventory ? { inventory } : {}),
        ...(flags.cloudtrailApi ? { cloudtrailApi: lookupOptions(flags, scope) } : {}),
        ...(eks ? { eksAuditLogs: eks } : {}),
        scope,
        workers: workerCount(flags, availableParallelism()),
        ...(flags.workers === undefined ? { fewerWorkersWhenSmall: true } : {}),
        ...(flags.clockTolerance !== undefined ? { clockTolerance: clockTolerance(flags.clockTolerance) } : {}),
        cwd: io.cwd,
        ...(flags.output && flags.output !== '-' ? { exclude: [resolve(io.cwd, flags.output)] } : {}),
        stdin: io.stdin,
        onTotal: (n) => meter.setTotal(n),
        onProgress: meter.add,
      });
    } finally {
      meter.done();
    }
  };
  if (inventory) run.inventory = inventory;
  return run;
}

/**
 * No record read from any file, every one skipped or holding only values of no format its flag reads (a package.json
 * given to --k8s-audit). An empty file is an empty soak; a log whose records are all broken is its issues, as ever.
 */
const unrecognised = (sources: IngestInfo['sources']): boolean =>
  sources.length > 0 &&
  sources.every(
    (s) =>
      s.records === 0 &&
      (s.format === 'skipped' ||
        (s.issues > 0 &&
          s.issueSamples.every((i) => i.code === 'k8s.unknown-format' || i.code === 'cloudtrail.not-a-record'))),
  );

/** The summary on stderr, and the reasons to stop: nothing of the flags' kinds read, issues under `--on-error fail`. */
function checkIngest(flags: SourceFlags, io: Io, c: Chalk, result: IngestInfo): void {
  if (!flags.quiet || (result.issueCount > 0 && flags.onError === 'fail')) printIngestSummary(io.stderr, result, c);
  // Every file given was another source's: a mistake of flags, not an empty soak.
  const sources = result.sources;
  const foreign = sources.filter((s) => s.format === 'skipped' && s.notice?.startsWith('looks like '));
  if (foreign.length && sources.every((s) => s.records === 0)) {
    const hints = [...new Set(foreign.map((s) => s.notice!.slice('looks like '.length)))];
    throw new InputError(`nothing read: the files given look like ${hints.join('; ')}`);
  }
  // Every file given was skipped (a README, a zip, a policy): a wrong path, not an empty soak (an empty file is one).
  if (sources.length && sources.every((s) => s.format === 'skipped')) {
    const first = sources[0]!;
    const more = sources.length > 1 ? ` (and ${sources.length - 1} more files, none a log)` : '';
    throw new InputError(`nothing read: ${first.path} is ${first.notice ?? 'no log'}${more}`);
  }
  // Every file given was skipped or held only issues (a package.json in --k8s-audit): no log among them either.
  if (!flags.cloudtrailApi && !flags.eksAuditLogs && unrecognised(sources))
    throw new InputError(
      `nothing read: no file given is a log its flag reads: ${sources
        .slice(0, 3)
        .map((s) => `${s.path} (${s.notice ?? s.issueSamples[0]?.code ?? 'no log'})`)
        .join(', ')}${sources.length > 3 ? ` and ${sources.length - 3} more` : ''}`,
    );
  if (result.issueCount > 0 && flags.onError === 'fail') {
    throw new InputAbort(
      `${result.issueCount} input issue${result.issueCount === 1 ? '' : 's'} with --on-error fail: nothing was written (use --on-error skip to go on without the bad records)`,
    );
  }
}
