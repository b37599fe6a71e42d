import type { Profile } from '../model/profile.js';
import { Resolver, type Inventory } from '../inventory/inventory.js';
import { ProfileBuilder } from '../profile/builder.js';
import { Scope } from '../profile/scope.js';
import { emptyNotices } from './notices.js';
import { runTask, type Progress, type Task, type TaskStats } from './task.js';

/**
 * `profile`: add the task's observations to the runner's builder (kept across tasks, so a worker
 * reading many small files hands back one partial profile, not one per file); `flush`: hand back that
 * profile and start afresh; `newest`: only find the newest record time.
 */
export type TaskMode = 'profile' | 'newest' | 'flush';

/** A message to a worker: one task, the scope, and whether to build a profile or only find the newest time. */
export interface TaskRequest {
  /** Absent for `flush`. */
  task?: Task;
  scope: ReturnType<Scope['toJSON']>;
  mode: TaskMode;
  /** Flows tasks: the inventory to resolve peers with. */
  inventory?: Inventory;
}

export interface TaskResult {
  stats: TaskStats;
  /** Partial profile (sources left empty) of every task since the last flush; only from `flush`. */
  profile?: Profile;
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

  async run(req: TaskRequest, onProgress: Progress): Promise<TaskResult> {
    if (req.mode === 'flush') {
      const profile = (this.builder ?? new ProfileBuilder(Scope.fromJSON(req.scope))).toProfile();
      this.builder = undefined;
      return { stats: EMPTY, profile };
    }
    const resolver = req.inventory ? new Resolver(req.inventory) : undefined;
    if (req.mode === 'newest')
      return { stats: await runTask(req.task!, () => {}, onProgress, undefined, true, resolver) };
    const builder = (this.builder ??= new ProfileBuilder(Scope.fromJSON(req.scope)));
    return { stats: await runTask(req.task!, (o) => builder.add(o), onProgress, undefined, false, resolver) };
  }
}
