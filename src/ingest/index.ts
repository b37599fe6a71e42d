import type { Readable } from 'node:stream';
import { compareIssues, type InputIssue } from '../model/issue.js';
import {
  ISSUE_SAMPLE_LIMIT,
  PROFILE_API_VERSION,
  type Principal,
  type Profile,
  type SourceRecord,
} from '../model/profile.js';
import { principalId } from '../model/subject.js';
import { mergeStreams } from '../profile/mergeStream.js';
import { edgesMade } from '../profile/lazyEdges.js';
import { decideAws, keptPrincipals, type DeferredAws } from '../profile/deferred.js';
import type { ProfileStream } from '../profile/read.js';
import type { ProfileParts } from '../profile/write.js';
import type { ProfileHead } from '../profile/lines.js';
import { ProfileBuilder } from '../profile/builder.js';
import { sortSources } from '../profile/order.js';
import { mergeDays, plausibleNewest, type Anchor, type DayCounts } from './anchor.js';
import { Scope } from '../profile/scope.js';
import { profileFilters } from '../profile/filters.js';
import { msToTime, resolveTimeSpec } from '../util/time.js';
import type { LookupOptions } from './cloudTrail/lookupEvents.js';
import type { EksLogsOptions } from './eksLogs.js';
import { looksLikeVpcFlowLog, resolveInputs, STDIN, UnreadableInputError, type Notice, type Unread } from './inputs.js';
import { headerlessVpcNotice } from './flows/vpcFormat.js';
import { Resolver, type Inventory } from '../inventory/inventory.js';
import { inventoryPart } from '../inventory/profilePart.js';
import { emptyNotices, mergeNotices, noticeFields, type NoticeTally } from './notices.js';
import { runPool } from './pool.js';
import { aksAdminOnly, type ReadsLeftOut } from './readsLeftOut.js';
import { isSmall, planTasks } from './plan.js';
import { runTask, type Progress, type SourceFormat, type Task, type TaskStats } from './task.js';
import type { TaskMode, TaskRequest } from './taskRunner.js';
import { asAsync, pushAll } from '../util/array.js';

export interface IngestOptions {
  k8sAudit: string[];
  /** CloudTrail files or directories (S3 delivery documents, one record per line, EventBridge envelopes). */
  cloudtrail?: string[];
  /** Flow logs: Hubble JSON, VPC flow logs. */
  flows?: string[];
  /** The fields of VPC flow log records that come without a header line (`--vpc-format`); default: AWS's default. */
  vpcFields?: string[];
  /** The cluster inventory that turns flow addresses and pod names into workloads. */
  inventory?: Inventory;
  /** CloudTrail's LookupEvents API, one read per region. */
  cloudtrailApi?: { regions: string[]; options: Omit<LookupOptions, 'region'> };
  /** EKS audit logs read live from CloudWatch Logs (FilterLogEvents on the cluster's log group). */
  eksAuditLogs?: Omit<EksLogsOptions, 'onPage' | 'onRepeatedToken'>;
  scope: Scope;
  /** Worker threads; 1 reads everything on the main thread. */
  workers: number;
  /**
   * `workers` is the most to use: a small input (under SMALL_INPUT bytes, a gzip file counted at GZIP_RATIO times its
   * size) is read on the main thread, where starting workers and merging their parts costs more than it saves.
   */
  fewerWorkersWhenSmall?: boolean;
  cwd: string;
  stdin?: Readable;
  /** Called with the total bytes to read, once known. */
  onTotal?: (bytes: number) => void;
  onProgress?: Progress;
  /** Plain files larger than this are split into byte ranges across workers (default 32 MiB). */
  splitBytes?: number;
  /** How far the newest records may stand apart from the bulk and still decide "now" (ms, default 1 day). */
  clockTolerance?: number;
  /** Absolute paths never read as input: the command's output (`-o`), which may sit inside an input directory. */
  exclude?: string[];
}

