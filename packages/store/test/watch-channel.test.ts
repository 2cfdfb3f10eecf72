import t from 'tap'
import { WatchChannel } from '../src/watch-channel.js'

function channel(maxPending?: number, signal?: AbortSignal) {
  let ended = 0
  const c = new WatchChannel<number>({
    maxPending,
    signal,
    deliver: (previous, next) => (previous === next ? undefined : next),
    onEnd: () => {
      ended++
    },
  })
  return { c, ended: () => ended }
}

t.test('a consumer that keeps up gets every state, in order', async (t) => {
  const { c } = channel()
  const got: number[] = []
  const reading = (async () => {
    for await (const n of c) {
      got.push(n)
      if (n === 100) break
    }
  })()
  for (let i = 1; i <= 100; i++) {
    c.push(i)
    await Promise.resolve()
  }
  await reading
  t.same(
    got,
    Array.from({ length: 100 }, (_, i) => i + 1),
  )
})

t.test(
  'a consumer that does not read costs at most maxPending states, and gets the latest',
  async (t) => {
    const { c } = channel(4)
    let most = 0
    for (let i = 1; i <= 10_000; i++) {
      c.push(i)
      most = Math.max(most, c.pending)
    }
    t.ok(most <= 4, `never more than 4 queued (saw ${most})`)
    const got: number[] = []
    while (c.pending > 0) got.push(((await c.next()) as IteratorYieldResult<number>).value)
    t.equal(got.at(-1), 10_000, 'ends at the latest state')
    t.same(
      [...got].sort((a, b) => a - b),
      got,
      'in order',
    )
  },
)

t.test('a state equal to the one delivered last is not delivered again', async (t) => {
  const { c } = channel()
  c.push(1)
  c.push(1)
  c.push(2)
  c.push(2)
  t.same(await c.next(), { value: 1, done: false })
  t.same(await c.next(), { value: 2, done: false })
  c.push(3)
  t.same(await c.next(), { value: 3, done: false }, 'the queued repeat of 2 was dropped')
})

t.test('ending the channel finishes a waiting next(), once, and calls onEnd once', async (t) => {
  const { c, ended } = channel()
  const waiting = c.next()
  c.end()
  t.same(await waiting, { value: undefined, done: true })
  await c.return()
  c.end()
  t.equal(ended(), 1)
  c.push(5)
  t.same(await c.next(), { value: undefined, done: true }, 'nothing after the end')
})

t.test('an aborted signal ends the channel; an already aborted one too', async (t) => {
  const ac = new AbortController()
  const a = channel(undefined, ac.signal)
  const waiting = a.c.next()
  ac.abort()
  t.same(await waiting, { value: undefined, done: true })
  t.equal(a.ended(), 1)
  const b = channel(undefined, AbortSignal.abort())
  t.same(await b.c.next(), { value: undefined, done: true })
  t.equal(b.ended(), 1)
})

t.test('two next() calls at once are a usage error', async (t) => {
  const { c } = channel()
  const first = c.next()
  await t.rejects(c.next(), /before the previous one settled/)
  c.push(1)
  t.same(await first, { value: 1, done: false })
})
