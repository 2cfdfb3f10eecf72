// The `switchyard-proxy` command: read the config, run until SIGTERM or SIGINT, stop, exit 0.
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, loadYamlConfig } from '@switchyard/config'
import { Path } from '@switchyard/dtab'
import { describeNamerConfig, namerPrefix } from '@switchyard/namers'
import { pino } from 'pino'
import { HELP, parseCommandLine, UsageError } from './cli.js'
import { describeIgnored } from './config/linkerd-keys.js'
import { ignoredLinkerdKeys, ProxyConfig } from './config/schema.js'
import { namerdUrl } from './interpret/config.js'
import {
  DAEMONSET,
  daemonSetTarget,
  LOCALNODE,
  TRANSFORMER_PREFIX,
  type TransformerConfig,
} from './interpret/transformers/index.js'
import { ListenError } from './listen-error.js'
import { startProxy } from './proxy.js'
import { describeServerTls, tlsFileProblems, tlsWarnings } from './tls/check-files.js'
import { TlsConfigError } from './tls/tls-errors.js'

function version(): string {
  // src/ and dist/ both sit one level below the package root.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return (pkg as { version?: string }).version ?? 'unknown'
}

/** Directories the config names that are not there: the namers could never mount. */
function missingDirectories(config: ProxyConfig, baseDir: string): string[] {
  return config.namers.flatMap((n, i) => {
    if (n.kind !== 'io.l5d.fs') return []
    const dir = resolve(baseDir, n.rootDir)
    return statSync(dir, { throwIfNoEntry: false })?.isDirectory()
      ? []
      : [`namers[${i}].rootDir: ${dir} is not a directory (${n.kind} reads its names from there)`]
  })
}

/** A `namers:` entry for --check: where it is mounted and what it reads. */
function describeNamer(n: ProxyConfig['namers'][number]): string {
  const selector =
    n.kind === 'io.l5d.k8s' && n.labelSelector !== undefined
      ? ` (labelSelector ${n.labelSelector})`
      : ''
  return `namer ${Path.show(namerPrefix(n.prefix ?? n.kind))}: ${describeNamerConfig(n)}${selector}\n`
}

/**
 * A transformer for --check: its kind and the settings that decide where requests go (which
 * Service holds the proxies, which Kubernetes API, node by name or by /24, the id prefix). The
 * environment (POD_IP, NODE_NAME) is read only at start, so its value is not shown.
 */
function describeTransformer(c: TransformerConfig): string {
  const by = c.hostNetwork
    ? 'node name (hostNetwork: true)'
    : "the pod IP's /24 (hostNetwork: false)"
  if (c.kind === DAEMONSET) {
    const target = daemonSetTarget(c)
    const api =
      target.connection.kind === 'url' ? target.connection.url : 'in-cluster, else kubeconfig'
    const base =
      c.prefix === undefined
        ? Path.utf8(DAEMONSET, c.namespace, c.port, c.service)
        : Path.read(c.prefix)
    return `  transformer ${c.kind}: the proxies are Service ${c.namespace}/${c.service} port ${c.port}, Kubernetes API ${api}, matched by ${by}; ids ${Path.show([TRANSFORMER_PREFIX, ...base])}\n`
  }
  const base = c.prefix === undefined ? Path.utf8(LOCALNODE) : Path.read(c.prefix)
  const here = c.hostNetwork ? 'NODE_NAME' : 'POD_IP'
  return `  transformer ${c.kind}: keeps this node's endpoints, matched by ${by}; ids ${Path.show([TRANSFORMER_PREFIX, ...base])}/<${here}>\n`
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>
  try {
    command = parseCommandLine(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(
      `switchyard-proxy: ${err.message}\nRun 'switchyard-proxy --help' for usage and examples.\n`,
    )
    return 2
  }
  if (command.type === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command.type === 'version') {
    process.stdout.write(`switchyard-proxy ${version()}\n`)
    return 0
  }
  const file = resolve(command.config)
  let config: ProxyConfig
  try {
    config = await loadYamlConfig(file, ProxyConfig)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`switchyard-proxy: ${err.message}\n`)
    return 2
  }
  const missing = [
    ...missingDirectories(config, dirname(file)),
    ...tlsFileProblems(config, dirname(file)),
  ]
  if (missing.length > 0) {
    process.stderr.write(missing.map((m) => `switchyard-proxy: ${file}: ${m}\n`).join(''))
    return 2
  }
  if (command.check) {
    // The warning the start logs, so a check shows it too (the config is still valid).
    const ignored = ignoredLinkerdKeys(config)
    if (ignored.length > 0) {
      process.stderr.write(
        `switchyard-proxy: warning: Linkerd config keys this proxy does not use, ignored: ${describeIgnored(ignored)}\n`,
      )
    }
    for (const w of tlsWarnings(config)) process.stderr.write(`switchyard-proxy: warning: ${w}\n`)
    for (const n of config.namers) process.stdout.write(describeNamer(n))
    for (const r of config.routers) {
      const servers = r.servers.map((s) => {
        const notes = [
          ...(s.clearContext ? ['clearContext'] : []),
          ...(s.tls !== undefined ? [describeServerTls(s.tls, dirname(file))] : []),
        ]
        return `${s.ip}:${s.port}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`
      })
      const source =
        r.interpreter && 'dst' in r.interpreter
          ? `namerd ${namerdUrl(r.interpreter)} namespace ${r.interpreter.namespace}`
          : 'local dtab'
      process.stdout.write(`router ${r.label ?? r.protocol}: ${servers.join(', ')} -> ${source}\n`)
      for (const c of r.interpreter?.transformers ?? []) {
        process.stdout.write(describeTransformer(c))
      }
    }
    process.stdout.write(`admin: ${config.admin.ip}:${config.admin.port}\n${file}: valid\n`)
    return 0
  }
  const level = command.logLevel ?? config.log.level
  const logger = pino({ level, base: { pid: process.pid }, name: 'switchyard-proxy' })
  let running: Awaited<ReturnType<typeof startProxy>>
  try {
    running = await startProxy(config, { logger, baseDir: dirname(file) })
  } catch (err) {
    // An address that cannot be used is the operator's to change, and the message names the
    // config key: one line says it all, where a stack trace would bury it.
    if (err instanceof ListenError || err instanceof TlsConfigError) {
      process.stderr.write(`switchyard-proxy: cannot start: ${err.message}\n`)
      return 1
    }
    logger.fatal({ err }, 'switchyard-proxy could not start')
    process.stderr.write(
      `switchyard-proxy: cannot start: ${err instanceof Error ? err.message : err}\n`,
    )
    return 1
  }
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'))
    process.once('SIGINT', () => done('SIGINT'))
  })
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping')
  const drained = await Promise.race([
    running.close().then(() => true),
    new Promise<false>((done) => setTimeout(done, config.shutdownGraceMs, false).unref()),
  ])
  if (drained) logger.info('stopped')
  else {
    logger.warn(
      { graceMs: config.shutdownGraceMs },
      'requests still in flight when the shutdown grace period ended; exiting anyway',
    )
  }
  return 0
}

process.exit(await main(process.argv.slice(2)))
