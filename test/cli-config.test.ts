import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/cli/config/schema.js';
import { KINDS, KIND_NAMES } from '../src/kinds/index.js';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { profileOfText } from './helpers/profile.js';

/**
 * The config file (docs/cli.md, "Configuration"): found in the working directory or given with
 * --config, its relative paths resolved against its own directory, flags overriding it, every mistake
 * an error naming the file, the line and the key.
 */
const DAY = join(ROOT, 'fixtures/demo/k8s-audit/kube-apiserver-audit-2026-11-02.log.gz');
const FLOWS = join(ROOT, 'fixtures/demo/flows');

/** A project directory: logs/ holding one day of the demo's audit log, and a config written into it. */
function project(config: string, at = 'audit2policy.yaml'): string {
  const dir = tmp('a2p-config-');
  mkdirSync(join(dir, 'logs'));
  copyFileSync(DAY, join(dir, 'logs', 'day.log.gz'));
  mkdirSync(join(dir, at, '..'), { recursive: true });
  writeFileSync(join(dir, at), config);
  return dir;
}

const HEAD = 'apiVersion: audit2policy.dev/v1alpha1\nkind: Config\n';
const SHOP = `${HEAD}sources:\n  k8sAudit: logs/\nfilters:\n  subject: ['system:serviceaccount:shop:*']\n`;

