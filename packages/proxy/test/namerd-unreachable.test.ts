// A namerd the proxy cannot reach is named as namerd, with its address, wherever the failure
// shows: the 503 a request gets, /admin/ready and the log. A bare `connect ECONNREFUSED
// 10.0.0.7:4180` did not say that it was namerd, nor which. The real command
// (bin/switchyard-proxy.js).
import t from 'tap'
import { deadPort } from './forward-helpers.js'
import { eventually, tempDir } from './interpret-helpers.js'
import { startProxyProcess, writeConfig } from './proxy-process.js'
import { send } from './router-helpers.js'

t.test(
  'namerd refusing connections is "namerd at <host>:<port>: connect ECONNREFUSED ..."',
  async (t) => {
    const dead = await deadPort()
    const config = await writeConfig(
      await tempDir(t),
      `routers:
  - label: outgoing
    interpreter:
      kind: io.l5d.namerd.http
      dst: http://127.0.0.1:${dead}
      namespace: internal
      retry: {baseSeconds: 0.05, maxSeconds: 0.1}
    servers: [{ip: 127.0.0.1, port: 0}]
admin: {ip: 127.0.0.1, port: 0}
`,
    )
    const proxy = await startProxyProcess(t, config)
    const cause = `namerd at 127.0.0.1:${dead}: connect ECONNREFUSED 127.0.0.1:${dead}`
    let body = ''
    await eventually('a request is answered with the last error', async () => {
      const r = await send(proxy.ports[0]!, { headers: { host: 'world' } })
      body = r.body
      return r.status === 503 && body.includes('ECONNREFUSED')
    })
    t.equal(body, `No dtab yet for router outgoing: ${cause}`)
    const ready = await fetch(`http://127.0.0.1:${proxy.adminPort}/admin/ready`)
    t.equal(ready.status, 503)
    t.match(await ready.text(), `  outgoing: ${cause}\n`)
    const warning = proxy.lines.find((l) => /dtab watch failed/.test(String(l.msg)))
    t.equal(warning?.err, cause, 'the log says the same')
  },
)
