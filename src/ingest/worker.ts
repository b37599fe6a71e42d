import { parentPort } from 'node:worker_threads';
import { UnreadableInputError } from './inputs.js';
import { TaskRunner, type TaskRequest } from './taskRunner.js';

/** Worker thread entry: runs tasks posted by the pool, reporting bytes read as it goes. */
const PROGRESS_EVERY = 4 * 1024 * 1024;

const runner = new TaskRunner();

parentPort!.on('message', (req: TaskRequest) => {
  let bytes = 0;
  let records = 0;
  runner
    .run(req, (b, r) => {
      bytes += b;
      records += r;
      if (bytes >= PROGRESS_EVERY) {
        parentPort!.postMessage({ type: 'progress', bytes, records });
        bytes = records = 0;
      }
    })
    .then(
      (result) => {
        if (bytes > 0 || records > 0) parentPort!.postMessage({ type: 'progress', bytes, records });
        parentPort!.postMessage({ type: 'done', result });
      },
      (err: Error) =>
        parentPort!.postMessage({
          type: 'error',
          message: err.message,
          unreadable: err instanceof UnreadableInputError,
        }),
    );
});
