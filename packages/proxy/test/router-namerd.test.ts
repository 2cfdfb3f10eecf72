import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import {
  eventually,
  memoryStore,
  putDtab,
  startNamerd,
  tempDir,
  writeEndpoints,
} from './interpret-helpers.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

const l5dErr = (h: Record<string, string | string[] | undefined>) =>
  decodeURIComponent(String(h['l5d-err'] ?? '').replace(/\+/g, ' '))

t.test(
  'a fresh proxy whose namerd has no dtab yet answers 503 and is not ready, then routes once one is written',
  async (t) => {
    const dir = await tempDir(t)
    const v1 = await recordingBackend(t, 'v1')
    const v2 = await recordingBackend(t, 'v2')
    await writeEndpoints(dir, 'world-v1', [v1.port])
    await writeEndpoints(dir, 'world-v2', [v2.port])
    const namerd = await startNamerd(t, memoryStore(t), dir)
    const config = ProxyConfig.parse({
      id: 'router-test',
      admin: { port: 0 },
      routers: [
        {
          label: 'outgoing',
          interpreter: {
            kind: 'namerd',
            dst: namerd.base,
            namespace: 'internal',
            retry: { baseSeconds: 0.05, maxSeconds: 0.2 },
          },
          servers: [{ port: 0 }],
        },
      ],
    })
    const p = await runProxy(t, config, { waitReady: false })

    const before = await send(p.port, { headers: { host: 'world' } })
    t.equal(before.status, 503)
    t.match(l5dErr(before.headers), /^No dtab yet for router outgoing/)
    const notReady = await fetch(`${p.admin}/admin/ready`)
    t.equal(notReady.status, 503)
    t.match(await notReady.text(), 'waiting for a dtab: outgoing')

    await putDtab(
      namerd.base,
      'internal',
      '/srv=>/#/io.l5d.fs;/host=>/srv;/svc=>/host;/host/world=>/srv/world-v1',
    )
    await p.running.routers[0]!.interpreter.ready(5000)
    const ready = await fetch(`${p.admin}/admin/ready`)
    t.equal(ready.status, 200)
    await ready.text()

    const r = await send(p.port, { headers: { host: 'world' } })
    t.equal(r.status, 200)
    t.equal(r.body, 'v1')
    t.equal(v1.seen[0]!.headers['l5d-dst-client'], '/#/io.l5d.fs/world-v1')

    const o = await send(p.port, {
      headers: { host: 'world', 'l5d-dtab': '/host/world=>/srv/world-v2' },
    })
    // The first request for world-v2 finds its namerd addr watch unanswered (pending): it
    // waits for the answer rather than fall back to /srv/world-v1 through the base dtab.
    t.equal(o.body, 'v2', 'the first request with an override reaches its target')
    t.match(v2.seen.at(-1)?.headers['l5d-ctx-dtab'], '/host/world=>/srv/world-v2')

    await putDtab(
      namerd.base,
      'internal',
      '/srv=>/#/io.l5d.fs;/host=>/srv;/svc=>/host;/host/world=>/srv/world-v2',
    )
    await eventually('the new dtab routes to v2', async () => {
      const x = await send(p.port, { headers: { host: 'world' } })
      return x.body === 'v2'
    })

    const routers = (await (await fetch(`${p.admin}/admin/routers.json`)).json()) as {
      label: string
      dtab: string | null
      version: string | null
      interpreter: { kind: string; connected: boolean; namespace?: string }
    }[]
    t.equal(routers[0]?.label, 'outgoing')
    t.equal(routers[0]?.interpreter.kind, 'namerd')
    t.equal(routers[0]?.interpreter.namespace, 'internal')
    t.equal(routers[0]?.interpreter.connected, true)
    t.match(routers[0]?.dtab, '/host/world=>/srv/world-v2')
    t.type(routers[0]?.version, 'string')
  },
)

t.test('a weighted union splits the requests roughly by weight', async (t) => {
  const x = await recordingBackend(t, 'x')
  const y = await recordingBackend(t, 'y')
  const p = await runProxy(
    t,
    localConfig(`/x => ${inet(x.port)}; /y => ${inet(y.port)}; /svc/world => 1 * /x & 3 * /y`),
  )
  const n = 400
  const counts: Record<string, number> = { x: 0, y: 0 }
  for (let i = 0; i < n; i++) {
    const r = await send(p.port, { headers: { host: 'world' } })
    counts[r.body] = (counts[r.body] ?? 0) + 1
  }
  t.equal((counts.x ?? 0) + (counts.y ?? 0), n, 'every request reached x or y')
  // Expected 100 and 300; the standard deviation is about 8.7, so ±50 never flakes.
  t.ok(counts.x! > 50 && counts.x! < 150, `x got ${counts.x} of ${n}`)
  t.ok(counts.y! > 250 && counts.y! < 350, `y got ${counts.y} of ${n}`)
})
