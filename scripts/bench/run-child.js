// Runs scripts/bench/child.js in a fresh process and never throws: a run that fails (an exit code, "Invalid
// string length", V8 out of memory, a signal) comes back as { ok: false, message } so the table can say so.
// Peak RSS is the child's own (scripts/bench/peak.js) when it could report it, else the highest VmHWM read from
// /proc while it ran.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = join(fileURLToPath(import.meta.url), '../child.js');

/** Peak resident set of a live process in KB (VmHWM), or 0 when it cannot be read (not Linux, already gone). */
function hwmKB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The line of a failed run's stderr that says why (V8's fatal error, a JS error, else the last line). */
function why(stderr) {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => /FATAL ERROR|Invalid string length|out of memory|RangeError/i.test(l));
  return (fatal ?? lines.pop() ?? '').slice(0, 200);
}

/**
 * `node [nodeArgs] child.js ...args` with `env`; resolves to { ok, ms, rssMB, message, accesses, code }. `ms` is the
 * child's own measure when it finished, else wall time in this process.
 */
export function runChild(args, { nodeArgs = [], log = () => {}, env = process.env } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeArgs, CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let hwm = 0;
    const poll = setInterval(() => (hwm = Math.max(hwm, hwmKB(child.pid))), 100);
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err = (err + c).slice(-16384)));
    child.on('close', (code, signal) => {
      clearInterval(poll);
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      let r;
      try {
        r = JSON.parse(out.trim().split('\n').pop());
      } catch {
        r = undefined;
      }
      const res = r
        ? {
            ok: r.code === 0,
            ms: r.ms,
            cpuMs: r.cpuMs,
            rssMB: r.maxRssKB / 1024,
            code: r.code,
            message: r.code === 0 ? '' : r.message || why(err) || `exit ${r.code}`,
            accesses: r.accesses,
          }
        : {
            ok: false,
            ms: wall,
            cpuMs: undefined,
            rssMB: hwm / 1024,
            code: code ?? signal,
            message: why(err) || (signal ? `killed by ${signal}` : `exit ${code}`),
          };
      log(
        `  ${args.slice(0, 3).join(' ')}: ${res.ok ? 'ok' : 'FAILED (' + res.message + ')'}, ${(res.ms / 1000).toFixed(2)} s, peak RSS ${res.rssMB.toFixed(0)} MB`,
      );
      resolve(res);
    });
  });
}
