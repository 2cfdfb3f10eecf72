// A second process writing to a file store, for file.test.ts and file-crash.test.ts.
//   node file-child.ts put <dir> <ns> <count>          puts /n => /<i>, i = 1..count
//   node file-child.ts append <dir> <ns> <count> <id>  count read-modify-write appends of /<id>/<i>
//   node file-child.ts crash-loop <dir> <seed>         writes crashStateText states until killed
import { pathToFileURL } from 'node:url'
import { Dentry, Dtab } from '@switchyard/dtab'
import { openFileStore, VersionMismatchError } from '../src/index.js'

/** The states crash-loop writes: namespace `ns`, step `i`, 1 to 120 entries. */
export function crashStateText(ns: string, i: number): string {
  const n = 1 + ((i * 7919) % 120)
  const entries: string[] = []
  for (let j = 0; j < n; j++)
    entries.push(`/s/${ns}/${i}/${j}=>/d/${j}/with/a/longer/path/${'x'.repeat(1 + (j % 17))}`)
  return entries.join(';')
}

export const CRASH_NAMESPACES = ['alpha', 'beta', 'gamma']

async function main(): Promise<void> {
  const [mode, dir, ...rest] = process.argv.slice(2)
  if (!dir) throw new Error('usage: file-child.ts put|append|crash-loop <dir> ...')
  switch (mode) {
    case 'put': {
      const [ns, count] = rest
      const store = await openFileStore(dir)
      for (let i = 1; i <= Number(count); i++) await store.put(ns!, Dtab.read(`/n => /${i}`))
      await store.close()
      return
    }
    case 'append': {
      const [ns, count, id] = rest
      const store = await openFileStore(dir)
      for (let i = 0; i < Number(count); i++) {
        for (;;) {
          const read = (await store.get(ns!))!
          try {
            await store.update(ns!, [...read.dtab, Dentry.of(`/${id}/${i}`, '/x')], read.version)
            break
          } catch (err) {
            if (!(err instanceof VersionMismatchError)) throw err
          }
        }
      }
      await store.close()
      return
    }
    case 'crash-loop': {
      const seed = Number(rest[0] ?? 0)
      const store = await openFileStore(dir, { historyLimit: 20 })
      process.stdout.write('ready\n')
      for (let i = seed; ; i++) {
        const ns = CRASH_NAMESPACES[i % CRASH_NAMESPACES.length]!
        const dtab = Dtab.read(crashStateText(ns, i))
        const current = await store.get(ns)
        if (i % 7 === 6 && current)
          await store.delete(ns, { version: current.version }).catch(() => {})
        else if (i % 7 === 5 && current)
          await store.update(ns, dtab, current.version).catch(() => {})
        else await store.put(ns, dtab, { who: `child-${process.pid}` })
      }
    }
  }
  throw new Error(`unknown mode ${mode}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
