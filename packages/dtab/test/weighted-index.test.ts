// The one weighted-union sampler (pick.ts weightedIndex) behind every weighted pick: the core's
// pickers, a proxy's routes and namerd's resolve. Finagle's rules (semantics §11).
import { bound, compilePicker, NameTree, Path, weightedIndex } from '@switchyard/dtab'
import t from 'tap'

/** How often each index comes up over n evenly spaced draws (i + 0.5) / n. */
function overGrid(weights: number[], n = 1000): number[] {
  const choose = weightedIndex(weights)
  const counts = weights.map(() => 0)
  for (let i = 0; i < n; i++) counts[choose((i + 0.5) / n)]!++
  return counts
}

t.test('member i is drawn with probability w_i / Σw', async (t) => {
  t.strictSame(overGrid([1, 9]), [100, 900])
  t.strictSame(overGrid([1, 2, 3, 4]), [100, 200, 300, 400])
  t.strictSame(overGrid([0.5]), [1000])
  const choose = weightedIndex([1, 1])
  t.equal(choose(0), 0)
  t.equal(choose(0.4999), 0)
  t.equal(choose(0.5), 1)
  t.equal(choose(0.9999999), 1)
})

t.test(
  'a zero weight is never drawn unless every weight is zero, then the draw is uniform',
  async (t) => {
    t.strictSame(overGrid([0, 1, 0]), [0, 1000, 0])
    t.strictSame(overGrid([0, 3, 0, 1]), [0, 750, 0, 250])
    t.strictSame(overGrid([0, 0, 0, 0]), [250, 250, 250, 250])
  },
)

t.test(
  'a zero weight after a subnormal one is never drawn, even when u * Σw rounds up to Σw',
  async (t) => {
    // 0.99 * 5e-324 rounds to 5e-324, which is not below the first member's cumulative weight.
    for (const weights of [
      [5e-324, 0],
      [5e-324, 0, 0],
      [0, 5e-324, 0],
      [1e-323, 5e-324, 0],
    ]) {
      const choose = weightedIndex(weights)
      for (const u of [0, 0.25, 0.5, 0.75, 0.99, 0.999999]) {
        t.ok(
          weights[choose(u)]! > 0,
          `${JSON.stringify(weights)} at u=${u}: drew index ${choose(u)}`,
        )
      }
    }
  },
)

t.test('weights whose sum overflows a double still split by their ratio', async (t) => {
  t.strictSame(overGrid([Number.MAX_VALUE, Number.MAX_VALUE]), [500, 500])
  t.strictSame(overGrid([Number.MAX_VALUE, Number.MAX_VALUE / 4, 0]), [800, 200, 0])
  // Through a parsed union and the core's picker (it drew only the last member before).
  const max = `17976931348623157${'0'.repeat(292)}`
  const tree = NameTree.map(NameTree.read(`${max} * /a & ${max} * /b`), (p) => bound(p))
  const pick = compilePicker(tree)
  const seen = new Set<string>()
  for (const u of [0.1, 0.9]) {
    const r = pick(() => u)
    if (r.type === 'bound') seen.add(Path.show(r.bound.id))
  }
  t.strictSame([...seen].sort(), ['/a', '/b'])
})

t.test('a union has at least one member', async (t) => {
  t.throws(() => weightedIndex([]), RangeError)
})
