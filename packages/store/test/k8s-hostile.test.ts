// An API server (or something in front of it) answering nonsense: the store says so, and never
// takes a bad answer for an empty store. A real HTTP server on 127.0.0.1 answers as scripted.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { openK8sStore, StoreUnavailableError } from '../src/index.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

async function apiServer(t: Tap, listBody: string): Promise<string> {
  const s = createServer((req, res) => {
    req.resume()
    res.setHeader('content-type', 'application/json')
    if (new URL(req.url ?? '/', 'http://x').searchParams.has('watch')) res.writeHead(200).write('')
    else res.writeHead(200).end(listBody)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections()
        s.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

t.test('a list answer that is not a list is an error, not an empty store', async (t) => {
  for (const body of [
    '{"kind":"DTabList","metadata":{"resourceVersion":"1"},"items":"nope"}',
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}',
    '[]',
  ]) {
    const url = await apiServer(t, body)
    const store = await openK8sStore({ connection: { kind: 'url', url }, namespace: 'default' })
    await t.rejects(
      store.list(),
      {
        name: StoreUnavailableError.name,
        message: /answered a list of dtabs\.l5d\.io with something that is not a list/,
      },
      body,
    )
    await store.close()
  }
})
