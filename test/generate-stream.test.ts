// Generating from a profile read principal by principal (issue 16): `generate` reads a --profile file twice (names,
// then files) and writes each principal's files as they are made. What it writes must be the bytes of generating
// from the profile in memory, filters must count what they leave out as filterProfile does, and a failure while
// the files are being made must leave the previous tree as it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST, writeTree } from '../src/emit/writeTree.js';
import { generateAll, generateKinds, allKinds, sourceOf, type ProfileSource } from '../src/kinds/index.js';
import { InputError } from '../src/model/issue.js';
import type { Profile } from '../src/model/profile.js';
import { filterProfile, filterStream } from '../src/profile/filter.js';
import { openProfile, readProfile } from '../src/profile/io.js';
import { defaultScope, Scope } from '../src/profile/scope.js';
import { BIN, cli, DEMO_SOURCES, readTree, tmp } from './helpers/cli.js';

let profilePath: string;
let profile: Profile;

beforeAll(async () => {
  profilePath = join(tmp(), 'demo.json');
  const r = cli(['profile', ...DEMO_SOURCES, '-o', profilePath, '-q']);
  expect(r.code, r.stderr).toBe(0);
  profile = await readProfile(profilePath);
}, 120_000);

/** The files of generated kinds, as one map (paths of different kinds never meet). */
const filesOf = (gs: { files: Map<string, string> }[]) => Object.fromEntries(gs.flatMap((g) => [...g.files]));

