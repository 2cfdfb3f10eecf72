// The Dockerfile, checked without a Docker engine (none runs where this is developed or in CI):
// its syntax by dockerfile-utils' validator, and its shape here: one target per program and the
// hello-world example, each a small final stage that runs as an unprivileged numeric user,
// holds only what `pnpm deploy --prod` copied out of the build (no dev dependencies, no
// sources), and starts the program as its bin script does. What cannot be checked without
// building is said in docs/kubernetes.md, "Images".
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROXY_NODE_FLAGS } from '@switchyard/proxy'
import { validate } from 'dockerfile-utils'
import t from 'tap'
import { effective, execForm, parseDockerfile, type Stage, stageChain } from './dockerfile.js'
import { ROOT } from './kustomize.js'

const TEXT = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const FILE = parseDockerfile(TEXT)
const IGNORE = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))

/** The programs: Dockerfile target, workspace package, its bin. */
const PROGRAMS = [
  { target: 'namerd', pkg: 'namerd', bin: 'namerd' },
  { target: 'proxy', pkg: 'proxy', bin: 'switchyard-proxy' },
  { target: 'namerctl', pkg: 'namerctl', bin: 'namerctl' },
] as const

/** The user every pod in deploy/ runs as (its securityContext.runAsUser). */
const POD_USER = '65532'

function segmentMatch(pattern: string, segment: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  )
  return re.test(segment)
}

/** Whether `.dockerignore` keeps `path` (relative to the context) out of the build context. */
export function ignored(path: string): boolean {
  const parts = path.split('/')
  return IGNORE.some((raw) => {
    if (raw.startsWith('!')) throw new Error(`.dockerignore: exceptions (${raw}) are not read here`)
    const pattern = raw.replace(/^\/+/, '').split('/')
    const match = (p: number, s: number): boolean => {
      if (p === pattern.length) return true // a directory excludes what is below it
      if (s === parts.length) return false
      if (pattern[p] === '**') return match(p + 1, s) || match(p, s + 1)
      return segmentMatch(pattern[p]!, parts[s]!) && match(p + 1, s + 1)
    }
    return match(0, 0)
  })
}

function stage(name: string): Stage {
  const s = FILE.stages.find((x) => x.name === name)
  if (s === undefined) throw new Error(`no stage ${name}`)
  return s
}

function packageJson(pkg: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8'))
}

t.test('dockerfile-utils finds no error and no warning', async (t) => {
  t.same(
    validate(TEXT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
    [],
  )
})

t.test('the validator is on: it reports a broken Dockerfile', async (t) => {
  const bad = 'FROM node:24 AS a\nFROM a AS a\nCOPY --frm=a x y\nworkdir rel\n'
  t.ok(validate(bad).length >= 3)
})

t.test('every program and the example has a target', async (t) => {
  const names = FILE.stages.map((s) => s.name)
  for (const target of ['namerd', 'proxy', 'namerctl', 'hello-world']) {
    t.ok(names.includes(target), `target ${target}`)
  }
  t.match(FILE.globalArgs.get('NODE_IMAGE'), /^node:24-slim$/, 'Node 24, the project’s target')
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    packageManager: string
  }
  const pnpm = stage('build').instructions.find(
    (i) => i.keyword === 'ARG' && i.args.startsWith('PNPM_VERSION='),
  )
  t.equal(`pnpm@${pnpm?.args.split('=')[1]}`, root.packageManager, 'pnpm as packageManager says')
})

t.test('each final image is small, unprivileged and holds only production files', async (t) => {
  for (const target of ['namerd', 'proxy', 'namerctl', 'hello-world']) {
    const stages = stageChain(FILE, target)
    const chain = stages.map((s) => s.name ?? s.from)
    t.notOk(chain.includes('build'), `${target} is not built on the build stage (${chain})`)
    t.equal(
      stages.at(-1)?.from,
      FILE.globalArgs.get('NODE_IMAGE'),
      `${target} starts from Node slim`,
    )
    t.equal(effective(FILE, target, 'USER'), `${POD_USER}:${POD_USER}`, `${target} runs as 65532`)
    const copies = stageChain(FILE, target)
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY')
    for (const c of copies) {
      const from = /--from=(\S+)/.exec(c.args)?.[1]
      if (from === undefined) {
        t.equal(target, 'hello-world', `only the example copies from the context (${c.args})`)
      } else {
        t.equal(from, 'build', `${target} copies from the build stage`)
        t.match(c.args, /^--from=build \/out\/[a-z]+ \/app$/, 'only a pnpm deploy output')
      }
    }
  }
  const runtime = stage('runtime').instructions.map((i) => `${i.keyword} ${i.args}`)
  t.ok(
    runtime.some((r) => r.startsWith('RUN rm -rf') && r.includes('/usr/local/bin/npm')),
    'npm is removed from the runtime image',
  )
})

