import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { readProfileFile } from './helpers/profile.js';
import { fsProblem } from '../src/util/fsError.js';

/**
 * Common mistakes get an answer a user can act on: the exit code and the first line of what is said,
 * one row per mistake (issue: "CI and review from the pull request's side", errors).
 */
const DEMO = join(ROOT, 'fixtures/demo');
const base = tmp();
const profile = join(base, 'profile.json');
const out = join(base, 'out');
const made = [
  cli(['profile', '--k8s-audit', join(DEMO, 'k8s-audit'), '--cloudtrail', join(DEMO, 'cloudtrail'), '-o', profile]),
  cli(['generate', 'all', '--profile', profile, '-o', out, '-q']),
];
const auditGz = join(DEMO, 'k8s-audit', readdirSync(join(DEMO, 'k8s-audit')).sort()[0]!);
const auditPlain = join(base, 'audit.log');
writeFileSync(auditPlain, gunzipSync(readFileSync(auditGz)));
const empty = join(base, 'empty');
mkdirSync(empty);
const mixed = join(base, 'mixed');
for (const d of ['k8s-audit', 'cloudtrail']) cpSync(join(DEMO, d), join(mixed, d), { recursive: true });

const loop = join(base, 'loop.log');
symlinkSync(loop, loop);

const firstError = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';

