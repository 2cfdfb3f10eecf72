import { readFileSync } from 'node:fs'
import t from 'tap'
import { PROXY_NODE_FLAGS } from '../src/index.js'

t.test('the command starts node with the flags tests and benchmarks use', async (t) => {
  const bin = readFileSync(new URL('../bin/switchyard-proxy.js', import.meta.url), 'utf8')
  t.equal(bin.split('\n')[0], `#!/usr/bin/env -S node ${PROXY_NODE_FLAGS.join(' ')}`)
})
