// `pnpm bench [dtab namerd ...]`: runs the named benchmarks (all by default) in one process and
// prints their tables and ratios. Benchmarks are measurements, never pass/fail tests.
import { printDtabBench, runDtabBench } from './dtab.js'
import { printNamerdBench, runNamerdBench } from './namerd.js'
import { printProxyBench, runProxyBench } from './proxy.js'

const suites: Record<string, () => void | Promise<void>> = {
  dtab: () => printDtabBench(runDtabBench()),
  namerd: async () => printNamerdBench(await runNamerdBench()),
  proxy: async () => printProxyBench(await runProxyBench()),
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !(w in suites))
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(suites).join(', ')}`,
  )
  process.exit(2)
}
console.log(`node ${process.version} on ${process.platform}/${process.arch}`)
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) await suites[name]!()
