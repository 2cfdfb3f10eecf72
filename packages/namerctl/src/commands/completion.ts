// `namerctl completion bash|zsh`: a completion script generated from the command tree itself,
// so it never falls behind the commands. Namespaces complete from `namerctl dtab list`, using
// whatever namerd the shell is configured for.
import type { Command } from 'commander'
import { type Context, examples } from '../context.js'
import { UsageError } from '../errors.js'

export function registerCompletion(program: Command, ctx: Context): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      examples(
        'source <(namerctl completion bash)                       # this bash session',
        'namerctl completion bash > /etc/bash_completion.d/namerctl',
        'namerctl completion zsh > ~/.zfunc/_namerctl   # zsh: fpath+=~/.zfunc; compinit',
      ),
    )
    .action((shell: string) => {
      if (shell === 'bash') ctx.io.out(bashScript(program))
      else if (shell === 'zsh')
        ctx.io.out(
          `#compdef namerctl\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program)}`,
        )
      else
        throw new UsageError(`unsupported shell ${JSON.stringify(shell)}`, ['choose bash or zsh'])
    })
}

interface Node {
  /** `/dtab/get`; the root is ``. */
  readonly key: string
  readonly cmd: Command
}

function walk(cmd: Command, key: string, out: Node[]): void {
  out.push({ key, cmd })
  for (const sub of cmd.commands) walk(sub, `${key}/${sub.name()}`, out)
}

function optionsOf(cmd: Command, program: Command): string[] {
  const own = [...cmd.options, ...(cmd === program ? [] : program.options)]
  const flags = own.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined))
  return [...new Set([...flags, '--help'])]
}

function valueOptions(nodes: readonly Node[]): string[] {
  const out = new Set<string>()
  for (const { cmd } of nodes) {
    for (const o of cmd.options) {
      if (!o.required) continue
      if (o.short !== undefined) out.add(o.short)
      if (o.long !== undefined) out.add(o.long)
    }
  }
  return [...out].sort()
}

export function bashScript(program: Command): string {
  const nodes: Node[] = []
  walk(program, '', nodes)
  const moves: string[] = []
  for (const { key, cmd } of nodes) {
    for (const sub of cmd.commands) {
      const names = [sub.name(), ...sub.aliases()].map((n) => `"${key}/${n}"`)
      moves.push(`      ${names.join('|')}) cmd="${key}/${sub.name()}" ;;`)
    }
  }
  const words: string[] = []
  const nsFirst: string[] = []
  for (const { key, cmd } of nodes) {
    if (cmd.commands.length > 0) {
      words.push(`      "${key}") words="${cmd.commands.map((c) => c.name()).join(' ')}" ;;`)
    }
    if (cmd.registeredArguments[0]?.name() === 'ns') nsFirst.push(`"${key}"`)
  }
  const opts = nodes.map(
    ({ key, cmd }) => `      "${key}") words="${optionsOf(cmd, program).join(' ')}" ;;`,
  )
  return `# bash completion for namerctl. Load it with: source <(namerctl completion bash)
_namerctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" nargs=0 i w words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${valueOptions(nodes).join('|')}) i=$((i + 1)); continue ;;
      -*) continue ;;
    esac
    case "$cmd/$w" in
${moves.join('\n')}
      *) nargs=$((nargs + 1)) ;;
    esac
  done
  case "$prev" in
    -o|--output) COMPREPLY=($(compgen -W "text json yaml" -- "$cur")); return ;;
    --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$cmd" in
${opts.join('\n')}
    esac
  else
    case "$cmd" in
${words.join('\n')}
      "/completion") words="bash zsh" ;;
    esac
    case "$cmd" in
      ${nsFirst.join('|') || '"-"'})
        if [ "$nargs" -eq 0 ]; then words="$(namerctl dtab list 2>/dev/null)"; fi ;;
    esac
    case "$cmd" in
      "/dtab/create"|"/dtab/update")
        if [ "$nargs" -eq 1 ]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _namerctl namerctl
`
}
