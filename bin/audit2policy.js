#!/usr/bin/env node
// The only place that touches the process: exit code = await run(argv, io).
import { run } from '../dist/cli/run.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  stderrIsTTY: !!process.stderr.isTTY,
  cwd: process.cwd(),
});
process.exitCode = code;
