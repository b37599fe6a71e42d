import type { Readable } from 'node:stream';
import { compareIssues, type InputIssue } from '../model/issue.js';
import { ISSUE_SAMPLE_LIMIT, type Profile, type SourceRecord } from '../model/profile.js';
import { ProfileBuilder, sortSources } from '../profile/builder.js';
import { mergeProfiles } from '../profile/merge.js';
import { Scope } from '../profile/scope.js';
import { resolveTimeSpec } from '../util/time.js';
import { resolveInputs, STDIN, UnreadableInputError, type InputFile } from './inputs.js';
import { runPool } from './pool.js';
import { runTask, type Progress, type Task, type TaskStats } from './task.js';
import type { TaskMode, TaskRequest, TaskResult } from './taskRunner.js';

export interface IngestOptions {
  k8sAudit: string[];
  scope: Scope;
  /** Worker threads; 1 reads everything on the main thread. */
  workers: number;
  cwd: string;
  stdin?: Readable;
  /** Called with the total bytes to read, once known. */
  onTotal?: (bytes: number) => void;
  onProgress?: Progress;
  /** Plain files larger than this are split into byte ranges across workers (default 32 MiB). */
  splitBytes?: number;
}

export interface IngestResult {
  profile: Profile;
  /** Total input issues across sources. */
  issueCount: number;
  /** First issues across all sources, in file and line order. */
  issues: InputIssue[];
}

const SPLIT_BYTES = 32 * 1024 * 1024;

/**
 * Read every source into a profile. The result is byte-identical whatever the worker count or the
 * order of the inputs (apart from the order-free list of sources).
 */
export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const stdinCount = opts.k8sAudit.filter((p) => p === STDIN).length;
  if (stdinCount > 1) throw new UnreadableInputError('stdin (-) can be read only once');
  const { files, notices } = await resolveInputs(opts.k8sAudit, opts.cwd);
  const tasks = planTasks(files, opts.workers, opts.splitBytes ?? SPLIT_BYTES);
  if (stdinCount === 1) tasks.push({ path: STDIN, abs: STDIN, gzip: false });
  opts.onTotal?.(files.reduce((n, f) => n + f.size, 0));
  const onProgress = opts.onProgress ?? (() => {});

  let scope = opts.scope;
  if (scope.hasRelativeTime) {
    if (stdinCount) throw new UnreadableInputError('a duration for --since/--until needs files: stdin cannot be read twice (give an RFC 3339 time)');
    const pre = await execute(tasks, scope, 'newest', opts.workers, () => {});
    const newest = pre.reduce((m, r) => (r.stats.newest > m ? r.stats.newest : m), '');
    const o = scope.options;
    scope = new Scope(o, {
      since: o.since ? resolveTimeSpec(o.since, newest) : '',
      until: o.until ? resolveTimeSpec(o.until, newest) : '',
    });
  }

  let profile: Profile;
  let stats: TaskStats[];
  if (opts.workers <= 1 || tasks.length <= 1 || stdinCount) {
    // One thread: one builder for everything, no partial profiles to merge.
    const builder = new ProfileBuilder(scope);
    stats = [];
    for (const t of tasks) stats.push(await runTask(t, (o) => builder.add(o), onProgress, opts.stdin));
    profile = builder.toProfile();
  } else {
    const results = await execute(tasks, scope, 'profile', opts.workers, onProgress);
    stats = results.map((r) => r.stats);
    profile = mergeProfiles(results.map((r) => r.profile!));
  }
  const sources = sourceRecords(tasks, stats);
  for (const n of notices) sources.push({ path: n.path, format: 'skipped', bytes: n.bytes, records: 0, issues: 0, issueSamples: [], notice: n.reason });
  profile = { ...profile, sources: sortSources(sources) };
  const issues = profile.sources.flatMap((s) => s.issueSamples).sort(compareIssues);
  return { profile, issueCount: profile.sources.reduce((n, s) => n + s.issues, 0), issues };
}

function execute(tasks: Task[], scope: Scope, mode: TaskMode, workers: number, onProgress: Progress): Promise<TaskResult[]> {
  const reqs: TaskRequest[] = tasks.map((task) => ({ task, scope: scope.toJSON(), mode }));
  return runPool(reqs, Math.max(1, workers), onProgress);
}

/** Whole files, and plain files big enough to be worth splitting into one range per worker. */
export function planTasks(files: InputFile[], workers: number, splitBytes: number): Task[] {
  const tasks: Task[] = [];
  for (const f of files) {
    const parts = workers > 1 && f.splittable ? Math.min(workers, Math.floor(f.size / splitBytes)) : 1;
    if (parts <= 1) {
      tasks.push({ path: f.path, abs: f.abs, gzip: f.gzip });
      continue;
    }
    const step = Math.ceil(f.size / parts);
    for (let s = 0; s < f.size; s += step) tasks.push({ path: f.path, abs: f.abs, gzip: false, start: s, end: Math.min(f.size, s + step) });
  }
  return tasks;
}

/** One source record per file: byte ranges of a file are summed, their issue lines made absolute. */
function sourceRecords(tasks: Task[], stats: TaskStats[]): SourceRecord[] {
  const byPath = new Map<string, SourceRecord & { lineOffset: number }>();
  tasks.forEach((t, i) => {
    const st = stats[i]!;
    let rec = byPath.get(t.path);
    if (!rec) {
      rec = { path: t.path, format: 'k8s-audit', bytes: 0, records: 0, issues: 0, issueSamples: [], lineOffset: 0 };
      byPath.set(t.path, rec);
    }
    rec.bytes += st.bytes;
    rec.records += st.records;
    rec.issues += st.issues;
    for (const iss of st.issueSamples) {
      if (rec.issueSamples.length < ISSUE_SAMPLE_LIMIT) rec.issueSamples.push({ ...iss, line: iss.line + rec.lineOffset });
    }
    rec.lineOffset += st.lines;
    if (st.notice) {
      rec.format = 'skipped';
      rec.notice = st.notice;
    }
  });
  return [...byPath.values()].map(({ lineOffset: _, ...r }) => r);
}