t.test('each program is copied out with production dependencies only', async (t) => {
  const runs = stage('build')
    .instructions.filter((i) => i.keyword === 'RUN')
    .map((i) => i.args)
    .join(' && ')
  for (const p of PROGRAMS) {
    t.match(
      runs,
      `pnpm --filter @switchyard/${p.pkg} deploy --prod --legacy /out/${p.pkg}`,
      `${p.pkg}: pnpm deploy --prod`,
    )
    t.ok(
      stage(p.target).instructions.some(
        (i) => i.keyword === 'COPY' && i.args === `--from=build /out/${p.pkg} /app`,
      ),
      `${p.target} holds /out/${p.pkg}`,
    )
    // pnpm deploy copies a package's `files`: the entry point must be among them.
    const pkg = packageJson(p.pkg) as { files: string[]; bin: Record<string, string> }
    t.ok(pkg.files.includes('dist') && pkg.files.includes('bin'), `${p.pkg} ships dist and bin`)
    t.equal(pkg.bin[p.bin], `./bin/${p.bin}.js`, `${p.pkg}'s bin is bin/${p.bin}.js`)
  }
})

t.test('each program starts as its bin script starts it', async (t) => {
  for (const p of PROGRAMS) {
    const entry = execForm(effective(FILE, p.target, 'ENTRYPOINT') ?? '[]')
    const shebang = readFileSync(join(ROOT, 'packages', p.pkg, 'bin', `${p.bin}.js`), 'utf8')
      .split('\n')[0]!
      .replace(/^#!\/usr\/bin\/env (-S )?/, '')
      .split(' ')
    t.same(entry, [...shebang, `/app/bin/${p.bin}.js`], `${p.target}: ${entry.join(' ')}`)
    t.ok(existsSync(join(ROOT, 'packages', p.pkg, 'bin', `${p.bin}.js`)), 'the bin exists')
  }
  const proxy = execForm(effective(FILE, 'proxy', 'ENTRYPOINT') ?? '[]')
  t.same(proxy.slice(1, -1), [...PROXY_NODE_FLAGS], 'the proxy gets its V8 flags')
  const hello = execForm(effective(FILE, 'hello-world', 'ENTRYPOINT') ?? '[]')
  t.same(hello, ['node'], 'the example runs its .ts files with node itself')
})

t.test('the build context has what the build needs and not what it must not copy', async (t) => {
  const needed = [
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'tsconfig.base.json',
    'packages/namerd/src/main.ts',
    'packages/namerd/bin/namerd.js',
    'packages/proxy/package.json',
    'examples/hello-world/hello.ts',
    'examples/hello-world/world.ts',
  ]
  for (const path of needed) {
    t.ok(existsSync(join(ROOT, path)), `${path} exists`)
    t.notOk(ignored(path), `${path} is in the context`)
  }
  for (const path of [
    'node_modules/x',
    'packages/namerd/node_modules/fastify',
    'packages/namerd/dist/main.js',
    '.git/HEAD',
    '.tools/node_modules',
  ]) {
    t.ok(ignored(path), `${path} is left out (the image installs and builds its own)`)
  }
  for (const i of FILE.stages.flatMap((s) => s.instructions)) {
    if (i.keyword !== 'COPY' || i.args.startsWith('--from') || i.args === '. .') continue
    const sources = i.args.split(/\s+/).slice(0, -1)
    for (const src of sources) {
      t.ok(existsSync(join(ROOT, src)) && !ignored(src), `COPY ${src}: in the context`)
    }
  }
})

t.test('the Dockerfile parser reads continuation lines and stage chains', async (t) => {
  const f = parseDockerfile(
    ['ARG IMG=node:24-slim', `FROM \${IMG} AS base`, 'USER 1:1', 'FROM base AS app']
      .concat(['RUN a \\', '  # c', '  && b', ''])
      .join('\n'),
  )
  t.same(
    stageChain(f, 'app').map((s) => s.from),
    ['base', 'node:24-slim'],
  )
  t.equal(effective(f, 'app', 'USER'), '1:1')
  t.equal(f.stages[1]?.instructions[0]?.args, 'a && b')
})
