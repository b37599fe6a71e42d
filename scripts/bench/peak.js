// The peak resident set of this process, in KB. On Linux, `getrusage`'s maxRSS (`process.resourceUsage().maxRSS`)
// survives exec: a child starts with the peak of the process that forked it, so a benchmark driver holding 300 MB
// makes every child it spawns report at least 300 MB. VmHWM in /proc/self/status belongs to the process's own address
// space, which exec replaces, so it is this run's alone. Where /proc cannot be read (not Linux), maxRSS it is.
import { readFileSync } from 'node:fs';

export function peakRssKB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
