// Child process for close.test.ts: uses the namers the way a server does (file namer watched,
// Addr vars watched, a hostname polled), closes everything in the way `mode` says, and returns.
// The parent checks that the process then exits by itself: no watcher, timer or handle left.
//   node exit-child.ts <rootDir> close|iterate-then-close|no-close
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Path } from '@switchyard/dtab'
import { createAddrResolver, mountNamers } from '../src/index.js'

const [rootDir, mode] = process.argv.slice(2)
if (!rootDir || !mode) throw new Error('usage: exit-child.ts <rootDir> <mode>')

const mounted = await mountNamers([{ kind: 'io.l5d.fs', rootDir }], { rescanIntervalMs: 50 })
const resolver = createAddrResolver(mounted.namers, { inet: { refreshMs: 20 } })
const world = resolver.addr(Path.read('/#/io.l5d.fs/world'))
const localhost = resolver.addr(Path.read('/$/inet/localhost/9990'))

if (mode === 'iterate-then-close') {
  const seen: string[] = []
  const dns: string[] = []
  const ac = new AbortController()
  const loops = [
    (async () => {
      for await (const a of world.changes()) {
        seen.push(a.type)
        if (a.type === 'bound' && a.addrs.length === 2) break
        await writeFile(join(rootDir, 'world'), '10.0.0.1 80\n10.0.0.2 80\n')
      }
    })(),
    (async () => {
      for await (const a of localhost.changes(ac.signal)) dns.push(a.type)
    })(),
  ]
  await loops[0]
  setTimeout(() => ac.abort(), 50)
  await loops[1]
  process.stdout.write(`world ${seen.join(',')}; localhost ${dns.join(',')}\n`)
} else {
  const offs = [world.subscribe(() => {}), localhost.subscribe(() => {})]
  await new Promise((r) => setTimeout(r, 100))
  for (const off of offs) off()
}
if (mode !== 'no-close') {
  await mounted.close()
  process.stdout.write('closed\n')
}
