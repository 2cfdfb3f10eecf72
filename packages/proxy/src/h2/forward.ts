// Sends one h2 stream to an endpoint of a concrete client and streams the response back, on the
// endpoint's HTTP/2 sessions (session-pool.ts). The attempts, retries, timeout and resets are
// the exchange's (exchange-h2.ts); here the caller's deadline is written for the next hop: the
// combined `l5d-ctx-deadline` (forward/deadline.ts) and, per attempt, gRPC's `grpc-timeout`
// with the time left. The router's timeout is not a deadline for the next hop: it bounds only
// the wait for the response head, so a backend is told no deadline its caller did not give.
import type { OutgoingHttpHeaders } from 'node:http2'
import { DEADLINE_HEADER, effectiveDeadline } from '../forward/deadline.js'
import { H2Exchange } from './exchange-h2.js'
import type { H2Forward, H2ForwardResult } from './forward-types.js'

/** Streams `inbound` to one endpoint of `client` and the response back. Never throws. */
export const forwardH2: H2Forward = (client, inbound, options) => {
  options.budget.deposit()
  const headers: OutgoingHttpHeaders = { ...options.headers }
  const now = Date.now()
  const caller =
    options.deadlineMs !== undefined && Number.isFinite(options.deadlineMs)
      ? options.deadlineMs
      : undefined
  // The caller's l5d-ctx-deadline (if the router kept it) combined with its grpc-timeout.
  const deadline = effectiveDeadline(headers, caller, now)
  if (deadline.header !== undefined) headers[DEADLINE_HEADER] = deadline.header
  const headMs = Number.isFinite(options.timeoutMs) ? options.timeoutMs : undefined
  const left = [headMs, deadline.timeoutMs].filter((v): v is number => v !== undefined)
  if (left.some((v) => v <= 0)) {
    const expired: H2ForwardResult = {
      ok: false,
      kind: 'timeout',
      message: 'the deadline had already passed',
      retries: 0,
      budgetExhausted: false,
      headersSent: false,
    }
    return Promise.resolve(expired)
  }
  const head = left.length === 0 ? undefined : Math.min(...left)
  return new H2Exchange(client, inbound, options, headers).run(head, deadline.timeoutMs)
}
