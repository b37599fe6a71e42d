import type { Profile } from '../model/profile.js';
import { ProfileBuilder } from '../profile/builder.js';
import { Scope } from '../profile/scope.js';
import { runTask, type Progress, type Task, type TaskStats } from './task.js';

export type TaskMode = 'profile' | 'newest';

/** A message to a worker: one task, the scope, and whether to build a profile or only find the newest time. */
export interface TaskRequest {
  task: Task;
  scope: ReturnType<Scope['toJSON']>;
  mode: TaskMode;
}

export interface TaskResult {
  stats: TaskStats;
  /** Partial profile (sources left empty); absent in `newest` mode. */
  profile?: Profile;
}

/** Run one task in isolation (in a worker thread, or inline for stdin). */
export async function runIsolated(req: TaskRequest, onProgress: Progress): Promise<TaskResult> {
  if (req.mode === 'newest') {
    const stats = await runTask(req.task, () => {}, onProgress, undefined, true);
    return { stats };
  }
  const builder = new ProfileBuilder(Scope.fromJSON(req.scope));
  const stats = await runTask(req.task, (o) => builder.add(o), onProgress);
  return { stats, profile: builder.toProfile() };
}
