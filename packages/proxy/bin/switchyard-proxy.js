#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=50 --no-allocation-site-pretenuring
// Runs the compiled command line (pnpm build writes dist/), once this Node is one the package
// supports (its package.json engines): on an older one, dist/ and its dependencies fail with a
// stack trace that does not say why, or seem to work. So this file uses nothing an old Node
// lacks (no newer syntax, no dependency), checks first, and only then imports dist/.
// Each program's bin carries its own copy: it runs before any package can load, and the
// packed namerctl ships this file without the workspace.
import { readFileSync } from 'node:fs'

const program = 'switchyard-proxy'
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const range = pkg.engines.node
const wanted = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range)
if (wanted === null) {
  process.stderr.write(`${program}: cannot read engines.node "${range}" (expected >=X.Y.Z)\n`)
  process.exit(1)
}
const have = process.versions.node.split('.').map(Number)
for (let i = 0; i < 3; i++) {
  const need = Number(wanted[i + 1])
  if (have[i] > need) break
  if (have[i] < need) {
    process.stderr.write(
      `${program}: needs Node ${range.slice(2)} or later, and this is Node ${process.versions.node} (${process.execPath}); run it with a newer node\n`,
    )
    process.exit(1)
  }
}
// Not awaited: top-level await is newer syntax than the rest of this file needs.
import('../dist/main.js')
