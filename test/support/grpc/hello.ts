// hello.Hello on a real grpc-js server: Greet calls world.World/Greet through a proxy (as
// examples/hello-world's hello calls world), forwarding the `l5d-ctx-*` metadata it received,
// as a service in a Linkerd mesh must for an override (l5d-ctx-dtab) to reach the next hop.
import { Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js'
import { GrpcClient } from './client.js'
import type { GreetReply, GreetRequest } from './messages.js'
import { Hello, World } from './services.js'
import { bind, deadlineLeft, type GrpcBackend, l5dOf } from './world.js'

export interface HelloOptions {
  /** The proxy world is called through: a port on 127.0.0.1 or `host:port`. */
  readonly proxy: number | string
  readonly port?: number
  /** `:authority` of the calls to world; default `world`. */
  readonly worldAuthority?: string
}

export async function startHello(options: HelloOptions): Promise<GrpcBackend> {
  const world = new GrpcClient(options.proxy, { authority: options.worldAuthority ?? 'world' })
  const calls: GrpcBackend['calls'] = []
  const server = new Server()
  server.addService(Hello, {
    Greet(call: ServerUnaryCall<GreetRequest, GreetReply>, done: sendUnaryData<GreetReply>) {
      const l5d = l5dOf(call.metadata)
      const record = {
        method: 'Greet',
        l5d,
        deadlineLeftMs: deadlineLeft(call),
        cancelled: false,
        sent: 0,
        finished: false,
      }
      calls.push(record)
      const ctx = Object.fromEntries(Object.entries(l5d).filter(([k]) => k.startsWith('l5d-ctx-')))
      void world
        .unary(World.Greet, { name: call.request.name ?? 'hello' }, { metadata: ctx })
        .then((w) => {
          record.finished = true
          done(null, {
            service: 'hello',
            version: 'hello',
            name: call.request.name ?? 'hello',
            l5d,
            deadlineLeftMs: record.deadlineLeftMs,
            ...(w.value === undefined
              ? { worldError: { code: w.code, details: w.details } }
              : { world: w.value }),
          })
        })
    },
  })
  const port = await bind(server, options.port ?? 0)
  return {
    port,
    version: 'hello',
    calls,
    kill: () => {
      server.forceShutdown()
      world.close()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          world.close()
          resolve()
        })
      }),
  }
}
