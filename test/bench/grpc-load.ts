// A gRPC unary load from @grpc/grpc-js, the client most node services use: a fixed number of
// calls in flight (throughput), or calls arriving independently at a fixed mean rate (latency
// at a moderate load). The method carries raw bytes (identity codec), so no protoc is needed
// and no protobuf work is measured; only the status matters, and only OK counts as a success.
import { performance } from 'node:perf_hooks'
import {
  type Client,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
  status,
} from '@grpc/grpc-js'
import { type LoadResult, quantile } from './load.js'

/** The one method every gRPC target of the bench answers (a canned reply, see h2.ts). */
export const UNARY_PATH = '/bench.Echo/Say'

const identity = (b: Buffer): Buffer => b
const EchoClient = makeGenericClientConstructor(
  {
    Say: {
      path: UNARY_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'Echo',
)
type Say = (
  req: Buffer,
  opts: { deadline: number },
  cb: (err: ServiceError | null, res?: Buffer) => void,
) => void

const REQUEST = Buffer.from('hello')

export interface GrpcTarget {
  /** host:port */
  readonly address: string
  /** The :authority the calls carry (the proxy routes on it). */
  readonly authority: string
}

/** `channels` clients, each on its own HTTP/2 connection (no shared subchannel pool). */
function openChannels(target: GrpcTarget, channels: number): Client[] {
  return Array.from(
    { length: channels },
    () =>
      new EchoClient(target.address, credentials.createInsecure(), {
        'grpc.default_authority': target.authority,
        'grpc.use_local_subchannel_pool': 1,
      }),
  )
}

/** One call: undefined when it succeeded, else the error. */
function callError(client: Client): Promise<ServiceError | undefined> {
  return new Promise((resolve) => {
    ;(client as unknown as { Say: Say }).Say(REQUEST, { deadline: Date.now() + 10_000 }, (err) =>
      resolve(err === null || err.code === status.OK ? undefined : err),
    )
  })
}

const noted = new Set<string>()
/** Counts an error, and prints each distinct one once, so a run's errors can be told apart. */
function noteError(err: ServiceError): number {
  if (!noted.has(err.message)) {
    noted.add(err.message)
    console.error(`gRPC call failed: ${err.message}`)
  }
  return 1
}

/** Waits until one call succeeds (each channel connects on its first call), or throws. */
async function ready(clients: readonly Client[]): Promise<void> {
  for (const c of clients) {
    let err: ServiceError | undefined
    for (let i = 0; i < 100; i++) {
      err = await callError(c)
      if (err === undefined) break
      await new Promise((r) => setTimeout(r, 50))
    }
    if (err !== undefined)
      throw new Error(
        `no gRPC call succeeded in 5 s on ${c.getChannel().getTarget()}; the last: ${err.message}`,
      )
  }
}

/**
 * `concurrency` calls in flight, spread over `channels` connections, for `seconds` after
 * `warmupSeconds` of uncounted calls: throughput and latency under full load.
 */
export async function grpcClosedLoad(
  target: GrpcTarget,
  concurrency: number,
  channels: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LoadResult> {
  const clients = openChannels(target, channels)
  try {
    await ready(clients)
    const phase = async (ms: number, latencies: number[] | null) => {
      let errors = 0
      const start = performance.now()
      const end = start + ms
      const worker = async (i: number) => {
        const client = clients[i % clients.length]!
        for (;;) {
          const t0 = performance.now()
          if (t0 >= end) return
          const err = await callError(client)
          latencies?.push(performance.now() - t0)
          if (err !== undefined) errors += noteError(err)
        }
      }
      await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)))
      return { errors, seconds: (performance.now() - start) / 1000 }
    }
    await phase(warmupSeconds * 1000, null)
    const latencies: number[] = []
    const { errors, seconds: took } = await phase(seconds * 1000, latencies)
    const sorted = Float64Array.from(latencies).sort()
    return {
      client: `grpc-js, ${concurrency} in flight on ${channels} connections`,
      requests: sorted.length,
      errors,
      seconds: took,
      perSec: sorted.length / took,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    }
  } finally {
    for (const c of clients) c.close()
  }
}

/**
 * Calls arriving independently (a Poisson stream) at `perSec` on average for `seconds`, on one
 * connection, each timed from its sending: the latency a target adds at a moderate load, not
 * its queueing at saturation. Timers fire late by up to a millisecond; calls due meanwhile are
 * sent together, the same for every target.
 */
export async function grpcPacedLoad(
  target: GrpcTarget,
  perSec: number,
  seconds: number,
): Promise<LoadResult> {
  const clients = openChannels(target, 1)
  const client = clients[0]!
  try {
    await ready(clients)
    // A second of the same load first (JIT, connection, windows), not counted.
    const run = async (ms: number, latencies: number[] | null) => {
      const inflight: Promise<void>[] = []
      let errors = 0
      const start = performance.now()
      const end = start + ms
      let next = start
      while (next < end) {
        const wait = next - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        const t0 = performance.now()
        inflight.push(
          callError(client).then((err) => {
            latencies?.push(performance.now() - t0)
            if (err !== undefined) errors += noteError(err)
          }),
        )
        next += (-Math.log(1 - Math.random()) * 1000) / perSec
      }
      await Promise.all(inflight)
      return { errors, seconds: (performance.now() - start) / 1000 }
    }
    await run(1000, null)
    const latencies: number[] = []
    const { errors, seconds: took } = await run(seconds * 1000, latencies)
    const sorted = Float64Array.from(latencies).sort()
    return {
      client: `grpc-js, ~${perSec}/s Poisson arrivals on 1 connection`,
      requests: sorted.length,
      errors,
      seconds: took,
      perSec: sorted.length / took,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    }
  } finally {
    client.close()
  }
}
