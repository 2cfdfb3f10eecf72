// The namerctl executable: run the command line against the real process.
import { run } from './cli.js'
import { processIo } from './io.js'

// `namerctl rollout watch x | head -1` closes the pipe early: the output was cut short, so the
// exit is what a shell reports for a command killed by SIGPIPE (128 + 13), never 0, which for a
// watch would read as "succeeded". Quietly: the reader left on purpose.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141)
  throw err
})

process.exitCode = await run(process.argv.slice(2), processIo())
