import { allNodes, oneLine, type CompletionNode, type CompletionOption } from './tree.js';

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function optionLine(prog: string, n: CompletionNode, o: CompletionOption): string {
  const parts = [`complete -c ${prog} -n ${q(`__${prog}_is ${JSON.stringify(n.path.join(' '))}`)}`];
  for (const f of o.flags) parts.push(f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
  const v = o.value;
  if (v.type === 'file') parts.push('-r -F');
  else if (v.type === 'dir') parts.push(`-r -a '(__fish_complete_directories)'`);
  else if (v.type === 'choice') parts.push(`-x -a ${q(v.choices.join(' '))}`);
  else if (v.type === 'word') parts.push('-x');
  parts.push(`-d ${q(oneLine(o.description))}`);
  return parts.join(' ');
}

/** `audit2policy completion fish`. */
export function fishScript(prog: string, version: string, tree: CompletionNode): string {
  const nodes = allNodes(tree);
  const name = (n: CompletionNode) => n.path[n.path.length - 1]!;
  const arms = nodes
    .filter((n) => n.commands.length > 0)
    .map((n) => `        case ${q(n.path.join(' '))}\n            printf '%s\\n' ${n.commands.map(name).join(' ')}`);
  const many = nodes.flatMap((n) =>
    n.options
      .filter((o) => o.many && o.value.type === 'file')
      .flatMap((o) => o.flags.map((f) => `${n.path.join(' ')}|${f}`)),
  );
  const lines: string[] = [];
  for (const n of nodes) {
    const is = `-n ${q(`__${prog}_is ${JSON.stringify(n.path.join(' '))}`)}`;
    for (const c of n.commands) lines.push(`complete -c ${prog} ${is} -a ${name(c)} -d ${q(oneLine(c.description))}`);
    for (const o of n.options) lines.push(optionLine(prog, n, o));
    if (n.args.type === 'file') lines.push(`complete -c ${prog} ${is} -F`);
    if (n.args.type === 'choice') lines.push(`complete -c ${prog} ${is} -a ${q(n.args.choices.join(' '))}`);
    if (n.args.type === 'commands') lines.push(`complete -c ${prog} ${is} -a '(__${prog}_help_commands)'`);
  }
  return `# fish completion for ${prog} ${version}, generated from its command tree by \`${prog} completion fish\`.
# In this shell:   ${prog} completion fish | source
# In every shell:  ${prog} completion fish > ~/.config/fish/completions/${prog}.fish

# The subcommands of a command path.
function __${prog}_commands
    switch "$argv[1]"
${arms.join('\n')}
    end
end

# The command path of the line being completed: the leading words that name commands.
function __${prog}_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l path ''
    for w in $words
        if contains -- $w (__${prog}_commands $path)
            set path (string trim -- "$path $w")
        else
            break
        end
    end
    echo $path
end

function __${prog}_is
    set -l path (__${prog}_path)
    test "$path" = "$argv[1]"
end

# More paths after an option that takes several (--k8s-audit a b ...).
function __${prog}_after_many
    set -l path (__${prog}_path)
    set -l many ${many.map(q).join(' ')}
    set -l words (commandline -opc)
    for w in $words[-1..1]
        if string match -q -- '-*' $w
            contains -- "$path|$w" $many
            return
        end
    end
    return 1
end

# help COMMAND...: the commands below those named after help.
function __${prog}_help_commands
    set -l path (__${prog}_path)
    set -l base (string replace -r '^help$| help$' '' -- $path)
    set -l skip (count (string split ' ' -- $path))
    set -l words (commandline -opc)
    set -e words[1]
    set -l i 0
    for w in $words
        set i (math $i + 1)
        test $i -le $skip; and continue
        if contains -- $w (__${prog}_commands $base)
            set base (string trim -- "$base $w")
        else
            break
        end
    end
    __${prog}_commands $base
end

complete -c ${prog} -f
complete -c ${prog} -n '__${prog}_after_many' -F
${lines.join('\n')}
`;
}
