// kubectl ipam completion bash|zsh|fish: scripts generated from the commander program (commands,
// options), so they never drift. Install: see plugin/README.md.
import type { Command } from 'commander';
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';

interface Spec {
  readonly commands: { name: string; description: string; options: string[] }[];
  readonly globals: string[];
}

function specOf(program: Command): Spec {
  const flags = (c: Command): string[] =>
    c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  return {
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      options: flags(c),
    })),
    globals: [...flags(program), '--help'],
  };
}

export function bashCompletion(program: Command): string {
  const s = specOf(program);
  const cases = s.commands.map((c) => `    ${c.name}) opts="${c.options.join(' ')}" ;;`).join('\n');
  return `# bash completion for kubectl-ipam (kubectl ipam ...)
_kubectl_ipam() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i=1; i<COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${s.commands.map((c) => c.name).join('|')}) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    -o|--output) COMPREPLY=( $(compgen -W "table wide json yaml" -- "$cur") ); return ;;
    --kubeconfig|--from-report) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --context) COMPREPLY=( $(compgen -W "$(kubectl config get-contexts -o name 2>/dev/null)" -- "$cur") ); return ;;
    -n|--namespace) COMPREPLY=( $(compgen -W "$(kubectl get namespaces -o name 2>/dev/null | sed 's|namespace/||')" -- "$cur") ); return ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ); return ;;
  esac
  opts=""
  case "$cmd" in
${cases}
    "") COMPREPLY=( $(compgen -W "${s.commands.map((c) => c.name).join(' ')} ${s.globals.join(' ')}" -- "$cur") ); return ;;
  esac
  COMPREPLY=( $(compgen -W "$opts ${s.globals.join(' ')}" -- "$cur") )
}
complete -F _kubectl_ipam kubectl-ipam
complete -F _kubectl_ipam kubectl_ipam
`;
}

export function zshCompletion(program: Command): string {
  const s = specOf(program);
  return `#compdef kubectl-ipam kubectl_ipam
# zsh completion for kubectl-ipam
_kubectl_ipam() {
  local -a commands
  commands=(
${s.commands.map((c) => `    '${c.name}:${c.description.replace(/'/g, '')}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    _values 'flags' ${s.globals.map((g) => `'${g}'`).join(' ')}
    return
  fi
  case "$words[CURRENT-1]" in
    -o|--output) _values 'format' table wide json yaml; return ;;
    --kubeconfig|--from-report) _files; return ;;
  esac
  case "$words[2]" in
${s.commands.map((c) => `    ${c.name}) _values 'flags' ${[...c.options, ...s.globals].map((g) => `'${g}'`).join(' ')} ;;`).join('\n')}
  esac
}
compdef _kubectl_ipam kubectl-ipam
`;
}

export function fishCompletion(program: Command): string {
  const s = specOf(program);
  const lines = ['# fish completion for kubectl-ipam', 'complete -c kubectl-ipam -f'];
  for (const c of s.commands) {
    lines.push(
      `complete -c kubectl-ipam -n '__fish_use_subcommand' -a '${c.name}' -d '${c.description.replace(/'/g, '')}'`,
    );
    for (const o of c.options.filter((f) => f.startsWith('--')))
      lines.push(`complete -c kubectl-ipam -n '__fish_seen_subcommand_from ${c.name}' -l '${o.slice(2)}'`);
  }
  for (const g of s.globals.filter((f) => f.startsWith('--')))
    lines.push(`complete -c kubectl-ipam -l '${g.slice(2)}'`);
  lines.push(`complete -c kubectl-ipam -s o -l output -x -a 'table wide json yaml'`);
  return `${lines.join('\n')}\n`;
}

export function runCompletion(ctx: CommandContext, shell: string, program: Command): void {
  switch (shell) {
    case 'bash':
      ctx.out(bashCompletion(program));
      return;
    case 'zsh':
      ctx.out(zshCompletion(program));
      return;
    case 'fish':
      ctx.out(fishCompletion(program));
      return;
    default:
      throw new CliError(ExitCode.Usage, `unknown shell "${shell}" (use bash, zsh or fish)`);
  }
}
