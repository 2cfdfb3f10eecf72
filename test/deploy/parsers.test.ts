// The small readers test/deploy relies on, against generated input: kubectl's stream of JSON
// documents splits back into exactly the values written, whatever strings, escapes and nesting
// they hold; a broken stream is an error, never a wrong split. The Dockerfile reader keeps
// every instruction of a generated file, continuation lines and comments included.
import fc from 'fast-check'
import t from 'tap'
import { parseDockerfile } from './dockerfile.js'
import { splitJsonStream } from './kustomize.js'

const document = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue()),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
)
const space = fc.constantFrom('', ' ', '\n', '\n\n', '\t ')

t.test('a stream of JSON documents splits into exactly those documents', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(document, space, fc.boolean())), (docs) => {
      const text = docs
        .map(([d, gap, pretty]) => JSON.stringify(d, null, pretty ? 4 : undefined) + gap)
        .join('\n')
      const parsed = splitJsonStream(text)
      t.same(
        parsed,
        docs.map(([d]) => JSON.parse(JSON.stringify(d))),
      )
      return true
    }),
    { numRuns: 300 },
  )
})

t.test('a cut or corrupted stream is an error, not a wrong split', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (docs, cutAt) => {
        const text = docs.map((d) => JSON.stringify(d)).join('\n')
        const cut = text.slice(0, 1 + (cutAt % (text.length - 1)))
        let result: unknown[] | undefined
        try {
          result = splitJsonStream(cut)
        } catch {
          return true
        }
        // A cut that happens to fall between documents leaves a prefix of them, intact.
        t.same(
          result,
          docs.slice(0, result.length).map((d) => JSON.parse(JSON.stringify(d))),
        )
        return true
      },
    ),
    { numRuns: 300 },
  )
  t.throws(() => splitJsonStream('{"a":1} x {"b":2}'), /unexpected "x"/)
  t.throws(() => splitJsonStream('{"a":"}'), /ends inside a document/)
})

t.test('the Dockerfile reader keeps every instruction, however it is wrapped', async (t) => {
  const word = fc.stringMatching(/^[a-z0-9./_-]{1,8}$/)
  const instruction = fc.tuple(
    fc.constantFrom('RUN', 'COPY', 'ENV', 'LABEL', 'EXPOSE'),
    fc.array(word, { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat({ max: 5 }), { maxLength: 3 }),
  )
  fc.assert(
    fc.property(fc.array(instruction, { maxLength: 8 }), (instructions) => {
      const lines = ['FROM node:24-slim AS s']
      instructions.forEach(([keyword, words, breaks], n) => {
        // Break after some words, with a comment line inside the continuation now and then.
        let line: string = keyword
        words.forEach((w, i) => {
          if (breaks.includes(i) && i > 0) {
            lines.push(`${line} \\`)
            if (i % 2 === 0) lines.push('  # a comment inside')
            line = `  ${w}`
          } else line += ` ${w}`
        })
        lines.push(line, n % 3 === 0 ? '' : '# between')
      })
      const stage = parseDockerfile(lines.join('\n')).stages[0]!
      t.same(
        stage.instructions.map((i) => `${i.keyword} ${i.args}`),
        instructions.map(([k, w]) => `${k} ${w.join(' ')}`),
      )
      return true
    }),
    { numRuns: 200 },
  )
})
