// Power of two choices (Mitzenmacher; Finagle's default balancer): sample two endpoints and
// take the less loaded, load being outstanding requests divided by weight. Sampling is
// proportional to weight, so idle endpoints get traffic in proportion to their weights too.
import type { EndpointNode, EndpointPool } from './endpoint.js'

/** A set of endpoints prepared for weighted sampling; rebuilt only when the set changes. */
export class Distribution<P extends EndpointPool = EndpointPool> {
  readonly nodes: readonly EndpointNode<P>[]
  private readonly cumulative: Float64Array
  private readonly total: number
  private readonly uniform: boolean

  constructor(nodes: readonly EndpointNode<P>[]) {
    this.nodes = nodes
    this.cumulative = new Float64Array(nodes.length)
    let total = 0
    let uniform = true
    for (let i = 0; i < nodes.length; i++) {
      const w = nodes[i]!.weight
      if (w !== nodes[0]!.weight) uniform = false
      total += w
      this.cumulative[i] = total
    }
    this.total = total
    this.uniform = uniform
  }

  get size(): number {
    return this.nodes.length
  }

  sample(random: () => number): EndpointNode<P> {
    const n = this.nodes.length
    if (this.uniform) return this.nodes[Math.floor(random() * n)]!
    const x = random() * this.total
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.cumulative[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return this.nodes[lo]!
  }
}

/** The lighter of two weighted samples; undefined for an empty set. */
export function p2c<P extends EndpointPool>(
  d: Distribution<P>,
  random: () => number,
): EndpointNode<P> | undefined {
  const n = d.size
  if (n <= 1) return d.nodes[0]
  const a = d.sample(random)
  let b = d.sample(random)
  // One resample for a distinct second choice; with very skewed weights a repeat is fine.
  if (b === a) b = d.sample(random)
  // a.outstanding / a.weight <= b.outstanding / b.weight, without dividing.
  return a.outstanding * b.weight <= b.outstanding * a.weight ? a : b
}
