import t from 'tap'
import { Var } from '../src/var.js'

t.test('a constant var samples its value and never calls listeners', async (t) => {
  const v = Var.value(3)
  t.equal(v.sample(), 3)
  const seen: number[] = []
  const off = v.subscribe((x) => seen.push(x))
  off()
  t.same(seen, [])
})

t.test('listeners hear each distinct change, not the current value or repeats', async (t) => {
  const v = Var.mutable(1)
  const seen: number[] = []
  const off = v.subscribe((x) => seen.push(x))
  v.set(1)
  v.set(2)
  v.set(2)
  v.set(3)
  off()
  v.set(4)
  t.same(seen, [2, 3])
  t.equal(v.sample(), 4)
})

t.test('a custom equality decides what counts as a change', async (t) => {
  const v = Var.mutable({ n: 1 }, { equals: (a, b) => a.n === b.n })
  const seen: number[] = []
  v.subscribe((x) => seen.push(x.n))
  v.set({ n: 1 })
  v.set({ n: 2 })
  t.same(seen, [2])
})

t.test('unsubscribing twice is harmless, and the same function may subscribe twice', async (t) => {
  const v = Var.mutable(0)
  const seen: number[] = []
  const f = (x: number) => seen.push(x)
  const off1 = v.subscribe(f)
  const off2 = v.subscribe(f)
  v.set(1)
  off1()
  off1()
  v.set(2)
  off2()
  t.same(seen, [1, 1, 2])
  t.equal(v.observers, 0)
})

t.test(
  'a listener that sets the var again is not re-entered; everyone hears values in order',
  async (t) => {
    const v = Var.mutable(0)
    const a: number[] = []
    const b: number[] = []
    v.subscribe((x) => {
      a.push(x)
      if (x === 1) v.set(2)
    })
    v.subscribe((x) => b.push(x))
    v.set(1)
    t.same(a, [1, 2])
    t.same(b, [1, 2])
  },
)

t.test('a throwing listener does not stop the others; the setter hears the error', async (t) => {
  const v = Var.mutable(0)
  const seen: number[] = []
  v.subscribe(() => {
    throw new Error('listener bug')
  })
  v.subscribe((x) => seen.push(x))
  t.throws(() => v.set(1), /listener bug/)
  t.same(seen, [1])
  t.equal(v.sample(), 1)
})

t.test('an async var runs its producer only while watched', async (t) => {
  let starts = 0
  let stops = 0
  let push: ((n: number) => void) | undefined
  const v = Var.async(0, (update) => {
    starts++
    push = update
    update(10)
    return () => {
      stops++
      push = undefined
    }
  })
  t.equal(starts, 0, 'lazy')
  const seen: number[] = []
  const off1 = v.subscribe((x) => seen.push(x))
  const off2 = v.subscribe(() => {})
  t.equal(starts, 1, 'one producer for every subscriber')
  push?.(11)
  off1()
  t.equal(stops, 0)
  off2()
  t.equal(stops, 1, 'stopped with the last subscriber')
  t.same(seen, [10, 11])
  t.equal(v.sample(), 10, 'sampling an idle var starts and stops it around the read')
  t.same([starts, stops], [2, 2])
})

t.test('changes() yields the current value first, then changes', async (t) => {
  const v = Var.mutable('a')
  const seen: string[] = []
  const done = (async () => {
    for await (const x of v.changes()) {
      seen.push(x)
      if (x === 'c') break
    }
  })()
  await new Promise((r) => setImmediate(r))
  v.set('b')
  await new Promise((r) => setImmediate(r))
  v.set('c')
  await done
  t.same(seen, ['a', 'b', 'c'])
  t.equal(v.observers, 0, 'breaking the loop unsubscribes')
})

t.test('a slow consumer gets the latest value, never a stale repeat', async (t) => {
  const v = Var.mutable(0)
  const it = v.changes()
  t.same(await it.next(), { done: false, value: 0 })
  v.set(1)
  v.set(2)
  v.set(3)
  t.same(await it.next(), { done: false, value: 3 })
  v.set(4)
  v.set(3)
  const next = it.next()
  v.set(5)
  t.same(await next, { done: false, value: 5 })
  await it.return?.()
  t.equal(v.observers, 0)
})

t.test('an abort signal ends a waiting iteration and unsubscribes', async (t) => {
  const v = Var.mutable(0)
  const ac = new AbortController()
  const it = v.changes(ac.signal)
  t.same(await it.next(), { done: false, value: 0 })
  const waiting = it.next()
  t.equal(v.observers, 1)
  ac.abort()
  t.same(await waiting, { done: true, value: undefined })
  t.equal(v.observers, 0)
  t.same(await it.next(), { done: true, value: undefined })
})

t.test('an iterator never pulled holds no subscription; an aborted one never starts', async (t) => {
  const v = Var.mutable(0)
  v.changes()
  t.equal(v.observers, 0)
  const ac = new AbortController()
  ac.abort()
  const it = v.changes(ac.signal)
  t.same(await it.next(), { done: true, value: undefined })
  t.equal(v.observers, 0)
})

t.test(
  'changes() of an async var starts it and sees what it produced while starting',
  async (t) => {
    const v = Var.async('pending', (update) => {
      update('ready')
      return () => {}
    })
    const it = v.changes()
    t.same(await it.next(), { done: false, value: 'ready' })
    await it.return?.()
    t.equal(v.observers, 0)
  },
)
