// Seeded fuzz of the profile reader. A profile file is an input like any log: people keep them, merge them, edit and
// copy them. Each run mutates a valid profile's lines (a line repeated, swapped, dropped; a value inside one changed:
// a number, a string, a list, an object's key) and reads the file. It must be either refused with an InputError naming
// the file and line, or read; and a profile that is read must be as the writer writes it: merged alone, it is the same
// (a file merge would quietly mend would otherwise read as one profile and merge as another), and the policies made
// from it allow every observation it holds. The end line's counts are set to fit the mutated file in half the runs,
// so that mutations reach the checks behind the counts. Runs alternate between two bases: a slice of the demo (odd
// runs: many principals and network paths) and a small profile holding every optional field of the format (even
// runs: test/helpers/richProfile.ts: denied and undecided evidence, left-out identities, created ARNs, role sessions,
// flags of Kubernetes accesses, the header's filters and issue samples).
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAll, readAllPolicies, verifyAll } from '../src/kinds/index.js';
import { InputError } from '../src/model/issue.js';
import type { Profile } from '../src/model/profile.js';
import { readProfile, serializeProfile } from '../src/profile/io.js';
import { mergeProfiles } from '../src/profile/merge.js';
import { TAIL_SECTIONS } from '../src/profile/lines.js';
import { parsePolicyText, type PolicyDoc } from '../src/policy/load.js';
import type { InputIssue } from '../src/model/issue.js';
import { rng, tmp } from './helpers/cli.js';
import { changed, demoSlice, getAt, pick, places, setAt, valuesOf, type Json, type Rand } from './helpers/mutate.js';
import { missingFields, richSlice } from './helpers/richProfile.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261207) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 400);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

/** The end line counted again from the lines before it (the reader's own rule: a present section is counted). */
function recount(lines: string[]): string[] {
  const end = lines.findIndex((l) => l.startsWith('{"end":'));
  if (end < 0) return lines;
  const counts: Record<string, number> = { principals: 0, accesses: 0, leftOut: 0 };
  const given = (JSON.parse(lines[end]!) as { end: Record<string, number> }).end;
  for (const [, field] of TAIL_SECTIONS) if (field !== 'leftOut' && given[field] !== undefined) counts[field] = 0;
  for (const l of lines.slice(0, end)) {
    const kind = /^\{"(\w+)":/.exec(l)?.[1];
    if (kind === 'principal') counts['principals']!++;
    else if (kind === 'k8s' || kind === 'aws') counts['accesses']!++;
    else {
      const section = TAIL_SECTIONS.find(([key]) => key === kind);
      if (section) counts[section[1]] = (counts[section[1]] ?? 0) + 1;
    }
  }
  return lines.map((l, i) => (i === end ? JSON.stringify({ end: counts }) : l));
}

/** One run's mutated lines and what was done, in words. */
function mutate(r: Rand, base: string[], elsewhere: Map<string, Json[]>): { lines: string[]; done: string[] } {
  let lines = [...base];
  const done: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let m = 0; m < n; m++) {
    // Not the header's first key nor the end line: those have checks of their own (test/profile-stream.test.ts).
    const body = lines.length - 2;
    const i = 1 + Math.floor(r() * body);
    const kind = r();
    if (kind < 0.15) {
      lines = [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)];
      done.push(`line ${i + 1} repeated`);
    } else if (kind < 0.3 && i + 1 < lines.length - 1) {
      lines = [...lines.slice(0, i), lines[i + 1]!, lines[i]!, ...lines.slice(i + 2)];
      done.push(`lines ${i + 1} and ${i + 2} swapped`);
    } else if (kind < 0.38) {
      lines = [...lines.slice(0, i), ...lines.slice(i + 1)];
      done.push(`line ${i + 1} dropped`);
    } else {
      const v = JSON.parse(lines[i]!) as Json;
      const path = pick(
        r,
        places(v).filter((p) => p.length > 1),
      );
      if (!path) continue;
      const to = changed(r, getAt(v, path), elsewhere);
      if (to === undefined) continue;
      lines[i] = JSON.stringify(setAt(v, path, to));
      done.push(`line ${i + 1} ${path.join('.')} = ${JSON.stringify(to).slice(0, 60)}`);
    }
  }
  if (r() < 0.5) {
    lines = recount(lines);
    done.push('end counted again');
  }
  return { lines, done };
}

