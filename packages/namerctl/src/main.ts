// The namerctl executable: run the command line against the real process.
import { run } from './cli.js'
import { processIo } from './io.js'

// `namerctl dtab get x | head -1` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

process.exitCode = await run(process.argv.slice(2), processIo())
