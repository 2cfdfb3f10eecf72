// LeaseElector's timing rules, on the memory store's leases with faults injected: a leader that
// cannot renew steps down before anyone may take over; a lease renewed by someone else is never
// taken; a lease left by an earlier life of the same holder is taken back at once.
import t from 'tap'
import {
  LeaseElector,
  type LeaseRecord,
  type LeaseStore,
  type LeaseWrite,
  openMemoryStore,
  StoreUnavailableError,
} from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(5)
  }
}

/** A LeaseStore whose calls fail while `down` is set for a given holder's view. */
class Flaky implements LeaseStore {
  down = false
  /** Calls never answer (a store that hangs rather than fails). */
  hang = false
  constructor(private readonly inner: LeaseStore) {}
  private async check(): Promise<void> {
    if (this.hang) await new Promise(() => {})
    if (this.down) throw new StoreUnavailableError('injected: the store is unreachable')
  }
  async get(name: string): Promise<LeaseRecord | null> {
    await this.check()
    return this.inner.get(name)
  }
  async list(prefix: string): Promise<LeaseRecord[]> {
    await this.check()
    return this.inner.list(prefix)
  }
  async write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord> {
    await this.check()
    return this.inner.write(name, next, expected)
  }
  async delete(name: string, expected: Uint8Array): Promise<void> {
    await this.check()
    return this.inner.delete(name, expected)
  }
}

function elector(leases: LeaseStore, holder: string, durationMs: number, log: string[]) {
  const e = new LeaseElector({
    leases,
    name: 'rollouts-leader',
    holder,
    durationMs,
    onElected: () => log.push(`${holder} elected`),
    onDeposed: () => log.push(`${holder} deposed`),
  })
  return e
}

t.test('a leader that cannot renew steps down before the other may take over', async (t) => {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  const durationMs = 300
  const flaky = new Flaky(store.leases!)
  const log: string[] = []
  const a = elector(flaky, 'a', durationMs, log)
  a.start()
  await until(() => a.isLeader, 2000, 'a elected')
  const b = elector(store.leases!, 'b', durationMs, log)
  t.teardown(() => b.close({ release: true }))
  t.teardown(() => a.close({ release: true }))
  b.start()
  await sleep(durationMs)
  t.notOk(b.isLeader, 'b does not take a lease that is being renewed')

  let overlap = false
  const watch = setInterval(() => {
    if (a.isLeader && b.isLeader) overlap = true
  }, 2)
  t.teardown(() => clearInterval(watch))
  const cut = Date.now()
  flaky.down = true
  await until(() => !a.isLeader, durationMs * 2, 'a deposed')
  const deposedAfter = Date.now() - cut
  await until(() => b.isLeader, durationMs * 5, 'b takes over')
  t.ok(deposedAfter <= durationMs, `a stepped down ${deposedAfter} ms after its store went away`)
  t.notOk(overlap, 'never two leaders')
  t.same(log, ['a elected', 'a deposed', 'b elected'])
  // a's store comes back: it sees b's lease renewed and stays a follower.
  flaky.down = false
  await sleep(durationMs * 2)
  t.notOk(a.isLeader, 'a stays a follower while b renews')
  t.ok(b.isLeader)
})

t.test('a leader whose store hangs steps down on time all the same', async (t) => {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  const durationMs = 300
  const flaky = new Flaky(store.leases!)
  const log: string[] = []
  const a = elector(flaky, 'a', durationMs, log)
  a.start()
  await until(() => a.isLeader, 2000, 'a elected')
  const cut = Date.now()
  flaky.hang = true
  await until(() => !a.isLeader, durationMs * 2, 'a deposed')
  t.ok(Date.now() - cut <= durationMs, `deposed ${Date.now() - cut} ms after the store hung`)
  t.same(log, ['a elected', 'a deposed'])
  await a.close({ release: true })
  t.pass('close does not wait forever on the hung call')
})

t.test('a lease held under our own name (an earlier life) is taken back at once', async (t) => {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  const leases = store.leases!
  await leases.write(
    'rollouts-leader',
    {
      holder: 'a',
      durationMs: 60_000,
      acquiredAt: new Date(),
      renewedAt: new Date(),
      transitions: 3,
      data: null,
    },
    null,
  )
  const log: string[] = []
  const a = elector(leases, 'a', 60_000, log)
  t.teardown(() => a.close({ release: true }))
  a.start()
  await until(() => a.isLeader, 2000, 'a elected')
  t.equal((await leases.get('rollouts-leader'))?.transitions, 3, 'not a new transition')
})

t.test('taking over counts a transition; close with release frees the lease', async (t) => {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  const leases = store.leases!
  const log: string[] = []
  const a = elector(leases, 'a', 200, log)
  a.start()
  await until(() => a.isLeader, 2000, 'a elected')
  await a.close({ release: true })
  t.same(log, ['a elected', 'a deposed'], 'closing a leader deposes it first')
  const released = await leases.get('rollouts-leader')
  t.equal(released?.holder, null)
  const b = elector(leases, 'b', 200, log)
  t.teardown(() => b.close({ release: true }))
  b.start()
  await until(() => b.isLeader, 2000, 'b elected')
  t.equal((await leases.get('rollouts-leader'))?.transitions, 1)
  t.equal((await leases.get('rollouts-leader'))?.holder, 'b')
})