/** What is wrong with a profile that was read: not as the writer writes it, or its policies deny what it holds. */
async function readProblem(p: Profile): Promise<string | undefined> {
  const text = serializeProfile(p);
  const again = serializeProfile(mergeProfiles([p]));
  if (again !== text) {
    const a = text.split('\n');
    const b = again.split('\n');
    const at = a.findIndex((l, i) => l !== b[i]);
    return `merged alone, it changes at line ${at + 1}:\n  read:   ${a[at]?.slice(0, 300)}\n  merged: ${b[at]?.slice(0, 300)}`;
  }
  const docs: PolicyDoc[] = [];
  const issues: InputIssue[] = [];
  for (const g of await generateAll(p))
    for (const [path, body] of g.files) if (!path.startsWith('evidence/')) parsePolicyText(path, body, docs, issues);
  if (issues.length) return `the generated policies do not parse: ${issues[0]!.message}`;
  // Undetermined is allowed: a call of a service AWS's catalogue does not hold (an event source mutated to a name no
  // service has) is a coverage gap the report lists, as from a log; a denial is not.
  const report = await verifyAll(p, readAllPolicies(docs));
  if (report.notAllowed.length)
    return `its policies deny ${report.notAllowed.length} of ${report.observed}: ${JSON.stringify(report.notAllowed[0]).slice(0, 300)}`;
  return undefined;
}

describe('profile reader fuzz', () => {
  const bases: { name: string; lines: string[]; elsewhere: Map<string, Json[]> }[] = [];
  const dir = tmp('a2p-proffuzz-');

  beforeAll(async () => {
    for (const [name, profile] of [
      ['rich', await richSlice()],
      ['demo slice', await demoSlice()],
    ] as const) {
      const lines = serializeProfile(profile).split('\n');
      if (lines.at(-1) === '') lines.pop();
      bases.push({ name, lines, elsewhere: valuesOf(lines.map((l) => JSON.parse(l) as Json)) });
    }
  });

  it(`mutated profiles are refused with file:line, or read as written and replayed in full (seed ${SEED}, ${RUNS} runs)`, async () => {
    // The unmutated profiles hold every kind of line (the rich one every optional field), and pass the checks the runs
    // apply.
    expect(missingFields(bases[0]!.lines.join('\n'))).toEqual([]);
    for (const { name, lines } of bases) {
      const kinds = new Set(lines.map((l) => /^\{"(\w+)":/.exec(l)?.[1]));
      for (const k of ['apiVersion', 'principal', 'k8s', 'aws', 'workload', 'network', 'dnsName', 'namespace', 'end'])
        expect(kinds.has(k), `${name}: ${k}`).toBe(true);
      const f0 = join(dir, 'base.json');
      writeFileSync(f0, lines.join('\n') + '\n');
      expect(await readProblem(await readProfile(f0)), name).toBeUndefined();
    }

    const failures: string[] = [];
    let refused = 0;
    let read = 0;
    for (let run = 0; run < RUNS; run++) {
      if (ONLY !== undefined && run !== ONLY) continue;
      const r = rng((SEED + run * 7919) >>> 0);
      const base = bases[run % 2]!;
      const { lines, done } = mutate(r, base.lines, base.elsewhere);
      const f = join(dir, `run-${run}.json`);
      writeFileSync(f, lines.join('\n') + '\n');
      const what = `run ${run} (FUZZ_SEED=${SEED} FUZZ_RUN=${run}, ${base.name}): ${done.join('; ')}`;
      let p: Profile;
      try {
        p = await readProfile(f);
      } catch (e) {
        refused++;
        if (!(e instanceof InputError)) failures.push(`${what}\n  not an InputError: ${(e as Error).stack}`);
        else if (!new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `).test(e.message))
          failures.push(`${what}\n  no file:line: ${e.message.slice(0, 300)}`);
        continue;
      }
      read++;
      try {
        const problem = await readProblem(p);
        if (problem) failures.push(`${what}\n  ${problem}`);
      } catch (e) {
        failures.push(`${what}\n  read, then: ${(e as Error).stack}`);
      }
    }
    if (ONLY === undefined) {
      // Both outcomes are reached: a fuzzer whose every run is refused (or read) tests one path only.
      expect(refused, 'runs refused').toBeGreaterThan(RUNS / 10);
      expect(read, 'runs read').toBeGreaterThan(RUNS / 20);
    }
    expect(failures.join('\n\n')).toBe('');
  }, 600_000);
});
