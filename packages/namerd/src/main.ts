// The `namerd` command: parse, configure, run until SIGTERM or SIGINT, drain, exit 0.
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { Auth, exposureProblem } from './auth.js'
import { HELP, parseCommandLine, UsageError } from './cli.js'
import { ConfigError, type Env, resolveSettings } from './config.js'
import { describeSettings, startNamerd } from './daemon.js'
import { listenProblem } from './listen-problem.js'

function version(): string {
  // src/ and dist/ both sit one level below the package root.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return (pkg as { version?: string }).version ?? 'unknown'
}

/** Runs namerd; resolves with the exit status once it has stopped (or could not start). */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>
  try {
    command = parseCommandLine(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`namerd: ${err.message}\nRun 'namerd --help' for usage and examples.\n`)
    return 2
  }
  if (command.type === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command.type === 'version') {
    process.stdout.write(`namerd ${version()}\n`)
    return 0
  }

  let settings: Awaited<ReturnType<typeof resolveSettings>>
  try {
    settings = await resolveSettings(command.flags, env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`namerd: ${err.message}\n`)
    return 2
  }
  const problem = exposureProblem(
    settings.listen.host,
    new Auth({ tokens: settings.tokens, anonymousReads: settings.anonymousReads }),
    settings.insecure,
  )
  if (problem !== null) {
    process.stderr.write(`namerd: ${problem}\n`)
    return 2
  }
  if (command.check) {
    const checked = await describeSettings(settings, { env })
    process.stdout.write(checked.text)
    for (const problem of checked.problems) process.stderr.write(`namerd: ${problem}\n`)
    return checked.problems.length === 0 ? 0 : 2
  }

  const logger = pino({ level: settings.logLevel, base: { pid: process.pid }, name: 'namerd' })
  let running: Awaited<ReturnType<typeof startNamerd>>
  try {
    running = await startNamerd(settings, logger)
  } catch (err) {
    // An address that cannot be used is the operator's to change: one line says it all.
    const problem = listenProblem(err, settings.listen)
    if (problem !== null) {
      process.stderr.write(`namerd: ${problem}\n`)
      return 1
    }
    logger.fatal({ err }, 'namerd could not start')
    process.stderr.write(`namerd: cannot start: ${err instanceof Error ? err.message : err}\n`)
    return 1
  }
  if (settings.insecure && !running.server.context.auth.writeGuarded) {
    logger.warn(
      '--insecure: writes need no token; anyone who reaches this address can change routing',
    )
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  logger.info(
    { signal, watchers: running.server.context.watchers.size },
    'stopping: draining watchers',
  )
  try {
    await running.stop()
  } catch (err) {
    logger.error({ err }, 'error while stopping')
    return 1
  }
  logger.info('stopped')
  return 0
}

process.exit(await main(process.argv.slice(2), process.env))
