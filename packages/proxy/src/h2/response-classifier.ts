// Which gRPC answers an h2 router sends again: Linkerd's `service.responseClassifier` on an h2
// router. Linkerd's h2 default (io.l5d.h2.nonRetryable5XX) retries no answer at all, and so
// does this proxy unless the config opts in: a backend that answered UNAVAILABLE may have done
// the call's work before (a dependency down), and a non-idempotent handler would run again.
// Requests a backend never processed (no connection, REFUSED_STREAM, above a GOAWAY) are sent
// again whatever the classifier (exchange-h2.ts).
//
// Read here from the config's raw value (the schema keeps Linkerd's key as it was given):
//   io.l5d.h2.grpc.default              a trailers-only UNAVAILABLE (14) is retried
//   io.l5d.h2.grpc.alwaysRetryable      any trailers-only non-OK status is retried
//   io.l5d.h2.grpc.retryableStatusCodes the statuses of `retryableStatusCodes` are retried
//   io.l5d.h2.grpc.neverRetryable, io.l5d.h2.nonRetryable5XX, none: nothing is retried
// Retried answers are trailers-only ones (no response began), to a whole request body of at most
// 64 KiB (kept to be replayed), within maxRetries and the budget. Another kind (Linkerd's
// io.l5d.h2.retryableRead5XX, io.l5d.h2.retryableIdempotent5XX) retries nothing here: its
// `unsupported` says so, for the router's start log.
import { z } from 'zod'

const GRPC_UNAVAILABLE = 14

const Classifier = z.looseObject({
  kind: z.string(),
  retryableStatusCodes: z.array(z.int().min(1).max(16)).optional(),
})

export interface H2ResponseClassifier {
  /** The grpc-status values of a trailers-only answer that may be sent again. */
  readonly retryableGrpc: ReadonlySet<number>
  /** Why the classifier given is not followed (a kind this proxy does not know), if it is not. */
  readonly unsupported?: string
}

const NONE: H2ResponseClassifier = { retryableGrpc: new Set() }

/** Every non-OK gRPC status (1-16). */
const ALL_FAILURES = new Set(Array.from({ length: 16 }, (_, i) => i + 1))

/** The classifier of `raw` (an h2 router's service.responseClassifier as the config gave it). */
export function h2ResponseClassifier(raw: unknown): H2ResponseClassifier {
  if (raw === undefined || raw === null) return NONE
  const parsed = Classifier.safeParse(raw)
  if (!parsed.success) {
    return {
      ...NONE,
      unsupported:
        'service.responseClassifier: not a classifier ({kind, retryableStatusCodes?: [1-16]}); no gRPC answer is retried',
    }
  }
  const { kind, retryableStatusCodes } = parsed.data
  switch (kind) {
    case 'io.l5d.h2.grpc.default':
      return { retryableGrpc: new Set([GRPC_UNAVAILABLE]) }
    case 'io.l5d.h2.grpc.alwaysRetryable':
      return { retryableGrpc: ALL_FAILURES }
    case 'io.l5d.h2.grpc.retryableStatusCodes':
      return { retryableGrpc: new Set(retryableStatusCodes ?? []) }
    case 'io.l5d.h2.grpc.neverRetryable':
    case 'io.l5d.h2.nonRetryable5XX':
      return NONE
    default:
      return {
        ...NONE,
        unsupported: `service.responseClassifier: ${kind} is not followed by this proxy; no answer is retried (io.l5d.h2.grpc.default retries a trailers-only UNAVAILABLE)`,
      }
  }
}
