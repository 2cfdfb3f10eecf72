// Load through a proxy, counted by the world version that answered: how the blue-green tests
// tell where traffic went.
import type { Agent } from 'node:http'
import { get, type Reply } from './processes.js'

export interface Load {
  /** Answers per `version` (of world, or of the world hello reached). */
  readonly versions: ReadonlyMap<string, number>
  readonly failures: readonly string[]
  share(version: string): number
}

export interface LoadOptions {
  readonly agent?: Agent
  /** Requests in flight at once; default 20. */
  readonly concurrency?: number
  /** Sees the number of completed requests after each one. */
  readonly onDone?: (done: number) => void
}

/**
 * `n` GETs through the proxy on `port`, each with `headers`; counts the world version that
 * answered, and keeps what answered anything else as a failure.
 */
export async function load(
  port: number,
  n: number,
  headers: Record<string, string> = { host: 'world' },
  { agent, concurrency = 20, onDone }: LoadOptions = {},
): Promise<Load> {
  const versions = new Map<string, number>()
  const failures: string[] = []
  let started = 0
  let done = 0
  const worker = async () => {
    while (started < n) {
      started++
      const r: Reply | Error = await get(port, headers, agent).catch((err: Error) => err)
      const v = r instanceof Error ? undefined : versionOf(r)
      if (v === undefined) {
        failures.push(r instanceof Error ? r.message : `${r.status} ${r.body.slice(0, 200)}`)
      } else versions.set(v, (versions.get(v) ?? 0) + 1)
      onDone?.(++done)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { versions, failures, share: (v) => (versions.get(v) ?? 0) / n }
}

/** The world version in a 200 answer of world or of hello; undefined for anything else. */
export function versionOf(r: Reply): string | undefined {
  if (r.status !== 200) return undefined
  const body = JSON.parse(r.body) as {
    service?: string
    version?: string
    world?: { version?: string }
    worldStatus?: number
  }
  if (body.service === 'world') return body.version
  if (body.service === 'hello' && body.worldStatus === 200) return body.world?.version
  return undefined
}

export const percent = (share: number) => `${(100 * share).toFixed(1)}%`
