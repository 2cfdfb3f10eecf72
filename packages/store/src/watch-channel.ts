// The async iterator behind every watch. A backend pushes states; the consumer pulls them. The
// queue is bounded: past `maxPending` undelivered states it collapses (by default to the latest
// one), so a slow consumer costs constant memory and still ends up at the current state.

export const DEFAULT_MAX_PENDING = 64

export interface ChannelOptions<T> {
  readonly maxPending?: number
  readonly signal?: AbortSignal
  /**
   * Turns a queued state into the event to deliver, given the last one delivered; undefined
   * drops it (the consumer already has that state).
   */
  readonly deliver: (previous: T | undefined, next: T) => T | undefined
  /** Called once when the channel ends, whoever ends it: release the backend's resources. */
  readonly onEnd: () => void
  /**
   * What an overfull queue keeps; default its last state. A channel of many subjects (every
   * rollout of a namespace) keeps the latest state of each instead.
   */
  readonly collapse?: (queue: readonly T[]) => T[]
}

export class WatchChannel<T> implements AsyncIterableIterator<T> {
  private queue: T[] = []
  private waiter: ((result: IteratorResult<T, undefined>) => void) | null = null
  private last: T | undefined
  private ended = false
  private readonly maxPending: number
  private readonly abort: (() => void) | null = null

  constructor(private readonly options: ChannelOptions<T>) {
    this.maxPending = Math.max(1, options.maxPending ?? DEFAULT_MAX_PENDING)
    const { signal } = options
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.end())
      else {
        this.abort = () => this.end()
        signal.addEventListener('abort', this.abort, { once: true })
      }
    }
  }

  get closed(): boolean {
    return this.ended
  }

  /** Undelivered states (for tests and metrics). */
  get pending(): number {
    return this.queue.length
  }

  push(state: T): void {
    if (this.ended) return
    if (this.waiter && this.queue.length === 0) {
      const event = this.options.deliver(this.last, state)
      if (event === undefined) return
      this.last = event
      const waiter = this.waiter
      this.waiter = null
      waiter({ value: event, done: false })
      return
    }
    this.queue.push(state)
    if (this.queue.length > this.maxPending) {
      this.queue = this.options.collapse?.(this.queue) ?? [state]
    }
  }

  /** Ends the iteration; queued states are dropped. */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.queue = []
    if (this.abort) this.options.signal?.removeEventListener('abort', this.abort)
    const waiter = this.waiter
    this.waiter = null
    waiter?.({ value: undefined, done: true })
    this.options.onEnd()
  }

  next(): Promise<IteratorResult<T, undefined>> {
    while (this.queue.length > 0) {
      const event = this.options.deliver(this.last, this.queue.shift()!)
      if (event === undefined) continue
      this.last = event
      return Promise.resolve({ value: event, done: false })
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true })
    if (this.waiter)
      return Promise.reject(new Error('watch: next() called before the previous one settled'))
    return new Promise((resolve) => {
      this.waiter = resolve
    })
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.end()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
