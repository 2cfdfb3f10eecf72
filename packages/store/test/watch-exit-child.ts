// Child process for the contract's exit test: opens a store, watches, ends its watches in the
// way `mode` says, and then just returns. The parent checks that the process exits by itself,
// i.e. that no watcher, timer, handle or connection was left behind.
//   node watch-exit-child.ts <store spec> break-then-close|close-while-waiting|break-only
import { Dtab } from '@switchyard/dtab'
import { openStore } from '../src/index.js'

const [spec, mode] = process.argv.slice(2)
if (!spec || !mode) throw new Error('usage: watch-exit-child.ts <spec> <mode>')

const store = await openStore(spec)
await store.put('exit-test', Dtab.read('/a => /b'))

if (mode === 'close-while-waiting') {
  const loops = [
    (async () => {
      for await (const _ of store.watch('exit-test')) setTimeout(() => void store.close(), 50)
    })(),
    (async () => {
      for await (const _ of store.watchList()) {
      }
    })(),
  ]
  await Promise.all(loops)
} else {
  for await (const _ of store.watch('exit-test')) break
  for await (const _ of store.watchList()) break
  for await (const _ of store.watch('never-there')) break
  if (mode === 'break-then-close') await store.close()
}
process.stdout.write('watch ended\n')