describe('config file', () => {
  it('found in the working directory: the same profile, byte for byte, as the flags it stands for', async () => {
    const dir = project(SHOP);
    const withConfig = cli(['profile'], { cwd: dir });
    const withFlags = cli(['profile', '--k8s-audit', 'logs/', '--subject', 'system:serviceaccount:shop:*'], {
      cwd: dir,
    });
    expect(withConfig.code, withConfig.stderr).toBe(0);
    expect(withConfig.stderr.split('\n')[0]).toBe('config: audit2policy.yaml');
    expect(withConfig.stdout).toBe(withFlags.stdout);
    const principals = (await profileOfText(withConfig.stdout)).principals.map((p: { username: string }) => p.username);
    expect(principals.length).toBeGreaterThan(0);
    expect(principals.every((u: string) => u.startsWith('system:serviceaccount:shop:'))).toBe(true);
    // --no-config leaves it unread: no sources, so no input.
    const none = cli(['profile', '--no-config'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no input/);
  });

  it('--config FILE elsewhere: its relative paths are resolved against its own directory', async () => {
    const dir = project(
      `${HEAD}sources:\n  k8sAudit: ../logs\nfilters:\n  subject: ['system:serviceaccount:shop:*']\n`,
      'conf/a2p.yaml',
    );
    mkdirSync(join(dir, 'work'));
    const cwd = join(dir, 'work');
    const r = cli(['profile', '--config', '../conf/a2p.yaml'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('config: ../conf/a2p.yaml');
    // As if ../logs had been typed in work/: the same bytes, the sources named as from there.
    const flags = cli(['profile', '--k8s-audit', '../logs', '--subject', 'system:serviceaccount:shop:*'], { cwd });
    expect(r.stdout).toBe(flags.stdout);
    expect((await profileOfText(r.stdout)).sources.map((s: { path: string }) => s.path)).toEqual([
      '../logs/day.log.gz',
    ]);
    // A --config that is not there is exit 2 with its name, not a silent run without it.
    const missing = cli(['profile', '--config', 'nope.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe('error: cannot read the config file nope.yaml: no such file');
  });

  it('flags override it: filters and widenings key by key, sources as a whole', () => {
    const dir = project(`${SHOP}widenings:\n  rbac:\n    widenNames: 0\n`);
    const run = (args: string[]) => cli(['generate', 'rbac', ...args], { cwd: dir });
    // The widening of the file is applied...
    const cfg = run([]);
    expect(cfg.code, cfg.stderr).toBe(0);
    expect(cfg.stdout).toBe(
      run(['--no-config', '--k8s-audit', 'logs/', '--subject', 'system:serviceaccount:shop:*', '--widen-names', '0'])
        .stdout,
    );
    // ... and a flag overrides it, the rest of the file still applying.
    const over = run(['--widen-names', '100', '--subject', 'system:serviceaccount:ci:*']);
    const flags = run([
      '--no-config',
      '--k8s-audit',
      'logs/',
      '--subject',
      'system:serviceaccount:ci:*',
      '--widen-names',
      '100',
    ]);
    expect(over.code, over.stderr).toBe(0);
    expect(over.stdout).toBe(flags.stdout);
    expect(over.stdout).not.toBe(cfg.stdout);
    const subjects = new Set([...over.stdout.matchAll(/audit2policy\.dev\/subject: (\S+)/g)].map((m) => m[1]));
    expect(subjects.size).toBeGreaterThan(0);
    expect([...subjects].every((s) => s!.startsWith('system:serviceaccount:ci:'))).toBe(true);
    // A source on the command line replaces the file's sources (never mixed with them), and says so.
    const profile = join(dir, 'p.json');
    expect(cli(['profile', '--no-config', '--k8s-audit', 'logs/', '-o', profile], { cwd: dir }).code).toBe(0);
    const fromProfile = run(['--profile', profile]);
    expect(fromProfile.code, fromProfile.stderr).toBe(0);
    expect(fromProfile.stderr.split('\n')[0]).toBe(
      'config: audit2policy.yaml (its sources replaced by those on the command line)',
    );
    expect(fromProfile.stdout).toBe(cfg.stdout);
  });

  it('one config shared by generate and verify: verify judges exactly the scope generate produced', () => {
    const dir = project(SHOP);
    const gen = cli(['generate', 'rbac', '-o', 'out', '-q'], { cwd: dir });
    expect(gen.code, gen.stderr).toBe(0);
    const verify = cli(['verify', '--policies', 'out/rbac'], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout.split('\n')[0]).toMatch(/^OK: (\d+) of \1 observed accesses allowed/);
    // The subject filter came from the file: without it, the other subjects' requests would be denied.
    const unscoped = cli(['verify', '--policies', 'out/rbac', '--no-config', '--k8s-audit', 'logs/'], { cwd: dir });
    expect(unscoped.code).toBe(1);
    // So does the scope of check.
    const check = cli(['check', '--policies', 'out/rbac', '--format', 'json', '-q'], { cwd: dir });
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout).wouldDeny).toEqual([]);
  });

  it('an unknown key is an error naming the file, the line and the key; so is every other mistake', () => {
    const cases: [string, string][] = [
      [
        `${HEAD}sources:\n  k8sAudits: logs/\n`,
        'audit2policy.yaml:4: sources.k8sAudits: unknown key (did you mean k8sAudit?)',
      ],
      [
        `${HEAD}filters:\n  widenNames: 3\n`,
        'audit2policy.yaml:4: filters.widenNames: unknown key here: it goes under widenings.rbac (widenings.rbac.widenNames)',
      ],
      [
        `${HEAD}output: out/\n`,
        'audit2policy.yaml:3: output: unknown key (known here: apiVersion, kind, sources, filters, widenings)',
      ],
      [
        'apiVersion: audit2policy/v2\nkind: Config\n',
        'audit2policy.yaml:1: apiVersion: "audit2policy/v2" is not audit2policy.dev/v1alpha1',
      ],
      [
        'sources: {}\n',
        'audit2policy.yaml: apiVersion: missing (a config starts with apiVersion: audit2policy.dev/v1alpha1 and kind: Config)',
      ],
      ['', 'audit2policy.yaml: empty: a config starts with apiVersion: audit2policy.dev/v1alpha1 and kind: Config'],
      [`${HEAD}sources:\n  k8sAudit: [logs/\n`, 'audit2policy.yaml:5: not valid YAML: '],
      [`${HEAD}filters:\n  since: yesterday\n`, 'audit2policy.yaml:4: filters.since: '],
      [
        `${HEAD}filters:\n  includeSystem: yes\n`,
        'audit2policy.yaml:4: filters.includeSystem: expected true or false, got "yes"',
      ],
      [
        `${HEAD}filters:\n  subjectKind: [serviceaccount, robot]\n`,
        'audit2policy.yaml:4: filters.subjectKind: unknown kind "robot"',
      ],
      [
        `${HEAD}widenings:\n  netpol:\n    flavor: calico\n`,
        'audit2policy.yaml:5: widenings.netpol.flavor: expected one of kubernetes, cilium, got "calico"',
      ],
      [
        `${HEAD}widenings:\n  rbac:\n    widenNames: many\n`,
        'audit2policy.yaml:5: widenings.rbac.widenNames: expected a whole number, got "many"',
      ],
      [
        `${HEAD}sources:\n  profile: week.json\n  k8sAudit: logs/\n`,
        'audit2policy.yaml:4: sources.profile: give either profile or log sources (k8sAudit), not both',
      ],
    ];
    for (const [config, first] of cases) {
      const r = cli(['generate', 'rbac'], { cwd: project(config) });
      expect(r.code, config).toBe(2);
      const line = r.stderr.split('\n')[0]!;
      expect(line.startsWith(`error: ${first}`), `${config}\n→ ${line}`).toBe(true);
    }
    // Several mistakes: every one, in line order.
    const r = cli(['generate', 'rbac'], {
      cwd: project(`${HEAD}widenings:\n  rbac:\n    widenNames: many\n    expandVerb: true\nfilters:\n  sinec: 7d\n`),
    });
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: audit2policy.yaml:5: widenings.rbac.widenNames: expected a whole number, got "many"',
      'audit2policy.yaml:6: widenings.rbac.expandVerb: unknown key (did you mean expandVerbs?)',
      'audit2policy.yaml:8: filters.sinec: unknown key (did you mean since?)',
    ]);
  });

  it('a key a command cannot take is an error there, naming the file and the key', () => {
    const dir = project(`${SHOP}  since: 7d\n`);
    const r = cli(['backtest', '--holdout', '1d'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: audit2policy.yaml: filters.since: backtest sets its windows itself (--holdout, --split, --folds) (or give --no-config)',
    );
    // Only what the command would take from the file: sources given on the command line replace it.
    const p = project(`${HEAD}sources:\n  profile: week.json\n`);
    const refused = cli(['profile', '-q'], { cwd: p });
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'error: audit2policy.yaml: sources.profile: profile reads logs, not a profile (or give --no-config)',
    );
    const replaced = cli(['profile', '--k8s-audit', 'logs/'], { cwd: p });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr.split('\n')[0]).toBe(
      'config: audit2policy.yaml (its sources replaced by those on the command line)',
    );
  });

  it('NetworkPolicy options from the file reach generate netpol (a choice and a negated flag)', () => {
    const dir = project(
      `${HEAD}sources:\n  flows: ${FLOWS}\nwidenings:\n  netpol:\n    flavor: cilium\n    defaultDeny: false\n`,
    );
    const r = cli(['generate', 'netpol', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      cli(['generate', 'netpol', '-q', '--no-config', '--flows', FLOWS, '--flavor', 'cilium', '--no-default-deny'], {
        cwd: dir,
      }).stdout,
    );
    expect(r.stdout).toContain('kind: CiliumNetworkPolicy');
  });

  it("the widenings section is each kind's declared options, nothing listed twice", () => {
    const s = configSchema();
    expect(s.kinds.map((k) => k.kind)).toEqual(KIND_NAMES);
    for (const { kind, keys } of s.kinds)
      expect(keys.map((k) => k.option.flags)).toEqual(KINDS[kind].options.map((o) => o.flags));
    expect(s.kinds.find((k) => k.kind === KIND_NAMES[0])!.keys.length).toBeGreaterThan(0);
  });

  it('docs/cli.md "Configuration" lists every key of every section', () => {
    const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8').split('## Configuration\n')[1]!.split('\n## ')[0]!;
    const s = configSchema();
    const table = (section: string) => doc.split('\n').find((l) => l.startsWith(`| \`${section}\` |`))!;
    for (const k of s.sources) expect(table('sources')).toContain(`\`${k.key}\``);
    for (const k of s.filters) expect(table('filters')).toContain(`\`${k.key}\``);
    for (const k of s.shared) expect(table('widenings')).toContain(`\`${k.key}\``);
    for (const { kind, keys } of s.kinds) {
      const part = table('widenings').split(`\`${kind}\`: `)[1]!.split(';')[0]!;
      for (const k of keys) expect(part, `${kind}.${k.key}`).toContain(`\`${k.key}\``);
    }
  });
});
