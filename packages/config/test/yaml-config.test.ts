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

t.test('an unknown key is named', async (t) => {
  const issues = issuesOf('routers:\n  - label: out\n    servers: []\n    srevers: []\n')
  t.match(issues[0], /routers\[0\]: unknown key "srevers"/)
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
