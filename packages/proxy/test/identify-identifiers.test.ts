import { Path } from '@switchyard/dtab'
import t from 'tap'
import { createIdentifier, IdentifierConfig, type RequestLike } from '../src/identify/index.js'

const SVC = ['svc']
const req = (r: Partial<RequestLike>): RequestLike => ({
  method: 'GET',
  url: '/',
  httpVersion: '1.1',
  headers: {},
  ...r,
})
const show = (r: ReturnType<ReturnType<typeof createIdentifier>>) =>
  r.ok ? Path.show(r.dst) : `unidentified: ${r.reason}`

t.test('the default identifier names a request by its Host as one raw segment', async (t) => {
  const id = createIdentifier(undefined, SVC)
  t.equal(show(id(req({ headers: { host: 'world' } }))), '/svc/world')
  t.equal(
    show(id(req({ headers: { host: 'World:8080' } }))),
    '/svc/World:8080',
    ':port and case kept',
  )
  const a = id(req({ headers: { host: 'web' } }))
  const b = id(req({ headers: { host: 'web' } }))
  t.equal(a, b, 'the same Host gives the cached answer')
})

t.test('a request without Host, or with an empty one, is unidentified', async (t) => {
  const id = createIdentifier(undefined, SVC)
  t.match(show(id(req({}))), /^unidentified: no Host header/)
  t.match(show(id(req({ headers: { host: '' } }))), /^unidentified/)
})

t.test('io.l5d.header.token reads the configured header under the router prefix', async (t) => {
  const id = createIdentifier({ kind: 'io.l5d.header.token', header: 'X-Service' }, ['http'])
  t.equal(show(id(req({ headers: { 'x-service': 'users' } }))), '/http/users')
})

t.test('io.l5d.methodAndHost follows Linkerd: version, method, lower-cased host', async (t) => {
  const id = createIdentifier({ kind: 'io.l5d.methodAndHost' }, SVC)
  t.equal(
    show(id(req({ method: 'POST', headers: { host: 'Web.Example' } }))),
    '/svc/1.1/POST/web.example',
  )
  t.equal(
    show(id(req({ httpVersion: '1.0', headers: {} }))),
    '/svc/1.0/GET',
    'HTTP/1.0 needs no Host',
  )
  t.match(show(id(req({ headers: {} }))), /^unidentified: no Host/)
  const uri = createIdentifier({ kind: 'io.l5d.methodAndHost', httpUriInDst: true }, SVC)
  t.equal(show(uri(req({ url: '/a/b?x=1', headers: { host: 'h' } }))), '/svc/1.1/GET/h/a/b')
  t.equal(show(uri(req({ httpVersion: '1.0', url: '/a' }))), '/svc/1.0/GET/a')
})

t.test('io.l5d.path takes the first segments and can consume them from the URL', async (t) => {
  const one = createIdentifier({ kind: 'io.l5d.path' }, SVC)
  const r = one(req({ url: '/users/42?q=1' }))
  t.equal(show(r), '/svc/users')
  t.notOk(r.ok && r.rewrittenUrl, 'no rewrite without consume')
  const two = createIdentifier({ kind: 'io.l5d.path', segments: 2, consume: true }, SVC)
  const c = two(req({ url: '/api/users/42?q=1' }))
  t.equal(show(c), '/svc/api/users')
  t.equal(c.ok && c.rewrittenUrl, '/42?q=1')
  const all = two(req({ url: '/api/users' }))
  t.equal(all.ok && all.rewrittenUrl, '/', 'consuming everything leaves /')
  t.match(
    show(two(req({ url: '/api' }))),
    /^unidentified: the request path has fewer than 2 segments/,
  )
})

t.test('io.l5d.header reads a path from l5d-name', async (t) => {
  const id = createIdentifier({ kind: 'io.l5d.header' }, SVC)
  t.equal(show(id(req({ headers: { 'l5d-name': '/users/v2' } }))), '/svc/users/v2')
  t.match(
    show(id(req({ headers: { 'l5d-name': 'users' } }))),
    /^unidentified: l5d-name is not a path/,
  )
  t.match(show(id(req({}))), /^unidentified: no l5d-name header/)
})

t.test('io.l5d.static names every request the same', async (t) => {
  const id = createIdentifier({ kind: 'io.l5d.static', path: '/fixed/name' }, SVC)
  t.equal(show(id(req({}))), '/svc/fixed/name')
})

t.test('a list of identifiers is tried in order; all failing gives every reason', async (t) => {
  const id = createIdentifier(
    [{ kind: 'io.l5d.header', header: 'x-dst' }, { kind: 'io.l5d.header.token' }],
    SVC,
  )
  t.equal(show(id(req({ headers: { 'x-dst': '/a', host: 'h' } }))), '/svc/a')
  t.equal(show(id(req({ headers: { host: 'h' } }))), '/svc/h')
  t.equal(show(id(req({}))), 'unidentified: no x-dst header; no Host header')
})

t.test('identifier configs are checked with Linkerd key names', async (t) => {
  t.ok(IdentifierConfig.safeParse({ kind: 'io.l5d.path', segments: 2, consume: true }).success)
  const unknown = IdentifierConfig.safeParse({ kind: 'io.l5d.nope' })
  t.notOk(unknown.success)
  t.match(unknown.error?.issues[0]?.message, /unknown identifier kind "io.l5d.nope"/)
  t.notOk(IdentifierConfig.safeParse({ kind: 'io.l5d.static' }).success, 'static needs a path')
  t.notOk(IdentifierConfig.safeParse({ kind: 'io.l5d.static', path: 'nope' }).success)
  t.notOk(IdentifierConfig.safeParse({ kind: 'io.l5d.header.token', hedaer: 'x' }).success)
})
