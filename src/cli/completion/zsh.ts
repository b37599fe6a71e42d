import { lookups } from './bash.js';
import { allNodes, oneLine, shQuote, type CompletionNode } from './tree.js';

/** `name:description` items for `_describe`, by command path. */
function described(prog: string, name: string, tree: CompletionNode, items: (n: CompletionNode) => string[][]) {
  const arms = allNodes(tree)
    .map((n) => [n, items(n)] as const)
    .filter(([, list]) => list.length > 0)
    .map(
      ([n, list]) =>
        `    ${shQuote(n.path.join(' '))}) reply=(\n${list.map(([w, d]) => `      ${shQuote(`${w}:${oneLine(d ?? '')}`)}`).join('\n')}\n    ) ;;`,
    );
  return `_${prog}_${name}() {\n  case "$1" in\n${arms.join('\n')}\n    *) reply=() ;;\n  esac\n}\n`;
}

/** `audit2policy completion zsh`: the bash lookups (the same text runs in zsh), with descriptions for _describe. */
export function zshScript(prog: string, version: string, tree: CompletionNode): string {
  const f = `_${prog}`;
  return `#compdef ${prog}
# zsh completion for ${prog} ${version}, generated from its command tree by \`${prog} completion zsh\`.
# In this shell:   source <(${prog} completion zsh)   (after compinit)
# In every shell:  ${prog} completion zsh > "\${fpath[1]}/_${prog}"

${lookups(prog, tree)}
# Commands and options with their descriptions.
${described(prog, 'described_commands', tree, (n) => n.commands.map((c) => [c.path[c.path.length - 1]!, c.description]))}
${described(prog, 'described_options', tree, (n) => n.options.flatMap((o) => o.flags.map((fl) => [fl, o.description])))}
${f}_complete() {
  case $1 in
    file) _files ;;
    dir) _files -/ ;;
    choice) compadd -- \${=2} ;;
    *) _message 'a value' ;;
  esac
}

${f}() {
  local cur=\${words[CURRENT]} path='' w opt='' kind many choices REPLY
  local -a reply
  local -i i n=1
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    ${f}_commands "$path"
    if [[ -n $w && " $REPLY " == *" $w "* ]]; then path=\${path:+$path }$w; n=i; else break; fi
  done
  for ((i = CURRENT - 1; i > n; i--)); do
    if [[ \${words[i]} == -* ]]; then opt=\${words[i]}; break; fi
  done
  if [[ -n $opt && $cur != -* ]]; then
    ${f}_value "$path" "$opt"
    read -r kind many choices <<<"$REPLY"
    if [[ -n $kind ]] && ((i == CURRENT - 1 || many == 1)); then
      ${f}_complete "$kind" "$choices"
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    ${f}_described_options "$path"
    _describe -t options option reply
    return
  fi
  ${f}_described_commands "$path"
  if ((\${#reply})); then
    _describe -t commands command reply
    return
  fi
  ${f}_args "$path"
  read -r kind many choices <<<"$REPLY"
  if [[ $kind == commands ]]; then
    local base=\${path% help}
    [[ $base == help ]] && base=''
    for ((i = n + 1; i < CURRENT; i++)); do
      ${f}_commands "$base"
      w=\${words[i]}
      if [[ -n $w && " $REPLY " == *" $w "* ]]; then base=\${base:+$base }$w; else break; fi
    done
    ${f}_described_commands "$base"
    _describe -t commands command reply
    return
  fi
  ${f}_complete "$kind" "$choices"
}

if [[ \${funcstack[1]} == ${f} ]]; then
  ${f} "$@"
else
  compdef ${f} ${prog}
fi
`;
}
