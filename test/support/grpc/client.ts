// A grpc-js client for the test services with every call kind as a promise of how the call
// ended (its status code, details, trailers and what it received), so a test asserts on the
// code a proxy produced instead of catching errors. One channel per client, retries off: what
// a test counts is what the proxy did, not grpc-js's transparent retries.
import {
  type CallOptions,
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js'
import type { Method } from './services.js'

export interface ClientTlsPems {
  /** The CA that signed the server's certificate. */
  readonly ca: string
  /** A client certificate and key, for mTLS. */
  readonly cert?: string
  readonly key?: string
  /** The name to check the server's certificate against, when not the target's host. */
  readonly servername?: string
}

export interface GrpcClientOptions {
  /** `:authority` of every call (the proxy identifies h2 requests by it); default the target. */
  readonly authority?: string
  readonly tls?: ClientTlsPems
}

export interface CallOpts {
  /** Request metadata: `l5d-dtab`, say. */
  readonly metadata?: Readonly<Record<string, string>>
  /** The call's deadline, from now; grpc-js sends it as grpc-timeout. */
  readonly deadlineMs?: number
}

/** How a call ended. */
export interface Ended {
  /** The gRPC status code (0 OK, 1 CANCELLED, 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE, ...). */
  readonly code: number
  readonly details: string
  /** The trailers (or, for a trailers-only answer, its headers). */
  readonly trailers: Record<string, string>
  /** Response headers, when the response had any before its trailers. */
  readonly headers?: Record<string, string>
}

export interface UnaryEnded<Res> extends Ended {
  readonly value?: Res
}

export interface StreamEnded<Res> extends Ended {
  readonly messages: Res[]
}

export function toMetadata(entries: Readonly<Record<string, string>> = {}): Metadata {
  const md = new Metadata()
  for (const [k, v] of Object.entries(entries)) md.set(k, v)
  return md
}

export function fromMetadata(md: Metadata | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (md === undefined) return out
  for (const [k, v] of Object.entries(md.getMap())) {
    out[k] = typeof v === 'string' ? v : v.toString('utf8')
  }
  return out
}

function callOptions(opts: CallOpts): CallOptions {
  return opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs }
}

function channelCredentials(tls: ClientTlsPems | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure()
  return credentials.createSsl(
    Buffer.from(tls.ca),
    tls.key === undefined ? null : Buffer.from(tls.key),
    tls.cert === undefined ? null : Buffer.from(tls.cert),
  )
}

/** Waits for a call's status event: every call kind ends with exactly one. */
function ended(call: {
  on(e: 'status', f: (s: StatusObject) => void): unknown
  on(e: 'metadata', f: (m: Metadata) => void): unknown
}): Promise<Ended> {
  let headers: Record<string, string> | undefined
  call.on('metadata', (m: Metadata) => {
    headers = fromMetadata(m)
  })
  return new Promise((resolve) => {
    call.on('status', (s: StatusObject) =>
      resolve({
        code: s.code,
        details: s.details,
        trailers: fromMetadata(s.metadata),
        ...(headers === undefined ? {} : { headers }),
      }),
    )
  })
}

export class GrpcClient {
  readonly client: Client

  /** `target`: a port on 127.0.0.1, or `host:port`. */
  constructor(target: number | string, options: GrpcClientOptions = {}) {
    const address = typeof target === 'number' ? `127.0.0.1:${target}` : target
    this.client = new Client(address, channelCredentials(options.tls), {
      ...(options.authority === undefined ? {} : { 'grpc.default_authority': options.authority }),
      ...(options.tls?.servername === undefined
        ? {}
        : { 'grpc.ssl_target_name_override': options.tls.servername }),
      'grpc.enable_retries': 0,
      'grpc.use_local_subchannel_pool': 1,
    })
  }

  unary<Req, Res>(m: Method<Req, Res>, req: Req, opts: CallOpts = {}): Promise<UnaryEnded<Res>> {
    let value: Res | undefined
    let answered: () => void = () => {}
    const callback = new Promise<void>((r) => {
      answered = r
    })
    const call = this.client.makeUnaryRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      req,
      toMetadata(opts.metadata),
      callOptions(opts),
      (err: ServiceError | null, v?: Res) => {
        if (err === null) value = v
        answered()
      },
    )
    return Promise.all([ended(call), callback]).then(([e]) =>
      value === undefined ? e : { ...e, value },
    )
  }

  /**
   * A server-streaming call; `onMessage` sees each message as it arrives with a `cancel` that
   * resets the call (the client going away mid-stream) and `pause`/`resume` (a slow reader).
   */
  serverStream<Req, Res>(
    m: Method<Req, Res>,
    req: Req,
    opts: CallOpts & {
      readonly onMessage?: (
        msg: Res,
        call: { cancel(): void; pause(): void; resume(): void },
      ) => void
    } = {},
  ): Promise<StreamEnded<Res>> {
    const call = this.client.makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      req,
      toMetadata(opts.metadata),
      callOptions(opts),
    )
    const messages: Res[] = []
    const handle = {
      cancel: () => call.cancel(),
      pause: () => call.pause(),
      resume: () => call.resume(),
    }
    call.on('data', (msg: Res) => {
      messages.push(msg)
      opts.onMessage?.(msg, handle)
    })
    // An error is also a status event; without a listener it would throw.
    call.on('error', () => {})
    return ended(call).then((e) => ({ ...e, messages }))
  }

  /** A client-streaming call writing `items` one by one, then half-closing. */
  clientStream<Req, Res>(
    m: Method<Req, Res>,
    items: readonly Req[],
    opts: CallOpts = {},
  ): Promise<UnaryEnded<Res>> {
    let value: Res | undefined
    let answered: () => void = () => {}
    const callback = new Promise<void>((r) => {
      answered = r
    })
    const call = this.client.makeClientStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      toMetadata(opts.metadata),
      callOptions(opts),
      (err: ServiceError | null, v?: Res) => {
        if (err === null) value = v
        answered()
      },
    )
    for (const item of items) call.write(item)
    call.end()
    return Promise.all([ended(call), callback]).then(([e]) =>
      value === undefined ? e : { ...e, value },
    )
  }

  /**
   * A bidirectional call in lock step: each item is written only after the answer to the one
   * before arrived, so the exchange proves both directions flow while the stream is open.
   * `keepOpen`: do not half-close after the last item; the call ends when the other side ends
   * it (a backend's RST_STREAM reaches the client only while the client's side is open: node's
   * http2 server turns a reset of a half-closed stream into code 0).
   */
  async bidi<Req, Res>(
    m: Method<Req, Res>,
    items: readonly Req[],
    opts: CallOpts & { readonly keepOpen?: boolean } = {},
  ): Promise<StreamEnded<Res>> {
    const call = this.client.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      toMetadata(opts.metadata),
      callOptions(opts),
    )
    const messages: Res[] = []
    const waiting: Array<() => void> = []
    call.on('data', (msg: Res) => {
      messages.push(msg)
      waiting.shift()?.()
    })
    call.on('error', () => {})
    const status = ended(call)
    let closed = false
    void status.then(() => {
      closed = true
      for (const w of waiting.splice(0)) w()
    })
    for (const item of items) {
      if (closed) break
      const answered = new Promise<void>((r) => waiting.push(r))
      call.write(item)
      await answered
    }
    if (opts.keepOpen !== true) call.end()
    return { ...(await status), messages }
  }

  close(): void {
    this.client.close()
  }
}
