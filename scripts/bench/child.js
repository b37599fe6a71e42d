// One measurement in a fresh process, so peak RSS belongs to it alone. Prints one JSON line.
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { run } from '../../dist/cli/run.js';

const [mode, file, ...rest] = process.argv.slice(2);
const started = process.hrtime.bigint();
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
if (mode === 'floor') await floor(false);
else if (mode === 'floor-gz') await floor(true);
else if (mode === 'floor-ct') await floorCloudTrail();
else if (mode === 'floor-flows') await floorFlows();
else {
  const sink = new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
  const source = mode === 'profile-ct' ? '--cloudtrail' : mode === 'profile-flows' ? '--flows' : '--k8s-audit';
  code = await run(['profile', source, file, '--quiet', ...rest], {
    stdout: sink,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stderrIsTTY: false,
    cwd: process.cwd(),
  });
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ mode, ms, maxRssKB: process.resourceUsage().maxRSS, records, code }) + '\n');
