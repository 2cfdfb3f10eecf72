import t from 'tap'
import {
  counterVersion,
  revisionVersion,
  versionCounter,
  versionFromIfMatch,
  versionRevision,
  versionsEqual,
  versionToETag,
} from '../src/index.js'

const bytes = (v: Uint8Array) => [...v]

t.test("ETags are standard Base64 with padding, as namerd's", async (t) => {
  t.equal(versionToETag(counterVersion(1)), 'AAAAAAAAAAE=', 'inMemory version 1')
  t.equal(versionToETag(counterVersion(2)), 'AAAAAAAAAAI=')
  t.equal(versionToETag(revisionVersion(42)), 'NDI=', 'etcd revision 42')
  t.equal(versionToETag(revisionVersion('12345')), 'MTIzNDU=', 'k8s resourceVersion 12345')
  t.equal(
    versionToETag(new Uint8Array([0xfb, 0xff])),
    '+/8=',
    'the standard alphabet, not URL-safe',
  )
  const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3)
  t.equal(versionToETag(view), 'AQI=', 'a view encodes only its own bytes')
})

t.test(
  "If-Match is read like Java's MIME decoder: characters outside the alphabet are skipped",
  async (t) => {
    const one = bytes(counterVersion(1))
    t.same(bytes(versionFromIfMatch('AAAAAAAAAAE=')), one)
    t.same(bytes(versionFromIfMatch('"AAAAAAAAAAE="')), one, 'a quoted ETag still matches')
    t.same(
      bytes(versionFromIfMatch('AAAA AAAA\r\nAAE=')),
      one,
      'whitespace and line breaks are skipped',
    )
    t.same(bytes(versionFromIfMatch('AAAAAAAAAAE')), one, 'padding may be missing')
    t.same(bytes(versionFromIfMatch('NDI=')), [0x34, 0x32])
    t.same(
      bytes(versionFromIfMatch('AAA=*')),
      [0, 0],
      'non-alphabet characters after padding are skipped',
    )
    t.same(bytes(versionFromIfMatch('AAé==')), [0], 'non-ASCII is skipped')
    t.same(
      bytes(versionFromIfMatch('yolo')),
      [...Buffer.from('yolo', 'base64')],
      "namerd's garbage example decodes to 3 bytes, matching nothing",
    )
  },
)

t.test('an If-Match Java would reject decodes to no bytes, which matches no version', async (t) => {
  for (const bad of ['x', 'AAAAx', '=', 'AA=A', 'AAAA=', 'AAA=B', 'A===']) {
    t.same(bytes(versionFromIfMatch(bad)), [], JSON.stringify(bad))
  }
  t.same(bytes(versionFromIfMatch('')), [])
})

t.test('counter versions are 8-byte big-endian; anything else has no counter', async (t) => {
  t.same(bytes(counterVersion(258)), [0, 0, 0, 0, 0, 0, 1, 2])
  t.equal(versionCounter(counterVersion(258)), 258)
  t.equal(versionCounter(counterVersion(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER)
  t.equal(versionCounter(new Uint8Array(7)), null)
  t.equal(versionCounter(new Uint8Array(8)), null, 'zero is never a version')
  t.equal(versionCounter(versionFromIfMatch('yolo')), null)
})

t.test('revision versions are positive decimals; anything else has no revision', async (t) => {
  t.equal(versionRevision(revisionVersion(42)), 42n)
  t.equal(versionRevision(revisionVersion('9007199254740993')), 9007199254740993n, 'beyond 2^53')
  for (const text of ['0', '007', '-1', '1.0', ' 1', 'x', '', '12345678901234567890']) {
    t.equal(versionRevision(new TextEncoder().encode(text)), null, JSON.stringify(text))
  }
})

t.test('versionsEqual compares bytes', async (t) => {
  t.ok(versionsEqual(counterVersion(3), counterVersion(3)))
  t.notOk(versionsEqual(counterVersion(3), counterVersion(4)))
  t.notOk(versionsEqual(counterVersion(3), revisionVersion(3)))
  t.ok(versionsEqual(new Uint8Array(), new Uint8Array()))
})
