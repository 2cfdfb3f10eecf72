// The command line: flags, and the help that teaches by example.
import { parseArgs } from 'node:util'
import { LOG_LEVELS } from './config/schema.js'

export const HELP = `switchyard-proxy: the per-node routing proxy

Turns each request into a logical name (Host: world -> /svc/world), resolves it through the
namespace dtab from namerd plus the request's own l5d-ctx-dtab and l5d-dtab overrides, picks
an endpoint and forwards the request, as Linkerd 1 did. Exports success rates and latencies.

Usage:
  switchyard-proxy --config FILE [--log-level LEVEL]
  switchyard-proxy --check --config FILE      # validate the config and exit

Options:
  -c, --config FILE  the YAML configuration (below); required
  --check            check the configuration, print what would run, and exit (0 if valid)
  --log-level LEVEL  fatal, error, warn, info (default), debug, trace or silent; overrides log.level
  -h, --help         this text
  --version          the version

Config file (YAML; relative paths are relative to the file):
  id: node-a                      # how this proxy names itself to namerd (default: host-pid)
  admin: {ip: 127.0.0.1, port: 9990}
  routers:
    - label: outgoing
      dstPrefix: /svc               # default
      identifier: {kind: io.l5d.header.token, header: Host}   # default
      interpreter:
        kind: namerd                # or io.l5d.namerd.http
        dst: http://127.0.0.1:4180
        namespace: internal
      servers:
        - {ip: 127.0.0.1, port: 4140}
        - {ip: 0.0.0.0, port: 4142, clearContext: true}   # an edge facing untrusted clients
      timeoutMs: 10000
  # or, with no namerd:
  #   interpreter: {kind: local, dtab: "/svc => /#/io.l5d.fs"}   (or dtabFile: routing.dtab)
  #   namers: [{kind: io.l5d.fs, rootDir: disco}]                 (top level)

Try it:
  curl -s -H 'Host: world' localhost:4140/
  curl -s -H 'Host: world' -H 'l5d-dtab: /host/world => /srv/world-v2' localhost:4140/
  curl -s 'localhost:9990/delegator.json?path=/svc/world'
  curl -s localhost:9990/admin/routers.json
  curl -s localhost:9990/admin/metrics/prometheus | grep rt:service:success

Security: l5d-dtab lets any caller reroute its request. On servers that untrusted clients
reach, set clearContext: true, which strips every l5d-* header both ways.
`

export class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly code = 'usage'
}

export type Command =
  | { readonly type: 'help' }
  | { readonly type: 'version' }
  | {
      readonly type: 'run'
      readonly config: string
      readonly check: boolean
      readonly logLevel?: string | undefined
    }

export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    // node's parseArgs explains an unknown option in terms of `--` and positionals, which is
    // not how this command is used.
    const m = /^Unknown option '([^']+)'/.exec((err as Error).message)
    throw new UsageError(m ? `unknown option ${m[1]}` : (err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return { type: 'help' }
  if (values.version) return { type: 'version' }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"; the config goes after --config`)
  }
  if (values.config === undefined) {
    throw new UsageError('--config FILE is required (a YAML file; see --help for an example)')
  }
  const logLevel = values['log-level']
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level ${logLevel}: use one of ${LOG_LEVELS.join(', ')}`)
  }
  return { type: 'run', config: values.config, check: values.check === true, logLevel }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}
