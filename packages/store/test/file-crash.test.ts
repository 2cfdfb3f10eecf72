// Writers killed at random moments (SIGKILL, mid-write or not) never leave a torn or foreign
// state: every record file parses and holds exactly a state some writer wrote, and the store
// keeps working afterwards, with nothing stuck (no lock to go stale).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { FileRecord } from '../src/file-layout.js'
import { openFileStore } from '../src/index.js'
import { spawnScript } from './child.js'
import { CRASH_NAMESPACES, crashStateText } from './file-child.js'

const KILLS_PER_LANE = 12
const LANES = 2 // writers running at once on the same directory

// The subtest type (the last overload of t.test takes just the callback).
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

/** The step a crash-loop state was written at (its entries are /s/<ns>/<step>/...). */
function stepOf(text: string): number {
  return Number(/^\/s\/[a-z]+\/(\d+)\//.exec(text)?.[1])
}

/** Checks every record file; returns how many there were. */
async function checkRecords(t: Test, dir: string): Promise<number> {
  let count = 0
  for (const ns of await readdir(join(dir, 'dtabs'))) {
    for (const name of await readdir(join(dir, 'dtabs', ns))) {
      if (!name.endsWith('.json')) continue // a floor marker
      // A live writer may prune a record between the listing and the read.
      const text = await readFile(join(dir, 'dtabs', ns, name), 'utf8').catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      })
      if (text === null) continue
      count++
      const parsed = FileRecord.safeParse(JSON.parse(text))
      if (!parsed.success) {
        t.fail(`${ns}/${name} is not a valid record: ${text.slice(0, 200)}`)
        continue
      }
      const { dtab } = parsed.data
      if (dtab === null) continue // a delete's tombstone
      const step = stepOf(dtab)
      if (
        dtab !== crashStateText(ns, step) ||
        !Dtab.equals(Dtab.read(dtab), Dtab.read(crashStateText(ns, step)))
      ) {
        t.fail(`${ns}/${name} holds a state no writer wrote`)
      }
    }
  }
  return count
}

t.test('file: writers SIGKILLed at random moments leave only whole, written states', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-file-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  let seed = 0
  let kills = 0
  let torn = 0
  const lane = async () => {
    for (let k = 0; k < KILLS_PER_LANE; k++) {
      seed += 1000 // each writer starts at its own step, so states differ between writers
      const child = spawnScript('./file-child.ts', ['crash-loop', dir, String(seed)])
      let output = ''
      child.stderr.on('data', (c) => {
        output += c
      })
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          if (c.toString().includes('ready')) resolve()
        })
        void exited.then((code) => reject(new Error(`writer exited early (${code}): ${output}`)))
      })
      await new Promise((r) => setTimeout(r, Math.random() * 120))
      child.kill('SIGKILL')
      await exited
      if (child.signalCode !== 'SIGKILL') t.fail(`writer died before it was killed: ${output}`)
      const left = await readdir(join(dir, 'tmp'))
      if (left.some((name) => name.startsWith(`${child.pid}-`))) torn++
      kills++
      await checkRecords(t, dir)
    }
  }
  await Promise.all(Array.from({ length: LANES }, lane))
  t.equal(kills, KILLS_PER_LANE * LANES, 'every writer was killed')

  const count = await checkRecords(t, dir)
  t.ok(count > 0, `${count} record files, all whole`)

  t.comment(`${torn} of ${kills} kills landed mid-write (a temp file was left behind)`)

  // The directory still works: every namespace reads, and takes a write at once.
  const store = await openFileStore(dir, { historyLimit: 20 })
  t.teardown(() => store.close())
  for (const ns of CRASH_NAMESPACES) {
    const got = await store.get(ns)
    if (got)
      t.equal(Dtab.show(got.dtab), crashStateText(ns, stepOf(Dtab.show(got.dtab))), `${ns} reads`)
    await store.put(ns, Dtab.read('/after => /crash'))
    t.equal(Dtab.show((await store.get(ns))!.dtab), '/after=>/crash')
  }
  t.same(await readdir(join(dir, 'tmp')), [], 'temp files of killed writers are cleaned up on open')
})
