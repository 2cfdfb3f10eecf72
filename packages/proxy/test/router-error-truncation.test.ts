import t from 'tap'
import { truncateEncoded, urlEncodeJava } from '../src/router/error-response.js'

t.test('a long l5d-err is cut where it still decodes, never inside an escape', async (t) => {
  for (const message of ['('.repeat(5000), `a${'('.repeat(5000)}`, `ab${'é'.repeat(3000)}`]) {
    const encoded = urlEncodeJava(message)
    for (const max of [8190, 8191, 8192, 8193]) {
      const cut = truncateEncoded(encoded, max)
      t.ok(cut.length <= max && cut.length > max - 12, `${cut.length} of at most ${max}`)
      t.ok(message.startsWith(decodeURIComponent(cut)), 'decodes to a prefix of the message')
    }
  }
})

t.test('a message that fits is sent whole', async (t) => {
  t.equal(truncateEncoded(urlEncodeJava('no route (x)'), 8192), 'no+route+%28x%29')
})
