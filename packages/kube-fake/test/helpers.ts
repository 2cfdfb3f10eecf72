// Test helpers: raw HTTP requests to the fake (exact status, headers, body bytes) and a watch
// reader that collects NDJSON lines as they arrive.
import { request } from 'node:http'
import { FakeKubeApi, type FakeKubeOptions, type JsonObject } from '@switchyard/kube-fake'

export const CRD_DIR = new URL('../../../deploy/crd', import.meta.url).pathname
export const DTABS = '/apis/l5d.io/v1alpha1/namespaces/default/dtabs'
export const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices'

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  /** Each Warning header line as sent (node joins repeated ones in `headers`). */
  readonly warnings: string[]
  readonly body: string
}

export function send(
  api: FakeKubeApi,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const text =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      {
        method,
        headers: {
          ...(text === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(text)),
              }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            warnings: res.rawHeaders.filter(
              (_, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === 'warning',
            ),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

export function json(reply: Reply): JsonObject {
  return JSON.parse(reply.body) as JsonObject
}

export function dtab(name: string, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    metadata: { name, namespace: 'default' },
    dentries: [{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }],
    ...extra,
  }
}

export function metaOf(object: JsonObject | null | undefined): JsonObject {
  return (object?.metadata ?? {}) as JsonObject
}

export function rvOf(object: JsonObject | null | undefined): string {
  const meta = object?.metadata as JsonObject | undefined
  return String(meta?.resourceVersion)
}

export async function startWithCrds(options: FakeKubeOptions = {}): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start(options)
  await api.installCrdsFrom(CRD_DIR)
  return api
}

/** An open watch read line by line; `ended` settles on a clean end ('end') or a cut ('error'). */
export interface RawWatch {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly lines: string[]
  readonly ended: Promise<'end' | 'error'>
  /** Resolves once at least `n` lines have arrived. */
  waitLines(n: number): Promise<string[]>
  events(): { type: string; object: JsonObject }[]
  close(): void
}

export function openWatch(api: FakeKubeApi, path: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, (res) => {
      const lines: string[] = []
      let partial = ''
      const waiters: { n: number; resolve: (l: string[]) => void }[] = []
      const wake = () => {
        for (const w of [...waiters]) {
          if (lines.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve([...lines])
          }
        }
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        partial += chunk
        let nl = partial.indexOf('\n')
        while (nl >= 0) {
          lines.push(partial.slice(0, nl))
          partial = partial.slice(nl + 1)
          nl = partial.indexOf('\n')
        }
        wake()
      })
      const ended = new Promise<'end' | 'error'>((done) => {
        res.on('end', () => done('end'))
        res.on('error', () => done('error'))
        res.on('aborted', () => done('error'))
        req.on('error', () => done('error'))
      })
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        lines,
        ended,
        waitLines: (n) =>
          lines.length >= n
            ? Promise.resolve([...lines])
            : new Promise((r) => waiters.push({ n, resolve: r })),
        events: () => lines.map((l) => JSON.parse(l) as { type: string; object: JsonObject }),
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
    req.end()
  })
}
