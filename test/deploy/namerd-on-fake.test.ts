// deploy/base's namerd, run as the Deployment runs it (its args, env and ConfigMap, the CRD
// store on in-cluster-or-kubeconfig credentials), against the fake API server holding what
// `kubectl apply -k deploy/crd` and `kubectl apply -k deploy/examples/hello-world` would create,
// with exactly the rights deploy/base's RBAC gives namerd's ServiceAccount: every other verb is
// refused with 403. docs/kubernetes.md's walkthrough works on it: namerctl dtab create, shift,
// history and rollback write a DTab object in namerd's shape (its history appearing beside
// it), delegate finds the example's endpoints through the io.l5d.k8s namer, and a rollout
// is a Rollout object with Leases beside it (started, then aborted). A DTab that
// namerd (Linkerd's) wrote before the move is served unchanged. And the rules are no more than
// it needs: every verb they grant is one namerd asked for, on the way (derived from the fake's
// request log, so a rule the code stops needing fails here).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import type { Rollout } from '@switchyard/wire'
import t from 'tap'
import { rolloutBody } from '../../packages/store/src/rollouts-k8s.js'
import { eventually, portOf, run } from '../e2e/processes.js'
import { containerRun, SAMPLE_TOKEN } from './container-run.js'
import { DEPLOY, type KubeObject, ROOT, render, requireKubectl } from './kustomize.js'
import { asksIn, forbidUngranted, grantedTo, grants, ungrantedAsks, verbSets } from './rbac.js'
import { workloads } from './workloads.js'

const SOURCE = ['--import', 'tsx', '--conditions=@switchyard/source']

/** The resources namerd could touch; what the RBAC does not grant is refused on these. */
/** A slice as the EndpointSlice controller would write it for a Service of the example. */
function sliceFor(service: KubeObject, addresses: readonly string[]): Record<string, unknown> {
  const ports = (service.spec as { ports: { name: string; port: number }[] }).ports
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service.metadata.name}-abcde`,
      namespace: service.metadata.namespace,
      labels: { 'kubernetes.io/service-name': service.metadata.name },
    },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({
      addresses: [a],
      conditions: { ready: true },
      nodeName: 'node-1',
    })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP' })),
  }
}

/**
 * namerctl, asynchronously: the fake API server runs in this process, so a synchronous spawn
 * would leave namerd's calls to it unanswered.
 */
function namerctl(
  port: number,
  args: readonly string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const argv = [...SOURCE, 'packages/namerctl/src/main.ts', ...args]
  argv.push('--base-url', `http://127.0.0.1:${port}`, '--token', SAMPLE_TOKEN)
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code
        resolve({ status: err === null ? 0 : typeof code === 'number' ? code : -1, stdout, stderr })
      },
    )
  })
}

/** Ended rollouts namerd keeps per namespace whatever their age (DEFAULT_RETENTION.keep). */
const KEPT = 20

/** A rollout of /host/old-<i> that ended 30 days (minus i minutes) ago. */
function oldRollout(i: number): Rollout {
  const at = new Date(Date.now() - 30 * 24 * 3600 * 1000 + i * 60_000).toISOString()
  return {
    prefix: `/host/old-${i}`,
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [100],
    intervalMs: 60_000,
    progressDeadlineMs: 600_000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: `old-${i}`,
    namespace: 'internal',
    phase: 'aborted',
    step: null,
    pause: null,
    before: { version: 'AAAAAAAAAAE=', dtab: '', dentry: `/host/old-${i}=>/srv/world-v1` },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'test',
    createdAt: at,
    updatedAt: at,
    endedAt: at,
    outcome: 'aborted by test; the dtab was never written',
  }
}

interface Dentry {
  readonly prefix: string
  readonly dst: string
}

/** A rendered object (parsed from kubectl's JSON) as the fake's JSON type. */
function json(o: unknown): JsonObject {
  const copy: unknown = JSON.parse(JSON.stringify(o))
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy))
    throw new Error('not an object')
  return copy as JsonObject
}

/** A DTab object's dentries, checked. */
function dentriesOf(o: JsonObject | null): Dentry[] {
  const d = o?.dentries
  const ok =
    Array.isArray(d) &&
    d.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        !Array.isArray(e) &&
        typeof e.prefix === 'string' &&
        typeof e.dst === 'string',
    )
  if (!ok) throw new Error(`not a DTab's dentries: ${JSON.stringify(d)}`)
  return d as unknown as Dentry[]
}

