import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Dtab, Path } from '@switchyard/dtab'
import t from 'tap'
import { createInterpreter, type Interpreter, InterpreterError } from '../src/interpret/index.js'
import { Routes } from '../src/route/index.js'
import { eventually, tempDir, writeEndpoints } from './interpret-helpers.js'

const BASE = '/srv=>/#/io.l5d.fs;/svc=>/srv'

function track(t: { teardown(fn: () => unknown): void }, i: Interpreter): Interpreter {
  t.teardown(() => i.close())
  return i
}

t.test('a local interpreter routes with its inline dtab and fs namer', async (t) => {
  const dir = await tempDir(t)
  await writeEndpoints(dir, 'world', [8001])
  const i = track(
    t,
    createInterpreter(
      { kind: 'local', dtab: BASE },
      { namers: [{ kind: 'io.l5d.fs', rootDir: dir }] },
    ),
  )
  await i.ready(5000)
  t.equal(Dtab.show(i.dtab!), BASE)
  t.equal(i.status.kind, 'local')
  t.equal(i.status.connected, true)
  const routes = new Routes(i)
  t.teardown(() => routes.close())
  const route = routes.resolve(Path.read('/svc/world/extra'), Dtab.empty)
  if (route.type !== 'route') throw new Error('no dtab')
  const leaf = route.pick()
  t.equal(leaf?.idText, '/#/io.l5d.fs/world')
  t.same(leaf?.residual, ['extra'], 'the fs namer keeps the rest as residual')
  t.same(leaf?.addr.sample(), {
    type: 'bound',
    addrs: [{ ip: '127.0.0.1', port: 8001, meta: {} }],
    meta: {},
  })
  const inet = routes.resolve(Path.read('/x'), Dtab.read('/x=>/$/inet/127.0.0.1/9999'))
  t.equal(
    inet.type === 'route' && inet.pick()?.idText,
    '/$/inet/127.0.0.1/9999',
    '/$/inet binds locally',
  )
})

t.test('a name that appears after its route was cached is routed to', async (t) => {
  const dir = await tempDir(t)
  await writeEndpoints(dir, 'world-v1', [8001])
  const i = track(
    t,
    createInterpreter(
      { kind: 'local', dtab: `${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1` },
      { namers: [{ kind: 'io.l5d.fs', rootDir: dir }] },
    ),
  )
  await i.ready(5000)
  const routes = new Routes(i)
  t.teardown(() => routes.close())
  const route = routes.resolve(Path.read('/svc/world'), Dtab.empty)
  if (route.type !== 'route') throw new Error('no dtab')
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v1', 'v2 does not exist yet')
  await writeEndpoints(dir, 'world-v2', [9001])
  await eventually(
    'v2 is picked once its file exists',
    () => route.pick()?.idText === '/#/io.l5d.fs/world-v2',
  )
  t.equal(routes.resolve(Path.read('/svc/world'), Dtab.empty), route, 'the same cached route')
})

t.test('a dtabFile is watched; a bad edit is refused and the old dtab kept', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'base.dtab')
  await writeFile(file, `${BASE};\n`)
  const i = track(
    t,
    createInterpreter({ kind: 'io.l5d.fs', dtabFile: 'base.dtab' }, { baseDir: dir }),
  )
  await i.ready(5000)
  t.equal(Dtab.show(i.dtab!), BASE)
  let changes = 0
  i.onChange(() => changes++)
  await writeFile(file, `${BASE};/svc/world=>/srv/v2\n`)
  await eventually('the edit applies', () => changes === 1)
  t.equal(Dtab.show(i.dtab!), `${BASE};/svc/world=>/srv/v2`)
  await writeFile(file, '/svc=>>/oops\n')
  await eventually('the bad edit is reported', () => i.status.lastError !== undefined)
  t.match(i.status.lastError, /cannot parse dtab at offset 6/)
  t.equal(Dtab.show(i.dtab!), `${BASE};/svc/world=>/srv/v2`, 'the last good dtab stays')
  t.equal(changes, 1)
  await writeFile(file, `${BASE}\n`)
  await eventually('a good edit applies again', () => changes === 2)
  t.equal(i.status.lastError, undefined)
})

t.test('a bad inline dtab or namers config is refused at once', async (t) => {
  t.throws(() => createInterpreter({ kind: 'local', dtab: '/svc=>>/x' }), InterpreterError)
  t.throws(
    () => createInterpreter({ kind: 'local', dtab: '' }, { namers: [{ kind: 'io.l5d.nope' }] }),
    /unknown namer kind/,
  )
  const missing = createInterpreter(
    { kind: 'local', dtab: BASE },
    { namers: [{ kind: 'io.l5d.fs', rootDir: '/nonexistent/dir' }] },
  )
  t.teardown(() => missing.close())
  await t.rejects(missing.ready(1000), /rootDir/)
  t.match(missing.status.lastError, /rootDir/)
})
