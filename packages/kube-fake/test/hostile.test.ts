// Hostile input: garbage, huge, deep or random requests get a 4xx Status and never crash the fake;
// the parsers (selectors, patches, pruning) hold their properties on generated input.
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { isObject, type Json } from '../src/json.js'
import { mergePatch } from '../src/patch.js'
import { pruneObject } from '../src/prune.js'
import type { SchemaNode } from '../src/schema.js'
import { parseFieldSelector, parseLabelSelector } from '../src/selectors.js'
import { StatusError } from '../src/status.js'
import { DTABS, dtab, json, send, startWithCrds } from './helpers.js'

t.test('undecodable bodies are 400 BadRequest Status bodies', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  for (const body of [
    '{not json',
    '[1,2]',
    '"a string"',
    'null',
    '{"apiVersion":"l5d.io/v1alpha1"}',
    '{"apiVersion":"l5d.io/v1alpha1","kind":"DTab","metadata":{"labels":{"a":1}}}',
    '',
  ]) {
    const r = await send(api, 'POST', DTABS, body)
    t.equal(r.status, 400, JSON.stringify(body))
    t.equal(json(r).reason, 'BadRequest')
    t.equal(json(r).kind, 'Status')
  }
  const wrongKind = await send(api, 'POST', DTABS, { ...dtab('a'), kind: 'Other' })
  t.equal(wrongKind.status, 400)
  t.equal(api.revision, 0)
})

t.test(
  'a body over the limit is 413, by Content-Length or while streaming; the server keeps serving',
  async (t) => {
    const api = await startWithCrds({ maxBodyBytes: 1000 })
    t.teardown(() => api.close())
    const big = JSON.stringify({ ...dtab('a'), pad: 'x'.repeat(2000) })
    const declared = await send(api, 'POST', DTABS, big)
    t.equal(declared.status, 413)
    t.equal(
      declared.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 1000","reason":"RequestEntityTooLarge","code":413}\n',
    )
    const chunked = await new Promise<string>((resolve) => {
      const socket = connect(api.port, '127.0.0.1', () => {
        socket.write(
          `POST ${DTABS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        )
        socket.write(`${(800).toString(16)}\r\n${'a'.repeat(800)}\r\n`)
        socket.write(`${(800).toString(16)}\r\n${'a'.repeat(800)}\r\n`)
      })
      let text = ''
      socket.on('data', (d) => {
        text += d.toString()
      })
      socket.on('close', () => resolve(text))
      socket.on('error', () => resolve(text))
    })
    t.match(chunked, /^HTTP\/1\.1 413 /)
    t.equal((await send(api, 'GET', DTABS)).status, 200)
  },
)

t.test('JSON nested past 10000 levels is 400; the fake does not recurse into it', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const deep = `{"apiVersion":"l5d.io/v1alpha1","kind":"DTab","metadata":{"name":"d"},"x":${'['.repeat(10_001)}${']'.repeat(10_001)}}`
  const r = await send(api, 'POST', DTABS, deep)
  t.equal(r.status, 400)
  t.match(json(r).message, /exceeded max depth/)
  t.equal((await send(api, 'GET', DTABS)).status, 200)
})

t.test('a malformed HTTP request gets 400 and the server keeps serving', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const reply = await new Promise<string>((resolve) => {
    const socket = connect(api.port, '127.0.0.1', () =>
      socket.write('GARBAGE\x00\x01 / HTTP/9\r\n\r\n'),
    )
    let text = ''
    socket.on('data', (d) => {
      text += d.toString()
    })
    socket.on('close', () => resolve(text))
    socket.on('error', () => resolve(text))
  })
  t.match(reply, /^HTTP\/1\.1 400 /)
  t.equal((await send(api, 'GET', DTABS)).status, 200)
})

t.test(
  'random requests never crash the fake nor get a 500 other than the documented one',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const segment = fc.constantFrom(
      'dtabs',
      'a',
      'b',
      'namespaces',
      'default',
      'watch',
      '%zz',
      '..',
      '',
      'status',
      'Ä',
    )
    const path = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((s) => `/apis/l5d.io/v1alpha1/${s.join('/')}`),
      fc.array(segment, { maxLength: 6 }).map((s) => `/api/v1/${s.join('/')}`),
      fc.string().map((s) => `/${encodeURIComponent(s)}`),
    )
    const query = fc
      .array(
        fc.tuple(
          fc.constantFrom(
            'limit',
            'continue',
            'resourceVersion',
            'resourceVersionMatch',
            'labelSelector',
            'fieldSelector',
            'fieldValidation',
            'timeoutSeconds',
          ),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => new URLSearchParams(pairs).toString())
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({
          apiVersion: fc.constantFrom('l5d.io/v1alpha1', 'v1', 'x'),
          kind: fc.constantFrom('DTab', 'Status'),
          metadata: fc.record({ name: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }),
          dentries: fc.anything({ maxDepth: 3 }),
        })
        .map((o) => JSON.stringify(o)),
    )
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
    await fc.assert(
      fc.asyncProperty(method, path, query, body, async (m, p, q, b) => {
        const headers: Record<string, string> =
          m === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}
        // Every request carries timeoutSeconds=1, so a generated watch path ends on its own.
        const params = new URLSearchParams(q)
        params.set('timeoutSeconds', '1')
        const r = await send(api, m, `${p}?${params}`, m === 'GET' ? undefined : b, headers)
        if (r.status >= 500 && r.status !== 504) return false
        return r.status >= 200 && r.status < 600
      }),
      { numRuns: 300 },
    )
    t.equal((await send(api, 'GET', DTABS)).status, 200, 'still serving')
  },
)

t.test('selector parsers return a matcher or a 400 StatusError for any input', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (text) => {
      for (const parse of [parseLabelSelector, parseFieldSelector]) {
        try {
          const match = parse(text)
          match({ metadata: { name: 'a', labels: { a: 'b' } } })
        } catch (err) {
          if (!(err instanceof StatusError) || err.code !== 400) return false
        }
      }
      return true
    }),
    { numRuns: 2000 },
  )
  t.pass('no other exception')
})

t.test('merge patch is idempotent and a patch of its own result is a no-op', async (t) => {
  const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>
  fc.assert(
    fc.property(json, json, (target, patch) => {
      const once = mergePatch(target, patch)
      return JSON.stringify(mergePatch(once, patch)) === JSON.stringify(once)
    }),
    { numRuns: 1000 },
  )
  t.pass()
})

t.test('pruning only removes, and pruning twice is pruning once', async (t) => {
  const schema: SchemaNode = {
    type: 'object',
    properties: {
      a: { type: 'object', properties: { b: { type: 'string' } } },
      l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  }
  const subset = (small: Json, big: Json): boolean => {
    if (Array.isArray(small))
      return Array.isArray(big) && small.every((v, i) => subset(v, big[i] ?? null))
    if (isObject(small))
      return (
        isObject(big) &&
        Object.entries(small).every(([k, v]) => k in big && subset(v, big[k] ?? null))
      )
    return small === big
  }
  const value = fc.dictionary(
    fc.constantFrom('a', 'b', 'l', 'k', 'free', 'x', 'metadata'),
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  )
  fc.assert(
    fc.property(value, (raw) => {
      const original = structuredClone(raw) as Json
      const once = structuredClone(raw) as { [key: string]: Json }
      pruneObject(once, schema)
      const twice = structuredClone(once)
      const dropped = pruneObject(twice, schema)
      return (
        subset(once, original) &&
        dropped.length === 0 &&
        JSON.stringify(twice) === JSON.stringify(once)
      )
    }),
    { numRuns: 1000 },
  )
  t.pass()
})
