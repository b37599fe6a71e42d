import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnreadableInputError } from './inputs.js';
import type { Progress } from './task.js';
import type { Principal } from '../model/profile.js';
import { fromWire } from '../profile/keyedLines.js';
import type { DeferredAws } from '../profile/deferred.js';
import type { ProfileStream } from '../profile/read.js';
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

/** Each worker thread's young generation, in MB (see runPool). */
const YOUNG_GENERATION_MB = 12;

/** A partial profile still held by a worker: read it through `stream`, then `close` the pool. */
export interface WorkerProfile {
  stream: ProfileStream;
  /** Its principals' ids, in order. */
  ids: string[];
  /** Its AWS principals, not yet judged by subject globs (profile/deferred.ts). */
  deferred?: DeferredAws;
}

/**
 * Run requests on up to `size` worker threads; results come back in request order. In `profile` mode each worker
 * then hands back the one partial profile of all the tasks it ran (`profiles`), a batch of principals at a time as
 * the caller reads it, so the whole is never objects on either side; which worker ran which task does not matter,
 * as merging is exact. The workers stay until `close()` (they do not keep the process alive).
 */
export async function runPool(
  requests: TaskRequest[],
  size: number,
  onProgress: Progress,
): Promise<{ results: TaskResult[]; profiles: WorkerProfile[]; close: () => Promise<void> }> {
  const results: TaskResult[] = new Array(requests.length);
  const profiles: WorkerProfile[] = [];
  let next = 0;
  const workers: Worker[] = [];
  const close = async () => {
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(size, requests.length) }, async () => {
        // A small young generation: the parse garbage is short-lived either way, and each worker's heap otherwise
        // grows a larger one. V8 takes a third of the limit as a semi-space and rounds it up to a power of two, so
        // 13-24 MB give two 8 MB semi-spaces and 12 MB gives two of 4 MB. Measured with two workers
        // (docs/performance.md): the default → 16 MB, peak RSS 245-266 → 202-213 MB, same speed; 16 → 12 MB, the
        // 292 MB CloudTrail document 261-271 → 242-257 MB at the same speed, audit logs 7-13 MB less, about 5% slower.
        const w = new Worker(workerFile(), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
        workers.push(w);
        let ran: TaskRequest | undefined;
        while (next < requests.length) {
          const i = next++;
          ran = requests[i]!;
          results[i] = await runOne(w, ran, onProgress);
        }
        if (ran?.mode === 'profile') profiles.push(await workerProfile(w, ran.scope, onProgress));
      }),
    );
  } catch (e) {
    await close();
    throw e;
  }
  if (!profiles.length) await close();
  for (const w of workers) w.unref();
  return { results, profiles, close };
}

/** The partial profile a worker holds, as a stream that asks it for the next batch of principals when needed. */
async function workerProfile(w: Worker, scope: TaskRequest['scope'], onProgress: Progress): Promise<WorkerProfile> {
  const { head, tail, ids, deferred } = (await runOne(w, { scope, mode: 'open' }, onProgress)).open!;
  // The next batch is asked for as soon as one arrives, so the worker makes it while this thread merges and writes
  // the one before.
  const ask = () => {
    const p = runOne(w, { scope, mode: 'next' }, onProgress);
    // Awaited below; until then (or if the reader stops early), a failure must not count as unhandled.
    p.catch(() => {});
    return p;
  };
  async function* principals(): AsyncGenerator<Principal> {
    let pending: Promise<TaskResult> | undefined = ask();
    while (pending) {
      const r: TaskResult = await pending;
      pending = r.done ? undefined : ask();
      for (const p of r.batch!) yield fromWire(p);
    }
  }
  return { stream: { head, principals: principals(), tail: () => tail }, ids, ...(deferred ? { deferred } : {}) };
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