describe('generate from a profile file, principal by principal', () => {
  it('writes the bytes generateAll makes from the profile in memory, whole and filtered', async () => {
    const cases: { args: string[]; scope: Partial<ConstructorParameters<typeof Scope>[0]> }[] = [
      { args: [], scope: {} },
      { args: ['--namespace', 'shop'], scope: { namespaces: ['shop'] } },
      {
        args: ['--exclude-subject', 'system:serviceaccount:payments:*'],
        scope: { excludeSubjects: ['system:serviceaccount:payments:*'] },
      },
    ];
    for (const c of cases) {
      const out = join(tmp(), 'out');
      const r = cli(['generate', 'all', '--profile', profilePath, ...c.args, '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(0);
      const written = readTree(out);
      const expected = filesOf(await generateAll(filterProfile(profile, new Scope({ ...defaultScope(), ...c.scope }))));
      expect(Object.keys(expected).length).toBeGreaterThan(20);
      for (const [path, text] of Object.entries(expected)) expect(written[path], path).toBe(text);
      // Beside them, only the manifest and the kustomization listing.
      expect(
        Object.keys(written)
          .filter((p) => !(p in expected))
          .sort(),
      ).toEqual([MANIFEST, 'kustomization.yaml']);
    }
  });

  it('prints on stdout what it prints from the profile in memory, and the same summary from the file as from logs', () => {
    for (const kind of ['rbac', 'iam', 'netpol']) {
      const fromFile = cli(['generate', kind, '--profile', profilePath]);
      const fromLogs = cli(['generate', kind, ...DEMO_SOURCES]);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      expect(fromFile.stdout.length).toBeGreaterThan(1000);
      expect(fromFile.stdout).toBe(fromLogs.stdout);
      // The logs' run says what it read first; from there on, the generators' words are the same.
      expect(fromLogs.stderr.endsWith(fromFile.stderr)).toBe(true);
    }
  });

  it('a profile on a pipe named as a file is refused with the reason (it is read twice), not an internal error', () => {
    const r = cli(['generate', 'all', '--profile', '/dev/stdin', '-o', join(tmp(), 'out')], {
      input: readFileSync(profilePath),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/dev/stdin: a pipe or a device, not a file: give - to read the profile from stdin');
  });

  it('--profile - reads stdin (gzip or not) into a file of the run, removed after it: the same tree as the file', () => {
    const dir = tmp();
    const spools = () => readdirSync(tmpdir()).filter((n) => n.startsWith('audit2policy-stdin-')).length;
    const before = spools();
    const fromFile = cli(['generate', 'all', '--profile', profilePath, '-o', join(dir, 'file'), '-q']);
    const fromStdin = cli(['generate', 'all', '--profile', '-', '-o', join(dir, 'stdin'), '-q'], {
      input: gzipSync(readFileSync(profilePath)),
    });
    expect([fromFile.code, fromStdin.code], fromStdin.stderr).toEqual([0, 0]);
    expect(Object.keys(readTree(join(dir, 'stdin'))).length).toBeGreaterThan(10);
    expect(readTree(join(dir, 'stdin'))).toEqual(readTree(join(dir, 'file')));
    expect(spools()).toBe(before);
    // What is wrong with it is said of `-`, at its line; stdin is read once.
    const bad = cli(['verify', '--policies', join(dir, 'file'), '--profile', '-'], {
      input: readFileSync(profilePath, 'utf8').replace('"principal":{', '"principal":{{'),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: -:2: /m);
    const twice = cli(['merge', '-', '-'], { input: readFileSync(profilePath) });
    expect([twice.code, twice.stderr.trim()]).toEqual([2, 'error: stdin (-) can be read only once']);
    expect(spools()).toBe(before);
  });

  // The spool is a copy of the profile (the account's names and ARNs): it must not outlive a run stopped by a signal,
  // or ended by a reader that went away (`| head`), which exits without returning from run().
  it('--profile -: the spool is removed when the run is signalled or its reader goes away', async () => {
    const ended = (child: ChildProcess) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on('close', (code, signal) => done({ code, signal })),
      );
    const text = readFileSync(profilePath);
    // Stopped while it reads stdin (half the profile written, the spool there).
    const own = tmp();
    const child = spawn(process.execPath, [BIN, 'verify', '--profile', '-', '--policies', own], {
      env: { ...process.env, TMPDIR: own },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const end = ended(child);
    child.stdin!.write(text.subarray(0, text.length >> 1));
    for (let i = 0; i < 200 && readdirSync(own).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(own)).toHaveLength(1);
    child.kill('SIGTERM');
    expect((await end).signal).toBe('SIGTERM');
    expect(readdirSync(own)).toEqual([]);
    // A reader that stops after the first bytes: the CLI exits on EPIPE.
    const out = tmp();
    const reader = spawn(process.execPath, [BIN, 'merge', '-', '-q'], {
      env: { ...process.env, TMPDIR: out },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const gone = ended(reader);
    reader.stdout!.once('data', () => reader.stdout!.destroy());
    reader.stdin!.end(text);
    expect((await gone).code).toBe(0);
    expect(readdirSync(out)).toEqual([]);
  });

  it('filterStream counts what it leaves out as filterProfile does, once the principals are read', async () => {
    const scope = new Scope({
      ...defaultScope(),
      namespaces: ['shop'],
      excludeSubjects: ['system:serviceaccount:*:web'],
    });
    const whole = filterProfile(profile, scope);
    const s = filterStream(await openProfile(profilePath), scope);
    const kept: string[] = [];
    for await (const p of s.principals) kept.push(p.username);
    const tail = s.tail();
    expect(kept).toEqual(whole.principals.map((p) => p.username));
    expect(s.head.skipped).toEqual(whole.skipped);
    expect(Object.keys(whole.skipped)).toContain('namespace-filter');
    expect(tail.network).toEqual(whole.network);
    // What the generators are finished with: the header as it stands once the principals are read.
    const { rest } = await generateKinds(allKinds(), async () => filterStream(await openProfile(profilePath), scope));
    expect(rest.skipped).toEqual(whole.skipped);
  });

  it('a profile that changes between the two passes is an input error, not files of two profiles', async () => {
    const shrinking = (): ProfileSource => {
      let opened = 0;
      return async () => sourceOf(opened++ === 0 ? profile : { ...profile, principals: profile.principals.slice(1) })();
    };
    const e = await generateKinds(allKinds(), shrinking()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/changed while it was read: \d+ principals, then \d+/);
  });

  it('a kind the profile holds nothing for is neither made nor written', async () => {
    const noFlows = { ...profile, network: [] };
    const { generated } = await generateKinds(allKinds(), sourceOf(noFlows));
    expect(generated.map((g) => g.kind)).toEqual(['rbac', 'iam']);
  });
});

describe('writeTree with files handed over as they are made', () => {
  const previous = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    return writeTree(
      dir,
      ['rbac'],
      new Map([
        ['rbac/a/one.yaml', 'one\n'],
        ['rbac/b/two.yaml', 'two\n'],
      ]),
    );
  };
  const siblings = (dir: string) => readdirSync(dirname(dir)).filter((n) => n !== 'out');

  it('writes them as they come, removes what this run did not make, and records each in the manifest', async () => {
    const out = join(tmp(), 'out');
    await previous(out);
    const r = await writeTree(out, ['rbac'], async (put) => {
      await put('rbac/b/two.yaml', 'two again\n');
      await put('rbac/c/three.yaml', 'three\n');
    });
    expect(r.removed).toEqual(['rbac/a/one.yaml']);
    const tree = readTree(out);
    expect(tree['rbac/b/two.yaml']).toBe('two again\n');
    expect(tree['rbac/c/three.yaml']).toBe('three\n');
    expect(Object.keys(JSON.parse(tree[MANIFEST]!).files)).toEqual(['rbac/b/two.yaml', 'rbac/c/three.yaml']);
    expect(siblings(out)).toEqual([]);
  });

  it('an error while the files are made leaves the previous tree as it was, and nothing beside it', async () => {
    const out = join(tmp(), 'out');
    await previous(out);
    const before = readTree(out);
    await expect(
      writeTree(out, ['rbac'], async (put) => {
        await put('rbac/a/one.yaml', 'changed\n');
        throw new InputError('profile.json:7: not a valid profile');
      }),
    ).rejects.toThrow('profile.json:7');
    expect(readTree(out)).toEqual(before);
    expect(siblings(out)).toEqual([]);
    // A path made twice, or outside the roots, is refused the same way.
    await expect(
      writeTree(out, ['rbac'], async (put) => {
        await put('rbac/x.yaml', '1\n');
        await put('rbac/x.yaml', '2\n');
      }),
    ).rejects.toThrow(/written twice/);
    await expect(writeTree(out, ['rbac'], async (put) => put('iam/x.json', '{}\n'))).rejects.toThrow(/outside rbac/);
    expect(readTree(out)).toEqual(before);
    expect(siblings(out)).toEqual([]);
  });

  it('without a manifest, an unmarked file is adopted if this run writes its bytes, and stops the run if not', async () => {
    const out = join(tmp(), 'out');
    await previous(out);
    rmSync(join(out, MANIFEST)); // a tree of a version before the manifest
    const same = await writeTree(out, ['rbac'], async (put) => {
      await put('rbac/a/one.yaml', 'one\n');
      await put('rbac/b/two.yaml', 'two\n');
    });
    expect(same.adopted).toBe(2);
    expect(same.leftAlone).toEqual([]);

    rmSync(join(out, MANIFEST));
    const before = readTree(out);
    await expect(
      writeTree(out, ['rbac'], async (put) => {
        await put('rbac/a/one.yaml', 'one\n');
        await put('rbac/b/two.yaml', 'other\n');
      }),
    ).rejects.toThrow(/rbac\/b\/two\.yaml in .* was not written by audit2policy/);
    expect(readTree(out)).toEqual(before);

    // Not written at all this time: someone else's, carried over and left alone.
    const kept = await writeTree(out, ['rbac'], async (put) => put('rbac/a/one.yaml', 'one\n'));
    expect(kept.leftAlone).toEqual(['rbac/b/two.yaml']);
    expect(readFileSync(join(out, 'rbac/b/two.yaml'), 'utf8')).toBe('two\n');
    expect(existsSync(join(out, MANIFEST))).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')).files)).toEqual(['rbac/a/one.yaml']);
  });
});
