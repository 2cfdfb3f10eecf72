import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileStore } from '../src/index.js'
import { rolloutContract } from './rollout-contract.js'

rolloutContract('file', async (options) => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-file-rollouts-'))
  // Other instances' changes arrive by polling: poll fast so the tests do not wait on it.
  const open = () => openFileStore(dir, { ...options, pollIntervalMs: 50 })
  return {
    store: await open(),
    spec: `file:${dir}`,
    reopen: open,
    exitsWithoutClose: true,
    async corruptRollout(ns, id) {
      // A hand edit: a new newest record that is not JSON.
      const rdir = join(dir, 'rollouts', ns, id)
      const last = (await readdir(rdir))
        .filter((n) => n.endsWith('.json'))
        .sort()
        .at(-1)!
      const next = String(Number(last.slice(0, 20)) + 1).padStart(20, '0')
      await writeFile(join(rdir, `${next}.json`), '{"format": "switchyard.rollout/v1", "ro')
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true })
    },
  }
})
