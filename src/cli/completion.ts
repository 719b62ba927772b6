// `keelson completion bash|zsh`: a completion script made from the command
// table itself, so it knows every command, subcommand and flag the installed
// version has. zsh runs the bash script through bashcompinit.
import type { Command, Option } from 'commander';

interface Node {
  path: string;
  commands: string[];
  flags: string[];
  choices: Map<string, readonly string[]>;
}

function walk(command: Command, path: string, into: Node[]): void {
  const options = command.options as readonly Option[];
  const choices = new Map<string, readonly string[]>();
  for (const option of options) {
    const values = option.argChoices;
    if (values) for (const flag of [option.short, option.long]) if (flag) choices.set(flag, values);
  }
  const commands = command.commands.map((c) => c.name());
  into.push({
    path,
    commands,
    flags: [...options.flatMap((o) => (o.long ? [o.long] : [])), '--help'],
    choices,
  });
  for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name(), into);
}

const quote = (words: readonly string[]): string => words.join(' ').replace(/[^-a-z0-9 ]/gi, '');

export function bashCompletion(program: Command): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  const cases = (pick: (node: Node) => string) =>
    nodes.map((node) => `    "${node.path}") echo "${pick(node)}" ;;`).join('\n');
  const choiceCases = nodes
    .flatMap((node) =>
      [...node.choices].map(([flag, values]) => `    "${node.path}|${flag}") echo "${quote(values)}" ;;`),
    )
    .join('\n');
  return `# keelson completion for bash: source <(keelson completion bash)
_keelson_commands() {
  case "$1" in
${cases((node) => quote(node.commands))}
  esac
}
_keelson_words() {
  case "$1" in
${cases((node) => quote([...node.commands, ...node.flags]))}
  esac
}
_keelson_choices() {
  case "$1" in
${choiceCases}
  esac
}
_keelson() {
  local cur prev path word i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(_keelson_commands "$path") " in
      *" $word "*) path="\${path:+$path }$word" ;;
    esac
  done
  local values
  values="$(_keelson_choices "$path|$prev")"
  if [ -n "$values" ]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_keelson_words "$path")" -- "$cur"))
  fi
}
complete -F _keelson keelson
`;
}

export function zshCompletion(program: Command): string {
  return `# keelson completion for zsh: source <(keelson completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
