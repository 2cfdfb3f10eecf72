// gRPC load through a proxy, counted by the world version that answered: how the gRPC
// blue-green test tells where traffic went (as test/e2e/traffic.ts does for HTTP/1.1).
import type { GrpcClient } from './client.js'
import type { GreetReply } from './messages.js'
import { Hello, World } from './services.js'

export interface GrpcLoad {
  /** Answers per world version (of world, or of the world hello reached). */
  readonly versions: ReadonlyMap<string, number>
  readonly failures: readonly string[]
  share(version: string): number
}

export interface GrpcLoadOptions {
  /** Call hello.Hello/Greet (two hops) instead of world.World/Greet. */
  readonly viaHello?: boolean
  readonly metadata?: Readonly<Record<string, string>>
  /** Calls in flight at once; default 20 (on the client's one connection). */
  readonly concurrency?: number
  /** Sees the number of completed calls after each one. */
  readonly onDone?: (done: number) => void
}

/** The world version in an answer of world or of hello; undefined when world was not reached. */
export function worldVersion(reply: GreetReply | undefined): string | undefined {
  if (reply === undefined) return undefined
  return reply.service === 'world' ? reply.version : reply.world?.version
}

/** `n` Greet calls through `c`; counts the world version of each answer, and the failures. */
export async function grpcLoad(
  c: GrpcClient,
  n: number,
  { viaHello = false, metadata, concurrency = 20, onDone }: GrpcLoadOptions = {},
): Promise<GrpcLoad> {
  const versions = new Map<string, number>()
  const failures: string[] = []
  let started = 0
  let done = 0
  const worker = async () => {
    while (started < n) {
      started++
      const r = await c.unary(
        viaHello ? Hello.Greet : World.Greet,
        {},
        metadata ? { metadata } : {},
      )
      const v = worldVersion(r.value)
      if (v === undefined) {
        const world = r.value?.worldError
        failures.push(
          world === undefined
            ? `${r.code} ${r.details}`
            : `hello answered, world failed: ${world.code} ${world.details}`,
        )
      } else versions.set(v, (versions.get(v) ?? 0) + 1)
      onDone?.(++done)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { versions, failures, share: (v) => (versions.get(v) ?? 0) / n }
}
