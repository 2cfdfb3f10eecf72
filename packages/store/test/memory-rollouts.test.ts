import { openMemoryStore } from '../src/index.js'
import { rolloutContract } from './rollout-contract.js'

rolloutContract('memory', async (options) => ({
  store: openMemoryStore(options),
  spec: 'memory',
  exitsWithoutClose: true,
  async cleanup() {},
}))
