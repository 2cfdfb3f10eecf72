// Hooks that keep a view live without a reload: a value polled on an interval, and a watch
// stream followed (reconnecting after a pause when namerd ends it or is away). Both stop when
// the view goes away, and both keep the last good value while an error is shown.
import { useEffect, useRef, useState } from 'preact/hooks'
import { useApp } from '../context.js'
import { watchLines } from './watch.js'

export interface Live<T> {
  /** The last value read; null before the first. */
  readonly value: T | null
  /** The last failure, cleared by the next success. */
  readonly error: Error | null
  /** Read again now (after a change the view made itself). */
  readonly refresh: () => void
}

/**
 * `read` now and every `everyMs` while the view is shown. A change of `deps` (another namespace,
 * another rollout) starts over from nothing: the last value read was about something else.
 */
export function usePoll<T>(
  read: (signal: AbortSignal) => Promise<T>,
  everyMs: number,
  deps: readonly unknown[],
): Live<T> {
  const [value, setValue] = useState<T | null>(null)
  const [error, setError] = useState<Error | null>(null)
  const [tick, setTick] = useState(0)
  const readRef = useRef(read)
  readRef.current = read
  useEffect(() => {
    setValue(null)
    setError(null)
  }, deps)
  useEffect(() => {
    const ac = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const once = async () => {
      try {
        const v = await readRef.current(ac.signal)
        if (ac.signal.aborted) return
        setValue(v)
        setError(null)
      } catch (err) {
        if (ac.signal.aborted) return
        setError(err instanceof Error ? err : new Error(String(err)))
      }
      if (everyMs > 0) timer = setTimeout(once, everyMs)
    }
    void once()
    return () => {
      ac.abort()
      clearTimeout(timer)
    }
  }, [...deps, tick, everyMs])
  return { value, error, refresh: () => setTick((t) => t + 1) }
}

/**
 * Follows a watch stream: `parse` turns each line into a value (throwing on a bad one, which
 * shows as the error). Reconnects 1 s after the stream ends or fails.
 */
export function useWatch<T>(path: string | null, parse: (line: string) => T): Live<T> {
  const { api } = useApp()
  const [value, setValue] = useState<T | null>(null)
  const [error, setError] = useState<Error | null>(null)
  const [tick, setTick] = useState(0)
  const parseRef = useRef(parse)
  parseRef.current = parse
  useEffect(() => {
    setValue(null)
    if (path === null) return
    const ac = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const follow = async () => {
      try {
        await watchLines(
          api,
          path,
          (line) => {
            setValue(parseRef.current(line))
            setError(null)
          },
          ac.signal,
        )
      } catch (err) {
        if (ac.signal.aborted) return
        setError(err instanceof Error ? err : new Error(String(err)))
      }
      if (!ac.signal.aborted) timer = setTimeout(follow, 1000)
    }
    void follow()
    return () => {
      ac.abort()
      clearTimeout(timer)
    }
  }, [api, path, tick])
  return { value, error, refresh: () => setTick((t) => t + 1) }
}
