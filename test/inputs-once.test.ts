import { cpSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, removeTmp, ROOT, tmp } from './helpers/cli.js';

// Each file is read once, however many paths reach it (given twice, relative and absolute, a file inside a directory
// also given, a link), and the command's output or a policy tree audit2policy wrote is never read back as a log:
// either would count records twice, or make a second run's bytes differ from the first's.

afterAll(removeTmp);

const AUDIT = join(ROOT, 'fixtures/demo/k8s-audit');

describe('inputs are read once, and never the output', () => {
  let dir = '';
  let once = '';
  beforeAll(() => {
    dir = tmp();
    cpSync(AUDIT, join(dir, 'audit'), { recursive: true });
    const r = cli(['profile', '--k8s-audit', 'audit', '-o', 'once.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    once = readFileSync(join(dir, 'once.json'), 'utf8');
    expect(r.stderr).not.toMatch(/warning|not read/);
  });

  it('a path given twice, relative and absolute, a file inside a directory given, a link: the bytes of once', () => {
    const file = readdirSync(join(dir, 'audit')).find((f) => f.endsWith('.gz'))!;
    symlinkSync(join(dir, 'audit'), join(dir, 'link'));
    const cases: [string[], RegExp[]][] = [
      [['audit', 'audit'], [/warning: audit is given more than once: read once/]],
      [
        ['audit', join(dir, 'audit')],
        [/warning: \/.*\/audit is audit again \(the same file or directory\): read once/],
      ],
      [
        ['audit', `audit/${file}`],
        [new RegExp(`warning: audit/${file.replace(/\./g, '\\.')} is given more than once`)],
      ],
      [['audit', 'link'], [/warning: link is audit again/]],
    ];
    for (const [paths, says] of cases) {
      const r = cli(['profile', '--k8s-audit', ...paths, '-o', 'again.json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      for (const s of says) expect(r.stderr, paths.join(' ')).toMatch(s);
      expect(readFileSync(join(dir, 'again.json'), 'utf8'), paths.join(' ')).toBe(once);
    }
    // With workers too: the same bytes.
    const w = cli(['profile', '--k8s-audit', 'audit', 'link', '--workers', '2', '-o', 'again.json'], { cwd: dir });
    expect(w.code, w.stderr).toBe(0);
    expect(readFileSync(join(dir, 'again.json'), 'utf8')).toBe(once);
  });

  it('a link inside a directory to the directory itself is a repeat, not a loop', () => {
    const loopy = tmp();
    cpSync(AUDIT, join(loopy, 'audit'), { recursive: true });
    symlinkSync(join(loopy, 'audit'), join(loopy, 'audit', 'zz-self'));
    const r = cli(['profile', '--k8s-audit', 'audit', '-o', 'p.json'], { cwd: loopy });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: audit\/zz-self is audit again/);
    expect(readFileSync(join(loopy, 'p.json'), 'utf8')).toBe(once);
  });

  it("profile -o inside the input directory: the second run does not read the first's output", () => {
    const out = join(dir, 'audit', 'profile.json');
    const first = cli(['profile', '--k8s-audit', 'audit', '-o', out], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const bytes = readFileSync(out, 'utf8');
    expect(bytes).toBe(once);
    const second = cli(['profile', '--k8s-audit', 'audit', '-o', out], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    // Named as the walk reached it.
    expect(second.stderr).toContain(
      "notice: not read: audit/profile.json: this command's output (-o), inside an input",
    );
    expect(readFileSync(out, 'utf8')).toBe(bytes);
  });

  it('-o naming an input log is refused, the log untouched: in a directory given, given itself, gzip or not', () => {
    const log = 'audit/kube-apiserver-audit-2026-11-09.log';
    const gz = 'audit/kube-apiserver-audit-2026-11-02.log.gz';
    const before = [readFileSync(join(dir, log)), readFileSync(join(dir, gz))];
    for (const [inputs, out] of [
      [['audit'], log],
      [[log], log],
      [['audit'], gz],
      [['audit', gz], gz],
    ] as const) {
      const r = cli(['profile', '--k8s-audit', ...inputs, '-o', out], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`error: -o names ${out}, an input log: writing the output there would destroy it`);
    }
    expect(readFileSync(join(dir, log))).toEqual(before[0]);
    expect(readFileSync(join(dir, gz))).toEqual(before[1]);
    // A gzip profile of an earlier run there is the run's own: skipped and written over.
    const own = cli(['profile', '--k8s-audit', 'audit', '-o', 'audit/p.json.gz'], { cwd: dir });
    expect(own.code, own.stderr).toBe(0);
    const again = cli(['profile', '--k8s-audit', 'audit', '-o', 'audit/p.json.gz'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("notice: not read: audit/p.json.gz: this command's output (-o)");
  });

  it('a policy tree written inside the input directory is not read as logs, by generate or verify', () => {
    const logs = tmp();
    cpSync(AUDIT, logs, { recursive: true });
    const policy = join(logs, 'policy');
    for (let i = 0; i < 2; i++) {
      const g = cli(['generate', 'all', '--k8s-audit', logs, '-o', policy]);
      expect(g.code, g.stderr).toBe(0);
      expect(g.stderr).not.toMatch(/input issue|skipped .*policy/);
    }
    // verify takes no -o: the tree is known by its manifest, and says so once instead of a notice per file.
    const v = cli(['verify', '--policies', policy, '--k8s-audit', logs]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toContain(`notice: not read: ${policy}: a policy tree audit2policy wrote (it holds its manifest)`);
    expect(v.stderr).not.toMatch(/OutputManifest|input issue/);
    expect(v.stdout).toMatch(/^OK: (\d+) of \1 observed accesses allowed/);
  });
});
