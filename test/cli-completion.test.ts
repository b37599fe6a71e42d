import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ROOT, tmp } from './helpers/cli.js';
import { program, runInProcess } from './helpers/inproc.js';

/**
 * `completion bash|zsh|fish`: each script is checked by its shell and run against commander's own tree
 * (not the tree the scripts were rendered from): every command path completes to exactly the
 * subcommands and options commander parses there.
 */
const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const HAS = { zsh: has('zsh'), fish: has('fish') };
for (const [shell, there] of Object.entries(HAS))
  if (!there)
    console.warn(`NOTICE: ${shell} not installed: its completion script is NOT run (apt-get install ${shell})`);

interface Node {
  path: string[];
  commands: string[];
  flags: string[];
  cmd: Command;
}

/** Commander's tree: each command's visible subcommands and options, as its help lists them. */
function nodes(c: Command, path: string[] = []): Node[] {
  const help = c.createHelp();
  const subs = help.visibleCommands(c);
  return [
    {
      path,
      cmd: c,
      commands: subs.map((s) => s.name()),
      flags: help.visibleOptions(c).flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)),
    },
    ...subs.map((s) => nodes(s, [...path, s.name()])).flat(),
  ];
}

const tree = nodes(program());
const sorted = (xs: string[]) => [...new Set(xs)].sort();

async function script(shell: string): Promise<string> {
  const r = await runInProcess(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(tmp('a2p-completion-'), `audit2policy.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** Run completion queries in one shell process: each a command line (its last word the one completed). */
function queries(shell: 'bash' | 'zsh', file: string, lines: string[][]): string[][] {
  const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
  const body =
    shell === 'bash'
      ? lines.map(
          (l) =>
            `COMP_WORDS=(${l.map(q).join(' ')}); COMP_CWORD=${l.length - 1}; _audit2policy; printf '%s\\n' "\${COMPREPLY[*]}"`,
        )
      : lines.map(
          (l) => `words=(${l.map(q).join(' ')}); CURRENT=${l.length}; OUT=(); _audit2policy; print -r -- "\${OUT[*]}"`,
        );
  // zsh: the completion system's builtins stand in as functions that collect what they are given.
  const stubs =
    shell === 'zsh'
      ? 'compdef() { :; }\n_describe() { OUT+=(${(@)reply%%:*}); }\ncompadd() { shift; OUT+=("$@"); }\n_files() { OUT+=(FILES $*); }\n_message() { OUT+=(VALUE); }\n'
      : '';
  const r = spawnSync(shell, ['-c', `${stubs}source ${q(file)}\n${body.join('\n')}`], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .slice(0, lines.length)
    .map((l) => l.split(' ').filter(Boolean));
}

describe('completion', () => {
  it('bash: the script passes bash -n and completes every command and option of the tree', async () => {
    const file = await script('bash');
    const n = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(n.status, n.stderr).toBe(0);
    expect(tree.length).toBeGreaterThan(12);
    const lines = tree.flatMap((t) => [
      ['audit2policy', ...t.path, '-'],
      ['audit2policy', ...t.path, ''],
    ]);
    const got = queries('bash', file, lines);
    tree.forEach((t, i) => {
      expect(sorted(got[2 * i]!), `${t.path.join(' ')} -`).toEqual(sorted(t.flags));
      if (t.commands.length) expect(sorted(got[2 * i + 1]!), t.path.join(' ')).toEqual(sorted(t.commands));
    });
  });

  it('bash: values after options: choices, files, and every path of a variadic option', async () => {
    const file = await script('bash');
    const choice = tree.flatMap((t) =>
      t.cmd.options
        .filter((o) => o.argChoices)
        .map((o) => ({ line: ['audit2policy', ...t.path, o.long!, ''], want: o.argChoices! })),
    );
    expect(choice.length).toBeGreaterThan(5);
    const got = queries('bash', file, [
      ...choice.map((c) => c.line),
      ['audit2policy', 'profile', '--k8s-audit', 'fixtures/demo/k8s'],
      ['audit2policy', 'profile', '--k8s-audit', 'fixtures/demo/k8s-audit', 'fixtures/demo/flo'],
      ['audit2policy', 'generate', 'all', '-o', 'fixtures/dem'],
      ['audit2policy', 'completion', ''],
      ['audit2policy', 'help', 'generate', 'n'],
      ['audit2policy', 'generate', 'rbac', '--widen-names', ''],
    ]);
    choice.forEach((c, i) => expect(sorted(got[i]!), c.line.join(' ')).toEqual(sorted(c.want)));
    expect(got.slice(choice.length).map(sorted)).toEqual([
      ['fixtures/demo/k8s-audit'],
      ['fixtures/demo/flows', 'fixtures/demo/flows-counts.json'],
      ['fixtures/demo'],
      ['bash', 'fish', 'zsh'],
      ['netpol'],
      [],
    ]);
  });

  it.skipIf(!HAS.zsh)('zsh: the script passes zsh -n and completes every command and option of the tree', async () => {
    const file = await script('zsh');
    const n = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(n.status, n.stderr).toBe(0);
    const got = queries(
      'zsh',
      file,
      tree.flatMap((t) => [
        ['audit2policy', ...t.path, '-'],
        ['audit2policy', ...t.path, ''],
      ]),
    );
    tree.forEach((t, i) => {
      expect(sorted(got[2 * i]!), `${t.path.join(' ')} -`).toEqual(sorted(t.flags));
      if (t.commands.length) expect(sorted(got[2 * i + 1]!), t.path.join(' ')).toEqual(sorted(t.commands));
    });
    expect(queries('zsh', file, [['audit2policy', 'generate', 'netpol', '--flavor', '']])).toEqual([
      ['kubernetes', 'cilium'],
    ]);
  });

  it.skipIf(!HAS.fish)(
    'fish: the script passes fish -n and completes every command and option of the tree',
    async () => {
      const file = await script('fish');
      const n = spawnSync('fish', ['-n', file], { encoding: 'utf8' });
      expect(n.status, n.stderr).toBe(0);
      // complete -C: what fish itself would offer for a command line; one query per line, separated.
      const lines = tree
        .flatMap((t) => [
          [...t.path, '--'],
          [...t.path, ''],
        ])
        .map((l) => ['audit2policy', ...l].join(' '));
      const body = lines.map((l) => `complete -C ${JSON.stringify(l)} | string replace -r '\\t.*' ''; echo '@@'`);
      const r = spawnSync('fish', ['-c', `source ${file}\n${body.join('\n')}`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const got = r.stdout
        .split('@@\n')
        .slice(0, lines.length)
        .map((b) => b.split('\n').filter(Boolean));
      tree.forEach((t, i) => {
        expect(sorted(got[2 * i]!), `${t.path.join(' ')} --`).toEqual(
          sorted(t.flags.filter((f) => f.startsWith('--'))),
        );
        if (t.commands.length) expect(sorted(got[2 * i + 1]!), t.path.join(' ')).toEqual(sorted(t.commands));
      });
    },
  );

  it('an unknown shell is a usage error', async () => {
    const r = await runInProcess(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    );
  });
});
