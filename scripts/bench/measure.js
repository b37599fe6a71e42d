// One bench measurement repeated in fresh child processes (scripts/bench/child.js): the best time, every time, and
// the highest peak RSS. Shared by the audit, flows and CloudTrail sections.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function measureChild({ root, repeats, log }, mode, path, extra = []) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const out = execFileSync(process.execPath, [join(root, 'scripts/bench/child.js'), mode, path, ...extra], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').pop());
    if (r.code !== 0) throw new Error(`${mode} ${path} exited ${r.code}`);
    runs.push(r);
    log(
      `  ${mode} ${extra.join(' ')} ${path.split('/').pop()}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${(r.maxRssKB / 1024).toFixed(0)} MB`,
    );
  }
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ms: best.ms, all: runs.map((r) => r.ms), rssMB: Math.max(...runs.map((r) => r.maxRssKB)) / 1024 };
}
