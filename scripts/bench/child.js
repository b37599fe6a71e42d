// One measurement in a fresh process, so peak RSS belongs to it alone. Prints one JSON line.
// Modes: floor, floor-gz, floor-ct, floor-flows (the floors); profile, profile-ct, profile-flows (`profile` of
// FILE); cli ARGS... (any command, e.g. `cli merge A B -o C`); count PROFILE (its distinct accesses, read with
// the project's own profile reader). A failing command's last stderr line is in `message`.
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { tuneHeap } from '../../dist/cli/heap.js';
import { peakRssKB } from './peak.js';

const [mode, file, ...rest] = process.argv.slice(2);
// The tool's runs are measured as bin/audit2policy.js runs them; the floors on V8's defaults.
if (!mode.startsWith('floor')) tuneHeap(process.execArgv, process.env.NODE_OPTIONS);
let records = 0;

/** The floor: read the bytes, split lines, decode each and JSON.parse it. Nothing else. */
async function floor(gzip) {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const input = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  let carry = null;
  for await (const c of input) {
    let s = 0;
    if (carry) {
      const nl = c.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, c]);
        continue;
      }
      const line = Buffer.concat([carry, c.subarray(0, nl)]);
      carry = null;
      if (line.length) {
        JSON.parse(line.toString('utf8'));
        records++;
      }
      s = nl + 1;
    }
    for (;;) {
      const nl = c.indexOf(10, s);
      if (nl < 0) break;
      if (nl > s) {
        JSON.parse(c.toString('utf8', s, nl));
        records++;
      }
      s = nl + 1;
    }
    if (s < c.length) carry = Buffer.from(c.subarray(s));
  }
  if (carry && carry.length) {
    JSON.parse(carry.toString('utf8'));
    records++;
  }
}

/** The flows floor: every .json.gz file of the directory gunzipped, split into lines, each JSON.parse'd. */
async function floorFlows() {
  for (const name of readdirSync(file).sort()) {
    const text = gunzipSync(readFileSync(join(file, name))).toString('utf8');
    let s = 0;
    for (;;) {
      const nl = text.indexOf('\n', s);
      if (nl < 0) break;
      if (nl > s) {
        JSON.parse(text.slice(s, nl));
        records++;
      }
      s = nl + 1;
    }
  }
}

/**
 * The CloudTrail floor: every .json.gz file of the directory read, gunzipped and JSON.parse'd whole; a single plain
 * document is read and JSON.parse'd whole.
 */
async function floorCloudTrail() {
  if (!statSync(file).isDirectory()) {
    records += JSON.parse(readFileSync(file, 'utf8')).Records.length;
    return;
  }
  for (const name of readdirSync(file).sort()) {
    const doc = JSON.parse(gunzipSync(readFileSync(join(file, name))).toString('utf8'));
    records += doc.Records.length;
  }
}

let code = 0;
let message = '';
let accesses;
/** run() of the CLI with stderr kept (and passed on), so a failure's message can be reported. */
async function cli(argv) {
  const { run } = await import('../../dist/cli/run.js');
  let err = '';
  const stderr = new Writable({
    write(c, _e, cb) {
      err = (err + c.toString()).slice(-8192);
      process.stderr.write(c, cb);
    },
  });
  try {
    code = await run(argv, {
      stdout: new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
      stderr,
      stdin: process.stdin,
      env: process.env,
      stderrIsTTY: false,
      cwd: process.cwd(),
    });
  } catch (e) {
    code = 70;
    err += `\n${e instanceof Error ? e.message : String(e)}`;
  }
  if (code !== 0) message = err.trim().split('\n').pop() ?? '';
}

if (mode === 'cli') await cli([file, ...rest]);
else if (mode === 'count') {
  const { readProfile } = await import('../../dist/profile/io.js');
  const p = await readProfile(file);
  accesses = 0;
  for (const pr of p.principals) accesses += pr.k8s.length + (pr.aws?.length ?? 0);
} else if (mode === 'floor') await floor(false);
else if (mode === 'floor-gz') await floor(true);
else if (mode === 'floor-ct') await floorCloudTrail();
else if (mode === 'floor-flows') await floorFlows();
else {
  const source = mode === 'profile-ct' ? '--cloudtrail' : mode === 'profile-flows' ? '--flows' : '--k8s-audit';
  await cli(['profile', source, file, '--quiet', ...rest]);
}
// Since the process started (performance.now()'s origin): node's own start-up and the modules the run loads count, as
// they do when a user runs the command. The CLI is imported by the runs that use it (cli()), never by the floors.
const ms = performance.now();
const use = process.resourceUsage();
const maxRssKB = peakRssKB();
// CPU time of every thread of the process (user + system), less sensitive than wall time to a shared machine.
const cpuMs = (use.userCPUTime + use.systemCPUTime) / 1000;
process.stdout.write(JSON.stringify({ mode, ms, cpuMs, maxRssKB, records, code, message, accesses }) + '\n');
