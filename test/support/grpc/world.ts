// world.World on a real grpc-js server on 127.0.0.1: answers as `version`, and records every
// call (its l5d metadata, whether the caller cancelled it, how many messages it sent) so a test
// can see what crossed the proxy in both directions.
import {
  Metadata as Md,
  type Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import type {
  ChatReply,
  CountReply,
  CountRequest,
  Empty,
  FailRequest,
  GreetReply,
  GreetRequest,
  Item,
  SumReply,
} from './messages.js'
import { World } from './services.js'

/** One call as the backend saw it. */
export interface CallRecord {
  readonly method: string
  readonly l5d: Record<string, string>
  readonly deadlineLeftMs: number | null
  /** The caller (or the proxy for it) cancelled the call: RST_STREAM reached the backend. */
  cancelled: boolean
  /** Response messages written so far (Count, Chat). */
  sent: number
  /** The handler finished its answer. */
  finished: boolean
}

/** Server-side TLS: the PEM texts; `clientCa` asks for and checks a client certificate. */
export interface ServerTlsPems {
  readonly cert: string
  readonly key: string
  readonly clientCa?: string
}

export interface GrpcBackend {
  readonly port: number
  readonly version: string
  readonly calls: CallRecord[]
  /** Closes every connection at once (RST on open streams), as a crash looks from outside. */
  kill(): void
  /** Stops accepting calls and waits for those in flight. */
  close(): Promise<void>
}

/** The `l5d-*` entries of the metadata, as strings. */
export function l5dOf(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata.getMap())) {
    if (k.startsWith('l5d-')) out[k] = typeof v === 'string' ? v : v.toString('utf8')
  }
  return out
}

/** Milliseconds left before the call's deadline (from grpc-timeout), null when it has none. */
export function deadlineLeft(call: { getDeadline(): Date | number }): number | null {
  const d = call.getDeadline()
  const at = d instanceof Date ? d.getTime() : d
  return Number.isFinite(at) ? at - Date.now() : null
}

/** Binds `server` on 127.0.0.1 (`port` 0: any free one), in the clear or with `tls`. */
export function bind(server: Server, port: number, tls?: ServerTlsPems): Promise<number> {
  const creds =
    tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(
          tls.clientCa === undefined ? null : Buffer.from(tls.clientCa),
          [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
          tls.clientCa !== undefined,
        )
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, creds, (err, bound) =>
      err ? reject(err) : resolve(bound),
    )
  })
}

function metadataOf(entries: Readonly<Record<string, string>>): Metadata {
  const md = new Md()
  for (const [k, v] of Object.entries(entries)) md.set(k, v)
  return md
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface WorldOptions {
  readonly version: string
  readonly port?: number
  readonly tls?: ServerTlsPems
  /** Greet answers this grpc-status (trailers-only) instead of a greeting: a sick instance. */
  readonly greetStatus?: number
}

export async function startWorld(options: WorldOptions): Promise<GrpcBackend> {
  const { version } = options
  const calls: CallRecord[] = []
  const record = (
    method: string,
    call: {
      metadata: Metadata
      getDeadline(): Date | number
      on(e: 'cancelled', f: () => void): unknown
    },
  ): CallRecord => {
    const r: CallRecord = {
      method,
      l5d: l5dOf(call.metadata),
      deadlineLeftMs: deadlineLeft(call),
      cancelled: false,
      sent: 0,
      finished: false,
    }
    call.on('cancelled', () => {
      r.cancelled = true
    })
    calls.push(r)
    return r
  }

  const impl = {
    Greet(call: ServerUnaryCall<GreetRequest, GreetReply>, done: sendUnaryData<GreetReply>) {
      const r = record('Greet', call)
      if (options.greetStatus !== undefined) {
        r.finished = true
        done({ code: options.greetStatus, details: `world ${version} is sick` })
        return
      }
      const echo = call.request.echo
      if (echo !== undefined) call.sendMetadata(metadataOf(echo))
      const answer = () => {
        r.finished = true
        const trailers = echo === undefined ? undefined : metadataOf(echo)
        done(
          null,
          {
            service: 'world',
            version,
            name: call.request.name ?? 'world',
            l5d: r.l5d,
            deadlineLeftMs: r.deadlineLeftMs,
          },
          trailers,
        )
      }
      const delay = call.request.delayMs ?? 0
      if (delay > 0) setTimeout(answer, delay)
      else answer()
    },
    Fail(call: ServerUnaryCall<FailRequest, Empty>, done: sendUnaryData<Empty>) {
      const r = record('Fail', call)
      if (call.request.headersFirst === true) call.sendMetadata(new Md())
      r.finished = true
      done({ code: call.request.code, details: call.request.message })
    },
    Hang(call: ServerUnaryCall<Empty, Empty>, _done: sendUnaryData<Empty>) {
      record('Hang', call)
    },
    async Count(call: ServerWritableStream<CountRequest, CountReply>) {
      const r = record('Count', call)
      const { n, bytes = 0, intervalMs = 0, hold = false } = call.request
      const pad = 'x'.repeat(bytes)
      for (let i = 0; i < n && !r.cancelled; i++) {
        if (intervalMs > 0) await sleep(intervalMs)
        if (r.cancelled) break
        const more = call.write({ i, version, pad })
        r.sent++
        // Waits for the transport: a slow reader through the proxy holds this loop back.
        if (!more)
          await new Promise<void>((go) => {
            const on = () => {
              call.off('drain', on)
              call.off('cancelled', on)
              go()
            }
            call.on('drain', on)
            call.on('cancelled', on)
          })
      }
      if (hold || r.cancelled) return
      r.finished = true
      call.end()
    },
    Sum(call: ServerReadableStream<Item, SumReply>, done: sendUnaryData<SumReply>) {
      const r = record('Sum', call)
      let sum = 0
      let count = 0
      call.on('data', (item: Item) => {
        sum += item.value
        count++
      })
      call.on('end', () => {
        r.finished = true
        done(null, { sum, count, version })
      })
    },
    Chat(call: ServerDuplexStream<Item, ChatReply>) {
      const r = record('Chat', call)
      call.on('data', (item: Item) => {
        call.write({ text: item.text ?? '', value: item.value * 2, version })
        r.sent++
      })
      call.on('end', () => {
        r.finished = true
        call.end()
      })
    },
  }

  const server = new Server()
  server.addService(World, impl as unknown as UntypedServiceImplementation)
  const port = await bind(server, options.port ?? 0, options.tls)
  return {
    port,
    version,
    calls,
    kill: () => server.forceShutdown(),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve())
        // A held stream would keep tryShutdown waiting for good.
        setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, 500).unref()
      }),
  }
}
