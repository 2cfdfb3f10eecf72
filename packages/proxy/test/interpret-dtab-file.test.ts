import { open, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { type DtabFileEvent, DtabFileWatcher } from '../src/interpret/index.js'
import { eventually, tempDir } from './interpret-helpers.js'

const BASE = '/srv=>/#/io.l5d.fs;/svc=>/srv'
const EDITED = `${BASE};/svc/world=>/srv/v2`

function watcher(t: { teardown(fn: () => unknown): void }, file: string, settleMs: number) {
  const events: DtabFileEvent[] = []
  const w = new DtabFileWatcher(file, (e) => events.push(e), { settleMs, pollMs: 30 })
  t.teardown(() => w.close())
  const shown = () => events.map((e) => (e.type === 'dtab' ? Dtab.show(e.dtab) : e.type))
  return { w, events, shown }
}

t.test('a save in place is read once written, never as the empty file between', async (t) => {
  const file = join(await tempDir(t), 'base.dtab')
  await writeFile(file, `${BASE}\n`)
  const { w, shown } = watcher(t, file, 100)
  await w.check(true)
  t.same(shown(), [BASE])
  // An editor saving in place: truncate, then (a moment later) the new text.
  const fh = await open(file, 'r+')
  await fh.truncate(0)
  await sleep(40) // longer than a poll tick, shorter than the settle time
  await fh.write(`${EDITED}\n`, 0)
  await fh.close()
  await eventually('the edit applies', () => shown().length === 2)
  await sleep(250) // anything still to come would have come by now
  t.same(shown(), [BASE, EDITED], 'no empty dtab was ever applied')
})

t.test('a file replaced by rename (ConfigMaps, most editors) is read', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'base.dtab')
  await writeFile(file, `${BASE}\n`)
  const { w, shown } = watcher(t, file, 20)
  await w.check(true)
  await writeFile(join(dir, '.base.dtab.tmp'), `${EDITED}\n`)
  await rename(join(dir, '.base.dtab.tmp'), file)
  await eventually('the new file applies', () => shown().length === 2)
  t.same(shown(), [BASE, EDITED])
})

t.test('an unchanged file is not read again, and a closed watcher reports nothing', async (t) => {
  const file = join(await tempDir(t), 'base.dtab')
  await writeFile(file, `${BASE}\n`)
  const { w, shown } = watcher(t, file, 20)
  await w.check(true)
  await sleep(150) // several poll ticks
  t.same(shown(), [BASE])
  w.close()
  await writeFile(file, `${EDITED}\n`)
  await sleep(150)
  t.same(shown(), [BASE])
})
