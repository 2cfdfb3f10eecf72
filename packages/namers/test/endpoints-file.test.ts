import t from 'tap'
import { parseEndpointsFile } from '../src/endpoints-file.js'

const ok = (text: string) => {
  const r = parseEndpointsFile(text, 'world')
  if (r.type !== 'ok') throw new Error(`expected ok, got ${r.message}`)
  return r.entries.map(({ host, port, weight }) =>
    weight === undefined ? { host, port } : { host, port, weight },
  )
}
const problem = (text: string) => {
  const r = parseEndpointsFile(text, 'world')
  if (r.type !== 'error') throw new Error('expected an error')
  return r
}

t.test('one "<host> <port>" per line, in file order', async (t) => {
  t.same(ok('127.0.0.1 8080\n10.0.0.2 9090\n'), [
    { host: '127.0.0.1', port: 8080 },
    { host: '10.0.0.2', port: 9090 },
  ])
})

t.test('an optional "* <weight>" gives the endpoint a weight', async (t) => {
  t.same(ok('127.0.0.1 8080\n127.0.0.1 8081 * 0.23\n192.0.2.210 8080 * 2\n'), [
    { host: '127.0.0.1', port: 8080 },
    { host: '127.0.0.1', port: 8081, weight: 0.23 },
    { host: '192.0.2.210', port: 8080, weight: 2 },
  ])
  t.same(
    ok('a 1 * 0\nb 2 * .5\nc 3 * 1e2\nd 4 * +3.\n').map((e) => e.weight),
    [0, 0.5, 100, 3],
  )
})

t.test('comments, blank lines and surrounding whitespace are ignored', async (t) => {
  const text =
    '# the world service\n\n  127.0.0.1   8080  # primary\n\t10.0.0.2\t9090\r\n#10.0.0.3 1\n   \n'
  t.same(ok(text), [
    { host: '127.0.0.1', port: 8080 },
    { host: '10.0.0.2', port: 9090 },
  ])
})

t.test('an empty file, or one with only comments, has no endpoints', async (t) => {
  t.same(ok(''), [])
  t.same(ok('# nothing here yet\n\n'), [])
})

t.test('hostnames and IPv6 literals are hosts too', async (t) => {
  t.same(ok('localhost 80\nworld-v1.default.svc.cluster.local 8080\n::1 443\n'), [
    { host: 'localhost', port: 80 },
    { host: 'world-v1.default.svc.cluster.local', port: 8080 },
    { host: '::1', port: 443 },
  ])
})

t.test('entries remember their line numbers', async (t) => {
  const r = parseEndpointsFile('# header\n\n127.0.0.1 1\n127.0.0.1 2\n', 'world')
  t.same(r.type === 'ok' && r.entries.map((e) => e.line), [3, 4])
})

t.test('a bad line is an error naming the file, the line and the problem', async (t) => {
  const e = problem('127.0.0.1 8080\n\n127.0.0.1:8081\n')
  t.equal(e.line, 3)
  t.equal(
    e.message,
    'world:3: expected "<host> <port>" or "<host> <port> * <weight>", found 1 field in "127.0.0.1:8081"',
  )
})

t.test('each kind of bad line says what is wrong', async (t) => {
  const cases: [string, string][] = [
    ['127.0.0.1 8080 9090', 'found 3 fields'],
    ['127.0.0.1 8080 * 1 extra', 'found 5 fields'],
    ['127.0.0.1 http', 'port "http" is not a number from 1 to 65535'],
    ['127.0.0.1 0', 'port "0" is not a number from 1 to 65535'],
    ['127.0.0.1 65536', 'port "65536" is not a number from 1 to 65535'],
    ['127.0.0.1 -1', 'port "-1" is not a number from 1 to 65535'],
    ['127.0.0.1 8080 x 2.0', 'expected "*" before the weight, found "x"'],
    ['127.0.0.1 8080 * heavy', 'weight "heavy" is not a non-negative number'],
    ['127.0.0.1 8080 * -1', 'weight "-1" is not a non-negative number'],
    ['127.0.0.1 8080 * NaN', 'weight "NaN" is not a non-negative number'],
    ['http://world 8080', 'host "http://world" is neither an IP address nor a hostname'],
  ]
  for (const [line, expected] of cases) {
    const e = problem(`# ok\n${line}\n`)
    t.equal(e.line, 2, line)
    t.ok(e.message.startsWith('world:2: '), e.message)
    t.ok(e.problem.includes(expected), e.problem)
    t.ok(e.problem.endsWith(`in "${line}"`), 'quotes the line')
  }
})

t.test('ports follow Java parseInt: a plus sign and leading zeros are fine', async (t) => {
  t.same(ok('a +80\nb 0080\nc 65535\n'), [
    { host: 'a', port: 80 },
    { host: 'b', port: 80 },
    { host: 'c', port: 65535 },
  ])
})

t.test('the first bad line is the one reported', async (t) => {
  t.equal(problem('a 1\nb x\nc y\n').line, 2)
})

t.test('a byte-order mark at the start is not part of the first host', async (t) => {
  t.same(ok('\ufeff127.0.0.1 80\n'), [{ host: '127.0.0.1', port: 80 }])
})
