import type { Principal } from '../model/profile.js';
import type { ProfileHead, ProfileTail } from '../profile/lines.js';
import { Resolver, type Inventory } from '../inventory/inventory.js';
import { ProfileBuilder } from '../profile/builder.js';
import { toWire } from '../profile/keyedLines.js';
import { edgeCount } from '../profile/lazyEdges.js';
import type { DeferredAws } from '../profile/deferred.js';
import { Scope } from '../profile/scope.js';
import { emptyNotices } from './notices.js';
import { runTask, type Progress, type Task, type TaskStats } from './task.js';

/**
 * `profile`: add the task's observations to the runner's builder (kept across tasks, so a worker
 * reading many small files hands back one partial profile, not one per file); `open`: start handing that profile
 * back (its header, trailing sections and principal ids) and start afresh; `next`: the next principals of it, a
 * batch at a time, so neither side ever holds the whole as objects; `newest`: only find the newest record time.
 */
export type TaskMode = 'profile' | 'newest' | 'open' | 'next';

/**
 * A batch of `next` holds whole principals, up to about this many accesses. Small, so that a batch the main thread
 * has received dies young there rather than being promoted while it is merged and written: 20,000 took a third more
 * CPU time and up to 1.8× the peak RSS with two workers on high-cardinality sets (docs/performance.md, "Handing
 * partial profiles back"); below a few hundred the round trips start to show.
 */
const BATCH_ACCESSES = 500;

/** A message to a worker: one task, the scope, and whether to build a profile or only find the newest time. */
export interface TaskRequest {
  /** Absent for `open` and `next`. */
  task?: Task;
  scope: ReturnType<Scope['toJSON']>;
  mode: TaskMode;
  /** Flows tasks: the inventory to resolve peers with. */
  inventory?: Inventory;
}

export interface TaskResult {
  stats: TaskStats;
  /** From `open`: the partial profile's header (sources left empty), trailing sections and principal ids in order. */
  open?: { head: ProfileHead; tail: ProfileTail; ids: string[]; deferred?: DeferredAws };
  /** From `next`: the next principals; `done` once there are no more. */
  batch?: Principal[];
  done?: boolean;
}

const EMPTY: TaskStats = {
  bytes: 0,
  records: 0,
  lines: 0,
  issues: 0,
  issueSamples: [],
  newest: '',
  notices: emptyNotices(),
};

/** Runs tasks one after another (in a worker thread), accumulating one profile until flushed. */
export class TaskRunner {
  private builder: ProfileBuilder | undefined;
  private principals: Iterator<Principal> | undefined;

  async run(req: TaskRequest, onProgress: Progress): Promise<TaskResult> {
    if (req.mode === 'open') {
      const parts = (this.builder ?? new ProfileBuilder(Scope.fromJSON(req.scope))).parts();
      this.builder = undefined;
      this.principals = parts.principals;
      const open = { head: parts.head, tail: parts.tail(), ids: parts.ids };
      return { stats: EMPTY, open: parts.deferred ? { ...open, deferred: parts.deferred } : open };
    }
    if (req.mode === 'next') {
      const batch: Principal[] = [];
      let accesses = 0;
      while (this.principals && accesses < BATCH_ACCESSES) {
        const r = this.principals.next();
        if (r.done) {
          this.principals = undefined;
          break;
        }
        // Its edges cross as the lines the profile will hold (keyedLines.ts), made here, in parallel with the others.
        batch.push(toWire(r.value));
        accesses += edgeCount(r.value, 'k8s') + edgeCount(r.value, 'aws') + 1;
      }
      return { stats: EMPTY, batch, done: !this.principals };
    }
    const resolver = req.inventory ? new Resolver(req.inventory) : undefined;
    if (req.mode === 'newest')
      return { stats: await runTask(req.task!, () => {}, onProgress, undefined, true, resolver) };
    const builder = (this.builder ??= new ProfileBuilder(Scope.fromJSON(req.scope)));
    return { stats: await runTask(req.task!, (o) => builder.add(o), onProgress, undefined, false, resolver) };
  }
}
