// The distinct-accesses rows of docs/performance.md (issue 16): generated sets in which every event is a new access
// (scripts/bench/gen-distinct.js, 4 shard files each), at 200k, 1M and (when asked) 5M accesses. Per size, once each:
// `profile` of the whole set, `profile` of each shard, `merge` of the 4 shard profiles, `generate all` from the
// merged profile and `verify` of the merged profile against what it generated, in fresh children on Node's default
// heap (NODE_OPTIONS cleared). A run that fails is a row that says so. Each size's latest results are kept in
// .bench/distinct-results.json, so a size not run this time (5M takes long) keeps its last figures in the table, with
// the date and commit they were measured on.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { generateDistinct, SHARDS } from './gen-distinct.js';
import { runChild } from './run-child.js';

export const DISTINCT_TITLE = 'Distinct accesses';
export const DEFAULT_SIZES = '200k,1m';

/** `200k`, `1m`, `5m` or a plain number → accesses. */
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`--distinct: not a size: ${s} (like 200k, 1m, 5m)`);
  return Math.round(Number(m[1]) * { '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase()]);
}

const label = (n) => (n % 1e6 === 0 ? `${n / 1e6}M` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

/** Run the rows of one size; returns its record (also what the results file keeps). */
async function measureSize(root, dir, n, log) {
  const name = label(n).toLowerCase();
  const set = join(dir, `distinct-${name}`);
  const t0 = Date.now();
  const gen = await generateDistinct(set, n);
  log(
    `${gen.reused ? 'reused' : 'generated'} ${set}: ${SHARDS} files, ${(gen.bytes / 1e6).toFixed(0)} MB, ${n} distinct accesses (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const env = { ...process.env, NODE_OPTIONS: '' };
  const out = (f) => join(dir, `distinct-${name}-${f}`);
  const cli = async (args, written) => {
    if (written) rmSync(written, { recursive: true, force: true });
    const r = await runChild(['cli', ...args, '-q'], { env, log });
    const bytes = r.ok && written && existsSync(written) && statSync(written).isFile() ? statSync(written).size : null;
    return { ok: r.ok, s: r.ms / 1000, rssMB: r.rssMB, message: r.message, bytes };
  };
  const rows = {};
  rows.profile = await cli(
    ['profile', '--k8s-audit', set, '--workers', '1', '-o', out('whole.json')],
    out('whole.json'),
  );
  const shards = [];
  for (let k = 0; k < SHARDS; k++) {
    const f = out(`shard-${k}.json`);
    shards.push(await cli(['profile', '--k8s-audit', join(set, `shard-${k}.log`), '--workers', '1', '-o', f], f));
  }
  const failed = shards.find((x) => !x.ok);
  rows.shard = {
    ok: !failed,
    s: Math.max(...shards.map((x) => x.s)),
    rssMB: Math.max(...shards.map((x) => x.rssMB)),
    message: failed?.message ?? '',
    bytes: null,
  };
  rows.merge = failed
    ? { ok: false, s: 0, rssMB: 0, message: 'not run: a shard profile failed', bytes: null }
    : await cli(
        ['merge', ...shards.map((_, k) => out(`shard-${k}.json`)), '-o', out('merged.json')],
        out('merged.json'),
      );
  rows.generate = rows.merge.ok
    ? await cli(['generate', 'all', '--profile', out('merged.json'), '-o', out('generated')], out('generated'))
    : { ok: false, s: 0, rssMB: 0, message: 'not run: no merged profile', bytes: null };
  // Every access replayed against what was generated from it: exit 0 only when all are allowed. The policies'
  // directories, as the demo names them (the whole tree would also parse the evidence beside them).
  const policyDirs = ['rbac', 'iam', 'netpol'].map((k) => join(out('generated'), k)).filter((d) => existsSync(d));
  rows.verify = rows.generate.ok
    ? await cli(['verify', '--policies', ...policyDirs, '--profile', out('merged.json')])
    : { ok: false, s: 0, rssMB: 0, message: 'not run: nothing generated', bytes: null };
  rmSync(out('generated'), { recursive: true, force: true });
  let commit;
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    commit = 'unknown';
  }
  const load = `${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
  return { accesses: n, bytes: gen.bytes, date: new Date().toISOString().slice(0, 10), commit, load, rows };
}

/** Check at the smallest size that the merged profile holds one access per event (read back in a child). */
async function countCheck(dir, n, log) {
  const f = join(dir, `distinct-${label(n).toLowerCase()}-merged.json`);
  if (!existsSync(f)) return undefined;
  const r = await runChild(['count', f], { nodeArgs: ['--max-old-space-size=8192'], log });
  return r.ok ? r.accesses : undefined;
}

/** Measure the sizes asked for and return the markdown section (with earlier sizes' figures kept). */
export async function distinctSection({ root, dir, sizes, log }) {
  const resultsFile = join(dir, 'distinct-results.json');
  const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
  const now = new Set();
  for (const n of sizes) {
    results[n] = await measureSize(root, dir, n, log);
    now.add(String(n));
    writeFileSync(resultsFile, JSON.stringify(results, null, 1) + '\n');
  }
  const smallest = Math.min(...sizes);
  const counted = smallest <= 1e6 ? await countCheck(dir, smallest, log) : undefined;
  const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const NAMES = {
    profile: 'profile, whole set (4 files), --workers 1',
    shard: 'profile, one shard, --workers 1 (slowest of 4)',
    merge: `merge of ${SHARDS} shard profiles`,
    generate: 'generate all, from the merged profile',
    verify: 'verify the merged profile against what generate wrote',
  };
  const sizesShown = Object.keys(results)
    .map(Number)
    .sort((a, b) => a - b);
  const lines = [];
  for (const n of sizesShown) {
    const rec = results[n];
    const when = now.has(String(n)) ? 'this run' : `${rec.date} (${rec.commit})`;
    for (const [k, r] of Object.entries(rec.rows)) {
      const res = r.ok
        ? 'ok'
        : r.message.startsWith('not run')
          ? r.message
          : `**failed**: ${r.message.replace(/\|/g, '\\|')}`;
      const b = r.bytes === null ? '—' : `${fmt(r.bytes / 1e6)} MB, ${fmt(r.bytes / n)}`;
      const secs = r.s ? fmt(r.s, 1) : '—';
      const rss = r.rssMB ? fmt(r.rssMB) : '—';
      lines.push(`| ${label(n)} | ${NAMES[k]} | ${res} | ${secs} | ${rss} | ${b} | ${when} |`);
    }
  }
  const at = (n) => results[n];
  const five = at(5e6);
  const allOk = (rec) => ['profile', 'merge', 'generate'].every((k) => rec.rows[k].ok);
  const failures = (rec) =>
    ['profile', 'merge', 'generate']
      .filter((k) => !rec.rows[k].ok)
      .map((k) => `${k}: ${rec.rows[k].message.replace(/\|/g, '\\|')}`)
      .join('; ');
  const largest = sizesShown.filter((n) => at(n).rows.profile.ok).pop();
  const perAccess = largest && at(largest).rows.profile.bytes / largest;
  const m1 = at(1e6);
  // The 1M goal is on building and merging profiles (issue 16: "today: fails" is `profile`); `generate all` is shown.
  const BUILD = ['profile', 'merge'];
  const peak1 = m1 && Math.max(...BUILD.map((k) => m1.rows[k].rssMB || 0));
  const built1 = m1 && BUILD.every((k) => m1.rows[k].ok);
  const rss1 = (k) =>
    m1.rows[k].ok ? `${k} ${fmt(m1.rows[k].rssMB)} MB` : `${k} ${m1.rows[k].message.replace(/\|/g, '\\|')}`;
  const goal5 = five
    ? `| 5M distinct accesses: profile, merge of ${SHARDS} shards and generate all complete on Node's default heap | ${allOk(five) ? 'all complete' : failures(five)} | ${allOk(five) ? 'yes' : '**no**'} |`
    : `| 5M distinct accesses: profile, merge of ${SHARDS} shards and generate all complete on Node's default heap | not measured yet (\`npm run bench -- --only distinct --distinct 5m\`) | — |`;
  const goalBytes = largest
    ? `| the written profile at most 300 bytes per access before gzip | ${fmt(perAccess)} bytes per access (profile of the whole set at ${label(largest)}${five ? '' : '; 5M not measured'}) | ${perAccess <= 300 ? 'yes' : '**no**'} |`
    : `| the written profile at most 300 bytes per access before gzip | no profile written at any size | **no** |`;
  const goalRss = m1
    ? `| peak RSS at 1M distinct accesses at most 1.2 GB (profile and merge) | ${built1 ? `${fmt(peak1)} MB` : `fails; ${fmt(peak1)} MB at most before failing`} (${['profile', 'merge', 'generate'].map(rss1).join('; ')}) | ${built1 && peak1 <= 1200 ? 'yes' : '**no**'} |`
    : `| peak RSS at 1M distinct accesses at most 1.2 GB (profile and merge) | not measured yet | — |`;
  return `## ${DISTINCT_TITLE}

Input: generated Kubernetes audit logs in which every event is a new distinct access (\`scripts/bench/gen-distinct.js\`):
1,000 service accounts in 50 namespaces get, update, patch and delete objects of 7 resources, each event naming a
new object; Metadata-level events of the main set's shape without \`extra\` (about 820 bytes each), split round-robin
into ${SHARDS} files (shards). Each run once, in a fresh child on Node's default heap (\`NODE_OPTIONS\` cleared;
\`--workers 1\`, so the figures do not depend on the core count). The whole-set profile is \`profile\` of the
directory of ${SHARDS} files; \`merge\` reads the ${SHARDS} shard profiles; \`generate all\` reads the merged
profile twice, principal by principal, and writes each policy file as it is made (ADR 0010); \`verify\` replays
the merged profile, read once principal by principal, against the generated policies (exit 0: all allowed).
Written: the output file's size and its bytes per distinct access (before gzip). A failed run is a row with its message (an exit
code, V8's "Invalid string length" or out of memory), and what needs its output is not run.
Sizes not run this time keep their last figures (\`.bench/distinct-results.json\`) with the date and commit measured.
Load average at the end of each size's runs: ${sizesShown.map((n) => `${label(n)} ${results[n].load ?? '?'}`).join(', ')}.
${counted === undefined ? '' : `\nCheck: the merged profile at ${label(smallest)} holds ${fmt(counted)} distinct accesses (${counted === smallest ? 'one per event, as generated' : `**not** the ${fmt(smallest)} generated`}).\n`}
| accesses | run | result | seconds | peak RSS MB | written, bytes per access | measured |
|---|---|---|---|---|---|---|
${lines.join('\n')}

| goal | measured | met |
|---|---|---|
${goal5}
${goalBytes}
${goalRss}
`;
}
