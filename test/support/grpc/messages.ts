// The messages of the test gRPC services, as JSON in gRPC's length-prefixed frames: no protoc,
// no generated code. Every message read off the wire is checked by its guard, so a proxy that
// garbles a frame fails the test with the frame's text, not an undefined somewhere later.

/** A request to world.World/Greet (and hello.Hello/Greet). */
export interface GreetRequest {
  readonly name?: string
  /** Answer only after this long (ms): for deadlines and timeouts. */
  readonly delayMs?: number
  /** Metadata world sends back: as response headers and as trailers. */
  readonly echo?: Readonly<Record<string, string>>
}

/** What world (or hello) answers, with the request metadata it saw that tests look at. */
export interface GreetReply {
  readonly service: 'world' | 'hello'
  readonly version: string
  readonly name: string
  /** `l5d-*` metadata the backend received. */
  readonly l5d: Record<string, string>
  /** Milliseconds left of the call's deadline when it arrived (grpc-timeout); null: none. */
  readonly deadlineLeftMs: number | null
  /** hello only: world's answer, or the error calling it. */
  readonly world?: GreetReply
  readonly worldError?: { readonly code: number; readonly details: string }
}

/** A request to world.World/Fail: answer with this grpc-status. */
export interface FailRequest {
  readonly code: number
  readonly message: string
  /**
   * Send the response headers first, then the status in trailers (a normal response); by
   * default the status comes trailers-only, as grpc-js answers an error before any message.
   */
  readonly headersFirst?: boolean
  /** Ignored: makes the request as big as a test needs (retries keep only small ones). */
  readonly pad?: string
}

/** A request to world.World/Count (server streaming). */
export interface CountRequest {
  /** How many messages; each carries `bytes` of padding. */
  readonly n: number
  readonly bytes?: number
  readonly intervalMs?: number
  /** After the n messages, keep the stream open without ending it. */
  readonly hold?: boolean
}

export interface CountReply {
  readonly i: number
  readonly version: string
  readonly pad: string
}

/** A message of world.World/Sum (client streaming) or world.World/Chat (bidi). */
export interface Item {
  readonly value: number
  readonly text?: string
}

export interface SumReply {
  readonly sum: number
  readonly count: number
  readonly version: string
}

export interface ChatReply {
  readonly text: string
  readonly value: number
  readonly version: string
}

/** An empty message (world.World/Hang's request and reply). */
export type Empty = Record<string, never>

type Guard<T> = (v: unknown) => v is T

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const opt = (v: unknown, type: 'string' | 'number' | 'boolean') =>
  v === undefined || typeof v === type
const isStringMap = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string')

export const isGreetRequest: Guard<GreetRequest> = (v): v is GreetRequest =>
  isObject(v) &&
  opt(v.name, 'string') &&
  opt(v.delayMs, 'number') &&
  (v.echo === undefined || isStringMap(v.echo))

export const isGreetReply: Guard<GreetReply> = (v): v is GreetReply =>
  isObject(v) &&
  (v.service === 'world' || v.service === 'hello') &&
  typeof v.version === 'string' &&
  typeof v.name === 'string' &&
  isStringMap(v.l5d) &&
  (v.deadlineLeftMs === null || typeof v.deadlineLeftMs === 'number') &&
  (v.world === undefined || isGreetReply(v.world)) &&
  (v.worldError === undefined ||
    (isObject(v.worldError) &&
      typeof v.worldError.code === 'number' &&
      typeof v.worldError.details === 'string'))

export const isFailRequest: Guard<FailRequest> = (v): v is FailRequest =>
  isObject(v) &&
  Number.isInteger(v.code) &&
  typeof v.message === 'string' &&
  opt(v.headersFirst, 'boolean') &&
  opt(v.pad, 'string')

export const isCountRequest: Guard<CountRequest> = (v): v is CountRequest =>
  isObject(v) &&
  Number.isInteger(v.n) &&
  opt(v.bytes, 'number') &&
  opt(v.intervalMs, 'number') &&
  opt(v.hold, 'boolean')

export const isCountReply: Guard<CountReply> = (v): v is CountReply =>
  isObject(v) && Number.isInteger(v.i) && typeof v.version === 'string' && typeof v.pad === 'string'

export const isItem: Guard<Item> = (v): v is Item =>
  isObject(v) && typeof v.value === 'number' && opt(v.text, 'string')

export const isSumReply: Guard<SumReply> = (v): v is SumReply =>
  isObject(v) &&
  typeof v.sum === 'number' &&
  typeof v.count === 'number' &&
  typeof v.version === 'string'

export const isChatReply: Guard<ChatReply> = (v): v is ChatReply =>
  isObject(v) &&
  typeof v.text === 'string' &&
  typeof v.value === 'number' &&
  typeof v.version === 'string'

export const isEmpty: Guard<Empty> = (v): v is Empty => isObject(v)

/** A gRPC message's bytes are this JSON; `guard` checks what comes back. */
export interface Codec<T> {
  serialize(value: T): Buffer
  deserialize(bytes: Buffer): T
}

export class BadMessageError extends Error {
  readonly code = 'BAD_MESSAGE'
  constructor(
    readonly what: string,
    readonly text: string,
  ) {
    super(
      `a ${what} message is not what the test service sends: ${JSON.stringify(text.slice(0, 200))}; a proxy between changed the frame, or the services disagree`,
    )
  }
}

export function json<T>(what: string, guard: Guard<T>): Codec<T> {
  return {
    serialize: (value) => Buffer.from(JSON.stringify(value)),
    deserialize: (bytes) => {
      const text = bytes.toString('utf8')
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        throw new BadMessageError(what, text)
      }
      if (!guard(value)) throw new BadMessageError(what, text)
      return value
    },
  }
}