describe('mistakes and their answers', () => {
  it('built the demo policies', () => expect(made.map((r) => r.code)).toEqual([0, 0]));

  it.each([
    [
      'a typo in --profile',
      ['diff', out, out, '--profile', join(base, 'weeek.json')],
      2,
      /^error: cannot read profile .*weeek\.json: no such file$/,
    ],
    [
      'a directory as --profile',
      ['verify', '--policies', out, '--profile', DEMO],
      2,
      /: a directory, not a profile file$/,
    ],
    [
      'a gzip audit log as --profile',
      ['verify', '--policies', out, '--profile', auditGz],
      2,
      /: not a profile: looks like a Kubernetes audit log: read it with --k8s-audit$/,
    ],
    [
      'a plain audit log as --profile',
      ['verify', '--policies', out, '--profile', auditPlain],
      2,
      /: not a profile: looks like a Kubernetes audit log: read it with --k8s-audit$/,
    ],
    [
      'a CloudTrail directory given to --k8s-audit',
      ['profile', '--k8s-audit', join(DEMO, 'cloudtrail'), '-o', join(base, 'x.json')],
      2,
      /^error: nothing read: the files given look like CloudTrail: read it with --cloudtrail$/,
    ],
    ['an empty diff side', ['diff', out, empty], 2, /^error: .*empty: no policy documents found .*--allow-empty/],
    [
      'a diff side that does not exist',
      ['diff', out, join(base, 'nope')],
      2,
      /^error: cannot read policies .*nope: no such file or directory$/,
    ],
    [
      'verify with nothing in scope',
      ['verify', '--policies', join(out, 'iam'), '--k8s-audit', join(DEMO, 'drift')],
      2,
      /^error: nothing to verify: .*no CloudTrail calls in scope/,
    ],
    // A path through a file (ENOTDIR) and a link loop (ELOOP) fail as root too: said in words, as writes are, never
    // as Node's `ENOTDIR: not a directory, stat '/abs/path'` (finding 12; permission denied is the unit test below).
    [
      'a log path through a file',
      ['profile', '--k8s-audit', join(auditPlain, 'x.log'), '-o', join(base, 'x.json')],
      2,
      /^error: cannot read .*audit\.log\/x\.log: a part of the path is a file, not a directory$/,
    ],
    [
      'a log that is a link loop',
      ['profile', '--k8s-audit', loop, '-o', join(base, 'x.json')],
      2,
      /^error: cannot read .*loop\.log: too many symbolic links on the way \(a link loop\?\)$/,
    ],
    [
      'a profile path through a file',
      ['verify', '--policies', out, '--profile', join(profile, 'p.json')],
      2,
      /^error: cannot read profile .*profile\.json\/p\.json: a part of the path is a file, not a directory$/,
    ],
    [
      'an inventory path through a file',
      ['profile', '--k8s-audit', auditPlain, '--inventory', join(auditPlain, 'inv'), '-o', join(base, 'x.json')],
      2,
      /^error: cannot read inventory .*audit\.log\/inv: a part of the path is a file, not a directory$/,
    ],
    [
      'a diff side through a file',
      ['diff', out, join(auditPlain, 'rbac')],
      2,
      /^error: cannot read policies .*audit\.log\/rbac: a part of the path is a file, not a directory$/,
    ],
    [
      'inventory without any kubeconfig',
      ['inventory'],
      2,
      /^error: cannot read the cluster inventory: no kubeconfig: \$KUBECONFIG is not set and ~\/\.kube\/config does not exist/,
    ],
    [
      'inventory with a missing --kubeconfig',
      ['inventory', '--kubeconfig', join(base, 'kc')],
      2,
      /--kubeconfig .*kc: no such file$/,
    ],
  ] as const)('%s', (_, args, code, first) => {
    const r = cli([...args], { env: { KUBECONFIG: '', HOME: join(base, 'home') } });
    expect(r.code, r.stderr).toBe(code);
    expect(firstError(r.stderr)).toMatch(first);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('an empty side is allowed when asked: every grant of the other side is a change', () => {
    const r = cli(['diff', out, empty, '--allow-empty', '--format', 'json', '-q']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).removedAccess.length).toBeGreaterThan(0);
  });

  it('one directory given to every source flag: each file read once by its own flag, no issues, one profile', async () => {
    const all = join(base, 'all.json');
    const r = cli(['profile', '--k8s-audit', mixed, '--cloudtrail', mixed, '-o', all]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/look like/); // every skipped file was read by its own flag
    expect(r.stderr).not.toMatch(/issue/);
    const strip = async (p: string) => {
      const { sources: _s, ...rest } = await readProfileFile(p);
      return rest;
    };
    expect(await strip(all)).toEqual(await strip(profile));
  });

  it('files of another source among the right ones: skipped with one notice per source, not an issue per line', () => {
    const r = cli(['profile', '--k8s-audit', mixed, '-o', join(base, 'k.json')]);
    expect(r.code, r.stderr).toBe(0);
    const notices = r.stderr.split('\n').filter((l) => /look like/.test(l));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^notice: skipped \d+ files that look like CloudTrail: read them with --cloudtrail/);
    expect(r.stderr).not.toMatch(/k8s\.(foreign|unknown)-format/);
  });

  it('generate -o says "generated" only once the tree is written, and leaves a foreign file alone', () => {
    const dir = join(base, 'foreign');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const r = cli(['generate', 'all', '--profile', profile, '-o', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, 'rbac'))).toBe(true);
    expect(r.stderr).toMatch(/^generated \d+ RBAC objects/m);
  });

  // `-` is stdin for every source; as an output it wrote a file named `-` into the working directory.
  it('-o - is stdout, as no -o is; generate all, which writes a tree, refuses it', () => {
    const cwd = tmp();
    const runs: [string, string[]][] = [
      ['profile', ['profile', '--cloudtrail', join(DEMO, 'cloudtrail'), '-q']],
      ['merge', ['merge', profile, profile, '-q']],
      ['generate rbac', ['generate', 'rbac', '--profile', profile, '-q']],
    ];
    for (const [what, args] of runs) {
      const plain = cli(args, { cwd });
      const dash = cli([...args, '-o', '-'], { cwd });
      expect([plain.code, dash.code], what).toEqual([0, 0]);
      expect(dash.stdout.length, what).toBeGreaterThan(100);
      expect(dash.stdout, what).toBe(plain.stdout);
    }
    const all = cli(['generate', 'all', '--profile', profile, '-o', '-'], { cwd });
    expect(all.code).toBe(2);
    expect(firstError(all.stderr)).toMatch(/generate all writes a tree of files: name a directory/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('file-system errors in words (reads as writes)', () => {
  /** An error as Node's fs raises it (a test run as root cannot be refused a read). */
  const fsError = (code: string, text: string, syscall: string, path: string) =>
    Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });

  it('names the reason, not the code, the call and the path', () => {
    expect(fsProblem(fsError('EACCES', 'permission denied', 'open', '/tmp/b.jsonl'))).toBe('permission denied');
    expect(fsProblem(fsError('EACCES', 'permission denied', 'scandir', '/tmp/sub'))).toBe('permission denied');
    expect(fsProblem(fsError('ENOENT', 'no such file or directory', 'stat', '/x'))).toBe('no such file or directory');
    // A code without words of its own: Node's description, without its code, call and path.
    expect(fsProblem(fsError('EBUSY', 'resource busy or locked', 'open', '/x'))).toBe('resource busy or locked');
    // A caller's own words first (a write's EACCES says why its parent matters), then the shared ones.
    expect(fsProblem(fsError('EACCES', 'permission denied', 'open', '/x'), { EACCES: 'mine' })).toBe('mine');
    expect(fsProblem(new Error('incorrect header check'))).toBe('incorrect header check');
  });

  it('a real error of the file system', () => {
    let caught: unknown;
    try {
      readFileSync(join(auditPlain, 'x'));
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).message).toMatch(/^ENOTDIR: /);
    expect(fsProblem(caught)).toBe('a part of the path is a file, not a directory');
  });
});
