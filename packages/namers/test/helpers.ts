// Shared test helpers: temp directories and waiting for a condition.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** What the helpers need of a tap test. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

/** A fresh temp directory, removed when the test ends. */
export async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-namers-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Polls `probe` until it returns true; throws with `what` after `ms`. Returns the time taken. */
export async function eventually(what: string, probe: () => boolean, ms = 1000): Promise<number> {
  const start = Date.now()
  while (!probe()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await sleep(5)
  }
  return Date.now() - start
}
