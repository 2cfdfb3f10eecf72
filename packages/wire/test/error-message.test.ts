import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { errorMessage } from '@switchyard/wire'
import t from 'tap'

/** A port nothing listens on: one the system just gave and took back. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  server.close()
  await once(server, 'close')
  return address.port
}

/** What a dual-stack connect throws: localhost is both 127.0.0.1 and ::1 and both refuse. */
async function dualStackRefusal(port: number): Promise<unknown> {
  const socket = connect({
    port,
    host: 'localhost',
    autoSelectFamily: true,
    lookup: (_host, _options, callback) =>
      callback(null, [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]),
  })
  const [err] = await once(socket, 'error').catch((e: unknown) => [e])
  return err
}

t.test('a dual-stack connect that fails names both refusals, not an empty string', async (t) => {
  const port = await closedPort()
  const err = await dualStackRefusal(port)
  t.type(err, AggregateError, 'node throws an AggregateError')
  t.equal((err as Error).message, '', 'whose own message is empty')
  const text = errorMessage(err)
  t.match(text, `connect ECONNREFUSED 127.0.0.1:${port}`)
  t.match(text, `::1`)
  t.match(text, /; /, 'the two attempts, one after the other')
})

t.test('an AggregateError of two equal refusals says it once', async (t) => {
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:4180'), { code: 'ECONNREFUSED' })
  const err = Object.assign(new AggregateError([refused(), refused()]), { code: 'ECONNREFUSED' })
  t.equal(errorMessage(err), 'connect ECONNREFUSED 10.0.0.7:4180')
})

t.test(
  'a system code the message leaves out is added; our own lowercase codes are not',
  async (t) => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    t.equal(errorMessage(reset), 'socket hang up (ECONNRESET)')
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    })
    t.equal(errorMessage(refused), 'connect ECONNREFUSED 127.0.0.1:1', 'not twice')
    const ours = Object.assign(new Error('namespace "x" does not exist'), {
      code: 'namespace_not_found',
    })
    t.equal(errorMessage(ours), 'namespace "x" does not exist')
  },
)

t.test('a cause the message does not already say is added', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4180'), {
    code: 'ECONNREFUSED',
  })
  t.equal(
    errorMessage(new TypeError('fetch failed', { cause: refused })),
    'fetch failed: connect ECONNREFUSED 127.0.0.1:4180',
  )
  t.equal(
    errorMessage(
      new Error('namerd at 127.0.0.1:4180: connect ECONNREFUSED 127.0.0.1:4180', {
        cause: refused,
      }),
    ),
    'namerd at 127.0.0.1:4180: connect ECONNREFUSED 127.0.0.1:4180',
    'a wrapper that already quotes its cause is left as it is',
  )
  const both = new AggregateError([refused, new Error('connect ECONNREFUSED ::1:4180')])
  t.equal(
    errorMessage(new Error('namerd at localhost:4180: ', { cause: both })),
    'namerd at localhost:4180: connect ECONNREFUSED 127.0.0.1:4180; connect ECONNREFUSED ::1:4180',
    "a wrapper that quoted an empty message gets its cause's reasons",
  )
})

t.test('what is thrown need not be an Error', async (t) => {
  t.equal(errorMessage('boom'), 'boom')
  t.equal(errorMessage(42), '42')
  t.equal(errorMessage(undefined), 'undefined')
  t.equal(errorMessage({ message: 'from a plain object' }), 'from a plain object')
  t.equal(errorMessage({ status: 503 }), '{"status":503}')
  const cyclic: { self?: unknown } = {}
  cyclic.self = cyclic
  t.equal(errorMessage(cyclic), '[object Object]')
})

t.test('an Error with no message is named by its class', async (t) => {
  t.equal(errorMessage(new RangeError()), 'RangeError')
})

t.test('a cycle of causes ends', async (t) => {
  const a = new Error('a')
  const b = new Error('b', { cause: a })
  Object.assign(a, { cause: b })
  t.match(errorMessage(a), /^a: b/)
})
