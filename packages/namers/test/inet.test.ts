import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { type HostLookup, inetAddr, resolveHost } from '../src/inet.js'
import type { Var } from '../src/var.js'

/** The first value of `v` that is not pending. */
async function settled(v: Var<Addr>): Promise<Addr> {
  for await (const a of v.changes()) if (a.type !== 'pending') return a
  throw new Error('ended')
}

t.test('an IP literal is bound at once, without a lookup', async (t) => {
  const lookupHost: HostLookup = async () => {
    throw new Error('must not be called')
  }
  t.same(
    inetAddr('127.0.0.1', 8080, { lookupHost }).sample(),
    Addr.bound([{ ip: '127.0.0.1', port: 8080, meta: {} }]),
  )
  t.same(
    inetAddr('::1', 80, { lookupHost }).sample(),
    Addr.bound([{ ip: '::1', port: 80, meta: {} }]),
  )
})

t.test('the port-only form means any address, as Java does', async (t) => {
  t.same(inetAddr('', 1234).sample(), Addr.bound([{ ip: '0.0.0.0', port: 1234, meta: {} }]))
})

t.test('localhost resolves through the system resolver to loopback addresses', async (t) => {
  const a = await settled(inetAddr('localhost', 9990))
  t.equal(a.type, 'bound')
  const ips = a.type === 'bound' ? a.addrs.map((e) => e.ip) : []
  t.ok(ips.includes('127.0.0.1') || ips.includes('::1'), ips.join())
  t.ok(
    ips.every((ip) => ip === '::1' || ip.startsWith('127.')),
    ips.join(),
  )
  t.ok(a.type === 'bound' && a.addrs.every((e) => e.port === 9990))
})

t.test('a hostname that does not resolve is failed with the resolver message', async (t) => {
  const lookupHost: HostLookup = async (host) => {
    throw new Error(`getaddrinfo ENOTFOUND ${host}`)
  }
  t.same(
    await settled(inetAddr('nosuch.invalid', 80, { lookupHost })),
    Addr.failed('getaddrinfo ENOTFOUND nosuch.invalid'),
  )
})

t.test('every address of a name is an endpoint, in a stable order', async (t) => {
  const lookupHost: HostLookup = async () => ['10.0.0.2', '10.0.0.1', '10.0.0.2']
  t.same(await resolveHost('world', lookupHost), ['10.0.0.1', '10.0.0.2'])
  const a = await settled(inetAddr('world', 80, { lookupHost }))
  t.same(a.type === 'bound' && a.addrs.map((e) => e.ip), ['10.0.0.1', '10.0.0.2'])
})

t.test('a watched hostname is re-resolved on the interval, and only while watched', async (t) => {
  let calls = 0
  let answer = ['10.0.0.1']
  const lookupHost: HostLookup = async () => {
    calls++
    return answer
  }
  const v = inetAddr('world', 80, { lookupHost, refreshMs: 20 })
  const seen: string[] = []
  const off = v.subscribe((a) => seen.push(Addr.show(a)))
  await sleep(30)
  answer = ['10.0.0.2']
  await sleep(60)
  off()
  const after = calls
  t.ok(after >= 2, `resolved ${after} times`)
  t.same(seen, ['Bound(10.0.0.1:80)', 'Bound(10.0.0.2:80)'], 'only changes are heard')
  await sleep(60)
  t.equal(calls, after, 'no lookups once nobody watches')
})

t.test('a failure after a success keeps the last bound set', async (t) => {
  let fail = false
  const lookupHost: HostLookup = async () => {
    if (fail) throw new Error('getaddrinfo EAI_AGAIN world')
    return ['10.0.0.1']
  }
  const v = inetAddr('world', 80, { lookupHost, refreshMs: 10 })
  const seen: Addr[] = []
  const off = v.subscribe((a) => seen.push(a))
  await sleep(25)
  fail = true
  await sleep(50)
  off()
  t.same(seen.map(Addr.show), ['Bound(10.0.0.1:80)'])
})

t.test('with refreshMs 0 a hostname is resolved once', async (t) => {
  let calls = 0
  const lookupHost: HostLookup = async () => {
    calls++
    return ['10.0.0.1']
  }
  const v = inetAddr('world', 80, { lookupHost, refreshMs: 0 })
  const off = v.subscribe(() => {})
  await sleep(50)
  off()
  t.equal(calls, 1)
})
