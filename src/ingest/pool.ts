import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnreadableInputError } from './inputs.js';
import type { Progress } from './task.js';
import type { Profile } from '../model/profile.js';
import type { TaskRequest, TaskResult } from './taskRunner.js';

/**
 * The compiled worker script. Under the test runner this module is TypeScript source, and a worker
 * thread cannot load that: it then uses the build in dist/ (npm test builds first).
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts')
    ? resolve(dirname(here), '../../dist/ingest/worker.js')
    : join(dirname(here), 'worker.js');
}

/**
 * Run requests on up to `size` worker threads; results come back in request order. In `profile` mode
 * each worker then hands back the one partial profile of all the tasks it ran (`profiles`); which
 * worker ran which task does not matter, as merging is exact.
 */
export async function runPool(
  requests: TaskRequest[],
  size: number,
  onProgress: Progress,
): Promise<{ results: TaskResult[]; profiles: Profile[] }> {
  const results: TaskResult[] = new Array(requests.length);
  const profiles: Profile[] = [];
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(size, requests.length) }, async () => {
        // A 16 MB young generation: the parse garbage is short-lived either way, and each worker's heap
        // otherwise grows a larger one (measured: peak RSS 245-266 MB → 202-213 MB with two workers, same speed).
        const w = new Worker(workerFile(), { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
        workers.push(w);
        let ran: TaskRequest | undefined;
        while (next < requests.length) {
          const i = next++;
          ran = requests[i]!;
          results[i] = await runOne(w, ran, onProgress);
        }
        if (ran?.mode === 'profile')
          profiles.push((await runOne(w, { scope: ran.scope, mode: 'flush' }, onProgress)).profile!);
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results, profiles };
}

function runOne(w: Worker, req: TaskRequest, onProgress: Progress): Promise<TaskResult> {
  return new Promise((resolvePromise, reject) => {
    const onMessage = (m: {
      type: string;
      bytes?: number;
      records?: number;
      result?: TaskResult;
      message?: string;
      unreadable?: boolean;
    }) => {
      if (m.type === 'progress') onProgress(m.bytes ?? 0, m.records ?? 0);
      else {
        w.off('message', onMessage);
        w.off('error', onError);
        if (m.type === 'done') resolvePromise(m.result!);
        else reject(m.unreadable ? new UnreadableInputError(m.message ?? '') : new Error(m.message));
      }
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(e);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage(req);
  });
}
