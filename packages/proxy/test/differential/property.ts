// The differential properties, on one set of servers that serves many cases (each case opens
// its own connections): the proxy either refuses what it is given or passes on exactly what
// llhttp frames, for requests and for responses.
import fc from 'fast-check'
import type { RunningProxy } from '../../src/proxy.js'
import { CaseFailure, classOf, showBytes, type Violation } from './judge.js'
import { type RequestCaseResult, runRequestCase, type Timing } from './request-case.js'
import { type RequestCase, requestCaseBytes, requestCases } from './request-gen.js'
import { type ResponseCaseResult, runResponseCase } from './response-case.js'
import { type ResponseCase, responseCases, responseInput } from './response-gen.js'
import { RawBackend, RecordingServer, startTestProxy } from './servers.js'

export interface Rig {
  readonly ref: RecordingServer
  readonly backend: RecordingServer
  readonly raw: RawBackend
  readonly proxy: RunningProxy
  readonly proxyPort: number
  readonly timing: Timing
  nextId: number
  close(): Promise<void>
}

export const CI_TIMING: Timing = { quietMs: 10, hardMs: 600 }

export async function startRig(timing: Timing = CI_TIMING): Promise<Rig> {
  const ref = new RecordingServer('reference')
  const backend = new RecordingServer('backend')
  const raw = new RawBackend()
  await Promise.all([ref.listen(), backend.listen(), raw.listen()])
  const { proxy, port } = await startTestProxy(backend.port, raw.port)
  return {
    ref,
    backend,
    raw,
    proxy,
    proxyPort: port,
    timing,
    nextId: 0,
    close: async () => {
      await proxy.close()
      await Promise.all([ref.close(), backend.close(), raw.close()])
    },
  }
}

/** Whether a class is already known, so a long run can go on to look for others. */
export type Known = (cls: string) => boolean
const NONE: Known = () => false

/** A case prints as the bytes it sends, so a counterexample can be pasted into a test. */
function printable<T extends object>(value: T, bytes: (v: T) => Buffer | string): T {
  return Object.assign(Object.create(Object.getPrototypeOf(value) as object) as T, value, {
    [fc.toStringMethod]: () => showBytes(bytes(value), 4000),
  })
}

export const printableRequests: fc.Arbitrary<RequestCase> = requestCases.map((c) =>
  printable(c, requestCaseBytes),
)

export const printableResponses: fc.Arbitrary<ResponseCase> = responseCases.map((c) =>
  printable(c, (v) => {
    const i = responseInput(v)
    return `${i.method} -> ${i.bytes.toString('latin1')}${i.close ? ' [close]' : ''}`
  }),
)

function fail(violations: readonly Violation[], known: Known): void {
  const fresh = violations.filter((v) => !known(classOf(v)))
  if (fresh.length > 0) throw new CaseFailure(fresh)
}

export function requestProperty(
  rig: Rig,
  known: Known = NONE,
  seen?: (r: RequestCaseResult) => void,
) {
  return fc.asyncProperty(printableRequests, async (c) => {
    const r = await runRequestCase(rig, requestCaseBytes(c), c.type === 'built' && c.valid)
    seen?.(r)
    fail(r.violations, known)
  })
}

export function responseProperty(
  rig: Rig,
  known: Known = NONE,
  seen?: (r: ResponseCaseResult) => void,
) {
  return fc.asyncProperty(printableResponses, async (c) => {
    const r = await runResponseCase(rig, responseInput(c))
    seen?.(r)
    fail(r.violations, known)
  })
}

/** The classes of the first failure fast-check reports, with its shrunk case. */
export function failureClasses(details: fc.RunDetails<unknown>): string[] {
  const err = details.errorInstance
  return err instanceof CaseFailure ? [...new Set(err.violations.map(classOf))] : []
}
