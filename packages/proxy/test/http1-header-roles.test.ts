// One table says what the proxy does with each header (http1/header-roles.ts); the fast
// response scan reads names with a classifier of its own, for speed, and must agree with it.
import fc from 'fast-check'
import t from 'tap'
import { stripHopByHop } from '../src/forward/hop-by-hop.js'
import { connectionTokens, HEADER_ROLES, HOP_BY_HOP, roleOf } from '../src/http1/header-roles.js'
import { scanRole } from '../src/http1/response-scan.js'
import { outboundHeaders } from '../src/router/outbound-headers.js'

/** What a response does with a name of each role: the router's replacements are requests'. */
const onResponse = (name: string) => {
  const role = roleOf(name)
  return role === 'replace' ? 'pass' : role
}

const mixedCase = (name: string) =>
  [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('')

t.test('the scan classifies every name of the table as the table says, in any case', async (t) => {
  for (const name of HEADER_ROLES.keys()) {
    const want = onResponse(name)
    for (const spelling of [name, name.toUpperCase(), mixedCase(name)]) {
      const got = scanRole(spelling)
      // A hop-by-hop header the scan does not handle sends the head to the full parser.
      if (want === 'drop') t.match(got, /^(drop|bail)$/, `${spelling} is dropped or left`)
      else t.equal(got, want, `${spelling} is ${want}`)
    }
  }
})

t.test('the scan passes every name the table does not hold', async (t) => {
  const tchar = fc.constantFrom(
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&*+^`|~',
  )
  fc.assert(
    fc.property(
      fc.array(tchar, { minLength: 1, maxLength: 24 }).map((cs) => cs.join('')),
      (name) => HEADER_ROLES.has(name.toLowerCase()) || scanRole(name) === 'pass',
    ),
    { numRuns: 2000, seed: 11 },
  )
  t.pass('2000 generated names pass')
  // Names one length and a letter away from the table's.
  for (const name of HEADER_ROLES.keys()) {
    const near = `${name.slice(0, -1)}x`
    if (!HEADER_ROLES.has(near)) t.equal(scanRole(near), 'pass', near)
  }
})

t.test('every drop name, and Transfer-Encoding, is hop by hop on both sides', async (t) => {
  const headers: Record<string, string> = { host: 'a', 'x-end': '1' }
  for (const name of HOP_BY_HOP) headers[name] = 'x'
  t.same(stripHopByHop({ ...headers }), { host: 'a', 'x-end': '1' }, 'forwarding strips them')
  const out = outboundHeaders(headers, {
    service: '/svc/a',
    client: '/$/inet/127.0.0.1/1',
    residual: undefined,
    ctxDtab: '',
    reqId: '0',
  })
  for (const [name, role] of HEADER_ROLES) {
    if (role === 'drop' || name === 'transfer-encoding') t.notOk(name in out, `${name} not sent`)
  }
  t.equal(out['x-end'], '1')
})

t.test('Connection: its options, and the headers it names but for framing and Host', async (t) => {
  t.same(connectionTokens(undefined), { close: false, keepAlive: false, upgrade: false, named: [] })
  t.same(connectionTokens('Keep-Alive'), {
    close: false,
    keepAlive: true,
    upgrade: false,
    named: [],
  })
  t.same(connectionTokens(' close\t'), { close: true, keepAlive: false, upgrade: false, named: [] })
  t.same(connectionTokens(['upgrade', 'X-Foo , content-length,Host']), {
    close: false,
    keepAlive: false,
    upgrade: true,
    named: ['upgrade', 'x-foo'],
  })
  t.equal(connectionTokens('x-close-y').close, false, 'close only as a whole element')
  t.equal(connectionTokens('keep-alive, close').close, true)
})
