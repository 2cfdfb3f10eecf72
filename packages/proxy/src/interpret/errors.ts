// Typed failures of the interpreters; `code` is stable for logs and metrics.

export type InterpreterErrorCode =
  | 'namerd_http'
  | 'namerd_unreachable'
  | 'namerd_stream'
  | 'namerd_body'
  | 'namespace_not_found'
  | 'dtab_file'

export class InterpreterError extends Error {
  override readonly name = 'InterpreterError'
  constructor(
    readonly code: InterpreterErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message)
  }
}
