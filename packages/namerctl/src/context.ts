// What every command gets: the streams, the colours, and a namerd client made from the global
// flags (--base-url, --config, --token) only when the command needs one, so --help and
// `completion` work with no namerd configured.
import type { Command } from 'commander'
import { NamerdClient } from './client.js'
import { type GlobalFlags, resolveSettings } from './config.js'
import type { Io, Style } from './io.js'
import { checkWhy, WHY_ENV } from './why.js'

export interface Context {
  readonly io: Io
  /** Colours for standard output, and for standard error. */
  readonly out: Style
  readonly err: Style
  connect(cmd: Command): NamerdClient
}

export function connect(io: Io, cmd: Command): NamerdClient {
  const flags = cmd.optsWithGlobals<GlobalFlags & { why?: string }>()
  const settings = resolveSettings(flags, io.env, io.cwd)
  // Only a command that offers --why (one that writes a dtab) sends a reason, from the env too.
  const offersWhy = cmd.options.some((o) => o.long === '--why')
  const why = !offersWhy
    ? undefined
    : flags.why !== undefined
      ? checkWhy(flags.why, '--why')
      : checkWhy(io.env[WHY_ENV], WHY_ENV)
  return new NamerdClient(settings.baseUrl, { token: settings.token, tls: settings.tls, why })
}

/** `Examples:` help text, appended to a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => (l === '' ? '' : `  ${l}`)).join('\n')}\n`
}
