// Seeded fuzz of committed policies as `diff`, `check` and `verify` read them. CI jobs run these commands on a
// repository's policy tree, which people edit by hand: each run takes the tree `generate all` wrote for a slice of the
// demo (even runs) or for a small profile holding every optional field (odd runs), changes one to three of its policy
// documents (a value changed or moved from elsewhere in the tree, a key
// dropped or added, a document repeated, a file cut short) and runs the three commands in-process. Each must exit 0,
// 1 or 2 with no stack trace and no internal error; `check` and `verify`, which judge the same policies against the
// same profile, must agree on whether anything observed would be denied; and where the changed tree denies what the
// profile holds (which the unchanged tree allows in full), `diff` must show access removed or undetermined.
// FUZZ_SEED=n tries another seed, FUZZ_RUNS=n sets the number of runs, FUZZ_RUN=i repeats one run. Before the second
// tree, FUZZ_SEED=3 FUZZ_RUN=162 (a Cognito pool's trust losing sts:TagSession) and FUZZ_SEED=6 FUZZ_RUN=23 and 115
// (GitHub Actions' release tags under another :aud) found that `diff` compared a pattern's or any subject's statement
// by its subjects alone (fixed: src/kinds/iam/trustWitness.ts; test/iam-trust.test.ts holds the cases).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAll } from '../src/kinds/index.js';
import { serializeProfile } from '../src/profile/io.js';
import { rng, tmp } from './helpers/cli.js';
import { cliInProcess } from './helpers/inProcess.js';
import { changed, demoSlice, getAt, pick, places, setAt, valuesOf, type Json, type Rand } from './helpers/mutate.js';
import { richSlice } from './helpers/richProfile.js';

const env = process.env;
const SEED = Number(env['FUZZ_SEED'] ?? 20261207) >>> 0;
const RUNS = Number(env['FUZZ_RUNS'] ?? 60);
const ONLY = env['FUZZ_RUN'] === undefined ? undefined : Number(env['FUZZ_RUN']);

/** The documents of a policy file as the readers parse them. */
const docsOf = (file: string, text: string): Json[] =>
  file.endsWith('.json') ? [JSON.parse(text) as Json] : (loadAll(text) as Json[]).filter((d) => d !== null);

const textOf = (file: string, docs: Json[]): string =>
  file.endsWith('.json') ? JSON.stringify(docs[0], null, 2) + '\n' : docs.map((d) => dump(d)).join('---\n');

/** One to three policy files changed in place; what was done, in words. */
function mutate(r: Rand, dir: string, files: string[], elsewhere: Map<string, Json[]>): string[] {
  const done: string[] = [];
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const file = pick(r, files);
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const kind = r();
    if (kind < 0.08) {
      writeFileSync(path, text.slice(0, Math.floor(r() * text.length)));
      done.push(`${file} cut short`);
      continue;
    }
    let docs: Json[];
    try {
      docs = docsOf(file, text);
    } catch {
      continue; // cut short by an earlier change of this run
    }
    if (!docs.length) continue;
    const i = Math.floor(r() * docs.length);
    if (kind < 0.16 && !file.endsWith('.json')) {
      docs.splice(i, 0, docs[i]!);
      done.push(`${file} document ${i} repeated`);
    } else {
      const at = pick(
        r,
        places(docs[i]!).filter((p) => p.length > 0),
      );
      if (!at) continue;
      const to = changed(r, getAt(docs[i]!, at), elsewhere);
      if (to === undefined) continue;
      docs[i] = setAt(docs[i]!, at, to);
      done.push(`${file} [${i}] ${at.join('.')} = ${JSON.stringify(to).slice(0, 60)}`);
    }
    writeFileSync(path, textOf(file, docs));
  }
  return done;
}

/** A profile, the policy tree `generate all` wrote for it, and the values of its documents. */
interface Base {
  name: string;
  dir: string;
  files: string[];
  elsewhere: Map<string, Json[]>;
}

