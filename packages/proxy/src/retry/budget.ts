// Finagle's RetryBudget (a leaky token bucket): every request deposits, every retry withdraws
// 1/percentCanRetry deposits, and a reserve allows minRetriesPerSec even with no traffic.
// Deposits and withdrawals expire after `ttl`, so the budget follows recent traffic only.

export interface RetryBudgetOptions {
  /** How long a deposit counts; default 10 s. */
  readonly ttlMs?: number
  /** Retries allowed per second whatever the traffic; default 10. */
  readonly minRetriesPerSec?: number
  /** Retries allowed as a fraction of requests, in [0, 1]; default 0.2. */
  readonly percentCanRetry?: number
  /** The clock, in ms; for tests. */
  readonly now?: () => number
}

/** Finagle keeps the bucket in integers scaled by this, so 1/percent is exact enough. */
const SCALE = 1000
const SLOTS = 10

export class RetryBudget {
  /** Retries refused because the budget was empty (Linkerd's `retries/budget_exhausted`). */
  exhausted = 0
  private readonly deposit_: number
  private readonly withdrawal: number
  private readonly reserve: number
  private readonly slotMs: number
  private readonly slots = new Float64Array(SLOTS)
  private sum = 0
  private tick: number
  private readonly now: () => number

  constructor(opts: RetryBudgetOptions = {}) {
    const ttlMs = opts.ttlMs ?? 10_000
    const minPerSec = opts.minRetriesPerSec ?? 10
    const percent = opts.percentCanRetry ?? 0.2
    if (!(ttlMs >= 1000 && ttlMs <= 60_000)) {
      throw new RangeError(`retry budget ttl must be within [1 s, 60 s], got ${ttlMs} ms`)
    }
    if (!(minPerSec >= 0)) throw new RangeError(`minRetriesPerSec must be >= 0, got ${minPerSec}`)
    if (!(percent >= 0 && percent <= 1)) {
      throw new RangeError(`percentCanRetry must be within [0, 1], got ${percent}`)
    }
    // As Finagle: with percentCanRetry 0 nothing is deposited and only the reserve is spent.
    this.deposit_ = percent === 0 ? 0 : SCALE
    this.withdrawal = percent === 0 ? 1 : Math.floor(SCALE / percent)
    this.reserve = minPerSec * (ttlMs / 1000) * this.withdrawal
    this.slotMs = ttlMs / SLOTS
    this.now = opts.now ?? Date.now
    this.tick = Math.floor(this.now() / this.slotMs)
  }

  /** Called once per request (not per retry). */
  deposit(): void {
    if (this.deposit_ === 0) return
    this.add(this.deposit_)
  }

  /** Takes the cost of one retry if the balance allows it; false (and counted) if not. */
  tryWithdraw(): boolean {
    this.advance()
    if (this.reserve + this.sum >= this.withdrawal) {
      this.add(-this.withdrawal)
      return true
    }
    this.exhausted++
    return false
  }

  /** Whole retries the budget allows right now. */
  get balance(): number {
    this.advance()
    return Math.floor((this.reserve + this.sum) / this.withdrawal)
  }

  private add(n: number): void {
    this.advance()
    this.slots[this.tick % SLOTS]! += n
    this.sum += n
  }

  /** Expires the slots that fell out of the window since the last call. */
  private advance(): void {
    const tick = Math.floor(this.now() / this.slotMs)
    if (tick === this.tick) return
    const n = Math.min(tick - this.tick, SLOTS)
    for (let i = 1; i <= n; i++) {
      const idx = (this.tick + i) % SLOTS
      this.sum -= this.slots[idx]!
      this.slots[idx] = 0
    }
    this.tick = tick
  }
}
