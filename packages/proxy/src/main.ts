// The `switchyard-proxy` command: read the config, run until SIGTERM or SIGINT, stop, exit 0.
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, loadYamlConfig } from '@switchyard/config'
import { pino } from 'pino'
import { HELP, parseCommandLine, UsageError } from './cli.js'
import { ProxyConfig } from './config/schema.js'
import { startProxy } from './proxy.js'

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
  const missing = missingDirectories(config, dirname(file))
  if (missing.length > 0) {
    process.stderr.write(missing.map((m) => `switchyard-proxy: ${file}: ${m}\n`).join(''))
    return 2
  }
  if (command.check) {
    for (const r of config.routers) {
      const servers = r.servers.map(
        (s) => `${s.ip}:${s.port}${s.clearContext ? ' (clearContext)' : ''}`,
      )
      const source =
        r.interpreter && 'dst' in r.interpreter
          ? `namerd ${r.interpreter.dst} namespace ${r.interpreter.namespace}`
          : 'local dtab'
      process.stdout.write(`router ${r.label ?? r.protocol}: ${servers.join(', ')} -> ${source}\n`)
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
