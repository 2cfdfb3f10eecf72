// Overrides and dtabs that once stopped the proxy, through the real proxy: a self-referring
// union in l5d-dtab froze every host and the admin; a weight that overflows a double inverted
// the split and was sent on; thousands of nested parentheses overflowed the stack (a 502).
// Each is now a 400 that reached no backend, and the next plain request is served.
import t from 'tap'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

const l5dErr = (h: Record<string, string | string[] | undefined>) =>
  decodeURIComponent(String(h['l5d-err'] ?? '').replace(/\+/g, ' '))

const SELF_UNION = '/svc/world => /svc/world/a & /svc/world/b'
const LIMIT = 'Bind work limit reached: binding /svc/world needs more than 1000000 steps'

async function proxy(t: Parameters<typeof runProxy>[0], extraDtab = '') {
  const world = await recordingBackend(t, 'world')
  const hello = await recordingBackend(t, 'hello')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}; /svc/hello => ${inet(hello.port)}${extraDtab}`),
  )
  return { p, world, hello }
}

t.test(
  'an l5d-dtab whose union refers to itself is a 400, and the next request is served',
  async (t) => {
    const { p, world } = await proxy(t)
    for (const [header, value] of [
      ['l5d-dtab', SELF_UNION],
      ['l5d-dtab', '/ => /a & /b'],
      ['l5d-ctx-dtab', SELF_UNION],
    ] as const) {
      const r = await send(p.port, { headers: { host: 'world', [header]: value } })
      t.equal(r.status, 400, `${header}: ${value}`)
      t.match(l5dErr(r.headers), LIMIT)
      t.equal(r.body, l5dErr(r.headers))
    }
    t.equal(world.seen.length, 0, 'nothing was forwarded')
    const plain = await send(p.port, { headers: { host: 'world' } })
    t.equal(plain.status, 200)
    t.equal(plain.body, 'world')
    const admin = await fetch(`${p.admin}/admin/ping`)
    t.equal(admin.status, 200, 'the admin answers')
    // The route debugger refuses the same dtab as namerd's delegate does (admin-delegator-limits).
    const explained = await fetch(
      `${p.admin}/delegator.json?path=/svc/world&dtab=${encodeURIComponent(SELF_UNION)}`,
    )
    t.equal(explained.status, 400)
    t.match(await explained.text(), `Invalid dtab: ${LIMIT}`)
  },
)

t.test('a base dtab whose union refers to itself fails that name; others are served', async (t) => {
  const { p, hello } = await proxy(t, `; ${SELF_UNION}`)
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 502)
  t.match(r.body, `reason: ${LIMIT}`)
  const ok = await send(p.port, { headers: { host: 'hello' } })
  t.equal(ok.status, 200)
  t.equal(ok.body, 'hello')
  t.equal(hello.seen.length, 1)
})

t.test('an l5d-dtab weight that overflows a double is a 400 with its offset', async (t) => {
  const { p, world, hello } = await proxy(t)
  const nines = '9'.repeat(400)
  // It would have sent every request to /svc/hello, the last member, and passed the
  // override on as an l5d-ctx-dtab the next hop could not read.
  const r = await send(p.port, {
    headers: { host: 'world', 'l5d-dtab': `/svc/world => 1 * /svc/world & ${nines} * /svc/hello` },
  })
  t.equal(r.status, 400)
  t.match(
    l5dErr(r.headers),
    /^Invalid l5d-dtab header at offset 31: weight too large: 9{400} is not a finite number at /,
  )
  t.equal(world.seen.length + hello.seen.length, 0, 'nothing was forwarded')
  t.equal((await send(p.port, { headers: { host: 'world' } })).status, 200)
})

t.test('an l5d-dtab nested thousands of levels deep is a 400, not a 502', async (t) => {
  const { p, world } = await proxy(t)
  const deep = `/svc/world => ${'('.repeat(7_000)}/x${')'.repeat(7_000)}`
  const r = await send(p.port, { headers: { host: 'world', 'l5d-dtab': deep } })
  t.equal(r.status, 400)
  // The body: l5d-err is cut at 8 KiB, this message is longer.
  t.match(
    r.body,
    /^Invalid l5d-dtab header at offset 114: nesting too deep: more than 100 levels of '\('/,
  )
  t.equal(world.seen.length, 0)
  t.equal((await send(p.port, { headers: { host: 'world' } })).status, 200)
})
