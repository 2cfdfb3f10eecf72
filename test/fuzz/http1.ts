// `pnpm fuzz http1`: the differential properties of packages/proxy/test/differential, run for
// a given time. Each failure fast-check finds is shrunk and printed with its class; the class
// is then set aside and the search goes on for others, so one run lists every class it met,
// one shrunk example each. Exits 1 when it found any.
import fc from 'fast-check'
import { CaseFailure } from '../../packages/proxy/test/differential/judge.js'
import {
  failureClasses,
  type Rig,
  requestProperty,
  responseProperty,
  startRig,
} from '../../packages/proxy/test/differential/property.js'

export interface Http1FuzzOptions {
  readonly seconds: number
  readonly seed: number
  readonly side: 'requests' | 'responses' | 'both'
  /** Classes to leave out from the start (from an earlier run). */
  readonly known: readonly string[]
}

interface Finding {
  readonly side: 'requests' | 'responses'
  readonly classes: string[]
  readonly example: string
  readonly message: string
  readonly seed: number
  readonly path: string | undefined
}

/** Cases per fast-check run; each run starts from its own seed. */
const BATCH = 400

export async function fuzzHttp1(options: Http1FuzzOptions): Promise<number> {
  // A long run may wait longer before calling the proxy stuck: fewer false alarms on a busy box.
  const rig = await startRig({ quietMs: 20, hardMs: 1500 })
  const known = new Set(options.known)
  const findings: Finding[] = []
  const deadline = performance.now() + options.seconds * 1000
  const sides: ('requests' | 'responses')[] =
    options.side === 'both' ? ['requests', 'responses'] : [options.side]
  let cases = 0
  let round = 0
  console.log(
    `http1 differential fuzz: ${options.seconds} s, seed ${options.seed}, ${sides.join(' and ')}`,
  )
  try {
    while (performance.now() < deadline) {
      const side = sides[round % sides.length]!
      const seed = (options.seed + round) | 0
      round++
      const left = deadline - performance.now()
      const details = await check(rig, side, known, seed, left, () => cases++)
      if (!details.failed) continue
      const classes = failureClasses(details)
      const finding: Finding = {
        side,
        classes: classes.length > 0 ? classes : ['error'],
        example: fc.stringify((details.counterexample as unknown[] | null)?.[0]),
        message:
          details.errorInstance instanceof CaseFailure
            ? details.errorInstance.message
            : String(details.errorInstance),
        seed: details.seed,
        path: details.counterexamplePath ?? undefined,
      }
      findings.push(finding)
      for (const c of finding.classes) known.add(c)
      print(finding, findings.length)
      if (classes.length === 0) break // not a property failure: the harness itself broke
    }
  } finally {
    await rig.close()
  }
  console.log(`\n${cases} cases; ${findings.length} classes found`)
  for (const f of findings) console.log(`  ${f.side}: ${f.classes.join(', ')}`)
  return findings.length > 0 ? 1 : 0
}

function check(
  rig: Rig,
  side: 'requests' | 'responses',
  known: ReadonlySet<string>,
  seed: number,
  ms: number,
  count: () => void,
): Promise<fc.RunDetails<unknown>> {
  const isKnown = (cls: string) => known.has(cls)
  const property =
    side === 'requests'
      ? requestProperty(rig, isKnown, count)
      : responseProperty(rig, isKnown, count)
  return fc.check(property as fc.IAsyncPropertyWithHooks<unknown>, {
    seed,
    numRuns: BATCH,
    // A case that runs past its own bounds is a harness problem; fail it rather than hang.
    timeout: 3 * rig.timing.hardMs + 5000,
    interruptAfterTimeLimit: Math.max(1000, ms),
  })
}

function print(f: Finding, n: number): void {
  console.log(`\n#${n} ${f.side}: ${f.classes.join(', ')}`)
  console.log(`  shrunk case: ${f.example}`)
  for (const line of f.message.split('\n')) console.log(`  ${line}`)
  console.log(`  fast-check seed ${f.seed}${f.path === undefined ? '' : `, path "${f.path}"`}`)
}
