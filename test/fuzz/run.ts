// `pnpm fuzz http1 [--seconds N] [--seed S] [--side requests|responses|both] [--known c1,c2]`:
// long randomised runs of the properties the test suite runs briefly. Exit codes: 0 nothing
// found, 1 a finding, 2 usage.
import { parseArgs } from 'node:util'
import { fuzzHttp1 } from './http1.js'

const USAGE = `usage: pnpm fuzz http1 [options]
  --seconds <n>   how long to run (default 600)
  --seed <n>      fast-check seed of the first batch; batches after it use the next ones (default: random, printed)
  --side <s>      requests, responses or both (default both)
  --known <list>  classes to set aside from the start, comma-separated (as a run prints them)`

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`)
  process.exit(2)
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        seconds: { type: 'string' },
        seed: { type: 'string' },
        side: { type: 'string' },
        known: { type: 'string' },
      },
    })
  } catch (err) {
    return usage((err as Error).message)
  }
})()

const targets: Record<string, () => Promise<number>> = {
  http1: () => {
    const seconds = Number(values.seconds ?? 600)
    if (!Number.isFinite(seconds) || seconds <= 0)
      usage(`--seconds ${values.seconds}: a positive number`)
    const seed =
      values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
    if (!Number.isInteger(seed)) usage(`--seed ${values.seed}: an integer`)
    const side = values.side ?? 'both'
    if (side !== 'requests' && side !== 'responses' && side !== 'both') {
      usage(`--side ${side}: requests, responses or both`)
    }
    const known = values.known === undefined ? [] : values.known.split(',').filter((k) => k !== '')
    return fuzzHttp1({ seconds, seed, side, known })
  },
}

if (positionals.length !== 1 || !(positionals[0]! in targets)) {
  usage(`name one target: ${Object.keys(targets).join(', ')}`)
}
process.exitCode = await targets[positionals[0]!]!()
