// `-o` as promised (issue 17): audit2policy replaces or removes only what its manifest says it wrote, leaves
// everything else and says so, never follows a link nor opens a FIFO under its roots, keeps concurrent runs apart
// with a lock, removes a kind that left its scope, and refuses an `-o` that is a device, FIFO or link.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/emit/writeTree.js';
import { BIN, ROOT, tmp } from './helpers/cli.js';

const D = join(ROOT, 'fixtures/demo');
const MANIFEST = '.audit2policy-manifest.json';
let base = '';
/** Profiles of the demo: every source, and its Kubernetes requests alone. */
let ALL = '';
let K8S = '';
let FLOWS = '';

/** The built CLI with a time limit: a run that blocks (on a FIFO) is killed and shows as code null. */
function run(args: string[], timeout = 60_000): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stderr: r.stderr.toString('utf8'), stdout: r.stdout.toString('utf8') };
}
const gen = (kind: string, profile: string, out: string, ...extra: string[]) =>
  run(['generate', kind, '--profile', profile, '-o', out, ...extra]);

/** Every entry under dir, without following links or opening anything but regular files. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else if (st.isSymbolicLink()) out[r] = `link → ${readlinkSync(join(dir, r))}`;
      else if (st.isFile()) out[r] = readFileSync(join(dir, r), 'utf8');
      else out[r] = st.isFIFO() ? 'FIFO' : 'special';
    }
  };
  walk('');
  return out;
}
const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(() => {
  base = tmp('a2p-robust-out-');
  ALL = join(base, 'all.json');
  K8S = join(base, 'k8s.json');
  FLOWS = join(base, 'flows.json');
  const inv = ['--inventory', join(D, 'inventory')];
  const mk = (out: string, sources: string[]) => expect(run(['profile', ...sources, '-o', out, '-q']).code).toBe(0);
  mk(ALL, [
    '--k8s-audit',
    join(D, 'k8s-audit'),
    '--cloudtrail',
    join(D, 'cloudtrail'),
    '--flows',
    join(D, 'flows'),
    ...inv,
  ]);
  mk(K8S, ['--k8s-audit', join(D, 'k8s-audit')]);
  mk(FLOWS, ['--flows', join(D, 'flows'), ...inv]);
}, 120_000);

describe('the manifest is the only record of what audit2policy owns under -o', () => {
  it('lists every file written with its SHA-256; a file it does not list, or one changed since, is never replaced', () => {
    const out = join(tmp(), 'out');
    expect(gen('all', ALL, out, '-q').code).toBe(0);
    const tree = snapshot(out);
    const m = JSON.parse(tree[MANIFEST]!) as { apiVersion: string; kind: string; files: Record<string, string> };
    expect(m.apiVersion).toBe('audit2policy.dev/v1alpha1');
    expect(m.kind).toBe('OutputManifest');
    const others = Object.keys(tree).filter((p) => p !== MANIFEST);
    expect(Object.keys(m.files)).toEqual(others.sort());
    for (const p of others) expect(m.files[p], p).toBe(sha(tree[p]!));

    // A generated file edited by hand: the next run that writes it stops and changes nothing.
    const edited = others.find((p) => p.startsWith('rbac/'))!;
    writeFileSync(join(out, edited), tree[edited] + '# reviewed\n');
    const before = snapshot(out);
    const r = gen('all', ALL, out, '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${edited} in ${out} was changed since audit2policy wrote it`);
    expect(snapshot(out)).toEqual(before);

    // A file of someone else's at a path the run writes: exit 2 naming it, nothing changed.
    writeFileSync(join(out, edited), tree[edited]!);
    const theirs = others.find((p) => p.startsWith('netpol/'))!;
    const m2 = { ...m, files: { ...m.files } };
    delete m2.files[theirs];
    writeFileSync(join(out, MANIFEST), JSON.stringify(m2, null, 2) + '\n');
    const snap = snapshot(out);
    const again = gen('all', ALL, out, '-q');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${theirs} in ${out} was not written by audit2policy`);
    expect(snapshot(out)).toEqual(snap);
  });

  it('a file holding the marker text is not thereby audit2policy’s: a hand-written kustomization.yaml and rbac/ file stay', () => {
    const out = join(tmp(), 'out');
    mkdirSync(join(out, 'rbac'), { recursive: true });
    const kust =
      '# copied from app.kubernetes.io/managed-by: audit2policy output, then edited\n' +
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rbac/extra.yaml\n';
    const note = '# app.kubernetes.io/managed-by: audit2policy\napiVersion: audit2policy.dev/v1\nkind: Note\n';
    writeFileSync(join(out, 'kustomization.yaml'), kust);
    writeFileSync(join(out, 'rbac/extra.yaml'), note);
    const r = gen('rbac', K8S, out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).toBe(kust);
    expect(r.stderr).toMatch(/kustomization\.yaml in .* is not audit2policy's: left as it is/);
    // With a manifest in place, even a file whose every document carries the marker is someone else's.
    writeFileSync(join(out, 'rbac/extra.yaml'), note);
    const again = gen('rbac', K8S, out);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(out, 'rbac/extra.yaml'), 'utf8')).toBe(note);
    expect(again.stderr).toMatch(/rbac\/extra\.yaml in .* was not written by audit2policy .*: left alone/);
    expect(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).toBe(kust);
  });

  it('a tree written before the manifest is adopted by markers where the generators put them, once', () => {
    const out = join(tmp(), 'out');
    expect(gen('all', ALL, out, '-q').code).toBe(0);
    const full = snapshot(out);
    unlinkSync(join(out, MANIFEST));
    // A hand-written file quoting the marker in a comment: not adopted, so not removed.
    writeFileSync(join(out, 'rbac/notes.yaml'), '# app.kubernetes.io/managed-by: audit2policy\nkind: Role\n');
    const r = gen('all', ALL, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`had no ${MANIFEST.replace('.', '\\.')}: ${Object.keys(full).length - 1} files`),
    );
    expect(r.stderr).toMatch(/rbac\/notes\.yaml .* left alone/);
    const after = snapshot(out);
    expect(after['rbac/notes.yaml']).toContain('kind: Role');
    delete after['rbac/notes.yaml'];
    expect(after).toEqual(full);
  });
});

describe('what lies under -o is never deleted, followed or opened unless audit2policy wrote it', () => {
  it('a plain file at DIR/rbac: a run writing rbac/ stops naming it; a run without Kubernetes requests leaves it', () => {
    const out = join(tmp(), 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'rbac'), 'mine\n');
    const r = gen('rbac', K8S, out, '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rbac in .* was not written by audit2policy.*this run writes rbac\//);
    const all = gen('all', FLOWS, out);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/notice: rbac in .* was not written by audit2policy .*: left alone/);
    expect(readFileSync(join(out, 'rbac'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(out, 'netpol'))).toBe(true);
  });

  it('a symbolic link at DIR/evidence or inside rbac/ stops the run: nothing is written through it', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, 'evidence'));
    const r = gen('rbac', K8S, out, '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`evidence in ${out} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(out)).toEqual(['evidence']);

    unlinkSync(join(out, 'evidence'));
    expect(gen('rbac', K8S, out, '-q').code).toBe(0);
    writeFileSync(join(elsewhere, 'target.yaml'), 'kept\n');
    symlinkSync(join(elsewhere, 'target.yaml'), join(out, 'rbac', 'link.yaml'));
    const before = snapshot(out);
    const again = gen('rbac', K8S, out, '-q');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('rbac/link.yaml');
    expect(snapshot(out)).toEqual(before);
    expect(readFileSync(join(elsewhere, 'target.yaml'), 'utf8')).toBe('kept\n');
  });

  it('a FIFO under the roots stops the run at once (never opened); one outside them is carried over', () => {
    const out = join(tmp(), 'out');
    mkdirSync(out);
    mkfifo(join(out, 'kustomization.yaml'));
    const r = run(['generate', 'rbac', '--profile', K8S, '-o', out, '-q'], 20_000);
    expect(r.code, 'the run blocked on the FIFO').toBe(2);
    expect(r.stderr).toContain(`kustomization.yaml in ${out} is a FIFO`);
    unlinkSync(join(out, 'kustomization.yaml'));

    mkfifo(join(out, 'notes.pipe'));
    expect(gen('rbac', K8S, out, '-q').code).toBe(0);
    mkfifo(join(out, 'rbac', 'pipe.yaml'));
    const inside = run(['generate', 'rbac', '--profile', K8S, '-o', out, '-q'], 20_000);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('rbac/pipe.yaml');
    unlinkSync(join(out, 'rbac', 'pipe.yaml'));
    // Outside the roots: the user's FIFO survives every rerun.
    expect(gen('netpol', FLOWS, out, '-q').code).toBe(0);
    expect(lstatSync(join(out, 'notes.pipe')).isFIFO()).toBe(true);
  });
});

describe('-o itself', () => {
  it('profile -o naming a FIFO, a symbolic link or a device is refused and left as it was', () => {
    const dir = tmp();
    const fifo = join(dir, 'fifo');
    mkfifo(fifo);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'victim\n');
    const link = join(dir, 'link');
    symlinkSync(victim, link);
    const cases: [string, RegExp][] = [
      [fifo, /is a FIFO/],
      [link, /is a symbolic link/],
    ];
    // A character device like /dev/null (mknod needs root: where it fails, the FIFO and the link stand for it).
    const dev = join(dir, 'null');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status === 0) cases.push([dev, /is a device/]);
    else console.warn('NOTICE: mknod not permitted here: the device case of -o is not exercised');
    for (const [path, msg] of cases) {
      const r = run(['profile', '--k8s-audit', join(D, 'k8s-audit'), '-o', path, '-q'], 30_000);
      expect(r.code, path).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('victim\n');
    if (existsSync(dev)) expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(
      cases
        .map(([p]) => p.slice(dir.length + 1))
        .concat('victim')
        .sort(),
    );
  });

  it('generate -o naming a symbolic link to a directory, or a FIFO, is refused', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const r = gen('rbac', K8S, join(dir, 'link'), '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a symbolic link/);
    expect(readdirSync(join(dir, 'real'))).toEqual([]);
    mkfifo(join(dir, 'pipe'));
    const f = gen('rbac', K8S, join(dir, 'pipe'), '-q');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/is a FIFO, not a directory/);
  });

  it('a single file is written through a temporary of a random name beside it, never the same twice', async () => {
    const dir = tmp();
    const target = join(dir, 'report.md');
    const seen: string[] = [];
    const w = watch(dir, (_e, name) => {
      if (name && name !== 'report.md' && !seen.includes(String(name))) seen.push(String(name));
    });
    for (let i = 0; i < 4; i++) await writeFileAtomic(target, `run ${i}\n`.repeat(100_000));
    await new Promise((r) => setTimeout(r, 200));
    w.close();
    expect(readFileSync(target, 'utf8')).toBe('run 3\n'.repeat(100_000));
    expect(seen.length).toBe(4);
    for (const n of seen) expect(n).toMatch(new RegExp(`^\\.report\\.md\\.a2p-new-${process.pid}-[0-9a-f]{12}$`));
    expect(readdirSync(dir)).toEqual(['report.md']);
  });
});

describe('runs on one DIR are kept apart by a lock', () => {
  it('a lock held by a live run stops a second one (exit 2, naming lock and pid); a dead run’s lock is taken over', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    expect(gen('rbac', K8S, out, '-q').code).toBe(0);
    const before = snapshot(out);
    const lock = join(dir, '.out.a2p-lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(lock, `${holder.pid} 00112233aabbccdd\n`);
      const r = gen('netpol', FLOWS, out, '-q');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`another audit2policy run (pid ${holder.pid}) is writing ${out}: its lock is ${lock}`);
      expect(snapshot(out)).toEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lock, `${dead} 00112233aabbccdd\n`);
    const next = gen('netpol', FLOWS, out);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`took over the lock of ${out} from an audit2policy run that is gone (pid ${dead})`);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(out, 'netpol'))).toBe(true);
  });

  it('a lock that holds no content yet is a run taking it, not a dead run: kept while fresh, taken over when old', () => {
    // A run of a release that created its lock with O_EXCL and then wrote it can be read between the two: an empty
    // lock. Taking that for a dead run's let two runs write one DIR at once (one's tree lost). Locks now come into
    // being with their content; an empty or garbled one is left alone for ten seconds.
    const dir = tmp();
    const out = join(dir, 'out');
    expect(gen('rbac', K8S, out, '-q').code).toBe(0);
    const lock = join(dir, '.out.a2p-lock');
    writeFileSync(lock, '');
    const fresh = gen('netpol', FLOWS, out, '-q');
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain(`another audit2policy run is taking the lock of ${out}`);
    expect(existsSync(join(out, 'netpol'))).toBe(false);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const later = gen('netpol', FLOWS, out, '-q');
    expect(later.code, later.stderr).toBe(0);
    expect(existsSync(join(out, 'netpol'))).toBe(true);
    expect(existsSync(join(out, 'rbac'))).toBe(true);
    expect(existsSync(lock)).toBe(false);
    // No temporary of the lock is left beside DIR.
    expect(readdirSync(dir).sort()).toEqual(['out']);
  });

  it('two runs at once on one DIR: each that exits 0 finds its kind in the final tree', async () => {
    const launch = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const c = spawn(process.execPath, [BIN, ...args, '-q'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        c.on('close', (code) => done({ code, stderr }));
      });
    const problems: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = join(tmp(), 'out');
      mkdirSync(out);
      writeFileSync(join(out, 'README.md'), 'notes\n');
      const [a, b] = await Promise.all([
        launch(['generate', 'rbac', '--profile', K8S, '-o', out]),
        launch(['generate', 'netpol', '--profile', FLOWS, '-o', out]),
      ]);
      for (const [name, r] of [
        ['rbac', a],
        ['netpol', b],
      ] as const) {
        if (r.code === 0 && !existsSync(join(out, name))) problems.push(`#${i}: ${name} exited 0 but is not in DIR`);
        if (r.code !== 0 && !/another audit2policy run \(pid \d+\) is writing/.test(r.stderr))
          problems.push(`#${i}: ${name} exited ${r.code}: ${r.stderr.trim()}`);
      }
      if (readFileSync(join(out, 'README.md'), 'utf8') !== 'notes\n') problems.push(`#${i}: README.md lost`);
      if (!existsSync(join(out, MANIFEST))) continue; // (releases before the manifest: the checks above decide)
      const m = JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')) as { files: Record<string, string> };
      for (const p of Object.keys(m.files)) if (!existsSync(join(out, p))) problems.push(`#${i}: ${p} listed, missing`);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('generate all answers for every kind', () => {
  it('a kind absent from the new scope is removed (and said), not left for verify to check', () => {
    const out = join(tmp(), 'out');
    expect(gen('all', ALL, out, '-q').code).toBe(0);
    for (const d of ['iam', 'netpol', 'evidence/iam', 'evidence/netpol']) expect(existsSync(join(out, d))).toBe(true);
    writeFileSync(join(out, 'netpol', 'NOTES.md'), 'our own notes on these policies\n');
    const r = gen('all', K8S, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/removed iam\/ and evidence\/iam\/ \(\d+ files of an earlier run\)/);
    expect(r.stderr).toMatch(/removed netpol\/ and evidence\/netpol\/ \(\d+ files of an earlier run\)/);
    for (const d of ['iam', 'evidence/iam', 'evidence/netpol']) expect(existsSync(join(out, d)), d).toBe(false);
    // Someone's file under netpol/ stays, and is said; the listing holds only audit2policy's files.
    expect(readdirSync(join(out, 'netpol'))).toEqual(['NOTES.md']);
    expect(r.stderr).toMatch(/netpol\/NOTES\.md .* left alone/);
    const k = readFileSync(join(out, 'kustomization.yaml'), 'utf8');
    expect(k).not.toMatch(/^ {2}- netpol\//m);
    expect(k).toMatch(/^ {2}- rbac\//m);
    // verify reads what is there: RBAC alone, no stale IAM or NetworkPolicy.
    const v = run(['verify', '--policies', out, '--profile', K8S]);
    expect(v.code, v.stderr).toBe(0);
    const loaded = /^policies: .*$/m.exec(v.stderr)?.[0] ?? '';
    expect(loaded).toMatch(/Roles/);
    expect(loaded).toMatch(/ 0 IAM policies, 0 network policies/);
  });
});
