// Classes an outside corpus found (llhttp's own cases and public request-smuggling variants,
// run through the proxy beside nginx), each through the real proxy to a recording node:http
// backend, with the client's answer and the backend's bytes checked.
import t from 'tap'
import { headerValues, parseResponses } from './differential/llhttp.js'
import { startRig } from './differential/property.js'
import { runRequestCase } from './differential/request-case.js'
import { runResponseCase } from './differential/response-case.js'

const rig = await startRig({ quietMs: 20, hardMs: 1500 })
t.teardown(() => rig.close())

const CHUNKED = 'POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n'
const NEXT = 'GET /after HTTP/1.1\r\nHost: a\r\n\r\n'

/** Everything the proxy wrote to backend connections during the case, as text. */
const sentOn = (forwarded: readonly Buffer[]) => forwarded.map((b) => b.toString('latin1')).join('')

// RFC 9110 §6.5.1: a trailer section must not carry the message's framing. A node:http
// backend (llhttp) refuses such a request, one that merges trailers into headers may reframe
// what follows; nginx drops the trailers. The proxy refuses them, on both sides.
for (const name of ['Content-Length', 'transfer-ENCODING']) {
  t.test(
    `a request trailer named ${name} is refused with 400 and never reaches the backend`,
    async (t) => {
      const trailer = `${name}: 40\r\n`
      const r = await runRequestCase(rig, Buffer.from(`${CHUNKED}${trailer}\r\n${NEXT}`, 'latin1'))
      const answers = parseResponses(r.proxied.received, ['POST'], true).messages
      t.equal(answers[0]?.status, 400, 'the client gets a 400')
      t.match(answers[0]?.body.toString('latin1') ?? '', /trailer/i, 'the answer names the trailer')
      t.equal(answers.length, 1, 'and nothing after it: the request after it is not read')
      t.notOk(sentOn(r.proxied.forwarded).includes(trailer), 'the trailer line was not forwarded')
      t.same(
        r.proxied.requests.filter((q) => q.complete).map((q) => q.url),
        [],
        'no request reached the backend whole',
      )
    },
  )
}

t.test('a trailer whose name only begins like a framing header goes on', async (t) => {
  const trailers = 'Content-Lengthy: 1\r\nTransfer-Encodin: 2\r\nContent-Lengt: 3\r\n'
  const r = await runRequestCase(rig, Buffer.from(`${CHUNKED}${trailers}\r\n`, 'latin1'), true)
  t.same(r.violations, [], 'the differential property holds')
  const answers = parseResponses(r.proxied.received, ['POST'], true).messages
  t.equal(answers[0]?.status, 200, 'the backend answers')
  t.ok(
    sentOn(r.proxied.forwarded).endsWith(`0\r\n${trailers}\r\n`),
    'the trailers went on as they came',
  )
  t.same(
    r.proxied.requests.map((q) => [q.body.toString('latin1'), q.rawTrailers]),
    [['abc', ['Content-Lengthy', '1', 'Transfer-Encodin', '2', 'Content-Lengt', '3']]],
    'the backend read the body and the three trailers',
  )
})

t.test('a response trailer named Content-Length never reaches the client', async (t) => {
  const trailer = 'Content-Length: 50\r\n'
  const r = await runResponseCase(rig, {
    method: 'GET',
    bytes: Buffer.from(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n${trailer}\r\n`,
      'latin1',
    ),
    split: undefined,
    close: false,
    valid: false,
  })
  const got = r.proxied.received.toString('latin1')
  t.notOk(got.includes(trailer), 'the trailer line was not sent on')
  t.notOk(r.proxied.timedOut, 'the proxy did not leave the client waiting')
  const first = parseResponses(r.proxied.received, ['GET', 'GET'], r.proxied.closed).messages[0]
  if (first?.status === 502) {
    t.ok(headerValues(first.headers, 'l5d-err').length > 0, 'a 502 of the proxy’s own')
  } else {
    t.ok(r.proxied.closed, 'or the body is cut: the connection closes after the last good byte')
    t.notOk(first?.complete, 'and the client does not take the response for a whole one')
  }
})

t.test(
  'a response trailer named Transfer-Encoding that comes after the head was sent cuts the body',
  async (t) => {
    const start = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'
    const trailer = 'Transfer-Encoding: chunked\r\n'
    const r = await runResponseCase(rig, {
      method: 'GET',
      bytes: Buffer.from(`${start}0\r\n${trailer}\r\n`, 'latin1'),
      split: start.length,
      close: false,
      valid: false,
    })
    const got = r.proxied.received.toString('latin1')
    t.notOk(got.includes(trailer), 'the trailer line was not sent on')
    t.notOk(r.proxied.timedOut, 'the proxy did not leave the client waiting')
    const first = parseResponses(r.proxied.received, ['GET', 'GET'], r.proxied.closed).messages[0]
    t.ok(
      first?.status === 502 || (r.proxied.closed && first?.complete !== true),
      'a 502, or a body cut short with the connection',
    )
  },
)
