#!/usr/bin/env node
// Packs namerctl so that it installs on its own: `npm install -g <tarball>` on a machine with
// no workspace and no registry access. @switchyard/dtab is not on the registry, so everything
// (dtab, commander, yaml, zod) is bundled into one ESM file, and the packed package.json has
// no dependencies. esbuild, a devDependency, does the bundling.
//
//   node packages/namerctl/scripts/pack.mjs [out-dir]   # default: packages/namerctl/dist/pack
//   node packages/namerctl/scripts/pack.mjs [out-dir] --node 24.21.0
//   prints the tarball's path on the last line
//
// --node VERSION packs namerctl with its own Node, for a machine whose node is older than
// engines (install.sh passes it there; see runtime.mjs for the design).
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { LAUNCHER, nodePackage } from './runtime.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const pkgDir = resolve(here, '..')
const repo = resolve(pkgDir, '../..')
const { values, positionals } = parseArgs({
  options: { node: { type: 'string' } },
  allowPositionals: true,
})
const outDir = resolve(positionals[0] ?? join(pkgDir, 'dist', 'pack'))
const runtime = values.node === undefined ? undefined : nodePackage(values.node)

const esbuild = createRequire(import.meta.url)('esbuild')

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
const stage = mkdtempSync(join(tmpdir(), 'namerctl-pack-'))
try {
  await esbuild.build({
    entryPoints: [join(pkgDir, 'src', 'main.ts')],
    // bin/namerctl.js, as in the workspace, checks the Node version before it imports this.
    outfile: join(stage, 'dist', 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Workspace packages resolve to their TypeScript sources, so no build is needed first.
    conditions: ['@switchyard/source'],
    // commander is CommonJS and requires Node built-ins; give the ESM bundle a require.
    banner: {
      js: "import { createRequire as __namerctlRequire } from 'node:module'\nconst require = __namerctlRequire(import.meta.url)",
    },
    legalComments: 'eof',
    logLevel: 'warning',
  })
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    type: 'module',
    license: pkg.license,
    engines: pkg.engines,
    bin: { namerctl: runtime === undefined ? './bin/namerctl.js' : './bin/namerctl' },
    files: ['bin', 'dist', 'README.md'],
    ...(runtime === undefined ? {} : { dependencies: { [runtime.name]: runtime.version } }),
  }
  mkdirSync(join(stage, 'bin'))
  copyFileSync(join(pkgDir, 'bin', 'namerctl.js'), join(stage, 'bin', 'namerctl.js'))
  if (runtime !== undefined)
    writeFileSync(join(stage, 'bin', 'namerctl'), LAUNCHER(runtime.name), { mode: 0o755 })
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  const readme = join(repo, 'docs', 'namerctl.md')
  if (existsSync(readme)) copyFileSync(readme, join(stage, 'README.md'))
  mkdirSync(outDir, { recursive: true })
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], {
    cwd: stage,
    encoding: 'utf8',
  })
  const name = out.trim().split('\n').pop()
  process.stdout.write(`${join(outDir, name)}\n`)
} finally {
  rmSync(stage, { recursive: true, force: true })
}
