// Typed failures of the transformers; `code` is stable for logs and tests.

export type TransformerErrorCode =
  /** An environment variable the transformer needs (POD_IP, NODE_NAME) is not set. */
  | 'missing_env'
  /** It is set, but not to something the transformer can use. */
  | 'bad_env'
  /** No Kubernetes configuration to watch the daemonset's proxies with. */
  | 'kube_config'

export class TransformerError extends Error {
  override readonly name = 'TransformerError'
  constructor(
    readonly code: TransformerErrorCode,
    message: string,
  ) {
    super(message)
  }
}
