// The seam between the h2 router (h2-router.ts: a stream in, its route decided, the proxy's own
// errors answered) and the h2 forwarder (forward.ts: the stream sent on an upstream session,
// the response streamed back). Agreed first so both sides are built at once.
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { Client } from '../balance/client.js'
import type { RetryBudget } from '../retry/budget.js'
import type { H2SessionPool } from './session-pool.js'

/** Response headers or trailers as they arrive from the backend, pseudo-headers included. */
export type H2Headers = IncomingHttpHeaders

export interface H2ForwardOptions {
  /**
   * The request's headers for the backend: `:method`, `:path`, `:authority`, `:scheme` and the
   * rest, already rewritten by the router (l5d-dst-*, l5d-ctx-dtab, l5d-reqid; l5d-dtab gone;
   * connection-specific headers gone). The forwarder adds the deadline headers.
   */
  readonly headers: OutgoingHttpHeaders
  /**
   * What is left of the request's time for the response head, retries included: the router's
   * timeout, shortened by the caller's deadline (`deadlineMs`). Once the response head has
   * arrived this limit no longer applies: an answer streams for as long as it lasts.
   */
  readonly timeoutMs: number
  /**
   * What is left of the caller's own deadline (l5d-ctx-deadline and grpc-timeout, h2/grpc.ts),
   * when the caller gave one: the whole call's bound, mid-stream too (a gRPC call then ends
   * DEADLINE_EXCEEDED). The forwarder writes it on as `l5d-ctx-deadline` and, for gRPC,
   * `grpc-timeout`; without it the backend is told no deadline (the router's timeout is not
   * one: it bounds only the wait for the response head).
   */
  readonly deadlineMs?: number | undefined
  /** The request is gRPC (content-type application/grpc...): outcomes come from grpc-status. */
  readonly grpc: boolean
  readonly budget: RetryBudget
  readonly maxRetries: number
  /**
   * The grpc-status values of a backend's trailers-only answer that may be sent again (the
   * router's service.responseClassifier, response-classifier.ts); none by default, as
   * Linkerd's h2 default classifier. Requests never processed are sent again regardless.
   */
  readonly retryableGrpc?: ReadonlySet<number>
  /** Edits the response headers before they go to the client (clearContext, routed headers). */
  readonly onResponseHeaders?: (headers: H2Headers) => void
  /** Edits the request's trailers before they go to the backend (clearContext). */
  readonly onRequestTrailers?: (trailers: H2Headers) => void
  /** Edits the trailers before they go to the client (clearContext). */
  readonly onTrailers?: (trailers: H2Headers) => void
  /**
   * The client is not trusted (a clearContext server): a gRPC status the forwarder writes
   * itself carries no grpc-message (as the router's own errors, h2-errors.ts).
   */
  readonly clear?: boolean
}

/** How a forwarded stream ended, once it has ended. */
export type H2ForwardResult =
  | {
      readonly ok: true
      /** The backend's `:status`. */
      readonly status: number
      /**
       * For gRPC: the grpc-status of the trailers (or of a trailers-only response); undefined
       * when the backend sent none (then the call failed: gRPC's UNKNOWN).
       */
      readonly grpcStatus: number | undefined
      readonly endpoint: string
      readonly retries: number
      readonly budgetExhausted: boolean
      /** Response body bytes handed to the client's stream (for the access log). */
      readonly bodyBytes?: number
    }
  | {
      readonly ok: false
      readonly kind:
        | 'no-endpoints'
        | 'connect'
        | 'tls'
        | 'timeout'
        | 'upstream-reset'
        /** The backend's answer cannot be sent on (a response head too large): the proxy's 502. */
        | 'bad-response'
        | 'client-aborted'
      readonly message: string
      readonly endpoint?: string
      readonly retries: number
      readonly budgetExhausted: boolean
      /**
       * The response had begun (headers sent): the client's stream was reset, with
       * `rstCode` (or, for gRPC, ended with `grpcStatus`), and nothing more can be answered.
       */
      readonly headersSent: boolean
      /**
       * The HTTP/2 error code the backend reset with, when it did; none for 'upstream-reset'
       * when the connection was lost (then the backend reset nothing).
       */
      readonly rstCode?: number
      /**
       * A gRPC call whose response had begun and whose backend connection was lost: the
       * forwarder ended it with trailers carrying this grpc-status (UNAVAILABLE) rather than a
       * reset, so the client read a status, not a cut.
       */
      readonly grpcStatus?: number
      /** Response body bytes handed to the client's stream before it failed. */
      readonly bodyBytes?: number
    }

/** Streams `inbound` to an endpoint of `client` and the response back. Never throws. */
export type H2Forward = (
  client: Client<H2SessionPool>,
  inbound: ServerHttp2Stream,
  options: H2ForwardOptions,
) => Promise<H2ForwardResult>
