// Two namerd replicas on one etcd drive one rollout (issue 14's Done-when: "the driving one is
// killed mid-rollout and the other carries it on to the end"). The proxy watches the replica
// that does not lead, so the leader learns of it only through the store (the other replica's
// presence lease); the leader is SIGKILLed in the middle of a step, without releasing its
// lease, and the survivor must take the lease over (lease 1 s) and finish from the stored
// state, while 200 req/s of load through the proxy all get an answer. Real etcd, as the store
// tests start it (packages/store/test/etcd-server.ts); skipped, saying how to install it, when
// there is no etcd binary. Needs `pnpm build`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { History } from '@switchyard/wire'
import t from 'tap'
import { EtcdServer, etcdMissing } from '../../packages/store/test/etcd-server.js'
import * as mesh from './mesh.js'
import { eventually } from './processes.js'
import {
  dentryOf,
  dtabText,
  INITIAL_DTAB,
  LOAD_RATE,
  NAMESPACE,
  namerctl,
  namerctlRunning,
  namerdConfig,
  PREFIX,
  propagated,
  proxyConfig,
  publish,
  putDtab,
  said,
  startArgs,
  startedId,
  startNamerd,
  TIMINGS,
  TO,
  tunableWorld,
  until,
} from './rollouts-harness.js'
import { describeLoad, startSteadyLoad } from './steady-load.js'

const missing = etcdMissing()
if (missing !== null) {
  // CI installs etcd-server, so there a missing etcd is a failure; elsewhere the file is skipped.
  if (process.env.CI) throw new Error(missing)
  t.plan(0, `needs a real etcd: ${missing} (apt-get install -y etcd-server)`)
  process.exit(0)
}

const etcd = await EtcdServer.start()
t.teardown(() => etcd.destroy())
const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-replicas-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const disco = join(dir, 'disco')
mkdirSync(disco)

const [v1, v2] = await Promise.all([tunableWorld(t, 'v1'), tunableWorld(t, 'v2')])
publish(disco, 'world-v1', v1.port)
publish(disco, 'world-v2', v2.port)

/** namerd_rollout_leader on a replica's /metrics: 1 when it leads. */
async function leads(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  return /^namerd_rollout_leader(\{[^}]*\})? 1$/m.test(await res.text())
}

const replicas = new Map<string, Awaited<ReturnType<typeof startNamerd>>>()
for (const id of ['namerd-a', 'namerd-b']) {
  writeFileSync(join(dir, `${id}.yaml`), namerdConfig(`etcd:${etcd.url}`, disco, id))
  replicas.set(id, await startNamerd(t, id, join(dir, `${id}.yaml`)))
  // The first one started takes the lease before the second exists; the test does not rely
  // on it, it asks each replica below.
  if (id === 'namerd-a') {
    await eventually('namerd-a to lead', () => leads(replicas.get(id)!.port), 10_000)
  }
}
const ids = [...replicas.keys()]
const leaderId = (await leads(replicas.get('namerd-a')!.port)) ? 'namerd-a' : 'namerd-b'
const followerId = ids.find((id) => id !== leaderId)!
const leader = replicas.get(leaderId)!
const follower = replicas.get(followerId)!
// Asserted inside the subtest: an assertion on the root test before its subtests let tap end
// the root (and kill every process) while the next top-level await was still pending.
const followerLeads = await leads(follower.port)

await putDtab(follower.port, INITIAL_DTAB)
writeFileSync(join(dir, 'proxy.yaml'), proxyConfig(follower.port))
const proxy = await mesh.startProxy(t, 'proxy', join(dir, 'proxy.yaml'))
await propagated(follower.port, proxy.adminPort)

t.test(
  `the leader (${leaderId}) SIGKILLed mid-step: ${followerId} finishes the rollout`,
  async (t) => {
    t.equal(followerLeads, false, `${followerId} does not lead too`)
    const load = startSteadyLoad({ port: proxy.port, ratePerSec: LOAD_RATE, maxMs: 90_000 })
    await new Promise((r) => setTimeout(r, 300))
    // A 1 s interval: the kill lands inside a step, not between two.
    const started = await namerctl(
      follower.port,
      startArgs(['--steps', '10,50,100', '--interval', '1s']),
    )
    if (started.code !== 0) {
      await load.stop()
      t.fail(`rollout start through ${followerId} failed: ${said(started)}`)
      return
    }
    const id = startedId(started)
    const watch = namerctlRunning(follower.port, ['rollout', 'watch', NAMESPACE, id])
    const midStep = await until(
      follower.port,
      id,
      'analysing its second step (50%)',
      (r) => r.phase === 'step' && r.step === 1 && r.lastWritten !== null && r.intent === null,
    )
    t.ok(
      midStep.events.some((e) => e.who.includes(leaderId)),
      `the leader drove it so far: ${midStep.events.map((e) => e.who).join(', ')}`,
    )
    const killedAt = Date.now()
    await leader.proc.kill('SIGKILL')
    const ended = await until(follower.port, id, 'terminal', (r) =>
      ['succeeded', 'rolled-back', 'aborted', 'stopped'].includes(r.phase),
    )
    const result = await load.stop()
    t.comment(
      `${id}: ${ended.phase} ${Date.now() - killedAt} ms after the kill; ${describeLoad(result)}`,
    )
    t.equal(ended.phase, 'succeeded', ended.outcome ?? '')
    const afterKill = ended.events.filter((e) => Date.parse(e.time) > killedAt)
    t.ok(afterKill.length > 0, 'transitions after the kill')
    t.ok(
      afterKill.every((e) => !e.who.includes(leaderId)),
      `none by the killed leader: ${afterKill.map((e) => e.who).join(', ')}`,
    )
    t.ok(
      afterKill.some((e) => e.who.includes(followerId)),
      `${followerId} drove the rest`,
    )
    const firstAfter = afterKill[0]
    if (firstAfter !== undefined) {
      const took = Date.parse(firstAfter.time) - killedAt
      const bound = TIMINGS.leaseMs + 1000 + 2 * TIMINGS.tickMs + 2 * TIMINGS.scrapeMs
      t.ok(
        took <= bound,
        `the survivor's first move came ${took} ms after the kill (lease + interval: ${bound} ms)`,
      )
    }
    t.equal(dentryOf((await dtabText(follower.port)).text), `${PREFIX} => ${TO}`, 'v2 alone')
    const history = History.parse(
      await (
        await fetch(`http://127.0.0.1:${follower.port}/api/1/dtabs/${NAMESPACE}/history`)
      ).json(),
    )
    const writers = new Set(history.map((h) => h.who ?? ''))
    t.ok(
      [...writers].some((w) => w.includes(leaderId)) &&
        [...writers].some((w) => w.includes(followerId)),
      `the history shows both replicas' writes: ${[...writers].join(', ')}`,
    )
    const w = await watch.result
    t.equal(w.code, 0, `rollout watch on ${followerId} exits 0\n${said(w)}`)
    t.same(
      result.unanswered.slice(0, 10),
      [],
      `every request got a backend's answer (${result.unanswered.length} of ${result.started} did not)`,
    )
  },
)