/** What reading the sources found, besides the profile. */
export interface IngestInfo {
  /** The sources read, in the profile's order. */
  sources: SourceRecord[];
  /** Records left out of scope, by reason. */
  skipped: Record<string, number>;
  /** Principals in scope; workloads and network paths when there was flow data. */
  counts: { principals: number; workloads?: number; network?: number };
  /** Total input issues across sources. */
  issueCount: number;
  /** First issues across all sources, in file and line order. */
  issues: InputIssue[];
  /** Notices (records kept, read with what could be read): the total, and the first of each source in line order. */
  noticeCount: number;
  notices: InputIssue[];
  /**
   * The time window the scope selected, resolved ('' for an open end): durations counted back from the newest record.
   */
  window: { since: string; until: string };
  /** When a duration was given: the record "now" counts back from, and the implausibly new ones set aside. */
  anchor?: Anchor;
  /** Threads that read the files: 1 is the main thread alone, more are workers. */
  threads: number;
  /** Paths of a flag left unread: reached again (the first path is named), or the command's output. */
  unread: Unread[];
  /** AKS audit logs of kube-audit-admin alone: no get, no list (readsLeftOut.ts). */
  readsLeftOut?: ReadsLeftOut;
}

export interface IngestResult extends IngestInfo {
  profile: Profile;
}

export interface IngestStream extends IngestInfo {
  parts: ProfileParts;
  /** Ends the workers that hold the profile; call when done reading it (or on giving up). */
  close(): Promise<void>;
}

const SPLIT_BYTES = 32 * 1024 * 1024;

/**
 * Read every source into a profile that streams: its header, then its principals one at a time as they are asked
 * for (from the builder's state, or a batch at a time from the workers that hold them), then what follows them. Call
 * `close()` once done with it (the workers stay until then).
 */
