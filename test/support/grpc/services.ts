// The test services, as grpc-js service definitions with the JSON codec (messages.ts): the same
// objects serve (Server.addService) and call (client.ts), so no .proto file is needed.
//
// world.World: Greet (unary), Fail (unary, answers a chosen grpc-status), Hang (unary, never
// answers), Count (server streaming, optionally slow, huge or held open), Sum (client
// streaming), Chat (bidirectional). hello.Hello: Greet, which calls world.World/Greet through
// a proxy, as examples/hello-world's hello calls world.
import type { MethodDefinition } from '@grpc/grpc-js'
import {
  type ChatReply,
  type Codec,
  type CountReply,
  type CountRequest,
  type Empty,
  type FailRequest,
  type GreetReply,
  type GreetRequest,
  type Item,
  isChatReply,
  isCountReply,
  isCountRequest,
  isEmpty,
  isFailRequest,
  isGreetReply,
  isGreetRequest,
  isItem,
  isSumReply,
  json,
  type SumReply,
} from './messages.js'

export type Kind = 'unary' | 'server' | 'client' | 'bidi'

/** One method with its message types: a grpc-js MethodDefinition that keeps them. */
export interface Method<Req, Res> extends MethodDefinition<Req, Res> {
  readonly kind: Kind
}

function method<Req, Res>(
  service: string,
  name: string,
  kind: Kind,
  req: Codec<Req>,
  res: Codec<Res>,
): Method<Req, Res> {
  return {
    kind,
    path: `/${service}/${name}`,
    originalName: name,
    requestStream: kind === 'client' || kind === 'bidi',
    responseStream: kind === 'server' || kind === 'bidi',
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  }
}

const greetRequest = json('GreetRequest', isGreetRequest)
const greetReply = json('GreetReply', isGreetReply)
const empty = json('Empty', isEmpty)

export const WORLD = 'world.World'
export const HELLO = 'hello.Hello'

export const World = {
  Greet: method<GreetRequest, GreetReply>(WORLD, 'Greet', 'unary', greetRequest, greetReply),
  Fail: method<FailRequest, Empty>(
    WORLD,
    'Fail',
    'unary',
    json('FailRequest', isFailRequest),
    empty,
  ),
  Hang: method<Empty, Empty>(WORLD, 'Hang', 'unary', empty, empty),
  Count: method<CountRequest, CountReply>(
    WORLD,
    'Count',
    'server',
    json('CountRequest', isCountRequest),
    json('CountReply', isCountReply),
  ),
  Sum: method<Item, SumReply>(
    WORLD,
    'Sum',
    'client',
    json('Item', isItem),
    json('SumReply', isSumReply),
  ),
  Chat: method<Item, ChatReply>(
    WORLD,
    'Chat',
    'bidi',
    json('Item', isItem),
    json('ChatReply', isChatReply),
  ),
} as const

export const Hello = {
  Greet: method<GreetRequest, GreetReply>(HELLO, 'Greet', 'unary', greetRequest, greetReply),
} as const
