// An API server that answers nonsense: the loop reports it, keeps its last good state, keeps
// trying, and applies the good events between the bad ones. A real HTTP server on 127.0.0.1
// whose answers each test scripts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { z } from 'zod'
import { KubeObject, openKube, type ReflectProblem, type Resource, reflect } from '../src/index.js'

const DTABS: Resource = { group: 'l5d.io', version: 'v1alpha1', plural: 'dtabs', kind: 'DTab' }
const DTab = KubeObject.extend({
  dentries: z.array(z.object({ prefix: z.string(), dst: z.string() })),
})

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]
type Handler = (req: IncomingMessage, res: ServerResponse, watch: boolean) => void

async function server(t: Tap, handle: Handler): Promise<{ url: string; requests: () => number }> {
  let requests = 0
  const s = createServer((req, res) => {
    requests++
    handle(req, res, new URL(req.url ?? '/', 'http://x').searchParams.has('watch'))
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections()
        s.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests: () => requests }
}

function object(name: string, rv: string, dst = '/x') {
  return {
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    metadata: { name, namespace: 'default', resourceVersion: rv },
    dentries: [{ prefix: '/svc', dst }],
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

function start(t: Tap, url: string) {
  const problems: ReflectProblem[] = []
  const keys: string[] = []
  const reflector = reflect({
    kube: openKube({ kind: 'url', url }),
    resource: DTABS,
    namespace: 'default',
    schema: DTab,
    backoff: { initialMs: 10, maxMs: 50 },
    onChanges: (changes) => {
      for (const c of changes) keys.push(`${c.type} ${c.key}`)
    },
    onProblem: (p) => problems.push(p),
  })
  t.teardown(() => reflector.stop())
  return { reflector, problems, keys }
}

t.test(
  'a list answer that is not a list: starting with the reason, and trying again',
  async (t) => {
    const s = await server(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"kind":"DTabList","items":"nope"}')
    })
    const { reflector } = start(t, s.url)
    await until('three tries', () => s.requests() >= 3)
    t.match(reflector.health, {
      state: 'starting',
      error: {
        code: 'unexpected',
        message: /answered a list of dtabs with something that is not a list/,
      },
    })
  },
)

t.test(
  'garbage, half objects and unknown events in a watch stream are skipped; good events apply',
  async (t) => {
    let watches = 0
    const s = await server(t, (_req, res, watch) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      if (!watch) {
        res.end(JSON.stringify({ kind: 'DTabList', metadata: { resourceVersion: '5' }, items: [] }))
        return
      }
      watches++
      if (watches > 1) return // later watches stay open and quiet
      const lines = [
        'not json at all',
        '{"type":"ADDED","object":{"metadata":{}}}',
        '{"type":"WEIRD","object":{}}',
        JSON.stringify({ type: 'ADDED', object: object('a', '6') }),
        `{"type":"ADDED","object":{"metadata":{"name":"huge","resourceVersion":"7"},"junk":"${'x'.repeat(1_000_000)}"}}`,
        '{"type":"BOOKMARK","object":{"metadata":{}}}',
        JSON.stringify({ type: 'MODIFIED', object: { ...object('a', '8'), dentries: 'nope' } }),
        JSON.stringify({ type: 'ADDED', object: object('b', '9') }),
        '{"type":"DELETED","object":null}',
        '[1,2,3]',
      ]
      res.write(`${lines.join('\n')}\n`)
    })
    const { reflector, problems, keys } = start(t, s.url)
    await until('b', () => keys.includes('upsert b'))
    t.same(keys, ['upsert a', 'delete a', 'upsert b'], "a's unreadable MODIFIED makes a unknown")
    t.same([...reflector.objects().keys()], ['b'])
    t.equal(reflector.resourceVersion, '9')
    t.ok(problems.length >= 5, `each bad event reported (${problems.length})`)
    t.equal(reflector.health.state, 'synced')
  },
)

t.test('any bytes at all in a watch stream: no crash, the loop keeps going', async (t) => {
  const payloads: string[] = []
  let next = 0
  const s = await server(t, (_req, res, watch) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    if (!watch) {
      res.end(JSON.stringify({ kind: 'DTabList', metadata: { resourceVersion: '1' }, items: [] }))
      return
    }
    res.end(payloads[next++ % Math.max(1, payloads.length)] ?? '')
  })
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((j) => `{"type":"ADDED","object":${j}}`),
          fc.json().map((j) => `{"type":"ERROR","object":${j}}`),
          fc.json(),
        ),
        { maxLength: 20 },
      ),
      (lines) => {
        payloads.push(`${lines.join('\n')}\n`)
      },
    ),
    { numRuns: 200 },
  )
  const { reflector } = start(t, s.url)
  await until('every payload served', () => next >= payloads.length)
  t.not(reflector.health.state, 'stopped')
  t.ok(reflector.hasSynced)
})

t.test('stop() does not wait for a list the API server never answers', async (t) => {
  const s = await server(t, () => {
    // Never answers.
  })
  const { reflector } = start(t, s.url)
  await until('the list sent', () => s.requests() === 1)
  await reflector.stop()
  t.equal(reflector.health.state, 'starting', 'stopped before it ever synced')
  t.equal(await reflector.whenSynced(), false)
})

t.test(
  'a server (or a proxy before it) that cuts every watch as soon as it starts is not hammered',
  async (t) => {
    let watches = 0
    const s = await server(t, (req, res, watch) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      if (!watch) {
        res.end(JSON.stringify({ kind: 'DTabList', metadata: { resourceVersion: '5' }, items: [] }))
        return
      }
      watches++
      res.flushHeaders()
      setImmediate(() => req.socket.destroy()) // a reset once the stream is open
    })
    const problems: ReflectProblem[] = []
    const reflector = reflect({
      kube: openKube({ kind: 'url', url: s.url }),
      resource: DTABS,
      namespace: 'default',
      schema: DTab,
      backoff: { initialMs: 100, maxMs: 100 },
      onChanges: () => {},
      onProblem: (p) => problems.push(p),
    })
    t.teardown(() => reflector.stop())
    await until('synced', () => reflector.hasSynced)
    const before = watches
    await new Promise((r) => setTimeout(r, 1000))
    const inOneSecond = watches - before
    // With a wait of 50-100 ms between tries, at most 20 fit in a second; without one, each
    // reset was followed at once by the next watch (over a hundred a second).
    t.ok(inOneSecond <= 25, `${inOneSecond} watches in one second`)
    t.ok(inOneSecond >= 2, 'still trying')
    t.ok(
      problems.some((p) => p.kind === 'watch_dropped'),
      'each cut reported as a dropped watch',
    )
  },
)