export async function ingestStream(opts: IngestOptions): Promise<IngestStream> {
  const groups: [SourceFormat, string[]][] = [
    ['k8s-audit', opts.k8sAudit],
    ['cloudtrail', opts.cloudtrail ?? []],
    ['flows', opts.flows ?? []],
  ];
  const stdinCount = groups.reduce((n, [, paths]) => n + paths.filter((p) => p === STDIN).length, 0);
  if (stdinCount > 1) throw new UnreadableInputError('stdin (-) can be read only once');
  const tasks: Task[] = [];
  const notices: Notice[] = [];
  let total = 0;
  const resolved: [SourceFormat, string[], Awaited<ReturnType<typeof resolveInputs>>][] = [];
  const unread: Unread[] = [];
  for (const [format, paths] of groups) {
    if (!paths.length) continue;
    const vpc = format === 'flows' ? opts.vpcFields : undefined;
    const found = await resolveInputs(
      paths,
      opts.cwd,
      format === 'flows' ? (head) => looksLikeVpcFlowLog(head, vpc) || headerlessVpcNotice(head, vpc) : undefined,
      format !== 'k8s-audit',
      opts.exclude,
    );
    resolved.push([format, paths, found]);
    pushAll(unread, found.unread);
  }
  const workers =
    opts.fewerWorkersWhenSmall && isSmall(resolved.flatMap(([, , found]) => found.files)) ? 1 : opts.workers;
  for (const [format, paths, found] of resolved) {
    const vpc = format === 'flows' ? opts.vpcFields : undefined;
    // A VPC flow log's header names the fields of every later line, and one in the middle (files joined) changes them
    // (flows/vpcHeader.ts): a range would start without the format in force, so flows are not split. CloudTrail files
    // are single JSON documents more often than not: a large one is split at record boundaries (cloudTrail/ranges.ts).
    const files = format !== 'k8s-audit' ? found.files.map((f) => ({ ...f, splittable: false })) : found.files;
    const split = opts.splitBytes ?? SPLIT_BYTES;
    const planned =
      format === 'cloudtrail'
        ? await (await import('./cloudTrail/ranges.js')).cloudTrailTasks(files, workers, split)
        : planTasks(files, workers, split, format);
    if (paths.includes(STDIN)) planned.push({ path: STDIN, abs: STDIN, gzip: false, format });
    pushAll(tasks, vpc ? planned.map((t) => ({ ...t, vpcFields: vpc })) : planned);
    pushAll(notices, found.notices);
    total += files.reduce((n, f) => n + f.size, 0);
  }
  opts.onTotal?.(total);
  const onProgress = opts.onProgress ?? (() => {});

  const threads = workers <= 1 || tasks.length <= 1 || stdinCount ? 1 : Math.min(workers, tasks.length);
  let scope = opts.scope;
  let anchor: Anchor | undefined;
  if (scope.hasRelativeTime) {
    if (stdinCount)
      throw new UnreadableInputError(
        'a duration for --since/--until needs files: stdin cannot be read twice (give an RFC 3339 time)',
      );
    const days: DayCounts = {};
    for (const stats of await newestPass(tasks, scope, threads, opts.inventory)) mergeDays(days, stats.days);
    anchor = plausibleNewest(days, opts.clockTolerance);
    let newest = anchor.time;
    // The APIs alone: durations count back from now, as the APIs' own windows do.
    if (newest === '' && tasks.length === 0 && (opts.cloudtrailApi || opts.eksAuditLogs)) newest = msToTime(Date.now());
    const o = scope.options;
    scope = new Scope(o, {
      since: o.since ? resolveTimeSpec(o.since, newest) : '',
      until: o.until ? resolveTimeSpec(o.until, newest) : '',
    });
  }

  const inputs: { stream: ProfileStream; ids: string[]; deferred?: DeferredAws }[] = [];
  let stats: TaskStats[];
  let close = async () => {};
  try {
    if (threads === 1) {
      // One thread: one builder for everything, no partial profiles to merge.
      const builder = new ProfileBuilder(scope);
      const resolver = opts.inventory ? new Resolver(opts.inventory) : undefined;
      stats = [];
      for (const t of tasks)
        stats.push(await runTask(t, (o) => builder.add(o), onProgress, opts.stdin, false, resolver));
      const parts = builder.parts();
      inputs.push({
        stream: { head: parts.head, principals: asAsync(parts.principals), tail: parts.tail },
        ids: parts.ids,
        ...(parts.deferred ? { deferred: parts.deferred } : {}),
      });
    } else {
      const pool = await execute(tasks, scope, 'profile', workers, onProgress, opts.inventory);
      close = pool.close;
      stats = pool.results.map((r) => r.stats);
      pushAll(inputs, pool.profiles);
    }
    const sources = sourceRecords(tasks, stats);
    const readsLeftOut = aksAdminOnly(tasks, stats);
    if (opts.cloudtrailApi) {
      const { readLookupEvents } = await import('./cloudTrail/lookupSource.js');
      const api = await readLookupEvents(opts.cloudtrailApi, scope, onProgress);
      inputs.push({ ...inMemory(api.profile), ...(api.deferred ? { deferred: api.deferred } : {}) });
      pushAll(sources, api.sources);
    }
    if (opts.eksAuditLogs) {
      const { readEksAuditLogs } = await import('./eksLogs.js');
      const eks = await readEksAuditLogs(opts.eksAuditLogs, scope, onProgress);
      inputs.push(inMemory(eks.profile));
      sources.push(eks.source);
    }
    // A file no flag can read is said once, whichever flags named it.
    const said = new Set<string>();
    for (const n of notices) {
      const key = JSON.stringify([n.path, n.reason]);
      if (said.has(key)) continue;
      said.add(key);
      sources.push({
        path: n.path,
        format: 'skipped',
        bytes: n.bytes,
        records: 0,
        issues: 0,
        issueSamples: [],
        notice: n.reason,
      });
    }
    let parts: ProfileParts = inputs.length === 1 ? inputs[0]!.stream : mergeStreams(inputs.map((x) => x.stream));
    const ids = new Set<string>();
    for (const x of inputs) for (const id of x.ids) ids.add(id);
    // AWS principals judged by subject globs on their final ARNs, now that every part is merged (profile/deferred.ts).
    const decided = decideAws(
      inputs.map((x) => ({ head: x.stream.head, ...(x.deferred ? { deferred: x.deferred } : {}) })),
      parts.head,
      scope,
    );
    if (decided) {
      parts = { ...parts, head: decided.head, principals: keptPrincipals(parts.principals, decided.excluded) };
      for (const id of decided.excluded) ids.delete(id);
    }
    // Every workload and namespace of the inventory joins the profile, traffic or not: `generate netpol` lists the
    // quiet ones, and `verify` checks that the policies keep them apart. So do its pods' SCC admissions (OpenShift).
    if (opts.inventory) {
      const part = inventoryPart(opts.inventory, scope);
      for (const p of part.principals) ids.add(principalId(p.subject));
      parts = mergeStreams([parts, inMemory(part).stream]);
    }
    const sorted = sortSources(sources);
    // The filters it was made with, for a merge to tell parts that saw different things (profile/filters.ts).
    const filters = profileFilters(scope.options);
    const head: ProfileHead = { ...parts.head, sources: sorted, ...(filters ? { filters: [filters] } : {}) };
    const tail = parts.tail();
    const issues = sorted.flatMap((s) => s.issueSamples).sort(compareIssues);
    return {
      parts: { head, principals: parts.principals, tail: () => tail },
      sources: sorted,
      skipped: head.skipped,
      counts: {
        principals: ids.size,
        ...(tail.network ? { workloads: (tail.workloads ?? []).length, network: tail.network.length } : {}),
      },
      issueCount: sorted.reduce((n, s) => n + s.issues, 0),
      issues,
      noticeCount: sorted.reduce((n, s) => n + (s.notices ?? 0), 0),
      notices: sorted.flatMap((s) => s.noticeSamples ?? []).sort(compareIssues),
      window: { since: scope.since, until: scope.until },
      ...(anchor ? { anchor } : {}),
      threads,
      unread,
      ...(readsLeftOut ? { readsLeftOut } : {}),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Read every source into a profile in memory (`ingestStream` streams it). The result is byte-identical whatever the
 * worker count or the order of the inputs (apart from the order-free list of sources).
 */
export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const { parts, close, ...info } = await ingestStream(opts);
  try {
    const principals: Principal[] = [];
    for await (const p of parts.principals) {
      // A profile in memory holds its edges as objects: made now, as each principal comes, so that the lines a
      // worker sent (profile/keyedLines.ts) are let go at once rather than held beside the objects.
      principals.push(edgesMade(p));
    }
    const profile: Profile = {
      apiVersion: PROFILE_API_VERSION,
      kind: 'Profile',
      ...parts.head,
      principals,
      ...parts.tail(),
    };
    return { ...info, profile };
  } finally {
    await close();
  }
}

/** A profile in memory as an input of the merge. */
function inMemory(p: Profile): { stream: ProfileStream; ids: string[] } {
  return {
    stream: { head: p, principals: asAsync(p.principals), tail: () => p },
    ids: p.principals.map((x) => principalId(x.subject)),
  };
}

/** The first pass of a run with durations: each task's days and newest time, on the threads that will read it. */
async function newestPass(tasks: Task[], scope: Scope, threads: number, inventory?: Inventory): Promise<TaskStats[]> {
  if (threads > 1)
    return (await execute(tasks, scope, 'newest', threads, () => {}, inventory)).results.map((r) => r.stats);
  const resolver = inventory ? new Resolver(inventory) : undefined;
  const none = () => {};
  const out: TaskStats[] = [];
  for (const t of tasks) out.push(await runTask(t, none, none, undefined, true, resolver));
  return out;
}

function execute(
  tasks: Task[],
  scope: Scope,
  mode: TaskMode,
  workers: number,
  onProgress: Progress,
  inventory?: Inventory,
): ReturnType<typeof runPool> {
  const reqs: TaskRequest[] = tasks.map((task) => ({
    task,
    scope: scope.toJSON(),
    mode,
    ...(inventory && task.format === 'flows' ? { inventory } : {}),
  }));
  return runPool(reqs, Math.max(1, workers), onProgress);
}

/**
 * One source record per file and flag: byte ranges of a file are summed, their issue lines made
 * absolute (one directory given to two flags is two reads: one decodes, the other skips).
 */
function sourceRecords(tasks: Task[], stats: TaskStats[]): SourceRecord[] {
  const byPath = new Map<string, SourceRecord & { lineOffset: number; tally: NoticeTally }>();
  tasks.forEach((t, i) => {
    const st = stats[i]!;
    const key = JSON.stringify([t.path, t.format]);
    let rec = byPath.get(key);
    if (!rec) {
      rec = {
        path: t.path,
        format: t.format,
        bytes: 0,
        records: 0,
        issues: 0,
        issueSamples: [],
        lineOffset: 0,
        tally: emptyNotices(),
      };
      byPath.set(key, rec);
    }
    mergeNotices(rec.tally, st.notices, rec.lineOffset);
    rec.bytes += st.bytes;
    rec.records += st.records;
    rec.issues += st.issues;
    for (const iss of st.issueSamples) {
      if (rec.issueSamples.length < ISSUE_SAMPLE_LIMIT)
        rec.issueSamples.push({ ...iss, line: iss.line + rec.lineOffset });
    }
    if (st.envelopes) rec.envelopes = addCounts(rec.envelopes, st.envelopes);
    if (st.envelopeSkipped) rec.envelopeSkipped = addCounts(rec.envelopeSkipped, st.envelopeSkipped);
    rec.lineOffset += st.lines;
    if (st.notice) {
      rec.format = 'skipped';
      rec.notice = st.notice;
    }
  });
  return [...byPath.values()].map(({ lineOffset: _, tally, ...r }) => ({ ...r, ...noticeFields(tally) }));
}

/** Counts by key, summed (byte ranges of one file, or the reads of one source). */
export function addCounts(a: Record<string, number> | undefined, b: Record<string, number>): Record<string, number> {
  const out = { ...(a ?? {}) };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}
