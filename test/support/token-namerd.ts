// A namerd that asks for tokens, for the browser tests of the token form, read-only sessions and
// where the focus goes after giving a token: the memory store, the tokens given (a read one and a
// write one, named as the page will say them), optionally anonymous reads, and namespaces PUT
// with the first write token. Its config lives in a temp dir; both end with the test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNamerd } from '../e2e/rollouts-harness.js'

type T = Parameters<typeof startNamerd>[0]

export interface Token {
  readonly name: string
  readonly scope: 'read' | 'write'
  readonly token: string
}

export interface TokenNamerdOptions {
  /** The process's name in the test's log, and its temp dir's. */
  readonly name: string
  readonly tokens: readonly Token[]
  /** auth.anonymousReads: reads without a token are allowed. */
  readonly anonymousReads?: boolean
  /** Namespace → dtab text, PUT once namerd is up. */
  readonly dtabs?: Readonly<Record<string, string>>
}

/** Starts it; `base` is `http://127.0.0.1:<port>`. Stopped when `t` ends. */
export async function startTokenNamerd(
  t: T,
  options: TokenNamerdOptions,
): Promise<{ base: string; port: number }> {
  const dir = await mkdtemp(join(tmpdir(), `switchyard-dashboard-${options.name}-`))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const config = join(dir, 'namerd.yaml')
  const tokens = options.tokens
    .map((k) => `    - {name: ${k.name}, token: ${k.token}, scope: ${k.scope}}\n`)
    .join('')
  const anonymous = options.anonymousReads === true ? '  anonymousReads: true\n' : ''
  await writeFile(config, `store: memory\nauth:\n${anonymous}  tokens:\n${tokens}`)
  const namerd = await startNamerd(t, options.name, config)
  const base = `http://127.0.0.1:${namerd.port}`
  const writer = options.tokens.find((k) => k.scope === 'write')
  for (const [ns, dtab] of Object.entries(options.dtabs ?? {})) {
    if (writer === undefined) throw new Error(`PUT ${ns}: no write token to PUT it with`)
    const put = await fetch(`${base}/api/1/dtabs/${ns}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab', authorization: `Bearer ${writer.token}` },
      body: dtab,
    })
    if (put.status >= 300) throw new Error(`PUT ${ns}: ${put.status}`)
  }
  return { base, port: namerd.port }
}
