// Both daemons as users run them (bin/*.js --check): a config's problems are listed in the
// file's order, by line and then column (zod lists them in the schema's order: 12:39, 12:17,
// then 2:1), and a key typed short or long of a known one (`maxRetry` for `maxRetries`, three
// edits away) is answered with that key.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const PROXY_BIN = fileURLToPath(new URL('../../proxy/bin/switchyard-proxy.js', import.meta.url))

function check(bin: string, file: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, '--check', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  return new Promise((done) => child.once('close', (code) => done({ code, stderr })))
}

t.test("the proxy: maxRetry suggests maxRetries; problems in the file's order", async (t) => {
  const dir = t.testdir({
    'proxy.yaml': [
      'routers:',
      '  - protocol: http',
      '    bogus: 1',
      '    servers: [{port: 4140}]',
      '    dtab: /svc => /$/inet/127.0.0.1/9001',
      '    service:',
      '      kind: io.l5d.global',
      '      retries: {maxRetry: 3}',
      '    client: {kind: io.l5d.global, loadBalancer: {kind: ewma, nope: 1}}',
      '',
    ].join('\n'),
  })
  const file = join(dir, 'proxy.yaml')
  const { code, stderr } = await check(PROXY_BIN, file)
  t.equal(code, 2)
  t.match(stderr, `unknown key "maxRetry"; did you mean "maxRetries"?`)
  const positions = [...stderr.matchAll(/proxy\.yaml:(\d+):(\d+): /g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ])
  // zod reports the router's unknown key (line 3) after the problems inside it (line 8).
  t.same(positions, [
    [3, 5],
    [8, 17],
  ])
})
