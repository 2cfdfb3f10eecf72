// A value that changes over time, in the spirit of Finagle's `Var`: sample it, or subscribe to
// its changes. Listeners hear only distinct changes (by the var's equality), and an async var
// does its work (watching, polling) only while someone listens.

export type Listener<T> = (value: T) => void
export type Equals<T> = (a: T, b: T) => boolean
/** Starts producing values through `update`; returns the function that stops it. */
export type Producer<T> = (update: (value: T) => void) => () => void

export interface VarOptions<T> {
  /** When two values count as the same (no notification). Default `Object.is`. */
  readonly equals?: Equals<T>
}

export class Var<T> {
  #value: T
  readonly #equals: Equals<T>
  readonly #listeners = new Set<Listener<T>>()
  readonly #producer: Producer<T> | undefined
  #stop: (() => void) | undefined
  #notifying = false
  #delivered: T

  protected constructor(initial: T, options: VarOptions<T> = {}, producer?: Producer<T>) {
    this.#value = initial
    this.#delivered = initial
    this.#equals = options.equals ?? Object.is
    this.#producer = producer
  }

  /** A var that never changes. */
  static value<T>(value: T): Var<T> {
    return new Var(value)
  }

  /**
   * A var fed by `producer`, which runs from the first subscription until the last one ends
   * (and again after that, as needed). The value survives a stop, so a restart begins from it.
   */
  static async<T>(initial: T, producer: Producer<T>, options?: VarOptions<T>): Var<T> {
    return new Var(initial, options, producer)
  }

  /** A var whose owner sets it. */
  static mutable<T>(initial: T, options?: VarOptions<T>): MutableVar<T> {
    return new MutableVar(initial, options)
  }

  /**
   * The current value. An async var that nobody watches is started and stopped around the
   * read, so a producer that answers synchronously gives a fresh value (as Finagle's does).
   */
  sample(): T {
    if (this.#producer === undefined || this.#stop !== undefined) return this.#value
    const unsubscribe = this.subscribe(() => {})
    const value = this.#value
    unsubscribe()
    return value
  }

  /**
   * Calls `listener` with each later value that differs from the one before it (not with the
   * current value). Returns the function that unsubscribes; calling it twice is harmless.
   */
  subscribe(listener: Listener<T>): () => void {
    // A wrapper per subscription, so the same function subscribed twice counts twice.
    const entry: Listener<T> = (v) => listener(v)
    this.#listeners.add(entry)
    if (this.#listeners.size === 1 && this.#producer !== undefined && this.#stop === undefined) {
      this.#delivered = this.#value
      this.#stop = this.#producer((v) => this.update(v))
    }
    return () => {
      if (!this.#listeners.delete(entry)) return
      if (this.#listeners.size === 0 && this.#stop !== undefined) {
        const stop = this.#stop
        this.#stop = undefined
        stop()
      }
    }
  }

  /**
   * The current value, then each distinct change, as an async iterable. A slow consumer sees
   * the latest value, not every intermediate one. Ends (and unsubscribes) when the loop breaks
   * or `signal` aborts.
   */
  changes(signal?: AbortSignal): AsyncIterableIterator<T> {
    return new Changes(this, this.#equals, signal)
  }

  /** How many subscriptions are open (for tests and leak checks). */
  get observers(): number {
    return this.#listeners.size
  }

  /** Sets the value and tells listeners, unless it equals the current one. */
  protected update(value: T): void {
    if (this.#equals(this.#value, value)) return
    this.#value = value
    // A listener that updates the var again is told afterwards, in order, never re-entrantly.
    if (this.#notifying) return
    this.#notifying = true
    const errors: unknown[] = []
    try {
      while (!this.#equals(this.#delivered, this.#value)) {
        const v = this.#value
        this.#delivered = v
        for (const l of [...this.#listeners]) {
          if (!this.#listeners.has(l)) continue
          try {
            l(v)
          } catch (err) {
            errors.push(err)
          }
        }
      }
    } finally {
      this.#notifying = false
    }
    // Every listener heard the news; a failing one is its owner's bug, reported to the setter.
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'Var listeners failed')
  }
}

/**
 * For producers that update a var from a callback: a listener's error must not stop the
 * producer (or become an unhandled rejection), so it is reported as a process warning.
 */
export function updateSafely<T>(update: (value: T) => void, value: T): void {
  try {
    update(value)
  } catch (err) {
    process.emitWarning(err instanceof Error ? err : String(err), 'VarListenerError')
  }
}

export class MutableVar<T> extends Var<T> {
  set(value: T): void {
    this.update(value)
  }
}

class Changes<T> implements AsyncIterableIterator<T> {
  #started = false
  #done = false
  #unsubscribe: (() => void) | undefined
  #pending: { value: T } | undefined
  #last: { value: T } | undefined
  readonly #waiters: ((r: IteratorResult<T>) => void)[] = []
  readonly #onAbort = () => this.#finish()

  constructor(
    private readonly source: Var<T>,
    private readonly equals: Equals<T>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }

  next(): Promise<IteratorResult<T>> {
    // Subscribe on the first pull, not on creation, so an iterator never pulled holds nothing.
    if (!this.#started) this.#start()
    const ready = this.#take()
    if (ready !== undefined) return Promise.resolve(ready)
    if (this.#done) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  return(): Promise<IteratorResult<T>> {
    this.#finish()
    return Promise.resolve({ done: true, value: undefined })
  }

  #start(): void {
    this.#started = true
    if (this.signal?.aborted) {
      this.#finish()
      return
    }
    this.signal?.addEventListener('abort', this.#onAbort, { once: true })
    this.#unsubscribe = this.source.subscribe((value) => {
      this.#pending = { value }
      this.#deliver()
    })
    // After subscribing, so a value the producer set while starting is the one we begin with.
    this.#pending = { value: this.source.sample() }
  }

  #take(): IteratorResult<T> | undefined {
    if (this.#done || this.#pending === undefined) return undefined
    const p = this.#pending
    this.#pending = undefined
    if (this.#last !== undefined && this.equals(this.#last.value, p.value)) return undefined
    this.#last = p
    return { done: false, value: p.value }
  }

  #deliver(): void {
    if (this.#waiters.length === 0) return
    const r = this.#take()
    if (r !== undefined) this.#waiters.shift()!(r)
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    this.#pending = undefined
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.signal?.removeEventListener('abort', this.#onAbort)
    for (const w of this.#waiters.splice(0)) w({ done: true, value: undefined })
  }
}
