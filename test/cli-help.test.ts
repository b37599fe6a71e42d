import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { examplesOf } from '../src/cli/help.js';
import { GROUP } from '../src/cli/options.js';
import { cli, ROOT, tmp } from './helpers/cli.js';
import { commands, program, runInProcess } from './helpers/inproc.js';

/** The words of an example up to a pipe or a redirection, single quotes kept together. */
const words = (line: string) =>
  (line.split(/\s(?:\||>|&&)\s/)[0]!.match(/'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$/, '$1'));

/** Whether a command parses a flag (its options, its help option). */
function takes(cmd: Command, flag: string): boolean {
  const help = cmd.createHelp();
  return help.visibleOptions(cmd).some((o) => o.long === flag || o.short === flag);
}

const headings = (text: string) => text.split('\n').filter((l) => /^[A-Z][\w ]*:$/.test(l));

describe('help', () => {
  const tree = program();
  const all = commands(tree);

  it('every command has examples, each naming that command with options it takes', async () => {
    expect(all.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['profile', 'generate rbac', 'generate all', 'verify', 'diff', 'check', 'backtest']),
    );
    for (const { cmd, path } of [{ cmd: tree, path: [] as string[] }, ...all]) {
      if (cmd.name() === 'help' && path.length > 1) continue; // commander's own `generate help`
      const list = examplesOf(cmd);
      expect(list.length, path.join(' ') || 'the program').toBeGreaterThan(0);
      const r = await runInProcess([...path, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('\nExamples:\n');
      for (const [what, line] of list) {
        expect(r.stdout).toContain(`  # ${what}\n  $ audit2policy ${line}\n`);
        const w = words(line);
        // The example runs the command it documents (the program's own may run any).
        if (path.length) expect(w.slice(0, path.length), line).toEqual(path);
        let at: Command = tree;
        for (const name of w) {
          const sub = at.commands.find((c) => c.name() === name);
          if (!sub) break;
          at = sub;
        }
        for (const flag of w.filter((x) => x.startsWith('-') && x !== '-'))
          expect(takes(at, flag), `${line}: ${flag}`).toBe(true);
      }
    }
  });

  it("the program's examples run in turn from the project's root and do what they say (the profile read only the audit log: no IAM, no NetworkPolicies)", () => {
    // The project's root as a user has it, without writing into it: its fixtures beside the files the examples make.
    const dir = tmp();
    symlinkSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'));
    const list = examplesOf(tree);
    expect(list.map(([what]) => what)).toContain('least-privilege RBAC, IAM and NetworkPolicies with their evidence');
    for (const [what, line] of list) {
      const r = cli(words(line), { cwd: dir });
      expect(r.code, `${what}: ${line}\n${r.stderr}`).toBe(0);
    }
    for (const kind of ['rbac', 'iam', 'netpol']) expect(existsSync(join(dir, 'policy', kind)), kind).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<html');
  });

  it('options come in groups, in one order: sources, filters, widenings, output, the rest', async () => {
    const gen = await runInProcess(['help', 'generate', 'rbac']);
    expect(headings(gen.stdout)).toEqual([
      GROUP.sources,
      GROUP.filters,
      GROUP.widenings,
      GROUP.output,
      GROUP.options,
      'Examples:',
    ]);
    expect(gen.stdout).toMatch(/Widenings and generator options:\n {2}--exact[^]*--widen-names <n>[^]*--expand-verbs/);
    expect(gen.stdout).toMatch(/Output:\n[^]*-o, --output <dir>/);
    const verify = await runInProcess(['help', 'verify']);
    expect(headings(verify.stdout)).toEqual([GROUP.sources, GROUP.filters, GROUP.output, GROUP.options, 'Examples:']);
    expect(verify.stdout).toMatch(/Sources:\n {2}--policies <path\.\.\.>/);
    const backtest = await runInProcess(['help', 'backtest']);
    expect(headings(backtest.stdout)).toEqual([
      GROUP.sources,
      GROUP.filters,
      GROUP.windows,
      GROUP.widenings,
      GROUP.output,
      GROUP.options,
      'Examples:',
    ]);
    // Nothing falls out of its group: every source and filter option is under its heading.
    const section = (text: string, h: string) => text.split(`\n${h}\n`)[1]!.split('\n\n')[0]!;
    for (const flag of ['--k8s-audit', '--cloudtrail-api', '--eks-audit-logs', '--flows', '--inventory', '--profile'])
      expect(section(gen.stdout, GROUP.sources)).toContain(flag);
    for (const flag of ['--subject', '--exclude-subject', '--subject-kind', '--namespace', '--since', '--until'])
      expect(section(gen.stdout, GROUP.filters)).toContain(flag);
  });

  it('help generate rbac shows that subcommand, as generate rbac --help does', async () => {
    const a = await runInProcess(['help', 'generate', 'rbac']);
    const b = await runInProcess(['generate', 'rbac', '--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.split('\n')[0]).toBe('Usage: audit2policy generate rbac [options]');
    expect((await runInProcess(['help', 'generate'])).stdout.split('\n')[0]).toBe(
      'Usage: audit2policy generate [options] [command]',
    );
    expect((await runInProcess(['help'])).stdout).toBe((await runInProcess(['--help'])).stdout);
    const bad = await runInProcess(['help', 'generate', 'rbca']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(
      'error: help: no command "generate rbca" (subcommands of generate: rbac, iam, netpol, all)',
    );
  });
});

describe('the flags the documentation names', () => {
  const tree = program();
  const all = commands(tree);
  const flagsIn = (text: string) => text.match(/(?<![\w-])--[a-z][a-z0-9-]+/g) ?? [];
  const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
  const docs = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];

  it('README and docs/cli.md name only flags some command takes (docs/cli.md had a --default-deny)', () => {
    // Other tools' flags the text quotes: `aws iam get-account-authorization-details --filter`, `aws ec2
    // create-flow-logs --log-format`, `aws logs filter-log-events --query 'events[].message'`.
    const theirs = new Set(['--filter', '--log-format', '--query']);
    for (const rel of ['README.md', 'docs/cli.md'])
      for (const flag of new Set(flagsIn(read(rel))))
        if (!theirs.has(flag))
          expect(
            [tree, ...all.map((c) => c.cmd)].some((cmd) => takes(cmd, flag)),
            `${rel}: ${flag}`,
          ).toBe(true);
  });

  it("docs/cli.md's --on-error row names every command's default (it gave only profile, generate and verify)", () => {
    const row = read('docs/cli.md')
      .split('\n')
      .find((l) => l.startsWith('| `--on-error fail'))!;
    const cell = row.split(' | ')[1]!;
    const said = (mode: string) => cell.split(';').find((part) => part.trim().startsWith(`\`${mode}\``)) ?? '';
    const withIt = all.filter((c) => c.cmd.options.some((o) => o.long === '--on-error'));
    expect(withIt.length).toBeGreaterThan(6);
    for (const { cmd, path } of withIt) {
      const mode = cmd.options.find((o) => o.long === '--on-error')!.defaultValue as string;
      expect(said(mode), `${path.join(' ')}: ${mode}`).toContain(`\`${path[0]}\``);
    }
  });

  it('each `audit2policy COMMAND ...` in README and docs gives that command flags it takes', () => {
    for (const rel of docs)
      for (const line of read(rel).split('\n'))
        for (const m of line.matchAll(/audit2policy((?: [a-z]+)+)((?: [^\s`|;#]+)*)/g)) {
          let at: Command = tree;
          for (const name of m[1]!.trim().split(' ')) {
            const sub = at.commands.find((c) => c.name() === name);
            if (!sub) break;
            at = sub;
          }
          if (at === tree) continue;
          for (const flag of flagsIn(m[2]!)) expect(takes(at, flag), `${rel}: ${line.trim()}: ${flag}`).toBe(true);
        }
  });
});