if (requireKubectl(t)) {
  t.test(
    'deploy/base’s namerd serves the example on its RBAC, and the walkthrough works',
    async (t) => {
      const base = render(join(DEPLOY, 'base'))
      const example = render(join(DEPLOY, 'examples/hello-world'))
      // Every request kept, for the verbs asked at the end.
      const api = await FakeKubeApi.start({ requestLog: 1_000_000 })
      t.teardown(() => api.close())
      const dir = mkdtempSync(join(tmpdir(), 'deploy-fake-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))

      // kubectl apply -k deploy/crd, then the example's objects the fake serves, and the slices
      // the EndpointSlice controller would add.
      for (const crd of render(join(DEPLOY, 'crd'))) api.installCrd(crd)
      const services = example.filter((o) => o.kind === 'Service')
      for (const o of services) api.put(json(o))
      // Written by Linkerd's namerd before the move, in its exact JSON (kubernetes-api.md §5).
      const legacy = [{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }]
      api.put({
        apiVersion: 'l5d.io/v1alpha1',
        kind: 'DTab',
        metadata: { name: 'legacy', namespace: 'switchyard' },
        dentries: legacy,
      })
      const addresses: Record<string, string[]> = {
        hello: ['127.0.1.1'],
        'world-v1': ['127.0.1.11', '127.0.1.12'],
        'world-v2': ['127.0.1.21', '127.0.1.22'],
      }
      for (const s of services) api.put(json(sliceFor(s, addresses[s.metadata.name] ?? [])))
      // Ended rollouts from a month ago, one more than namerd keeps per namespace: the leader
      // prunes the oldest (delete on rollouts) when it is elected.
      for (let i = 0; i <= KEPT; i++) api.put(json(rolloutBody(oldRollout(i), 'switchyard')))

      // Exactly the rights deploy/base gives namerd's ServiceAccount.
      const namerd = workloads(base).find((w) => w.name === 'namerd')
      if (namerd === undefined) throw new Error('deploy/base has no namerd')
      const subject = `ServiceAccount ${namerd.namespace}/${namerd.pod.serviceAccountName}`
      const granted = grants(base).grants
      const denied = forbidUngranted(api, granted, subject, [
        namerd.namespace,
        'hello-world',
        'default',
      ])
      t.ok(denied.includes('patch dtabs in switchyard'), 'namerd may not patch its DTabs')
      t.ok(denied.includes('update endpointslices in hello-world'), 'nor write endpoints')

      // The Deployment's container, with the kubeconfig standing in for in-cluster credentials
      // and a loopback port instead of 0.0.0.0:4180.
      const c = containerRun(base, namerd, namerd.pod.containers[0]!)
      t.teardown(c.cleanup)
      process.env.KUBECONFIG = await api.writeKubeconfig(dir)
      for (const [k, v] of Object.entries(c.env)) process.env[k] = v
      const proc = run(t, 'namerd', process.execPath, [
        ...SOURCE,
        'packages/namerd/src/main.ts',
        ...c.args,
        '--listen',
        '127.0.0.1:0',
      ])
      const port = portOf(await proc.waitFor(/namerd listening/))
      const url = `http://127.0.0.1:${port}`
      await eventually('namerd /ready', async () => (await fetch(`${url}/ready`)).status === 200)

      const served = (await (await fetch(`${url}/api/1/dtabs/legacy`)).json()) as Dentry[]
      t.same(served, legacy, 'namerd serves the DTab Linkerd’s namerd wrote, unchanged')

      const file = join(DEPLOY, 'examples/hello-world/internal.dtab')
      const create = await namerctl(port, ['dtab', 'create', 'internal', file])
      t.equal(create.status, 0, `namerctl dtab create internal: ${create.stderr}`)
      const dtabRef = {
        apiVersion: 'l5d.io/v1alpha1',
        kind: 'DTab',
        namespace: 'switchyard',
        name: 'internal',
      }
      const initial = Dtab.toJson(Dtab.read(readFileSync(file, 'utf8')))
      t.same(dentriesOf(api.get(dtabRef)), initial, 'it is a DTab object in namerd’s shape')

      const shift = await namerctl(port, [
        'shift',
        'internal',
        '/host/world',
        '/tmp/world-v2=10',
        '/tmp/world-v1=90',
      ])
      t.equal(shift.status, 0, `namerctl shift: ${shift.stderr}`)
      const shifted = dentriesOf(api.get(dtabRef))
      t.match(
        shifted.at(-1)?.dst,
        /\/tmp\/world-v2.*&.*\/tmp\/world-v1/,
        'the DTab object holds the split',
      )
      t.ok(
        api.get({
          apiVersion: 'switchyard.io/v1alpha1',
          kind: 'DTabHistory',
          namespace: 'switchyard',
          name: 'internal',
        }),
        'its history is a DTabHistory beside it',
      )

      const history = await namerctl(port, ['history', 'internal'])
      t.equal(history.status, 0, `namerctl history: ${history.stderr}`)
      t.match(history.stdout, /\/tmp\/world-v2/, 'history shows the shift')

      const rollback = await namerctl(port, ['rollback', 'internal'])
      t.equal(rollback.status, 0, `namerctl rollback: ${rollback.stderr}`)
      t.same(dentriesOf(api.get(dtabRef)), initial, 'rollback writes the DTab back as it was')

      await eventually(
        'delegate to find world-v1’s endpoints',
        async () => {
          const d = await namerctl(port, ['delegate', 'internal', '/svc/world'])
          return (
            d.status === 0 &&
            /127\.0\.1\.11:7778/.test(d.stdout) &&
            /127\.0\.1\.12:7778/.test(d.stdout)
          )
        },
        20_000,
      )
      t.pass('namerctl delegate finds world-v1’s endpoints through the io.l5d.k8s namer')

      // A rollout on the same store: a Rollout object beside the DTabs, the leader's and the
      // replica's Leases, and one holding the prefix. No proxy reports metrics here, so the
      // first step waits, paused for metrics (after a look for proxies); abort ends it.
      const rolloutRef = {
        apiVersion: 'switchyard.io/v1alpha1',
        kind: 'Rollout',
        namespace: 'switchyard',
      }
      const leaseRef = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'switchyard',
      }
      const old = () =>
        api.list(rolloutRef).filter((o) => (o.spec as { prefix?: string }).prefix !== '/host/world')
      await eventually('the oldest ended rollout pruned', async () => old().length === KEPT, 20_000)
      t.notOk(
        old().some((o) => (o.status as { id?: string }).id === 'old-0'),
        'the oldest one went; the newest 20 stay',
      )
      const status = () =>
        api
          .list(rolloutRef)
          .filter((o) => (o.spec as { prefix?: string }).prefix === '/host/world')
          .map((o) => o.status as { phase?: string; pause?: { by?: string } })
      const start = await namerctl(port, [
        'rollout',
        'start',
        'internal',
        '/host/world',
        '--to',
        '/tmp/world-v2',
        '--steps',
        '50,100',
        '--interval',
        '1s',
        '--min-requests',
        '1',
      ])
      t.equal(start.status, 0, `namerctl rollout start: ${start.stderr}`)
      t.equal(status().length, 1, 'the rollout is a Rollout object in namerd’s namespace')
      await eventually(
        'the rollout to wait for metrics',
        async () => status()[0]?.pause?.by === 'metrics',
        20_000,
      )
      const leases = () => api.list(leaseRef).map((o) => (o.metadata as { name: string }).name)
      t.ok(
        leases().some((n) => n.startsWith('sy-prefix.internal.')),
        'a Lease holds the prefix',
      )
      t.ok(leases().includes('sy-lease.rollouts-leader'), 'the leader’s Lease')
      const abort = await namerctl(port, ['rollout', 'abort', 'internal', '/host/world'])
      t.equal(abort.status, 0, `namerctl rollout abort: ${abort.stderr}`)
      await eventually('the rollout to end', async () => status()[0]?.phase === 'aborted', 20_000)
      t.notOk(
        leases().some((n) => n.startsWith('sy-prefix.')),
        'the prefix is free again',
      )
      t.same(dentriesOf(api.get(dtabRef)), initial, 'and the DTab is as it was')

      // The rest of what namerd does with its store: list the dtabs, delete one.
      const list = await namerctl(port, ['dtab', 'list'])
      t.equal(list.status, 0, `namerctl dtab list: ${list.stderr}`)
      t.match(list.stdout, /legacy/)
      const del = await namerctl(port, ['dtab', 'delete', 'legacy'])
      t.equal(del.status, 0, `namerctl dtab delete legacy: ${del.stderr}`)
      t.equal(api.get({ ...dtabRef, name: 'legacy' }), null, 'the DTab object is gone')
      await proc.kill()

      // Least privilege, derived: what namerd asked of the API server is exactly what it is
      // granted, and each ask was granted where it was made.
      const asked = asksIn(api.requests)
      t.same(ungrantedAsks(asked, granted, subject), [], 'nothing namerd asked for was refused')
      t.same(verbSets(asked), verbSets(grantedTo(granted, subject)), 'every verb granted was used')
      t.same(verbSets(asked), [
        'coordination.k8s.io/leases: get, list, create, update, delete',
        'core/services: list, watch',
        'discovery.k8s.io/endpointslices: list, watch',
        'l5d.io/dtabs: get, list, watch, create, update, delete',
        'switchyard.io/dtabhistories: get, create, update',
        'switchyard.io/rollouts: get, list, watch, create, update, delete',
      ])
    },
  )
}
