import { allNodes, shQuote, valueWords, type CompletionNode } from './tree.js';

const key = (n: CompletionNode) => shQuote(n.path.join(' '));

/** A `case "$1" in ... esac` setting REPLY, one arm per entry, `''` otherwise. */
function lookup(name: string, arms: [pattern: string, value: string][], subject = '"$1"'): string {
  const lines = arms.filter(([, v]) => v !== '').map(([p, v]) => `    ${p}) REPLY=${shQuote(v)} ;;`);
  return `${name}() {\n  case ${subject} in\n${lines.join('\n')}\n    *) REPLY='' ;;\n  esac\n}\n`;
}

/**
 * The commands, options and values of the tree as lookups on the command path (the words after the
 * program name that name commands). Shared by bash and zsh: the same text runs in both.
 */
export function lookups(prog: string, tree: CompletionNode): string {
  const nodes = allNodes(tree);
  const values: [string, string][] = [];
  for (const n of nodes)
    for (const o of n.options)
      for (const f of o.flags) values.push([shQuote(`${n.path.join(' ')}|${f}`), valueWords(o.value, o.many)]);
  return [
    `# The subcommands of a command path.`,
    lookup(
      `_${prog}_commands`,
      nodes.map((n) => [key(n), n.commands.map((c) => c.path[c.path.length - 1]!).join(' ')]),
    ),
    `# The options of a command path.`,
    lookup(
      `_${prog}_options`,
      nodes.map((n) => [key(n), n.options.flatMap((o) => o.flags).join(' ')]),
    ),
    `# What follows an option: file, dir, word or choice, 1 when it takes several values, then the choices.`,
    lookup(`_${prog}_value`, values, '"$1|$2"'),
    `# What a command's own arguments are.`,
    lookup(
      `_${prog}_args`,
      nodes.map((n) => [key(n), valueWords(n.args, true)]),
    ),
  ].join('\n');
}

/** `audit2policy completion bash`. */
export function bashScript(prog: string, version: string, tree: CompletionNode): string {
  const f = `_${prog}`;
  return `# bash completion for ${prog} ${version}, generated from its command tree by \`${prog} completion bash\`.
# In this shell:   source <(${prog} completion bash)
# In every shell:  ${prog} completion bash > /etc/bash_completion.d/${prog}   (or ~/.local/share/bash-completion/completions/${prog})

${lookups(prog, tree)}
# COMPREPLY from a kind of value (see _${prog}_value) and the word being completed.
${f}_complete() {
  case $1 in
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$3") ;;
    dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$3") ;;
    choice) mapfile -t COMPREPLY < <(compgen -W "$2" -- "$3") ;;
    *) COMPREPLY=() ;;
  esac
}

${f}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path='' w opt='' kind many choices REPLY i n=0
  COMPREPLY=()
  # The command path: the leading words that name commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    ${f}_commands "$path"
    if [[ -n $w && " $REPLY " == *" $w "* ]]; then path=\${path:+$path }$w; n=$i; else break; fi
  done
  # After an option that takes a value (or several): its values.
  for ((i = COMP_CWORD - 1; i > n; i--)); do
    if [[ \${COMP_WORDS[i]} == -* ]]; then opt=\${COMP_WORDS[i]}; break; fi
  done
  if [[ -n $opt && $cur != -* ]]; then
    ${f}_value "$path" "$opt"
    read -r kind many choices <<<"$REPLY"
    if [[ -n $kind ]] && ((i == COMP_CWORD - 1 || many == 1)); then
      ${f}_complete "$kind" "$choices" "$cur"
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    ${f}_options "$path"
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  fi
  ${f}_commands "$path"
  if [[ -n $REPLY ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  fi
  ${f}_args "$path"
  read -r kind many choices <<<"$REPLY"
  if [[ $kind == commands ]]; then
    # help COMMAND...: the commands below those named after help.
    local base=\${path% help}
    [[ $base == help ]] && base=''
    for ((i = n + 1; i < COMP_CWORD; i++)); do
      ${f}_commands "$base"
      w=\${COMP_WORDS[i]}
      if [[ -n $w && " $REPLY " == *" $w "* ]]; then base=\${base:+$base }$w; else break; fi
    done
    ${f}_commands "$base"
    kind=choice choices=$REPLY
  fi
  ${f}_complete "$kind" "$choices" "$cur"
}
complete -F ${f} ${prog}
`;
}
