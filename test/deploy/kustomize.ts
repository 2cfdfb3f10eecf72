// Renders deploy/ as `kubectl apply -k` would, offline: `kubectl kustomize <dir>`, then the same
// kubectl turns the YAML into JSON (`patch --local` with an empty patch: no cluster is asked,
// nothing is changed, every field is kept as written, typos included). kubectl is the one
// outside tool these tests need; .ci/run installs it, so in CI its absence is a failure.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DEPLOY = join(ROOT, 'deploy')

/** The part of a tap test these helpers use. */
interface Planner {
  plan(n: number, reason?: string): void
  fail(message: string): void
}

/** kubectl's client version line, or null when there is no kubectl on the PATH. */
export function kubectlVersion(): string | null {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : null
}

/**
 * True when kubectl is there. Without it the whole test file is skipped with the reason, except
 * in CI (CI set), where it fails: CI must render every kustomization.
 */
export function requireKubectl(t: Planner): boolean {
  if (kubectlVersion() !== null) return true
  const why = 'kubectl is not on the PATH: install it (apt-get install kubectl) to check deploy/'
  if (process.env.CI) t.fail(`${why}; .ci/run installs it, so CI must have it`)
  else t.plan(0, why)
  return false
}

/** A rendered Kubernetes object: what every object has, the rest unknown until validated. */
export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<
    string,
    unknown
  >
  readonly [key: string]: unknown
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function asKubeObject(v: unknown, where: string): KubeObject {
  if (
    !isRecord(v) ||
    typeof v.apiVersion !== 'string' ||
    typeof v.kind !== 'string' ||
    !isRecord(v.metadata) ||
    typeof v.metadata.name !== 'string' ||
    (v.metadata.namespace !== undefined && typeof v.metadata.namespace !== 'string')
  ) {
    throw new Error(`${where}: an object without apiVersion, kind and metadata.name`)
  }
  return v as KubeObject
}

/**
 * Splits kubectl's `-o json` output for several objects (one JSON document after another) into
 * values, tracking strings so that braces inside them do not count.
 */
export function splitJsonStream(text: string): unknown[] {
  const out: unknown[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i
      depth++
    } else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)))
    } else if (depth === 0 && c !== undefined && !/\s/.test(c)) {
      throw new Error(`unexpected ${JSON.stringify(c)} between JSON documents at ${i}`)
    }
  }
  if (depth !== 0 || inString) throw new Error('the JSON output ends inside a document')
  return out
}

const EMPTY_KUBECONFIG = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-kubeconfig-'))
  const file = join(dir, 'config')
  // No cluster at all, so nothing here can reach a developer's real one.
  writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n')
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return file
})()

function kubectl(args: readonly string[], input?: string): string {
  return execFileSync('kubectl', args, {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, KUBECONFIG: EMPTY_KUBECONFIG },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** The YAML `kubectl apply -k <dir>` would send. Throws with kubectl's message. */
export function renderYaml(dir: string): string {
  return kubectl(['kustomize', dir])
}

const rendered = new Map<string, readonly KubeObject[]>()

/** The objects `kubectl apply -k <dir>` would send, in its order (rendered once per file). */
export function render(dir: string): readonly KubeObject[] {
  let objects = rendered.get(dir)
  if (objects === undefined) {
    objects = renderNow(dir)
    rendered.set(dir, objects)
  }
  return objects
}

function renderNow(dir: string): KubeObject[] {
  const yaml = renderYaml(dir)
  const json = kubectl(
    ['patch', '--local', '-f', '-', '--type', 'merge', '-p', '{}', '-o', 'json'],
    yaml,
  )
  return splitJsonStream(json).map((v, i) => asKubeObject(v, `${relative(ROOT, dir)} object ${i}`))
}

export interface Kustomization {
  /** deploy/base, or `deploy/base + components/host-port` for a component. */
  readonly name: string
  /** The directory to render. */
  readonly dir: string
  /** For a component: the components it adds to the base. */
  readonly components: readonly string[]
}

function kustomizationDirs(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) found.push(...kustomizationDirs(path))
    else if (entry === 'kustomization.yaml') found.push(dir)
  }
  return found.sort()
}

/**
 * Every kustomization under deploy/ (what a user can `kubectl apply -k`), and every component
 * on top of deploy/base in a throwaway kustomization, so that each renders as users compose it.
 */
export function kustomizations(): readonly Kustomization[] {
  found ??= findKustomizations()
  return found
}

let found: readonly Kustomization[] | undefined

function findKustomizations(): Kustomization[] {
  const all: Kustomization[] = []
  for (const dir of kustomizationDirs(DEPLOY)) {
    const text = readFileSync(join(dir, 'kustomization.yaml'), 'utf8')
    const name = relative(ROOT, dir)
    if (/^kind:\s*Component\s*$/m.test(text)) {
      const tmp = mkdtempSync(join(tmpdir(), 'deploy-component-'))
      process.once('exit', () => rmSync(tmp, { recursive: true, force: true }))
      writeFileSync(
        join(tmp, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          `resources: [${relative(tmp, join(DEPLOY, 'base'))}]`,
          `components: [${relative(tmp, dir)}]`,
          '',
        ].join('\n'),
      )
      all.push({ name: `deploy/base + ${name}`, dir: tmp, components: [name] })
    } else {
      all.push({ name, dir, components: [] })
    }
  }
  return all
}

/** `kind/namespace/name`, for messages and lookups. */
export function idOf(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`
}