describe('committed policy fuzz', () => {
  const dir = tmp('a2p-polfuzz-');
  // Runs alternate between the tree of a slice of the demo (even runs) and that of a small profile holding every
  // optional field (odd runs: test/helpers/richProfile.ts: bind, escalate and impersonate checks, SAML and service
  // trusts, left-out identities).
  const bases: Base[] = [];

  beforeAll(async () => {
    for (const [name, profile] of [
      ['demo slice', await demoSlice()],
      ['rich', await richSlice()],
    ] as const) {
      const at = join(dir, name.replace(' ', '-'));
      mkdirSync(at);
      writeFileSync(join(at, 'profile.json'), serializeProfile(profile));
      const files: string[] = [];
      for (const g of await generateAll(profile))
        for (const [file, text] of g.files) {
          if (file.startsWith('evidence/')) continue;
          mkdirSync(dirname(join(at, 'base', file)), { recursive: true });
          writeFileSync(join(at, 'base', file), text);
          if (/\.(yaml|json)$/.test(file) && file !== 'kustomization.yaml') files.push(file);
        }
      files.sort();
      const elsewhere = valuesOf(files.flatMap((f) => docsOf(f, readFileSync(join(at, 'base', f), 'utf8'))));
      bases.push({ name, dir: at, files, elsewhere });
    }
  });

  it(`diff, check and verify of mutated policy trees (seed ${SEED}, ${RUNS} runs)`, async () => {
    for (const { name, dir: at, files } of bases) {
      for (const kind of ['rbac/', 'iam/', 'netpol/'])
        expect(files.filter((f) => f.startsWith(kind)).length, `${name}: ${kind}`).toBeGreaterThan(
          name === 'rich' ? 0 : 5,
        );
      // The unmutated tree: no drift, nothing denied.
      const clean = await cliInProcess(
        ['check', '--policies', 'base', '--profile', 'profile.json', '--format', 'json'],
        at,
      );
      expect(clean.code, `${name}: ${clean.stderr}`).toBe(0);
      expect((JSON.parse(clean.stdout) as { wouldDeny: unknown[] }).wouldDeny, name).toEqual([]);
    }

    const failures: string[] = [];
    let denying = 0;
    for (let runNo = 0; runNo < RUNS; runNo++) {
      if (ONLY !== undefined && runNo !== ONLY) continue;
      const r = rng((SEED + runNo * 7919) >>> 0);
      const { name, dir: at, files, elsewhere } = bases[runNo % 2]!;
      const head = `head-${runNo}`;
      cpSync(join(at, 'base'), join(at, head), { recursive: true });
      const done = mutate(r, join(at, head), files, elsewhere);
      const what = `run ${runNo} (FUZZ_SEED=${SEED} FUZZ_RUN=${runNo}, ${name}): ${done.join('; ')}`;
      const results = {
        diff: await cliInProcess(['diff', 'base', head, '--profile', 'profile.json', '--format', 'json'], at),
        check: await cliInProcess(['check', '--policies', head, '--profile', 'profile.json', '--format', 'json'], at),
        verify: await cliInProcess(['verify', '--policies', head, '--profile', 'profile.json', '--format', 'json'], at),
      };
      for (const [command, res] of Object.entries(results)) {
        const bad = ![0, 1, 2].includes(res.code)
          ? `exit code ${res.code}`
          : /^\s+at\s|internal error/im.exec(res.stderr)?.[0];
        if (bad) failures.push(`${what}\n  ${command}: ${bad}\n  ${res.stderr.slice(0, 600)}`);
      }
      // Both judge the same policies against the same profile: a denial one sees, the other must see.
      const parsed = (t: string): Record<string, unknown[]> | undefined => {
        try {
          return JSON.parse(t) as Record<string, unknown[]>;
        } catch {
          return undefined;
        }
      };
      const check = parsed(results.check.stdout);
      const verify = parsed(results.verify.stdout);
      const diff = parsed(results.diff.stdout);
      // What the changed tree denies of the profile, the unchanged one allowed: `diff` must show access removed (or
      // say it cannot tell), or a CI gate on it would pass a change that breaks what staging did.
      if (
        verify &&
        diff &&
        verify['notAllowed']!.length &&
        !diff['removedAccess']!.length &&
        !diff['undetermined']!.length
      )
        failures.push(
          `${what}\n  verify: ${verify['notAllowed']!.length} not allowed, diff: no access removed\n  ${JSON.stringify(verify['notAllowed']![0]).slice(0, 400)}`,
        );
      if (check && verify) {
        const byCheck = check['wouldDeny']!.length > 0;
        const byVerify = verify['notAllowed']!.length > 0;
        if (byCheck || byVerify) denying++;
        if (byCheck !== byVerify)
          failures.push(
            `${what}\n  check: ${check['wouldDeny']!.length} would be denied; verify: ${verify['notAllowed']!.length} not allowed\n  ${JSON.stringify(check['wouldDeny']![0] ?? verify['notAllowed']![0]).slice(0, 400)}`,
          );
      }
    }
    // Some runs deny something: a fuzzer whose mutations never reach the evaluators tests the readers only.
    if (ONLY === undefined) expect(denying, 'runs that deny').toBeGreaterThan(RUNS / 20);
    expect(failures.join('\n\n')).toBe('');
  }, 900_000);
});
