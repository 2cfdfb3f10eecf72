// "Try again in N seconds": kube-apiserver answers 429 with Retry-After when API priority and
// fairness sheds load or while it shuts down, and 503 with Retry-After while it shuts down; a
// call waits and asks again, as client-go does. Other 5xx with Retry-After are asked again for
// reads only (a write may have landed). A real HTTP server on 127.0.0.1 answers as scripted.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { KubeError, MAX_RETRIES, openKube, type Resource } from '../src/index.js'

const DTABS: Resource = { group: 'l5d.io', version: 'v1alpha1', plural: 'dtabs', kind: 'DTab' }
const OBJECT = {
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name: 'internal', namespace: 'default', resourceVersion: '7' },
  dentries: [],
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]
type Answer = (res: ServerResponse) => void

/** kube-apiserver's APF rejection: plain text from http.Error, not a Status. */
const tooMany =
  (retryAfter: string): Answer =>
  (res) => {
    res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': retryAfter })
    res.end('Too many requests, please try again later.\n')
  }

/** kube-apiserver shutting down (its WithWaitGroup filter): a 503 Status and Retry-After. */
const shuttingDown: Answer = (res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' })
  res.end(
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"apiserver is shutting down","reason":"ServiceUnavailable","code":503}\n',
  )
}

const internalError =
  (retryAfter?: string): Answer =>
  (res) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter
    res.writeHead(500, headers)
    res.end(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server cannot complete the requested operation at this time, try again later","reason":"ServerTimeout","code":500}',
    )
  }

const ok =
  (status = 200): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(OBJECT))
  }

/** A server answering its requests with `script` in turn (the last answer repeats). */
async function server(t: Tap, script: Answer[]): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = []
  const s = createServer((req: IncomingMessage, res) => {
    req.resume()
    req.on('end', () => {
      seen.push(req.method ?? '')
      const answer = script[Math.min(seen.length, script.length) - 1]
      answer?.(res)
    })
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections()
        s.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen }
}

t.test('a read answered 429 is asked again after the Retry-After wait', async (t) => {
  const s = await server(t, [tooMany('1'), ok()])
  const dtabs = openKube({ kind: 'url', url: s.url }).objects(DTABS)
  const started = Date.now()
  t.same(await dtabs.get('default', 'internal'), OBJECT)
  t.same(s.seen, ['GET', 'GET'])
  t.ok(Date.now() - started >= 900, 'waited the second it was asked to')
})

t.test('a write answered 429 or 503 (not served) is sent again', async (t) => {
  const s = await server(t, [tooMany('0'), shuttingDown, ok()])
  const dtabs = openKube({ kind: 'url', url: s.url }).objects(DTABS)
  t.same(await dtabs.replace('default', 'internal', OBJECT), OBJECT)
  t.same(s.seen, ['PUT', 'PUT', 'PUT'])
})

t.test('another 5xx with Retry-After: a read is asked again, a write is not', async (t) => {
  const read = await server(t, [internalError('0'), ok()])
  t.same(await openKube({ kind: 'url', url: read.url }).objects(DTABS).get('default', 'x'), OBJECT)
  t.same(read.seen, ['GET', 'GET'])

  const write = await server(t, [internalError('0'), ok(201)])
  await t.rejects(
    openKube({ kind: 'url', url: write.url }).objects(DTABS).create('default', OBJECT),
    { code: 'unavailable', status: 500 },
    'the create may have landed: not sent twice',
  )
  t.same(write.seen, ['POST'])
})

t.test('a 5xx without Retry-After is not asked again', async (t) => {
  const s = await server(t, [internalError(), ok()])
  await t.rejects(openKube({ kind: 'url', url: s.url }).objects(DTABS).get('default', 'x'), {
    code: 'unavailable',
  })
  t.same(s.seen, ['GET'])
})

t.test('an API server that keeps answering 429: a few tries, then the error', async (t) => {
  const s = await server(t, [tooMany('0')])
  const err = await openKube({ kind: 'url', url: s.url })
    .objects(DTABS)
    .list('default')
    .catch((e: unknown) => e)
  t.ok(err instanceof KubeError)
  t.match(err, { code: 'unavailable', status: 429, message: /answered 429 to list dtabs\.l5d\.io/ })
  t.equal(s.seen.length, 1 + MAX_RETRIES)
})
