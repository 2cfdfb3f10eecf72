// The proxy as it was at a git ref, built beside this tree so the proxy bench can run both in the
// same rounds (`pnpm bench proxy --baseline <ref>`). The ref's files are exported with `git
// archive` into a directory the caller owns and removes (nothing is registered in .git, no
// worktree or checkout is touched). When its lockfile is this tree's, its node_modules are links
// into this tree's installed packages, with the workspace packages pointing at its own copies;
// otherwise pnpm installs it offline from the store. It is built with `tsc -b` as `pnpm build`
// builds, the proxy and the packages it references only.
import { execFile, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs'
import { join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'

export interface Baseline {
  /** The ref as given, for labels. */
  readonly ref: string
  readonly commit: string
  readonly subject: string
  /** The ref's packages/proxy/dist/main.js. */
  readonly main: string
  /** The node flags the ref's switchyard-proxy command starts node with; undefined for a ref
   * older than node-flags.ts (the caller then uses this tree's). */
  readonly nodeFlags: readonly string[] | undefined
  /** How its dependencies were provided. */
  readonly deps: 'linked' | 'installed'
  readonly buildSeconds: number
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`))
      else resolve(stdout)
    })
  })
}

/** `git archive <commit> | tar -x -C <into>`, without a shell. */
function exportTree(root: string, commit: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['archive', '--format=tar', commit], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] })
    git.stdout.pipe(tar.stdin)
    let err = ''
    git.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    tar.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    let pending = 2
    const done = (what: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code}: ${err}`))
      else if (--pending === 0) resolve()
    }
    git.once('exit', done(`git archive ${commit}`))
    tar.once('exit', done('tar -x'))
  })
}

/** Entries of a node_modules directory, scoped ones as `@scope/name`; `.bin` and dotfiles left out. */
function moduleEntries(dir: string): string[] {
  const names: string[] = []
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue
    if (name.startsWith('@')) {
      for (const inner of readdirSync(join(dir, name))) names.push(`${name}/${inner}`)
    } else names.push(name)
  }
  return names
}

/**
 * The tree's node_modules as links into `root`'s: its root node_modules is root's (the pnpm
 * virtual store, typescript, @types/node); each package gets a node_modules of its own whose
 * third-party entries point where root's resolve, and whose workspace entries (`@switchyard/*`)
 * point at the tree's packages, so the ref's proxy never loads this tree's dtab or config.
 */
function linkDependencies(root: string, tree: string): void {
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const rootPackages = join(root, 'packages')
  for (const pkg of readdirSync(join(tree, 'packages'))) {
    const source = join(rootPackages, pkg, 'node_modules')
    if (!existsSync(source)) continue
    const target = join(tree, 'packages', pkg, 'node_modules')
    for (const name of moduleEntries(source)) {
      let real: string
      try {
        real = realpathSync(join(source, name))
      } catch {
        continue // a dangling link in root's node_modules
      }
      const inWorkspace = real.startsWith(rootPackages + sep)
      const to = inWorkspace ? join(tree, 'packages', relative(rootPackages, real)) : real
      mkdirSync(join(target, name, '..'), { recursive: true })
      symlinkSync(to, join(target, name), 'dir')
    }
  }
}

/** Exports, links or installs, and builds the proxy at `ref` into `tree` (an empty directory). */
export async function prepareBaseline(root: string, ref: string, tree: string): Promise<Baseline> {
  let commit: string
  try {
    commit = (
      await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root)
    ).trim()
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of the repository at ${root}`)
  }
  const subject = (await run('git', ['log', '-1', '--format=%s', commit], root)).trim()
  const t0 = performance.now()
  mkdirSync(tree, { recursive: true })
  await exportTree(root, commit, tree)
  const lockfile = (dir: string) => {
    const file = join(dir, 'pnpm-lock.yaml')
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined
  }
  const sameLockfile = lockfile(tree) !== undefined && lockfile(tree) === lockfile(root)
  if (sameLockfile) linkDependencies(root, tree)
  else {
    try {
      await run('pnpm', ['install', '--offline', '--frozen-lockfile'], tree)
    } catch (err) {
      throw new Error(
        `--baseline ${ref}: its pnpm-lock.yaml differs from this tree's and pnpm could not install it offline from the store (the bench downloads nothing): ${(err as Error).message}`,
      )
    }
  }
  const tsc = join(tree, 'node_modules/typescript/bin/tsc')
  await run(process.execPath, [tsc, '-b', 'packages/proxy/tsconfig.json'], tree)
  const main = join(tree, 'packages/proxy/dist/main.js')
  if (!existsSync(main)) throw new Error(`--baseline ${ref}: the build made no ${main}`)
  // The flags are part of the proxy as it was: its command starts node with them.
  const flagsFile = join(tree, 'packages/proxy/dist/node-flags.js')
  let nodeFlags: readonly string[] | undefined
  if (existsSync(flagsFile)) {
    const mod = (await import(pathToFileURL(flagsFile).href)) as { PROXY_NODE_FLAGS?: unknown }
    const flags = mod.PROXY_NODE_FLAGS
    if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string'))
      throw new Error(`--baseline ${ref}: ${flagsFile} exports no PROXY_NODE_FLAGS list`)
    nodeFlags = flags
  }
  return {
    ref,
    commit,
    subject,
    main,
    nodeFlags,
    deps: sameLockfile ? 'linked' : 'installed',
    buildSeconds: (performance.now() - t0) / 1000,
  }
}
