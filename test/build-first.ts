// Run by tap before any test file (.taprc `before`): brings every package's dist/ up to date.
// Tests start the programs as users do, through bin/*.js, which run dist/; without this a test
// run after an edit would exercise the previous build. tsc -b is incremental: under a second
// when nothing changed. A build error ends the run with tsc's message and exit status.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const projects = readdirSync(join(root, 'packages'))
  .map((name) => join('packages', name, 'tsconfig.json'))
  .filter((file) => existsSync(join(root, file)))
execFileSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' })
// The dashboard's static files (namerd serves them; the browser tests load them): about a second.
execFileSync(process.execPath, ['--import=tsx', join(root, 'packages/dashboard/build.ts')], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
})
