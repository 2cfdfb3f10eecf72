import { ConfigError, parseYamlConfig } from '@switchyard/config'
import t from 'tap'
import { z } from 'zod'

const Schema = z.strictObject({
  routers: z.array(
    z.strictObject({
      label: z.string(),
      servers: z.array(z.strictObject({ port: z.int().min(0).max(65535) })),
    }),
  ),
})

function issuesOf(text: string): readonly string[] {
  try {
    parseYamlConfig('proxy.yaml', text, Schema)
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('a valid file parses to its typed value', async (t) => {
  const value = parseYamlConfig(
    'proxy.yaml',
    'routers:\n  - label: out\n    servers: [{port: 4140}]\n',
    Schema,
  )
  t.same(value, { routers: [{ label: 'out', servers: [{ port: 4140 }] }] })
})

t.test('a bad value is reported at its line and column with its key path', async (t) => {
  const issues = issuesOf('routers:\n  - label: out\n    servers:\n      - port: 70000\n')
  t.equal(issues.length, 1)
  t.match(issues[0], /^proxy\.yaml:4:15: routers\[0\]\.servers\[0\]\.port: .*65535/)
})

t.test('an unknown key is named at its own line and column, with the nearest key', async (t) => {
  const issues = issuesOf('routers:\n  - label: out\n    servers: []\n    srevers: []\n')
  t.same(issues, ['proxy.yaml:4:5: routers[0]: unknown key "srevers"; did you mean "servers"?'])
})

t.test('several unknown keys are one line each, at each key', async (t) => {
  const issues = issuesOf('routers:\n  - label: out\n    lable: x\n    servers: []\n    zzz: 1\n')
  t.same(issues, [
    'proxy.yaml:3:5: routers[0]: unknown key "lable"; did you mean "label"?',
    'proxy.yaml:5:5: routers[0]: unknown key "zzz"',
  ])
})

t.test("the nearest key is the value's own branch of a union, by its kind", async (t) => {
  const Namer = z.strictObject({
    namers: z.array(
      z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('fs'),
          prefix: z.string().optional(),
          rootDir: z.string(),
        }),
        z.strictObject({ kind: z.literal('k8s'), prefix: z.string().optional(), port: z.int() }),
      ]),
    ),
  })
  const issues = (text: string) => {
    try {
      parseYamlConfig('namerd.yaml', text, Namer)
    } catch (err) {
      if (err instanceof ConfigError) return err.issues
      throw err
    }
    throw new Error('expected a ConfigError')
  }
  t.same(issues('namers:\n  - kind: fs\n    rootDir: /d\n    prefx: /fs\n    prot: 1\n'), [
    'namerd.yaml:4:5: namers[0]: unknown key "prefx"; did you mean "prefix"?',
    'namerd.yaml:5:5: namers[0]: unknown key "prot"',
  ])
})

t.test('a missing key points at the object that lacks it', async (t) => {
  const issues = issuesOf('routers:\n  - servers: []\n')
  t.match(issues[0], /^proxy\.yaml:2:5: routers\[0\]\.label: /)
})

t.test('broken YAML names the line and says so', async (t) => {
  const issues = issuesOf('routers: [\n')
  t.match(issues[0], /^proxy\.yaml:\d+:\d+: not valid YAML: /)
})

t.test('an empty file is an empty object, checked like any other', async (t) => {
  const issues = issuesOf('')
  t.match(issues[0], /^proxy\.yaml:?.*routers: /)
})

t.test('a missing key is reported as required, with what it should be', async (t) => {
  t.match(issuesOf('{}')[0], /^proxy\.yaml:1:1: routers: required: expected array$/)
  const noPort = issuesOf('routers:\n  - label: out\n    servers: [{}]\n')
  t.match(noPort[0], /routers\[0\]\.servers\[0\]\.port: required: expected (int|number)/)
})

t.test(
  'a value wrong for every branch of a union is explained by the branch of its type',
  async (t) => {
    const Kinds = z.discriminatedUnion(
      'kind',
      [
        z.strictObject({ kind: z.literal('a'), n: z.int() }),
        z.strictObject({ kind: z.literal('b') }),
      ],
      {
        error: (i) => (i.code === 'invalid_union' ? 'unknown kind; known kinds: a, b' : undefined),
      },
    )
    const OneOrMany = z.strictObject({ id: z.union([Kinds, z.array(Kinds)]) })
    const issues = (text: string) => {
      try {
        parseYamlConfig('x.yaml', text, OneOrMany)
      } catch (err) {
        if (err instanceof ConfigError) return err.issues
        throw err
      }
      throw new Error('expected a ConfigError')
    }
    t.same(issues('id: {kind: c}\n'), ['x.yaml:1:12: id.kind: unknown kind; known kinds: a, b'])
    t.same(issues('id: {kind: a}\n'), ['x.yaml:1:5: id.n: required: expected number'])
    t.same(issues('id: [{kind: a, n: x}]\n'), [
      'x.yaml:1:19: id[0].n: Invalid input: expected number, received string',
    ])
    t.equal(issues('id: 3\n').length, 1, 'a value of neither type keeps the union message')
  },
)

t.test('a missing key whose schema already says "required" is not told twice', async (t) => {
  const Dir = z.strictObject({ rootDir: z.string({ error: 'required: the directory to read' }) })
  let issues: readonly string[] = []
  try {
    parseYamlConfig('x.yaml', '{}\n', Dir)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    issues = err.issues
  }
  t.same(issues, ['x.yaml:1:1: rootDir: required: the directory to read'])
})

t.test('a key typed short or long of a known one is answered with it', async (t) => {
  const Retries = z.strictObject({ maxRetries: z.int(), budget: z.int().optional() })
  const issues = (text: string) => {
    try {
      parseYamlConfig('r.yaml', text, Retries)
    } catch (err) {
      if (err instanceof ConfigError) return err.issues
      throw err
    }
    return []
  }
  t.match(issues('maxRetries: 1\nmaxRetry: 1\n'), [
    /unknown key "maxRetry"; did you mean "maxRetries"\?$/,
  ])
  t.match(issues('maxRetries: 1\nmaxRetriesPerRequest: 1\n'), [
    /unknown key "maxRetriesPerRequest"; did you mean "maxRetries"\?$/,
  ])
  // Too short to say which was meant, or no known key near it: no guess.
  t.match(issues('maxRetries: 1\nma: 1\n'), [/unknown key "ma"$/])
  t.match(issues('maxRetries: 1\nflavour: 1\n'), [/unknown key "flavour"$/])
})

t.test("problems are listed in the file's order, by line then column", async (t) => {
  // zod reports a bad value before the object's unknown keys; the file has them the other way.
  const issues = issuesOf('routers:\n  - labl: out\n    label: 1\n    servers: [{port: 70000}]\n')
  t.match(issues, [/^proxy\.yaml:2:5: /, /^proxy\.yaml:3:12: /, /^proxy\.yaml:4:22: /])
})
