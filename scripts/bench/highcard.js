// The high-cardinality rows of docs/performance.md (issue 16): an audit log of the main bench's event shape in which
// 2,000 service accounts read and update many distinct named objects (~100k distinct accesses in ~500 MB), `profile`
// against the floor on the same bytes, with the distinct accesses the profile holds and peak RSS.
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { generateLog, HIGH_CARDINALITY } from './gen-log.js';
import { runChild } from './run-child.js';

export const HIGHCARD_TITLE = 'High-cardinality audit log';

/** Best of `repeats` runs of child.js `args`; a failure ends the series and is returned as such. */
async function best(args, repeats, log) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const r = await runChild(args, { log });
    if (!r.ok) return { ...r, all: runs.map((x) => x.ms).concat(r.ms) };
    runs.push(r);
  }
  const b = runs.reduce((a, x) => (x.ms < a.ms ? x : a));
  const cpuMs = Math.min(...runs.map((x) => x.cpuMs));
  return { ...b, cpuMs, all: runs.map((x) => x.ms), rssMB: Math.max(...runs.map((x) => x.rssMB)) };
}

/** Measure and return the markdown section. */
export async function highCardinalitySection({ dir, sizeMB, repeats, log }) {
  const file = join(dir, `audit-hc-${sizeMB}mb.log`);
  const t0 = Date.now();
  const gen = await generateLog(file, sizeMB * 1e6, 7, HIGH_CARDINALITY);
  log(
    `${gen.reused ? 'reused' : 'generated'} ${file}: ${(gen.bytes / 1e6).toFixed(0)} MB, ${gen.events} events (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const out1 = join(dir, 'hc1.json');
  const floor = await best(['floor', file], repeats, log);
  const p1 = await best(['cli', 'profile', '--k8s-audit', file, '--workers', '1', '-o', out1, '-q'], repeats, log);
  const p2 = await best(
    ['cli', 'profile', '--k8s-audit', file, '--workers', '2', '-o', join(dir, 'hc2.json'), '-q'],
    repeats,
    log,
  );
  // Counting reads the profile back whole: a measuring tool, given a larger heap than the runs it measures.
  const count = p1.ok ? await runChild(['count', out1], { nodeArgs: ['--max-old-space-size=8192'], log }) : undefined;
  const accesses = count?.ok ? count.accesses : undefined;
  const profileBytes = p1.ok ? statSync(out1).size : undefined;

  const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const share = (r) => (floor.ok && r.ok ? floor.ms / r.ms : undefined);
  const cpuShare = (r) => (floor.ok && r.ok ? floor.cpuMs / r.cpuMs : undefined);
  const row = (name, r, withFloor) =>
    r.ok
      ? `| ${name} | ${fmt(r.ms / 1000, 2)} (${r.all.map((x) => fmt(x / 1000, 2)).join(', ')}) | ${fmt(gen.bytes / 1e6 / (r.ms / 1000))} | ${fmt(gen.events / (r.ms / 1000))} | ${withFloor && share(r) ? fmt(share(r) * 100) + '%' : '—'} | ${fmt(r.cpuMs / 1000, 2)} | ${withFloor && cpuShare(r) ? fmt(cpuShare(r) * 100) + '%' : '—'} | ${fmt(r.rssMB)} |`
      : `| ${name} | **failed** after ${fmt(r.ms / 1000, 2)} s: ${r.message} | — | — | — | — | — | ${fmt(r.rssMB)} |`;
  const one = share(p1);
  const oneCpu = cpuShare(p1);
  return `## ${HIGHCARD_TITLE}

Input: ${fmt(gen.bytes / 1e6)} MB, ${fmt(gen.events)} events (${fmt(gen.bytes / gen.events)} bytes per event) of the
same shape as the main set (\`scripts/bench/gen-log.js\`, \`HIGH_CARDINALITY\`), but 50 service accounts in each of
40 namespaces, each reading and updating 60 objects out of 1,000 names per resource. The profile holds
${accesses === undefined ? 'an uncounted number of' : fmt(accesses)} distinct accesses${profileBytes === undefined ? '' : ` (${fmt(profileBytes / 1e6)} MB written${accesses ? `, ${fmt(profileBytes / accesses)} bytes per access` : ''})`}. Floor as above, on the same bytes.
Best of ${repeats} runs. CPU s: user + system time of the run's process, all its threads (best of the runs); its
ratio to the floor's is less sensitive than wall time to other work on a shared machine. The goal is judged on wall
time, as the other sections. Load average at the end of these runs: ${fmt(loadavg()[0], 1)} on ${cpus().length} cores.

| run | seconds (runs) | MB/s | events/s | of floor | CPU s | of floor, CPU | peak RSS MB |
|---|---|---|---|---|---|---|---|
${row('floor, plain', floor, false)}
${row('profile, high-cardinality, --workers 1', p1, true)}
${row('profile, high-cardinality, --workers 2', p2, true)}

| goal | measured | met |
|---|---|---|
| one worker at least 60% of the floor on ~100k+ distinct accesses in ~500 MB | ${one === undefined ? 'failed' : `${fmt(one * 100)}% (by CPU time: ${fmt(oneCpu * 100)}%)`} | ${one !== undefined && one >= 0.6 ? 'yes' : '**no**'} |
${one !== undefined && one >= 0.6 ? '' : `\nWhere the time goes, and the readers of our own tried against \`JSON.parse\`: [ADR 0010](adr/0010-streaming-profile.md#addendum-the-high-cardinality-goal-and-why-a-reader-of-our-own-is-not-the-way-to-it-issue-16).\n`}`;
}
