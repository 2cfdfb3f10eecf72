// `pnpm bench [dtab namerd proxy rollouts dashboard] [--baseline <ref>] [--seconds N] [--rounds N] [--h2]`: runs
// the named benchmarks (all by default) in one process and prints their tables and ratios.
// Benchmarks are measurements, never pass/fail tests. The options are the proxy bench's (see
// proxy.ts).
import { parseArgs } from 'node:util'
import { printDashboardBench, runDashboardBench } from './dashboard.js'
import { printDtabBench, runDtabBench } from './dtab.js'
import { printH2Bench, runH2Bench } from './h2.js'
import { printNamerdBench, runNamerdBench } from './namerd.js'
import { DEFAULT_PROXY_BENCH, printProxyBench, runProxyBench } from './proxy.js'
import {
  DEFAULT_ROLLOUT_BENCH,
  FULL_ROLLOUT_BENCH,
  printRolloutBench,
  runRolloutBench,
} from './rollouts.js'

const USAGE = `usage: pnpm bench [dtab|namerd|proxy|rollouts|dashboard ...] [options]
  --baseline <ref>  proxy: also measure the proxy as it was at this git ref, in the same rounds
  --seconds <n>     proxy: seconds per throughput round (default ${DEFAULT_PROXY_BENCH.seconds}); the 1,000 req/s runs take twice that
  --rounds <n>      proxy: throughput rounds (default ${DEFAULT_PROXY_BENCH.rounds})
  --h2              proxy: only its HTTP/2 and gRPC part (h2.ts), which otherwise follows the HTTP/1.1 one
  --full            rollouts: the design's size (${FULL_ROLLOUT_BENCH.namespaces * FULL_ROLLOUT_BENCH.prefixes} rollouts, ${FULL_ROLLOUT_BENCH.proxies} proxies) instead of ${DEFAULT_ROLLOUT_BENCH.namespaces * DEFAULT_ROLLOUT_BENCH.prefixes} and ${DEFAULT_ROLLOUT_BENCH.proxies}`

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`)
  process.exit(2)
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        baseline: { type: 'string' },
        seconds: { type: 'string' },
        rounds: { type: 'string' },
        full: { type: 'boolean' },
        h2: { type: 'boolean' },
      },
    })
  } catch (err) {
    return usage((err as Error).message)
  }
})()

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) usage(`--${name} ${value}: a whole number of at least 1`)
  return n
}
const proxyOptions = {
  seconds: positive('seconds', values.seconds, DEFAULT_PROXY_BENCH.seconds),
  rounds: positive('rounds', values.rounds, DEFAULT_PROXY_BENCH.rounds),
  baseline: values.baseline,
}

const suites: Record<string, () => void | Promise<void>> = {
  dtab: () => printDtabBench(runDtabBench()),
  namerd: async () => printNamerdBench(await runNamerdBench()),
  proxy: async () => {
    if (values.h2 !== true) printProxyBench(await runProxyBench(proxyOptions))
    printH2Bench(await runH2Bench(proxyOptions))
  },
  rollouts: async () =>
    printRolloutBench(
      await runRolloutBench(values.full === true ? FULL_ROLLOUT_BENCH : DEFAULT_ROLLOUT_BENCH),
    ),
  dashboard: async () => printDashboardBench(await runDashboardBench()),
}

const unknown = positionals.filter((w) => !(w in suites))
if (unknown.length > 0) {
  usage(`unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(suites).join(', ')}`)
}
const chosen = positionals.length > 0 ? positionals : Object.keys(suites)
const proxyFlags = [values.baseline, values.seconds, values.rounds, values.h2]
if (!chosen.includes('proxy') && proxyFlags.some((v) => v !== undefined)) {
  usage('--baseline, --seconds, --rounds and --h2 apply to the proxy bench only')
}
if (!chosen.includes('rollouts') && values.full !== undefined) {
  usage('--full applies to the rollouts bench only')
}
console.log(`node ${process.version} on ${process.platform}/${process.arch}`)
for (const name of chosen) await suites[name]!()
