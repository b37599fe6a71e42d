#!/usr/bin/env node
// The only place that touches the process: exit code = await run(argv, io).
import { tuneHeap } from '../dist/cli/heap.js';
import { run } from '../dist/cli/run.js';

tuneHeap(process.execArgv, process.env.NODE_OPTIONS);

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  stderrIsTTY: !!process.stderr.isTTY,
  cwd: process.cwd(),
});
process.exitCode = code;
