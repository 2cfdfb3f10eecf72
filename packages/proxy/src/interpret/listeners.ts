// The change listeners and the ready signal both interpreters share.

export class ChangeListeners {
  readonly #listeners = new Set<() => void>()

  add(listener: () => void): () => void {
    // A wrapper per registration, so the same function registered twice counts twice.
    const entry = () => listener()
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  /** Calls every listener; one that throws is reported and does not stop the others. */
  fire(): void {
    for (const l of [...this.#listeners]) {
      try {
        l()
      } catch (err) {
        process.emitWarning(err instanceof Error ? err : String(err), 'InterpreterListenerError')
      }
    }
  }

  clear(): void {
    this.#listeners.clear()
  }
}

/** Resolves when `isReady()` holds (checked now and on each change), or after `timeoutMs`. */
export function whenReady(
  isReady: () => boolean,
  listeners: ChangeListeners,
  timeoutMs: number | undefined,
): Promise<void> {
  if (isReady()) return Promise.resolve()
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const off = listeners.add(() => {
      if (!isReady()) return
      off()
      clearTimeout(timer)
      resolve()
    })
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        off()
        resolve()
      }, timeoutMs)
    }
  })
}
